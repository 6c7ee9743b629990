"""Account pages: forgotten password to a new one through the mailed link, invitation from the
members page to a colleague signing in, deactivation, password change and sessions."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from market.mail.models import MailMessage
from market.orgs.models import User
from tests import factories
from tests.factories import PASSWORD
from tests.web.pages.conftest import post_form

Login = Callable[[User], TestClient]


def _link(session: Session, to: str, kind: str) -> str:
    mail = session.scalars(select(MailMessage).where(MailMessage.to_addr == to, MailMessage.kind == kind)).one()
    return mail.link


def _post_anonymous(client: TestClient, page: str, url: str, data: dict[str, object]):  # type: ignore[no-untyped-def]
    """Post a form signed out, with the CSRF token the page handed out (double submit)."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).text)
    assert token is not None
    return client.post(url, data={**data, "csrf_token": token.group(1)}, follow_redirects=False)


def _sign_in(client: TestClient, email: str, password: str) -> int:
    return int(_post_anonymous(client, "/login", "/login", {"email": email, "password": password}).status_code)


def test_forgotten_password_to_a_new_one_through_the_mailed_link(client: TestClient, session: Session, enterprise_user: User) -> None:
    assert "忘记密码？" in client.get("/login").text
    page = _post_anonymous(client, "/forgot-password", "/forgot-password", {"email": enterprise_user.email}).text
    assert "如果该邮箱已注册" in page
    other = _post_anonymous(client, "/forgot-password", "/forgot-password", {"email": "nobody@test.jiebang.cn"}).text
    assert "如果该邮箱已注册" in other
    link = _link(session, enterprise_user.email, "account.reset")
    assert link.startswith("/reset-password?token=")
    assert "设置新密码" in client.get(link).text
    token = parse_qs(urlsplit(link).query)["token"][0]
    r = _post_anonymous(client, link, "/reset-password", {"token": token, "new_password": "short"})
    assert r.status_code == 422 and "8" in r.text
    r = _post_anonymous(client, link, "/reset-password", {"token": token, "new_password": "R3set-passw0rd"})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    r = _post_anonymous(client, link, "/reset-password", {"token": token, "new_password": "Again-passw0rd"})
    assert r.status_code == 422 and "链接无效或已过期" in r.text
    assert _sign_in(client, enterprise_user.email, "R3set-passw0rd") == 303


def test_admin_invites_from_the_members_page_and_deactivates(login: Login, client: TestClient, session: Session, enterprise_user: User) -> None:
    c = login(enterprise_user)
    assert "邀请同事" in c.get("/org/members").text
    r = post_form(c, "/org/invitations", {"email": "not-an-email", "display_name": "王工"})
    assert r.status_code == 422 and "邮箱格式不正确" in r.text
    assert post_form(c, "/org/invitations", {"email": "wang@test.jiebang.cn", "display_name": "王工"}).status_code == 303
    link = _link(session, "wang@test.jiebang.cn", "account.invite")
    c.cookies.clear()
    assert "wang@test.jiebang.cn" in c.get(link).text
    token = parse_qs(urlsplit(link).query)["token"][0]
    assert _post_anonymous(c, link, "/invite", {"token": token, "password": "Welc0me-here"}).status_code == 303
    assert _sign_in(c, "wang@test.jiebang.cn", "Welc0me-here") == 303
    wang = session.scalars(select(User).where(User.email == "wang@test.jiebang.cn")).one()
    c.cookies.clear()
    c = login(enterprise_user)
    assert post_form(c, f"/org/members/{wang.id}/deactivate").status_code == 303
    assert "已停用" in c.get("/org/members").text
    c.cookies.clear()
    assert _sign_in(c, "wang@test.jiebang.cn", "Welc0me-here") == 401
    member = factories.create_user(session, enterprise_user.org, roles=["member"])
    c.cookies.clear()
    c = login(member)
    assert c.get("/org/members").status_code == 403


def test_password_change_and_sessions_on_the_account_page(login: Login, session: Session, enterprise_user: User) -> None:
    c = login(enterprise_user)
    page = c.get("/account").text
    assert "修改密码" in page and "当前会话" in page
    r = post_form(c, "/account/password", {"current_password": "wrong", "new_password": "N3w-passw0rd"})
    assert r.status_code == 422 and "当前密码不正确" in r.text
    r = post_form(c, "/account/password", {"current_password": PASSWORD, "new_password": "N3w-passw0rd"})
    assert r.status_code == 303
    assert "当前会话" in c.get("/account").text  # this session stays
