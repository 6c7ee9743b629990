"""A record's history: bounded, newest first, for bureau staff only (decided in the domain)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from market import views
from market.audit import queries
from market.audit import service as audit
from market.orgs.models import User


def test_history_is_bounded_newest_first_and_says_when_there_is_more(session: Session, bureau_user: User) -> None:
    for i in range(3):
        audit.record(session, bureau_user.id, "need.updated", "need", 7, {"n": i})
    audit.record(session, bureau_user.id, "need.updated", "need", 8, {"n": 99})
    session.flush()
    rows, more = queries.history(session, "need", 7, limit=2)
    assert [r.data["n"] for r in rows] == [2, 1] and more
    rows, more = queries.history(session, "need", 7, limit=3)
    assert len(rows) == 3 and not more


def test_only_bureau_staff_get_a_history(session: Session, bureau_user: User, enterprise_user: User) -> None:
    audit.record(session, enterprise_user.id, "need.created", "need", 7, {"title": "x"})
    session.flush()
    h = views.record_history(session, bureau_user, "need", 7)
    assert h is not None and h.entries[0].action_label == "创建需求" and h.entries[0].actor_name == enterprise_user.display_name
    assert h.search_url == "/bureau/audit?object_type=need&object_id=7" and not h.more
    assert views.record_history(session, enterprise_user, "need", 7) is None
    assert views.record_history(session, None, "need", 7) is None
    assert views.record_history(session, bureau_user, "user", 7) is None  # not a record page
