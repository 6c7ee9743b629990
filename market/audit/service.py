"""Writing the audit log. Entries are only ever added: no update or delete path exists."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from market.audit.models import AuditEntry


def record(
    session: Session,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: int | None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        actor_id=actor_id, action=action, object_type=object_type, object_id=object_id, data=data or {}
    )
    session.add(entry)
    return entry
