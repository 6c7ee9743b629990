"""The progress dashboard and its target form."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from market.orgs.models import User
from tests.web.pages.conftest import post_form


def test_dashboard_target_form_and_figures(login, session: Session, bureau_user: User) -> None:
    c = login(bureau_user)
    year = dt.date.today().year
    r = post_form(
        c, "/dashboard/targets", {"metric": "needs_published", "year": str(year), "value": "", "county": ""}
    )
    assert r.status_code == 303
    assert "目标未保存" in c.get(r.headers["location"]).text
    r = post_form(
        c, "/dashboard/targets", {"metric": "needs_published", "year": str(year), "value": "50", "county": ""}
    )
    assert r.status_code == 303
    page = c.get(f"/dashboard?year={year}").text
    assert "各县（市、区）赛马" in page and "/vendor/echarts/echarts.min.js" in page and "data-chart" in page
    report = c.get(f"/dashboard/report?year={year}").text
    assert "晾晒通报" in report and "目标完成总览" in report
