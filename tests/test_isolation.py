"""Each test runs inside one transaction that is rolled back, even when the code under test commits."""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from market.db import session_scope
from tests import factories


def test_a_commit_before_any_write_stays_inside_the_test_transaction(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    # The first thing this test does is commit, as a worker or the sign-in counter does.
    with session_scope(session_factory) as s:
        factories.create_org(s, kind="enterprise", name="隔离测试单位")
    with engine.connect() as other:
        seen = other.execute(text("SELECT count(*) FROM organisations WHERE name = '隔离测试单位'")).scalar_one()
    assert seen == 0  # not committed for good: the test's rollback will remove it
