"""Needs (发榜): the rules for creating, editing, reviewing and disclosing a need.

Every change writes the row, an audit entry and (when the public index may change) an outbox
entry in the caller's transaction. Services never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.attachments import service as attachments
from market.attachments.models import Attachment
from market.audit import service as audit
from market.batches.models import Batch
from market.db import utcnow
from market.errors import Conflict, Forbidden, IllegalTransition, Invalid, NotFound
from market.needs import access
from market.needs.models import (
    ExpertAssignment,
    Need,
    NeedAccessGrant,
    NeedComment,
    NeedTransition,
)
from market.needs.schemas import FIELD_LABELS, CommentIn, NeedCreate, NeedUpdate, ScoresIn
from market.needs.states import EDITABLE_BY_OWNER, PUBLIC_STATUSES, NeedStatus, need_machine
from market.notifications import service as notify
from market.orgs.models import Organisation, OrgKind, Role, User
from market.outbox import service as outbox
from market.vocab import REASON_CODES

S = NeedStatus
# What review needs beyond the schema's required fields (the Excel import checks the same).
REQUIRED_FOR_REVIEW = ("problem", "indicators")


def get_need(session: Session, need_id: int) -> Need:
    need = session.get(Need, need_id)
    if need is None:
        raise NotFound("需求不存在")
    return need


def need_for_viewer(session: Session, user: User | None, need_id: int) -> Need:
    """A need the viewer may at least see the summary of; otherwise it does not exist for them."""
    need = get_need(session, need_id)
    if not access.can_view_summary(session, user, need):
        raise NotFound("需求不存在")
    return need


def need_for_owner(session: Session, user: User, need_id: int) -> Need:
    need = need_for_viewer(session, user, need_id)
    if not access.is_owner(user, need):
        raise Forbidden("只有发榜企业可以执行此操作")
    return need


def add_attachment(
    session: Session, actor: User, need_id: int, *, filename: str, data: bytes, max_bytes: int
) -> Attachment:
    """The owning enterprise attaches drawings and specifications to its need, in any status;
    size and type are checked by the attachment store."""
    need = need_for_owner(session, actor, need_id)
    return attachments.store(
        session, owner_type="need", owner_id=need.id, filename=filename, data=data, max_bytes=max_bytes, uploaded_by=actor.id
    )


def _move(
    session: Session,
    need: Need,
    actor: User | None,
    target: str,
    *,
    reason_code: str | None = None,
    reason_text: str = "",
) -> None:
    need_machine.check(need.status, target)
    old = need.status
    need.status = target
    need.updated_at = utcnow()
    session.add(
        NeedTransition(
            need_id=need.id,
            actor_id=actor.id if actor else None,
            from_status=old,
            to_status=target,
            reason_code=reason_code,
            reason_text=reason_text,
        )
    )
    audit.record(
        session,
        actor.id if actor else None,
        "need.transition",
        "need",
        need.id,
        {"from": old, "to": target, "reason_code": reason_code, "reason_text": reason_text},
    )
    # The public index holds published needs; the bureau index holds all of them.
    outbox.enqueue(session, "need", need.id)


def create_need(session: Session, actor: User, need_in: NeedCreate) -> Need:
    """Only enterprises post needs (发榜); a new need starts as a draft of the actor's organisation."""
    if actor.org.kind != OrgKind.enterprise:
        raise Forbidden("只有企业用户可以发布需求")
    need = Need(org_id=actor.org_id, created_by=actor.id, status=S.draft, **need_in.model_dump())
    session.add(need)
    session.flush()
    audit.record(session, actor.id, "need.created", "need", need.id, {"title": need.title})
    outbox.enqueue(session, "need", need.id)
    return need


def update_need(session: Session, actor: User, need_id: int, need_in: NeedUpdate) -> Need:
    """The owner edits while draft, returned or under review; editing an approved or published need
    sends the change back to review."""
    need = need_for_owner(session, actor, need_id)
    if need.status not in EDITABLE_BY_OWNER:
        raise Conflict(f"需求处于「{need_machine.label(need.status)}」状态，不能修改")
    changed = {k: v for k, v in need_in.model_dump().items() if getattr(need, k) != v}
    for key, value in changed.items():
        setattr(need, key, value)
    need.version += 1
    need.updated_at = utcnow()
    audit.record(session, actor.id, "need.updated", "need", need.id, {"fields": sorted(changed)})
    if need.status in (S.approved, S.published, S.taken_up):
        _move(session, need, actor, S.submitted, reason_text="发榜后修改，重新审核")
    else:
        outbox.enqueue(session, "need", need.id)
    session.flush()
    return need


def submit(session: Session, actor: User, need_id: int) -> Need:
    """Only a verified enterprise submits for review."""
    need = need_for_owner(session, actor, need_id)
    if need.status not in (S.draft, S.returned):
        raise IllegalTransition(f"需求当前状态为「{need_machine.label(need.status)}」，不能提交审核")
    if not actor.org.is_verified:
        raise Forbidden("单位尚未通过科技局认证，暂不能提交需求")
    missing = [f for f in REQUIRED_FOR_REVIEW if not getattr(need, f).strip()]
    if missing:
        raise Invalid(
            "提交审核前请补充：" + "、".join(FIELD_LABELS[f] for f in missing),
            details=[{"field": f, "message": "必填"} for f in missing],
        )
    _move(session, need, actor, S.submitted)
    notify.notify_bureau(session, "need.submitted", f"新需求待审核：{need.title}", link=f"/bureau/review/{need.id}")
    session.flush()
    return need


def _require_bureau(actor: User) -> None:
    if not actor.is_bureau_staff:
        raise Forbidden("只有科技局工作人员可以审核需求")


def _check_reason(reason_code: str) -> None:
    if reason_code not in REASON_CODES:
        raise Invalid.field("reason_code", "原因代码不存在")


def _refuse(
    session: Session, actor: User, need_id: int, target: str, reason_code: str, reason_text: str, headline: str
) -> Need:
    """Every return or rejection carries a structured reason, and the enterprise is told it."""
    _require_bureau(actor)
    _check_reason(reason_code)
    need = get_need(session, need_id)
    _move(session, need, actor, target, reason_code=reason_code, reason_text=reason_text)
    notify.notify_org(
        session, need.org_id, f"need.{target}", f"{headline}：{need.title}",
        f"{REASON_CODES[reason_code]}。{reason_text}", f"/enterprise/needs/{need.id}",
    )
    session.flush()
    return need


def return_for_changes(session: Session, actor: User, need_id: int, reason_code: str, reason_text: str) -> Need:
    """The bureau returns a need so the enterprise knows what to fix."""
    return _refuse(session, actor, need_id, S.returned, reason_code, reason_text, "需求被退回修改")


def reject(session: Session, actor: User, need_id: int, reason_code: str, reason_text: str) -> Need:
    return _refuse(session, actor, need_id, S.rejected, reason_code, reason_text, "需求未通过审核")


def approve(session: Session, actor: User, need_id: int, note: str = "") -> Need:
    """A need advances only when every assigned expert has scored it. A re-edited need that already
    sits in a published batch goes straight back on the list."""
    _require_bureau(actor)
    need = get_need(session, need_id)
    pending = session.scalars(
        select(ExpertAssignment).where(ExpertAssignment.need_id == need.id, ExpertAssignment.submitted_at.is_(None))
    ).all()
    if pending:
        raise Conflict(f"还有 {len(pending)} 位专家未完成评分，不能通过审核")
    _move(session, need, actor, S.approved, reason_text=note)
    if need.batch_id is not None:
        batch = session.get(Batch, need.batch_id)
        if batch is not None and batch.status == "published":
            _move(session, need, actor, S.published, reason_text="修改已审核，恢复发榜")
    notify.notify_org(session, need.org_id, "need.approved", f"需求已通过审核：{need.title}", link=f"/enterprise/needs/{need.id}")
    session.flush()
    return need


def withdraw(session: Session, actor: User, need_id: int, reason_text: str = "") -> Need:
    """The owner withdraws a need; providers with open proposals are told, with the reason."""
    need = need_for_owner(session, actor, need_id)
    _move(session, need, actor, S.withdrawn, reason_code="other", reason_text=reason_text or "企业撤回")
    _tell_open_responders(session, need, f"需求已撤回：{need.title}", reason_text or "发榜企业撤回了该需求")
    session.flush()
    return need


def _tell_open_responders(session: Session, need: Need, title: str, body: str) -> None:
    """No provider is left waiting on a need that closed without a decision."""
    from market.responses.models import Response

    org_ids = session.scalars(
        select(Response.org_id).where(Response.need_id == need.id, Response.status.in_(("submitted", "shortlisted")))
    ).all()
    for org_id in sorted(set(org_ids)):
        notify.notify_org(session, org_id, "need.closed", title, body, f"/needs/{need.id}")


def expire_overdue(session: Session, today: dt.date) -> int:
    """Open needs past their deadline expire (run by the worker loop)."""
    needs = session.scalars(
        select(Need).where(Need.status.in_([S.published, S.taken_up]), Need.deadline.is_not(None), Need.deadline < today)
    ).all()
    for need in needs:
        _move(session, need, None, S.expired, reason_text="已过揭榜截止日期")
        _tell_open_responders(session, need, f"需求已过期：{need.title}", "该需求已过揭榜截止日期，未选定揭榜方")
    session.flush()
    return len(needs)


def mark_taken_up(session: Session, need: Need, actor: User) -> None:
    """The first response moves a published need to taken up (已揭榜)."""
    if need.status == S.published:
        _move(session, need, actor, S.taken_up)


def move_with_deal(session: Session, need: Need, actor: User | None, target: str) -> None:
    """Deals and responses move the need along (selected, contracted, converted)."""
    if need.status != target and need_machine.can(need.status, target):
        _move(session, need, actor, target)


def publish_in_batch(session: Session, need: Need, actor: User | None, when: dt.datetime) -> None:
    _move(session, need, actor, S.published, reason_text=f"随榜单发布（批次 {need.batch_id}）")
    if need.published_at is None:
        need.published_at = when


# --- comments and refine-together (凝练技术问题) -------------------------------------------------


def add_comment(session: Session, actor: User, need_id: int, comment_in: CommentIn) -> NeedComment:
    """The bureau and the owning enterprise discuss a need; the bureau may suggest rewordings."""
    need = get_need(session, need_id)
    if not (access.is_owner(actor, need) or actor.is_bureau_staff):
        raise NotFound("需求不存在")
    if comment_in.suggested_changes and not actor.is_bureau_staff:
        raise Forbidden("只有科技局服务团队可以提出凝练建议")
    comment = NeedComment(
        need_id=need.id, author_id=actor.id, body=comment_in.body, suggested_changes=comment_in.suggested_changes
    )
    session.add(comment)
    session.flush()
    audit.record(session, actor.id, "need.commented", "need", need.id, {"comment_id": comment.id})
    target = "bureau" if access.is_owner(actor, need) else "owner"
    if target == "owner":
        notify.notify_org(session, need.org_id, "need.comment", f"科技局对需求提出意见：{need.title}", comment.body[:200], f"/enterprise/needs/{need.id}")
    else:
        notify.notify_bureau(session, "need.comment", f"企业回复：{need.title}", comment.body[:200], f"/bureau/review/{need.id}")
    return comment


def accept_suggestion(session: Session, actor: User, need_id: int, comment_id: int) -> Need:
    """The enterprise adopts the bureau's refined wording; the change is audited like any edit."""
    need = need_for_owner(session, actor, need_id)
    comment = session.get(NeedComment, comment_id)
    if comment is None or comment.need_id != need.id or not comment.suggested_changes:
        raise NotFound("凝练建议不存在")
    if need.status not in EDITABLE_BY_OWNER:
        raise Conflict("当前状态不能修改需求")
    for key, value in comment.suggested_changes.items():
        setattr(need, key, value)
    need.version += 1
    audit.record(session, actor.id, "need.suggestion_accepted", "need", need.id, {"comment_id": comment.id})
    if need.status in (S.approved, S.published, S.taken_up):
        _move(session, need, actor, S.submitted, reason_text="采纳凝练建议，重新审核")
    else:
        outbox.enqueue(session, "need", need.id)
    session.flush()
    return need


def list_comments(session: Session, actor: User, need_id: int) -> Sequence[NeedComment]:
    need = get_need(session, need_id)
    if not (access.is_owner(actor, need) or actor.is_bureau_staff):
        raise NotFound("需求不存在")
    return session.scalars(select(NeedComment).where(NeedComment.need_id == need.id).order_by(NeedComment.id)).all()


# --- expert review --------------------------------------------------------------------------------


def assign_expert(session: Session, actor: User, need_id: int, expert_id: int) -> ExpertAssignment:
    """The bureau assigns experts; an expert from the need's own organisation is recused."""
    _require_bureau(actor)
    need = get_need(session, need_id)
    if need.status not in (S.submitted, S.approved):
        raise Conflict("只有待审核或已通过的需求可以安排专家评审")
    expert = session.get(User, expert_id)
    if expert is None or not expert.is_expert:
        raise Invalid.field("expert_id", "该用户不是评审专家")
    if expert.org_id == need.org_id:
        raise Conflict("专家与发榜企业属于同一单位，须回避", code="expert_recused")
    exists = session.scalar(
        select(ExpertAssignment.id).where(ExpertAssignment.need_id == need.id, ExpertAssignment.expert_id == expert.id)
    )
    if exists:
        raise Conflict("该专家已分配到此需求")
    assignment = ExpertAssignment(need_id=need.id, expert_id=expert.id, assigned_by=actor.id)
    session.add(assignment)
    session.flush()
    audit.record(session, actor.id, "need.expert_assigned", "need", need.id, {"expert_id": expert.id})
    notify.notify_users(session, [expert.id], "expert.assigned", f"请评审需求：{need.title}", link=f"/expert/needs/{need.id}")
    return assignment


def submit_scores(session: Session, actor: User, need_id: int, scores_in: ScoresIn) -> ExpertAssignment:
    """Only the assigned expert scores, once per criterion set; a resubmission replaces the scores."""
    assignment = session.scalar(
        select(ExpertAssignment).where(ExpertAssignment.need_id == need_id, ExpertAssignment.expert_id == actor.id)
    )
    if assignment is None:
        raise NotFound("没有分配给您的评审任务")
    assignment.scores = dict(scores_in.scores)
    assignment.comment = scores_in.comment
    assignment.submitted_at = utcnow()
    session.flush()
    audit.record(session, actor.id, "need.scored", "need", need_id, {"scores": assignment.scores})
    return assignment


def assignments_for(session: Session, actor: User, need_id: int) -> Sequence[ExpertAssignment]:
    _require_bureau(actor)
    return session.scalars(select(ExpertAssignment).where(ExpertAssignment.need_id == need_id).order_by(ExpertAssignment.id)).all()


def grant_expert_role(session: Session, actor: User, user_id: int) -> User:
    """Only a bureau admin appoints experts (who may belong to any organisation)."""
    if not (actor.is_bureau and actor.has_role(Role.bureau_admin)):
        raise Forbidden("只有科技局管理员可以聘任专家")
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("用户不存在")
    if Role.expert not in user.roles:
        user.roles = [*user.roles, Role.expert.value]
    audit.record(session, actor.id, "user.expert_granted", "user", user.id, {})
    session.flush()
    return user


# --- tiered disclosure ----------------------------------------------------------------------------


def accept_terms(session: Session, actor: User, need_id: int) -> NeedAccessGrant:
    """A verified provider accepts a need's confidentiality terms to read its details (recorded)."""
    need = need_for_viewer(session, actor, need_id)
    if not actor.org.is_provider:
        raise Forbidden("只有高校、科研院所和服务商可以申请查看需求详情")
    if not actor.org.is_verified:
        raise Forbidden("单位尚未通过科技局认证")
    if need.status not in PUBLIC_STATUSES:
        raise Conflict("需求尚未发榜")
    if need.disclosure == "invite":
        raise Forbidden("该需求仅对受邀单位公开详情")
    existing = session.scalar(
        select(NeedAccessGrant).where(NeedAccessGrant.need_id == need.id, NeedAccessGrant.org_id == actor.org_id)
    )
    if existing:
        return existing
    grant = NeedAccessGrant(need_id=need.id, org_id=actor.org_id, kind="nda_accepted", user_id=actor.id, terms_version=need.version)
    session.add(grant)
    session.flush()
    audit.record(session, actor.id, "need.terms_accepted", "need", need.id, {"org_id": actor.org_id, "version": need.version})
    return grant


def invite(session: Session, actor: User, need_id: int, org_id: int) -> NeedAccessGrant:
    """The enterprise invites a provider, which may then read the details."""
    need = need_for_owner(session, actor, need_id)
    org = session.get(Organisation, org_id)
    if org is None or not org.is_provider:
        raise Invalid.field("org_id", "被邀请单位须为高校、科研院所或服务商")
    existing = session.scalar(select(NeedAccessGrant).where(NeedAccessGrant.need_id == need.id, NeedAccessGrant.org_id == org_id))
    if existing:
        return existing
    grant = NeedAccessGrant(need_id=need.id, org_id=org_id, kind="invited", user_id=actor.id)
    session.add(grant)
    session.flush()
    audit.record(session, actor.id, "need.invited", "need", need.id, {"org_id": org_id})
    notify.notify_org(session, org_id, "need.invited", f"企业邀请您揭榜：{need.title}", link=f"/needs/{need.id}")
    return grant
