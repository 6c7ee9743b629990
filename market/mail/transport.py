"""Where mail goes: an SMTP server (``JIEBANG_MAIL__URL=smtp://user:pass@host:587?starttls=1``)
or, by default, a Maildir under the data directory that ``mailbox.Maildir`` reads.

A transport opens a connection for a batch and sends messages over it. Errors are sorted into
what the worker does next: ``MailUnavailable`` (the server cannot be reached or hung up: keep
everything queued, try later), ``MailDeferred`` (the server said "try later" for this message)
and ``MailRefused`` (a permanent refusal of this message: park it).
"""

from __future__ import annotations

import mailbox
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from market.settings import Settings


class MailError(Exception):
    """Sending failed; the message says why, for the outbox entry's last error."""


class MailUnavailable(MailError):
    """The mail server cannot be reached (or dropped the connection)."""


class MailDeferred(MailError):
    """The server refused this message for now (4xx)."""


class MailRefused(MailError):
    """The server refused this message for good (5xx)."""


class Connection(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class Transport(Protocol):
    @property
    def description(self) -> str:
        """In words, for the health check ("SMTP mail.example.com:587", "Maildir /data/mail")."""
        ...

    def connect(self) -> AbstractContextManager[Connection]: ...


def _smtp_error(exc: smtplib.SMTPException) -> MailError:
    code = getattr(exc, "smtp_code", None)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [c for c, _ in exc.recipients.values()]
        code = min(codes) if codes else None
    text = f"SMTP {code}: {exc}" if code else f"SMTP: {exc}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return MailUnavailable(text)
    if isinstance(code, int) and code >= 500:
        return MailRefused(text)
    return MailDeferred(text)


class _SmtpConnection:
    def __init__(self, smtp: smtplib.SMTP) -> None:
        self.smtp = smtp

    def send(self, message: EmailMessage) -> None:
        try:
            self.smtp.send_message(message)
        except smtplib.SMTPException as exc:
            raise _smtp_error(exc) from exc
        except OSError as exc:
            raise MailUnavailable(f"SMTP 连接中断：{exc}") from exc


@dataclass
class SmtpTransport:
    host: str
    port: int
    username: str = ""
    password: str = ""
    starttls: bool = False
    implicit_tls: bool = False
    timeout_s: float = 15.0

    @classmethod
    def from_url(cls, url: str, timeout_s: float = 15.0) -> SmtpTransport:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("JIEBANG_MAIL__URL 须形如 smtp://user:pass@host:587?starttls=1")
        query = parse_qs(parts.query)
        implicit = parts.scheme == "smtps"
        starttls = not implicit and query.get("starttls", ["0"])[0].lower() in ("1", "true", "yes")
        return cls(
            host=parts.hostname, port=parts.port or (465 if implicit else 25),
            username=unquote(parts.username or ""), password=unquote(parts.password or ""),
            starttls=starttls, implicit_tls=implicit, timeout_s=timeout_s,
        )

    @property
    def description(self) -> str:
        return f"SMTP {self.host}:{self.port}" + ("（STARTTLS）" if self.starttls else "（TLS）" if self.implicit_tls else "")

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        try:
            if self.implicit_tls:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout_s, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password)
        except smtplib.SMTPAuthenticationError as exc:
            raise MailUnavailable(f"SMTP 登录失败（{exc.smtp_code}）") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise MailUnavailable(f"无法连接邮件服务器 {self.host}:{self.port}：{exc}") from exc
        try:
            yield _SmtpConnection(smtp)
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


class _MaildirConnection:
    def __init__(self, box: mailbox.Maildir) -> None:
        self.box = box

    def send(self, message: EmailMessage) -> None:
        try:
            self.box.add(message)
        except OSError as exc:
            raise MailUnavailable(f"无法写入 Maildir：{exc}") from exc


@dataclass
class MaildirTransport:
    path: Path

    @property
    def description(self) -> str:
        return f"Maildir {self.path}"

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        try:
            box = mailbox.Maildir(self.path, create=True)
        except OSError as exc:
            raise MailUnavailable(f"无法打开 Maildir {self.path}：{exc}") from exc
        yield _MaildirConnection(box)


def transport_from_settings(settings: Settings) -> SmtpTransport | MaildirTransport:
    url = settings.mail.url.get_secret_value().strip()
    if not url:
        return MaildirTransport(settings.paths.mail_dir)
    if url.startswith("maildir://"):
        return MaildirTransport(Path(unquote(urlsplit(url).path)))
    return SmtpTransport.from_url(url, settings.mail.timeout_s)
