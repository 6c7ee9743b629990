"""A real SMTP server for the tests (aiosmtpd on a free loopback port), recording what arrived.

``reply`` sets what it answers to DATA ("250 OK", or "451 ..." / "550 ..." to refuse); with
``accounts`` it requires AUTH LOGIN/PLAIN with those credentials (without TLS, loopback only).
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import warnings
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        msg = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    reply: str = "250 OK"
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.arrived = threading.Condition(self.lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if not self.reply.startswith("250"):
            return self.reply
        with self.arrived:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content)))
            self.arrived.notify_all()
        return "250 OK"


class SmtpServer:
    def __init__(self, accounts: dict[str, str] | None = None, port: int | None = None) -> None:
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.handler = _Handler()
        self.accounts = accounts or {}
        kwargs: dict[str, Any] = {}
        if self.accounts:
            # Plain AUTH on loopback only; aiosmtpd warns about it (rightly, anywhere else).
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS", UserWarning)
            kwargs = {"authenticator": self._authenticate, "auth_require_tls": False, "auth_required": True}
        self.controller = Controller(self.handler, hostname=self.host, port=self.port, **kwargs)

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            user, password = auth_data.login.decode(), auth_data.password.decode()
            if self.accounts.get(user) == password:
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def set_reply(self, reply: str) -> None:
        self.handler.reply = reply

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        with self.handler.arrived:
            self.handler.arrived.wait_for(lambda: len(self.handler.received) >= count, timeout)
            return list(self.handler.received)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
