"""Short names over the shared fixtures (tests/conftest.py: migrated database, rolled back per test)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from market.orgs.models import Organisation, User
from tests import factories


def make_org(
    session: Session,
    name: str,
    kind: str = "enterprise",
    county: str = "南湖区",
    industry: str | None = "家电",
) -> Organisation:
    return factories.create_org(session, kind=kind, county=county, industry=industry, name=name)


def make_user(session: Session, org: Organisation, roles: list[str] | None = None) -> User:
    return factories.create_user(session, org, roles=roles)


@pytest.fixture
def bureau(bureau_user: User) -> User:
    return bureau_user


@pytest.fixture
def enterprise(enterprise_user: User) -> User:
    return enterprise_user
