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


def test_race_chart_with_one_county_target_shows_every_county_by_what_it_completed() -> None:
    from types import SimpleNamespace as NS

    from web.pages.render import _fmt_figure
    from web.pages.targets import _county_chart

    counties = [NS(county="南湖区", completion_rate=0.8, rank_by_rate=1, rank_by_count=3, actual=8)] + [
        NS(county=name, completion_rate=None, rank_by_rate=None, rank_by_count=i, actual=21 - i)
        for i, name in enumerate(("海宁市", "平湖市", "桐乡市"), start=1)
    ]
    chart = _county_chart(NS(by_county=counties, unit="项"))  # type: ignore[arg-type]
    data = dict(zip(chart["yAxis"]["data"], chart["series"][0]["data"], strict=True))
    assert data["海宁市"] == 20 and data["桐乡市"] == 18  # not 0 %: what they completed
    assert data["南湖区"]["value"] == 8 and "完成率 80%" in data["南湖区"]["label"]["formatter"]
    assert chart["xAxis"]["name"] == "完成数（项）"
    # counts are whole numbers; amounts keep a decimal
    assert _fmt_figure(138.1, "项") == "138" and _fmt_figure(12.34, "万元") == "12.3" and _fmt_figure(None) == "—"


def test_a_year_without_targets_still_shows_its_actual_figures(login, session: Session, bureau_user: User) -> None:
    from tests import factories

    org = factories.create_org(session, kind="enterprise", county="海宁市")
    factories.create_need(session, org=org, status="published", county="海宁市")
    page = login(bureau_user).get(f"/dashboard?year={dt.date.today().year}").text
    assert "还没有设定目标" in page and "完成情况（未设目标" in page
    assert "发布技术需求（发榜）" in page and "海宁市 1" in page
