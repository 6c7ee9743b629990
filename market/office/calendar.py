"""Working days by the State Council calendar: Monday to Friday, less the public holidays that
fall on them, plus the weekends made working days (调休上班). The bureau keeps the two lists in the
office settings (``market.office.service.set_calendar``); this module only counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

HOLIDAY = "holiday"
WORKDAY = "workday"


@dataclass(frozen=True)
class WorkCalendar:
    """The bureau's holidays and make-up working days (at least those of the period counted)."""

    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays


PLAIN = WorkCalendar()


def _weekdays(start: dt.date, end: dt.date) -> int:
    days = (end - start).days + 1
    full_weeks, rest = divmod(days, 7)
    count = full_weeks * 5
    for i in range(rest):
        if (start + dt.timedelta(days=full_weeks * 7 + i)).weekday() < 5:
            count += 1
    return count


def working_days(start: dt.date, end: dt.date, calendar: WorkCalendar | None = None) -> int:
    """Working days between ``start`` and ``end``, both included: Monday to Friday, less the
    calendar's holidays on a weekday, plus its make-up working days on a weekend. Without a
    calendar, Monday to Friday only; a caller with a session passes
    ``market.office.service.work_calendar(session, start, end)``. (Notice periods of batches and,
    later, of recognitions count with this one function.)"""
    if end < start:
        return 0
    cal = calendar or PLAIN
    count = _weekdays(start, end)
    count -= sum(1 for d in cal.holidays if start <= d <= end and d.weekday() < 5 and d not in cal.workdays)
    count += sum(1 for d in cal.workdays if start <= d <= end and d.weekday() >= 5)
    return count
