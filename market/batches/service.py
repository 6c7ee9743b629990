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
from market.db import utcnow
from market.errors import Conflict, Forbidden, NotFound
from market.needs import service as needs
from market.needs.models import Need, NeedObjection
from market.needs.states import NeedStatus
from market.notifications import service as notify
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


def start_notice(session: Session, actor: User, batch_id: int, start: dt.date, end: dt.date) -> Batch:
    """Public notice (公示) of the shortlisted needs; objections may be raised until the end date."""
    batch = get_batch(session, batch_id)
    access.move_to(actor, batch, B.notice, "不能开始公示").require()
    if not batch_need_ids(session, batch.id):
        raise Conflict("榜单中还没有需求")
    batch.notice_start, batch.notice_end = start, end
    _move(session, actor, batch, B.notice, {"notice_start": str(start), "notice_end": str(end)})
    session.flush()
    return batch


def raise_objection(session: Session, actor: User, need_id: int, body: str, today: dt.date) -> NeedObjection:
    """Anyone signed in may object to a need during its batch's notice window."""
    need = needs.get_need(session, need_id)
    batch = session.get(Batch, need.batch_id) if need.batch_id else None
    if batch is None or batch.status != B.notice or batch.notice_start is None or batch.notice_end is None:
        raise Conflict("该需求不在公示期内")
    if not batch.notice_start <= today <= batch.notice_end:
        raise Conflict(f"公示期为 {batch.notice_start} 至 {batch.notice_end}，当前不在公示期内")
    objection = NeedObjection(need_id=need.id, user_id=actor.id, body=body)
    session.add(objection)
    session.flush()
    audit.record(session, actor.id, "need.objection", "need", need.id, {"objection_id": objection.id})
    notify.notify_bureau(session, "need.objection", f"公示异议：{need.title}", body[:200], f"/bureau/batches/{batch.id}")
    return objection


def resolve_objection(session: Session, actor: User, objection_id: int, resolution: str) -> NeedObjection:
    _require_bureau(actor)
    objection = session.get(NeedObjection, objection_id)
    if objection is None:
        raise NotFound("异议不存在")
    objection.resolved = True
    objection.resolution = resolution
    audit.record(session, actor.id, "need.objection_resolved", "need", objection.need_id, {"objection_id": objection.id})
    session.flush()
    return objection


def schedule(session: Session, actor: User, batch_id: int, publish_on: dt.date) -> Batch:
    batch = get_batch(session, batch_id)
    access.move_to(actor, batch, B.scheduled, "不能定时发布").require()
    batch.publish_on = publish_on
    _move(session, actor, batch, B.scheduled, {"publish_on": str(publish_on)})
    session.flush()
    return batch


def publish(session: Session, actor: User | None, batch_id: int, now: dt.datetime | None = None) -> tuple[Batch, list[Need]]:
    """Publishing needs every objection resolved. Returns the batch and its approved needs, which
    ``market.flows.publish_batch`` puts on the list (and tells everyone)."""
    batch = get_batch(session, batch_id)
    if actor is not None:
        access.move_to(actor, batch, B.published, "不能发布").require()
    now = now or utcnow()
    need_ids = batch_need_ids(session, batch.id)
    if not need_ids:
        raise Conflict("榜单中还没有需求")
    open_objections = session.scalar(
        select(func.count(NeedObjection.id)).where(NeedObjection.need_id.in_(need_ids), NeedObjection.resolved.is_(False))
    )
    if open_objections:
        raise Conflict(f"还有 {open_objections} 条公示异议未处理，不能发布")
    _move(session, actor, batch, B.published)
    batch.published_at = now
    session.flush()
    approved = session.scalars(select(Need).where(Need.id.in_(need_ids), Need.status == NeedStatus.approved).order_by(Need.id))
    return batch, list(approved)


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
