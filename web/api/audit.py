"""The audit log for bureau staff: search with filters, a record's history, export. Read only —
the log is append-only."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel

from market import exports, views
from market.audit.queries import AuditFilter
from web.api.common import Paginated
from web.api.exports import XLSX, xlsx_response
from web.deps import BureauUser, PageDep, SessionDep
from web.errors import responses

router = APIRouter(prefix="/audit", tags=["审计 audit"])


class AuditEntryOut(BaseModel):
    id: int
    at: dt.datetime
    actor_id: int | None
    actor_name: str | None
    action: str
    object_type: str
    object_id: int | None
    data: dict[str, Any]


def _filter(
    actor_id: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="操作人")] = None,
    action: Annotated[str | None, Query(max_length=50, description="操作（前缀匹配，如 need.）")] = None,
    object_type: Annotated[str | None, Query(max_length=30, description="对象类型，如 need、batch、recognition")] = None,
    object_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    date_from: Annotated[dt.date | None, Query(description="起始日期（中国标准时间，含）")] = None,
    date_to: Annotated[dt.date | None, Query(description="截止日期（中国标准时间，含）")] = None,
) -> AuditFilter:
    return AuditFilter(actor_id, action, object_type, object_id, date_from, date_to)


FilterDep = Annotated[AuditFilter, Depends(_filter)]


def _out(entry: Any, name: str | None) -> AuditEntryOut:
    return AuditEntryOut(
        id=entry.id, at=entry.at, actor_id=entry.actor_id, actor_name=name, action=entry.action,
        object_type=entry.object_type, object_id=entry.object_id, data=dict(entry.data or {}),
    )  # fmt: skip


@router.get("", response_model=Paginated[AuditEntryOut], responses=responses(401, 403, 422))
def search(session: SessionDep, user: BureauUser, page: PageDep, f: FilterDep) -> Paginated[AuditEntryOut]:
    """审计日志检索（科技局）：按操作人、操作、对象、日期筛选，最新在前。日志只能追加，不能修改或删除。"""
    rows, total = views.audit_page(session, f, limit=page.per_page, offset=page.offset)
    return Paginated(items=[_out(e, n) for e, n in rows], total=total, page=page.page, per_page=page.per_page)


@router.get("/export.xlsx", response_class=Response, responses={**XLSX, **responses(401, 403, 422)})
def export(session: SessionDep, user: BureauUser, f: FilterDep) -> Response:
    """按相同筛选条件导出审计日志（最多 5000 条）。"""
    return xlsx_response(exports.audit_export(session, user, f), "审计日志.xlsx")
