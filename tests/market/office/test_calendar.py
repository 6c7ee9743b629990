"""Working days by the holiday calendar the bureau keeps: the 2026 National Day week (国务院办公厅
2026 年放假安排：10 月 1 日至 7 日放假调休，共 7 天；9 月 20 日（周日）、10 月 10 日（周六）上班)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from market.audit.models import AuditEntry
from market.batches import service as batches
from market.batches.schemas import BatchCreate
from market.errors import Forbidden, Invalid
from market.office import service as office
from market.office.calendar import WorkCalendar, working_days
from market.orgs.models import User
from tests import factories

D = dt.date
NATIONAL_DAY = [D(2026, 10, 1) + dt.timedelta(days=i) for i in range(7)]
MAKE_UP = [D(2026, 9, 20), D(2026, 10, 10)]
CAL = WorkCalendar(frozenset(NATIONAL_DAY), frozenset(MAKE_UP))


def test_the_national_day_week_counts_its_holidays_out_and_its_working_weekends_in() -> None:
    assert D(2026, 10, 1).weekday() == 3 and D(2026, 9, 20).weekday() == 6 and D(2026, 10, 10).weekday() == 5
    # Monday 28 September to Friday 9 October: ten weekdays, five of them holidays.
    assert working_days(D(2026, 9, 28), D(2026, 10, 9)) == 10
    assert working_days(D(2026, 9, 28), D(2026, 10, 9), CAL) == 5
    # Thursday 8 to Monday 12 October: Saturday the 10th is a working day.
    assert working_days(D(2026, 10, 8), D(2026, 10, 12), CAL) == 4
    # The holiday week itself has none; the Sunday before it is one.
    assert working_days(D(2026, 10, 1), D(2026, 10, 7), CAL) == 0
    assert working_days(D(2026, 9, 20), D(2026, 9, 20), CAL) == 1
    assert working_days(D(2026, 10, 9), D(2026, 10, 1), CAL) == 0  # end before start
    # The batches' count is this same function (one place for every notice period).
    assert batches.working_days is working_days


def test_notice_periods_use_the_bureaus_calendar(session: Session, bureau_user: User, enterprise_user: User) -> None:
    office.set_calendar(session, bureau_user, NATIONAL_DAY, MAKE_UP)
    need = factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="approved")
    batch = batches.create_batch(session, bureau_user, BatchCreate(year=2026))
    batches.add_needs(session, bureau_user, batch.id, [need.id])
    today = D(2026, 9, 1)
    with pytest.raises(Invalid) as short:  # Monday 28 September to Friday 9 October: five weekdays off
        batches.start_notice(session, bureau_user, batch.id, D(2026, 9, 29), D(2026, 10, 9), today=today)
    assert short.value.details[0]["field"] == "notice_end" and "只有 4 个" in short.value.message
    batches.start_notice(session, bureau_user, batch.id, D(2026, 9, 28), D(2026, 10, 9), today=today)
    assert batch.status == "notice"


def test_the_bureau_keeps_the_lists_with_validation_and_every_change_audited(
    session: Session, bureau_user: User, enterprise_user: User
) -> None:
    with pytest.raises(Invalid) as weekday:
        office.set_calendar(session, bureau_user, [], [D(2026, 10, 8)])
    assert weekday.value.details[0]["field"] == "workdays" and "2026-10-08 是周四" in weekday.value.message
    with pytest.raises(Invalid, match="不能既是法定节假日又是调休上班日"):
        office.set_calendar(session, bureau_user, [D(2026, 10, 3)], [D(2026, 10, 3)])
    with pytest.raises(Forbidden):
        office.set_calendar(session, enterprise_user, NATIONAL_DAY, MAKE_UP)
    office.set_calendar(session, bureau_user, NATIONAL_DAY, MAKE_UP)
    assert office.calendar_lists(session) == (NATIONAL_DAY, MAKE_UP)
    office.set_calendar(session, bureau_user, NATIONAL_DAY[:3], [D(2026, 10, 10)])
    assert office.calendar_lists(session) == (NATIONAL_DAY[:3], [D(2026, 10, 10)])
    assert office.work_calendar(session, D(2026, 10, 2), D(2026, 10, 31)) == WorkCalendar(
        frozenset(NATIONAL_DAY[1:3]), frozenset({D(2026, 10, 10)})
    )
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "office.calendar").order_by(AuditEntry.id)).all()
    assert len(entries) == 2
    assert entries[1].data["holidays_removed"] == [d.isoformat() for d in NATIONAL_DAY[3:]]
    assert entries[1].data["workdays_removed"] == ["2026-09-20"] and entries[1].data["holidays_added"] == []
    office.set_calendar(session, bureau_user, NATIONAL_DAY[:3], [D(2026, 10, 10)])  # no change, no entry
    assert session.scalar(select(AuditEntry.id).where(AuditEntry.action == "office.calendar").order_by(AuditEntry.id.desc())) == entries[1].id


def test_the_lists_are_read_as_the_bureau_types_them() -> None:
    days = office.parse_days("2026-10-01 至 2026-10-07\n2026-1-1，2026-05-01~2026-05-02", "holidays", "法定节假日")
    assert days == [*NATIONAL_DAY, D(2026, 1, 1), D(2026, 5, 1), D(2026, 5, 2)]
    assert office.format_days(days) == "2026-01-01\n2026-05-01 至 2026-05-02\n2026-10-01 至 2026-10-07"
    assert office.parse_days(office.format_days(days), "holidays", "法定节假日") == sorted(days)
    assert office.parse_days("  ", "holidays", "法定节假日") == []
    for bad, words in (
        ("2026-02-30", "「2026-02-30」不是有效日期"),
        ("十月一日", "不是有效日期"),
        ("1899-10-01", "年份须在 2000–2100 之间"),
        ("2026-10-07 至 2026-10-01", "起止日期有误"),
        ("2026-01-01 至 2026-03-01", "最多 31 天"),
    ):
        with pytest.raises(Invalid) as exc:
            office.parse_days(bad, "holidays", "法定节假日")
        assert exc.value.details[0]["field"] == "holidays" and words in exc.value.message, bad
