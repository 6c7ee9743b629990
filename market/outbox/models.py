"""Outbox rows: written in the same transaction as a change, drained by the search worker."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from market.db import Base, utcnow


class OutboxEntry(Base):
    __tablename__ = "outbox_entries"
    __table_args__ = (
        Index("ix_outbox_entries_due", "status", "next_attempt_at"),
        Index("ix_outbox_entries_record", "topic", "record_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(30))  # need / provider (search indexes) / mail
    record_id: Mapped[int]
    op: Mapped[str] = mapped_column(String(10))  # upsert / delete
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending / done / parked
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[dt.datetime | None]
