"""Targets (目标任务) set by the bureau: one figure per metric, year and county.

``county`` is NULL for the city-wide figure; a county row is that county's split. A cumulative
target counts from ``base_year`` (the policy's first year) to the end of ``year``; a yearly one
counts within ``year`` only. Which events each metric counts is defined in
``market.targets.metrics``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from market.db import Base, utcnow


class Target(Base):
    __tablename__ = "targets"
    __table_args__ = (UniqueConstraint("metric", "year", "county", name="uq_targets_metric_year_county"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(String(40), index=True)
    year: Mapped[int] = mapped_column(index=True)
    cumulative: Mapped[bool] = mapped_column(default=False)
    base_year: Mapped[int | None]  # first year a cumulative target counts; None for yearly targets
    county: Mapped[str | None] = mapped_column(String(20))
    value: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(20), default="bureau")  # policy (seeded) / bureau
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# NULLs are distinct in a unique constraint, so the city-wide row (county NULL) needs its own
# partial unique index, on SQLite and PostgreSQL alike.
Index(
    "uq_targets_metric_year_citywide",
    Target.metric,
    Target.year,
    unique=True,
    sqlite_where=Target.county.is_(None),
    postgresql_where=Target.county.is_(None),
)
