"""The daily digest: a user's held mails go out as one mail once the oldest has waited a day.

Run by the scheduled job loop (web/runtime.py) every round; idempotent and safe with several
workers: the held rows are taken by one conditional UPDATE in the digest's own transaction, so a
row lands in exactly one digest (a second worker's UPDATE finds them no longer held).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from market.db import utcnow
from market.mail.models import MailMessage
from market.mail.service import queue_mail
from market.orgs.models import User
from market.outbox import service as outbox

DIGEST_AFTER = dt.timedelta(hours=24)
USERS_PER_ROUND = 200
ITEMS_SHOWN = 30


def send_due_digests(session: Session, now: dt.datetime | None = None) -> int:
    """One digest mail per user whose oldest held mail waited ``DIGEST_AFTER``; returns how many."""
    now = now or utcnow()
    due = session.execute(
        select(MailMessage.user_id)
        .where(MailMessage.held.is_(True), MailMessage.user_id.is_not(None))
        .group_by(MailMessage.user_id)
        .having(func.min(MailMessage.created_at) <= now - DIGEST_AFTER)
        .limit(USERS_PER_ROUND)
    ).scalars().all()
    sent = 0
    for user_id in due:
        user = session.get(User, user_id)
        if user is None:
            continue
        digest = queue_mail(
            session, to_addr=user.email, to_name=user.display_name, user_id=user.id, kind="digest",
            subject="揭榜挂帅平台动态汇总", link="/notifications", link_label="查看全部通知", held=True,
        )
        taken = session.execute(
            update(MailMessage)
            .where(MailMessage.user_id == user.id, MailMessage.held.is_(True), MailMessage.id != digest.id,
                   MailMessage.created_at <= now)
            .values(held=False, digest_id=digest.id)
            .execution_options(synchronize_session=False)
        )
        count = int(getattr(taken, "rowcount", 0) or 0)
        if count == 0:  # another worker took them
            session.delete(digest)
            session.flush()
            continue
        items = session.scalars(
            select(MailMessage).where(MailMessage.digest_id == digest.id).order_by(MailMessage.id).limit(ITEMS_SHOWN)
        ).all()
        lines = [f"· {m.subject}" for m in items]
        if count > len(items):
            lines.append(f"……另有 {count - len(items)} 条，请登录查看")
        digest.subject = f"揭榜挂帅平台动态汇总（{count} 条）"
        digest.body = "\n".join(lines)
        digest.held = False
        session.flush()
        outbox.enqueue(session, "mail", digest.id)
        sent += 1
    return sent
