"""Issuing (发布) the 晾晒通报 and its archive.

An issue is the report as generated at the moment it was issued — the printable HTML page and the
Excel workbook, byte for byte, with the period (year, cut-off day), a number within the year, who
issued it and when. It is never regenerated, edited or removed (``ReportIssue`` refuses changes),
so what the counties and departments were shown stays on record even after the data moves on.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from market.audit import service as audit
from market.errors import Invalid, NotFound
from market.orgs.models import User
from market.targets.models import ReportIssue
from market.targets.progress import progress_report, today_local
from market.targets.report import excel_report, printable_html, report_title
from market.targets.service import ensure_bureau

OBJECT_TYPE = "target_report_issue"
MAX_LIST = 100


def issue_title(year: int, number: int) -> str:
    return f"{year} 年第 {number} 期"


def issue_report(session: Session, actor: User, year: int, as_of: dt.date | None = None) -> ReportIssue:
    """Generate the 晾晒通报 of ``year`` as of ``as_of`` (default today, never a future day) and
    keep it as the year's next numbered issue."""
    ensure_bureau(actor)
    today = today_local()
    as_of = as_of or today
    if as_of > today:
        raise Invalid.field("as_of", "统计截止日不能晚于今天")
    if as_of < dt.date(year, 1, 1):
        raise Invalid.field("as_of", f"统计截止日不能早于 {year} 年 1 月 1 日")
    report = progress_report(session, year, as_of)
    number = int(session.scalar(select(func.coalesce(func.max(ReportIssue.number), 0)).where(ReportIssue.year == year)) or 0) + 1
    label = issue_title(year, number)
    issue = ReportIssue(
        year=year,
        number=number,
        as_of=as_of,
        title=f"{report_title(report)} {label}",
        html=printable_html(report, label),
        xlsx=excel_report(report, label),
        issued_by=actor.id,
    )
    session.add(issue)
    session.flush()
    audit.record(
        session, actor.id, "target_report.issued", OBJECT_TYPE, issue.id,
        {"year": year, "number": number, "as_of": as_of.isoformat()},
    )  # fmt: skip
    return issue


def list_issues(session: Session, year: int | None = None, limit: int = 50, offset: int = 0) -> tuple[list[ReportIssue], int]:
    """Issues, newest first (without loading their HTML or Excel bytes), and how many there are."""
    stmt = select(ReportIssue).options(defer(ReportIssue.html), defer(ReportIssue.xlsx))
    count = select(func.count()).select_from(ReportIssue)
    if year is not None:
        stmt = stmt.where(ReportIssue.year == year)
        count = count.where(ReportIssue.year == year)
    rows = session.scalars(
        stmt.order_by(ReportIssue.issued_at.desc(), ReportIssue.id.desc()).limit(min(limit, MAX_LIST)).offset(offset)
    ).all()
    return list(rows), int(session.scalar(count) or 0)


def get_issue(session: Session, issue_id: int) -> ReportIssue:
    issue = session.get(ReportIssue, issue_id)
    if issue is None:
        raise NotFound("该期晾晒通报不存在")
    return issue
