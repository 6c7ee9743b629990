"""Batches (榜单): composing, public notice (公示) with objections, scheduled publication."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market.audit import service as audit
from market.batches import access
from market.batches.exceptions import BatchNotFound
from market.batches.models import Batch
from market.batches.schemas import BatchCreate
from market.batches.states import BatchStatus, batch_machine
from market.db import CST, utcnow
from market.errors import Conflict, Forbidden, IllegalTransition, Invalid, NotFound
from market.needs import service as needs
from market.needs.models import Need, NeedObjection
from market.needs.states import NeedStatus
from market.notifications import service as notify
from market.office import service as office
from market.office.calendar import working_days as working_days  # the one count, re-exported for callers
from market.orgs.models import User

B = BatchStatus


def _require_bureau(actor: User) -> None:
    if not actor.is_bureau_staff:
        raise Forbidden("只有科技局工作人员可以管理榜单")


def get_batch(session: Session, batch_id: int) -> Batch:
    batch = session.get(Batch, batch_id)
    if batch is None:
        raise BatchNotFound()
    return batch


def batch_for_viewer(session: Session, user: User | None, batch_id: int) -> Batch:
    """A batch the viewer may see (``access.can_view``); for anyone else it does not exist."""
    batch = get_batch(session, batch_id)
    if not access.can_view(user, batch):
        raise BatchNotFound()
    return batch


def create_batch(session: Session, actor: User, batch_in: BatchCreate) -> Batch:
    """Batches are numbered per year in order of creation: 2026年第1批, 第2批, …"""
    _require_bureau(actor)
    seq = (session.scalar(select(func.max(Batch.seq)).where(Batch.year == batch_in.year)) or 0) + 1
    batch = Batch(year=batch_in.year, seq=seq, publish_on=batch_in.publish_on, created_by=actor.id)
    session.add(batch)
    session.flush()
    audit.record(session, actor.id, "batch.created", "batch", batch.id, {"title": batch.title})
    return batch


def add_needs(session: Session, actor: User, batch_id: int, need_ids: Sequence[int]) -> Batch:
    """Only approved needs enter a batch, and only while it is not yet published."""
    batch = get_batch(session, batch_id)
    access.compose(actor, batch).require()
    for need_id in need_ids:
        need = needs.get_need(session, need_id)
        if need.status != NeedStatus.approved:
            raise Conflict(f"需求 #{need.id}「{need.title}」未审核通过，不能列入榜单")
        if need.batch_id not in (None, batch.id):
            raise Conflict(f"需求 #{need.id} 已在其他榜单中")
        need.batch_id = batch.id
    session.flush()
    audit.record(session, actor.id, "batch.needs_added", "batch", batch.id, {"need_ids": list(need_ids)})
    return batch


def remove_need(session: Session, actor: User, batch_id: int, need_id: int) -> Batch:
    batch = get_batch(session, batch_id)
    access.compose(actor, batch).require()
    need = needs.get_need(session, need_id)
    if need.batch_id != batch.id:
        raise NotFound("该需求不在此榜单中")
    need.batch_id = None
    audit.record(session, actor.id, "batch.need_removed", "batch", batch.id, {"need_id": need_id})
    session.flush()
    return batch


def _move(session: Session, actor: User | None, batch: Batch, target: str, data: dict[str, object] | None = None) -> None:
    if actor is not None:
        access.move_to(actor, batch, target, f"不能变为「{batch_machine.label(target)}」").require()
    batch_machine.check(batch.status, target)
    old = batch.status
    batch.status = target
    audit.record(session, actor.id if actor else None, "batch.transition", "batch", batch.id, {"from": old, "to": target, **(data or {})})


def start_notice(
    session: Session, actor: User, batch_id: int, start: dt.date, end: dt.date, today: dt.date | None = None
) -> Batch:
    """Public notice (公示) of the batch's needs; objections may be raised from the start to the end
    date (China Standard Time). The window starts today or later and holds at least the office's
    minimum of working days (default five), public holidays
    and 调休 working weekends counted by the office calendar."""
    batch = get_batch(session, batch_id)
    access.move_to(actor, batch, B.notice, "不能开始公示").require()
    if not batch_need_ids(session, batch.id):
        raise Conflict("榜单中还没有需求")
    office.check_notice_window(session, start, end, today or access.today_local())
    batch.notice_start, batch.notice_end = start, end
    _move(session, actor, batch, B.notice, {"notice_start": str(start), "notice_end": str(end)})
    session.flush()
    return batch


def withdraw_notice(session: Session, actor: User, batch_id: int) -> Batch:
    """The bureau takes a batch off notice to change it; it must then go on notice again."""
    batch = get_batch(session, batch_id)
    access.move_to(actor, batch, B.draft, "不能撤回公示").require()
    if batch.status != B.notice:
        raise IllegalTransition(f"榜单当前状态为「{batch_machine.label(batch.status)}」，不能撤回公示")
    _move(session, actor, batch, B.draft)
    batch.notice_start = batch.notice_end = None
    session.flush()
    return batch


def raise_objection(session: Session, actor: User, need_id: int, body: str, today: dt.date | None = None) -> NeedObjection:
    """Anyone signed in may object to a need during its batch's notice window (China Standard
    Time); the bureau is told, and the objection is audited."""
    need = needs.get_need(session, need_id)
    batch = session.get(Batch, need.batch_id) if need.batch_id else None
    if batch is None:
        raise Conflict("该需求不在公示期内")
    access.object_to(actor, batch, today or access.today_local()).require()
    objection = NeedObjection(need_id=need.id, user_id=actor.id, body=body)
    session.add(objection)
    session.flush()
    audit.record(session, actor.id, "need.objection", "need", need.id, {"objection_id": objection.id, "batch_id": batch.id})
    notify.notify_bureau(session, "need.objection", f"公示异议：{need.title}", body[:200], f"/bureau/batches/{batch.id}")
    return objection


def resolve_objection(session: Session, actor: User, objection_id: int, resolution: str) -> NeedObjection:
    """The bureau answers an objection in writing; the objector is told the answer."""
    objection = session.get(NeedObjection, objection_id)
    if objection is None or not actor.is_bureau_staff:
        if not actor.is_bureau_staff:
            raise Forbidden("只有科技局工作人员可以答复公示异议")
        raise NotFound("异议不存在")
    access.resolve(actor, objection).require()
    resolution = resolution.strip()
    if len(resolution) < 2:
        raise Invalid.field("resolution", "请填写书面答复")
    objection.resolved = True
    objection.resolution = resolution
    objection.resolved_by = actor.id
    objection.resolved_at = utcnow()
    need = session.get(Need, objection.need_id)
    audit.record(
        session, actor.id, "need.objection_resolved", "need", objection.need_id,
        {"objection_id": objection.id, "resolution": resolution},
    )  # fmt: skip
    title = need.title if need else f"需求 #{objection.need_id}"
    link = f"/notices/{need.batch_id}" if need and need.batch_id else "/notices"
    notify.notify_users(session, [objection.user_id], "objection.answered", f"您对「{title}」的公示异议已答复", resolution[:500], link)
    session.flush()
    return objection


def schedule(session: Session, actor: User, batch_id: int, publish_on: dt.date, today: dt.date | None = None) -> Batch:
    """Publish on a date: after the notice period ends; on the day the batch is published once
    every objection is answered (until then it waits)."""
    batch = get_batch(session, batch_id)
    access.move_to(actor, batch, B.scheduled, "不能定时发布").require()
    today = today or access.today_local()
    if batch.notice_end is not None and publish_on <= batch.notice_end:
        raise Invalid.field("publish_on", f"发布日期须在公示期结束（{batch.notice_end.isoformat()}）之后")
    if publish_on < today:
        raise Invalid.field("publish_on", "发布日期不能早于今天")
    batch.publish_on = publish_on
    _move(session, actor, batch, B.scheduled, {"publish_on": str(publish_on)})
    session.flush()
    return batch


def publish(
    session: Session, actor: User | None, batch_id: int, now: dt.datetime | None = None, today: dt.date | None = None
) -> tuple[Batch, list[Need]]:
    """Publishing waits for the end of the notice period and every objection answered. Returns the
    batch and its approved needs, which ``market.flows.publish_batch`` puts on the list (and tells
    everyone)."""
    batch = get_batch(session, batch_id)
    now = now or utcnow()
    facts = access.read_facts(session, batch, today or now.astimezone(CST).date())
    if actor is not None:
        access.move_to(actor, batch, B.published, "不能发布", facts).require()
    access.release(batch, facts).require()
    need_ids = batch_need_ids(session, batch.id)
    if not need_ids:
        raise Conflict("榜单中还没有需求")
    _move(session, actor, batch, B.published)
    batch.published_at = now
    session.flush()
    approved = session.scalars(select(Need).where(Need.id.in_(need_ids), Need.status == NeedStatus.approved).order_by(Need.id))
    return batch, list(approved)


def objections_of_batch(session: Session, batch_id: int) -> list[NeedObjection]:
    return list(
        session.scalars(
            select(NeedObjection)
            .join(Need, Need.id == NeedObjection.need_id)
            .where(Need.batch_id == batch_id)
            .order_by(NeedObjection.id)
            .limit(1000)
        )
    )


def due(session: Session, today: dt.date) -> Sequence[Batch]:
    """Scheduled batches whose publication date has come."""
    return session.scalars(select(Batch).where(Batch.status == B.scheduled, Batch.publish_on <= today)).all()


def batch_need_ids(session: Session, batch_id: int) -> list[int]:
    return list(session.scalars(select(Need.id).where(Need.batch_id == batch_id).order_by(Need.id)).all())


def list_batches(session: Session, user: User | None) -> Sequence[Batch]:
    """The batches the viewer may see, newest first."""
    stmt = select(Batch).where(access.visible_batches(user)).order_by(Batch.year.desc(), Batch.seq.desc())
    return session.scalars(stmt).all()


def need_counts(session: Session) -> dict[int, int]:
    rows = session.execute(select(Need.batch_id, func.count(Need.id)).where(Need.batch_id.is_not(None)).group_by(Need.batch_id)).all()
    # The query excludes a null batch_id; the check narrows the type.
    return {r[0]: r[1] for r in rows if r[0] is not None}
