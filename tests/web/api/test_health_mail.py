"""/healthz shows mail that could not go out (queued, not lost) and where mail goes."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from market.mail.sender import MailSender
from market.mail.transport import SmtpTransport
from market.notifications import service as notify
from market.orgs.models import User
from market.settings import MailSettings
from tests.support.smtp import free_port


def test_healthz_reports_queued_mail_when_the_smtp_server_is_unreachable(
    client: TestClient, session: Session, session_factory: sessionmaker[Session], enterprise_user: User
) -> None:
    body = client.get("/healthz").json()
    assert body["components"]["mail"]["status"] == "ok"
    assert body["components"]["mail"]["transport"].startswith("Maildir ")
    notify.notify_users(session, [enterprise_user.id], "need.approved", "需求已通过审核")
    session.commit()
    sender = MailSender(session_factory, SmtpTransport.from_url(f"smtp://127.0.0.1:{free_port()}", timeout_s=2), MailSettings())
    assert sender.drain().unavailable
    r = client.get("/healthz")
    assert r.status_code == 503
    mail = r.json()["components"]["mail"]
    assert mail["pending"] == 1 and mail["failing"] == 1
    assert "1 封邮件发送失败、排队重试中" in mail["status"] and "无法连接邮件服务器" in mail["status"]
