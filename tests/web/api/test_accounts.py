"""Accounts run by their owners, through the API: password change and reset by mail, invitations,
roles, deactivation (sessions end at once), one's own sessions."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from market.accounts.models import PasswordReset
from market.mail.models import MailMessage
from market.orgs.models import User
from tests import factories
from tests.factories import PASSWORD


def _token(client: TestClient, email: str, password: str = PASSWORD) -> str:
    r = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _link_token(session: Session, to: str, kind: str) -> str:
    mail = session.scalars(select(MailMessage).where(MailMessage.to_addr == to, MailMessage.kind == kind).order_by(MailMessage.id.desc())).first()
    assert mail is not None
    return parse_qs(urlsplit(mail.link).query)["token"][0]


def test_change_password_needs_the_current_one_and_ends_other_sessions(client: TestClient, enterprise_user: User) -> None:
    here, elsewhere = _token(client, enterprise_user.email), _token(client, enterprise_user.email)
    r = client.post("/api/v1/account/password", json={"current_password": "wrong-password", "new_password": "N3w-passw0rd"}, headers=_h(here))
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "current_password"
    r = client.post("/api/v1/account/password", json={"current_password": PASSWORD, "new_password": "short"}, headers=_h(here))
    assert r.status_code == 422
    r = client.post("/api/v1/account/password", json={"current_password": PASSWORD, "new_password": "N3w-passw0rd"}, headers=_h(here))
    assert r.status_code == 204
    assert client.get("/api/v1/auth/me", headers=_h(here)).status_code == 200
    assert client.get("/api/v1/auth/me", headers=_h(elsewhere)).status_code == 401
    assert client.post("/api/v1/auth/token", json={"email": enterprise_user.email, "password": PASSWORD}).status_code == 401
    _token(client, enterprise_user.email, "N3w-passw0rd")


def test_reset_by_mail_is_single_use_expires_and_answers_the_same_for_unknown_addresses(
    client: TestClient, session: Session, enterprise_user: User
) -> None:
    old = _token(client, enterprise_user.email)
    known = client.post("/api/v1/account/password-reset", json={"email": enterprise_user.email.upper()})
    unknown = client.post("/api/v1/account/password-reset", json={"email": "nobody@test.jiebang.cn"})
    assert known.status_code == unknown.status_code == 202 and known.json() == unknown.json()
    assert session.scalar(select(MailMessage.id).where(MailMessage.to_addr == "nobody@test.jiebang.cn")) is None
    token = _link_token(session, enterprise_user.email, "account.reset")
    r = client.post("/api/v1/account/password-reset/confirm", json={"token": token, "new_password": "R3set-passw0rd"})
    assert r.status_code == 204
    assert client.get("/api/v1/auth/me", headers=_h(old)).status_code == 401  # every session ended
    _token(client, enterprise_user.email, "R3set-passw0rd")
    again = client.post("/api/v1/account/password-reset/confirm", json={"token": token, "new_password": "Other-passw0rd"})
    assert again.status_code == 422 and again.json()["error"]["details"][0]["field"] == "token"
    # An expired link does nothing.
    client.post("/api/v1/account/password-reset", json={"email": enterprise_user.email})
    token = _link_token(session, enterprise_user.email, "account.reset")
    row = session.scalars(select(PasswordReset).order_by(PasswordReset.id.desc())).first()
    assert row is not None
    assert dt.timedelta(minutes=29) < row.expires_at - row.created_at <= dt.timedelta(minutes=30)
    row.expires_at = row.created_at
    session.flush()
    assert client.post("/api/v1/account/password-reset/confirm", json={"token": token, "new_password": "Late-passw0rd"}).status_code == 422


def test_reset_requests_are_rate_limited(client: TestClient, session: Session, enterprise_user: User) -> None:
    # One account gets at most 3 reset mails an hour, and the answer does not change.
    answers = [client.post("/api/v1/account/password-reset", json={"email": enterprise_user.email}) for _ in range(4)]
    assert [a.status_code for a in answers] == [202] * 4 and len({a.text for a in answers}) == 1
    mails = session.scalars(select(MailMessage).where(MailMessage.kind == "account.reset")).all()
    assert len(mails) == 3
    # One client address may ask only so often (5 per minute by default), whatever the e-mail.
    codes = [client.post("/api/v1/account/password-reset", json={"email": f"x{i}@test.jiebang.cn"}).status_code for i in range(2)]
    assert codes == [202, 429]


def test_admin_invites_a_colleague_who_sets_a_password_from_the_mail(
    client: TestClient, session: Session, enterprise_user: User, other_enterprise_user: User
) -> None:
    admin = _h(_token(client, enterprise_user.email))
    r = client.post("/api/v1/org/invitations", json={"email": "Colleague@test.jiebang.cn", "display_name": "王工"}, headers=admin)
    assert r.status_code == 201, r.text
    mail = session.scalars(select(MailMessage).where(MailMessage.kind == "account.invite")).one()
    assert mail.to_addr == "colleague@test.jiebang.cn" and enterprise_user.org.name in mail.subject
    token = _link_token(session, "colleague@test.jiebang.cn", "account.invite")
    r = client.post("/api/v1/invitations/accept", json={"token": token, "password": "Welc0me-here"})
    assert r.status_code == 201 and r.json()["org"]["id"] == enterprise_user.org_id and r.json()["roles"] == ["member"]
    assert client.post("/api/v1/invitations/accept", json={"token": token, "password": "Welc0me-here"}).status_code == 422
    _token(client, "colleague@test.jiebang.cn", "Welc0me-here")
    # A member who is not an admin invites nobody; bureau roles are not the enterprise's to give.
    member = factories.create_user(session, enterprise_user.org, roles=["member"])
    r = client.post("/api/v1/org/invitations", json={"email": "a@test.jiebang.cn", "display_name": "甲"}, headers=_h(_token(client, member.email)))
    assert r.status_code == 403
    r = client.post("/api/v1/org/invitations", json={"email": "b@test.jiebang.cn", "display_name": "乙", "roles": ["bureau_admin"]}, headers=admin)
    assert r.status_code == 403
    r = client.post("/api/v1/org/invitations", json={"email": other_enterprise_user.email, "display_name": "丙"}, headers=admin)
    assert r.status_code == 409


def test_admin_changes_roles_and_deactivates_and_their_sessions_end_at_once(
    client: TestClient, session: Session, enterprise_user: User, other_enterprise_user: User
) -> None:
    admin = _h(_token(client, enterprise_user.email))
    colleague = factories.create_user(session, enterprise_user.org, roles=["member"])
    theirs = _h(_token(client, colleague.email))
    members = client.get("/api/v1/org/members", headers=admin).json()
    me = next(m for m in members if m["id"] == enterprise_user.id)
    assert me["actions"]["deactivate"]["allowed"] is False
    r = client.put(f"/api/v1/org/members/{colleague.id}/roles", json={"roles": ["member", "org_admin"]}, headers=admin)
    assert r.status_code == 200 and r.json()["roles"] == ["member", "org_admin"]
    assert client.put(f"/api/v1/org/members/{colleague.id}/roles", json={"roles": ["expert"]}, headers=admin).status_code == 403
    # Another organisation's member does not exist for this admin.
    assert client.post(f"/api/v1/org/members/{other_enterprise_user.id}/deactivate", headers=admin).status_code == 404
    assert client.post(f"/api/v1/org/members/{enterprise_user.id}/deactivate", headers=admin).status_code == 403
    r = client.post(f"/api/v1/org/members/{colleague.id}/deactivate", headers=admin)
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert client.get("/api/v1/auth/me", headers=theirs).status_code == 401
    assert client.post("/api/v1/auth/token", json={"email": colleague.email, "password": PASSWORD}).status_code == 401
    assert client.post(f"/api/v1/org/members/{colleague.id}/deactivate", headers=admin).status_code == 409


def test_a_user_sees_and_ends_their_own_sessions(client: TestClient, enterprise_user: User, other_enterprise_user: User) -> None:
    here, elsewhere = _token(client, enterprise_user.email), _token(client, enterprise_user.email)
    sessions = client.get("/api/v1/account/sessions", headers=_h(here)).json()
    assert len(sessions) == 2 and [s["current"] for s in sessions].count(True) == 1
    other = next(s for s in sessions if not s["current"])
    stranger = _h(_token(client, other_enterprise_user.email))
    assert client.delete(f"/api/v1/account/sessions/{other['id']}", headers=stranger).status_code == 404
    assert client.delete(f"/api/v1/account/sessions/{other['id']}", headers=_h(here)).status_code == 204
    assert client.get("/api/v1/auth/me", headers=_h(elsewhere)).status_code == 401
    assert client.get("/api/v1/auth/me", headers=_h(here)).status_code == 200


def test_a_new_password_follows_the_registration_rule(client: TestClient, enterprise_user: User) -> None:
    """Changing a password refuses what registration refuses: a common one, or one holding the e-mail."""
    here = _token(client, enterprise_user.email)
    for weak in ("12345678", "password1", enterprise_user.email.split("@")[0] + "2026!"):
        r = client.post("/api/v1/account/password", json={"current_password": PASSWORD, "new_password": weak}, headers=_h(here))
        assert r.status_code == 422, (weak, r.text)
        assert r.json()["error"]["details"][0]["field"] == "new_password"
