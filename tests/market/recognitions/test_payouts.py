"""Recognitions the whole way: each step told to the enterprise, payouts (paid vs still due), the
product identity that survives renaming, the public list of recognised products."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from market.errors import Forbidden, IllegalTransition, Invalid
from market.notifications.models import Notification
from market.orgs.models import User
from market.recognitions import queries, service
from market.recognitions.schemas import (
    PayoutIn,
    RecognitionCreate,
    RecognitionDecision,
    RecognitionRead,
    RecognitionRejection,
)
from tests import factories


def _apply(session: Session, enterprise: User, **kw: object) -> int:
    data: dict[str, object] = {"product_name": "智能集成灶", "category": "equipment", "level": "municipal", "year": 2024}
    data.update(kw)
    return service.apply(session, enterprise, RecognitionCreate.model_validate(data)).id


def _recognise(session: Session, bureau: User, rec_id: int, level: str | None = None) -> None:
    factories.notice_served(session, bureau, rec_id)
    service.recognise(session, bureau, rec_id, RecognitionDecision(level=level))


def _kinds(session: Session, user: User) -> list[str]:
    return list(session.scalars(select(Notification.kind).where(Notification.user_id == user.id).order_by(Notification.id)))


def test_payouts_show_paid_and_due_and_every_step_is_told(session: Session, bureau: User, enterprise: User) -> None:
    rec_id = _apply(session, enterprise, level="provincial")
    with pytest.raises(IllegalTransition):
        service.record_payout(session, bureau, rec_id, PayoutIn(amount_wan=10, paid_on=dt.date(2026, 6, 1), payment_batch="第一批"))
    _recognise(session, bureau, rec_id)
    with pytest.raises(Forbidden):
        service.record_payout(session, enterprise, rec_id, PayoutIn(amount_wan=10, paid_on=dt.date(2026, 6, 1), payment_batch="第一批"))
    service.record_payout(session, bureau, rec_id, PayoutIn(amount_wan=30, paid_on=dt.date(2026, 6, 1), payment_batch="2026 年第一批奖补资金"))
    with pytest.raises(Invalid) as too_much:
        service.record_payout(session, bureau, rec_id, PayoutIn(amount_wan=25, paid_on=dt.date(2026, 9, 1), payment_batch="第二批"))
    assert too_much.value.details[0]["field"] == "amount_wan" and "20 万元" in too_much.value.message
    rec = service.get_for_view(session, bureau, rec_id)
    view = RecognitionRead.of(rec, None, service.payouts_of(session, rec_id))
    assert (view.award_wan, view.paid_wan, view.due_wan) == (50, 30, 20)
    assert view.payouts[0].payment_batch == "2026 年第一批奖补资金"
    service.record_payout(session, bureau, rec_id, PayoutIn(amount_wan=20, paid_on=dt.date(2026, 9, 1), payment_batch="第二批"))
    with pytest.raises(IllegalTransition, match="已全部兑现"):
        service.record_payout(session, bureau, rec_id, PayoutIn(amount_wan=1, paid_on=dt.date(2026, 9, 2), payment_batch="第三批"))
    assert _kinds(session, enterprise) == [
        "recognition.reviewed", "recognition.expert_review", "recognition.scored", "recognition.on_notice",
        "recognition.recognised", "recognition.paid", "recognition.paid",
    ]  # fmt: skip
    other = _apply(session, enterprise, product_name="另一款产品")
    service.reject(session, bureau, other, RecognitionRejection(reason="证明材料不足"))
    assert _kinds(session, enterprise)[-1] == "recognition.rejected"


def test_renaming_a_product_with_the_same_code_does_not_escape_the_highest_award(
    session: Session, bureau: User, enterprise: User
) -> None:
    first = _apply(session, enterprise, product_name="智能集成灶", product_code="jd-200 a")
    _recognise(session, bureau, first)
    renamed = _apply(session, enterprise, product_name="智能集成灶 Pro（更名）", product_code="JD-200A", level="provincial")
    _recognise(session, bureau, renamed)
    rec = service.get_for_view(session, bureau, renamed)
    assert rec.product_code == "JD-200A"
    assert rec.award_wan == 30  # 50 less the 20 already paid to the same product
    new_product = _apply(session, enterprise, product_name="智能集成灶 Pro（更名）2", product_code="JD-300", level="provincial")
    _recognise(session, bureau, new_product)
    assert service.get_for_view(session, bureau, new_product).award_wan == 50


def test_public_list_of_recognised_products_filters(session: Session, bureau: User, enterprise: User) -> None:
    a = _apply(session, enterprise, product_name="绿色设计产品甲", category="green_design", level="national", year=2024)
    b = _apply(session, enterprise, product_name="首台装备乙", year=2025)
    _apply(session, enterprise, product_name="未认定的产品", year=2025)
    _recognise(session, bureau, a)
    _recognise(session, bureau, b)
    rows, total = queries.recognised_public(session)
    assert total == 2 and {r.product_name for r in rows} == {"绿色设计产品甲", "首台装备乙"}
    rows, _ = queries.recognised_public(session, year=2024, level="national")
    assert [r.category_label for r in rows] == ["绿色设计产品"]
    county = enterprise.org.county
    assert queries.recognised_public(session, county=county)[1] == 2
    assert queries.recognised_public(session, county="不存在的县")[1] == 0
    assert queries.recognised_public(session, industry=enterprise.org.industry)[1] == 2
