"""Batches (榜单) API: compose, public notice with objections, schedule, publish, export."""

from __future__ import annotations

from fastapi import APIRouter, status

from market import flows
from market.batches import queries, service
from market.batches.schemas import (
    BatchCreate,
    BatchNeedsIn,
    BatchOut,
    NoticeIn,
    NoticeOut,
    ObjectionOut,
    ScheduleIn,
)
from market.db import DbId
from market.needs.schemas import ObjectionIn, ObjectionResolveIn
from web.deps import BureauUser, CurrentUser, OptionalUser, SessionDep
from web.errors import RESPONSES_PUBLIC, RESPONSES_READ, RESPONSES_WRITE, responses

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
    """榜单：公示中和已发布的榜单公开，其余仅科技局可见。"""
    return queries.present(session, user, service.batch_for_viewer(session, user, batch_id))


@router.get("/notices", response_model=list[BatchOut])
def list_notices(session: SessionDep, user: OptionalUser) -> list[BatchOut]:
    """公示中的榜单（公开）。"""
    counts = service.need_counts(session)
    return [queries.present(session, user, b, counts.get(b.id, 0)) for b in queries.notices(session)]


@router.get("/notices/{batch_id}", response_model=NoticeOut, responses=RESPONSES_PUBLIC)
def get_notice(batch_id: DbId, session: SessionDep, user: OptionalUser) -> NoticeOut:
    """榜单公示：需求（按各自的公开范围只显示允许公开的字段）、公示期（中国标准时间）、异议方式；登录后可见本人异议及答复。"""
    return queries.notice(session, user, batch_id)


@router.get("/batches/{batch_id}/objections", response_model=list[ObjectionOut], responses=responses(401, 403, 404))
def list_objections(batch_id: DbId, session: SessionDep, user: BureauUser) -> list[ObjectionOut]:
    """科技局查看榜单的全部公示异议及答复。"""
    service.get_batch(session, batch_id)
    return [queries.objection_out(session, user, o) for o in service.objections_of_batch(session, batch_id)]


@router.post("/batches/{batch_id}/notice/withdraw", response_model=BatchOut, responses=RESPONSES_WRITE)
def withdraw_notice(batch_id: DbId, session: SessionDep, user: CurrentUser) -> BatchOut:
    """撤回公示（回到编制中，调整后须重新公示）。"""
    return queries.present(session, user, service.withdraw_notice(session, user, batch_id))


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
    """开始公示（起止日期按中国标准时间，含首尾，至少包含办公设置规定的工作日数，缺省 5 个），公示期内可提出异议。"""
    batch = service.start_notice(session, user, batch_id, notice_in.notice_start, notice_in.notice_end)
    return queries.present(session, user, batch)


@router.post("/batches/{batch_id}/schedule", response_model=BatchOut, responses=RESPONSES_WRITE)
def schedule(batch_id: DbId, schedule_in: ScheduleIn, session: SessionDep, user: CurrentUser) -> BatchOut:
    """定时发布：发布日期须在公示期结束之后；到期且异议全部答复后由后台任务自动发布。"""
    batch = service.schedule(session, user, batch_id, schedule_in.publish_on)
    return queries.present(session, user, batch)


@router.post("/batches/{batch_id}/publish", response_model=BatchOut, responses=RESPONSES_WRITE)
def publish(batch_id: DbId, session: SessionDep, user: CurrentUser) -> BatchOut:
    """发布榜单：须经公示、公示期满且公示异议全部答复。"""
    batch = flows.publish_batch(session, user, batch_id)
    return queries.present(session, user, batch)


@router.post("/needs/{need_id}/objections", status_code=201, responses=RESPONSES_WRITE)
def raise_objection(need_id: DbId, objection_in: ObjectionIn, session: SessionDep, user: CurrentUser) -> dict[str, int]:
    """公示期内（中国标准时间）对需求提出异议：须登录并写明理由，留痕，科技局书面答复。"""
    objection = service.raise_objection(session, user, need_id, objection_in.body)
    return {"id": objection.id}


@router.post("/objections/{objection_id}/resolve", response_model=ObjectionOut, responses=RESPONSES_WRITE)
def resolve_objection(objection_id: DbId, resolve_in: ObjectionResolveIn, session: SessionDep, user: BureauUser) -> ObjectionOut:
    """科技局书面答复异议，答复通过站内通知告知异议人。"""
    return queries.objection_out(session, user, service.resolve_objection(session, user, objection_id, resolve_in.resolution))
