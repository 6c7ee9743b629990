"""Reads of batches, through the viewer's eyes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.batches import access
from market.batches import service as batches
from market.batches.exceptions import BatchNotFound
from market.batches.models import Batch
from market.batches.schemas import BatchOut, NoticeNeed, NoticeOut, ObjectionActions, ObjectionOut
from market.batches.states import BatchStatus, batch_machine
from market.needs.models import Need, NeedObjection
from market.orgs.models import User
from market.vocab import DISCLOSURES


def present(session: Session, user: User | None, batch: Batch, count: int | None = None) -> BatchOut:
    """The batch with its need count, its label and the viewer's actions."""
    if count is None:
        count = len(batches.batch_need_ids(session, batch.id))
    return BatchOut.model_validate(batch).model_copy(
        update={
            "need_count": count,
            "status_label": batch_machine.label(batch.status),
            "actions": access.batch_actions(session, user, batch),
        }
    )


HOW_TO_OBJECT = (
    "公示期内，任何单位和个人均可登录后对榜单中的需求提出异议（请写明理由，可附联系方式）。"
    "科技局逐条核查并书面答复，答复通过站内通知告知异议人；异议处理完毕且公示期满后榜单方可发布。"
)


def _notice_need(need: Need) -> NoticeNeed:
    """The public sees on notice what the need's disclosure level allows: a public or nda need's
    summary fields; an invite-only need's title and classification only. An anonymous need hides
    its enterprise."""
    invite = need.disclosure == "invite"
    return NoticeNeed(
        id=need.id,
        title=need.title,
        industry=need.industry,
        track=need.track,
        county=need.county,
        disclosure=need.disclosure,
        disclosure_label=DISCLOSURES.get(need.disclosure, need.disclosure),
        summary=None if invite else need.summary,
        budget_min_wan=None if invite else need.budget_min_wan,
        budget_max_wan=None if invite else need.budget_max_wan,
        cooperation_mode=None if invite else need.cooperation_mode,
        org_name=None if need.anonymous else need.org.name,
    )


def objection_out(session: Session, user: User | None, objection: NeedObjection, title: str = "") -> ObjectionOut:
    return ObjectionOut(
        id=objection.id,
        need_id=objection.need_id,
        need_title=title,
        body=objection.body,
        at=objection.at,
        resolved=objection.resolved,
        resolution=objection.resolution,
        resolved_at=objection.resolved_at,
        actions=ObjectionActions(resolve=access.resolve(user, objection)),
    )


def notices(session: Session) -> list[Batch]:
    """Batches on public notice, the latest notice first."""
    return list(
        session.scalars(
            select(Batch).where(Batch.status == BatchStatus.notice).order_by(Batch.notice_start.desc(), Batch.id.desc()).limit(100)
        )
    )


def notice(session: Session, user: User | None, batch_id: int, today: dt.date | None = None) -> NoticeOut:
    """The public notice of a batch: 404 unless it is on notice."""
    batch = session.get(Batch, batch_id)
    if batch is None or batch.status != BatchStatus.notice:
        raise BatchNotFound()
    today = today or access.today_local()
    rows = session.scalars(select(Need).where(Need.batch_id == batch.id).order_by(Need.id).limit(1000)).all()
    titles = {n.id: n.title for n in rows}
    mine: list[ObjectionOut] = []
    if user is not None and rows:
        own = session.scalars(
            select(NeedObjection)
            .where(NeedObjection.user_id == user.id, NeedObjection.need_id.in_(list(titles)))
            .order_by(NeedObjection.id)
        ).all()
        mine = [objection_out(session, user, o, titles.get(o.need_id, "")) for o in own]
    return NoticeOut(
        batch_id=batch.id,
        title=batch.title,
        status=batch.status,
        status_label=batch_machine.label(batch.status),
        notice_start=batch.notice_start,
        notice_end=batch.notice_end,
        open_now=access.on_notice(batch, today),
        how_to_object=HOW_TO_OBJECT,
        needs=[_notice_need(n) for n in rows],
        object=access.object_to(user, batch, today),
        my_objections=mine,
    )
