"""Signing in, registering and signing out in the pages."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from market.orgs.models import Organisation, User
from tests import factories
from tests.web.pages.conftest import need_form, post_form


def test_login_sets_httponly_session_and_csrf_cookies(
    client: TestClient, session: Session, enterprise_user: User
) -> None:
    page = client.get("/login").text
    csrf = client.cookies.get("jiebang_csrf")
    assert csrf
    assert f'name="csrf_token" value="{csrf}"' in page  # the form carries the double-submit token
    r = client.post(
        "/login",
        data={"email": enterprise_user.email, "password": factories.PASSWORD, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/enterprise"
    cookies = r.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith("jiebang_session="))
    assert "HttpOnly" in session_cookie and "samesite=lax" in session_cookie.lower()
    assert any(c.startswith("jiebang_csrf=") for c in cookies)
    assert client.get("/enterprise").status_code == 200


def test_login_errors_are_chinese_and_next_to_the_field(client: TestClient, enterprise_user: User) -> None:
    client.get("/login")
    csrf = client.cookies.get("jiebang_csrf")
    r = client.post(
        "/login", data={"email": enterprise_user.email, "password": "wrong-password", "csrf_token": csrf}
    )
    assert r.status_code == 401
    assert 'id="password-error"' in r.text and "邮箱或密码错误" in r.text
    r = client.post("/login", data={"email": "", "password": "", "csrf_token": csrf})
    assert r.status_code == 422 and "请输入邮箱" in r.text and "请输入密码" in r.text


def test_login_without_csrf_is_refused(client: TestClient, enterprise_user: User) -> None:
    r = client.post(
        "/login",
        data={"email": enterprise_user.email, "password": factories.PASSWORD},
        follow_redirects=False,
    )
    assert r.status_code == 403 and "页面已过期" in r.text
    assert "jiebang_session" not in r.headers.get("set-cookie", "")


def test_register_shows_field_errors_in_chinese(client: TestClient) -> None:
    client.get("/register")
    csrf = client.cookies.get("jiebang_csrf")
    r = client.post(
        "/register",
        data={
            "org_name": "嘉",
            "org_kind": "enterprise",
            "county": "杭州市",
            "email": "not-an-email",
            "display_name": "张工",
            "password": "short",
            "password2": "other",
            "csrf_token": csrf,
        },
    )
    assert r.status_code == 422
    assert 'id="org_name-error"' in r.text and "内容过短" in r.text
    assert 'id="email-error"' in r.text and "邮箱格式不正确" in r.text
    assert 'id="county-error"' in r.text and "县（市、区）须为" in r.text
    assert "两次输入的密码不一致" in r.text


def test_register_creates_org_and_signs_in(client: TestClient, session: Session) -> None:
    client.get("/register")
    csrf = client.cookies.get("jiebang_csrf")
    r = client.post(
        "/register",
        data={
            "org_name": "嘉兴页面测试机械有限公司",
            "org_kind": "enterprise",
            "county": "南湖区",
            "industry": "装备制造",
            "email": "page-reg@test.jiebang.cn",
            "display_name": "李工",
            "password": "Passw0rd!x2026",
            "password2": "Passw0rd!x2026",
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/enterprise"
    org = session.scalar(select(Organisation).where(Organisation.name == "嘉兴页面测试机械有限公司"))
    assert org is not None and org.verification == "pending"
    page = client.get("/enterprise").text
    assert "待认证" in page


def test_logout_requires_csrf_and_revokes(login, enterprise_user: User) -> None:
    c = login(enterprise_user)
    r = post_form(c, "/logout", csrf=False)
    assert r.status_code == 403 and "CSRF" in r.text
    r = post_form(c, "/logout")
    assert r.status_code == 303
    c.cookies.set("jiebang_session", c.cookies.get("jiebang_session") or "")
    assert c.get("/enterprise", follow_redirects=False).status_code == 303


def test_signed_out_visitor_is_sent_to_login(client: TestClient) -> None:
    r = client.get("/enterprise/needs/new", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/enterprise/needs/new")


@pytest.mark.parametrize("url", ["/notifications", "/provider", "/enterprise", "/dashboard"])
def test_pages_need_sign_in(client: TestClient, url: str) -> None:
    r = client.get(url, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_csrf_enforced_on_cookie_posts(login, session: Session, enterprise_user: User) -> None:
    c = login(enterprise_user)
    r = post_form(c, "/enterprise/needs", need_form(), csrf=False)
    assert r.status_code == 403 and "CSRF" in r.text
    r = c.post("/enterprise/needs", data={**need_form(), "csrf_token": "forged"}, follow_redirects=False)
    assert r.status_code == 403
    # The header form of the token (what htmx sends) is accepted.
    r = c.post("/enterprise/needs", data=need_form(), headers={"X-CSRF-Token": c.cookies.get("jiebang_csrf") or ""}, follow_redirects=False)
    assert r.status_code == 303


def test_unexpected_error_is_a_friendly_500_without_stack_trace(app) -> None:  # type: ignore[no-untyped-def]
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    app.add_api_route("/boom-page", boom)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom-page")
    assert r.status_code == 500
    assert "系统出错了" in r.text and "secret internal detail" not in r.text and "Traceback" not in r.text


def test_register_refuses_a_wrong_credit_code_next_to_the_field(client: TestClient, session: Session) -> None:
    client.get("/register")
    csrf = client.cookies.get("jiebang_csrf")
    r = client.post(
        "/register",
        data={
            "org_name": "嘉兴校验位测试有限公司",
            "org_kind": "enterprise",
            "credit_code": "91350100M000100Y44",
            "email": "uscc-page@test.jiebang.cn",
            "display_name": "李工",
            "password": "Passw0rd!x",
            "password2": "Passw0rd!x",
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert r.status_code == 422
    assert 'id="credit_code-error"' in r.text and "统一社会信用代码校验位不正确" in r.text
    assert "91350100M000100Y44" in r.text  # what was typed stays in the form
    assert session.scalar(select(Organisation).where(Organisation.name == "嘉兴校验位测试有限公司")) is None
