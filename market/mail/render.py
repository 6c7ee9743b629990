"""Turning a queued mail into the message that goes out: Chinese text and HTML from the templates
beside this file, the record's link under the platform's address, a Message-ID that stays the
same on every try (so a server or reader can tell a repeat)."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from market.mail.models import MailMessage

TEMPLATES = Path(__file__).parent / "templates"
SUBJECT_PREFIX = "【揭榜挂帅】"


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        keep_trailing_newline=True,
    )


def absolute_url(base_url: str, link: str) -> str:
    if not link or link.startswith(("http://", "https://")):
        return link
    return base_url.rstrip("/") + "/" + link.lstrip("/")


def _domain(sender: str) -> str:
    addr = parseaddr(sender)[1]
    return addr.rsplit("@", 1)[-1] if "@" in addr else "jiebang.localhost"


def message_id(mail: MailMessage, sender: str) -> str:
    return f"<jiebang-mail-{mail.id}@{_domain(sender)}>"


def render(mail: MailMessage, *, sender: str, base_url: str, unsubscribe_url: str = "") -> EmailMessage:
    url = absolute_url(base_url, mail.link)
    context = {
        "greeting": f"{mail.to_name}，您好：" if mail.to_name else "您好：",
        "subject": mail.subject,
        "body": mail.body,
        "url": url,
        "link_label": mail.link_label,
        "unsubscribe_url": unsubscribe_url,
    }
    msg = EmailMessage()
    msg["Subject"] = SUBJECT_PREFIX + mail.subject
    name, addr = parseaddr(sender)
    msg["From"] = Address(display_name=name, addr_spec=addr) if name else addr
    msg["To"] = Address(display_name=mail.to_name, addr_spec=mail.to_addr) if mail.to_name else mail.to_addr
    msg["Message-ID"] = message_id(mail, sender)
    msg["Date"] = format_datetime(mail.created_at)
    msg["X-Jiebang-Kind"] = mail.kind
    if unsubscribe_url:
        msg["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(_env().get_template("message.txt").render(context), subtype="plain", charset="utf-8")
    msg.add_alternative(_env().get_template("message.html").render(context), subtype="html", charset="utf-8")
    return msg
