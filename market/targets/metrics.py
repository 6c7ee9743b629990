"""What each target metric counts, read from the marketplace tables as dated events.

Every metric yields events ``(day, county, industry, key, count)``; the progress computation only
adds and groups them. Needs and deals are counted by the database, grouped by local day, county
and industry (rows bounded by days × counties × industries, not by the number of needs);
recognitions likewise, after a window function has picked each product's first recognition
that reached the threshold (the per-product first-reached rule). Days are local dates in China
Standard Time (UTC+8), so a need published at 23:30 on 31 December in Jiaxing counts in that year
even though it is stored in UTC.

Definitions (the bureau's 口径):

``needs_published`` — 需求发布数（发榜）
    Needs whose ``published_at`` (the time the need was first made public in a batch) falls in
    the period, whatever their status now: a need published and later withdrawn, expired,
    contracted or closed still counts, since it was published. Drafts, submitted, returned,
    approved-but-unpublished and rejected needs have no ``published_at`` and never count.
    County and industry are the need's own.

``deals_signed`` — 揭榜对接转化数
    Deals that reached 签约 (signed) — ``signed_on`` falls in the period — whatever their stage
    now (实施、验收、转化, or failed afterwards): signing the contract is the 对接转化 event, and a
    later failure does not rewrite last year's figure. Matched or intent deals never count.
    County and industry are those of the need the deal answers.

``first_of_kind_municipal`` / ``first_of_kind_provincial`` — 首台（套）/首批次/首版次认定数
    Products recognised (status ``recognised``) in a category of the policy's ``first_of_kind``
    group (装备、新材料、软件) at 市内 level or higher / 省内 level or higher. Each product
    (organisation + category + product name) counts once, in the recognition year in which it
    first reached the threshold, so an upgrade 市内 → 省内 is not a second municipal+ product.
    The event's day is the date the bureau recognised it, kept inside the recognition year.
    County and industry are the organisation's.

``tech_centers_municipal`` — 新增市级以上企业技术中心 (seed task 9)
    Enterprise technology centres (category ``tech_center``) recognised at 市级 or higher, each
    centre counted once, in the year it first reached 市级, as above.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Date, and_, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from market.db import CST
from market.deals.models import Deal
from market.needs.models import Need
from market.orgs.models import Organisation
from market.recognitions.models import Recognition
from market.recognitions.policy import policy_for_labels
from market.recognitions.states import RecognitionStatus


def local_day(moment: dt.datetime) -> dt.date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(CST).date()


@dataclass(frozen=True)
class Event:
    """What a metric counted: ``count`` things on ``day`` in a county and industry (the SQL
    aggregates give one event per group; recognitions one per product)."""

    day: dt.date
    county: str | None
    industry: str | None
    key: str  # what was counted, e.g. "need:12", or the group, e.g. "needs:2026-03-01:南湖区:家电"
    count: int = 1


def total(events: Iterable[Event]) -> int:
    return sum(e.count for e in events)


class local_date(FunctionElement[dt.date]):
    """The local date (China Standard Time, UTC+8, no daylight saving) of a stored UTC moment,
    computed by the database so that counts can be grouped by day there."""

    type = Date()
    inherit_cache = True
    name = "local_date"


@compiles(local_date)
def _local_date_default(element: local_date, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


@compiles(local_date, "postgresql")
def _local_date_postgresql(element: local_date, compiler: Any, **kw: Any) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)} AT TIME ZONE 'UTC') + INTERVAL '8 hours' AS DATE)"


@dataclass(frozen=True)
class Metric:
    code: str
    label: str
    unit: str
    definition: str
    collect: Callable[[Session, dt.date, dt.date], list[Event]]


def _needs_published(session: Session, start: dt.date, end: dt.date) -> list[Event]:
    # One indexed range (ix_needs_published_county_industry) grouped by local day, county and
    # industry in the database: the rows returned are bounded by days × counties × industries,
    # whatever the number of needs.
    lo = dt.datetime.combine(start, dt.time(), CST).astimezone(dt.UTC)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), CST).astimezone(dt.UTC)
    day = local_date(Need.published_at)
    rows = session.execute(
        select(day, Need.county, Need.industry, func.count())
        .where(Need.published_at.is_not(None), Need.published_at >= lo, Need.published_at < hi)
        .group_by(day, Need.county, Need.industry)
    ).all()
    return [_group("needs", d, county, industry, n) for d, county, industry, n in rows]


def _deals_signed(session: Session, start: dt.date, end: dt.date) -> list[Event]:
    rows = session.execute(
        select(Deal.signed_on, Need.county, Need.industry, func.count())
        .join(Need, Need.id == Deal.need_id)
        .where(Deal.signed_on.is_not(None), Deal.signed_on >= start, Deal.signed_on <= end)
        .group_by(Deal.signed_on, Need.county, Need.industry)
    ).all()
    return [_group("deals", d, county, industry, n) for d, county, industry, n in rows if d is not None]


def _group(what: str, day: dt.date | str, county: str | None, industry: str | None, n: int) -> Event:
    if isinstance(day, str):  # a driver that hands back the computed date as text
        day = dt.date.fromisoformat(day)
    return Event(day, county, industry, f"{what}:{day}:{county}:{industry}", int(n))


def _qualifying(session: Session, end_year: int, min_rank: int, group: str) -> list[ColumnElement[bool]]:
    """Per recognition year up to ``end_year``: the (category, levels) that count, read from the
    policy version of that year (categories of ``group``, levels ranked ``min_rank`` or higher)."""
    years = session.scalars(
        select(Recognition.year)
        .where(Recognition.status == RecognitionStatus.recognised, Recognition.year <= end_year)
        .distinct()
    ).all()
    clauses: list[ColumnElement[bool]] = []
    for year in years:
        policy = policy_for_labels(year)
        for code, cat in policy.categories.items():
            if cat.group != group:
                continue
            levels = sorted(level for level, award in cat.awards.items() if award.rank >= min_rank)
            if levels:
                clauses.append(
                    and_(Recognition.year == year, Recognition.category == code, Recognition.level.in_(levels))
                )
    return clauses


def _first_of_kind(min_rank: int, group: str = "first_of_kind") -> Callable[[Session, dt.date, dt.date], list[Event]]:
    def collect(session: Session, start: dt.date, end: dt.date) -> list[Event]:
        # Each product (organisation + category + product name) counts once, at its first
        # recognition that reached the threshold: a window over every qualifying recognition up
        # to the end of the period picks it (so a product that first reached the threshold
        # before the period is not counted again inside it), and the database groups those
        # firsts by year, local day, county and industry. Rows returned are bounded by
        # days × counties × industries, not by the number of recognitions.
        clauses = _qualifying(session, end.year, min_rank, group)
        if not clauses:
            return []
        first = (
            func.row_number()
            .over(
                partition_by=(Recognition.org_id, Recognition.category, Recognition.product_name),
                order_by=(Recognition.year, Recognition.recognised_at, Recognition.id),
            )
            .label("nth")
        )
        ranked = (
            select(
                Recognition.year.label("year"),
                Recognition.recognised_at.label("recognised_at"),
                Organisation.county.label("county"),
                Organisation.industry.label("industry"),
                first,
            )
            .join(Organisation, Organisation.id == Recognition.org_id)
            .where(Recognition.status == RecognitionStatus.recognised, Recognition.year <= end.year, or_(*clauses))
            .subquery()
        )
        day = local_date(ranked.c.recognised_at)
        rows = session.execute(
            select(ranked.c.year, day, ranked.c.county, ranked.c.industry, func.count())
            .where(ranked.c.nth == 1, ranked.c.year >= start.year)
            .group_by(ranked.c.year, day, ranked.c.county, ranked.c.industry)
        ).all()
        counts: dict[tuple[dt.date, str | None, str | None], int] = {}
        for year, raw_day, county, industry, n in rows:
            # The event's day is the recognition day, kept inside the recognition year (no day:
            # the year's last day).
            d = dt.date.fromisoformat(raw_day) if isinstance(raw_day, str) else raw_day
            d = min(max(d, dt.date(year, 1, 1)), dt.date(year, 12, 31)) if d else dt.date(year, 12, 31)
            counts[(d, county, industry)] = counts.get((d, county, industry), 0) + int(n)
        return [
            _group("recognitions", d, county, industry, n)
            for (d, county, industry), n in counts.items()
            if start <= d <= end
        ]

    return collect


METRICS: dict[str, Metric] = {
    m.code: m
    for m in (
        Metric(
            "needs_published",
            "发布技术需求（发榜）",
            "项",
            "发榜时间在统计期内的需求，不论其后状态（撤回、过期、签约等均计入）",
            _needs_published,
        ),
        Metric(
            "deals_signed",
            "揭榜对接转化",
            "项",
            "签约日期在统计期内的对接项目（签约及其后各阶段，含签约后失败的）",
            _deals_signed,
        ),
        Metric(
            "first_of_kind_municipal",
            "首台（套）等认定（市级及以上）",
            "个",
            "认定年度在统计期内、首次达到市内及以上级别的首台（套）装备、首批次新材料、首版次软件产品",
            _first_of_kind(1),
        ),
        Metric(
            "first_of_kind_provincial",
            "首台（套）等认定（省级及以上）",
            "个",
            "认定年度在统计期内、首次达到省内及以上级别的首台（套）装备、首批次新材料、首版次软件产品",
            _first_of_kind(2),
        ),
        Metric(
            "tech_centers_municipal",
            "新增企业技术中心（市级及以上）",
            "家",
            "认定年度在统计期内、首次认定为市级及以上的企业技术中心",
            _first_of_kind(1, "tech_center"),
        ),
    )
}


def metric(code: str) -> Metric:
    return METRICS[code]


def collect(session: Session, code: str, start: dt.date, end: dt.date) -> Sequence[Event]:
    return METRICS[code].collect(session, start, end)
