"""Batches (榜单) API: compose, public notice with objections, schedule, publish, export."""

from __future__ import annotations

from fastapi import APIRouter, status

from market import flows
from market.batches import queries, service
from market.batches.schemas import BatchCreate, BatchNeedsIn, BatchOut, NoticeIn, ScheduleIn
from market.db import DbId, utcnow
from market.needs.schemas import ObjectionIn, ObjectionResolveIn
from web.deps import BureauUser, CurrentUser, OptionalUser, SessionDep
from web.errors import RESPONSES_READ, RESPONSES_WRITE

router = APIRouter(tags=["榜单 batches"])


@router.get("/batches", response_model=list[BatchOut])
def list_batches(session: SessionDep, user: OptionalUser) -> list[BatchOut]:
    """榜单列表：公众只见已发布榜单，科技局可见全部。"""
    counts = service.need_counts(session)
    return [queries.present(session, user, b, counts.get(b.id, 0)) for b in service.list_batches(session, user)]


@router.post("/batches", response_model=BatchOut, status_code=status.HTTP_201_CREATED, responses=RESPONSES_WRITE)
def create_batch(batch_in: BatchCreate, session: SessionDep, user: CurrentUser) -> BatchOut:
    """新建榜单，按年度自动编号（如 2026年第3批）。"""
    return queries.present(session, user, service.create_batch(session, user, batch_in), 0)


@router.get("/batches/{batch_id}", response_model=BatchOut, responses=RESPONSES_READ)
def get_batch(batch_id: DbId, session: SessionDep, user: OptionalUser) -> BatchOut:
    return queries.present(session, user, service.batch_for_viewer(session, user, batch_id))


@router.post("/batches/{batch_id}/needs", response_model=BatchOut, responses=RESPONSES_WRITE)
def add_needs(batch_id: DbId, needs_in: BatchNeedsIn, session: SessionDep, user: CurrentUser) -> BatchOut:
    batch = service.add_needs(session, user, batch_id, needs_in.need_ids)
    return queries.present(session, user, batch)


@router.delete("/batches/{batch_id}/needs/{need_id}", response_model=BatchOut, responses=RESPONSES_WRITE)
def remove_need(batch_id: DbId, need_id: DbId, session: SessionDep, user: CurrentUser) -> BatchOut:
    batch = service.remove_need(session, user, batch_id, need_id)
    return queries.present(session, user, batch)


@router.post("/batches/{batch_id}/notice", response_model=BatchOut, responses=RESPONSES_WRITE)
def start_notice(batch_id: DbId, notice_in: NoticeIn, session: SessionDep, user: CurrentUser) -> BatchOut:
    """开始公示，公示期内可提出异议。"""
    batch = service.start_notice(session, user, batch_id, notice_in.notice_start, notice_in.notice_end)
    return queries.present(session, user, batch)


@router.post("/batches/{batch_id}/schedule", response_model=BatchOut, responses=RESPONSES_WRITE)
def schedule(batch_id: DbId, schedule_in: ScheduleIn, session: SessionDep, user: CurrentUser) -> BatchOut:
    """定时发布：到期后由后台任务自动发布。"""
    batch = service.schedule(session, user, batch_id, schedule_in.publish_on)
    return queries.present(session, user, batch)


@router.post("/batches/{batch_id}/publish", response_model=BatchOut, responses=RESPONSES_WRITE)
def publish(batch_id: DbId, session: SessionDep, user: CurrentUser) -> BatchOut:
    """立即发布榜单（须处理完全部公示异议）。"""
    batch = flows.publish_batch(session, user, batch_id)
    return queries.present(session, user, batch)


@router.post("/needs/{need_id}/objections", status_code=201, responses=RESPONSES_WRITE)
def raise_objection(need_id: DbId, objection_in: ObjectionIn, session: SessionDep, user: CurrentUser) -> dict[str, int]:
    """公示期内对需求提出异议。"""
    objection = service.raise_objection(session, user, need_id, objection_in.body, utcnow().date())
    return {"id": objection.id}


@router.post("/objections/{objection_id}/resolve", status_code=204, responses=RESPONSES_WRITE)
def resolve_objection(objection_id: DbId, resolve_in: ObjectionResolveIn, session: SessionDep, user: BureauUser) -> None:
    service.resolve_objection(session, user, objection_id, resolve_in.resolution)
