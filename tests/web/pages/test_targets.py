"""The progress dashboard and its target form."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market.audit.models import AuditEntry
from market.orgs.models import User
from market.targets.models import ReportIssue, Target
from tests.web.pages.conftest import post_form


def test_dashboard_figures_and_its_link_to_the_target_page(login, session: Session, bureau_user: User) -> None:
    c = login(bureau_user)
    year = dt.date.today().year
    r = post_form(c, "/bureau/targets/new", {"metric": "needs_published", "year": str(year), "value": "50", "county": "",
                                         "department": "市科技局"})  # fmt: skip
    assert r.status_code == 303
    page = c.get(f"/dashboard?year={year}").text
    assert "各县（市、区）赛马" in page and "/vendor/echarts/echarts.min.js" in page and "data-chart" in page
    assert "市级机关部门赛马" in page and f'href="/bureau/targets?year={year}"' in page
    report = c.get(f"/dashboard/report?year={year}").text
    assert "晾晒通报" in report and "目标完成总览" in report and "市级机关部门赛马" in report
    assert 'href="/bureau/targets"' in c.get("/bureau").text  # the workbench links the page


def test_target_page_add_edit_delete_with_errors_next_to_fields(login, session: Session, bureau_user: User) -> None:
    c = login(bureau_user)
    empty = post_form(c, "/bureau/targets/new", {"metric": "", "year": "2027", "value": "", "county": ""})
    assert empty.status_code == 422
    assert '<p class="field-error" id="metric-error">请选择指标</p>' in empty.text
    assert '<p class="field-error" id="value-error">请填写目标值</p>' in empty.text
    assert session.scalar(select(func.count()).select_from(Target)) == 0
    ok = post_form(c, "/bureau/targets/new", {"metric": "deals_signed", "year": "2027", "value": "100", "county": "",
                                          "department": "市经信局", "note": "2027 年工作目标"})  # fmt: skip
    assert ok.status_code == 303 and ok.headers["location"] == "/bureau/targets?year=2027"
    split = post_form(c, "/bureau/targets/new", {"metric": "deals_signed", "year": "2027", "value": "60", "county": "海宁市"})
    assert split.status_code == 303
    over = post_form(c, "/bureau/targets/new", {"metric": "deals_signed", "year": "2027", "value": "41", "county": "平湖市"})
    assert over.status_code == 422 and 'id="value-error">各县（市、区）分解目标合计 101 将超过全市目标 100' in over.text
    assert 'value="41"' in over.text  # what was typed stays in the form
    dep = post_form(c, "/bureau/targets/new", {"metric": "needs_published", "year": "2027", "value": "5", "county": "平湖市",
                                           "department": "市经信局"})  # fmt: skip
    assert dep.status_code == 422 and 'id="department-error">责任部门在全市目标上设置' in dep.text
    page = c.get("/bureau/targets?year=2027").text
    assert "已分解到县（市、区）60 项，未分解 40 项" in page and "市经信局" in page and "海宁市" in page
    city = session.scalar(select(Target).where(Target.year == 2027, Target.county.is_(None)))
    assert city is not None
    edit = c.get(f"/bureau/targets/{city.id}/edit")
    assert edit.status_code == 200 and 'value="100"' in edit.text
    low = post_form(c, f"/bureau/targets/{city.id}/edit", {"value": "59", "department": "市经信局", "note": ""})
    assert low.status_code == 422 and 'id="value-error">全市目标不能低于各县（市、区）已分解的合计 60' in low.text
    blank = post_form(c, f"/bureau/targets/{city.id}/edit", {"value": "", "department": "", "note": ""})
    assert blank.status_code == 422 and 'id="value-error">请填写目标值' in blank.text
    saved = post_form(c, f"/bureau/targets/{city.id}/edit", {"value": "120", "department": "市科技局", "note": "调整"})
    assert saved.status_code == 303
    session.refresh(city)
    assert (city.value, city.department, city.note) == (120, "市科技局", "调整")
    gone = post_form(c, f"/bureau/targets/{city.id}/delete", {})
    city_id = city.id
    session.expire_all()
    assert gone.status_code == 303 and session.scalar(select(func.count()).where(Target.id == city_id)) == 0
    actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "target")).all())
    assert {"target.created", "target.updated", "target.deleted"} <= actions


def test_target_pages_are_the_bureaus(login, session: Session, enterprise_user: User) -> None:
    c = login(enterprise_user)
    assert c.get("/bureau/targets").status_code == 403 and c.get("/bureau/targets/new").status_code == 403
    assert post_form(c, "/bureau/targets/new", {"metric": "deals_signed", "year": "2027", "value": "1"}).status_code == 403
    assert c.get("/bureau/targets/issues").status_code == 403
    assert session.scalar(select(func.count()).select_from(Target)) == 0


def test_issue_archive_page(login, session: Session, bureau_user: User) -> None:
    from market.targets import service

    service.seed_policy_targets(session)
    c = login(bureau_user)
    assert "还没有发布过晾晒通报" in c.get("/bureau/targets/issues").text
    future = post_form(c, "/bureau/targets/issues", {"year": "2022", "as_of": "2099-01-01"})
    assert future.status_code == 422 and 'id="as_of-error">统计截止日不能晚于今天' in future.text
    bad = post_form(c, "/bureau/targets/issues", {"year": "", "as_of": "2022-13-01"})
    assert bad.status_code == 422 and 'id="year-error"' in bad.text and 'id="as_of-error"' in bad.text
    r = post_form(c, "/bureau/targets/issues", {"year": "2022", "as_of": "2022-12-31"})
    assert r.status_code == 303
    page = c.get("/bureau/targets/issues").text
    assert "2022 年第 1 期" in page and "已发布 1 期" in page
    issue = session.scalar(select(ReportIssue))
    assert issue is not None
    view = c.get(f"/bureau/targets/issues/{issue.id}")
    assert view.status_code == 200 and view.text == issue.html
    xlsx = c.get(f"/bureau/targets/issues/{issue.id}/report.xlsx")
    assert xlsx.status_code == 200 and xlsx.content == issue.xlsx and "attachment" in xlsx.headers["content-disposition"]
    assert c.get(f"/bureau/targets/issues/{issue.id + 1}").status_code == 404


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
