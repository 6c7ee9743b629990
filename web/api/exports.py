"""Excel exports: a published batch (public), the needs list (as the viewer sees it), the responses
to a need (its reviewers), the deals (bureau)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from market import exports
from market.batches import service as batches
from market.db import CST, DB_INT_MAX, DbId
from market.deals.queries import DealFilter
from market.needs.queries import NeedFilter
from market.recognitions.queries import LedgerFilter
from market.responses import service as responses_service
from web.deps import BureauUser, CurrentUser, OptionalUser, RuntimeDep, SessionDep
from web.downloads import download
from web.errors import responses
from web.runtime import Runtime

log = logging.getLogger(__name__)
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
    runtime: RuntimeDep,
    user: OptionalUser,
    q: Annotated[str | None, Query(max_length=200)] = None,
    status_: Annotated[str | None, Query(alias="status", max_length=20)] = None,
    industry: Annotated[str | None, Query(max_length=40)] = None,
    county: Annotated[str | None, Query(max_length=20)] = None,
    track: Annotated[str | None, Query(pattern="^(digital|green|both)$")] = None,
    cooperation_mode: Annotated[str | None, Query(max_length=20)] = None,
    batch_id: Annotated[int | None, Query(ge=1, le=DB_INT_MAX)] = None,
    mine: Annotated[bool, Query(description="仅本单位的需求")] = False,
    order: Annotated[str | None, Query(pattern="^(newest|updated|deadline|budget)$")] = None,
    sort: Annotated[
        str | None, Query(pattern="^(relevance|newest|deadline|budget)$", description="需求榜单页的排序（与 order 二选一）")
    ] = None,
    match: Annotated[str | None, Query(pattern="^(all)?$", description="all：标题或摘要包含全部关键词（订阅结果）")] = None,
    scope: Annotated[
        str, Query(pattern="^(visible|public)$", description="public：与需求榜单页相同，只含公开发布的需求；visible：本人可见的全部")
    ] = "visible",
) -> Response:
    """按与需求列表相同的筛选、排序和可见范围导出需求清单（需求榜单页的“导出”按钮带上页面的全部筛选与排序）。"""
    match_all = match == "all" and bool((q or "").strip())
    f = NeedFilter(
        q=q or None, status=status_, industry=industry, county=county, track=track, cooperation_mode=cooperation_mode,
        batch_id=batch_id, mine=mine, all_terms=match_all,
    )  # fmt: skip
    public = scope == "public"
    ids = None
    if public and not match_all and runtime.meili is not None:
        # The list page ranks with the search index when it is up: the export lists the same.
        ids = _searched_ids(runtime, f, sort or ("relevance" if q else "newest"))
    by = order or {"deadline": "deadline", "budget": "budget"}.get(sort or "", "newest")
    data = exports.needs_export(session, user, f, order=by, public=public, ids=ids)
    return xlsx_response(data, f"需求清单_{_stamp()}.xlsx")


# The list page goes as deep as this many results (web.pages.needs: 100 pages of 10).
SEARCH_EXPORT_LIMIT = 1000


def _searched_ids(runtime: Runtime, f: NeedFilter, sort: str) -> list[int] | None:
    """The ids of the public list as the search index ranks them, page by page up to the list
    page's depth; None when the search is down (the list page then reads the database too)."""
    from search.queries import NeedSearchParams, search_needs

    try:
        embedder = runtime.embedder
    except Exception:  # noqa: BLE001 - keyword search still works without the model
        embedder = None
    ids: list[int] = []
    try:
        for page in range(1, SEARCH_EXPORT_LIMIT // 100 + 1):
            sp = NeedSearchParams(
                q=f.q or "", industry=[f.industry] if f.industry else [], county=[f.county] if f.county else [],
                track=[f.track] if f.track else [], cooperation_mode=[f.cooperation_mode] if f.cooperation_mode else [],
                status=[f.status] if f.status else [], batch_id=f.batch_id, sort=sort,  # type: ignore[arg-type]
                page=page, per_page=100, facets=False,
            )  # fmt: skip
            result = search_needs(
                runtime.meili,  # type: ignore[arg-type]
                sp,
                prefix=runtime.index_prefix,
                embedder=embedder,
                semantic_ratio=runtime.settings.meili.semantic_ratio,
                relevance_floor=runtime.settings.meili.relevance_floor,
                floor_without_words=runtime.settings.meili.relevance_floor_without_words,
            )
            ids += [h.id for h in result.hits]
            if page >= result.total_pages:
                break
    except Exception as exc:  # noqa: BLE001 - search down: the database list, as the page does
        log.warning("search unavailable for the needs export, reading the database: %s", exc)
        return None
    return ids


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


@router.get("/exports/recognitions.xlsx", response_class=Response, responses={**XLSX, **responses(401, 422)})
def export_recognitions(
    session: SessionDep,
    user: CurrentUser,
    status_: Annotated[str | None, Query(alias="status", max_length=20)] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    category: Annotated[str | None, Query(max_length=30)] = None,
    county: Annotated[str | None, Query(max_length=20)] = None,
    paid: Annotated[str | None, Query(pattern="^(paid|due)$", description="paid 已全部兑现 / due 尚待兑现（仅已认定）")] = None,
) -> Response:
    """导出认定申报及奖补兑现清单（奖补、已兑现、待兑现），筛选与列表相同：科技局导出全部，企业只导出本单位的。"""
    f = LedgerFilter(status=status_, year=year, category=category, county=county, paid=paid)
    return xlsx_response(exports.recognitions_export(session, user, f), f"认定与奖补兑现_{_stamp()}.xlsx")


@router.get("/exports/orgs.xlsx", response_class=Response, responses={**XLSX, **responses(401, 403, 422)})
def export_orgs(
    session: SessionDep,
    user: BureauUser,
    kind: Annotated[str | None, Query(pattern="^(enterprise|university|institute|provider|bureau)$")] = None,
    verification: Annotated[str | None, Query(pattern="^(pending|verified|rejected)$")] = None,
) -> Response:
    """科技局导出单位名录，筛选与单位列表相同。"""
    return xlsx_response(exports.orgs_export(session, user, kind=kind, verification=verification), f"单位名录_{_stamp()}.xlsx")
