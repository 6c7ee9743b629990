"""Mail preferences per category (immediately / daily digest / off), the digest job, and the
signed unsubscribe link in every mail."""

from __future__ import annotations

import datetime as dt
import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from market.db import utcnow
from market.mail import preferences
from market.mail.digest import send_due_digests
from market.mail.models import MailMessage
from market.mail.service import queue_mail
from market.notifications import service as notify
from market.orgs.models import User
from market.outbox.models import OutboxEntry
from tests.support.smtp import SmtpServer
from web.runtime import Runtime


def _jobs(session: Session) -> list[int]:
    return list(session.scalars(select(OutboxEntry.record_id).where(OutboxEntry.topic == "mail")))


def test_off_sends_nothing_digest_holds_and_account_mail_always_goes(session: Session, provider_user: User) -> None:
    preferences.set_mode(session, provider_user.id, "matching", "off")
    preferences.set_mode(session, provider_user.id, "responses", "digest")
    notify.notify_users(session, [provider_user.id], "subscription.match", "订阅有新需求")
    assert session.scalars(select(MailMessage)).all() == []
    notify.notify_users(session, [provider_user.id], "question.answered", "答疑有新答复")
    [held] = session.scalars(select(MailMessage)).all()
    assert held.held and _jobs(session) == []
    notify.notify_users(session, [provider_user.id], "need.approved", "需求已通过审核")  # another category: at once
    queue_mail(session, to_addr=provider_user.email, kind="account.reset", subject="重设密码", user_id=provider_user.id)
    assert len(_jobs(session)) == 2
    assert preferences.preferences_of(session, provider_user.id) == {
        "matching": "off", "responses": "digest", "decisions": "immediate", "reminders": "immediate", "bureau": "immediate",
    }


def test_the_daily_digest_goes_once_with_every_held_mail(session: Session, provider_user: User) -> None:
    preferences.set_mode(session, provider_user.id, preferences.ALL, "digest")
    for i in range(3):
        notify.notify_users(session, [provider_user.id], "question.answered", f"答疑有新答复 {i}")
    now = utcnow()
    assert send_due_digests(session, now) == 0  # not a day old yet
    later = now + dt.timedelta(hours=24, minutes=1)
    assert send_due_digests(session, later) == 1
    assert send_due_digests(session, later) == 0  # idempotent: every held mail is in one digest
    [digest] = session.scalars(select(MailMessage).where(MailMessage.kind == "digest")).all()
    assert digest.subject == "揭榜挂帅平台动态汇总（3 条）" and "· 答疑有新答复 2" in digest.body
    assert _jobs(session) == [digest.id]
    assert {m.digest_id for m in session.scalars(select(MailMessage).where(MailMessage.kind != "digest"))} == {digest.id}


def test_every_mail_carries_a_signed_unsubscribe_link_that_works_without_sign_in(
    session: Session, session_factory: sessionmaker[Session], runtime: Runtime, client: TestClient,
    provider_user: User, smtp_server: SmtpServer,
) -> None:
    from market.mail.transport import SmtpTransport

    notify.notify_users(session, [provider_user.id], "subscription.match", "订阅「模具」有新需求", link="/needs/3")
    session.commit()
    sender = runtime.mail_sender()
    sender.transport = SmtpTransport.from_url(smtp_server.url)
    assert sender.drain().sent == 1
    msg = smtp_server.wait_for(1)[0].message
    text = msg.get_body(("plain",)).get_content()
    link = re.search(r"(http://\S+/unsubscribe\?token=\S+)", text)
    assert link is not None and msg["List-Unsubscribe"] == f"<{link.group(1)}>"
    path = link.group(1).split("8000", 1)[1]
    assert "确认退订" in client.get(path).text  # a GET changes nothing
    assert preferences.preferences_of(session, provider_user.id)["matching"] == "immediate"
    r = client.post(path)
    assert r.status_code == 200 and "已退订「可能适合我的新需求」" in r.text
    assert preferences.preferences_of(session, provider_user.id)["matching"] == "off"
    forged = path[:-3] + ("xyz" if not path.endswith("xyz") else "abc")
    assert client.post(forged).status_code == 422
    # Account mail has no unsubscribe link.
    assert preferences.unsubscribe_path("s", provider_user.id, "account.reset") == ""


def test_preferences_through_the_api(client: TestClient, provider_user: User, auth) -> None:  # type: ignore[no-untyped-def]
    r = client.put("/api/v1/account/mail-preferences", json={"modes": {"matching": "digest"}}, headers=auth(provider_user))
    assert r.status_code == 200 and r.json()["modes"]["matching"] == "digest"
    r = client.put("/api/v1/account/mail-preferences", json={"modes": {"matching": "weekly"}}, headers=auth(provider_user))
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "mode"
    assert client.get("/api/v1/account/mail-preferences").status_code == 401
