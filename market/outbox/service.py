"""Enqueueing index work. Called by services inside the transaction that changes the record."""

from __future__ import annotations

from typing import Final, Literal

from sqlalchemy.orm import Session

from market.outbox.models import OutboxEntry

Topic = Literal["need", "provider", "mail"]
# Topics whose jobs a handler of their own does (market/mail/sender.py); every other topic is
# index work for the search worker.
JOB_TOPICS: Final = ("mail",)


def enqueue(session: Session, topic: Topic, record_id: int, op: Literal["upsert", "delete"] = "upsert") -> None:
    session.add(OutboxEntry(topic=topic, record_id=record_id, op=op))
    # Lets the request's unit of work wake the worker right after commit (freshness).
    session.info["outbox_dirty"] = True
