"""Progress: the pure figures (rates, 赛马 ranking, trends, projection) and the counting rules
against real rows."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from market.deals.models import Deal
from market.needs.models import Need
from market.orgs.models import Organisation, User
from market.recognitions import service as recognitions
from market.recognitions.schemas import RecognitionCreate, RecognitionDecision
from market.responses.models import Response
from market.targets import service as targets
from market.targets.metrics import Event
from market.targets.progress import TargetSpec, competition_rank, progress_report, target_progress
from market.targets.schemas import TargetCreate
from tests import factories
from tests.market.conftest import make_org, make_user

_seq = itertools.count(1)


def ev(day: str, county: str = "南湖区", industry: str = "家电") -> Event:
    return Event(dt.date.fromisoformat(day), county, industry, f"x:{next(_seq)}")


# --- pure ------------------------------------------------------------------------------------


def test_half_year_on_pace_projects_the_target() -> None:
    spec = TargetSpec(1, "needs_published", 2022, False, None, 200)
    events = [ev(f"2022-0{m}-10") for m in range(1, 7) for _ in range(17)]  # 102 by June
    p = target_progress(spec, events, as_of=dt.date(2022, 7, 2))  # day 183 of 365
    assert p.actual == 102
    assert p.completion_rate == 0.51
    assert p.projected == pytest.approx(102 * 365 / 183, abs=0.1)
    assert p.on_track is True and p.status == "进度正常"
    assert p.expected_by_now == pytest.approx(200 * 183 / 365, abs=0.1)


def test_behind_pace_and_after_period_end() -> None:
    spec = TargetSpec(1, "deals_signed", 2022, False, None, 100)
    events = [ev("2022-02-01"), ev("2022-11-30"), ev("2023-01-05")]
    behind = target_progress(spec, events, as_of=dt.date(2022, 12, 1))
    assert behind.actual == 2 and behind.on_track is False and behind.status == "进度滞后"
    done = target_progress(spec, events, as_of=dt.date(2023, 6, 1))
    assert done.actual == 2 and done.projected == 2.0 and done.status == "未完成"  # 2023 event excluded
    before = target_progress(spec, events, as_of=dt.date(2021, 6, 1))
    assert before.actual == 0 and before.projected is None and before.status == "未开始"


def test_cumulative_counts_from_base_year() -> None:
    spec = TargetSpec(2, "needs_published", 2023, True, 2022, 300)
    events = [ev("2021-12-31"), ev("2022-05-01"), ev("2023-05-01")]
    p = target_progress(spec, events, as_of=dt.date(2023, 12, 31))
    assert p.actual == 2 and p.period_start == dt.date(2022, 1, 1)
    assert [q.period for q in p.quarterly][:2] == ["2022Q1", "2022Q2"] and len(p.quarterly) == 8
    assert p.quarterly[-1].cumulative == 2


def test_county_ranking_by_rate_and_by_count() -> None:
    spec = TargetSpec(1, "needs_published", 2022, False, None, 20, {"南湖区": 10, "海宁市": 2, "桐乡市": 5})
    events = (
        [ev("2022-01-05", "南湖区")] * 4 + [ev("2022-01-05", "海宁市")] * 2 + [ev("2022-02-01", "嘉善县")] * 4
    )
    p = target_progress(spec, events, as_of=dt.date(2022, 12, 31))
    rows = {c.county: c for c in p.by_county}
    assert rows["海宁市"].completion_rate == 1.0 and rows["海宁市"].rank_by_rate == 1
    assert rows["南湖区"].completion_rate == 0.4 and rows["南湖区"].rank_by_rate == 2
    assert rows["桐乡市"].rank_by_rate == 3
    assert rows["嘉善县"].completion_rate is None and rows["嘉善县"].rank_by_rate is None
    assert (
        rows["南湖区"].rank_by_count == 1
        and rows["嘉善县"].rank_by_count == 1
        and rows["海宁市"].rank_by_count == 3
    )
    assert sum(c.actual for c in p.by_county) == p.actual
    assert sum(i.actual for i in p.by_industry) == p.actual
    assert p.monthly[0].count == 6 and p.monthly[1].count == 4 and p.monthly[-1].cumulative == 10


def test_competition_rank_shares_ties() -> None:
    assert competition_rank({"a": 3, "b": 5, "c": 3, "d": 1}) == {"b": 1, "a": 2, "c": 2, "d": 4}


days = st.dates(min_value=dt.date(2021, 6, 1), max_value=dt.date(2026, 6, 1))


@given(
    day_list=st.lists(days, max_size=60),
    as_of=days,
    value=st.integers(min_value=0, max_value=500),
    cumulative=st.booleans(),
)
def test_progress_invariants(day_list: list[dt.date], as_of: dt.date, value: int, cumulative: bool) -> None:
    spec = TargetSpec(1, "needs_published", 2023, cumulative, 2022 if cumulative else None, value)
    events = [Event(d, "南湖区" if d.day % 2 else "海宁市", "家电", str(i)) for i, d in enumerate(day_list)]
    p = target_progress(spec, events, as_of)
    assert p.actual == sum(c.actual for c in p.by_county) == sum(i.actual for i in p.by_industry)
    assert p.actual == (p.monthly[-1].cumulative if p.monthly else 0) == p.quarterly[-1].cumulative
    assert sum(t.count for t in p.monthly) == p.actual
    if p.projected is not None:
        assert p.projected >= p.actual
    later = target_progress(spec, events, as_of + dt.timedelta(days=30))
    assert later.actual >= p.actual  # never decreases with time


# --- against the database --------------------------------------------------------------------


def add_need(
    session: Session,
    org: Organisation,
    user: User,
    published: dt.datetime | None,
    county: str,
    status: str = "published",
) -> Need:
    need = Need(
        org_id=org.id,
        created_by=user.id,
        title="冲压模具在线磨损监测",
        industry=org.industry or "家电",
        track="digital",
        county=county,
        cooperation_mode="技术开发",
        status=status,
        published_at=published,
    )
    session.add(need)
    session.flush()
    return need


def add_deal(
    session: Session, need: Need, provider: Organisation, user: User, signed: dt.date | None, stage: str
) -> Deal:
    resp = Response(need_id=need.id, org_id=provider.id, created_by=user.id, approach="方案")
    session.add(resp)
    session.flush()
    deal = Deal(
        need_id=need.id,
        response_id=resp.id,
        enterprise_org_id=need.org_id,
        provider_org_id=provider.id,
        stage=stage,
        signed_on=signed,
    )
    session.add(deal)
    session.flush()
    return deal


def utc(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s).replace(tzinfo=dt.UTC)


def test_counts_from_the_tables(session: Session, bureau: User, enterprise: User) -> None:
    targets.seed_policy_targets(session)
    assert targets.seed_policy_targets(session) == 0  # idempotent
    targets.create(
        session, bureau, TargetCreate(metric="needs_published", year=2022, county="海宁市", value=30)
    )
    org = enterprise.org
    haining = make_org(session, "海宁某经编有限公司", county="海宁市", industry="经编")
    hn_user = make_user(session, haining)
    provider = make_org(session, "浙江某大学", kind="university", county="南湖区", industry=None)
    prov_user = make_user(session, provider)

    # 2021-12-31 17:00 UTC is 2022-01-01 01:00 in Jiaxing: counts in 2022
    n1 = add_need(session, org, enterprise, utc("2021-12-31T17:00:00"), "南湖区")
    add_need(
        session, org, enterprise, utc("2021-12-31T15:00:00"), "南湖区"
    )  # 2021-12-31 23:00 local: not 2022
    n3 = add_need(session, haining, hn_user, utc("2022-06-01T02:00:00"), "海宁市", status="withdrawn")
    add_need(session, haining, hn_user, None, "海宁市", status="submitted")  # never published
    add_need(session, haining, hn_user, utc("2023-03-01T02:00:00"), "海宁市", status="closed")

    add_deal(session, n1, provider, prov_user, dt.date(2022, 3, 1), "converted")
    add_deal(session, n3, provider, prov_user, dt.date(2022, 7, 1), "failed")  # signed, failed later: counts
    n_extra = add_need(session, org, enterprise, utc("2022-02-01T02:00:00"), "南湖区")
    add_deal(session, n_extra, provider, prov_user, None, "intent")  # not signed

    # first-of-kind: a product municipal in 2022, upgraded to provincial in 2023, counts once per threshold
    def recognise(
        user: User, level: str, year: int, product: str = "智能集成灶", category: str = "equipment"
    ) -> None:
        rec = recognitions.apply(
            session, user, RecognitionCreate(product_name=product, category=category, level=level, year=year)
        )
        factories.notice_served(session, bureau, rec.id)
        recognitions.recognise(session, bureau, rec.id, RecognitionDecision())

    recognise(enterprise, "municipal", 2022)
    recognise(enterprise, "provincial", 2023)
    recognise(hn_user, "national", 2022, product="经编智能验布机")
    recognise(hn_user, "provincial", 2022, product="企业研究院", category="tech_center")  # not first-of-kind

    r2022 = progress_report(session, 2022, as_of=dt.date(2022, 12, 31))
    by = {(t.metric, t.year): t for t in r2022.targets}
    assert set(by) == {
        ("needs_published", 2022),
        ("needs_published", 2023),
        ("needs_published", 2025),
        ("deals_signed", 2022),
        ("first_of_kind_municipal", 2022),
        ("first_of_kind_provincial", 2023),
        ("first_of_kind_provincial", 2025),
        ("tech_centers_municipal", 2022),
    }
    # the provincial 企业研究院 is a new 市级以上 technology centre (task 9), not a first-of-kind product
    assert by[("tech_centers_municipal", 2022)].actual == 1
    needs = by[("needs_published", 2022)]
    assert (needs.target, needs.actual) == (200, 3)
    hn = next(c for c in needs.by_county if c.county == "海宁市")
    assert (hn.target, hn.actual, hn.completion_rate) == (30, 1, 0.0333)
    assert by[("deals_signed", 2022)].actual == 2
    assert by[("first_of_kind_municipal", 2022)].actual == 2
    assert by[("first_of_kind_provincial", 2023)].actual == 1  # so far, the national one

    r2023 = progress_report(session, 2023, as_of=dt.date(2023, 12, 31))
    cum = next(t for t in r2023.targets if t.metric == "first_of_kind_provincial" and t.year == 2023)
    assert cum.actual == 2 and cum.completion_rate == 0.05
    needs_cum = next(t for t in r2023.targets if t.metric == "needs_published" and t.year == 2023)
    assert needs_cum.actual == 4 and needs_cum.cumulative


def test_progress_reads_aggregates_whatever_the_number_of_events(
    session: Session, bureau: User, enterprise: User
) -> None:
    """The dashboard's and the Excel's report (progress_report) counts in SQL: the same
    statements, and rows bounded by days × counties × industries, for 4 needs and deals as for 60."""
    from sqlalchemy import event

    targets.seed_policy_targets(session)
    provider = make_org(session, "浙江某大学", kind="university", county="南湖区", industry=None)
    prov_user = make_user(session, provider)

    def add(n: int) -> None:
        for i in range(n):
            # Two local days, two counties: 4 groups however many needs.
            need = add_need(
                session, enterprise.org, enterprise, utc(f"2022-03-0{1 + i % 2}T0{i % 2}:00:00"),
                "南湖区" if i % 4 < 2 else "海宁市",
            )
            add_deal(session, need, provider, prov_user, dt.date(2022, 4, 1 + i % 2), "signed")

    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    def measure() -> tuple[int, int, int]:
        statements.clear()
        bind = session.get_bind()
        event.listen(bind, "before_cursor_execute", count)
        try:
            report = progress_report(session, 2022, as_of=dt.date(2022, 12, 31))
        finally:
            event.remove(bind, "before_cursor_execute", count)
        by = {(t.metric, t.year): t for t in report.targets}
        return len(statements), by[("needs_published", 2022)].actual, by[("deals_signed", 2022)].actual

    add(4)
    few = measure()
    assert few[1:] == (4, 4)
    add(56)
    many = measure()
    assert many[1:] == (60, 60)
    assert many[0] == few[0]
    # And what the metrics hand back is one event per (day, county, industry) group.
    from market.targets.metrics import collect

    groups = collect(session, "needs_published", dt.date(2022, 1, 1), dt.date(2022, 12, 31))
    assert len(groups) == 4 and sum(e.count for e in groups) == 60
    deals = collect(session, "deals_signed", dt.date(2022, 1, 1), dt.date(2022, 12, 31))
    assert len(deals) == 4 and sum(e.count for e in deals) == 60


def test_departments_are_raced_by_mean_capped_completion_rate() -> None:
    from market.targets.progress import department_race

    def spec(metric: str, value: int, department: str | None) -> TargetSpec:
        return TargetSpec(None, metric, 2022, False, None, value, department=department)

    events = [ev("2022-03-01")] * 10
    done = target_progress(spec("needs_published", 5, "市科技局"), events, dt.date(2022, 12, 31))  # 200 %
    half = target_progress(spec("deals_signed", 20, "市科技局"), events, dt.date(2022, 12, 31))  # 50 %
    most = target_progress(spec("first_of_kind_municipal", 12, "市经信局"), events, dt.date(2022, 12, 31))
    none = target_progress(spec("tech_centers_municipal", 12, None), events, dt.date(2022, 12, 31))
    race = department_race([done, half, most, none])
    assert [(d.department, d.rank, d.targets, d.completed) for d in race] == [("市经信局", 1, 1, 0), ("市科技局", 2, 2, 1)]
    # 市科技局: (min(2.0, 1) + 0.5) / 2 = 0.75, below 市经信局's 10/12; uncapped it would lead with 1.25
    assert race[1].mean_rate == 0.75 and race[0].mean_rate == 0.8333
