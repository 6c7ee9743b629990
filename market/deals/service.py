"""Deals (对接→签约→实施→验收→转化): the rules for opening and moving a deal along.

Both parties of the deal (the enterprise and the selected provider) record its progress; the bureau
may view every deal and record on the parties' behalf. Every stage change is kept in
``DealStageChange`` and the audit log, and the need follows its deal.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market.attachments import service as attachments
from market.attachments.models import Attachment
from market.audit import service as audit
from market.db import CST, utcnow
from market.deals import access
from market.deals.exceptions import DealNotFound
from market.deals.models import Deal, DealDocument, DealMilestone, DealStageChange
from market.deals.schemas import (
    DOCUMENT_KINDS,
    MAX_DOCUMENTS_PER_MILESTONE,
    MAX_MILESTONES,
    DealAdvance,
    MilestoneDoneIn,
    MilestoneIn,
)
from market.deals.states import FINAL, DealStage, deal_machine
from market.errors import Conflict, Invalid, NotFound
from market.needs.models import Need
from market.notifications import service as notify
from market.orgs.models import User
from market.responses.models import Response

D = DealStage

# Facts each target stage must record, and the ones it may record.
REQUIRED: dict[str, tuple[str, ...]] = {
    D.signed: ("contract_amount_wan", "signed_on"),
    D.accepted: ("accepted_on", "outcome"),
    D.converted: ("converted_on",),
    D.failed: ("failure_reason",),
}
ALLOWED: dict[str, tuple[str, ...]] = {**REQUIRED, D.converted: ("converted_on", "outcome")}
FIELD_LABELS = {
    "contract_amount_wan": "合同金额（万元）",
    "signed_on": "签约日期",
    "accepted_on": "验收日期",
    "converted_on": "转化日期",
    "outcome": "验收结论/转化成效",
    "failure_reason": "未成交原因",
}


def today_local() -> dt.date:
    return dt.datetime.now(CST).date()


def get_deal(session: Session, deal_id: int) -> Deal:
    deal = session.get(Deal, deal_id)
    if deal is None:
        raise DealNotFound()
    return deal


def deal_for_viewer(session: Session, user: User | None, deal_id: int) -> Deal:
    """Only the two parties and the bureau know a deal exists."""
    deal = get_deal(session, deal_id)
    if not access.can_view(user, deal):
        raise DealNotFound()
    return deal


def _change(session: Session, deal: Deal, actor: User | None, old: str, new: str, note: str) -> None:
    session.add(DealStageChange(deal_id=deal.id, actor_id=actor.id if actor else None, from_stage=old, to_stage=new, note=note))
    audit.record(session, actor.id if actor else None, "deal.stage", "deal", deal.id, {"from": old, "to": new, "note": note})


def open_deal(session: Session, actor: User, response: Response, need: Need) -> Deal:
    """Selecting a response opens its deal at 对接 (matched); one deal per response."""
    deal = Deal(
        need_id=need.id,
        response_id=response.id,
        enterprise_org_id=need.org_id,
        provider_org_id=response.org_id,
        stage=D.matched,
    )
    session.add(deal)
    session.flush()
    _change(session, deal, actor, "", D.matched, "选定揭榜方，进入对接")
    notify.notify_bureau(session, "deal.opened", f"新对接项目：{need.title}", link=f"/bureau/deals/{deal.id}")
    return deal


def _validate(deal: Deal, advance_in: DealAdvance) -> None:
    target = advance_in.stage
    details: list[dict[str, str]] = []
    for field in REQUIRED.get(target, ()):
        value = getattr(advance_in, field)
        if value is None or (isinstance(value, str) and not value.strip()):
            details.append({"field": field, "message": f"进入「{deal_machine.label(target)}」须填写{FIELD_LABELS[field]}"})
    allowed = ALLOWED.get(target, ())
    for field in FIELD_LABELS:
        if field not in allowed and getattr(advance_in, field) is not None:
            details.append({"field": field, "message": f"进入「{deal_machine.label(target)}」时不填写{FIELD_LABELS[field]}"})
    today = today_local()
    for field in ("signed_on", "accepted_on", "converted_on"):
        value = getattr(advance_in, field)
        if value is not None and value > today:
            details.append({"field": field, "message": f"{FIELD_LABELS[field]}不能晚于今天"})
    if advance_in.accepted_on and deal.signed_on and advance_in.accepted_on < deal.signed_on:
        details.append({"field": "accepted_on", "message": "验收日期不能早于签约日期"})
    if advance_in.converted_on and deal.accepted_on and advance_in.converted_on < deal.accepted_on:
        details.append({"field": "converted_on", "message": "转化日期不能早于验收日期"})
    if details:
        raise Invalid("；".join(d["message"] for d in details), details=details)


def advance(session: Session, actor: User, deal_id: int, advance_in: DealAdvance) -> Deal:
    """Move a deal one stage on (or to failed), recording the facts that stage requires: signing
    needs the contract amount and date, acceptance its date and outcome, conversion its date,
    failure a reason. The need follows through ``market.flows.advance_deal``."""
    deal = deal_for_viewer(session, actor, deal_id)
    target = advance_in.stage
    access.advance_to(actor, deal, target).require()
    _validate(deal, advance_in)
    old = deal.stage
    for field in ALLOWED.get(target, ()):
        value = getattr(advance_in, field)
        if value is not None:
            setattr(deal, field, value)
    deal.stage = target
    deal.updated_at = utcnow()
    note = advance_in.note or (advance_in.failure_reason or "")
    _change(session, deal, actor, old, target, note)
    title = session.scalar(select(Need.title).where(Need.id == deal.need_id)) or ""
    label = deal_machine.label(target)
    body = advance_in.failure_reason or advance_in.note or ""
    link = f"/deals/{deal.id}"
    for org_id in (deal.enterprise_org_id, deal.provider_org_id):
        if org_id != actor.org_id:
            notify.notify_org(session, org_id, "deal.stage", f"对接项目「{title}」进入：{label}", body, link)
    session.flush()
    return deal


def open_deal_of_need(session: Session, need_id: int) -> Deal | None:
    """The need's deal that is still going (one selected partner at a time)."""
    return session.scalar(
        select(Deal).where(Deal.need_id == need_id, Deal.stage.not_in(list(FINAL))).order_by(Deal.id.desc())
    )


def add_milestone(session: Session, actor: User, deal_id: int, milestone_in: MilestoneIn) -> DealMilestone:
    """Either party plans milestones while the deal is open (``access.edit_milestones``); a deal
    holds at most ``MAX_MILESTONES``."""
    deal = deal_for_viewer(session, actor, deal_id)
    access.edit_milestones(actor, deal).require()
    count = session.scalar(select(func.count()).select_from(DealMilestone).where(DealMilestone.deal_id == deal.id)) or 0
    if count >= MAX_MILESTONES:
        raise Conflict(f"一个对接项目最多 {MAX_MILESTONES} 个里程碑")
    milestone = DealMilestone(deal_id=deal.id, title=milestone_in.title, due_on=milestone_in.due_on, note=milestone_in.note)
    session.add(milestone)
    session.flush()
    audit.record(
        session, actor.id, "deal.milestone_added", "deal", deal.id,
        {"milestone_id": milestone.id, "title": milestone.title, "due_on": str(milestone.due_on or "")},
    )  # fmt: skip
    return milestone


def complete_milestone(
    session: Session, actor: User, deal_id: int, milestone_id: int, done_in: MilestoneDoneIn
) -> DealMilestone:
    """Either party marks a milestone done, on a day not after today (China Standard Time)."""
    deal = deal_for_viewer(session, actor, deal_id)
    access.edit_milestones(actor, deal).require()
    milestone = _milestone_of(session, deal, milestone_id)
    if milestone.done_on is not None:
        raise Conflict("该里程碑已完成")
    done_on = done_in.done_on or today_local()
    if done_on > today_local():
        raise Invalid.field("done_on", "完成日期不能晚于今天")
    milestone.done_on = done_on
    if done_in.note is not None:
        milestone.note = done_in.note
    session.flush()
    audit.record(
        session, actor.id, "deal.milestone_done", "deal", deal.id,
        {"milestone_id": milestone.id, "title": milestone.title, "done_on": str(done_on)},
    )  # fmt: skip
    return milestone


def _milestone_of(session: Session, deal: Deal, milestone_id: int) -> DealMilestone:
    milestone = session.get(DealMilestone, milestone_id)
    if milestone is None or milestone.deal_id != deal.id:
        raise NotFound("里程碑不存在")
    return milestone


def attach_document(
    session: Session, actor: User, deal_id: int, milestone_id: int, *, kind: str, filename: str, data: bytes,
    max_bytes: int, quota_bytes: int | None = None,
) -> DealDocument:
    """Either party attaches a milestone's document (合同, 验收报告, other) while the deal is open.
    The file is an attachment of the deal: its size, type and the organisation's quota are checked
    as every upload's (``market.attachments``), and a refused file stores nothing."""
    deal = deal_for_viewer(session, actor, deal_id)
    access.edit_milestones(actor, deal).require()
    milestone = _milestone_of(session, deal, milestone_id)
    if kind not in DOCUMENT_KINDS:
        raise Invalid.field("kind", "请选择文件类型：" + "、".join(DOCUMENT_KINDS.values()))
    count = session.scalar(select(func.count()).select_from(DealDocument).where(DealDocument.milestone_id == milestone.id)) or 0
    if count >= MAX_DOCUMENTS_PER_MILESTONE:
        raise Invalid.field("file", f"一个里程碑最多 {MAX_DOCUMENTS_PER_MILESTONE} 份文件")
    att = attachments.store(
        session, owner_type="deal", owner_id=deal.id, filename=filename, data=data, max_bytes=max_bytes,
        uploaded_by=actor.id, quota_bytes=quota_bytes,
    )  # fmt: skip
    doc = DealDocument(deal_id=deal.id, milestone_id=milestone.id, attachment_id=att.id, kind=kind)
    session.add(doc)
    session.flush()
    audit.record(
        session, actor.id, "deal.document_added", "deal", deal.id,
        {"milestone_id": milestone.id, "title": milestone.title, "kind_label": DOCUMENT_KINDS[kind], "filename": att.filename},
    )  # fmt: skip
    return doc


def document_for_viewer(session: Session, user: User | None, deal_id: int, document_id: int) -> Attachment:
    """A milestone document's file, for the deal's parties and the bureau; anyone else, or a
    document of another deal, is not found."""
    deal = deal_for_viewer(session, user, deal_id)
    doc = session.get(DealDocument, document_id)
    if doc is None or doc.deal_id != deal.id:
        raise NotFound("文件不存在")
    att = session.get(Attachment, doc.attachment_id)
    if att is None:
        raise NotFound("文件不存在")
    return att
