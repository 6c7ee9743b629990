"""POST /api/v1/awards/quote: no login, nothing stored, rule and arithmetic on every line."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market.audit.models import AuditEntry
from market.recognitions.models import Recognition


def test_quote_without_login_stores_nothing(client: TestClient, session: Session) -> None:
    before = (
        session.scalar(select(func.count(Recognition.id))),
        session.scalar(select(func.count(AuditEntry.id))),
    )
    r = client.post(
        "/api/v1/awards/quote",
        json={
            "item": "equipment",
            "level": "provincial",
            "already_awarded_level": "municipal",
            "insured_value_wan": 500,
            "premium_wan": 12,
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total_wan"] == 37.0
    assert [ln["amount_wan"] for ln in body["lines"]] == [30.0, 7.0]
    assert (
        body["lines"][1]["explanation"] == "保费补贴 = min(保费 12.0, 投保金额 500.0 × 2%) × 70% = 7.0 万元"
    )
    assert all(ln["rule"] for ln in body["lines"])
    after = (
        session.scalar(select(func.count(Recognition.id))),
        session.scalar(select(func.count(AuditEntry.id))),
    )
    assert before == after


def test_quote_nulls_mean_no_prior_award_and_no_insurance(client: TestClient) -> None:
    r = client.post(
        "/api/v1/awards/quote",
        json={
            "item": "software",
            "level": "international",
            "already_awarded_level": None,
            "insured_value_wan": None,
            "premium_wan": None,
        },
    )
    assert r.status_code == 200
    assert r.json()["total_wan"] == 200.0 and len(r.json()["lines"]) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"item": "rocket", "level": "national"}, "item"),
        ({"item": "equipment", "level": "galactic"}, "level"),
        (
            {"item": "equipment", "level": "national", "already_awarded_level": "county"},
            "already_awarded_level",
        ),
        (
            {"item": "equipment", "level": "national", "insured_value_wan": -1, "premium_wan": 1},
            "insured_value_wan",
        ),
        ({"item": "equipment", "level": "national", "premium_wan": 3}, "insured_value_wan"),
        (
            {"item": "equipment", "level": "national", "insured_value_wan": 100, "premium_wan": "许多"},
            "premium_wan",
        ),
        ({"level": "national"}, "item"),
    ],
)
def test_invalid_quote_says_which_field_and_why(
    client: TestClient, body: dict[str, object], field: str
) -> None:
    r = client.post("/api/v1/awards/quote", json=body)
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "invalid"
    assert err["message"]
    assert field in {d["field"] for d in err["details"]}
    assert all(d["message"] for d in err["details"])


def test_policy_table_is_published(client: TestClient) -> None:
    versions = client.get("/api/v1/awards/policies").json()
    assert versions and versions[0]["version"] == "jiaxing-2022.1"
    table = client.get("/api/v1/awards/policy", params={"year": 2024}).json()
    assert table["categories"]["equipment"]["awards"]["international"]["amount_wan"] == 200
    assert table["insurance"]["cap_wan_per_set_per_year"] == "50"
    assert versions[0]["valid_until"] == "2025-12-31"


# Seed: "本政策自发布之日起施行，有效期至 2025 年 12 月 31 日" — a quote for a later year is not
# silently priced under the 2022 rules.
def test_quote_outside_the_policy_period_says_no_version_applies(client: TestClient) -> None:
    r = client.post("/api/v1/awards/quote", json={"item": "equipment", "level": "municipal", "year": 2026})
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "policy_not_in_force"
    assert err["details"][0]["field"] == "year"
    assert "2026 年不在任何已发布政策版本的有效期内" in err["message"]
    assert "jiaxing-2022.1" in err["message"]
    assert client.get("/api/v1/awards/policy", params={"year": 2026}).status_code == 422
    ok = client.post("/api/v1/awards/quote", json={"item": "equipment", "level": "municipal", "year": 2025})
    assert ok.status_code == 200 and ok.json()["policy_version"] == "jiaxing-2022.1"


# Seed §三: the premium subsidy is for 首台（套）装备 only.
def test_quote_refuses_premium_subsidy_for_materials_and_software(client: TestClient) -> None:
    for item in ("material", "software"):
        r = client.post(
            "/api/v1/awards/quote",
            json={"item": item, "level": "municipal", "insured_value_wan": 500, "premium_wan": 12},
        )
        assert r.status_code == 422, r.text
        assert {d["field"] for d in r.json()["error"]["details"]} == {"premium_wan"}


LEVELS = ["international", "national", "provincial", "municipal"]


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    item=st.sampled_from(["equipment", "material", "software"]),
    level=st.sampled_from(LEVELS),
    already=st.none() | st.sampled_from(LEVELS),
    insured=st.none() | st.integers(min_value=0, max_value=10**6),
    premium=st.integers(min_value=0, max_value=10**5),
)
def test_quote_api_total_is_sum_of_lines_and_never_negative(
    client: TestClient, item: str, level: str, already: str | None, insured: int | None, premium: int
) -> None:
    body = {
        "item": item,
        "level": level,
        "already_awarded_level": already,
        "insured_value_wan": insured if item == "equipment" else None,
        "premium_wan": premium if insured is not None and item == "equipment" else None,
    }
    r = client.post("/api/v1/awards/quote", json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["total_wan"] == pytest.approx(sum(ln["amount_wan"] for ln in out["lines"]))
    assert all(ln["amount_wan"] >= 0 for ln in out["lines"])
    assert out["total_wan"] <= 200 + 50
