"""Reading the audit log: one record's history, and the bureau's search over the whole log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market.audit.models import AuditEntry
from market.db import CST


def entries_for(session: Session, object_type: str, object_id: int) -> Sequence[AuditEntry]:
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
        .order_by(AuditEntry.id)
    )
    return session.scalars(stmt).all()


@dataclass(frozen=True)
class AuditFilter:
    """Filters of the audit log search: who (actor), what (action, prefix match), which record
    (object type and id), when (local dates, China Standard Time, both included)."""

    actor_id: int | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def _bounds(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), CST).astimezone(dt.UTC)


def search(
    session: Session, f: AuditFilter, *, limit: int = 50, offset: int = 0
) -> tuple[Sequence[AuditEntry], int]:
    """Entries matching the filters, newest first (``market.views.audit_page`` adds the actors'
    names). The log is read only here; it is never changed (``market.audit.guard``)."""
    stmt = select(AuditEntry)
    if f.actor_id is not None:
        stmt = stmt.where(AuditEntry.actor_id == f.actor_id)
    if f.action:
        stmt = stmt.where(AuditEntry.action.startswith(f.action, autoescape=True))
    if f.object_type:
        stmt = stmt.where(AuditEntry.object_type == f.object_type)
    if f.object_id is not None:
        stmt = stmt.where(AuditEntry.object_id == f.object_id)
    if f.date_from is not None:
        stmt = stmt.where(AuditEntry.at >= _bounds(f.date_from))
    if f.date_to is not None:
        stmt = stmt.where(AuditEntry.at < _bounds(f.date_to + dt.timedelta(days=1)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit).offset(offset)).all()
    return rows, total


# A record's page shows this many of its latest entries; the audit search has the rest.
HISTORY_LIMIT = 50


def history(
    session: Session, object_type: str, object_id: int, *, limit: int = HISTORY_LIMIT
) -> tuple[Sequence[AuditEntry], bool]:
    """One record's latest entries, newest first, at most ``limit``, and whether older ones exist
    (one query of ``limit + 1`` rows on the object index; the page links to the search for more)."""
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
        .order_by(AuditEntry.id.desc())
        .limit(limit + 1)
    )
    rows = session.scalars(stmt).all()
    return rows[:limit], len(rows) > limit
