"""Excel exports: a published batch (public), the needs list (as the viewer sees it), the responses
to a need (its reviewers), the deals (bureau)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from market import exports
from market.batches import service as batches
from market.db import CST, DB_INT_MAX, DbId
from market.deals.queries import DealFilter
from market.needs.queries import NeedFilter
from market.responses import service as responses_service
from web.deps import BureauUser, CurrentUser, OptionalUser, SessionDep
from web.downloads import download
from web.errors import responses

router = APIRouter(tags=["导出 exports"])

XLSX: dict[int | str, dict[str, Any]] = {200: {"content": {exports.XLSX_MEDIA_TYPE: {}}, "description": "Excel 文件（xlsx）"}}


def xlsx_response(data: bytes, filename: str) -> Response:
    return download(data, filename, exports.XLSX_MEDIA_TYPE)


def _stamp() -> str:
    return dt.datetime.now(CST).strftime("%Y%m%d")


@router.get("/batches/{batch_id}/export.xlsx", response_class=Response, responses={**XLSX, **responses(404)})
def export_batch(batch_id: DbId, session: SessionDep, user: OptionalUser) -> Response:
    """导出榜单（公开字段，按序编号）：已发布榜单人人可导出，未发布的仅科技局。"""
    batch = batches.batch_for_viewer(session, user, batch_id)
    return xlsx_response(exports.batch_export(session, user, batch), f"榜单_{batch.title}.xlsx")


@router.get("/exports/needs.xlsx", response_class=Response, responses={**XLSX, **responses(422)})
def export_needs(
    session: SessionDep,
    user: OptionalUser,
    q: Annotated[str | None, Query(max_length=100)] = None,
    status_: Annotated[str | None, Query(alias="status", max_length=20)] = None,
    industry: Annotated[str | None, Query(max_length=40)] = None,
    county: Annotated[str | None, Query(max_length=20)] = None,
    track: Annotated[str | None, Query(pattern="^(digital|green|both)$")] = None,
    batch_id: Annotated[int | None, Query(ge=1, le=DB_INT_MAX)] = None,
    mine: Annotated[bool, Query(description="仅本单位的需求")] = False,
    order: Annotated[str, Query(pattern="^(newest|updated|deadline|budget)$")] = "newest",
) -> Response:
    """按与需求列表相同的筛选和可见范围导出需求清单。"""
    f = NeedFilter(q=q, status=status_, industry=industry, county=county, track=track, batch_id=batch_id, mine=mine)
    return xlsx_response(exports.needs_export(session, user, f, order=order), f"需求清单_{_stamp()}.xlsx")


@router.get("/exports/needs/{need_id}/responses.xlsx", response_class=Response, responses={**XLSX, **responses(401, 404, 409, 422)})
def export_responses(need_id: DbId, session: SessionDep, user: CurrentUser) -> Response:
    """导出某需求收到的揭榜方案（发榜企业、评审专家、科技局）。"""
    need = responses_service.need_for_reviewer(session, user, need_id)
    return xlsx_response(exports.responses_export(session, user, need), f"揭榜方案_需求{need.id}_{_stamp()}.xlsx")


@router.get("/exports/deals.xlsx", response_class=Response, responses={**XLSX, **responses(401, 403, 422)})
def export_deals(
    session: SessionDep,
    user: BureauUser,
    stage: Annotated[str | None, Query(pattern="^(matched|intent|signed|in_progress|accepted|converted|failed)$")] = None,
    county: Annotated[str | None, Query(max_length=20)] = None,
    industry: Annotated[str | None, Query(max_length=40)] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="对接年度（按对接开始时间）")] = None,
) -> Response:
    """科技局导出对接项目清单。"""
    f = DealFilter(stage=stage, county=county, industry=industry, year=year)
    return xlsx_response(exports.deals_export(session, user, f), f"对接项目_{_stamp()}.xlsx")
