"""Needs service rules that are easiest to see below the API."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from market import flows
from market.notifications.models import Notification
from market.orgs.models import Organisation, User
from market.responses.models import Response
from tests import factories


def _respond(session: Session, need_id: int, provider: User, status: str = "submitted") -> None:
    session.add(Response(need_id=need_id, org_id=provider.org_id, created_by=provider.id, approach="基于机器视觉的方案", status=status))
    session.flush()


def _notes(session: Session, user: User) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.user_id == user.id)))


def test_withdrawing_a_need_tells_providers_with_open_proposals_only(
    session: Session, enterprise_org: Organisation, enterprise_user: User, provider_user: User, other_provider_user: User
) -> None:
    need = factories.create_need(session, org=enterprise_org, user=enterprise_user, status="taken_up")
    _respond(session, need.id, provider_user, "shortlisted")
    _respond(session, need.id, other_provider_user, "withdrawn")
    flows.withdraw_need(session, enterprise_user, need.id, "项目取消")
    told = _notes(session, provider_user)
    assert any(n.kind == "response.declined" and "需求已撤回" in n.body and "项目取消" in n.body for n in told)
    assert not any(n.kind == "response.declined" for n in _notes(session, other_provider_user))


def test_expiry_closes_overdue_open_needs_and_tells_responders(
    session: Session, enterprise_org: Organisation, enterprise_user: User, provider_user: User
) -> None:
    overdue = factories.create_need(session, org=enterprise_org, status="taken_up", deadline="2026-01-31")
    current = factories.create_need(session, org=enterprise_org, status="published", deadline="2027-12-31")
    _respond(session, overdue.id, provider_user)
    assert flows.expire_overdue(session, dt.date(2026, 6, 1)) >= 1
    assert overdue.status == "expired" and current.status == "published"
    assert any(n.kind == "response.declined" and "需求已过截止日期" in n.body for n in _notes(session, provider_user))
