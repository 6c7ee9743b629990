"""Who may see and do what with a need: the single source of the disclosure rules and of every
need action. Services enforce these answers (``action.require()``), the API exposes them as
``actions``, pages show buttons from them, and lists, exports, search and duplicate hints filter
with ``visible_needs``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.orm import Session

from market.actions import Action, allow, deny, refuse_state
from market.needs.exceptions import AssignmentNotFound, NeedNotFound
from market.needs.models import ExpertAssignment, Need, NeedAccessGrant, NeedRevision
from market.needs.schemas import NeedActions
from market.needs.states import (
    EDITABLE_BY_OWNER,
    OPEN_FOR_RESPONSES,
    PUBLIC_STATUSES,
    REVISED_UNDER_REVIEW,
    SUBMITTABLE,
    NeedStatus,
    need_machine,
)
from market.office import service as office
from market.orgs.models import User

S = NeedStatus


def is_owner(user: User | None, need: Need) -> bool:
    return user is not None and user.org_id == need.org_id


def is_assigned_expert(session: Session, user: User | None, need: Need) -> bool:
    if user is None or not user.is_expert:
        return False
    return (
        session.scalar(
            select(ExpertAssignment.id).where(ExpertAssignment.need_id == need.id, ExpertAssignment.expert_id == user.id)
        )
        is not None
    )


def has_grant(session: Session, user: User | None, need: Need) -> bool:
    if user is None:
        return False
    return (
        session.scalar(
            select(NeedAccessGrant.id).where(NeedAccessGrant.need_id == need.id, NeedAccessGrant.org_id == user.org_id)
        )
        is not None
    )


def _insider(session: Session, user: User | None, need: Need) -> bool:
    """The owner, the bureau and the need's assigned experts see every part of a need."""
    return user is not None and (is_owner(user, need) or user.is_bureau_staff or is_assigned_expert(session, user, need))


# --- visibility ----------------------------------------------------------------------------------


def can_view_summary(session: Session, user: User | None, need: Need) -> bool:
    """Published needs are public; unpublished ones only for the owner, the bureau and assigned experts."""
    return need.status in PUBLIC_STATUSES or _insider(session, user, need)


def details_refusal(session: Session, user: User | None, need: Need) -> Action:
    """Details: a public need's to any signed-in verified organisation; an nda need's after its
    terms are accepted; an invite-only need's to invited organisations. Owner, bureau and assigned
    experts always."""
    if _insider(session, user, need):
        return allow()
    if need.status not in PUBLIC_STATUSES:
        return refuse_state("需求尚未发榜")
    if user is None:
        return deny("请先登录；需求详情向已认证的单位公开")
    if not user.org.is_verified:
        return deny("本单位尚未通过科技局认证，认证后可查看需求详情")
    if need.disclosure == "public" or has_grant(session, user, need):
        return allow()
    if need.disclosure == "nda":
        return deny("签署保密承诺后可查看需求详情")
    return deny("该需求的详情仅向发榜企业邀请的单位公开")


def can_view_details(session: Session, user: User | None, need: Need) -> bool:
    return details_refusal(session, user, need).allowed


def shows_org_name(session: Session, user: User | None, need: Need) -> bool:
    """An anonymous need hides its enterprise except from the owner, the bureau and invited/granted
    providers."""
    if not need.anonymous:
        return True
    if user is None:
        return False
    return is_owner(user, need) or user.is_bureau_staff or has_grant(session, user, need)


def shows_contact(session: Session, user: User | None, need: Need, *, responded: bool = False) -> bool:
    """Contact details go with the details, except that an anonymous need shows its contact only
    to a provider the enterprise has chosen to talk to (``responded``: its proposal shortlisted or
    selected, market.views.need_view), or to the bureau."""
    if not can_view_details(session, user, need):
        return False
    if not need.anonymous or _insider(session, user, need):
        return True
    return responded


def visible_needs(user: User | None) -> ColumnElement[bool]:
    """The one filter of the needs a viewer may see at all (lists, exports, duplicate hints): the
    bureau sees every need; anyone else the published ones, plus their organisation's own and the
    ones they are assigned to review."""
    if user is not None and user.is_bureau_staff:
        return true()
    visible: ColumnElement[bool] = Need.status.in_([s.value for s in PUBLIC_STATUSES])
    if user is None:
        return visible
    assigned = select(ExpertAssignment.need_id).where(ExpertAssignment.expert_id == user.id)
    return or_(visible, Need.org_id == user.org_id, Need.id.in_(assigned))


# --- actions -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What the action rules need to know about a viewer and a need, read once."""

    user: User | None
    need: Need
    owner: bool
    bureau: bool
    assigned: bool
    granted: bool
    pending_scores: int
    pending_revision: NeedRevision | None
    scored: int = 0  # experts who submitted scores
    min_scores: int = 0  # the office setting: experts who must have scored before approval

    @classmethod
    def read(cls, session: Session, user: User | None, need: Need) -> Facts:
        owner = is_owner(user, need)
        bureau = user is not None and user.is_bureau_staff
        pending_scores = 0
        scored = 0
        min_scores = 0
        if bureau and need.status == S.submitted:
            pending_scores = session.scalar(
                select(func.count(ExpertAssignment.id)).where(
                    ExpertAssignment.need_id == need.id, ExpertAssignment.submitted_at.is_(None)
                )
            ) or 0
            scored = session.scalar(
                select(func.count(ExpertAssignment.id)).where(
                    ExpertAssignment.need_id == need.id, ExpertAssignment.submitted_at.is_not(None)
                )
            ) or 0
            min_scores = office.get(session, office.MIN_EXPERT_SCORES)
        revision = None
        if (owner or bureau) and need.status in PUBLIC_STATUSES:
            revision = pending_revision(session, need)
        return cls(
            user=user,
            need=need,
            owner=owner,
            bureau=bureau,
            assigned=is_assigned_expert(session, user, need),
            granted=user is not None and not owner and not bureau and has_grant(session, user, need),
            pending_scores=int(pending_scores),
            pending_revision=revision,
            scored=int(scored),
            min_scores=min_scores,
        )


def pending_revision(session: Session, need: Need) -> NeedRevision | None:
    return session.scalar(
        select(NeedRevision).where(NeedRevision.need_id == need.id, NeedRevision.status == "pending")
    )


def edit_note(need: Need) -> str | None:
    """What saving an edit does in the need's current state, in the words the form shows."""
    if need.status == S.approved:
        return "该需求已审核通过，保存修改后将重新进入科技局审核。"
    if need.status == S.submitted:
        return "该需求正在审核中，保存的修改将一并审核。"
    if need.status in REVISED_UNDER_REVIEW:
        return (
            "该需求已发榜：联系人、联系电话和延后截止日期的更正立即生效；其余修改提交科技局审核，"
            "审核通过前公开页面仍显示当前版本。"
        )
    return None


def _state(need: Need, verb: str) -> Action:
    return refuse_state(f"需求当前状态为「{need_machine.label(need.status)}」，{verb}")


def _owner_only(f: Facts, what: str) -> Action | None:
    return None if f.owner else deny(f"只有发榜企业可以{what}")


def _bureau_only(f: Facts, what: str) -> Action | None:
    return None if f.bureau else deny(f"只有科技局工作人员可以{what}")


def edit(f: Facts) -> Action:
    """The owner edits a need until a partner is selected; a published need's edit is a revision."""
    if refusal := _owner_only(f, "修改需求"):
        return refusal
    if f.need.status not in EDITABLE_BY_OWNER:
        return _state(f.need, "不能修改")
    return allow()


def submit(f: Facts) -> Action:
    """Only a verified enterprise submits its draft (or returned) need for review."""
    if refusal := _owner_only(f, "提交需求"):
        return refusal
    if f.need.status not in SUBMITTABLE:
        return _state(f.need, "不能提交审核")
    assert f.user is not None
    if not f.user.org.is_verified:
        return deny("单位尚未通过科技局认证，暂不能提交需求")
    return allow()


def withdraw(f: Facts) -> Action:
    """The owner withdraws a need at any step the lifecycle allows (up to a selected partner)."""
    if refusal := _owner_only(f, "撤回需求"):
        return refusal
    if not need_machine.can(f.need.status, S.withdrawn):
        return _state(f.need, "不能撤回")
    return allow()


def comment(f: Facts) -> Action:
    """The bureau and the owning enterprise discuss a need."""
    if f.owner or f.bureau:
        return allow()
    # The thread is private: for anyone else it does not exist.
    return deny("只有发榜企业和科技局可以发表意见", NeedNotFound)


def upload(f: Facts) -> Action:
    """The owner attaches drawings and specifications in any status."""
    return _owner_only(f, "上传需求附件") or allow()


def view_responses(f: Facts) -> Action:
    """The responses to a need are read by its enterprise, its assigned experts and the bureau."""
    if not (f.owner or f.bureau or f.assigned):
        return deny("需求不存在或无权查看其揭榜方案", NeedNotFound)
    if f.need.published_at is None:
        return _state(f.need, "尚无揭榜方案")
    return allow()


def invite(f: Facts) -> Action:
    """The owner invites providers while the need is open for responses."""
    if refusal := _owner_only(f, "邀请揭榜单位"):
        return refusal
    if f.need.status not in OPEN_FOR_RESPONSES:
        return _state(f.need, "不能邀请揭榜")
    return allow()


def accept_terms(f: Facts) -> Action:
    """A verified provider accepts an nda need's confidentiality terms to read its details."""
    user = f.user
    if user is None:
        return deny("请先登录")
    if not user.org.is_provider:
        return deny("只有高校、科研院所和服务商可以申请查看需求详情")
    if f.need.disclosure != "nda":
        return deny("该需求无需签署保密承诺" if f.need.disclosure == "public" else "该需求仅对受邀单位公开详情")
    if f.granted or f.owner or f.bureau or f.assigned:
        return refuse_state("已可查看需求详情")
    if not user.org.is_verified:
        return deny("单位尚未通过科技局认证")
    if f.need.status not in PUBLIC_STATUSES:
        return refuse_state("需求尚未发榜")
    return allow()


def _review(f: Facts, what: str) -> Action:
    if refusal := _bureau_only(f, "审核需求"):
        return refusal
    if f.need.status != S.submitted:
        return _state(f.need, what)
    return allow()


def approve(f: Facts) -> Action:
    """A need advances only when every assigned expert has scored it, and at least as many experts
    as the office setting asks (default two)."""
    answer = _review(f, "不能审核通过")
    if answer.allowed and f.pending_scores:
        return refuse_state(f"还有 {f.pending_scores} 位专家未完成评分，不能通过审核")
    if answer.allowed and f.scored < f.min_scores:
        return refuse_state(f"须至少 {f.min_scores} 位专家完成评分后才能通过审核（目前 {f.scored} 位）")
    return answer


def send_back(f: Facts) -> Action:
    return _review(f, "不能退回修改")


def reject(f: Facts) -> Action:
    return _review(f, "不能驳回")


def assign_expert(f: Facts) -> Action:
    if refusal := _bureau_only(f, "安排专家评审"):
        return refusal
    if f.need.status not in (S.submitted, S.approved):
        return refuse_state("只有待审核或已通过的需求可以安排专家评审")
    return allow()


def score(f: Facts) -> Action:
    """Only an assigned expert scores, and only until the bureau has decided."""
    if not f.assigned:
        return deny("没有分配给您的评审任务", AssignmentNotFound)
    if f.need.status != S.submitted:
        return _state(f.need, "评审已结束，不能再修改评分")
    return allow()


def recommend(f: Facts) -> Action:
    """Provider recommendations for a need are for its owner and the bureau, once it is submitted."""
    if not (f.owner or f.bureau):
        return deny("只有发榜企业和科技局可以查看推荐")
    if f.need.status == S.draft:
        return _state(f.need, "提交后可查看推荐的揭榜方")
    return allow()


def manage(f: Facts) -> Action:
    """The enterprise's management page of its need."""
    return _owner_only(f, "管理需求") or allow()


def open_review(f: Facts) -> Action:
    """The bureau's review page of a need."""
    return _bureau_only(f, "审核需求") or allow()


def review_revision(f: Facts) -> Action:
    """The bureau reviews an edit of a published need."""
    if refusal := _bureau_only(f, "审核需求修改"):
        return refusal
    if f.pending_revision is None:
        return refuse_state("该需求没有待审核的修改")
    return allow()


RULES = {
    "edit": edit,
    "submit": submit,
    "withdraw": withdraw,
    "comment": comment,
    "upload": upload,
    "view_responses": view_responses,
    "invite": invite,
    "accept_terms": accept_terms,
    "approve": approve,
    "send_back": send_back,
    "reject": reject,
    "assign_expert": assign_expert,
    "score": score,
    "recommend": recommend,
    "review_revision": review_revision,
    "manage": manage,
    "open_review": open_review,
}


def need_actions(session: Session, user: User | None, need: Need, *, respond: Action | None = None) -> NeedActions:
    """Every action of this viewer on this need, each allowed or refused with its reason.
    Responding is the responses concept's answer (``market.responses.access.respond``), passed in."""
    f = Facts.read(session, user, need)
    view = details_refusal(session, user, need)
    return NeedActions(
        view_details=view,
        respond=respond or deny("只有高校、科研院所和服务商可以揭榜"),
        **{name: rule(f) for name, rule in RULES.items()},
    )


def require(session: Session, user: User | None, need: Need, action: str) -> Facts:
    """Raise the refusal of ``action`` as its domain error (what the services call)."""
    f = Facts.read(session, user, need)
    RULES[action](f).require()
    return f
