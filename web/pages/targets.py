"""The progress dashboard (bureau): targets against actual figures by county and department (赛马
ranking), by industry, the trend and the projection, drawn with ECharts; the printable 晾晒通报
page; the target editing page (/bureau/targets) and the archive of issued 晾晒通报.

Every figure comes from ``market.targets.progress.progress_report`` — the same computation as
``GET /api/v1/progress`` and the Excel export — so the three cannot disagree."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from market.db import DbId
from market.errors import DomainError, Invalid
from market.orgs.models import User
from market.targets import issues as report_issues
from market.targets import service as targets
from market.targets.metrics import METRICS
from market.targets.models import Target
from market.targets.progress import actuals_without_targets, progress_report, today_local
from market.targets.report import report_title, target_name
from market.targets.schemas import ProgressReport, TargetCreate, TargetProgress, TargetUpdate
from market.vocab import COUNTIES
from web.deps import SessionDep
from web.downloads import download
from web.pages.common import BureauPage, Form, int_or_none
from web.pages.render import field_errors, form_dict, form_errors, redirect, render

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

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
            "years": list(range(today_local().year + 1, 2021, -1)),
        },
        user=user,
    )


# --- target editing (bureau) -------------------------------------------------------------------

TARGET_LABELS = {
    "metric": "指标",
    "year": "年度",
    "cumulative": "目标类型",
    "base_year": "起算年度",
    "county": "县（市、区）",
    "value": "目标值",
    "department": "责任部门",
    "note": "备注",
}


def _target_rows(session: Session, year: int) -> list[dict[str, Any]]:
    """The year's targets grouped per metric: the city-wide row, its county splits, and how much
    of the city-wide figure is split."""
    groups: dict[str, list[Target]] = {}
    for t in targets.list_targets(session, year):
        groups.setdefault(t.metric, []).append(t)
    order = list(METRICS)
    out = []
    for metric in sorted(groups, key=lambda m: order.index(m) if m in order else len(order)):
        items = groups[metric]
        city = next((t for t in items if t.county is None), None)
        splits = sorted(
            (t for t in items if t.county is not None),
            key=lambda t: (COUNTIES.index(t.county) if t.county in COUNTIES else len(COUNTIES), t.county or ""),
        )
        split_total = sum(t.value for t in splits)
        ref = city or items[0]
        out.append(
            {
                "label": METRICS[metric].label if metric in METRICS else metric,
                "unit": METRICS[metric].unit if metric in METRICS else "",
                "kind": f"{ref.base_year}—{ref.year} 年累计" if ref.cumulative else f"{ref.year} 年度",
                "city": city,
                "splits": splits,
                "split_total": split_total,
                "unsplit": (city.value - split_total) if city else None,
            }
        )
    return out


def _years(session: Session, year: int) -> list[int]:
    today = today_local().year
    return sorted({*targets.target_years(session), *range(2022, today + 2), year}, reverse=True)


def _new_page(
    request: Request, user: User, year: int, form: dict[str, Any] | None = None, errors: dict[str, str] | None = None
) -> Response:
    return render(
        request,
        "targets/new.html",
        {
            "year": year,
            "METRICS": {code: m.label for code, m in METRICS.items()},
            "DEPARTMENTS": targets.departments(),
            "FIELD_LABELS": TARGET_LABELS,
            "form": form or {"year": year},
            "errors": errors or {},
        },
        user=user,
        status_code=422 if errors else 200,
    )


def _form_failure(exc: ValidationError | DomainError, data: dict[str, Any]) -> dict[str, str]:
    if isinstance(exc, DomainError) and exc.status_code not in (409, 422):
        raise exc
    if isinstance(exc, ValidationError):
        errors = form_errors(exc, data, TARGET_LABELS, choices=("metric", "county", "department"))
    else:
        errors = field_errors(exc)
    if errors.get("__all__") in [v for k, v in errors.items() if k != "__all__"]:
        del errors["__all__"]  # said next to its field already
    return errors


@router.get("/bureau/targets")
def targets_page(request: Request, session: SessionDep, user: BureauPage, year: YearQ = None) -> Response:
    year = year or today_local().year
    return render(
        request,
        "targets/targets.html",
        {"year": year, "years": _years(session, year), "groups": _target_rows(session, year)},
        user=user,
    )


@router.get("/bureau/targets/new")
def new_target_page(request: Request, user: BureauPage, year: YearQ = None) -> Response:
    return _new_page(request, user, year or today_local().year)


@router.post("/bureau/targets/new")
def add_target(request: Request, form: Form, session: SessionDep, user: BureauPage) -> Response:
    data = form_dict(form, bools=("cumulative",), numbers=("base_year", "value", "county", "department", "year"))
    data.setdefault("note", "")
    year = int_or_none(data.get("year")) or today_local().year
    try:
        target = targets.create(session, user, TargetCreate.model_validate(data))
    except (ValidationError, DomainError) as exc:
        errors = _form_failure(exc, data)
        for key in ("metric", "value", "year"):  # every empty required field at once
            if data.get(key) in (None, ""):
                errors.setdefault(key, ("请选择" if key == "metric" else "请填写") + TARGET_LABELS[key])
        return _new_page(request, user, year, data, errors)
    return redirect(f"/bureau/targets?year={target.year}", "目标已保存")


@router.get("/bureau/targets/{target_id}/edit")
def edit_target_page(request: Request, target_id: DbId, session: SessionDep, user: BureauPage) -> Response:
    target = targets.get(session, target_id)
    form = {"value": target.value, "note": target.note, "department": target.department or ""}
    return _edit_page(request, session, user, target, form, {})


def _edit_page(
    request: Request, session: Session, user: User, target: Target, form: dict[str, Any], errors: dict[str, str]
) -> Response:
    return render(
        request,
        "targets/edit.html",
        {
            "target": target,
            "label": METRICS[target.metric].label if target.metric in METRICS else target.metric,
            "unit": METRICS[target.metric].unit if target.metric in METRICS else "",
            "kind": f"{target.base_year}—{target.year} 年累计" if target.cumulative else f"{target.year} 年度",
            "is_city": target.county is None,
            "DEPARTMENTS": targets.departments(),
            "FIELD_LABELS": TARGET_LABELS,
            "form": form,
            "errors": errors,
        },
        user=user,
        status_code=422 if errors else 200,
    )


@router.post("/bureau/targets/{target_id}/edit")
def edit_target(request: Request, target_id: DbId, form: Form, session: SessionDep, user: BureauPage) -> Response:
    target = targets.get(session, target_id)
    data = form_dict(form, numbers=("value",))
    if target.county is not None:
        data.pop("department", None)  # a county split has no department of its own
    else:
        data["department"] = data.get("department") or None
    data.setdefault("note", "")
    try:
        if data.get("value") is None:
            raise Invalid.field("value", "请填写目标值")
        targets.update(session, user, target.id, TargetUpdate.model_validate(data))
    except (ValidationError, DomainError) as exc:
        return _edit_page(request, session, user, target, data, _form_failure(exc, data))
    return redirect(f"/bureau/targets?year={target.year}", "目标已修改")


@router.post("/bureau/targets/{target_id}/delete")
def delete_target(target_id: DbId, session: SessionDep, user: BureauPage) -> Response:
    target = targets.get(session, target_id)
    year = target.year
    targets.delete(session, user, target.id)
    return redirect(f"/bureau/targets?year={year}", "目标已删除")


# --- the archive of issued 晾晒通报 -------------------------------------------------------------


@router.get("/bureau/targets/issues")
def issues_page(
    request: Request,
    session: SessionDep,
    user: BureauPage,
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
) -> Response:
    per_page = 20
    rows, total = report_issues.list_issues(session, limit=per_page, offset=(page - 1) * per_page)
    today = today_local()
    return render(
        request,
        "targets/issues.html",
        {
            "issues": rows,
            "total": total,
            "page": page,
            "total_pages": max(1, -(-total // per_page)),
            "form": {"year": today.year, "as_of": today.isoformat()},
            "today": today,
            "FIELD_LABELS": {"year": "年度", "as_of": "统计截止日"},
        },
        user=user,
    )


@router.post("/bureau/targets/issues")
def issue_report(request: Request, form: Form, session: SessionDep, user: BureauPage) -> Response:
    year = int_or_none(str(form.get("year", "")).strip())
    raw_day = str(form.get("as_of", "")).strip()
    errors: dict[str, str] = {}
    as_of: dt.date | None = None
    if year is None or not 2000 <= year <= 2100:
        errors["year"] = "请填写年度（2000—2100）"
    try:
        as_of = dt.date.fromisoformat(raw_day) if raw_day else None
    except ValueError:
        errors["as_of"] = "请填写有效的日期（年-月-日）"
    if not errors and year is not None:
        try:
            issue = report_issues.issue_report(session, user, year, as_of)
        except DomainError as exc:
            if exc.status_code != 422:
                raise
            errors = field_errors(exc)
        else:
            return redirect("/bureau/targets/issues", f"已发布 {issue.title}")
    rows, total = report_issues.list_issues(session, limit=20)
    return render(
        request,
        "targets/issues.html",
        {
            "issues": rows,
            "total": total,
            "page": 1,
            "total_pages": max(1, -(-total // 20)),
            "form": {"year": form.get("year", ""), "as_of": raw_day},
            "errors": errors,
            "today": today_local(),
            "FIELD_LABELS": {"year": "年度", "as_of": "统计截止日"},
        },
        user=user,
        status_code=422,
    )


@router.get("/bureau/targets/issues/{issue_id}")
def issue_view(issue_id: DbId, session: SessionDep, user: BureauPage) -> Response:
    """The issue's page exactly as it was issued (our own generated, escaped HTML)."""
    return HTMLResponse(report_issues.get_issue(session, issue_id).html, headers={"Cache-Control": "no-store"})


@router.get("/bureau/targets/issues/{issue_id}/report.xlsx")
def issue_excel(issue_id: DbId, session: SessionDep, user: BureauPage) -> Response:
    issue = report_issues.get_issue(session, issue_id)
    name = f"晾晒通报-{issue.year}-第{issue.number}期-{issue.as_of.isoformat()}.xlsx"
    return download(issue.xlsx, name, XLSX, ascii_fallback=f"report-{issue.year}-{issue.number}.xlsx")


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
