"""Office settings the bureau changes in the running system (one row per key; a missing row means
the default in ``market.office.service.DEFAULTS``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from market.db import Base, utcnow


class OfficeSetting(Base):
    __tablename__ = "office_settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[int]
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CalendarDay(Base):
    """A day the State Council calendar moves: a public holiday on a weekday (``holiday``) or a
    weekend made a working day (调休上班, ``workday``). Any other day is a working day from Monday
    to Friday (``market.office.calendar``)."""

    __tablename__ = "office_calendar_days"

    day: Mapped[dt.date] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
