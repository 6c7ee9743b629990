"""What a viewer may do is answered once: for every state of every state machine and every role,
each action that ``need_actions`` / ``response_actions`` / ``deal_actions`` / ``batch_actions`` /
``recognition_actions`` reports as allowed is accepted by its service, and each one it refuses is
refused by the service with the same kind of error. (That the pages offer exactly these answers is
tests/web/pages/test_actions_shown.py.)"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session

from market import flows
from market.actions import Action
from market.batches import access as batch_access
from market.batches import service as batches
from market.batches.models import Batch
from market.batches.states import BatchStatus
from market.db import CST
from market.deals import access as deal_access
from market.deals import service as deals
from market.deals.models import Deal
from market.deals.schemas import DealAdvance, MilestoneIn
from market.deals.states import ORDER, DealStage
from market.errors import DomainError, NotFound
from market.needs import access as need_access
from market.needs import service as needs
from market.needs.models import ExpertAssignment, Need, NeedRevision
from market.needs.schemas import CommentIn, NeedUpdate, ScoresIn
from market.needs.states import NeedStatus
from market.orgs import security
from market.orgs.models import Role, User
from market.recognitions import access as rec_access
from market.recognitions import service as recognitions
from market.recognitions.models import Recognition, RecognitionExpertReview
from market.recognitions.schemas import (
    ExpertScoreIn,
    NoticeIn,
    ObjectionIn,
    RecognitionCreate,
    RecognitionDecision,
    RecognitionRejection,
    RecognitionReview,
)
from market.recognitions.states import RecognitionStatus
from market.responses import access as response_access
from market.responses import service as responses
from market.responses.models import Response
from market.responses.schemas import ResponseCreate, ResponseScoresIn
from tests import factories

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PROPOSAL = {"approach": "基于声发射与电流信号融合的模具磨损在线识别方案。", "price_wan": 60}
SCORES = {"industry_impact": 80, "research_basis": 70, "technical_indicators": 90, "financial_indicators": 60}
TODAY = dt.datetime.now(CST).date()

_real_hash = security.hash_password
_cached: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every case creates its people afresh and nobody signs in: hash the password once."""
    monkeypatch.setattr(security, "hash_password", lambda p: _cached.get(p) or _cached.setdefault(p, _real_hash(p)))


@dataclass
class People:
    owner: User
    other_enterprise: User
    provider: User
    partner: User
    unverified_provider: User
    bureau: User
    expert: User
    recused_expert: User

    def signed_in(self) -> dict[str, User]:
        return {
            "owner": self.owner,
            "other_enterprise": self.other_enterprise,
            "provider": self.provider,
            "partner": self.partner,
            "unverified_provider": self.unverified_provider,
            "bureau": self.bureau,
            "expert": self.expert,
            "recused_expert": self.recused_expert,
        }


@pytest.fixture
def people(session: Session) -> People:
    owner_org = factories.create_org(session, kind="enterprise")
    provider_org = factories.create_org(session, kind="university", industry=None)
    bureau_org = factories.create_org(session, kind="bureau", industry=None)
    return People(
        owner=factories.create_user(session, owner_org),
        other_enterprise=factories.create_user(session, factories.create_org(session, kind="enterprise", county="海宁市")),
        provider=factories.create_user(session, provider_org),
        partner=factories.create_user(session, factories.create_org(session, kind="provider", industry=None)),
        unverified_provider=factories.create_user(
            session, factories.create_org(session, kind="provider", verified=False, industry=None)
        ),
        bureau=factories.create_user(session, bureau_org, roles=[Role.bureau_admin.value, Role.bureau_reviewer.value]),
        expert=factories.create_user(
            session, factories.create_org(session, kind="institute", industry=None), roles=[Role.member.value, Role.expert.value]
        ),
        # A member of the responding university who is also an expert: recused from its proposals.
        recused_expert=factories.create_user(session, provider_org, roles=[Role.member.value, Role.expert.value]),
    )


def attempt(session: Session, call: Callable[..., Any], *args: Any) -> DomainError | None:
    """Run one service call in a savepoint that is always rolled back: the domain error it raised,
    or None when the service accepted."""
    nested = session.begin_nested()
    try:
        call(*args)
        session.flush()
        return None
    except DomainError as exc:
        return exc
    finally:
        nested.rollback()
        session.expire_all()


ACCEPTED: list[str] = []


def agree(answer: Action, error: DomainError | None, where: str, *, visible: bool = True) -> None:
    """The service accepts exactly what the action allows, and refuses the rest the same way: 403
    for who the viewer is, 409 for the record's state (404 when the viewer may not see it at all)."""
    if answer.allowed:
        ACCEPTED.append(where)
        assert error is None, f"{where}: the action is allowed but the service refused: {error and error.message}"
        return
    assert error is not None, f"{where}: the action is refused ({answer.reason}) but the service accepted"
    if not visible and isinstance(error, NotFound):
        return
    assert error.status_code == answer.error.status_code, (
        f"{where}: refused as {answer.error.status_code} ({answer.reason}) but the service said "
        f"{error.status_code} ({error.message})"
    )


# --- needs ---------------------------------------------------------------------------------------

# (status, variant): every need state, plus the states where another fact changes the answers.
NEED_CASES = [(s.value, "") for s in NeedStatus] + [
    ("submitted", "unscored_expert"),
    ("published", "pending_revision"),
    ("published", "nda"),
    ("published", "invite"),
    ("published", "responded"),
    ("published", "past_deadline"),
]


def _need(session: Session, p: People, status: str, variant: str) -> Need:
    extra: dict[str, Any] = {}
    if variant in ("nda", "invite"):
        extra["disclosure"] = variant
    if variant == "past_deadline":
        extra["deadline"] = TODAY - dt.timedelta(days=1)
    need = factories.create_need(session, org=p.owner.org, user=p.owner, status=status, **extra)
    if status != "draft":
        scored = None if variant == "unscored_expert" else dt.datetime.now(dt.UTC)
        session.add(
            ExpertAssignment(need_id=need.id, expert_id=p.expert.id, assigned_by=p.bureau.id, scores=SCORES if scored else None, submitted_at=scored)
        )
    if variant == "pending_revision":
        session.add(NeedRevision(need_id=need.id, proposed_by=p.owner.id, changes={"summary": "修改后的摘要：在线监测并预测寿命。"}, previous={}))
    if variant == "responded":
        session.add(Response(need_id=need.id, org_id=p.provider.org_id, created_by=p.provider.id, status="submitted", approach="已有方案"))
    session.flush()
    return need


def _need_calls(p: People, need_id: int) -> dict[str, Callable[[Session, User], Any]]:
    edited = NeedUpdate.model_validate(factories.need_fields(title="修改后的需求名称一项"))
    return {
        "edit": lambda s, u: needs.update_need(s, u, need_id, edited),
        "submit": lambda s, u: needs.submit(s, u, need_id),
        "withdraw": lambda s, u: flows.withdraw_need(s, u, need_id, "测试撤回"),
        "comment": lambda s, u: needs.add_comment(s, u, need_id, CommentIn(body="请补充验收指标")),
        "upload": lambda s, u: needs.add_attachment(s, u, need_id, filename="图纸.pdf", data=PDF, max_bytes=10**6),
        "view_responses": lambda s, u: responses.need_for_reviewer(s, u, need_id),
        "invite": lambda s, u: needs.invite(s, u, need_id, p.partner.org_id),
        "accept_terms": lambda s, u: needs.accept_terms(s, u, need_id),
        "approve": lambda s, u: needs.approve(s, u, need_id),
        "send_back": lambda s, u: needs.return_for_changes(s, u, need_id, "unclear", "请写清楚"),
        "reject": lambda s, u: needs.reject(s, u, need_id, "out_of_scope", "不属于两化改造"),
        "assign_expert": lambda s, u: needs.assign_expert(s, u, need_id, p.recused_expert.id),
        "score": lambda s, u: needs.submit_scores(s, u, need_id, ScoresIn(scores=SCORES)),
        "review_revision": lambda s, u: flows.approve_revision(s, u, need_id),
        "manage": lambda s, u: needs.need_for_owner(s, u, need_id),
        "respond": lambda s, u: flows.submit_response(s, u, need_id, ResponseCreate.model_validate(PROPOSAL), today=TODAY),
    }


@pytest.mark.parametrize(("status", "variant"), NEED_CASES, ids=[f"{s}{'-' + v if v else ''}" for s, v in NEED_CASES])
def test_need_actions_are_what_the_services_accept(session: Session, people: People, status: str, variant: str) -> None:
    need = _need(session, people, status, variant)
    anonymous = need_access.need_actions(session, None, need)
    offered = {k for k, a in anonymous.model_dump().items() if a["allowed"]}
    assert offered <= {"view_details"}, f"an anonymous visitor is offered {offered}"
    for role, user in people.signed_in().items():
        need = session.get(Need, need.id)
        assert need is not None
        answers = need_access.need_actions(session, user, need, respond=response_access.respond(session, user, need))
        visible = need_access.can_view_summary(session, user, need)
        for action, call in _need_calls(people, need.id).items():
            error = attempt(session, call, session, user)
            agree(getattr(answers, action), error, f"need {status}{variant and '/' + variant} · {role} · {action}", visible=visible)


# --- responses -----------------------------------------------------------------------------------

# (need status, response status, reason code of a declined proposal)
RESPONSE_CASES = [
    ("taken_up", "submitted", None),
    ("taken_up", "shortlisted", None),
    ("taken_up", "declined", "capability_mismatch"),
    ("taken_up", "declined", "partner_selected"),
    ("taken_up", "withdrawn", None),
    ("selected", "selected", None),
    ("selected", "declined", "partner_selected"),
    ("selected", "shortlisted", None),
    ("contracted", "selected", None),
    ("expired", "declined", "need_expired"),
    ("withdrawn", "declined", "need_withdrawn"),
]


@pytest.mark.parametrize(("need_status", "status", "reason"), RESPONSE_CASES, ids=[f"{n}-{s}-{r or ''}" for n, s, r in RESPONSE_CASES])
def test_response_actions_are_what_the_services_accept(
    session: Session, people: People, need_status: str, status: str, reason: str | None
) -> None:
    need = factories.create_need(session, org=people.owner.org, user=people.owner, status=need_status)
    for expert in (people.expert, people.recused_expert):
        session.add(ExpertAssignment(need_id=need.id, expert_id=expert.id, assigned_by=people.bureau.id))
    response = Response(
        need_id=need.id, org_id=people.provider.org_id, created_by=people.provider.id, status=status, reason_code=reason,
        approach=PROPOSAL["approach"], partner_org_ids=[people.partner.org_id],
    )
    session.add(response)
    session.flush()
    rid = response.id
    calls: dict[str, Callable[[Session, User], Any]] = {
        "shortlist": lambda s, u: responses.shortlist(s, u, rid),
        "decline": lambda s, u: responses.decline(s, u, rid, "capability_mismatch", "方案不满足在线预测要求"),
        "select": lambda s, u: flows.select_response(s, u, rid),
        "reconsider": lambda s, u: responses.reconsider(s, u, rid),
        "withdraw": lambda s, u: responses.withdraw(s, u, rid),
        "upload": lambda s, u: responses.add_attachment(s, u, rid, filename="方案.pdf", data=PDF, max_bytes=10**6),
        "score": lambda s, u: responses.submit_scores(s, u, rid, ResponseScoresIn(scores=SCORES)),
    }
    for role, user in people.signed_in().items():
        r = session.get(Response, rid)
        n = session.get(Need, need.id)
        assert r is not None and n is not None
        answers = response_access.response_actions(session, user, r, n)
        visible = response_access.can_view(session, user, r, n)
        for action, call in calls.items():
            error = attempt(session, call, session, user)
            agree(getattr(answers, action), error, f"response {need_status}/{status} · {role} · {action}", visible=visible)


# --- deals ---------------------------------------------------------------------------------------

FACTS = {
    DealStage.signed: {"contract_amount_wan": 80, "signed_on": TODAY},
    DealStage.accepted: {"accepted_on": TODAY, "outcome": "验收通过"},
    DealStage.converted: {"converted_on": TODAY},
    DealStage.failed: {"failure_reason": "双方未能达成一致"},
}


@pytest.mark.parametrize("stage", [s.value for s in DealStage])
def test_deal_actions_are_what_the_services_accept(session: Session, people: People, stage: str) -> None:
    need = factories.create_need(session, org=people.owner.org, user=people.owner, status="selected")
    response = Response(need_id=need.id, org_id=people.provider.org_id, created_by=people.provider.id, status="selected", approach="方案")
    session.add(response)
    session.flush()
    deal = Deal(need_id=need.id, response_id=response.id, enterprise_org_id=need.org_id, provider_org_id=response.org_id, stage=stage)
    session.add(deal)
    session.flush()
    for role, user in people.signed_in().items():
        d = session.get(Deal, deal.id)
        assert d is not None
        answers = deal_access.deal_actions(user, d)
        visible = deal_access.can_view(user, d)
        for target in (*ORDER[1:], DealStage.failed):
            expected = deal_access.advance_to(user, d, target)
            offered = answers.fail.allowed if target == DealStage.failed else target in answers.next_stages
            assert expected.allowed == offered, f"deal {stage} · {role} · to {target}: the page offers {offered}"
            advance_in = DealAdvance.model_validate({"stage": target, **FACTS.get(target, {})})
            error = attempt(session, flows.advance_deal, session, user, deal.id, advance_in)
            agree(expected, error, f"deal {stage} · {role} · to {target}", visible=visible)
        error = attempt(session, deals.add_milestone, session, user, deal.id, MilestoneIn(title="样机上线试运行"))
        agree(answers.plan_milestone, error, f"deal {stage} · {role} · milestone", visible=visible)


# --- batches -------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [s.value for s in BatchStatus])
def test_batch_actions_are_what_the_services_accept(session: Session, people: People, status: str) -> None:
    batch = Batch(year=TODAY.year, seq=99, status=status, created_by=people.bureau.id)
    session.add(batch)
    session.flush()
    in_batch = factories.create_need(session, org=people.owner.org, status="approved")
    in_batch.batch_id = batch.id
    waiting = factories.create_need(session, org=people.owner.org, status="approved")
    session.flush()
    calls: dict[str, Callable[[Session, User], Any]] = {
        "add_needs": lambda s, u: batches.add_needs(s, u, batch.id, [waiting.id]),
        "remove_need": lambda s, u: batches.remove_need(s, u, batch.id, in_batch.id),
        "start_notice": lambda s, u: batches.start_notice(s, u, batch.id, TODAY, TODAY + dt.timedelta(days=7)),
        "schedule": lambda s, u: batches.schedule(s, u, batch.id, TODAY + dt.timedelta(days=10)),
        "publish": lambda s, u: flows.publish_batch(s, u, batch.id),
    }
    for role, user in {"bureau": people.bureau, "owner": people.owner, "provider": people.provider}.items():
        b = session.get(Batch, batch.id)
        assert b is not None
        answers = batch_access.batch_actions(session, user, b)
        for action, call in calls.items():
            error = attempt(session, call, session, user)
            agree(getattr(answers, action), error, f"batch {status} · {role} · {action}", visible=batch_access.can_view(user, b))


# --- recognitions -------------------------------------------------------------------------------


REC_CASES = [(s.value, "") for s in RecognitionStatus] + [("on_notice", "served"), ("reviewed", "scored_once")]


@pytest.mark.parametrize(("status", "variant"), REC_CASES, ids=[f"{s}-{v}" if v else s for s, v in REC_CASES])
def test_recognition_actions_are_what_the_services_accept(session: Session, people: People, status: str, variant: str) -> None:
    """Every step of the lifecycle: 初审, experts (assigned, scoring, completing the review), 公示
    (open window: objections; served window: 认定), evidence files, rejection."""
    rec_in = RecognitionCreate.model_validate({"product_name": "智能集成灶", "category": "equipment", "level": "municipal", "year": 2022})
    rec = recognitions.apply(session, people.owner, rec_in)
    rec.status = status
    done = {"score": 80, "comment": "好", "submitted_at": dt.datetime.now(dt.UTC)} if variant == "scored_once" else {}
    session.add(RecognitionExpertReview(recognition_id=rec.id, expert_id=people.expert.id, assigned_by=people.bureau.id, **done))
    if variant == "scored_once":
        for _ in range(1):
            e = factories.expert(session)
            session.add(RecognitionExpertReview(recognition_id=rec.id, expert_id=e.id, assigned_by=people.bureau.id, score=80, comment="好", submitted_at=dt.datetime.now(dt.UTC)))
    today = dt.datetime.now(CST).date()
    if status == "on_notice":
        rec.notice_start, rec.notice_end = (today - dt.timedelta(days=12), today - dt.timedelta(days=2)) if variant == "served" else (today, today + dt.timedelta(days=9))
    session.flush()
    fresh = factories.expert(session)
    calls: dict[str, Callable[[Session, User], Any]] = {
        "review": lambda s, u: recognitions.review(s, u, rec.id, RecognitionReview(notes="材料齐全")),
        "assign_expert": lambda s, u: recognitions.assign_expert(s, u, rec.id, fresh.id),
        "score": lambda s, u: recognitions.submit_score(s, u, rec.id, ExpertScoreIn(score=90, comment="指标先进")),
        "finish_review": lambda s, u: recognitions.finish_review(s, u, rec.id),
        "put_on_notice": lambda s, u: recognitions.put_on_notice(s, u, rec.id, NoticeIn(notice_start=today, notice_end=today + dt.timedelta(days=9))),
        "object": lambda s, u: recognitions.raise_objection(s, u, rec.id, ObjectionIn(body="请核实该产品的首台（套）性质")),
        "recognise": lambda s, u: recognitions.recognise(s, u, rec.id, RecognitionDecision()),
        "reject": lambda s, u: recognitions.reject(s, u, rec.id, RecognitionRejection(reason="证明材料不足")),
        "upload": lambda s, u: recognitions.add_evidence_file(s, u, rec.id, filename="认定文件.pdf", data=b"%PDF-1.4 x\n%%EOF\n", max_bytes=1024 * 1024),
    }
    roles = {"bureau": people.bureau, "owner": people.owner, "other_enterprise": people.other_enterprise, "expert": people.expert}
    for role, user in roles.items():
        r = session.get(Recognition, rec.id)
        assert r is not None
        answers = rec_access.recognition_actions(session, user, r)
        visible = rec_access.can_view(user, r, assigned=rec_access.is_assigned_expert(session, user, r))
        for action, call in calls.items():
            error = attempt(session, call, session, user)
            # An objection is public: a viewer who may not see the application objects to its notice.
            agree(getattr(answers, action), error, f"recognition {status}{variant} · {role} · {action}", visible=visible or (action == "object" and status == "on_notice"))


def test_the_walk_accepted_actions_too() -> None:
    """The cases above are not all refusals (runs after them in file order)."""
    assert len(ACCEPTED) > 100
    for action in ("respond", "withdraw", "select", "publish", "recognise", "to signed"):
        assert any(action in where for where in ACCEPTED), action
    for action in ("assign_expert", "score", "finish_review", "put_on_notice", "object", "recognise", "upload"):
        assert any(where.startswith("recognition") and where.endswith(f"· {action}") for where in ACCEPTED), action
