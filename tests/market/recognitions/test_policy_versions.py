"""The policy as written, in the service: validity, the bureau's own policy versions (data,
reviewed by a second person), the per-enterprise cap of 绿色设计产品."""

from __future__ import annotations

import copy
import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from market.audit.models import AuditEntry
from market.errors import Conflict, Forbidden, Invalid
from market.orgs.models import Role, User
from market.recognitions import policy_versions, service
from market.recognitions.policy import POLICY_DIR, PolicyNotInForce
from market.recognitions.schemas import (
    AwardQuoteIn,
    RecognitionCreate,
    RecognitionDecision,
)
from tests import factories
from tests.market.conftest import make_user


def table(**overrides: object) -> dict[str, object]:
    data = json.loads((POLICY_DIR / "jiaxing-2022.json").read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    data.update(overrides)
    return data


def second_staff(session: Session, bureau: User) -> User:
    return make_user(session, bureau.org, roles=[Role.bureau_admin.value, Role.bureau_reviewer.value])


def apply_in(**kw: object) -> RecognitionCreate:
    data: dict[str, object] = {"product_name": "智能集成灶", "category": "equipment", "level": "municipal", "year": 2024}
    data.update(kw)
    return RecognitionCreate.model_validate(data)


def test_application_outside_every_policy_period_says_none_applies(
    session: Session, enterprise: User
) -> None:
    with pytest.raises(PolicyNotInForce) as exc:
        service.apply(session, enterprise, apply_in(year=2026))
    assert exc.value.details[0]["field"] == "year"
    assert "有效期 2022-01-01 至 2025-12-31" in exc.value.message


def test_bureau_publishes_a_new_version_without_a_code_change(
    session: Session, bureau: User, enterprise: User
) -> None:
    data = table(version="jiaxing-2026.1", title="嘉兴市首台（套）奖励政策（2026 年版）",
                 effective_from="2026-01-01", valid_until="2028-12-31")  # fmt: skip
    data["categories"]["equipment"]["awards"]["municipal"]["amount_wan"] = 25  # type: ignore[index]
    draft = policy_versions.draft(session, bureau, data)
    # A draft prices nothing yet.
    with pytest.raises(PolicyNotInForce):
        service.quote_case(session, AwardQuoteIn(item="equipment", level="municipal", year=2026))
    # Reviewed by a second person: the drafter cannot publish their own draft.
    with pytest.raises(Forbidden):
        policy_versions.publish(session, bureau, draft.id)
    with pytest.raises(Forbidden):
        policy_versions.publish(session, enterprise, draft.id)
    reviewer = second_staff(session, bureau)
    policy_versions.publish(session, reviewer, draft.id, "已核对原文")
    with pytest.raises(Conflict):
        policy_versions.publish(session, reviewer, draft.id)
    quote = service.quote_case(session, AwardQuoteIn(item="equipment", level="municipal", year=2026))
    assert quote.policy_version == "jiaxing-2026.1" and quote.total_wan == 25
    assert service.quote_case(session, AwardQuoteIn(item="equipment", level="municipal", year=2025)).total_wan == 20
    rec = service.apply(session, enterprise, apply_in(year=2026))
    factories.notice_served(session, bureau, rec.id)
    service.recognise(session, bureau, rec.id, RecognitionDecision())
    assert rec.policy_version == "jiaxing-2026.1" and rec.award_wan == 25
    assert service.stored_policy(session, rec).version == "jiaxing-2026.1"
    listed = {v["version"]: v for v in policy_versions.listing(session)}
    assert listed["jiaxing-2026.1"]["status"] == "published"
    assert listed["jiaxing-2026.1"]["valid_until"] == "2028-12-31"
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.object_type == "policy_version", AuditEntry.object_id == draft.id)
    ).all()
    assert list(actions) == ["policy_version.drafted", "policy_version.published"]


def test_a_bad_or_duplicate_table_is_refused(session: Session, bureau: User) -> None:
    with pytest.raises(Conflict):
        policy_versions.draft(session, bureau, table())  # the shipped version number
    bad = table(version="x-1")
    bad["categories"]["equipment"]["awards"]["municipal"]["amount_wan"] = 900  # type: ignore[index]
    with pytest.raises(Invalid) as exc:
        policy_versions.draft(session, bureau, bad)
    assert exc.value.details[0]["field"] == "data"
    with pytest.raises(Invalid):
        policy_versions.draft(session, bureau, {"version": "x-2"})
    with pytest.raises(Invalid):
        policy_versions.draft(session, bureau, table(version="x-3", effective_from="2026-01-01", valid_until="2025-01-01"))


# Seed §三: 国家级绿色设计产品 "每个产品奖励 20 万元，每家企业最高不超过 100 万元".
def test_green_design_products_pay_twenty_each_up_to_one_hundred_per_enterprise(
    session: Session, bureau: User, enterprise: User
) -> None:
    awards = []
    for n in range(6):
        rec = service.apply(
            session,
            enterprise,
            apply_in(product_name=f"绿色设计产品{n}", category="green_design", level="national", year=2024),
        )
        factories.notice_served(session, bureau, rec.id)
        service.recognise(session, bureau, rec.id, RecognitionDecision())
        awards.append(rec.award_wan)
    assert awards == [20, 20, 20, 20, 20, 0]
