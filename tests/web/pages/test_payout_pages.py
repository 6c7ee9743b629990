"""奖补兑现 pages: the bureau's list (award, paid, due, filters, totals, export), the payout form on a
recognition's page (errors next to their fields, everything typed kept, nothing stored), what the
enterprise sees (each payout, still due), the public list of recognised products (no sign-in), and
the needs export that lists what the needs list shows."""

from __future__ import annotations

import datetime as dt
import io
import re

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market.db import CST
from market.orgs.models import User
from market.recognitions.models import RecognitionPayout
from tests import factories
from tests.web.api.test_payouts import _world, pay, recognised
from tests.web.pages.conftest import post_form

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _rows(content: bytes) -> list[list[object]]:
    ws = load_workbook(io.BytesIO(content)).active
    return [[c.value for c in row] for row in ws.iter_rows()]


def _export_link(html: str, prefix: str) -> str:
    m = re.search(r'href="(' + re.escape(prefix) + r'[^"]*)"', html)
    assert m, f"no export button starting {prefix}"
    return m.group(1).replace("&amp;", "&")


def test_the_bureau_payout_list_filters_sums_and_exports_what_it_shows(
    login, session: Session, bureau_user: User, enterprise_user: User
) -> None:
    w = _world(session, bureau_user, enterprise_user)
    c = login(bureau_user)
    assert '/bureau/payouts' in c.get("/bureau/recognitions").text
    r = c.get("/bureau/payouts")
    assert r.status_code == 200
    assert "部分兑现的经编机" in r.text and "尚在初审的软件" not in r.text
    assert "已兑现完毕" in r.text and f'/bureau/recognitions/{w["part"].id}#payouts' in r.text
    due = c.get("/bureau/payouts?paid=due&county=海宁市")
    assert "部分兑现的经编机" in due.text and "全部兑现的压铸单元" not in due.text
    assert re.search(r"待兑现 <strong>\d+</strong> 万元", due.text)
    link = _export_link(due.text, "/api/v1/exports/recognitions.xlsx")
    assert "paid=due" in link and "county=" in link
    x = c.get(link)
    assert x.status_code == 200 and x.headers["content-type"].startswith(XLSX)
    shown = [int(i) for i in re.findall(r'href="/bureau/recognitions/(\d+)"', due.text)]
    assert [row[1] for row in _rows(x.content)[1:]] == shown == [w["none"].id, w["part"].id]
    # bad filters are ignored, not an error page
    assert c.get("/bureau/payouts?year=abc&paid=zzz&page=-1").status_code == 200
    assert login(enterprise_user).get("/bureau/payouts", follow_redirects=False).status_code in (303, 403)


def test_the_payout_form_records_a_payout_and_shows_errors_next_to_their_fields(
    login, session: Session, bureau_user: User, enterprise_user: User
) -> None:
    rec = recognised(session, bureau_user, enterprise_user, "高速冲压模具在线监测系统")  # 20 万元
    c = login(bureau_user)
    page = c.get(f"/bureau/recognitions/{rec.id}")
    assert f'action="/bureau/recognitions/{rec.id}/payouts"' in page.text and "待兑现" in page.text
    url = f"/bureau/recognitions/{rec.id}/payouts"
    over = post_form(c, url, {"amount_wan": "25", "paid_on": "2026-04-20", "payment_batch": "2026 年第一批", "note": "首期"})
    assert over.status_code == 422
    field = re.search(r'id="field-amount_wan".*?</div>\s*</div>', over.text, re.S).group(0)
    assert "超过待兑现金额（20 万元" in field and 'aria-invalid="true"' in field
    assert 'value="2026 年第一批"' in over.text and "首期" in over.text  # everything typed kept
    tomorrow = (dt.datetime.now(CST).date() + dt.timedelta(days=1)).isoformat()
    bad = post_form(c, url, {"amount_wan": "abc", "paid_on": tomorrow, "payment_batch": ""})
    assert bad.status_code == 422
    for name in ("amount_wan", "payment_batch"):
        assert re.search(rf'id="field-{name}".*?class="field-error"', bad.text, re.S), name
    assert "请填写资金批次" in bad.text
    future = post_form(c, url, {"amount_wan": "5", "paid_on": tomorrow, "payment_batch": "第一批"})
    assert future.status_code == 422 and re.search(r'id="field-paid_on".*?兑现日期不能晚于今天', future.text, re.S)
    assert session.scalar(select(func.count()).select_from(RecognitionPayout)) == 0
    ok = post_form(c, url, {"amount_wan": "15", "paid_on": "2026-04-20", "payment_batch": "2026 年第一批奖补资金"})
    assert ok.status_code == 303 and ok.headers["location"] == f"/bureau/recognitions/{rec.id}"
    assert session.scalar(select(func.count()).select_from(RecognitionPayout)) == 1
    assert post_form(c, url, {"amount_wan": "5", "paid_on": "2026-05-20", "payment_batch": "第二批"}).status_code == 303
    done = c.get(f"/bureau/recognitions/{rec.id}").text
    assert "奖补已全部兑现" in done and f'action="/bureau/recognitions/{rec.id}/payouts"' not in done
    again = post_form(c, url, {"amount_wan": "1", "paid_on": "2026-05-20", "payment_batch": "第三批"})
    assert again.status_code == 303  # a refusal of the state goes back with its message
    assert post_form(c, url, {"amount_wan": "1", "paid_on": "2026-05-20", "payment_batch": "x"}, csrf=False).status_code == 403


def test_the_enterprise_sees_each_payout_and_what_is_still_due(
    login, session: Session, bureau_user: User, enterprise_user: User, other_enterprise_user: User
) -> None:
    rec = recognised(session, bureau_user, enterprise_user, "智能集成灶", level="provincial")  # 50 万元
    pay(session, bureau_user, rec, 30)
    c = login(enterprise_user)
    detail = c.get(f"/enterprise/recognitions/{rec.id}").text
    section = re.search(r'<section class="card" id="payouts".*?</section>', detail, re.S).group(0)
    assert "第一批" in section and "2026-04-20" in section and "<strong>20 万元</strong>" in section
    assert "<form" not in section  # the enterprise does not record payouts
    mine = c.get("/enterprise/recognitions").text
    row = re.search(rf"<tr>\s*<td><a href=\"/enterprise/recognitions/{rec.id}\">.*?</tr>", mine, re.S).group(0)
    cells = re.findall(r'<td class="num">([^<]*)</td>', row)
    assert cells == ["50", "30", "20"]  # award, paid, still due
    assert login(other_enterprise_user).get(f"/enterprise/recognitions/{rec.id}").status_code == 404


def test_the_public_list_of_recognised_products_needs_no_sign_in(
    client: TestClient, session: Session, bureau_user: User, enterprise_user: User
) -> None:
    w = _world(session, bureau_user, enterprise_user)
    home = client.get("/")
    assert 'href="/recognitions"' in home.text
    r = client.get("/recognitions")
    assert r.status_code == 200
    assert "部分兑现的经编机" in r.text and "尚在初审的软件" not in r.text
    assert "万元" not in r.text.split("<main", 1)[-1]  # no amounts on the public list
    for label in ("首台（套）装备", "首批次新材料", "首版次软件", "绿色设计产品"):
        assert f">{label}</option>" in r.text
    only = client.get("/recognitions?county=海宁市&industry=纺织&year=2024").text
    assert "部分兑现的经编机" in only and "未兑现的新材料" not in only and "全部兑现的压铸单元" not in only
    assert "没有符合条件" in client.get("/recognitions?level=international").text
    assert client.get("/recognitions?year=x&page=abc").status_code == 200
    assert w["full"].id


def test_the_orgs_list_offers_its_export_with_its_filter(login, session: Session, bureau_user: User) -> None:
    factories.create_org(session, verified=False, name="待认证的测试企业甲")
    session.flush()
    c = login(bureau_user)
    html = c.get("/bureau/orgs").text  # the page lists the pending ones by default
    link = _export_link(html, "/api/v1/exports/orgs.xlsx")
    assert "verification=pending" in link
    names = {row[2] for row in _rows(c.get(link).content)[1:]}
    assert "待认证的测试企业甲" in names and bureau_user.org.name not in names
    everything = _export_link(c.get("/bureau/orgs?verification=").text, "/api/v1/exports/orgs.xlsx")
    assert bureau_user.org.name in {row[2] for row in _rows(c.get(everything).content)[1:]}


def test_the_needs_export_honours_every_filter_and_the_sort_order_of_the_needs_list(
    client: TestClient, session: Session, enterprise_user: User, bureau_user: User, login
) -> None:
    """The export button of /needs carries the page's filters (cooperation mode too) and its
    sort order; the file lists the needs of the page, in the page's order."""
    org = enterprise_user.org
    mk = lambda title, **kw: factories.create_need(session, org=org, status="published", title=title, industry="造纸", **kw)  # noqa: E731
    a = mk("联合攻关的余热回收需求", cooperation_mode="联合攻关", deadline=dt.date(2027, 3, 1), budget_max_wan=80)
    b = mk("技术开发的废水处理需求", cooperation_mode="技术开发", deadline=dt.date(2027, 1, 1), budget_max_wan=200)
    c = mk("联合攻关的蒸汽节能需求", cooperation_mode="联合攻关", deadline=dt.date(2026, 12, 20), budget_max_wan=300)
    factories.create_need(session, org=org, status="submitted", title="未发布的联合攻关需求", industry="造纸", cooperation_mode="联合攻关")
    session.flush()
    page_ids = lambda html: [int(x) for x in re.findall(r'href="/needs/(\d+)"', html)]  # noqa: E731
    c_bur = login(bureau_user)
    for query in (
        "industry=造纸&cooperation_mode=联合攻关&sort=deadline",
        "industry=造纸&sort=budget",
        "industry=造纸&cooperation_mode=联合攻关&sort=budget",
        "industry=造纸&sort=deadline",
    ):
        html = c_bur.get(f"/needs?{query}").text
        link = re.search(r'href="(/api/v1/exports/needs\.xlsx[^"]*)"', html).group(1).replace("&amp;", "&")
        r = c_bur.get(link)
        assert r.status_code == 200, (query, r.text)
        exported = [row[1] for row in _rows(r.content)[1:]]
        shown = list(dict.fromkeys(page_ids(html)))
        assert exported == shown, (query, exported, shown)
    assert exported == [c.id, b.id, a.id]
    rows = _rows(c_bur.get("/api/v1/exports/needs.xlsx?industry=造纸&cooperation_mode=联合攻关&sort=budget&scope=public").content)
    assert [row[1] for row in rows[1:]] == [c.id, a.id]  # the unpublished one is not on the public list
    assert client.get("/api/v1/exports/needs.xlsx?sort=bogus").status_code == 422
