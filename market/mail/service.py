"""Queueing mail. Called inside the transaction of the change the mail tells about, so the mail
job commits (or rolls back) with it: a mail is never lost, and never sent for a change that did
not happen."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.mail import preferences
from market.mail.models import MailMessage
from market.orgs.models import User
from market.outbox import service as outbox


def queue_mail(
    session: Session,
    *,
    to_addr: str,
    kind: str,
    subject: str,
    body: str = "",
    link: str = "",
    link_label: str = "",
    to_name: str = "",
    user_id: int | None = None,
    held: bool = False,
) -> MailMessage:
    """One mail and its outbox job (topic ``mail``), in the caller's transaction; a ``held`` mail
    waits for the user's daily digest (market/mail/digest.py) instead."""
    message = MailMessage(
        user_id=user_id, to_addr=to_addr, to_name=to_name[:100], kind=kind[:30], subject=subject[:200],
        body=body, link=link[:500], link_label=link_label[:40], held=held,
    )
    session.add(message)
    session.flush()
    if not held:
        outbox.enqueue(session, "mail", message.id)
    return message


def queue_for_users(
    session: Session, user_ids: Iterable[int], kind: str, subject: str, body: str = "", link: str = ""
) -> int:
    """The mail copy of a notification, to each active user with an address, as each prefers for
    the kind's category: at once, held for the daily digest, or not at all."""
    ids = sorted(set(user_ids))
    if not ids:
        return 0
    users = session.scalars(select(User).where(User.id.in_(ids), User.is_active.is_(True)).order_by(User.id)).all()
    category = preferences.category_of(kind)
    modes = preferences.modes_for(session, ids, category) if category else {}
    count = 0
    for user in users:
        mode = modes.get(user.id, "immediate")
        if not user.email or mode == "off":
            continue
        queue_mail(
            session, to_addr=user.email, to_name=user.display_name, kind=kind, subject=subject, body=body,
            link=link, link_label="查看详情", user_id=user.id, held=mode == "digest",
        )
        count += 1
    return count
