"""Needs (发榜): the rules for creating, editing, reviewing and disclosing a need.

Every change writes the row, an audit entry and (when an index may change) an outbox entry in the
caller's transaction. Services never commit. Who may do what is ``market.needs.access``; steps that
reach into other concepts (withdrawing a need with open proposals, publishing a batch) are in
``market.flows``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.attachments import service as attachments
from market.attachments.models import Attachment
from market.audit import service as audit
from market.db import utcnow
from market.errors import Conflict, Forbidden, Invalid, NotFound
from market.needs import access
from market.needs.exceptions import NeedNotFound, SuggestionNotFound
from market.needs.models import (
    ExpertAssignment,
    Need,
    NeedAccessGrant,
    NeedComment,
    NeedRevision,
    NeedTransition,
)
from market.needs.schemas import FIELD_LABELS, CommentIn, NeedCreate, NeedUpdate, ScoresIn
from market.needs.states import OPEN_FOR_RESPONSES, REVISED_UNDER_REVIEW, NeedStatus, need_machine
from market.notifications import service as notify
from market.orgs import access as org_access
from market.orgs.models import Organisation, OrgKind, Role, User
from market.outbox import service as outbox
from market.vocab import REVIEW_REASONS

S = NeedStatus
# What review needs beyond the schema's required fields (the Excel import checks the same).
REQUIRED_FOR_REVIEW = ("problem", "indicators")
# Corrections of a published need that apply at once (recorded in its timeline); every other change
# of a published need is a revision the bureau reviews. A later deadline is a correction too.
CORRECTION_FIELDS = ("contact_name", "contact_phone")


def get_need(session: Session, need_id: int) -> Need:
    need = session.get(Need, need_id)
    if need is None:
        raise NeedNotFound()
    return need


def need_for_viewer(session: Session, user: User | None, need_id: int) -> Need:
    """A need the viewer may at least see the summary of; otherwise it does not exist for them."""
    need = get_need(session, need_id)
    if not access.can_view_summary(session, user, need):
        raise NeedNotFound()
    return need


def need_for_owner(session: Session, user: User, need_id: int) -> Need:
    need = need_for_viewer(session, user, need_id)
    if not access.is_owner(user, need):
        raise Forbidden("只有发榜企业可以执行此操作")
    return need


def add_attachment(
    session: Session, actor: User, need_id: int, *, filename: str, data: bytes, max_bytes: int,
    quota_bytes: int | None = None,
) -> Attachment:
    """The owning enterprise attaches drawings and specifications to its need, in any status;
    size and type are checked by the attachment store."""
    need = need_for_viewer(session, actor, need_id)
    access.require(session, actor, need, "upload")
    return attachments.store(
        session, owner_type="need", owner_id=need.id, filename=filename, data=data, max_bytes=max_bytes, uploaded_by=actor.id, quota_bytes=quota_bytes
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


# --- editing and revisions -------------------------------------------------------------------


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _is_correction(field: str, old: Any, new: Any) -> bool:
    if field in CORRECTION_FIELDS:
        return True
    # More time for providers is a correction; less time, or a deadline where there was none, is not.
    return field == "deadline" and old is not None and (new is None or new > old)


@dataclass(frozen=True)
class EditOutcome:
    """What an edit did: the fields changed now, and the fields waiting for the bureau's review."""

    need: Need
    applied: tuple[str, ...] = ()
    proposed: tuple[str, ...] = ()
    back_to_review: bool = False


def update_need(session: Session, actor: User, need_id: int, need_in: NeedUpdate) -> EditOutcome:
    """The owner edits its need until a partner is selected. A draft, returned or submitted need
    changes at once (an approved one goes back to review). A published need keeps its reviewed
    text in public: corrections (contact details, a later deadline) apply at once and are recorded,
    every other change becomes a revision the bureau reviews; a newer edit replaces a pending one."""
    need = need_for_viewer(session, actor, need_id)
    facts = access.require(session, actor, need, "edit")
    data = need_in.model_dump()
    changed = {k: v for k, v in data.items() if getattr(need, k) != v}
    if not changed:
        return EditOutcome(need)
    if need.status not in REVISED_UNDER_REVIEW:
        for key, value in changed.items():
            setattr(need, key, value)
        need.version += 1
        need.updated_at = utcnow()
        audit.record(session, actor.id, "need.updated", "need", need.id, {"fields": sorted(changed)})
        back = need.status == S.approved
        if back:
            _move(session, need, actor, S.submitted, reason_text="审核通过后修改，重新审核")
        else:
            outbox.enqueue(session, "need", need.id)
        session.flush()
        return EditOutcome(need, applied=tuple(sorted(changed)), back_to_review=back)
    corrections = {k: v for k, v in changed.items() if _is_correction(k, getattr(need, k), v)}
    revised = {k: v for k, v in changed.items() if k not in corrections}
    if corrections:
        session.add(
            NeedRevision(
                need_id=need.id, kind="correction", status="applied", proposed_by=actor.id, base_version=need.version,
                changes={k: _json(v) for k, v in corrections.items()},
                previous={k: _json(getattr(need, k)) for k in corrections},
            )
        )
        for key, value in corrections.items():
            setattr(need, key, value)
        need.updated_at = utcnow()
        audit.record(session, actor.id, "need.corrected", "need", need.id, {"fields": sorted(corrections)})
        outbox.enqueue(session, "need", need.id)
    if revised:
        if facts.pending_revision is not None:
            facts.pending_revision.status = "superseded"
        session.add(
            NeedRevision(
                need_id=need.id, kind="revision", status="pending", proposed_by=actor.id, base_version=need.version,
                changes={k: _json(v) for k, v in revised.items()},
                previous={k: _json(getattr(need, k)) for k in revised},
            )
        )
        audit.record(session, actor.id, "need.revision_proposed", "need", need.id, {"fields": sorted(revised)})
        notify.notify_bureau(
            session, "need.revision", f"已发榜需求的修改待审核：{need.title}",
            "修改：" + "、".join(FIELD_LABELS.get(k, k) for k in sorted(revised)), f"/bureau/review/{need.id}",
        )
    session.flush()
    return EditOutcome(need, applied=tuple(sorted(corrections)), proposed=tuple(sorted(revised)))


def approve_revision(session: Session, actor: User, need_id: int, note: str = "") -> tuple[Need, NeedRevision]:
    """The bureau accepts an edit of a published need: the public text changes and the version goes up."""
    need = get_need(session, need_id)
    facts = access.require(session, actor, need, "review_revision")
    revision = facts.pending_revision
    assert revision is not None
    current = {k: getattr(need, k) for k in NeedUpdate.model_fields}
    merged = NeedUpdate.model_validate({**current, **revision.changes})
    for key in revision.changes:
        setattr(need, key, getattr(merged, key))
    need.version += 1
    need.updated_at = utcnow()
    revision.status = "approved"
    revision.reviewed_by, revision.reviewed_at, revision.reason_text = actor.id, utcnow(), note
    audit.record(session, actor.id, "need.revision_approved", "need", need.id, {"revision_id": revision.id})
    outbox.enqueue(session, "need", need.id)
    notify.notify_org(
        session, need.org_id, "need.revision_approved", f"需求修改已审核通过：{need.title}", note, f"/enterprise/needs/{need.id}"
    )
    session.flush()
    return need, revision


def return_revision(session: Session, actor: User, need_id: int, reason_code: str, reason_text: str) -> NeedRevision:
    """The bureau returns an edit of a published need; the published version stays as it was."""
    need = get_need(session, need_id)
    facts = access.require(session, actor, need, "review_revision")
    _check_reason(reason_code)
    revision = facts.pending_revision
    assert revision is not None
    revision.status = "returned"
    revision.reviewed_by, revision.reviewed_at = actor.id, utcnow()
    revision.reason_code, revision.reason_text = reason_code, reason_text
    audit.record(session, actor.id, "need.revision_returned", "need", need.id, {"revision_id": revision.id, "reason_code": reason_code})
    notify.notify_org(
        session, need.org_id, "need.revision_returned", f"需求修改未通过审核：{need.title}",
        f"{REVIEW_REASONS[reason_code]}。{reason_text}", f"/enterprise/needs/{need.id}",
    )
    session.flush()
    return revision


def revisions_of(session: Session, need: Need) -> Sequence[NeedRevision]:
    return session.scalars(
        select(NeedRevision).where(NeedRevision.need_id == need.id).order_by(NeedRevision.id.desc())
    ).all()


# --- review -----------------------------------------------------------------------------------


def submit(session: Session, actor: User, need_id: int) -> Need:
    """Only a verified enterprise submits for review."""
    need = need_for_viewer(session, actor, need_id)
    access.require(session, actor, need, "submit")
    missing = [f for f in REQUIRED_FOR_REVIEW if not getattr(need, f).strip()]
    if missing:
        raise Invalid(
            "提交审核前请补充：" + "、".join(FIELD_LABELS[f] for f in missing),
            details=[{"field": f, "message": f"请填写{FIELD_LABELS[f]}"} for f in missing],
        )
    _move(session, need, actor, S.submitted)
    notify.notify_bureau(session, "need.submitted", f"新需求待审核：{need.title}", link=f"/bureau/review/{need.id}")
    session.flush()
    return need


def _check_reason(reason_code: str) -> None:
    if reason_code not in REVIEW_REASONS:
        raise Invalid.field("reason_code", "请从列表中选择原因")


def _refuse(
    session: Session, actor: User, need_id: int, action: str, target: str, reason_code: str, reason_text: str, headline: str
) -> Need:
    """Every return or rejection carries a structured reason, and the enterprise is told it."""
    need = get_need(session, need_id)
    access.require(session, actor, need, action)
    _check_reason(reason_code)
    _move(session, need, actor, target, reason_code=reason_code, reason_text=reason_text)
    notify.notify_org(
        session, need.org_id, f"need.{target}", f"{headline}：{need.title}",
        f"{REVIEW_REASONS[reason_code]}。{reason_text}", f"/enterprise/needs/{need.id}",
    )
    session.flush()
    return need


def return_for_changes(session: Session, actor: User, need_id: int, reason_code: str, reason_text: str) -> Need:
    """The bureau returns a need so the enterprise knows what to fix."""
    return _refuse(session, actor, need_id, "send_back", S.returned, reason_code, reason_text, "需求被退回修改")


def reject(session: Session, actor: User, need_id: int, reason_code: str, reason_text: str) -> Need:
    return _refuse(session, actor, need_id, "reject", S.rejected, reason_code, reason_text, "需求未通过审核")


def approve(session: Session, actor: User, need_id: int, note: str = "") -> Need:
    """A need advances only when every assigned expert has scored it."""
    need = get_need(session, need_id)
    access.require(session, actor, need, "approve")
    _move(session, need, actor, S.approved, reason_text=note)
    notify.notify_org(session, need.org_id, "need.approved", f"需求已通过审核：{need.title}", link=f"/enterprise/needs/{need.id}")
    session.flush()
    return need


# --- leaving the list ---------------------------------------------------------------------------


def withdraw(session: Session, actor: User, need_id: int, reason_text: str = "") -> Need:
    """The owner withdraws a need (``market.flows.withdraw_need`` closes what hangs off it)."""
    need = need_for_viewer(session, actor, need_id)
    access.require(session, actor, need, "withdraw")
    _move(session, need, actor, S.withdrawn, reason_code="other", reason_text=reason_text or "企业撤回")
    session.flush()
    return need


def overdue(session: Session, today: dt.date) -> Sequence[Need]:
    """Open needs past their deadline."""
    return session.scalars(
        select(Need).where(Need.status.in_(list(OPEN_FOR_RESPONSES)), Need.deadline.is_not(None), Need.deadline < today)
    ).all()


def expire(session: Session, need: Need) -> None:
    """An open need past its deadline expires (the job loop calls this through the flows)."""
    _move(session, need, None, S.expired, reason_text="已过揭榜截止日期")


def mark_taken_up(session: Session, need: Need, actor: User) -> None:
    """The first response moves a published need to taken up (已揭榜)."""
    if need.status == S.published:
        _move(session, need, actor, S.taken_up)


def move_with_deal(session: Session, need: Need, actor: User | None, target: str) -> None:
    """Deals and responses move the need along (selected, contracted, converted, back to taken up)."""
    if need.status != target and need_machine.can(need.status, target):
        _move(session, need, actor, target)


def publish_in_batch(session: Session, need: Need, actor: User | None, when: dt.datetime, batch_title: str) -> None:
    """An approved need goes on the public list with its batch, and its enterprise is told."""
    _move(session, need, actor, S.published, reason_text=f"随{batch_title}发布")
    if need.published_at is None:
        need.published_at = when
    notify.notify_org(
        session, need.org_id, "need.published", f"您的需求已随{batch_title}发榜：{need.title}",
        "揭榜方现在可以查看并揭榜，收到方案时将通知您。", f"/enterprise/needs/{need.id}",
    )


# --- comments and refine-together (凝练技术问题) -------------------------------------------------


def add_comment(session: Session, actor: User, need_id: int, comment_in: CommentIn) -> NeedComment:
    """The bureau and the owning enterprise discuss a need; the bureau may suggest rewordings."""
    need = get_need(session, need_id)
    if not access.comment(access.Facts.read(session, actor, need)).allowed:
        raise NeedNotFound()
    if comment_in.suggested_changes and not actor.is_bureau_staff:
        raise Forbidden("只有科技局服务团队可以提出凝练建议")
    comment = NeedComment(
        need_id=need.id, author_id=actor.id, body=comment_in.body, suggested_changes=comment_in.suggested_changes
    )
    session.add(comment)
    session.flush()
    audit.record(session, actor.id, "need.commented", "need", need.id, {"comment_id": comment.id})
    if access.is_owner(actor, need):
        notify.notify_bureau(session, "need.comment", f"企业回复：{need.title}", comment.body[:200], f"/bureau/review/{need.id}")
    else:
        notify.notify_org(session, need.org_id, "need.comment", f"科技局对需求提出意见：{need.title}", comment.body[:200], f"/enterprise/needs/{need.id}")
    return comment


def accept_suggestion(session: Session, actor: User, need_id: int, comment_id: int) -> Need:
    """The enterprise adopts the bureau's refined wording. The bureau wrote it, so it needs no
    second review: an approved need goes back to review as any edit does, a published need's text
    changes at once and the adoption is kept among its revisions."""
    need = need_for_viewer(session, actor, need_id)
    access.require(session, actor, need, "edit")
    comment = session.get(NeedComment, comment_id)
    if comment is None or comment.need_id != need.id or not comment.suggested_changes:
        raise SuggestionNotFound()
    changes = dict(comment.suggested_changes)
    if need.status in REVISED_UNDER_REVIEW:
        session.add(
            NeedRevision(
                need_id=need.id, kind="revision", status="approved", proposed_by=comment.author_id,
                reviewed_by=comment.author_id, reviewed_at=utcnow(), base_version=need.version,
                changes=changes, previous={k: getattr(need, k) for k in changes}, reason_text="采纳科技局凝练建议",
            )
        )
    for key, value in changes.items():
        setattr(need, key, value)
    need.version += 1
    need.updated_at = utcnow()
    audit.record(session, actor.id, "need.suggestion_accepted", "need", need.id, {"comment_id": comment.id})
    if need.status == S.approved:
        _move(session, need, actor, S.submitted, reason_text="采纳凝练建议，重新审核")
    else:
        outbox.enqueue(session, "need", need.id)
    session.flush()
    return need


def list_comments(session: Session, actor: User, need_id: int) -> Sequence[NeedComment]:
    need = get_need(session, need_id)
    if not access.comment(access.Facts.read(session, actor, need)).allowed:
        raise NeedNotFound()
    return session.scalars(select(NeedComment).where(NeedComment.need_id == need.id).order_by(NeedComment.id)).all()


# --- expert review --------------------------------------------------------------------------------


def assign_expert(session: Session, actor: User, need_id: int, expert_id: int) -> ExpertAssignment:
    """The bureau assigns experts; an expert from the need's own organisation, or one who declared
    a conflict of interest with it, is recused."""
    need = get_need(session, need_id)
    access.require(session, actor, need, "assign_expert")
    expert = session.get(User, expert_id)
    if expert is None or not expert.is_expert:
        raise Invalid.field("expert_id", "该用户不是评审专家")
    if expert.org_id == need.org_id:
        raise Conflict("专家与发榜企业属于同一单位，须回避", code="expert_recused")
    if org_access.is_recused(session, expert, need.org_id):
        raise Conflict("专家已申报与发榜企业存在利益冲突，须回避", code="expert_recused")
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
    """Only the assigned expert scores, and only until the bureau has decided; a resubmission
    replaces the scores."""
    need = get_need(session, need_id)
    access.require(session, actor, need, "score")
    assignment = session.scalar(
        select(ExpertAssignment).where(ExpertAssignment.need_id == need_id, ExpertAssignment.expert_id == actor.id)
    )
    assert assignment is not None
    assignment.scores = dict(scores_in.scores)
    assignment.comment = scores_in.comment
    assignment.submitted_at = utcnow()
    session.flush()
    audit.record(session, actor.id, "need.scored", "need", need_id, {"scores": assignment.scores})
    return assignment


def assignments_for(session: Session, actor: User, need_id: int) -> Sequence[ExpertAssignment]:
    if not actor.is_bureau_staff:
        raise Forbidden("只有科技局工作人员可以查看专家评审")
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
    facts = access.Facts.read(session, actor, need)
    if facts.granted:
        existing = session.scalar(
            select(NeedAccessGrant).where(NeedAccessGrant.need_id == need.id, NeedAccessGrant.org_id == actor.org_id)
        )
        assert existing is not None
        return existing
    access.accept_terms(facts).require()
    grant = NeedAccessGrant(need_id=need.id, org_id=actor.org_id, kind="nda_accepted", user_id=actor.id, terms_version=need.version)
    session.add(grant)
    session.flush()
    audit.record(session, actor.id, "need.terms_accepted", "need", need.id, {"org_id": actor.org_id, "version": need.version})
    return grant


def invite(session: Session, actor: User, need_id: int, org_id: int) -> NeedAccessGrant:
    """The enterprise invites a provider, which may then read the details."""
    need = need_for_owner(session, actor, need_id)
    access.require(session, actor, need, "invite")
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
