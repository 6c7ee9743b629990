"""One row per reminder event that went out: its key is unique, so each event is told once
however many workers run the loop."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from market.db import Base, utcnow


class ReminderSent(Base):
    __tablename__ = "reminders_sent"

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
