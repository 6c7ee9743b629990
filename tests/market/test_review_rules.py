"""Expert review before approval: at least two experts must have scored (an office setting), and
recusal covers the expert's own organisation and every organisation they declared a conflict with."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from market import flows
from market.errors import Conflict, Forbidden, IllegalTransition
from market.needs import service as needs
from market.needs.models import ExpertAssignment
from market.needs.schemas import ScoresIn
from market.office import service as office
from market.orgs import service as orgs
from market.orgs.models import Role, User
from market.responses import service as responses
from market.responses.exceptions import ExpertRecused
from market.responses.schemas import ResponseCreate, ResponseScoresIn
from tests import factories

SCORES = {"industry_impact": 80, "research_basis": 70, "technical_indicators": 90, "financial_indicators": 60}


def _expert(session: Session) -> User:
    org = factories.create_org(session, kind="university", industry=None)
    return factories.create_user(session, org, roles=[Role.member.value, Role.expert.value])


def test_two_experts_must_have_scored_before_approval(session: Session, bureau_user: User, enterprise_user: User) -> None:
    need = factories.create_need(session, org=enterprise_user.org, status="submitted")
    with pytest.raises(IllegalTransition, match="须至少 2 位专家完成评分"):
        needs.approve(session, bureau_user, need.id)
    first, second = _expert(session), _expert(session)
    for expert in (first, second):
        needs.assign_expert(session, bureau_user, need.id, expert.id)
    needs.submit_scores(session, first, need.id, ScoresIn(scores=SCORES))
    with pytest.raises(IllegalTransition, match="还有 1 位专家未完成评分"):
        needs.approve(session, bureau_user, need.id)
    needs.submit_scores(session, second, need.id, ScoresIn(scores=SCORES))
    assert needs.approve(session, bureau_user, need.id).status == "approved"


def test_the_bureau_sets_how_many_experts_must_score(session: Session, bureau_user: User, enterprise_user: User) -> None:
    office.set_value(session, bureau_user, office.MIN_EXPERT_SCORES, 3)
    need = factories.create_need(session, org=enterprise_user.org, status="submitted")
    factories.scored_by_experts(session, need, 2)
    with pytest.raises(IllegalTransition, match="须至少 3 位专家完成评分后才能通过审核（目前 2 位）"):
        needs.approve(session, bureau_user, need.id)
    office.set_value(session, bureau_user, office.MIN_EXPERT_SCORES, 2)
    assert needs.approve(session, bureau_user, need.id).status == "approved"
    with pytest.raises(Forbidden):
        office.set_value(session, enterprise_user, office.MIN_EXPERT_SCORES, 0)


def test_recusal_covers_declared_conflicts(
    session: Session, bureau_user: User, enterprise_user: User, provider_user: User
) -> None:
    expert = _expert(session)
    need = factories.create_need(session, org=enterprise_user.org, status="submitted")
    orgs.declare_conflict(session, expert, enterprise_user.org_id, "曾任该企业技术顾问")
    assert [c.org_id for c in orgs.list_conflicts(session, expert)] == [enterprise_user.org_id]
    with pytest.raises(Conflict, match="利益冲突") as exc:
        needs.assign_expert(session, bureau_user, need.id, expert.id)
    assert exc.value.code == "expert_recused"
    with pytest.raises(Forbidden):
        orgs.declare_conflict(session, provider_user, enterprise_user.org_id)
    # A proposal from an organisation the expert declared a conflict with cannot be scored.
    published = factories.create_need(session, org=enterprise_user.org, status="published")
    other_expert = _expert(session)
    session.add(ExpertAssignment(need_id=published.id, expert_id=other_expert.id, assigned_by=bureau_user.id))
    session.flush()
    response = flows.submit_response(session, provider_user, published.id, ResponseCreate(approach="声发射与电流融合识别模具磨损，边缘端部署"))  # type: ignore[call-arg]
    orgs.declare_conflict(session, other_expert, provider_user.org_id, "近三年合作发表论文")
    with pytest.raises(ExpertRecused):
        responses.submit_scores(session, other_expert, response.id, ResponseScoresIn(scores=SCORES))
