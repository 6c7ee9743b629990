"""The progress dashboard (bureau): targets against actual figures by county (赛马 ranking), by
industry, the trend and the projection, drawn with ECharts; and the printable 晾晒通报 page.

Every figure comes from ``market.targets.progress.progress_report`` — the same computation as
``GET /api/v1/progress`` and the Excel export — so the three cannot disagree."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from market.errors import DomainError
from market.targets import service as targets
from market.targets.metrics import METRICS
from market.targets.progress import actuals_without_targets, progress_report, today_local
from market.targets.report import report_title, target_name
from market.targets.schemas import ProgressReport, TargetCreate, TargetProgress
from web.deps import SessionDep
from web.pages.common import BureauPage, Form, int_or_none
from web.pages.render import field_errors, form_dict, redirect, render

router = APIRouter(tags=["页面 pages"], include_in_schema=False)

BLUE, RED, GREY, GREEN = "#1d4f91", "#b3261e", "#8a94a3", "#1e6b3a"


def _county_chart(t: TargetProgress) -> dict[str, Any]:
    """赛马: counties ordered by completion rate when every county has its target, else by count
    (a county without a target is not at 0%: its bar shows what it completed, and the counties
    with a target carry their rate in the label)."""
    by_rate = bool(t.by_county) and all(c.completion_rate is not None for c in t.by_county)
    rows = sorted(
        t.by_county,
        key=lambda c: (c.rank_by_rate or 99, c.county) if by_rate else (c.rank_by_count, c.county),
    )
    rows = list(reversed(rows))  # ECharts draws category axes bottom-up
    if by_rate:
        values = [round((c.completion_rate or 0) * 100, 1) for c in rows]
        name, fmt = "完成率（%）", "{c}%"
    else:
        values = [
            c.actual if c.completion_rate is None
            else {"value": c.actual, "label": {"formatter": f"{c.actual}（完成率 {c.completion_rate * 100:.0f}%）"}}
            for c in rows
        ]  # type: ignore[misc]
        name, fmt = f"完成数（{t.unit}）", "{c}"
    return {
        "aria": {"enabled": True},
        "grid": {"left": 70, "right": 40, "top": 10, "bottom": 30},
        "tooltip": {"trigger": "axis"},
        "xAxis": {
            "type": "value",
            "name": name,
            "nameLocation": "middle",
            "nameGap": 22,
            "minInterval": 0 if by_rate else 1,
        },
        "yAxis": {"type": "category", "data": [c.county for c in rows]},
        "series": [
            {
                "type": "bar",
                "data": values,
                "barMaxWidth": 22,
                "itemStyle": {"color": BLUE},
                "label": {"show": True, "position": "right", "formatter": fmt},
            }
        ],
    }


def _industry_chart(t: TargetProgress) -> dict[str, Any]:
    rows = t.by_industry[:12]
    return {
        "aria": {"enabled": True},
        "grid": {"left": 40, "right": 10, "top": 20, "bottom": 60},
        "tooltip": {"trigger": "axis"},
        "xAxis": {
            "type": "category",
            "data": [r.industry for r in rows],
            "axisLabel": {"rotate": 30, "interval": 0},
        },
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {
                "type": "bar",
                "data": [r.actual for r in rows],
                "barMaxWidth": 48,
                "itemStyle": {"color": GREEN},
                "label": {"show": True, "position": "top"},
            }
        ],
    }


def _trend_chart(t: TargetProgress) -> dict[str, Any]:
    """Cumulative actual by month, the target line, and the straight-line projection to period end."""
    periods = [p.period for p in t.monthly]
    cumulative = [p.cumulative for p in t.monthly]
    end_label = f"{t.period_end.year}-{t.period_end.month:02d}"
    projection: list[Any] = [None] * len(periods)
    if t.projected is not None and periods and periods[-1] != end_label:
        periods = [*periods, end_label]
        cumulative = [*cumulative, None]  # type: ignore[list-item]
        projection = [None] * (len(periods) - 2) + [t.actual, t.projected]
    series: list[dict[str, Any]] = [
        {
            "name": "累计完成",
            "type": "line",
            "data": cumulative,
            "itemStyle": {"color": BLUE},
            "areaStyle": {"opacity": 0.08},
            "connectNulls": False,
        },
        {
            "name": "月度新增",
            "type": "bar",
            "barMaxWidth": 24,
            "data": [p.count for p in t.monthly],
            "itemStyle": {"color": "#9db7dc"},
        },
        {
            "name": "目标",
            "type": "line",
            "data": [t.target] * len(periods),
            "symbol": "none",
            "lineStyle": {"type": "dashed", "color": RED},
            "itemStyle": {"color": RED},
        },
    ]
    if any(v is not None for v in projection):
        series.append(
            {
                "name": "按当前进度预计",
                "type": "line",
                "data": projection,
                "lineStyle": {"type": "dotted", "color": GREY},
                "itemStyle": {"color": GREY},
            }
        )
    return {
        "aria": {"enabled": True},
        "legend": {"top": 0},
        "grid": {"left": 40, "right": 16, "top": 36, "bottom": 30},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": periods},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": series,
    }


def _charts(report: ProgressReport) -> list[dict[str, str]]:
    return [
        {
            "county": json.dumps(_county_chart(t), ensure_ascii=False),
            "industry": json.dumps(_industry_chart(t), ensure_ascii=False),
            "trend": json.dumps(_trend_chart(t), ensure_ascii=False),
        }
        for t in report.targets
    ]


def _report(session: Session, year: int | None, as_of: dt.date | None) -> ProgressReport:
    today = today_local()
    return progress_report(session, year or today.year, as_of or today)


YearQ = Annotated[int | None, Query(ge=2000, le=2100)]
AsOfQ = Annotated[dt.date | None, Query()]


@router.get("/dashboard")
def dashboard(
    request: Request, session: SessionDep, user: BureauPage, year: YearQ = None, as_of: AsOfQ = None
) -> Response:
    report = _report(session, year, as_of)
    items = list(zip(report.targets, _charts(report), strict=True))
    return render(
        request,
        "targets/dashboard.html",
        {
            "report": report,
            "items": items,
            "actuals": [] if items else actuals_without_targets(session, report.year, as_of),
            "title": report_title(report),
            "target_name": target_name,
            "METRICS": METRICS,
            "years": list(range(today_local().year + 1, 2021, -1)),
            "form": {"year": report.year},
        },
        user=user,
    )


@router.post("/dashboard/targets")
def add_target(request: Request, form: Form, session: SessionDep, user: BureauPage) -> Response:
    data = form_dict(form, bools=("cumulative",), numbers=("base_year", "value", "county"))
    data.setdefault("note", "")
    back = f"/dashboard?year={int_or_none(data.get('year')) or today_local().year}"
    try:
        targets.create(session, user, TargetCreate.model_validate(data))
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status_code not in (409, 422):
            raise
        errs = field_errors(exc)
        return redirect(back + "#targets", "目标未保存：" + "；".join(errs.values()), "error")
    return redirect(back, "目标已保存")


@router.get("/dashboard/report")
def printable(
    request: Request, session: SessionDep, user: BureauPage, year: YearQ = None, as_of: AsOfQ = None
) -> Response:
    report = _report(session, year, as_of)
    items = list(zip(report.targets, _charts(report), strict=True))
    return render(
        request,
        "targets/report.html",
        {"report": report, "items": items, "title": report_title(report), "target_name": target_name},
        user=user,
    )
