from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.audit.models import AuditEntry


def entries_for(session: Session, object_type: str, object_id: int) -> Sequence[AuditEntry]:
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
        .order_by(AuditEntry.id)
    )
    return session.scalars(stmt).all()
