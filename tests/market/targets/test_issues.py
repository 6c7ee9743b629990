"""Issued 晾晒通报 are kept exactly as generated, numbered within the year, and never changed."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from market.errors import Forbidden, Invalid
from market.orgs.models import User
from market.targets import issues, service
from market.targets.schemas import TargetCreate, TargetUpdate


def test_an_issue_keeps_what_was_generated_that_day(session: Session, bureau: User, enterprise: User) -> None:
    service.seed_policy_targets(session)
    first = issues.issue_report(session, bureau, 2022, dt.date(2022, 12, 31))
    assert (first.year, first.number, first.issued_by) == (2022, 1, bureau.id)
    assert "2022 年第 1 期" in first.title and "市级机关部门赛马" in first.html and "市经信局" in first.html
    book = load_workbook(io.BytesIO(first.xlsx))
    assert "部门赛马" in book.sheetnames
    html, xlsx = first.html, first.xlsx
    # The data moves on; the issued report does not.
    target = next(t for t in service.list_targets(session, 2022) if t.metric == "needs_published" and t.county is None)
    service.update(session, bureau, target.id, TargetUpdate(value=999))
    second = issues.issue_report(session, bureau, 2022, dt.date(2022, 12, 31))
    assert second.number == 2 and "目标 999 项" in second.html
    session.expire_all()
    again = issues.get_issue(session, first.id)
    assert again.html == html and again.xlsx == xlsx and "目标 999 项" not in again.html and "目标 200 项" in again.html
    rows, total = issues.list_issues(session, 2022)
    assert total == 2 and [r.number for r in rows] == [2, 1]
    again.title = "改过"
    with pytest.raises(Forbidden):
        session.flush()
    session.rollback()


def test_only_the_bureau_issues_and_never_for_a_future_day(session: Session, bureau: User, enterprise: User) -> None:
    with pytest.raises(Forbidden):
        issues.issue_report(session, enterprise, 2022, dt.date(2022, 12, 31))
    with pytest.raises(Invalid):
        issues.issue_report(session, bureau, 2099, dt.date(2099, 1, 1))
    with pytest.raises(Invalid):
        issues.issue_report(session, bureau, 2023, dt.date(2022, 12, 31))


def test_an_issue_cannot_be_deleted(session: Session, bureau: User) -> None:
    service.create(session, bureau, TargetCreate(metric="deals_signed", year=2024, value=10))
    issue = issues.issue_report(session, bureau, 2024, dt.date(2024, 6, 30))
    session.delete(issue)
    with pytest.raises(Forbidden):
        session.flush()
    session.rollback()
