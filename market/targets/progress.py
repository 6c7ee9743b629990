"""Progress against targets: the one computation behind the API, the dashboard and the 晾晒通报.

Entry point: :func:`progress_report` (session, year, as_of) → :class:`ProgressReport`. Everything
that shows a target figure, an actual figure, a completion rate, a county ranking (赛马), a trend
or a projection reads it from that object, so the dashboard, the Excel export and
``GET /api/v1/progress`` cannot disagree.

Which targets a year shows: every yearly target set for that year, and every cumulative target
whose period (``base_year`` … ``year``) contains it, e.g. 2024 shows "500 needs by 2025". Actual
figures count the metric's events (see ``market.targets.metrics``) from the period start up to
``as_of`` (default: today in Jiaxing), never beyond the period end.

Projection: the linear pace so far, ``actual × period days ÷ elapsed days``; a target is on track
when the projection reaches it. After the period ends the projection is the actual figure.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from market.db import CST, utcnow
from market.targets.metrics import METRICS, Event, total
from market.targets.models import Target
from market.targets.report import target_name
from market.targets.schemas import (
    CountyProgress,
    DepartmentProgress,
    IndustryProgress,
    ProgressReport,
    TargetProgress,
    TrendPoint,
)
from market.vocab import COUNTIES

DEFAULT_BASE_YEAR = 2022
UNKNOWN = "未填写"


@dataclass(frozen=True)
class TargetSpec:
    """A city-wide target and its county splits, as plain data."""

    target_id: int | None
    metric: str
    year: int
    cumulative: bool
    base_year: int | None
    value: int
    county_values: Mapping[str, int] = field(default_factory=dict)
    department: str | None = None

    @property
    def period_start(self) -> dt.date:
        return (
            dt.date(self.base_year or DEFAULT_BASE_YEAR, 1, 1)
            if self.cumulative
            else dt.date(self.year, 1, 1)
        )

    @property
    def period_end(self) -> dt.date:
        return dt.date(self.year, 12, 31)


def today_local() -> dt.date:
    return utcnow().astimezone(CST).date()


def rate(actual: int, target: int | None) -> float | None:
    if not target:
        return None
    return round(actual / target, 4)


def competition_rank(values: Mapping[str, float]) -> dict[str, int]:
    """1224 ranking, highest first: ties share a rank and the next rank skips."""
    ordered = sorted(values.items(), key=lambda kv: -kv[1])
    ranks: dict[str, int] = {}
    for i, (key, value) in enumerate(ordered):
        if i and value == ordered[i - 1][1]:
            ranks[key] = ranks[ordered[i - 1][0]]
        else:
            ranks[key] = i + 1
    return ranks


def _months(start: dt.date, end: dt.date) -> list[tuple[int, int]]:
    out = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def trend(events: Iterable[Event], start: dt.date, end: dt.date, by: str) -> list[TrendPoint]:
    """Counts per month (``by="month"``) or quarter (``"quarter"``) from ``start`` to ``end``,
    with the running total."""

    def label(d: dt.date | tuple[int, int]) -> str:
        y, m = (d.year, d.month) if isinstance(d, dt.date) else d
        return f"{y}-{m:02d}" if by == "month" else f"{y}Q{(m - 1) // 3 + 1}"

    counts: Counter[str] = Counter()
    for e in events:
        counts[label(e.day)] += e.count
    periods: list[str] = []
    for ym in _months(start, end):
        lab = label(ym)
        if lab not in periods:
            periods.append(lab)
    points, running = [], 0
    for lab in periods:
        running += counts.get(lab, 0)
        points.append(TrendPoint(period=lab, count=counts.get(lab, 0), cumulative=running))
    return points


def target_progress(
    spec: TargetSpec, events: Sequence[Event], as_of: dt.date, counties: Sequence[str] = COUNTIES
) -> TargetProgress:
    """Pure: one target's figures from its metric's events (any events outside the period or
    after ``as_of`` are ignored)."""
    m = METRICS[spec.metric]
    start, end = spec.period_start, spec.period_end
    upto = min(as_of, end)
    counted = [e for e in events if start <= e.day <= upto]
    actual = total(counted)
    total_days = (end - start).days + 1
    elapsed = 0 if as_of < start else (upto - start).days + 1
    expected = round(spec.value * elapsed / total_days, 1)
    projected: float | None
    if as_of >= end:
        projected = float(actual)
        on_track: bool | None = actual >= spec.value
        status = "已完成" if on_track else "未完成"
    elif elapsed == 0:
        projected, on_track, status = None, None, "未开始"
    else:
        projected = round(actual * total_days / elapsed, 1)
        on_track = projected >= spec.value
        status = "已完成" if actual >= spec.value else ("进度正常" if on_track else "进度滞后")

    by_county_count: Counter[str] = Counter()
    by_industry_count: Counter[str] = Counter()
    for e in counted:
        by_county_count[e.county or UNKNOWN] += e.count
        by_industry_count[e.industry or UNKNOWN] += e.count
    names = list(counties) + sorted(c for c in by_county_count if c not in counties)
    county_rates = {
        c: r for c in names if (r := rate(by_county_count.get(c, 0), spec.county_values.get(c))) is not None
    }
    rank_rate = competition_rank(county_rates)
    rank_count = competition_rank({c: by_county_count.get(c, 0) for c in names})
    by_county = [
        CountyProgress(
            county=c,
            target=spec.county_values.get(c),
            actual=by_county_count.get(c, 0),
            completion_rate=county_rates.get(c),
            rank_by_rate=rank_rate.get(c),
            rank_by_count=rank_count[c],
        )
        for c in names
    ]
    by_industry = [
        IndustryProgress(industry=i, actual=n)
        for i, n in sorted(by_industry_count.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    trend_end = max(start, upto)
    return TargetProgress(
        target_id=spec.target_id,
        metric=spec.metric,
        label=m.label,
        unit=m.unit,
        definition=m.definition,
        year=spec.year,
        cumulative=spec.cumulative,
        base_year=spec.base_year if spec.cumulative else None,
        department=spec.department,
        period_start=start,
        period_end=end,
        as_of=as_of,
        target=spec.value,
        actual=actual,
        completion_rate=rate(actual, spec.value),
        expected_by_now=expected,
        projected=projected,
        on_track=on_track,
        status=status,
        by_county=by_county,
        by_industry=by_industry,
        monthly=trend(counted, start, trend_end, "month"),
        quarterly=trend(counted, start, trend_end, "quarter"),
    )


def department_race(targets: Sequence[TargetProgress]) -> list[DepartmentProgress]:
    """Pure: the 市级机关部门 赛马 — each responsible department's targets, ranked (1224) by the
    mean of their completion rates, each capped at 100%; best first."""
    groups: dict[str, list[TargetProgress]] = {}
    for t in targets:
        if t.department:
            groups.setdefault(t.department, []).append(t)
    means: dict[str, float] = {}
    for dep, items in groups.items():
        rates = [min(t.completion_rate, 1.0) for t in items if t.completion_rate is not None]
        if rates:
            means[dep] = round(sum(rates) / len(rates), 4)
    ranks = competition_rank(means)
    out = [
        DepartmentProgress(
            department=dep,
            targets=len(items),
            completed=sum(1 for t in items if t.status == "已完成"),
            on_track=sum(1 for t in items if t.on_track),
            mean_rate=means.get(dep),
            rank=ranks.get(dep),
            items=[target_name(t) for t in items],
        )
        for dep, items in groups.items()
    ]
    out.sort(key=lambda d: (d.rank or len(out) + 1, d.department))
    return out


def build_report(
    year: int,
    as_of: dt.date,
    specs: Sequence[TargetSpec],
    events_for: Mapping[int, Sequence[Event]],
    counties: Sequence[str] = COUNTIES,
) -> ProgressReport:
    """Pure: the report from target specs and, per spec index, its metric's events."""
    targets = [target_progress(s, events_for[i], as_of, counties) for i, s in enumerate(specs)]
    return ProgressReport(
        year=year,
        as_of=as_of,
        generated_at=utcnow(),
        counties=list(counties),
        targets=targets,
        departments=department_race(targets),
    )


def targets_in_force(session: Session, year: int) -> list[TargetSpec]:
    """Yearly targets of ``year`` and cumulative targets whose period contains ``year``, each with
    its county splits; splits without a city-wide row make a target equal to their sum."""
    rows = session.scalars(
        select(Target).where(
            or_(
                Target.year == year,
                (Target.cumulative.is_(True)) & (Target.year >= year),
            )
        )
    ).all()
    groups: dict[tuple[str, int], list[Target]] = {}
    for t in rows:
        if t.cumulative and t.year != year and (t.base_year or DEFAULT_BASE_YEAR) > year:
            continue
        groups.setdefault((t.metric, t.year), []).append(t)
    specs = []
    for (metric, tyear), items in groups.items():
        if metric not in METRICS:
            continue
        city = next((t for t in items if t.county is None), None)
        splits = {t.county: t.value for t in items if t.county is not None}
        ref = city or items[0]
        if not ref.cumulative and tyear != year:
            continue
        specs.append(
            TargetSpec(
                target_id=city.id if city else None,
                metric=metric,
                year=tyear,
                cumulative=ref.cumulative,
                base_year=(ref.base_year or DEFAULT_BASE_YEAR) if ref.cumulative else None,
                value=city.value if city else sum(splits.values()),
                county_values=splits,
                department=city.department if city else None,
            )
        )
    order = list(METRICS)
    specs.sort(key=lambda s: (order.index(s.metric), s.year, s.cumulative))
    return specs


def progress_report(session: Session, year: int, as_of: dt.date | None = None) -> ProgressReport:
    """The progress of every target in force in ``year``, as of ``as_of`` (default today)."""
    as_of = as_of or today_local()
    specs = targets_in_force(session, year)
    cache: dict[tuple[str, dt.date, dt.date], list[Event]] = {}
    events_for: dict[int, Sequence[Event]] = {}
    for i, spec in enumerate(specs):
        key = (spec.metric, spec.period_start, spec.period_end)
        if key not in cache:
            cache[key] = list(METRICS[spec.metric].collect(session, spec.period_start, spec.period_end))
        events_for[i] = cache[key]
    return build_report(year, as_of, specs, events_for)


@dataclass(frozen=True)
class Actual:
    """A metric's figure for a year that has no target: what was done, by county."""

    metric: str
    label: str
    unit: str
    actual: int
    by_county: dict[str, int]


def actuals_without_targets(session: Session, year: int, as_of: dt.date | None = None) -> list[Actual]:
    """Every metric's actual figure in ``year`` up to ``as_of``: a year without targets still has
    results to show."""
    as_of = as_of or today_local()
    start, end = dt.date(year, 1, 1), min(dt.date(year, 12, 31), as_of)
    out = []
    for code, m in METRICS.items():
        events = [e for e in m.collect(session, start, end) if start <= e.day <= end] if start <= end else []
        by_county: dict[str, int] = {}
        for e in events:
            if e.county:
                by_county[e.county] = by_county.get(e.county, 0) + e.count
        out.append(Actual(code, m.label, m.unit, total(events), dict(sorted(by_county.items(), key=lambda kv: -kv[1]))))
    return out

