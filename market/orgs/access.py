"""Who may see an organisation and its capability profile: one rule for the API, the pages, the
directory and the search index (which holds verified providers only)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.actions import Action, allow, deny
from market.errors import Invalid
from market.orgs.models import ExpertConflict, Organisation, OrgKind, User


def can_view_org(user: User | None, org: Organisation) -> bool:
    """A verified organisation is public; an unverified (or refused) one exists only for its own
    members and the bureau, which decides on it."""
    if org.is_verified:
        return True
    return user is not None and (user.org_id == org.id or user.is_bureau_staff)


def recused_org_ids(session: Session, expert: User) -> frozenset[int]:
    """The organisations an expert is recused from: their own and every declared conflict."""
    declared = session.scalars(select(ExpertConflict.org_id).where(ExpertConflict.expert_id == expert.id)).all()
    return frozenset({expert.org_id, *declared})


def is_recused(session: Session, expert: User, *org_ids: int | None) -> bool:
    recused = recused_org_ids(session, expert)
    return any(o in recused for o in org_ids if o is not None)


def set_leading(user: User | None, org: Organisation) -> Action:
    """Bureau staff mark (or unmark) an enterprise as 龙头企业."""
    if user is None or not user.is_bureau_staff:
        return deny("只有科技局工作人员可以认定龙头企业")
    if org.kind != OrgKind.enterprise:
        return deny("只有企业可以认定为龙头企业", Invalid)
    return allow()
