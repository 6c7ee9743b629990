"""Deal rules: the stage machine, the facts each stage needs, who records, and the need following."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from market import flows
from market.audit.models import AuditEntry
from market.deals import queries, service
from market.deals.models import Deal, DealStageChange
from market.deals.queries import DealFilter
from market.deals.schemas import DealAdvance, MilestoneDoneIn, MilestoneIn
from market.errors import Conflict, IllegalTransition, Invalid, NotFound
from market.needs.models import Need
from market.orgs.models import User
from market.responses.schemas import ResponseCreate
from tests import factories

PROPOSAL = ResponseCreate(approach="基于机器视觉的在线缺陷检测方案，三个月交付样机。", price_wan=80)
TODAY = service.today_local()


@pytest.fixture
def need(session: Session, enterprise_user: User) -> Need:
    return factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="published")


@pytest.fixture
def deal(session: Session, need: Need, enterprise_user: User, provider_user: User) -> Deal:
    r = flows.submit_response(session, provider_user, need.id, PROPOSAL)
    _, deal = flows.select_response(session, enterprise_user, r.id)
    return deal


def _adv(**kw: object) -> DealAdvance:
    return DealAdvance.model_validate(kw)


def test_full_path_to_conversion_moves_the_need(
    session: Session, deal: Deal, need: Need, enterprise_user: User, provider_user: User
) -> None:
    flows.advance_deal(session, provider_user, deal.id, _adv(stage="intent", note="意向协议已签"))
    flows.advance_deal(session, enterprise_user, deal.id, _adv(stage="signed", contract_amount_wan=85.5, signed_on=TODAY))
    assert need.status == "contracted" and deal.contract_amount_wan == 85.5
    flows.advance_deal(session, provider_user, deal.id, _adv(stage="in_progress"))
    flows.advance_deal(session, enterprise_user, deal.id, _adv(stage="accepted", accepted_on=TODAY, outcome="识别准确率 96%"))
    flows.advance_deal(session, enterprise_user, deal.id, _adv(stage="converted", converted_on=TODAY))
    assert deal.stage == "converted" and need.status == "converted"
    stages = [c.to_stage for c in session.scalars(select(DealStageChange).where(DealStageChange.deal_id == deal.id).order_by(DealStageChange.id))]
    assert stages == ["matched", "intent", "signed", "in_progress", "accepted", "converted"]
    assert session.scalar(select(AuditEntry).where(AuditEntry.object_type == "deal", AuditEntry.action == "deal.stage", AuditEntry.object_id == deal.id))
    with pytest.raises(IllegalTransition):
        flows.advance_deal(session, enterprise_user, deal.id, _adv(stage="failed", failure_reason="迟来的失败"))


def test_stages_cannot_be_skipped(session: Session, deal: Deal, enterprise_user: User) -> None:
    with pytest.raises(IllegalTransition):
        flows.advance_deal(session, enterprise_user, deal.id, _adv(stage="signed", contract_amount_wan=10, signed_on=TODAY))


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"stage": "signed"}, {"contract_amount_wan", "signed_on"}),
        ({"stage": "signed", "contract_amount_wan": 10}, {"signed_on"}),
        ({"stage": "signed", "contract_amount_wan": 10, "signed_on": (TODAY + dt.timedelta(days=3)).isoformat()}, {"signed_on"}),
        ({"stage": "signed", "contract_amount_wan": 10, "signed_on": TODAY.isoformat(), "outcome": "x"}, {"outcome"}),
    ],
)
def test_signing_needs_amount_and_date(
    session: Session, deal: Deal, enterprise_user: User, payload: dict[str, object], fields: set[str]
) -> None:
    flows.advance_deal(session, enterprise_user, deal.id, _adv(stage="intent"))
    with pytest.raises(Invalid) as exc:
        flows.advance_deal(session, enterprise_user, deal.id, _adv(**payload))
    assert {d["field"] for d in exc.value.details} == fields
    assert deal.stage == "intent"


def test_acceptance_needs_date_outcome_and_not_before_signing(session: Session, deal: Deal, enterprise_user: User) -> None:
    flows.advance_deal(session, enterprise_user, deal.id, _adv(stage="intent"))
    flows.advance_deal(session, enterprise_user, deal.id, _adv(stage="signed", contract_amount_wan=10, signed_on=TODAY))
    flows.advance_deal(session, enterprise_user, deal.id, _adv(stage="in_progress"))
    with pytest.raises(Invalid):
        flows.advance_deal(session, enterprise_user, deal.id, _adv(stage="accepted", accepted_on=TODAY))
    with pytest.raises(Invalid, match="早于签约"):
        flows.advance_deal(session, enterprise_user, deal.id, _adv(stage="accepted", accepted_on=TODAY - dt.timedelta(days=1), outcome="ok"))


def test_failure_needs_a_reason_and_reopens_the_need(
    session: Session, deal: Deal, need: Need, provider_user: User, enterprise_user: User
) -> None:
    with pytest.raises(Invalid):
        flows.advance_deal(session, provider_user, deal.id, _adv(stage="failed"))
    flows.advance_deal(session, provider_user, deal.id, _adv(stage="failed", failure_reason="双方技术路线未达成一致"))
    assert deal.stage == "failed" and deal.failure_reason == "双方技术路线未达成一致"
    assert need.status == "taken_up"
    with pytest.raises(IllegalTransition):
        flows.advance_deal(session, enterprise_user, deal.id, _adv(stage="intent"))


def test_failure_after_signing_leaves_the_contracted_need(
    session: Session, deal: Deal, need: Need, enterprise_user: User
) -> None:
    flows.advance_deal(session, enterprise_user, deal.id, _adv(stage="intent"))
    flows.advance_deal(session, enterprise_user, deal.id, _adv(stage="signed", contract_amount_wan=10, signed_on=TODAY))
    flows.advance_deal(session, enterprise_user, deal.id, _adv(stage="failed", failure_reason="合同终止"))
    assert need.status == "contracted"


def test_bureau_records_others_do_not_see(
    session: Session, deal: Deal, bureau_user: User, other_enterprise_user: User, other_provider_user: User, expert_user: User
) -> None:
    flows.advance_deal(session, bureau_user, deal.id, _adv(stage="intent", note="科技局代为登记"))
    assert deal.stage == "intent"
    for stranger in (other_enterprise_user, other_provider_user, expert_user):
        with pytest.raises(NotFound):
            service.deal_for_viewer(session, stranger, deal.id)
        with pytest.raises(NotFound):
            flows.advance_deal(session, stranger, deal.id, _adv(stage="signed", contract_amount_wan=1, signed_on=TODAY))


def test_milestones(session: Session, deal: Deal, provider_user: User, other_provider_user: User) -> None:
    m = service.add_milestone(session, provider_user, deal.id, MilestoneIn(title="样机上线", due_on=TODAY))
    with pytest.raises(NotFound):
        service.add_milestone(session, other_provider_user, deal.id, MilestoneIn(title="冒名里程碑"))
    service.complete_milestone(session, provider_user, deal.id, m.id, MilestoneDoneIn(note="按期完成"))
    assert m.done_on == TODAY and m.note == "按期完成"
    with pytest.raises(Conflict):
        service.complete_milestone(session, provider_user, deal.id, m.id, MilestoneDoneIn())
    detail = queries.present_detail(session, deal, provider_user)
    assert [x.title for x in detail.milestones] == ["样机上线"]


def test_listing_is_scoped_and_filtered(
    session: Session, deal: Deal, enterprise_user: User, other_enterprise_user: User, bureau_user: User
) -> None:
    assert queries.list_deals(session, enterprise_user, DealFilter())[1] == 1
    assert queries.list_deals(session, other_enterprise_user, DealFilter())[1] == 0
    assert queries.list_deals(session, bureau_user, DealFilter(county="南湖区", stage="matched", year=TODAY.year))[1] >= 1
    assert deal.id not in [d.id for d in queries.list_deals(session, bureau_user, DealFilter(county="海宁市"))[0]]
    assert deal.id not in [d.id for d in queries.list_deals(session, bureau_user, DealFilter(year=2001))[0]]
    out = queries.present_many(session, [deal])[0]
    assert out.need_title and out.enterprise_name == enterprise_user.org.name and out.stage_label == "对接中"
