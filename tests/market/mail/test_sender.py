"""Mail goes out through a real SMTP server (tests/support/smtp.py) or into a Maildir: one job per
notification in the notification's transaction, sent once, kept queued while the server is away."""

from __future__ import annotations

import datetime as dt
import mailbox
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from market.db import utcnow
from market.mail.models import MailMessage
from market.mail.sender import MailSender, backlog
from market.mail.transport import MaildirTransport, SmtpTransport, transport_from_settings
from market.notifications import service as notify
from market.orgs.models import User
from market.outbox.models import OutboxEntry
from market.settings import MailSettings, Settings
from tests.support.smtp import SmtpServer, free_port
from web.runtime import Runtime, health

CONFIG = MailSettings(base_url="https://jiebang.example.cn", sender="嘉兴揭榜挂帅平台 <noreply@jiebang.example.cn>")


def _entries(session: Session) -> list[OutboxEntry]:
    return list(session.scalars(select(OutboxEntry).where(OutboxEntry.topic == "mail").order_by(OutboxEntry.id)))


def _notify(session: Session, user: User) -> None:
    notify.notify_users(
        session, [user.id], "response.received", "您的需求收到新的揭榜方案：注塑车间余热回收", "浙江某大学提交了方案。", "/responses/7"
    )
    session.commit()


class Clock:
    def __init__(self) -> None:
        self.at = utcnow()

    def __call__(self) -> dt.datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += dt.timedelta(seconds=seconds)


def test_a_notification_queues_its_mail_in_the_same_transaction(session: Session, enterprise_user: User) -> None:
    notify.notify_users(session, [enterprise_user.id], "need.approved", "需求已通过审核：测试需求", link="/needs/1")
    session.flush()
    mails = session.scalars(select(MailMessage).where(MailMessage.user_id == enterprise_user.id)).all()
    assert [m.to_addr for m in mails] == [enterprise_user.email]
    assert [(e.record_id, e.status) for e in _entries(session)] == [(mails[0].id, "pending")]
    session.rollback()  # the change did not happen: neither did its mail
    assert session.scalars(select(MailMessage)).all() == [] and _entries(session) == []


def test_inactive_users_get_no_mail(session: Session, enterprise_user: User) -> None:
    enterprise_user.is_active = False
    session.flush()
    notify.notify_users(session, [enterprise_user.id], "need.approved", "需求已通过审核")
    assert _entries(session) == []


def test_mail_arrives_at_a_real_smtp_server_once_with_chinese_subject_and_link(
    session: Session, session_factory: sessionmaker[Session], enterprise_user: User, smtp_server: SmtpServer
) -> None:
    _notify(session, enterprise_user)
    sender = MailSender(session_factory, SmtpTransport.from_url(smtp_server.url), CONFIG)
    assert sender.drain().sent == 1
    [got] = smtp_server.wait_for(1)
    assert got.rcpt_tos == [enterprise_user.email]
    raw_headers = got.raw.split(b"\r\n\r\n", 1)[0].decode("ascii")  # 7-bit headers: Chinese is RFC 2047 encoded
    assert "Subject: =?utf-8?" in raw_headers
    msg = got.message
    assert msg["Subject"] == "【揭榜挂帅】您的需求收到新的揭榜方案：注塑车间余热回收"
    assert msg["From"].addresses[0].display_name == "嘉兴揭榜挂帅平台"
    assert msg["To"].addresses[0].addr_spec == enterprise_user.email
    assert msg["Message-ID"].endswith("@jiebang.example.cn>")
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "浙江某大学提交了方案。" in text and "https://jiebang.example.cn/responses/7" in text
    assert 'href="https://jiebang.example.cn/responses/7"' in html and "<p>浙江某大学提交了方案。</p>" in html
    # Marked once: another round (or another worker) sends nothing more.
    assert sender.drain().claimed == 0
    [entry] = _entries(session)
    session.refresh(entry)
    assert entry.status == "done" and entry.attempts == 0
    mail = session.get(MailMessage, entry.record_id)
    assert mail is not None
    session.refresh(mail)
    assert mail.sent_at is not None
    assert len(smtp_server.received) == 1


def test_smtp_url_with_credentials_logs_in(session: Session, session_factory: sessionmaker[Session], enterprise_user: User) -> None:
    server = SmtpServer(accounts={"notice@jiebang.cn": "p@ss:word"}).start()
    try:
        _notify(session, enterprise_user)
        bad = MailSender(session_factory, SmtpTransport.from_url(f"smtp://notice%40jiebang.cn:wrong@127.0.0.1:{server.port}"), CONFIG)
        assert bad.drain().unavailable and server.received == []
        clock = Clock()
        clock.advance(3600)
        good = SmtpTransport.from_url(f"smtp://notice%40jiebang.cn:p%40ss%3Aword@127.0.0.1:{server.port}?starttls=0")
        assert (good.username, good.password, good.starttls) == ("notice@jiebang.cn", "p@ss:word", False)
        assert MailSender(session_factory, good, CONFIG, now=clock).drain().sent == 1
        assert len(server.wait_for(1)) == 1
    finally:
        server.stop()


def test_smtp_url_forms() -> None:
    t = SmtpTransport.from_url("smtp://user:pass@mail.example.cn:587?starttls=1")
    assert (t.host, t.port, t.starttls, t.implicit_tls) == ("mail.example.cn", 587, True, False)
    t = SmtpTransport.from_url("smtps://mail.example.cn")
    assert (t.port, t.implicit_tls, t.starttls) == (465, True, False)
    with pytest.raises(ValueError, match="JIEBANG_MAIL__URL"):
        SmtpTransport.from_url("http://mail.example.cn")


def test_unreachable_server_keeps_mail_queued_with_backoff_and_shows_in_health(
    session: Session, session_factory: sessionmaker[Session], enterprise_user: User, runtime: Runtime
) -> None:
    _notify(session, enterprise_user)
    port = free_port()  # nothing listens there
    clock = Clock()
    sender = MailSender(session_factory, SmtpTransport.from_url(f"smtp://127.0.0.1:{port}", timeout_s=2), CONFIG, now=clock)
    result = sender.drain()
    assert result.unavailable and result.sent == 0 and result.deferred == 1
    [entry] = _entries(session)
    session.refresh(entry)
    assert entry.status == "pending" and entry.attempts == 1 and "127.0.0.1" in entry.last_error
    assert entry.next_attempt_at > clock.at
    assert sender.drain().claimed == 0  # backing off, not hammering the server
    queued = backlog(session)
    assert (queued["pending"], queued["failing"], queued["parked"]) == (1, 1, 0)
    component = health(runtime, load_embedder=False)["mail"]
    assert component["status"].startswith("1 封邮件发送失败、排队重试中") and component["pending"] == 1
    # A long outage never parks mail.
    for _ in range(CONFIG.max_attempts + 2):
        clock.advance(CONFIG.backoff_max_s)
        assert sender.drain().deferred == 1
    session.refresh(entry)
    assert entry.status == "pending"
    # The server is back: the mail goes out, once.
    server = SmtpServer(port=port).start()
    try:
        clock.advance(CONFIG.backoff_max_s)
        assert sender.drain().sent == 1
        assert len(server.wait_for(1)) == 1
    finally:
        server.stop()
    assert health(runtime, load_embedder=False)["mail"]["status"] == "ok"


def test_a_temporary_refusal_backs_off_and_a_permanent_one_parks(
    session: Session, session_factory: sessionmaker[Session], enterprise_user: User, smtp_server: SmtpServer
) -> None:
    _notify(session, enterprise_user)
    clock = Clock()
    sender = MailSender(session_factory, SmtpTransport.from_url(smtp_server.url), CONFIG, now=clock)
    smtp_server.set_reply("451 4.3.0 请稍后再试")
    assert sender.drain().deferred == 1
    [entry] = _entries(session)
    session.refresh(entry)
    assert entry.status == "pending" and entry.attempts == 1 and "451" in entry.last_error
    first_delay = (entry.next_attempt_at - clock.at).total_seconds()
    clock.advance(first_delay)
    assert sender.drain().deferred == 1
    session.refresh(entry)
    assert (entry.next_attempt_at - clock.at).total_seconds() == 2 * first_delay  # exponential backoff
    smtp_server.set_reply("550 5.1.1 用户不存在")
    clock.advance(CONFIG.backoff_max_s)
    assert sender.drain().parked == 1
    session.refresh(entry)
    assert entry.status == "parked" and "550" in entry.last_error
    assert smtp_server.received == []
    assert backlog(session)["parked"] == 1


def test_two_workers_never_send_the_same_mail(
    session: Session, session_factory: sessionmaker[Session], enterprise_user: User, smtp_server: SmtpServer
) -> None:
    for _ in range(3):
        _notify(session, enterprise_user)
    transport = SmtpTransport.from_url(smtp_server.url)
    first = MailSender(session_factory, transport, CONFIG, batch_size=2)
    second = MailSender(session_factory, transport, CONFIG, batch_size=2)
    claimed_first = first._claim()
    claimed_second = second._claim()
    assert len(claimed_first) == 2 and len(claimed_second) == 1
    assert not {c[0] for c in claimed_first} & {c[0] for c in claimed_second}


def test_a_worker_that_died_mid_send_leaves_the_mail_to_the_next_after_its_lease(
    session: Session, session_factory: sessionmaker[Session], enterprise_user: User, smtp_server: SmtpServer
) -> None:
    _notify(session, enterprise_user)
    clock = Clock()
    dead = MailSender(session_factory, SmtpTransport.from_url(smtp_server.url), CONFIG, now=clock)
    assert len(dead._claim()) == 1  # and then nothing: the process died
    alive = MailSender(session_factory, SmtpTransport.from_url(smtp_server.url), CONFIG, now=clock)
    assert alive.drain().claimed == 0
    clock.advance(CONFIG.lease_s)
    assert alive.drain().sent == 1


def test_default_transport_is_a_maildir_that_mailbox_reads(
    session: Session, session_factory: sessionmaker[Session], enterprise_user: User, tmp_path: Path
) -> None:
    settings = Settings()
    settings.paths.data_dir = tmp_path
    transport = transport_from_settings(settings)
    assert isinstance(transport, MaildirTransport) and transport.path == tmp_path / "mail"
    _notify(session, enterprise_user)
    assert MailSender(session_factory, transport, CONFIG).drain().sent == 1
    [msg] = list(mailbox.Maildir(tmp_path / "mail", create=False))
    assert msg["Subject"].startswith("=?utf-8?")
    assert str(make_header(decode_header(msg["Subject"]))) == "【揭榜挂帅】您的需求收到新的揭榜方案：注塑车间余热回收"
    settings.mail.url = type(settings.mail.url)(f"maildir://{tmp_path / 'other'}")
    other = transport_from_settings(settings)
    assert isinstance(other, MaildirTransport) and other.path == tmp_path / "other"


def test_a_new_batch_is_announced_in_the_app_only(session: Session, enterprise_user: User, provider_user: User) -> None:
    """Every provider hears of a new batch; a mail to each of them per batch would be a mail storm."""
    notify.notify_users(session, [provider_user.id, enterprise_user.id], "batch.published", "新榜单发布：2026年第5批")
    assert _entries(session) == []
    assert notify.notify_users(session, [provider_user.id], "subscription.match", "订阅有新需求") == 1
    assert len(_entries(session)) == 1
