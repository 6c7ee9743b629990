"""Recognition lifecycle, who may act, and the stored award."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from market.audit.models import AuditEntry
from market.errors import Forbidden, IllegalTransition, Invalid, NotFound
from market.orgs.models import User
from market.recognitions import queries, service
from market.recognitions.models import RecognitionTransition
from market.recognitions.schemas import (
    RecognitionCreate,
    RecognitionDecision,
    RecognitionRead,
    RecognitionRejection,
    RecognitionReview,
)
from tests import factories
from tests.market.conftest import make_org, make_user


def create_in(**kw: object) -> RecognitionCreate:
    data: dict[str, object] = {
        "product_name": "智能集成灶",
        "category": "equipment",
        "level": "municipal",
        "year": 2022,
    }
    data.update(kw)
    return RecognitionCreate.model_validate(data)


def recognise(session: Session, bureau: User, enterprise: User, **kw: object) -> int:
    rec = service.apply(session, enterprise, create_in(**kw))
    factories.notice_served(session, bureau, rec.id)
    service.recognise(session, bureau, rec.id, RecognitionDecision())
    return rec.id


def test_full_lifecycle_prices_award_and_audits(session: Session, bureau: User, enterprise: User) -> None:
    rec = service.apply(
        session,
        enterprise,
        create_in(
            level="provincial", insured_value_wan=500, premium_wan=12, evidence=[{"title": "认定文件"}]
        ),
    )
    assert rec.status == "applied" and rec.org_id == enterprise.org_id and rec.award_wan is None
    factories.notice_served(session, bureau, rec.id)
    service.recognise(session, bureau, rec.id, RecognitionDecision(notes="同意"))
    assert rec.status == "recognised"
    assert rec.award_wan == 57.0
    assert rec.policy_version == "jiaxing-2022.1"
    assert [ln["kind"] for ln in rec.award_lines] == ["recognition", "insurance"]
    assert (
        "保费补贴 = min(保费 12.0, 投保金额 500.0 × 2%) × 70% = 7.0 万元" == rec.award_lines[1]["explanation"]
    )
    steps = session.scalars(select(RecognitionTransition.to_status).order_by(RecognitionTransition.id)).all()
    assert steps == ["applied", "reviewed", "scored", "on_notice", "recognised"]
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "recognition")).all()
    assert actions == [
        "recognition.applied", "recognition.reviewed",
        "recognition.expert_assigned", "recognition.expert_scored", "recognition.expert_assigned", "recognition.expert_scored",
        "recognition.scored", "recognition.on_notice", "recognition.recognised",
    ]  # fmt: skip
    read = RecognitionRead.of(rec)
    assert (
        read.category_label == "首台（套）装备"
        and read.level_label == "省内"
        and read.status_label == "已认定"
    )


def test_upgrade_pays_only_the_difference(session: Session, bureau: User, enterprise: User) -> None:
    first = recognise(session, bureau, enterprise, level="municipal", year=2022)
    second = recognise(
        session, bureau, enterprise, level="provincial", year=2023, product_name=" 智能集成灶 "
    )
    third = recognise(session, bureau, enterprise, level="municipal", year=2024)
    awards = [service.get_for_view(session, bureau, i).award_wan for i in (first, second, third)]
    assert awards == [20.0, 30.0, 0.0]
    assert (
        "补差额 = 50.0 − 20.0 = 30.0 万元"
        in service.get_for_view(session, bureau, second).award_lines[0]["explanation"]
    )


def test_exclusive_group_across_categories(session: Session, bureau: User, enterprise: User) -> None:
    recognise(session, bureau, enterprise, category="innovation_project", level="provincial", year=2022)
    rid = recognise(session, bureau, enterprise, category="equipment", level="provincial", year=2023)
    assert service.get_for_view(session, bureau, rid).award_wan == 20.0  # 50 − 30
    # a different product of the same firm is priced on its own
    other = recognise(session, bureau, enterprise, product_name="洗碗机", level="provincial")
    assert service.get_for_view(session, bureau, other).award_wan == 50.0


def test_insurance_cap_is_per_set_per_year(session: Session, bureau: User, enterprise: User) -> None:
    a = recognise(session, bureau, enterprise, level="municipal", insured_value_wan=3000, premium_wan=40)
    b = recognise(session, bureau, enterprise, level="provincial", insured_value_wan=3000, premium_wan=40)
    lines_a = service.get_for_view(session, bureau, a).award_lines
    lines_b = service.get_for_view(session, bureau, b).award_lines
    assert lines_a[1]["amount_wan"] == 28.0
    assert lines_b[1]["amount_wan"] == 22.0  # 50 − 28 left this year
    assert "剩余额度" in lines_b[1]["explanation"]


def test_bureau_may_recognise_at_another_level(session: Session, bureau: User, enterprise: User) -> None:
    rec = service.apply(session, enterprise, create_in(level="national"))
    factories.notice_served(session, bureau, rec.id)
    service.recognise(session, bureau, rec.id, RecognitionDecision(level="provincial"))
    assert rec.level == "provincial" and rec.award_wan == 50.0
    with pytest.raises(Invalid) as exc:
        rec2 = service.apply(session, enterprise, create_in(product_name="另一产品"))
        factories.notice_served(session, bureau, rec2.id)
        service.recognise(session, bureau, rec2.id, RecognitionDecision(level="galactic"))
    assert exc.value.details[0]["field"] == "level"


def test_only_bureau_reviews_and_decides(session: Session, bureau: User, enterprise: User) -> None:
    rec = service.apply(session, enterprise, create_in())
    with pytest.raises(Forbidden):
        service.review(session, enterprise, rec.id, RecognitionReview())
    with pytest.raises(Forbidden):
        service.recognise(session, enterprise, rec.id, RecognitionDecision())
    with pytest.raises(Forbidden):
        service.reject(session, enterprise, rec.id, RecognitionRejection(reason="自己驳回"))


def test_cannot_skip_review_or_decide_twice(session: Session, bureau: User, enterprise: User) -> None:
    rec = service.apply(session, enterprise, create_in())
    with pytest.raises(IllegalTransition):
        service.recognise(session, bureau, rec.id, RecognitionDecision())
    service.reject(session, bureau, rec.id, RecognitionRejection(reason="证明材料不足"))
    assert rec.status == "rejected" and rec.reason == "证明材料不足"
    with pytest.raises(IllegalTransition):
        service.review(session, bureau, rec.id, RecognitionReview())


def test_enterprise_applies_only_for_itself(session: Session, bureau: User, enterprise: User) -> None:
    other = make_org(session, "海宁某经编有限公司", county="海宁市", industry="经编")
    with pytest.raises(Forbidden):
        service.apply(session, enterprise, create_in(org_id=other.id))
    rec = service.apply(session, bureau, create_in(org_id=other.id))
    assert rec.org_id == other.id
    with pytest.raises(Invalid) as exc:
        service.apply(session, bureau, create_in())
    assert exc.value.details[0]["field"] == "org_id"
    # bureau users without a staff role cannot register for others
    plain = make_user(session, bureau.org, ["member"])
    with pytest.raises(Forbidden):
        service.apply(session, plain, create_in(org_id=other.id))


def test_other_org_cannot_see_application(session: Session, bureau: User, enterprise: User) -> None:
    rec = service.apply(session, enterprise, create_in())
    stranger = make_user(session, make_org(session, "桐乡某化纤有限公司", county="桐乡市"))
    with pytest.raises(NotFound):
        service.get_for_view(session, stranger, rec.id)
    assert queries.list_for(session, stranger)[1] == 0
    assert queries.list_for(session, enterprise)[1] == 1
    assert queries.list_for(session, bureau, status="applied")[1] == 1


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"category": "spaceship"}, "category"),
        ({"category": "innovation_center", "level": "municipal"}, "level"),
        ({"insured_value_wan": 100}, "premium_wan"),
        ({"category": "tech_center", "insured_value_wan": 100, "premium_wan": 1}, "premium_wan"),
        ({"need_id": 999}, "need_id"),
        ({"deal_id": 999}, "deal_id"),
    ],
)
def test_invalid_applications_name_the_field(
    session: Session, enterprise: User, kw: dict[str, object], field: str
) -> None:
    with pytest.raises(Invalid) as exc:
        service.apply(session, enterprise, create_in(**kw))
    assert exc.value.details[0]["field"] == field
