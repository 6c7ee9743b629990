"""Who may manage whom: an organisation's admins manage its members (not themselves: an admin
cannot lock themselves out); bureau roles are granted only inside the bureau."""

from __future__ import annotations

from market.accounts.schemas import MemberActions
from market.actions import Action, allow, deny, first, refuse_state
from market.orgs.models import Role, User

BUREAU_ROLES = frozenset({Role.bureau_admin.value, Role.bureau_reviewer.value, Role.expert.value})


def manage_members(actor: User) -> Action:
    if not actor.has_role(Role.org_admin, Role.bureau_admin):
        return deny("只有单位管理员可以管理本单位成员")
    return allow()


def grant(actor: User, roles: list[str]) -> Action:
    if any(r not in Role.__members__ for r in roles):
        return deny("角色不存在")
    if any(r in BUREAU_ROLES for r in roles) and not actor.is_bureau:
        return deny("只有科技局可以授予审核员、管理员或专家角色")
    return allow()


def _other_member(actor: User, target: User) -> Action:
    if actor.id == target.id:
        return deny("不能修改或停用自己的账号")
    if not target.is_active:
        return refuse_state("该成员已停用")
    return allow()


def change_roles(actor: User, target: User) -> Action:
    return first(manage_members(actor), _other_member(actor, target))


def deactivate(actor: User, target: User) -> Action:
    return first(manage_members(actor), _other_member(actor, target))


def member_actions(actor: User, target: User) -> MemberActions:
    return MemberActions(change_roles=change_roles(actor, target), deactivate=deactivate(actor, target))
