"""Signing in, registering and signing out in the pages."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from market.mail.models import MailMessage
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


def _register_form(email: str, org_name: str, csrf: str | None) -> dict[str, str | None]:
    return {
        "org_name": org_name,
        "org_kind": "enterprise",
        "county": "南湖区",
        "industry": "装备制造",
        "email": email,
        "display_name": "李工",
        "password": "Passw0rd!x2026",
        "password2": "Passw0rd!x2026",
        "csrf_token": csrf,
    }


def _mails(session: Session, to_addr: str) -> list[MailMessage]:
    session.expire_all()
    return list(session.scalars(select(MailMessage).where(MailMessage.to_addr == to_addr).order_by(MailMessage.id)))


def test_register_creates_org_mails_and_sends_to_sign_in(client: TestClient, session: Session) -> None:
    """The page does not sign the new account in (that would tell an address without an account
    from one with it, issue 14 finding 9): 已提交，请查收邮件, a mail, then signing in works."""
    client.get("/register")
    csrf = client.cookies.get("jiebang_csrf")
    r = client.post(
        "/register", data=_register_form("page-reg@test.jiebang.cn", "嘉兴页面测试机械有限公司", csrf),
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert not any(c.startswith("jiebang_session=") for c in r.headers.get_list("set-cookie"))
    assert "已提交，请查收邮件" in client.get("/login").text
    org = session.scalar(select(Organisation).where(Organisation.name == "嘉兴页面测试机械有限公司"))
    assert org is not None and org.verification == "pending"
    [sent] = _mails(session, "page-reg@test.jiebang.cn")
    assert sent.kind == "account.registered" and "嘉兴页面测试机械有限公司" in sent.body and sent.link == "/login"
    csrf = client.cookies.get("jiebang_csrf")
    r = client.post(
        "/login", data={"email": "page-reg@test.jiebang.cn", "password": "Passw0rd!x2026", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/enterprise"
    assert "待认证" in client.get("/enterprise").text


def test_register_answers_the_same_page_whether_the_e_mail_exists(
    client: TestClient, session: Session, enterprise_user: User
) -> None:
    """Issue 14, finding 9: the page signed a new account in and sent a taken address to /login,
    so it told which addresses have accounts. Now both get the same answer; the owner of the taken
    address gets a mail instead, and nothing about their account changes."""
    password_before = enterprise_user.password_hash
    answers = []
    for email, org_name in ((enterprise_user.email, "嘉兴重复邮箱测试有限公司"), ("fresh-page@test.jiebang.cn", "嘉兴新邮箱测试有限公司")):
        client.get("/register")
        r = client.post("/register", data=_register_form(email, org_name, client.cookies.get("jiebang_csrf")), follow_redirects=False)
        set_cookies = [c.split("=", 1)[0] for c in r.headers.get_list("set-cookie")]
        answers.append((r.status_code, r.headers["location"], "jiebang_session" in set_cookies, client.get("/login").text.count("已提交，请查收邮件")))
    assert answers[0] == answers[1] == (303, "/login", False, 1)
    [warning] = _mails(session, enterprise_user.email)
    assert warning.kind == "account.duplicate" and warning.subject == "有人尝试用您的邮箱注册"
    assert warning.link == "/forgot-password"
    session.refresh(enterprise_user)
    assert enterprise_user.password_hash == password_before
    assert session.scalar(select(Organisation).where(Organisation.name == "嘉兴重复邮箱测试有限公司")) is None
    # A taken organisation name is refused whatever the e-mail, so that answer tells nothing either.
    taken = enterprise_user.org.name
    codes = []
    for email in (enterprise_user.email, "another-fresh@test.jiebang.cn"):
        client.get("/register")
        r = client.post("/register", data=_register_form(email, taken, client.cookies.get("jiebang_csrf")), follow_redirects=False)
        codes.append((r.status_code, "该单位名称已注册" in r.text))
    assert codes == [(409, True), (409, True)]


def test_duplicate_registration_mails_are_capped(client: TestClient, session: Session, enterprise_user: User) -> None:
    """Registering again and again with someone's address does not flood their mailbox."""
    from market.accounts.service import MAX_DUPLICATE_MAILS_PER_HOUR

    for i in range(MAX_DUPLICATE_MAILS_PER_HOUR + 2):
        client.get("/register")
        r = client.post(
            "/register", data=_register_form(enterprise_user.email, f"嘉兴重复{i}有限公司", client.cookies.get("jiebang_csrf")),
            follow_redirects=False,
        )
        assert r.status_code == 303
    assert len(_mails(session, enterprise_user.email)) == MAX_DUPLICATE_MAILS_PER_HOUR


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
