"""Numbered batches (榜单) in which approved needs are published."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from market.db import Base, utcnow


class Batch(Base):
    __tablename__ = "batches"
    __table_args__ = (UniqueConstraint("year", "seq", name="uq_batches_year_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    seq: Mapped[int]
    # draft -> notice (公示) -> scheduled -> published
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    notice_start: Mapped[dt.date | None]
    notice_end: Mapped[dt.date | None]
    publish_on: Mapped[dt.date | None]
    published_at: Mapped[dt.datetime | None]
    created_by: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def title(self) -> str:
        return f"{self.year}年第{self.seq}批"
