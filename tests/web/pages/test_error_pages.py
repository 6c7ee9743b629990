"""Error pages for signed-in people keep the layout, the signed-in header and a way back; each
role lands on its workbench after signing in (issue 18)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from market.orgs.models import User
from tests import factories
from web.runtime import Runtime


def test_errors_for_signed_in_people_have_the_layout_and_a_way_back(
    client: TestClient, login, enterprise_user: User, provider_user: User, expert_user: User  # type: ignore[no-untyped-def]
) -> None:
    login(enterprise_user)
    for url, status, back in (("/needs/999999", 404, "/enterprise"), ("/bureau", 403, "/enterprise")):
        r = client.get(url)
        assert r.status_code == status, url
        assert '<header class="site-header">' in r.text, url
        assert "退出" in r.text  # the signed-in header, not the visitor's
        assert f'href="{back}"' in r.text and "返回我的需求" in r.text
    login(expert_user)
    r = client.get("/expert/needs/999999")
    assert r.status_code == 404 and '<header class="site-header">' in r.text and "返回评审任务" in r.text


def test_the_413_page_shows_the_signed_in_header(client: TestClient, login, enterprise_user: User) -> None:  # type: ignore[no-untyped-def]
    login(enterprise_user)
    big = b"x" * (3 * 1024 * 1024)
    r = client.post("/enterprise/needs/new", content=big, headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413
    assert "退出" in r.text and "返回我的需求" in r.text


def test_each_role_lands_on_its_workbench(client: TestClient, enterprise_user: User, provider_user: User, expert_user: User, bureau_user: User) -> None:
    client.get("/login")
    csrf = client.cookies.get("jiebang_csrf")
    for user, home in ((enterprise_user, "/enterprise"), (provider_user, "/provider"), (expert_user, "/expert"), (bureau_user, "/bureau")):
        client.cookies.clear()
        client.get("/login")
        csrf = client.cookies.get("jiebang_csrf")
        r = client.post("/login", data={"email": user.email, "password": factories.PASSWORD, "csrf_token": csrf}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == home, (user.email, r.headers.get("location"))


def test_after_submitting_the_enterprise_hears_what_happens_next_and_the_median_review_time(
    login, session, enterprise_user: User, enterprise_org  # type: ignore[no-untyped-def]
) -> None:
    import datetime as dt

    from sqlalchemy import select

    from market.needs.models import Need, NeedTransition
    from tests.web.pages.conftest import need_form, post_form

    t0 = dt.datetime(2026, 11, 1, 9, 0)
    for days in (1, 3, 8):  # three past reviews: 1, 3 and 8 days; median 3
        n = factories.create_need(session, org=enterprise_org, status="approved")
        session.add_all([
            NeedTransition(need_id=n.id, from_status="draft", to_status="submitted", at=t0),
            NeedTransition(need_id=n.id, from_status="submitted", to_status="approved", at=t0 + dt.timedelta(days=days)),
        ])
    session.flush()
    c = login(enterprise_user)
    r = post_form(c, "/enterprise/needs", {**need_form(), "then": "submit"})
    assert r.status_code == 303
    need = session.scalar(select(Need).where(Need.org_id == enterprise_user.org_id).order_by(Need.id.desc()))
    page = c.get(f"/enterprise/needs/{need.id}").text
    assert "接下来由科技局审核" in page and "用时中位数为 3.0 天" in page


def test_the_disclosure_label_says_who_may_read_the_details(client: TestClient, session, enterprise_org) -> None:  # type: ignore[no-untyped-def]
    need = factories.create_need(session, org=enterprise_org, status="published", disclosure="public")
    page = client.get(f"/needs/{need.id}").text
    assert "详情需登录，向通过科技局认证的单位公开" in page
    assert "<dd>公开</dd>" not in page


def test_a_past_deadline_and_a_reversed_budget_are_refused_next_to_their_fields_at_once(
    login, session, enterprise_user: User  # type: ignore[no-untyped-def]
) -> None:
    from sqlalchemy import func, select

    from market.needs.models import Need
    from tests.web.pages.conftest import need_form, post_form

    c = login(enterprise_user)
    before = session.scalar(select(func.count(Need.id)))
    form = need_form(deadline="2020-01-01", budget_min_wan=90, budget_max_wan=10, track="x", disclosure="y")
    r = post_form(c, "/enterprise/needs", form)
    assert r.status_code == 422
    assert "揭榜截止日期不能早于今天" in r.text and "预算上限不能小于下限" in r.text
    assert "请选择改造方向" in r.text and "请选择详情公开方式" in r.text
    assert "digital" not in r.text.split("<form")[0] and "public、nda" not in r.text
    assert session.scalar(select(func.count(Need.id))) == before
    # while typing: the field check answers the same
    r = post_form(c, "/enterprise/needs/validate", {**need_form(deadline="2020-01-01"), "_field": "deadline"})
    assert "揭榜截止日期不能早于今天" in r.text
    assert 'min="' in c.get("/enterprise/needs/new").text


def test_an_expired_session_on_submit_sends_to_sign_in_and_back_to_the_form(client: TestClient, runtime: Runtime) -> None:
    from tests.web.pages.conftest import need_form
    from web import csrf as csrf_tokens

    stale = "expired-or-revoked-token"
    token = csrf_tokens.make(runtime.settings.secret_key().encode(), stale)
    client.cookies.set("jiebang_session", stale)
    client.cookies.set("jiebang_csrf", token)
    r = client.post(
        "/enterprise/needs", data={**need_form(), "csrf_token": token}, follow_redirects=False,
        headers={"referer": "http://testserver/enterprise/needs/new"},
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/enterprise/needs/new"
    page = client.get(r.headers["location"]).text
    assert "登录已过期" in page and "自动恢复" in page
    # a write from another site is refused outright (web/csrf.py), never followed back
    r = client.post("/enterprise/needs", data={"csrf_token": token}, follow_redirects=False, headers={"referer": "https://evil.example/x"})
    assert r.status_code == 403 and "location" not in r.headers
