"""Reading and changing the office settings. Each setting has a default, a range and a Chinese
label; only bureau staff change one, and every change is audited."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from market.audit import service as audit
from market.errors import Forbidden, Invalid
from market.office.calendar import HOLIDAY, WORKDAY, WorkCalendar, working_days
from market.office.models import CalendarDay, OfficeSetting
from market.orgs.models import User


@dataclass(frozen=True)
class SettingDef:
    key: str
    label: str
    default: int
    minimum: int
    maximum: int
    help: str


SETTINGS: dict[str, SettingDef] = {
    s.key: s
    for s in (
        SettingDef(
            "min_expert_scores",
            "需求审核通过前至少评分的专家人数",
            2,
            0,
            9,
            "至少这么多位评审专家提交评分后，科技局才能审核通过需求；首台（套）等认定申报同样至少这么多位专家评分后才能进入公示",
        ),
        SettingDef(
            "notice_min_working_days",
            "公示期最少工作日",
            5,
            1,
            30,
            "榜单和认定申报的公示期（按中国标准时间计的起止日期，含首尾）至少包含的工作日数：周一至周五，除去下方的法定节假日，加上调休上班日",
        ),
    )
}
MIN_EXPERT_SCORES = "min_expert_scores"
NOTICE_MIN_WORKING_DAYS = "notice_min_working_days"


def get(session: Session, key: str) -> int:
    row = session.get(OfficeSetting, key)
    return row.value if row is not None else SETTINGS[key].default


def all_settings(session: Session) -> list[dict[str, object]]:
    rows = {r.key: r for r in session.scalars(select(OfficeSetting)).all()}
    return [
        {
            "key": d.key,
            "label": d.label,
            "help": d.help,
            "value": rows[d.key].value if d.key in rows else d.default,
            "default": d.default,
            "minimum": d.minimum,
            "maximum": d.maximum,
        }
        for d in SETTINGS.values()
    ]


def set_value(session: Session, actor: User, key: str, value: int) -> int:
    if not actor.is_bureau_staff:
        raise Forbidden("只有科技局工作人员可以修改办公设置")
    d = SETTINGS.get(key)
    if d is None:
        raise Invalid.field("key", f"未知的设置项：{key}")
    if not d.minimum <= value <= d.maximum:
        raise Invalid.field(key, f"{d.label}须在 {d.minimum}–{d.maximum} 之间")
    row = session.get(OfficeSetting, key)
    old = row.value if row is not None else d.default
    if row is None:
        row = OfficeSetting(key=key, value=value, updated_by=actor.id)
        session.add(row)
    else:
        row.value = value
        row.updated_by = actor.id
    session.flush()
    audit.record(session, actor.id, "office.setting", "office_setting", None, {"key": key, "from": old, "to": value})
    return value


# --- the holiday calendar ----------------------------------------------------------------------

# Each list holds at most this many days (a few years of the State Council calendar).
MAX_CALENDAR_DAYS = 400
# A range written as one line (2026-10-01 至 2026-10-07) spans at most this many days.
MAX_RANGE_DAYS = 31
CALENDAR_YEARS = (2000, 2100)
WEEKDAYS = "一二三四五六日"
_SEPARATORS = re.compile(r"[\s,，、;；]+")
_RANGE = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})(?:~|～|至|到)(\d{4}-\d{1,2}-\d{1,2})$")


def _day(text: str, field: str, label: str) -> dt.date:
    try:
        y, m, d = (int(p) for p in text.split("-"))
        day = dt.date(y, m, d)
    except ValueError:
        raise Invalid.field(field, f"{label}中「{text}」不是有效日期，请按 年-月-日 填写，如 2026-10-01") from None
    if not CALENDAR_YEARS[0] <= day.year <= CALENDAR_YEARS[1]:
        raise Invalid.field(field, f"{label}中「{text}」的年份须在 {CALENDAR_YEARS[0]}–{CALENDAR_YEARS[1]} 之间")
    return day


def parse_days(text: str, field: str, label: str) -> list[dt.date]:
    """Dates as the bureau types them: one per line (or separated by commas), a range as
    ``2026-10-01 至 2026-10-07`` (also ``~``). Invalid names the first bad entry, on ``field``."""
    text = re.sub(r"\s*(~|～|至|到)\s*", r"\1", text.strip())
    days: list[dt.date] = []
    for token in (t for t in _SEPARATORS.split(text) if t):
        if len(days) > MAX_CALENDAR_DAYS:
            break
        m = _RANGE.match(token)
        if m is None:
            days.append(_day(token, field, label))
            continue
        first, last = _day(m.group(1), field, label), _day(m.group(2), field, label)
        if last < first or (last - first).days + 1 > MAX_RANGE_DAYS:
            raise Invalid.field(field, f"{label}中「{token}」的起止日期有误（结束不早于开始，最多 {MAX_RANGE_DAYS} 天）")
        days.extend(first + dt.timedelta(days=i) for i in range((last - first).days + 1))
    return days


def check_calendar(holidays: list[dt.date], workdays: list[dt.date]) -> None:
    """Each list within its size, no day in both, and a make-up working day on a weekend (a
    weekday already is one)."""
    for days, field, label in ((holidays, "holidays", "法定节假日"), (workdays, "workdays", "调休上班日")):
        if len(set(days)) > MAX_CALENDAR_DAYS:
            raise Invalid.field(field, f"{label}最多 {MAX_CALENDAR_DAYS} 天，请删去已过去的年份")
    for day in workdays:
        if day.weekday() < 5:
            raise Invalid.field(
                "workdays", f"调休上班日须为周六或周日：{day.isoformat()} 是周{WEEKDAYS[day.weekday()]}，本来就是工作日"
            )
    both = sorted(set(holidays) & set(workdays))
    if both:
        raise Invalid.field("workdays", f"{both[0].isoformat()} 不能既是法定节假日又是调休上班日")


def calendar_lists(session: Session) -> tuple[list[dt.date], list[dt.date]]:
    """The bureau's holidays and make-up working days, in date order (bounded by the lists' size)."""
    rows = session.execute(
        select(CalendarDay.day, CalendarDay.kind).order_by(CalendarDay.day).limit(2 * MAX_CALENDAR_DAYS)
    ).all()
    return [d for d, k in rows if k == HOLIDAY], [d for d, k in rows if k == WORKDAY]


def work_calendar(session: Session, start: dt.date, end: dt.date) -> WorkCalendar:
    """The calendar's days between ``start`` and ``end`` (what ``working_days`` needs for them)."""
    rows = session.execute(
        select(CalendarDay.day, CalendarDay.kind).where(CalendarDay.day >= start, CalendarDay.day <= end)
    ).all()
    return WorkCalendar(
        holidays=frozenset(d for d, k in rows if k == HOLIDAY), workdays=frozenset(d for d, k in rows if k == WORKDAY)
    )


def set_calendar(session: Session, actor: User, holidays: Iterable[dt.date], workdays: Iterable[dt.date]) -> WorkCalendar:
    """Only bureau staff keep the calendar; the two lists replace the stored ones, and the change
    (days added and removed) is audited."""
    if not actor.is_bureau_staff:
        raise Forbidden("只有科技局工作人员可以修改办公设置")
    new_h, new_w = sorted(set(holidays)), sorted(set(workdays))
    check_calendar(new_h, new_w)
    old_h, old_w = calendar_lists(session)
    wanted = {d: HOLIDAY for d in new_h} | {d: WORKDAY for d in new_w}
    stored = {d: HOLIDAY for d in old_h} | {d: WORKDAY for d in old_w}
    gone = [d for d, k in stored.items() if wanted.get(d) != k]
    if gone:
        session.execute(delete(CalendarDay).where(CalendarDay.day.in_(gone)))
    for day, kind in wanted.items():
        if stored.get(day) != kind:
            session.add(CalendarDay(day=day, kind=kind, updated_by=actor.id))
    session.flush()
    if gone or any(stored.get(d) != k for d, k in wanted.items()):
        audit.record(
            session, actor.id, "office.calendar", "office_setting", None,
            {
                "holidays_added": [d.isoformat() for d in new_h if stored.get(d) != HOLIDAY],
                "holidays_removed": [d.isoformat() for d in old_h if wanted.get(d) != HOLIDAY],
                "workdays_added": [d.isoformat() for d in new_w if stored.get(d) != WORKDAY],
                "workdays_removed": [d.isoformat() for d in old_w if wanted.get(d) != WORKDAY],
            },
        )  # fmt: skip
    return WorkCalendar(frozenset(new_h), frozenset(new_w))


def format_days(days: Iterable[dt.date]) -> str:
    """The lists as the settings page shows them: one line per run of consecutive days
    (``2026-10-01 至 2026-10-07``), which ``parse_days`` reads back."""
    lines: list[str] = []
    run: list[dt.date] = []
    for day in sorted(set(days)):
        if run and (day != run[-1] + dt.timedelta(days=1) or len(run) == MAX_RANGE_DAYS):
            lines.append(run[0].isoformat() if len(run) == 1 else f"{run[0].isoformat()} 至 {run[-1].isoformat()}")
            run = []
        run.append(day)
    if run:
        lines.append(run[0].isoformat() if len(run) == 1 else f"{run[0].isoformat()} 至 {run[-1].isoformat()}")
    return "\n".join(lines)


def check_notice_window(session: Session, start: dt.date, end: dt.date, today: dt.date) -> None:
    """The one rule for a 公示 window (a batch's or a recognition's): it starts today or later
    (China Standard Time, ``today``), ends on or after its start, and holds at least the office's
    minimum of working days by the office calendar; each refusal names its date field."""
    if start < today:
        raise Invalid.field("notice_start", f"公示开始日期不能早于今天（{today.isoformat()}，中国标准时间）")
    if end < start:
        raise Invalid.field("notice_end", "公示结束日期不能早于开始日期")
    minimum = get(session, NOTICE_MIN_WORKING_DAYS)
    have = working_days(start, end, work_calendar(session, start, end))
    if have < minimum:
        raise Invalid.field("notice_end", f"公示期须至少包含 {minimum} 个工作日，所选期间只有 {have} 个")
