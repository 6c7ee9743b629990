"""The audit log: every change is recorded with who, what and when, and stays as written."""

from __future__ import annotations

from sqlalchemy.orm import Session

from market import flows
from market.audit import queries, service
from market.needs import service as needs
from market.orgs.models import User
from tests import factories


def test_a_need_change_leaves_its_entry(session: Session, enterprise_user: User) -> None:
    need = factories.create_need(session, org=enterprise_user.org, status="draft")
    needs.submit(session, enterprise_user, need.id)
    flows.withdraw_need(session, enterprise_user, need.id, "项目取消")
    session.flush()
    entries = queries.entries_for(session, "need", need.id)
    assert [(e.action, e.data.get("to")) for e in entries] == [("need.transition", "submitted"), ("need.transition", "withdrawn")]
    assert {e.actor_id for e in entries} == {enterprise_user.id}



def test_entries_are_per_object(session: Session, enterprise_user: User) -> None:
    """What one record's history shows is its own entries, in order (append-only: see
    tests/web/test_security.py::test_audit_entries_cannot_be_changed_or_deleted)."""
    service.record(session, enterprise_user.id, "test.first", "need", 1)
    service.record(session, enterprise_user.id, "test.other", "need", 2)
    service.record(session, None, "test.second", "need", 1, {"k": "v"})
    session.flush()
    assert [(e.action, e.actor_id) for e in queries.entries_for(session, "need", 1)] == [
        ("test.first", enterprise_user.id), ("test.second", None)
    ]
