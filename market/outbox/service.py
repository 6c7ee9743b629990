"""Enqueueing index work. Called by services inside the transaction that changes the record."""

from __future__ import annotations

import datetime as dt
from typing import Final, Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from market.outbox.models import OutboxEntry

Topic = Literal["need", "provider", "mail", "match_alert", "saved_search"]
# Topics whose jobs a handler of their own does (market/mail/sender.py); every other topic is
# index work for the search worker.
JOB_TOPICS: Final = ("mail", "match_alert", "saved_search")


def enqueue(session: Session, topic: Topic, record_id: int, op: Literal["upsert", "delete"] = "upsert") -> None:
    session.add(OutboxEntry(topic=topic, record_id=record_id, op=op))
    # Lets the request's unit of work wake the worker right after commit (freshness).
    session.info["outbox_dirty"] = True


def claim_jobs(
    session_factory: sessionmaker[Session], topic: str, now: dt.datetime, lease_s: float, limit: int
) -> list[tuple[int, int]]:
    """(entry id, record id) of due jobs of ``topic`` this worker now holds a lease on, in a short
    transaction of its own: each due entry is taken with a conditional update that moves its next
    try to the end of the lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL as well), so with several
    workers each job goes to one of them, and a worker that dies leaves it to the next when the
    lease ends."""
    lease_until = now + dt.timedelta(seconds=lease_s)
    with session_factory() as session:
        stmt = (
            select(OutboxEntry.id, OutboxEntry.record_id)
            .where(OutboxEntry.topic == topic, OutboxEntry.status == "pending", OutboxEntry.next_attempt_at <= now)
            .order_by(OutboxEntry.id)
            .limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        claimed: list[tuple[int, int]] = []
        for entry_id, record_id in session.execute(stmt).all():
            res = session.execute(
                update(OutboxEntry)
                .where(OutboxEntry.id == entry_id, OutboxEntry.status == "pending", OutboxEntry.next_attempt_at <= now)
                .values(next_attempt_at=lease_until)
                .execution_options(synchronize_session=False)
            )
            if getattr(res, "rowcount", 0) == 1:
                claimed.append((entry_id, record_id))
        session.commit()
    return claimed
