"""The recognition metrics are counted by the database (a window picks each product's first
recognition that reached the threshold, then counts are grouped by day, county and industry), and
give the same figures as the per-row rule they replaced, kept here as the reference."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from market.orgs.models import Organisation
from market.recognitions.models import Recognition
from market.recognitions.policy import policy_for_labels
from market.recognitions.states import RecognitionStatus
from market.targets.metrics import METRICS, local_day
from tests.market.conftest import make_org

Figures = Counter[tuple[dt.date, str | None, str | None]]


def reference(session: Session, min_rank: int, group: str, start: dt.date, end: dt.date) -> Figures:
    """The rule as it was computed in Python before: one event per product, in the year it first
    reached the threshold, on its recognition day kept inside that year."""
    rows = session.execute(
        select(
            Recognition.org_id, Recognition.category, Recognition.product_name, Recognition.level,
            Recognition.year, Recognition.recognised_at, Organisation.county, Organisation.industry,
        )
        .join(Organisation, Organisation.id == Recognition.org_id)
        .where(Recognition.status == RecognitionStatus.recognised, Recognition.year <= end.year)
        .order_by(Recognition.year, Recognition.recognised_at, Recognition.id)
    ).all()  # fmt: skip
    first: dict[tuple[int, str, str], tuple[dt.date, str | None, str | None]] = {}
    for org_id, category, product, level, year, recognised_at, county, industry in rows:
        cat = policy_for_labels(year).categories.get(category)
        if cat is None or cat.group != group:
            continue
        award = cat.awards.get(level)
        if award is None or award.rank < min_rank or (org_id, category, product) in first:
            continue
        day = local_day(recognised_at) if recognised_at else dt.date(year, 12, 31)
        day = min(max(day, dt.date(year, 1, 1)), dt.date(year, 12, 31))
        first[(org_id, category, product)] = (day, county, industry)
    return Counter(v for v in first.values() if start <= v[0] <= end)


def sql(session: Session, code: str, start: dt.date, end: dt.date) -> Figures:
    out: Figures = Counter()
    for e in METRICS[code].collect(session, start, end):
        out[(e.day, e.county, e.industry)] += e.count
    return out


def seed(session: Session, rng: random.Random, n: int) -> None:
    orgs = [
        make_org(session, f"测试企业{i}", county=rng.choice(["南湖区", "海宁市", "平湖市"]), industry=rng.choice(["家电", "经编", None]))
        for i in range(6)
    ]  # fmt: skip
    levels = ["international", "national", "provincial", "municipal", "provincial_new_product"]
    categories = ["equipment", "material", "software", "tech_center", "innovation_center", "green_design"]
    statuses = [RecognitionStatus.recognised] * 4 + [RecognitionStatus.rejected]
    for _ in range(n):
        year = rng.randint(2021, 2026)
        moment: dt.datetime | None = None
        if rng.random() < 0.9:
            # Sometimes recognised the next January (kept inside the recognition year), sometimes
            # late on 31 December UTC, which is already the next day in Jiaxing.
            moment = dt.datetime(year, rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23), tzinfo=dt.UTC)
            if rng.random() < 0.1:
                moment = dt.datetime(year + 1, 1, 5, tzinfo=dt.UTC)
            elif rng.random() < 0.1:
                moment = dt.datetime(year, 12, 31, 20, tzinfo=dt.UTC)
        session.add(
            Recognition(
                org_id=rng.choice(orgs).id, product_name=rng.choice(["智能集成灶", "验布机", "工业软件", "技术中心"]),
                category=rng.choice(categories), level=rng.choice(levels), year=year,
                status=rng.choice(statuses), recognised_at=moment,
            )
        )  # fmt: skip
    session.flush()


PERIODS = [
    (dt.date(2022, 1, 1), dt.date(2022, 12, 31)),
    (dt.date(2022, 1, 1), dt.date(2023, 12, 31)),
    (dt.date(2022, 1, 1), dt.date(2025, 12, 31)),
    (dt.date(2024, 1, 1), dt.date(2024, 6, 30)),
    (dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
]
RULES = {"first_of_kind_municipal": (1, "first_of_kind"), "first_of_kind_provincial": (2, "first_of_kind"),
         "tech_centers_municipal": (1, "tech_center")}  # fmt: skip


def test_sql_counts_equal_the_per_product_rule(session: Session) -> None:
    seed(session, random.Random(17), 400)
    checked = 0
    for code, (rank, group) in RULES.items():
        for start, end in PERIODS:
            expected = reference(session, rank, group, start, end)
            assert sql(session, code, start, end) == expected, (code, start, end)
            checked += sum(expected.values())
    assert checked > 100  # the data set exercises the rule, not only empty periods


def test_recognitions_are_grouped_in_the_database(session: Session) -> None:
    """The statements do not grow with the recognitions, and the rows handed back are groups."""
    rng = random.Random(5)
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    def measure(collect: Callable[[], object]) -> int:
        statements.clear()
        bind = session.get_bind()
        event.listen(bind, "before_cursor_execute", count)
        try:
            collect()
        finally:
            event.remove(bind, "before_cursor_execute", count)
        return len(statements)

    org = make_org(session, "同日认定企业", county="南湖区", industry="家电")
    day = dt.datetime(2022, 5, 10, 2, tzinfo=dt.UTC)
    for i in range(50):  # fifty products recognised the same day: one group
        session.add(Recognition(org_id=org.id, product_name=f"装备{i}", category="equipment", level="municipal",
                                year=2022, status=RecognitionStatus.recognised, recognised_at=day))  # fmt: skip
    session.flush()
    period = (dt.date(2022, 1, 1), dt.date(2022, 12, 31))
    events = METRICS["first_of_kind_municipal"].collect(session, *period)
    assert [(e.day, e.count) for e in events] == [(dt.date(2022, 5, 10), 50)]
    few = measure(lambda: METRICS["first_of_kind_municipal"].collect(session, *period))
    seed(session, rng, 300)
    assert measure(lambda: METRICS["first_of_kind_municipal"].collect(session, *period)) == few
