"""The audit log is append-only: the ORM refuses to change or delete an entry.

Unit-of-work updates and deletes are stopped by mapper events; bulk ``update()``/``delete()``
statements against the table are stopped in ``do_orm_execute``. (Raw SQL is outside the ORM's
reach; on PostgreSQL, operators can also revoke UPDATE/DELETE on ``audit_entries`` from the
application role, see docs/security.md.)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from market.audit.models import AuditEntry
from market.errors import Forbidden

MESSAGE = "审计日志只能追加，不能修改或删除"


def _refuse(*_: Any) -> None:
    raise Forbidden(MESSAGE, code="audit_append_only")


def _refuse_bulk(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    if mapper is not None and mapper.class_ is AuditEntry:
        _refuse()


def install() -> None:
    if not event.contains(AuditEntry, "before_update", _refuse):
        event.listen(AuditEntry, "before_update", _refuse)
        event.listen(AuditEntry, "before_delete", _refuse)
        event.listen(Session, "do_orm_execute", _refuse_bulk)


install()
