"""The public home page: the current batch (榜单) and the key figures of the year."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from market.batches import service as batches
from market.batches.models import Batch
from market.needs import queries as need_queries
from market.needs.queries import NeedFilter
from market.orgs import queries as org_queries
from market.targets import metrics
from market.targets.progress import today_local
from web.deps import SessionDep
from web.pages.common import PageUser
from web.pages.needs import Row, row_from_view
from web.pages.render import render

router = APIRouter(tags=["页面 pages"], include_in_schema=False)


def current_batch(session: Session) -> Batch | None:
    published = batches.list_batches(session, None)
    return published[0] if published else None


@router.get("/")
def home(request: Request, session: SessionDep, user: PageUser) -> Response:
    batch = current_batch(session)
    rows: list[Row] = []
    batch_count = 0
    if batch is not None:
        needs, batch_count = need_queries.list_needs(session, None, NeedFilter(batch_id=batch.id), limit=6)
        rows = [row_from_view(need_queries.present(session, user, n)) for n in needs]
    else:
        needs, _ = need_queries.list_needs(session, None, NeedFilter(), limit=6)
        rows = [row_from_view(need_queries.present(session, user, n)) for n in needs]
    today = today_local()
    start = dt.date(today.year, 1, 1)
    _, open_total = need_queries.list_needs(session, None, NeedFilter(), limit=1)
    _, providers_total = org_queries.list_provider_profiles(session, limit=1)
    figures = [
        {"label": "在榜需求", "value": open_total, "sub": "已发榜及后续阶段"},
        {
            "label": f"{today.year}年发榜",
            "value": metrics.total(metrics.collect(session, "needs_published", start, today)),
            "sub": "按发布日期统计",
        },
        {
            "label": f"{today.year}年签约对接",
            "value": metrics.total(metrics.collect(session, "deals_signed", start, today)),
            "sub": "揭榜对接转化",
        },
        {"label": "已认证揭榜方", "value": providers_total, "sub": "高校、院所、服务商"},
    ]
    return render(
        request,
        "home.html",
        {"batch": batch, "batch_count": batch_count, "rows": rows, "figures": figures},
        user=user,
    )
