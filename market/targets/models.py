"""Targets (目标任务) set by the bureau: one figure per metric, year and county.

``county`` is NULL for the city-wide figure; a county row is that county's split. A cumulative
target counts from ``base_year`` (the policy's first year) to the end of ``year``; a yearly one
counts within ``year`` only. Which events each metric counts is defined in
``market.targets.metrics``.

``department`` is the 市级机关部门 responsible for a city-wide target (seed §四(二) races the
departments as well as the counties); the names are data (``departments`` in
``policy_targets.json``). A :class:`ReportIssue` is one issued 晾晒通报, kept exactly as it was
generated (append-only: the ORM refuses to change or delete one).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from market.db import Base, utcnow
from market.errors import Forbidden


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
    department: Mapped[str | None] = mapped_column(String(40))  # 责任部门, city-wide rows only
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


class ReportIssue(Base):
    """One issued (发布) 晾晒通报: the figures as they were that day, never regenerated."""

    __tablename__ = "target_report_issues"
    __table_args__ = (UniqueConstraint("year", "number", name="uq_target_report_issues_year_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)  # the report's year
    number: Mapped[int]  # 第 N 期 within the year
    as_of: Mapped[dt.date]  # the figures' cut-off day
    title: Mapped[str] = mapped_column(String(200))
    html: Mapped[str] = mapped_column(Text)
    xlsx: Mapped[bytes] = mapped_column(LargeBinary)
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


ISSUE_APPEND_ONLY = "已发布的晾晒通报不能修改或删除"


def _refuse_issue_change(*_: Any) -> None:
    raise Forbidden(ISSUE_APPEND_ONLY, code="report_issue_append_only")


event.listen(ReportIssue, "before_update", _refuse_issue_change)
event.listen(ReportIssue, "before_delete", _refuse_issue_change)
