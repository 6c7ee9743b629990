"""Progress API: targets (the bureau edits them), actual-vs-target figures, the county and
department 赛马, the 晾晒通报 downloads and the archive of issued 晾晒通报. Every figure comes from ``market.targets.progress.progress_report``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import HTMLResponse, Response

from market.db import DbId
from market.targets import issues, service
from market.targets.progress import progress_report, today_local
from market.targets.report import excel_report, printable_html
from market.targets.schemas import (
    IssueCreate,
    IssuePage,
    IssueRead,
    ProgressReport,
    TargetCreate,
    TargetRead,
    TargetUpdate,
)
from web.deps import CurrentUser, SessionDep
from web.downloads import download
from web.errors import RESPONSES_WRITE, responses

router = APIRouter(tags=["目标与进度 progress"])

YearQ = Annotated[int | None, Query(ge=2000, le=2100, description="年度；缺省为今年")]
AsOfQ = Annotated[dt.date | None, Query(description="统计截止日（YYYY-MM-DD）；缺省为今天")]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _report(session: SessionDep, year: int | None, as_of: dt.date | None) -> ProgressReport:
    today = today_local()
    return progress_report(session, year or today.year, as_of or today)


@router.get("/progress", response_model=ProgressReport, responses=responses(422))
def get_progress(session: SessionDep, year: YearQ = None, as_of: AsOfQ = None) -> ProgressReport:
    """各项目标的目标值、完成值、完成率（全市及各县（市、区）），赛马排名、月度/季度趋势与按当前进度的预计。"""
    return _report(session, year, as_of)


@router.get(
    "/progress/report.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}, **responses(422)},
)
def download_excel(session: SessionDep, year: YearQ = None, as_of: AsOfQ = None) -> Response:
    """晾晒通报 Excel：与 /progress 同一组数字。"""
    report = _report(session, year, as_of)
    name = f"晾晒通报-{report.year}-{report.as_of.isoformat()}.xlsx"
    return download(excel_report(report), name, XLSX, ascii_fallback="report.xlsx")


@router.get("/progress/report.html", response_class=HTMLResponse, responses=responses(422))
def printable(session: SessionDep, year: YearQ = None, as_of: AsOfQ = None) -> HTMLResponse:
    """可打印的晾晒通报页面（含图表），与 /progress 同一组数字。"""
    return HTMLResponse(printable_html(_report(session, year, as_of)))


@router.get("/targets/departments", response_model=list[str])
def list_departments() -> list[str]:
    """可指定为目标责任部门的市级机关部门（政策的责任单位）。"""
    return list(service.departments())


@router.get("/targets", response_model=list[TargetRead])
def list_targets(
    session: SessionDep, year: Annotated[int | None, Query(ge=2000, le=2100)] = None
) -> list[TargetRead]:
    """目标任务（全市及县（市、区）分解）。"""
    return [TargetRead.model_validate(t) for t in service.list_targets(session, year)]


@router.post(
    "/targets", response_model=TargetRead, status_code=status.HTTP_201_CREATED, responses=RESPONSES_WRITE
)
def create_target(target_in: TargetCreate, session: SessionDep, user: CurrentUser) -> TargetRead:
    """科技局新增年度或累计目标，可按县（市、区）分解。"""
    return TargetRead.model_validate(service.create(session, user, target_in))


@router.patch("/targets/{target_id}", response_model=TargetRead, responses=RESPONSES_WRITE)
def update_target(
    target_id: DbId, target_up: TargetUpdate, session: SessionDep, user: CurrentUser
) -> TargetRead:
    """科技局修改目标值、备注或责任部门（指标、年度、地区不可改，须删除后重新设定）。"""
    return TargetRead.model_validate(service.update(session, user, target_id, target_up))


@router.delete("/targets/{target_id}", status_code=status.HTTP_204_NO_CONTENT, responses=RESPONSES_WRITE)
def delete_target(target_id: DbId, session: SessionDep, user: CurrentUser) -> Response:
    """科技局删除目标（审计日志保留其原值）。"""
    service.delete(session, user, target_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/targets/seed", response_model=list[TargetRead], responses=responses(401, 403))
def seed_targets(session: SessionDep, user: CurrentUser) -> list[TargetRead]:
    """按政策写入默认目标（已存在的不覆盖）。"""
    service.ensure_bureau(user)
    service.seed_policy_targets(session, user.id)
    return [TargetRead.model_validate(t) for t in service.list_targets(session)]


@router.get("/targets/issues", response_model=IssuePage, responses=responses(401, 403, 422))
def list_issues(
    session: SessionDep,
    user: CurrentUser,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    limit: Annotated[int, Query(ge=1, le=issues.MAX_LIST)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> IssuePage:
    """已发布的各期晾晒通报（最新在前）。"""
    service.ensure_bureau(user)
    rows, total = issues.list_issues(session, year, limit, offset)
    return IssuePage(items=[IssueRead.model_validate(r) for r in rows], total=total)


@router.post(
    "/targets/issues", response_model=IssueRead, status_code=status.HTTP_201_CREATED, responses=RESPONSES_WRITE
)
def issue_report(issue_in: IssueCreate, session: SessionDep, user: CurrentUser) -> IssueRead:
    """发布一期晾晒通报：按当时数据生成页面与 Excel 并原样存档，此后不再修改。"""
    return IssueRead.model_validate(issues.issue_report(session, user, issue_in.year, issue_in.as_of))


@router.get(
    "/targets/issues/{issue_id}/report.html", response_class=HTMLResponse, responses=responses(401, 403, 404, 422)
)
def issue_html(issue_id: DbId, session: SessionDep, user: CurrentUser) -> HTMLResponse:
    """某期晾晒通报的页面，与发布时完全一致。"""
    service.ensure_bureau(user)
    return HTMLResponse(issues.get_issue(session, issue_id).html)


@router.get(
    "/targets/issues/{issue_id}/report.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}, **responses(401, 403, 404, 422)},
)
def issue_excel(issue_id: DbId, session: SessionDep, user: CurrentUser) -> Response:
    """某期晾晒通报的 Excel，与发布时完全一致。"""
    service.ensure_bureau(user)
    issue = issues.get_issue(session, issue_id)
    name = f"晾晒通报-{issue.year}-第{issue.number}期-{issue.as_of.isoformat()}.xlsx"
    return download(issue.xlsx, name, XLSX, ascii_fallback=f"report-{issue.year}-{issue.number}.xlsx")
