"""Reminders: each event told once, to the right people, however often (and by how many workers)
the loop runs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from market import flows
from market.batches.models import Batch
from market.db import CST, utcnow
from market.deals.models import DealMilestone
from market.mail.models import MailMessage
from market.needs.models import ExpertAssignment
from market.notifications.models import Notification
from market.orgs.models import User
from market.recognitions.models import Recognition
from market.reminders import service as reminders
from market.responses.schemas import ResponseCreate
from tests import factories

PROPOSAL = ResponseCreate(approach="基于声发射的模具磨损在线识别方案，边缘端部署，接入 MES。")  # type: ignore[call-arg]


def _told(session: Session, kind: str) -> list[tuple[int, str]]:
    return [(n.user_id, n.title) for n in session.scalars(select(Notification).where(Notification.kind == kind).order_by(Notification.id))]


def test_deadline_in_7_days_and_1_day_once_each_to_owner_and_responders(
    session: Session, enterprise_user: User, provider_user: User, other_provider_user: User
) -> None:
    today = utcnow().astimezone(CST).date()
    need = factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="published",
                                 deadline=today + dt.timedelta(days=7))
    flows.submit_response(session, provider_user, need.id, PROPOSAL)
    session.flush()
    assert reminders.run_due(session, today) == 1
    assert reminders.run_due(session, today) == 0  # once per event
    told = _told(session, "reminder.deadline")
    assert {uid for uid, _ in told} == {enterprise_user.id, provider_user.id}  # not the stranger
    assert all("7 天后" in title for _, title in told)
    assert session.scalar(select(MailMessage.id).where(MailMessage.kind == "reminder.deadline", MailMessage.to_addr == provider_user.email))
    assert reminders.run_due(session, today + dt.timedelta(days=3)) == 0  # still inside the 7-day window: told already
    assert reminders.run_due(session, today + dt.timedelta(days=6)) == 1  # the 1-day reminder
    assert reminders.run_due(session, today + dt.timedelta(days=6)) == 0
    assert "明天" in _told(session, "reminder.deadline")[-1][1]
    # A deadline moved later is a new event.
    need.deadline = today + dt.timedelta(days=30)
    session.flush()
    assert reminders.run_due(session, today + dt.timedelta(days=23)) == 1


def test_overdue_scoring_milestones_notice_and_recognition(
    session: Session, enterprise_user: User, provider_user: User, bureau_user: User, expert_user: User
) -> None:
    today = utcnow().astimezone(CST).date()
    now = utcnow()
    need = factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="published")
    session.add(ExpertAssignment(need_id=need.id, expert_id=expert_user.id, assigned_by=bureau_user.id,
                                 at=now - dt.timedelta(days=reminders.EXPERT_SCORING_DAYS + 1)))
    fresh = factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="published")
    session.add(ExpertAssignment(need_id=fresh.id, expert_id=expert_user.id, assigned_by=bureau_user.id, at=now))
    response = flows.submit_response(session, provider_user, need.id, PROPOSAL)
    _, deal = flows.select_response(session, enterprise_user, response.id)
    session.add_all([
        DealMilestone(deal_id=deal.id, title="样机上线", due_on=today + dt.timedelta(days=1)),
        DealMilestone(deal_id=deal.id, title="现场调研", due_on=today - dt.timedelta(days=2)),
        DealMilestone(deal_id=deal.id, title="验收", due_on=today + dt.timedelta(days=20)),
    ])
    session.add(Batch(year=2027, seq=9, status="notice", notice_start=today - dt.timedelta(days=6), notice_end=today + dt.timedelta(days=1)))
    session.add(Recognition(org_id=enterprise_user.org_id, product_name="冲压模具磨损在线监测软件", category="software",
                            level="municipal", year=today.year, created_at=now - dt.timedelta(days=reminders.RECOGNITION_PENDING_DAYS + 1)))
    session.flush()
    assert reminders.run_due(session, today, now) == 5
    assert reminders.run_due(session, today, now) == 0
    assert [uid for uid, _ in _told(session, "reminder.scoring")] == [expert_user.id]
    milestones = _told(session, "reminder.milestone")
    assert {t for _, t in milestones} == {"里程碑即将到期：样机上线", "里程碑已逾期：现场调研"}
    assert {uid for uid, _ in milestones} == {enterprise_user.id, provider_user.id}
    assert [uid for uid, _ in _told(session, "reminder.notice")] == [bureau_user.id]
    assert [uid for uid, _ in _told(session, "reminder.recognition")] == [bureau_user.id]


def test_long_past_events_are_not_reminded_years_later(
    session: Session, enterprise_user: User, provider_user: User, bureau_user: User, expert_user: User
) -> None:
    """A first start on years of history (the demo) must not mail every old overdue milestone, task or
    application: a reminder goes out when the event happens, with a few days to catch up."""
    today = utcnow().astimezone(CST).date()
    now = utcnow()
    late = reminders.CATCH_UP_DAYS + 30
    need = factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="published")
    session.add(ExpertAssignment(need_id=need.id, expert_id=expert_user.id, assigned_by=bureau_user.id,
                                 at=now - dt.timedelta(days=reminders.EXPERT_SCORING_DAYS + late)))
    response = flows.submit_response(session, provider_user, need.id, PROPOSAL)
    _, deal = flows.select_response(session, enterprise_user, response.id)
    session.add(DealMilestone(deal_id=deal.id, title="两年前的现场调研", due_on=today - dt.timedelta(days=late)))
    session.add(Recognition(org_id=enterprise_user.org_id, product_name="三年前的申报", category="software", level="municipal",
                            year=today.year, created_at=now - dt.timedelta(days=reminders.RECOGNITION_PENDING_DAYS + late)))
    session.flush()
    assert reminders.run_due(session, today, now) == 0
