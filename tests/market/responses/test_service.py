"""Response rules: who may respond, once per need, the review decisions and what they move."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from market import flows, views
from market.audit.models import AuditEntry
from market.deals.models import Deal, DealStageChange
from market.errors import Conflict, Forbidden, IllegalTransition, Invalid, NotFound
from market.needs.models import ExpertAssignment, Need, NeedAccessGrant
from market.notifications.models import Notification
from market.orgs.models import User
from market.responses import queries, service
from market.responses.models import Response
from market.responses.schemas import ResponseCreate, ResponseReviewView, ResponseScoresIn
from tests import factories

PROPOSAL = ResponseCreate(
    approach="声发射与主电机电流信号融合识别模具磨损，边缘端实时推理并接入 MES。",
    team="教授 1 名、博士 3 名",
    track_record="3 个冲压在线监测项目",
    timeline="3 个月样机，6 个月验收",
    price_wan=90,
)
SCORES = {"industry_impact": 80, "research_basis": 70, "technical_indicators": 90, "financial_indicators": 60}


@pytest.fixture
def need(session: Session, enterprise_user: User) -> Need:
    return factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="published")


def _notes(session: Session, user: User) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)))


def test_first_response_takes_up_the_need_and_tells_the_enterprise(
    session: Session, need: Need, provider_user: User, other_provider_user: User, enterprise_user: User
) -> None:
    r = flows.submit_response(session, provider_user, need.id, PROPOSAL)
    assert r.status == "submitted" and r.org_id == provider_user.org_id
    assert need.status == "taken_up"
    assert any(n.kind == "response.submitted" for n in _notes(session, enterprise_user))
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "response.submitted", AuditEntry.object_id == r.id))
    flows.submit_response(session, other_provider_user, need.id, PROPOSAL)
    assert need.status == "taken_up"


def test_one_response_per_organisation_per_need(session: Session, need: Need, provider_user: User) -> None:
    flows.submit_response(session, provider_user, need.id, PROPOSAL)
    colleague = factories.create_user(session, provider_user.org)
    with pytest.raises(Conflict) as exc:
        flows.submit_response(session, colleague, need.id, PROPOSAL)
    assert exc.value.code == "duplicate_response"


@pytest.mark.parametrize("status", ["draft", "submitted", "approved", "selected", "contracted", "withdrawn", "expired"])
def test_only_needs_open_for_responses_accept_them(session: Session, enterprise_user: User, provider_user: User, status: str) -> None:
    need = factories.create_need(session, org=enterprise_user.org, status=status)
    with pytest.raises((Conflict, NotFound)):
        flows.submit_response(session, provider_user, need.id, PROPOSAL)


def test_past_deadline_is_refused(session: Session, need: Need, provider_user: User) -> None:
    need.deadline = dt.date(2020, 1, 1)
    with pytest.raises(Conflict, match="截止日期"):
        flows.submit_response(session, provider_user, need.id, PROPOSAL)


def test_enterprises_and_unverified_providers_cannot_respond(
    session: Session, need: Need, other_enterprise_user: User
) -> None:
    with pytest.raises(Forbidden):
        flows.submit_response(session, other_enterprise_user, need.id, PROPOSAL)
    pending = factories.create_user(session, factories.create_org(session, kind="provider", verified=False, industry=None))
    with pytest.raises(Forbidden, match="认证"):
        flows.submit_response(session, pending, need.id, PROPOSAL)


def test_nda_and_invite_needs_require_the_details_first(
    session: Session, enterprise_user: User, provider_user: User
) -> None:
    nda = factories.create_need(session, org=enterprise_user.org, status="published", disclosure="nda")
    with pytest.raises(Forbidden, match="保密承诺"):
        flows.submit_response(session, provider_user, nda.id, PROPOSAL)
    session.add(NeedAccessGrant(need_id=nda.id, org_id=provider_user.org_id, kind="nda_accepted", user_id=provider_user.id))
    session.flush()
    assert flows.submit_response(session, provider_user, nda.id, PROPOSAL).status == "submitted"


def test_team_response_checks_partners_and_partners_can_read_it(
    session: Session, need: Need, provider_user: User, other_provider_user: User, enterprise_user: User
) -> None:
    bad = PROPOSAL.model_copy(update={"partner_org_ids": [enterprise_user.org_id]})
    with pytest.raises(Invalid):
        flows.submit_response(session, provider_user, need.id, bad)
    with pytest.raises(Invalid):
        flows.submit_response(session, provider_user, need.id, PROPOSAL.model_copy(update={"partner_org_ids": [provider_user.org_id]}))
    team = PROPOSAL.model_copy(update={"partner_org_ids": [other_provider_user.org_id]})
    r = flows.submit_response(session, provider_user, need.id, team)
    rows, total = queries.list_mine(session, other_provider_user)
    assert total == 1 and rows[0].id == r.id
    view = queries.present(session, other_provider_user, r)
    assert [p.id for p in view.partners] == [other_provider_user.org_id]
    # A partner reads but does not act for the lead.
    with pytest.raises(Forbidden):
        service.withdraw(session, other_provider_user, r.id)


def test_decline_needs_a_structured_reason_and_tells_the_provider(
    session: Session, need: Need, provider_user: User, enterprise_user: User
) -> None:
    r = flows.submit_response(session, provider_user, need.id, PROPOSAL)
    with pytest.raises(Invalid):
        service.decline(session, enterprise_user, r.id, "nonsense", "原因")
    with pytest.raises(Invalid):
        service.decline(session, enterprise_user, r.id, "budget_mismatch", "  ")
    service.decline(session, enterprise_user, r.id, "budget_mismatch", "报价超出预算上限")
    assert r.status == "declined" and r.reason_code == "budget_mismatch"
    note = [n for n in _notes(session, provider_user) if n.kind == "response.declined"][0]
    assert "报价超出预算" in note.body and "报价超出预算上限" in note.body
    view = queries.present(session, provider_user, r)
    assert view.reason_label == "报价超出预算" and not isinstance(view, ResponseReviewView)
    with pytest.raises(IllegalTransition):
        service.shortlist(session, enterprise_user, r.id)


def test_only_the_need_owner_decides(
    session: Session, need: Need, provider_user: User, bureau_user: User
) -> None:
    r = flows.submit_response(session, provider_user, need.id, PROPOSAL)
    for actor in (provider_user, bureau_user):
        with pytest.raises(Forbidden):
            service.shortlist(session, actor, r.id)
        with pytest.raises(Forbidden):
            flows.select_response(session, actor, r.id)


def test_strangers_do_not_see_a_response(
    session: Session, need: Need, provider_user: User, other_provider_user: User, other_enterprise_user: User, expert_user: User
) -> None:
    r = flows.submit_response(session, provider_user, need.id, PROPOSAL)
    for stranger in (other_provider_user, other_enterprise_user, expert_user):
        with pytest.raises(NotFound):
            service.response_for_viewer(session, stranger, r.id)
        with pytest.raises(NotFound):
            service.decline(session, stranger, r.id, "other", "无")


def test_select_opens_a_deal_and_moves_the_need(
    session: Session, need: Need, provider_user: User, other_provider_user: User, enterprise_user: User
) -> None:
    r1 = flows.submit_response(session, provider_user, need.id, PROPOSAL)
    r2 = flows.submit_response(session, other_provider_user, need.id, PROPOSAL)
    service.shortlist(session, enterprise_user, r1.id, "进入答辩")
    assert r1.status == "shortlisted"
    assert any(n.kind == "response.shortlisted" for n in _notes(session, provider_user))
    response, deal = flows.select_response(session, enterprise_user, r1.id)
    assert response.status == "selected" and need.status == "selected"
    assert deal.stage == "matched" and deal.enterprise_org_id == need.org_id and deal.provider_org_id == provider_user.org_id
    assert session.scalar(select(DealStageChange).where(DealStageChange.deal_id == deal.id)).to_stage == "matched"
    assert any(n.kind == "response.selected" for n in _notes(session, provider_user))
    # One partner at a time.
    with pytest.raises(Conflict):
        flows.select_response(session, enterprise_user, r2.id)
    assert views.response_view(session, provider_user, response).deal_id == deal.id


def test_withdraw_own_response_while_under_review(
    session: Session, need: Need, provider_user: User, enterprise_user: User
) -> None:
    r = flows.submit_response(session, provider_user, need.id, PROPOSAL)
    with pytest.raises(Forbidden):
        service.withdraw(session, enterprise_user, r.id)
    service.withdraw(session, provider_user, r.id, "团队调整")
    assert r.status == "withdrawn"
    assert any(n.kind == "response.withdrawn" for n in _notes(session, enterprise_user))
    with pytest.raises(IllegalTransition):
        service.withdraw(session, provider_user, r.id)
    with pytest.raises(IllegalTransition):
        flows.select_response(session, enterprise_user, r.id)


def test_assigned_experts_score_and_reviewers_see_averages(
    session: Session, need: Need, provider_user: User, enterprise_user: User, expert_user: User, bureau_user: User
) -> None:
    r = flows.submit_response(session, provider_user, need.id, PROPOSAL)
    with pytest.raises(NotFound):
        service.submit_scores(session, expert_user, r.id, ResponseScoresIn(scores=SCORES))
    session.add(ExpertAssignment(need_id=need.id, expert_id=expert_user.id, assigned_by=bureau_user.id))
    session.flush()
    service.submit_scores(session, expert_user, r.id, ResponseScoresIn(scores=SCORES, comment="方案可行"))
    service.submit_scores(session, expert_user, r.id, ResponseScoresIn(scores={**SCORES, "financial_indicators": 80}))
    view = queries.present(session, enterprise_user, r)
    assert isinstance(view, ResponseReviewView)
    assert len(view.scores) == 1 and view.average_scores["financial_indicators"] == 80
    assert view.average_total == 80.0
    assert not isinstance(queries.present(session, provider_user, r), ResponseReviewView)
    with pytest.raises(Forbidden):
        service.submit_scores(session, enterprise_user, r.id, ResponseScoresIn(scores=SCORES))


def test_expert_from_the_responding_org_is_recused(
    session: Session, need: Need, provider_user: User, bureau_user: User
) -> None:
    r = flows.submit_response(session, provider_user, need.id, PROPOSAL)
    expert = factories.create_user(session, provider_user.org, roles=["member", "expert"])
    session.add(ExpertAssignment(need_id=need.id, expert_id=expert.id, assigned_by=bureau_user.id))
    session.flush()
    with pytest.raises(Conflict) as exc:
        service.submit_scores(session, expert, r.id, ResponseScoresIn(scores=SCORES))
    assert exc.value.code == "expert_recused"


def test_scores_must_cover_every_criterion() -> None:
    with pytest.raises(ValueError):
        ResponseScoresIn(scores={"industry_impact": 80})
    with pytest.raises(ValueError):
        ResponseScoresIn(scores={**SCORES, "industry_impact": 101})


def test_no_deal_without_selection(session: Session, need: Need, provider_user: User) -> None:
    flows.submit_response(session, provider_user, need.id, PROPOSAL)
    assert session.scalar(select(Deal.id).where(Deal.need_id == need.id)) is None
    assert session.scalar(select(Response.id).where(Response.need_id == need.id))
