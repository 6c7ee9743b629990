"""Reminders, run by the scheduled job loop (web/runtime.py) every round.

Each reminder is an *event* with a key (``need.deadline7:12:2027-03-01``). The loop claims the
key by inserting it (unique) in a savepoint, in the same transaction as the notification and mail
it writes: a second worker's insert of the same key fails and it skips, a rolled-back round
leaves the key free for the next. So every reminder goes out once per event. A deadline moved
later makes a new key, so the new date is reminded of again.

- a need's deadline in 7 days and in 1 day: its enterprise and every organisation that responded;
- an assigned expert's scoring not submitted ``EXPERT_SCORING_DAYS`` after assignment: the expert;
- a batch's 公示 period ending tomorrow: the bureau;
- a deal milestone due tomorrow, and one overdue (of a deal still under way): both parties of the deal;
  (overdue reminders only within ``CATCH_UP_DAYS`` of becoming due: see there)
- a recognition application still undecided ``RECOGNITION_PENDING_DAYS`` after it was filed:
  the bureau.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from market.batches.models import Batch
from market.db import utcnow
from market.deals.models import Deal, DealMilestone
from market.deals.states import FINAL
from market.needs.models import ExpertAssignment, Need
from market.needs.states import OPEN_FOR_RESPONSES
from market.notifications import service as notify
from market.recognitions.models import Recognition
from market.reminders.models import ReminderSent
from market.responses.models import Response
from market.responses.states import OPEN_STATUSES

EXPERT_SCORING_DAYS = 7
RECOGNITION_PENDING_DAYS = 30
PER_KIND = 500  # bounded work per round and kind; the rest comes next round
# A reminder is about something that has just happened (a milestone passed its date, a task went
# overdue). One that became due more than this long ago is not sent any more: a worker that was
# down for a few days still catches up, but a first start on years of data does not mail every
# old overdue milestone (those show on their pages).
CATCH_UP_DAYS = 7


def _claim(session: Session, event: str) -> bool:
    """True when this round owns the event (it was not told before)."""
    try:
        with session.begin_nested():
            session.add(ReminderSent(event=event[:80]))
            session.flush()
    except IntegrityError:
        return False
    return True


def _deadlines(session: Session, today: dt.date) -> int:
    sent = 0
    needs = session.scalars(
        select(Need)
        .where(Need.status.in_(list(OPEN_FOR_RESPONSES)), Need.deadline.is_not(None),
               Need.deadline >= today, Need.deadline <= today + dt.timedelta(days=7))
        .order_by(Need.deadline, Need.id).limit(PER_KIND)
    ).all()
    for need in needs:
        assert need.deadline is not None
        days = (need.deadline - today).days
        window = 1 if days <= 1 else 7
        if not _claim(session, f"need.deadline{window}:{need.id}:{need.deadline.isoformat()}"):
            continue
        when = "明天" if days == 1 else "今天" if days == 0 else f"{days} 天后"
        orgs = {need.org_id} | set(session.scalars(
            select(Response.org_id).where(Response.need_id == need.id, Response.status.in_(list(OPEN_STATUSES)))
        ))
        for org_id in sorted(orgs):
            notify.notify_org(
                session, org_id, "reminder.deadline", f"需求「{need.title}」揭榜将于{when}截止",
                f"截止日期：{need.deadline.isoformat()}", f"/needs/{need.id}",
            )
        sent += 1
    return sent


def _expert_scoring(session: Session, now: dt.datetime) -> int:
    sent = 0
    rows = session.execute(
        select(ExpertAssignment, Need)
        .join(Need, Need.id == ExpertAssignment.need_id)
        .where(ExpertAssignment.submitted_at.is_(None), ExpertAssignment.at <= now - dt.timedelta(days=EXPERT_SCORING_DAYS),
               ExpertAssignment.at > now - dt.timedelta(days=EXPERT_SCORING_DAYS + CATCH_UP_DAYS))
        .order_by(ExpertAssignment.id).limit(PER_KIND)
    ).all()
    for assignment, need in rows:
        if _claim(session, f"expert.overdue:{assignment.id}"):
            notify.notify_users(
                session, [assignment.expert_id], "reminder.scoring", f"评审逾期：请尽快为「{need.title}」打分",
                f"该评审任务已分配 {EXPERT_SCORING_DAYS} 天以上。", f"/expert/needs/{need.id}",
            )
            sent += 1
    return sent


def _notice_ending(session: Session, today: dt.date) -> int:
    sent = 0
    tomorrow = today + dt.timedelta(days=1)
    batches = session.scalars(
        select(Batch).where(Batch.status == "notice", Batch.notice_end == tomorrow).order_by(Batch.id).limit(PER_KIND)
    ).all()
    for batch in batches:
        if _claim(session, f"batch.notice_end:{batch.id}:{tomorrow.isoformat()}"):
            notify.notify_bureau(
                session, "reminder.notice", f"{batch.year}年第{batch.seq}批榜单公示期明天结束",
                "请处理公示异议并安排发布。", f"/bureau/batches/{batch.id}",
            )
            sent += 1
    return sent


def _milestones(session: Session, today: dt.date) -> int:
    sent = 0
    rows = session.execute(
        select(DealMilestone, Deal, Need)
        .join(Deal, Deal.id == DealMilestone.deal_id)
        .join(Need, Need.id == Deal.need_id)
        .where(DealMilestone.done_on.is_(None), DealMilestone.due_on.is_not(None),
               DealMilestone.due_on <= today + dt.timedelta(days=1),
               DealMilestone.due_on >= today - dt.timedelta(days=CATCH_UP_DAYS),
               Deal.stage.not_in([str(stage) for stage in FINAL]))
        .order_by(DealMilestone.due_on, DealMilestone.id).limit(PER_KIND)
    ).all()
    for milestone, deal, need in rows:
        assert milestone.due_on is not None
        overdue = milestone.due_on < today
        key = f"milestone.{'overdue' if overdue else 'due'}:{milestone.id}:{milestone.due_on.isoformat()}"
        if not _claim(session, key):
            continue
        title = (f"里程碑已逾期：{milestone.title}" if overdue else f"里程碑即将到期：{milestone.title}")
        for org_id in (deal.enterprise_org_id, deal.provider_org_id):
            notify.notify_org(
                session, org_id, "reminder.milestone", title,
                f"对接项目「{need.title}」，计划完成日期 {milestone.due_on.isoformat()}", f"/deals/{deal.id}",
            )
        sent += 1
    return sent


def _recognitions(session: Session, now: dt.datetime) -> int:
    sent = 0
    rows = session.scalars(
        select(Recognition)
        .where(Recognition.status == "applied", Recognition.created_at <= now - dt.timedelta(days=RECOGNITION_PENDING_DAYS),
               Recognition.created_at > now - dt.timedelta(days=RECOGNITION_PENDING_DAYS + CATCH_UP_DAYS))
        .order_by(Recognition.id).limit(PER_KIND)
    ).all()
    for rec in rows:
        if _claim(session, f"recognition.pending:{rec.id}"):
            notify.notify_bureau(
                session, "reminder.recognition", f"认定申报待处理已超过 {RECOGNITION_PENDING_DAYS} 天：{rec.product_name}",
                "", f"/bureau/recognitions/{rec.id}",
            )
            sent += 1
    return sent


def run_due(session: Session, today: dt.date, now: dt.datetime | None = None) -> int:
    """Every reminder due today that was not sent before; returns how many events were told."""
    now = now or utcnow()
    return (
        _deadlines(session, today) + _expert_scoring(session, now) + _notice_ending(session, today)
        + _milestones(session, today) + _recognitions(session, now)
    )
