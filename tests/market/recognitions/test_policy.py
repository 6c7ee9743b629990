"""The award rules: worked examples from the policy text and properties that must hold for any input."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.errors import Invalid
from market.recognitions.policy import (
    POLICY_DIR,
    PolicyNotInForce,
    PriorAward,
    load_policies,
    parse_policy,
    policy_for_year,
    quote,
    recognition_line,
)

POLICY = policy_for_year(2022)
FIRST_OF_KIND = ["equipment", "material", "software"]
LEVELS = ["international", "national", "provincial", "municipal"]
RANK = {"international": 4, "national": 3, "provincial": 2, "municipal": 1}

amounts = st.decimals(min_value=0, max_value=100_000, places=4, allow_nan=False, allow_infinity=False)


# --- worked examples -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "expected"), [("international", 200), ("national", 150), ("provincial", 50), ("municipal", 20)]
)
@pytest.mark.parametrize("item", FIRST_OF_KIND)
def test_first_of_kind_award_by_level(item: str, level: str, expected: int) -> None:
    result = quote(POLICY, item=item, level=level)
    assert result.total_wan == expected
    assert len(result.lines) == 1
    assert f"{expected}.0 万元" in result.lines[0].explanation


@pytest.mark.parametrize(
    ("item", "level", "expected"),
    [
        ("innovation_center", "national", 150),
        ("innovation_center", "provincial", 100),
        ("tech_center", "national", 150),
        ("tech_center", "provincial", 50),
        ("tech_center", "municipal", 20),
        ("innovation_project", "provincial", 30),
        ("innovation_project", "municipal", 15),
        ("innovation_project", "provincial_new_product", 5),
    ],
)
def test_other_awards_of_the_policy(item: str, level: str, expected: int) -> None:
    assert quote(POLICY, item=item, level=level).total_wan == expected


def test_insurance_example_from_the_issue() -> None:
    result = quote(POLICY, item="equipment", level="municipal", insured_value_wan=500, premium_wan=12)
    line = result.lines[1]
    assert line.amount_wan == Decimal("7.0")
    assert line.explanation == "保费补贴 = min(保费 12.0, 投保金额 500.0 × 2%) × 70% = 7.0 万元"
    assert result.total_wan == 27


def test_premium_above_two_percent_counts_only_two_percent() -> None:
    # 2% of 1000 = 20; 70% of 20 = 14, although the premium paid was 30
    result = quote(POLICY, item="equipment", level="provincial", insured_value_wan=1000, premium_wan=30)
    assert result.lines[1].amount_wan == 14


# Seed §三: "对首台（套）装备投保的，按实际保费的 70% 给予保费补贴（费率不超过 2%），每台（套）每年
# 最高 50 万元" — the premium subsidy is for 首台（套）装备 only, not for 首批次新材料 or 首版次软件.
@pytest.mark.parametrize("item", ["material", "software"])
def test_insurance_subsidy_is_for_first_of_kind_equipment_only(item: str) -> None:
    assert POLICY.categories["equipment"].insurance
    assert not POLICY.categories[item].insurance
    with pytest.raises(Invalid) as exc:
        quote(POLICY, item=item, level="provincial", insured_value_wan=1000, premium_wan=10)
    assert exc.value.details == [
        {"field": "premium_wan", "message": f"{POLICY.categories[item].label}不适用保费补贴"}
    ]


# Seed §三: "对获评国家级绿色设计产品的企业，每个产品奖励 20 万元，每家企业最高不超过 100 万元".
def test_national_green_design_product_pays_twenty_per_product() -> None:
    result = quote(POLICY, item="green_design", level="national")
    assert result.total_wan == 20
    assert POLICY.categories["green_design"].label == "绿色设计产品"


def test_green_design_at_most_one_hundred_per_enterprise() -> None:
    assert quote(POLICY, item="green_design", level="national", org_awarded_wan=80).total_wan == 20
    fifth_and_sixth = quote(POLICY, item="green_design", level="national", org_awarded_wan=90)
    assert fifth_and_sixth.total_wan == 10
    assert "每家企业最高 100.0 万元" in fifth_and_sixth.lines[0].explanation
    assert quote(POLICY, item="green_design", level="national", org_awarded_wan=100).total_wan == 0
    paid = Decimal(0)
    for _ in range(7):  # seven products of one enterprise
        paid += quote(POLICY, item="green_design", level="national", org_awarded_wan=paid).total_wan
    assert paid == 100


# Seed: "本政策自发布之日起施行，有效期至 2025 年 12 月 31 日".
def test_policy_valid_to_the_end_of_2025_and_not_after() -> None:
    assert POLICY.valid_until == dt.date(2025, 12, 31)
    assert policy_for_year(2025).version == POLICY.version
    with pytest.raises(PolicyNotInForce) as exc:
        policy_for_year(2026)
    message = exc.value.details[0]["message"]
    assert exc.value.details[0]["field"] == "year"
    assert "2026 年不在任何已发布政策版本的有效期内" in message
    assert "jiaxing-2022.1" in message and "2025-12-31" in message
    with pytest.raises(PolicyNotInForce):
        policy_for_year(2019)


def test_a_later_version_prices_the_years_it_covers() -> None:
    data = json.loads((POLICY_DIR / "jiaxing-2022.json").read_text(encoding="utf-8"))
    data = {**copy.deepcopy(data), "version": "jiaxing-2026.1", "effective_from": "2026-01-01", "valid_until": "2028-12-31"}
    data["categories"]["equipment"]["awards"]["municipal"]["amount_wan"] = 30
    later = parse_policy(data)
    pool = (*load_policies(), later)
    assert policy_for_year(2025, pool).version == "jiaxing-2022.1"
    assert policy_for_year(2026, pool).version == "jiaxing-2026.1"
    assert quote(policy_for_year(2026, pool), item="equipment", level="municipal").total_wan == 30
    with pytest.raises(PolicyNotInForce):
        policy_for_year(2029, pool)


def test_insurance_capped_at_fifty_per_set_per_year() -> None:
    result = quote(POLICY, item="equipment", level="national", insured_value_wan=10000, premium_wan=200)
    line = result.lines[1]
    assert line.amount_wan == 50
    assert "上限 50.0 万元" in line.explanation
    assert "140.0 万元" in line.explanation


def test_upgrade_pays_the_difference() -> None:
    result = quote(POLICY, item="equipment", level="provincial", already_awarded_level="municipal")
    assert result.total_wan == 30
    assert "补差额 = 50.0 − 20.0 = 30.0 万元" in result.lines[0].explanation


def test_downgrade_or_same_level_pays_nothing() -> None:
    assert quote(POLICY, item="software", level="municipal", already_awarded_level="national").total_wan == 0
    assert quote(POLICY, item="software", level="national", already_awarded_level="national").total_wan == 0


def test_highest_across_an_exclusive_group() -> None:
    # A product already paid as a provincial new product (5) and then recognised as provincial
    # first-of-kind equipment (50) gets only the difference.
    assert POLICY.exclusive_with("equipment") >= {"equipment", "innovation_project"}
    line = recognition_line(
        POLICY,
        "equipment",
        "provincial",
        [PriorAward("innovation_project", "provincial_new_product", Decimal(5))],
    )
    assert line.amount_wan == 45
    assert "省级新产品" in line.explanation


def test_invalid_input_names_each_field() -> None:
    with pytest.raises(Invalid) as exc:
        quote(POLICY, item="gadget", level="municipal", insured_value_wan=-5, premium_wan="abc")
    fields = {d["field"] for d in exc.value.details}
    assert fields == {"item", "insured_value_wan", "premium_wan"}
    assert all(d["message"] for d in exc.value.details)


def test_level_not_offered_for_category() -> None:
    with pytest.raises(Invalid) as exc:
        quote(POLICY, item="innovation_center", level="municipal")
    assert exc.value.details[0]["field"] == "level"
    assert "制造业创新中心" in exc.value.details[0]["message"]


def test_premium_without_insured_value() -> None:
    with pytest.raises(Invalid) as exc:
        quote(POLICY, item="equipment", level="municipal", premium_wan=3)
    assert exc.value.details == [
        {"field": "insured_value_wan", "message": "计算保费补贴需要同时填写投保金额和保费，缺少投保金额"}
    ]


def test_insurance_not_offered_for_platforms() -> None:
    with pytest.raises(Invalid) as exc:
        quote(POLICY, item="tech_center", level="municipal", insured_value_wan=10, premium_wan=1)
    assert exc.value.details[0]["field"] == "premium_wan"


def test_shipped_tables_parse_and_are_versioned() -> None:
    policies = load_policies()
    assert policies and len({p.version for p in policies}) == len(policies)
    assert policy_for_year(None) == policies[-1]
    assert all(p.valid_until is not None for p in policies)


def test_incoherent_table_is_rejected() -> None:
    data = json.loads((POLICY_DIR / "jiaxing-2022.json").read_text(encoding="utf-8"))
    bad = copy.deepcopy(data)
    bad["categories"]["equipment"]["awards"]["municipal"]["amount_wan"] = 500
    with pytest.raises(ValueError):
        parse_policy(bad)
    assert parse_policy(data).version == POLICY.version


# --- properties ------------------------------------------------------------------------------


@given(
    item=st.sampled_from(FIRST_OF_KIND),
    level=st.sampled_from(LEVELS),
    already=st.none() | st.sampled_from(LEVELS),
    insured=st.none() | amounts,
    premium=amounts,
)
def test_never_negative_and_total_is_sum_of_lines(
    item: str, level: str, already: str | None, insured: Decimal | None, premium: Decimal
) -> None:
    result = quote(
        POLICY,
        item=item,
        level=level,
        already_awarded_level=already,
        insured_value_wan=insured if item == "equipment" else None,
        premium_wan=premium if insured is not None and item == "equipment" else None,
    )
    assert all(line.amount_wan >= 0 for line in result.lines)
    assert result.total_wan == sum(line.amount_wan for line in result.lines)
    assert all(line.rule and line.explanation for line in result.lines)
    as_json = result.as_dict()
    assert as_json["total_wan"] == pytest.approx(sum(ln["amount_wan"] for ln in as_json["lines"]))


@given(item=st.sampled_from(FIRST_OF_KIND), level=st.sampled_from(LEVELS), already=st.sampled_from(LEVELS))
def test_upgrade_never_pays_more_than_the_higher_award(item: str, level: str, already: str) -> None:
    paid_before = quote(POLICY, item=item, level=already).total_wan
    top_up = quote(POLICY, item=item, level=level, already_awarded_level=already).total_wan
    higher = max(paid_before, quote(POLICY, item=item, level=level).total_wan)
    assert top_up <= higher
    # never both: what the product receives in all equals the higher award
    assert paid_before + top_up == higher


@given(item=st.sampled_from(FIRST_OF_KIND), a=st.sampled_from(LEVELS), b=st.sampled_from(LEVELS))
def test_monotone_in_level(item: str, a: str, b: str) -> None:
    if RANK[a] >= RANK[b]:
        assert quote(POLICY, item=item, level=a).total_wan >= quote(POLICY, item=item, level=b).total_wan


@given(
    insured=amounts,
    premium=amounts,
)
def test_insurance_cap_and_rate_ceiling_hold(insured: Decimal, premium: Decimal) -> None:
    line = quote(POLICY, item="equipment", level="municipal", insured_value_wan=insured, premium_wan=premium).lines[
        1
    ]
    assert Decimal(0) <= line.amount_wan <= 50
    assert line.amount_wan <= premium * Decimal("0.7") + Decimal("0.0001")
    assert line.amount_wan <= insured * Decimal("0.02") * Decimal("0.7") + Decimal("0.0001")


@given(insured=amounts, p1=amounts, p2=amounts)
def test_insurance_monotone_in_premium(insured: Decimal, p1: Decimal, p2: Decimal) -> None:
    lo, hi = sorted([p1, p2])
    a = quote(POLICY, item="equipment", level="municipal", insured_value_wan=insured, premium_wan=lo).lines[1]
    b = quote(POLICY, item="equipment", level="municipal", insured_value_wan=insured, premium_wan=hi).lines[1]
    assert a.amount_wan <= b.amount_wan


@given(
    category=st.sampled_from(sorted(POLICY.categories)),
    data=st.data(),
)
def test_sequence_of_recognitions_pays_the_highest_in_total(category: str, data: st.DataObject) -> None:
    """Any sequence of recognitions of one product, each priced against what was already paid,
    sums to the highest award among them (就高不重复 over time)."""
    levels = sorted(POLICY.categories[category].awards)
    sequence = data.draw(st.lists(st.sampled_from(levels), min_size=1, max_size=6))
    prior: list[PriorAward] = []
    for level in sequence:
        line = recognition_line(POLICY, category, level, prior)
        assert line.amount_wan >= 0
        prior.append(PriorAward(category, level, line.amount_wan))
    total = sum(p.amount_wan for p in prior)
    assert total == max(POLICY.award(category, lv).amount_wan for lv in sequence)
