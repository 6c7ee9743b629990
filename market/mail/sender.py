"""Sending queued mail: the outbox worker's handler for entries of topic ``mail``.

* Claiming is a short transaction of its own: each due entry is taken with a conditional update
  that moves its next try to the end of a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL as
  well), so with several workers each mail goes to one of them; a worker that dies mid-send
  leaves the mail to be taken again when the lease ends.
* No transaction is open while the mail server is talked to: the message is read, the session
  closed, then the batch is sent over one connection.
* Each outcome is written in a short transaction right after: sent (entry done, ``sent_at``),
  refused for good (parked), refused for now (attempts, backoff, last error; parked after
  ``max_attempts``), server unreachable (this and the rest of the batch stay queued with backoff
  and the error, never parked: an outage must not lose mail).
* A retry carries the same Message-ID, so the one case left — the server accepted the mail and
  the worker died before marking it — is recognisable as a repeat.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from market.db import utcnow
from market.mail.models import MailMessage
from market.mail.render import render
from market.mail.transport import MailDeferred, MailError, MailRefused, MailUnavailable, Transport
from market.outbox import service as outbox
from market.outbox.models import OutboxEntry
from market.settings import MailSettings

log = logging.getLogger(__name__)

TOPIC = "mail"
PENDING = "pending"
DONE = "done"
PARKED = "parked"


@dataclass
class SendResult:
    claimed: int = 0
    sent: int = 0
    deferred: int = 0
    parked: int = 0
    unavailable: bool = False
    errors: list[str] = field(default_factory=list)


def backoff_delay(attempts: int, config: MailSettings) -> float:
    return float(min(config.backoff_base_s * 2 ** max(attempts - 1, 0), config.backoff_max_s))


@dataclass
class MailSender:
    """One round: claim due mail jobs, send them, record each outcome. ``run_once`` is what the
    outbox worker calls on every turn of its loop."""

    session_factory: sessionmaker[Session]
    transport: Transport
    config: MailSettings
    # Builds the unsubscribe link of a mail (empty: none); set by the app, which knows the secret.
    unsubscribe_url: Callable[[MailMessage], str] = lambda _mail: ""
    batch_size: int = 50
    now: Callable[[], dt.datetime] = utcnow

    def run_once(self) -> int:
        return self.drain().sent

    # -- claiming ---------------------------------------------------------------------------------

    def _claim(self) -> list[tuple[int, int]]:
        """(entry id, mail id) of the due mail jobs this worker now holds a lease on."""
        return outbox.claim_jobs(self.session_factory, TOPIC, self.now(), self.config.lease_s, self.batch_size)

    def _load(self, mail_ids: list[int]) -> dict[int, MailMessage]:
        with self.session_factory() as session:
            mails = session.scalars(select(MailMessage).where(MailMessage.id.in_(mail_ids))).all()
            for mail in mails:
                session.expunge(mail)
            session.rollback()
        return {m.id: m for m in mails}

    # -- recording --------------------------------------------------------------------------------

    def _record(self, entry_id: int, mail_id: int, error: MailError | None, *, park: bool = False) -> None:
        now = self.now()
        with self.session_factory() as session:
            entry = session.get(OutboxEntry, entry_id)
            if entry is None:
                session.rollback()
                return
            if error is None:
                entry.status = DONE
                entry.processed_at = now
                entry.last_error = ""
                mail = session.get(MailMessage, mail_id)
                if mail is not None:
                    mail.sent_at = now
            else:
                entry.attempts += 1
                entry.last_error = str(error)[:2000]
                if park or (not isinstance(error, MailUnavailable) and entry.attempts >= self.config.max_attempts):
                    entry.status = PARKED
                else:
                    entry.next_attempt_at = now + dt.timedelta(seconds=backoff_delay(entry.attempts, self.config))
            session.commit()

    # -- one round --------------------------------------------------------------------------------

    def drain(self) -> SendResult:
        result = SendResult()
        claimed = self._claim()
        if not claimed:
            return result
        result.claimed = len(claimed)
        mails = self._load([mail_id for _, mail_id in claimed])
        todo = list(claimed)
        try:
            with self.transport.connect() as conn:
                while todo:
                    entry_id, mail_id = todo[0]
                    mail = mails.get(mail_id)
                    if mail is None:
                        self._record(entry_id, mail_id, MailRefused("邮件内容已不存在"), park=True)
                        result.parked += 1
                        todo.pop(0)
                        continue
                    try:
                        message = render(
                            mail, sender=self.config.sender, base_url=self.config.base_url,
                            unsubscribe_url=self.unsubscribe_url(mail),
                        )
                        conn.send(message)
                    except MailUnavailable:
                        raise
                    except MailRefused as exc:
                        self._record(entry_id, mail_id, exc, park=True)
                        result.parked += 1
                        result.errors.append(str(exc))
                    except MailDeferred as exc:
                        self._record(entry_id, mail_id, exc)
                        result.deferred += 1
                        result.errors.append(str(exc))
                    except (ValueError, TypeError) as exc:  # a message that cannot be built
                        self._record(entry_id, mail_id, MailRefused(f"邮件无法生成：{exc}"), park=True)
                        result.parked += 1
                        result.errors.append(str(exc))
                    else:
                        self._record(entry_id, mail_id, None)
                        result.sent += 1
                    todo.pop(0)
        except MailUnavailable as exc:
            log.warning("mail: server unavailable (%s); %d mail(s) stay queued", exc, len(todo))
            result.unavailable = True
            result.errors.append(str(exc))
            for entry_id, mail_id in todo:
                self._record(entry_id, mail_id, exc)
                result.deferred += 1
        return result


# -- observing ------------------------------------------------------------------------------------


def backlog(session: Session) -> dict[str, Any]:
    """Queued, failing and parked mail, the age of the oldest queued one and the latest error."""
    base = (OutboxEntry.topic == TOPIC,)
    pending = session.scalar(select(func.count(OutboxEntry.id)).where(*base, OutboxEntry.status == PENDING)) or 0
    failing = session.scalar(
        select(func.count(OutboxEntry.id)).where(*base, OutboxEntry.status == PENDING, OutboxEntry.attempts > 0)
    ) or 0
    parked = session.scalar(select(func.count(OutboxEntry.id)).where(*base, OutboxEntry.status == PARKED)) or 0
    oldest = session.scalar(select(func.min(OutboxEntry.created_at)).where(*base, OutboxEntry.status == PENDING))
    last_error = session.scalar(
        select(OutboxEntry.last_error)
        .where(*base, OutboxEntry.status.in_([PENDING, PARKED]), OutboxEntry.last_error != "")
        .order_by(OutboxEntry.id.desc())
        .limit(1)
    )
    age = None
    if oldest is not None:
        if oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=dt.UTC)
        age = round(max(0.0, (utcnow() - oldest).total_seconds()), 1)
    return {
        "pending": int(pending), "failing": int(failing), "parked": int(parked),
        "oldest_pending_age_s": age, "last_error": last_error or "",
    }
