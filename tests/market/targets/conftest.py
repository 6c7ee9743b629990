"""A fresh in-memory database per test, plus small typed helpers for organisations and users.

Kept local until the shared fixtures in tests/conftest.py cover what these tests need.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

import market.models  # noqa: F401  (complete metadata)
from market.db import Base
from market.orgs.models import Organisation, User


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        yield s
    engine.dispose()


def make_org(
    session: Session, name: str, kind: str = "enterprise", county: str | None = "南湖区", industry: str | None = "家电"
) -> Organisation:
    org = Organisation(name=name, kind=kind, county=county, industry=industry, verification="verified")
    session.add(org)
    session.flush()
    return org


_seq = itertools.count(1)


def make_user(session: Session, org: Organisation, roles: list[str] | None = None) -> User:
    user = User(
        org_id=org.id,
        email=f"user{next(_seq)}@example.com",
        display_name="用户",
        password_hash="x",
        roles=roles or ["org_admin", "member"],
    )
    session.add(user)
    session.flush()
    session.refresh(user)
    return user


@pytest.fixture
def bureau(session: Session) -> User:
    org = make_org(session, "嘉兴市科学技术局", kind="bureau", county=None, industry=None)
    return make_user(session, org, ["bureau_reviewer"])


@pytest.fixture
def enterprise(session: Session) -> User:
    return make_user(session, make_org(session, "嘉兴某某电器有限公司"))
