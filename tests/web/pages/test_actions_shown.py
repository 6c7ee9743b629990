"""Every page offers exactly what the domain allows: for every need state and role, and for
proposals, deals, batches and recognitions in each state, a button or form is on the page if and
only if its action is allowed. (That the services accept exactly the allowed actions is
tests/market/test_actions.py.)"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from market.batches import access as batch_access
from market.batches.models import Batch
from market.batches.states import BatchStatus
from market.deals import access as deal_access
from market.deals.models import Deal
from market.deals.states import DealStage
from market.needs import access as need_access
from market.needs.models import ExpertAssignment, Need, NeedRevision
from market.needs.states import NeedStatus
from market.orgs import security
from market.orgs.models import Role, User
from market.recognitions import access as rec_access
from market.recognitions import service as recognitions
from market.recognitions.models import Recognition
from market.recognitions.schemas import RecognitionCreate
from market.recognitions.states import RecognitionStatus
from market.responses import access as response_access
from market.responses.models import Response
from tests import factories

_real_hash = security.hash_password
_cached: dict[str, str] = {}
SCORES = {"industry_impact": 80, "research_basis": 70, "technical_indicators": 90, "financial_indicators": 60}


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(security, "hash_password", lambda p: _cached.get(p) or _cached.setdefault(p, _real_hash(p)))


@pytest.fixture
def roles(session: Session) -> dict[str, User]:
    bureau_org = factories.create_org(session, kind="bureau", industry=None)
    return {
        "owner": factories.create_user(session, factories.create_org(session, kind="enterprise")),
        "other_enterprise": factories.create_user(session, factories.create_org(session, kind="enterprise", county="海宁市")),
        "provider": factories.create_user(session, factories.create_org(session, kind="university", industry=None)),
        "unverified_provider": factories.create_user(
            session, factories.create_org(session, kind="provider", verified=False, industry=None)
        ),
        "bureau": factories.create_user(session, bureau_org, roles=[Role.bureau_admin.value, Role.bureau_reviewer.value]),
        "expert": factories.create_user(
            session, factories.create_org(session, kind="institute", industry=None), roles=[Role.member.value, Role.expert.value]
        ),
    }


def _as(client: TestClient, login: Callable[[User], TestClient], user: User | None) -> TestClient:
    if user is None:
        client.cookies.clear()
        return client
    return login(user)


def shown(page: str, marker: str) -> bool:
    return marker in page


def check(page: str, offered: dict[str, tuple[bool, str]], where: str) -> None:
    for name, (allowed, marker) in offered.items():
        assert shown(page, marker) == allowed, f"{where} · {name}: allowed={allowed} but the page {'lacks' if allowed else 'shows'} {marker!r}"


NEED_CASES = [(s.value, "") for s in NeedStatus] + [("submitted", "unscored_expert"), ("published", "pending_revision"), ("published", "nda")]


@pytest.mark.parametrize(("status", "variant"), NEED_CASES, ids=[f"{s}{'-' + v if v else ''}" for s, v in NEED_CASES])
def test_need_pages_offer_what_need_actions_allow(
    session: Session, client: TestClient, login: Callable[[User], TestClient], roles: dict[str, User], status: str, variant: str
) -> None:
    owner = roles["owner"]
    need = factories.create_need(
        session, org=owner.org, user=owner, status=status, disclosure="nda" if variant == "nda" else "public",
        deadline=dt.date.today() + dt.timedelta(days=60),
    )
    if status != "draft":
        scored = variant != "unscored_expert"
        session.add(ExpertAssignment(
            need_id=need.id, expert_id=roles["expert"].id, assigned_by=roles["bureau"].id,
            scores=SCORES if scored else None, submitted_at=dt.datetime.now(dt.UTC) if scored else None,
        ))
    if variant == "pending_revision":
        session.add(NeedRevision(need_id=need.id, proposed_by=owner.id, changes={"summary": "修改后的需求摘要，等待审核。"}, previous={}))
    session.flush()
    nid = need.id
    for role, user in [("anonymous", None), *roles.items()]:
        n = session.get(Need, nid)
        assert n is not None
        a = need_access.need_actions(session, user, n, respond=response_access.respond(session, user, n))
        c = _as(client, login, user)
        where = f"need {status}{variant and '/' + variant} · {role}"
        detail = c.get(f"/needs/{nid}")
        if not need_access.can_view_summary(session, user, n):
            assert detail.status_code == 404, where
            continue
        assert detail.status_code == 200, where
        check(detail.text, {
            "respond": (a.respond.allowed, f'href="/provider/needs/{nid}/respond"'),
            "accept_terms": (a.accept_terms.allowed, f'action="/needs/{nid}/accept-terms"'),
            "manage": (a.manage.allowed, f'href="/enterprise/needs/{nid}"'),
            "open_review": (a.open_review.allowed, f'href="/bureau/review/{nid}"'),
        }, f"{where} · need page")
        if a.manage.allowed:
            page = c.get(f"/enterprise/needs/{nid}").text
            check(page, {
                "edit": (a.edit.allowed, f'href="/enterprise/needs/{nid}/edit"'),
                "submit": (a.submit.allowed, f'action="/enterprise/needs/{nid}/submit"'),
                "withdraw": (a.withdraw.allowed, f'action="/enterprise/needs/{nid}/withdraw"'),
                "view_responses": (a.view_responses.allowed, f'href="/enterprise/needs/{nid}/responses"'),
            }, f"{where} · management page")
        if a.open_review.allowed:
            page = c.get(f"/bureau/review/{nid}").text
            check(page, {
                "send_back": (a.send_back.allowed, f'action="/bureau/review/{nid}/decide"'),
                "approve": (a.approve.allowed, 'value="approve">审核通过'),
                "assign_expert": (a.assign_expert.allowed, f'action="/bureau/review/{nid}/experts"'),
                "review_revision": (a.review_revision.allowed, f'action="/bureau/review/{nid}/revision"'),
            }, f"{where} · review page")
        if role == "expert" and status != "draft":
            page = c.get(f"/expert/needs/{nid}").text
            check(page, {"score": (a.score.allowed, 'name="score_industry_impact"')}, f"{where} · scoring page")


RESPONSE_CASES = [
    ("taken_up", "submitted", None), ("taken_up", "shortlisted", None), ("taken_up", "declined", "capability_mismatch"),
    ("taken_up", "declined", "partner_selected"), ("taken_up", "withdrawn", None), ("selected", "selected", None),
    ("selected", "declined", "partner_selected"),
]


@pytest.mark.parametrize(("need_status", "status", "reason"), RESPONSE_CASES, ids=[f"{n}-{s}-{r or ''}" for n, s, r in RESPONSE_CASES])
def test_proposal_pages_offer_what_response_actions_allow(
    session: Session, client: TestClient, login: Callable[[User], TestClient], roles: dict[str, User],
    need_status: str, status: str, reason: str | None,
) -> None:
    owner, provider = roles["owner"], roles["provider"]
    need = factories.create_need(session, org=owner.org, user=owner, status=need_status)
    r = Response(need_id=need.id, org_id=provider.org_id, created_by=provider.id, status=status, reason_code=reason, approach="方案要点：在线监测。")
    session.add(r)
    session.flush()
    rid = r.id
    a = response_access.response_actions(session, owner, r, need)
    page = login(owner).get(f"/enterprise/needs/{need.id}/responses").text
    check(page, {
        "shortlist": (a.shortlist.allowed, f'action="/enterprise/responses/{rid}/shortlist"'),
        "select": (a.select.allowed, f'action="/enterprise/responses/{rid}/select"'),
        "decline": (a.decline.allowed, f'action="/enterprise/responses/{rid}/decline"'),
        "reconsider": (a.reconsider.allowed, f'action="/enterprise/responses/{rid}/reconsider"'),
    }, f"proposal {need_status}/{status} · comparison")
    mine = response_access.response_actions(session, provider, r, need)
    page = login(provider).get(f"/provider/responses/{rid}").text
    check(page, {
        "withdraw": (mine.withdraw.allowed, f'action="/provider/responses/{rid}/withdraw"'),
        "upload": (mine.upload.allowed, f'action="/provider/responses/{rid}/attachments"'),
    }, f"proposal {need_status}/{status} · responder's page")


@pytest.mark.parametrize("stage", [s.value for s in DealStage])
def test_deal_page_offers_what_deal_actions_allow(
    session: Session, client: TestClient, login: Callable[[User], TestClient], roles: dict[str, User], stage: str
) -> None:
    owner, provider = roles["owner"], roles["provider"]
    need = factories.create_need(session, org=owner.org, user=owner, status="selected")
    r = Response(need_id=need.id, org_id=provider.org_id, created_by=provider.id, status="selected", approach="方案")
    session.add(r)
    session.flush()
    deal = Deal(need_id=need.id, response_id=r.id, enterprise_org_id=owner.org_id, provider_org_id=provider.org_id, stage=stage)
    session.add(deal)
    session.flush()
    for role in ("owner", "provider", "bureau"):
        a = deal_access.deal_actions(roles[role], deal)
        page = login(roles[role]).get(f"/deals/{deal.id}").text
        check(page, {"record": (a.advance.allowed or a.fail.allowed, f'action="/deals/{deal.id}/advance"')}, f"deal {stage} · {role}")
        for s in ("intent", "signed", "in_progress", "accepted", "converted"):
            assert (f'<option value="{s}"' in page) == (s in a.next_stages), f"deal {stage} · {role} · option {s}"
        assert ('<option value="failed"' in page) == a.fail.allowed


@pytest.mark.parametrize("status", [s.value for s in BatchStatus])
def test_batch_page_offers_what_batch_actions_allow(
    session: Session, client: TestClient, login: Callable[[User], TestClient], roles: dict[str, User], status: str
) -> None:
    bureau = roles["bureau"]
    batch = Batch(year=2026, seq=98, status=status, created_by=bureau.id)
    session.add(batch)
    session.flush()
    need = factories.create_need(session, org=roles["owner"].org, status="approved")
    need.batch_id = batch.id
    factories.create_need(session, org=roles["owner"].org, status="approved")
    session.flush()
    a = batch_access.batch_actions(session, bureau, batch)
    page = login(bureau).get(f"/bureau/batches/{batch.id}").text
    check(page, {
        "add_needs": (a.add_needs.allowed, f'action="/bureau/batches/{batch.id}/needs"'),
        "remove_need": (a.remove_need.allowed, f'action="/bureau/batches/{batch.id}/needs/{need.id}/remove"'),
        "start_notice": (a.start_notice.allowed, f'action="/bureau/batches/{batch.id}/notice"'),
        "publish": (a.publish.allowed, f'action="/bureau/batches/{batch.id}/publish"'),
    }, f"batch {status}")


@pytest.mark.parametrize("status", [s.value for s in RecognitionStatus])
def test_recognition_review_page_offers_what_recognition_actions_allow(
    session: Session, client: TestClient, login: Callable[[User], TestClient], roles: dict[str, User], status: str
) -> None:
    rec_in = RecognitionCreate.model_validate({"product_name": "智能集成灶", "category": "equipment", "level": "municipal", "year": 2022})
    rec = recognitions.apply(session, roles["owner"], rec_in)
    rec.status = status
    session.flush()
    r = session.get(Recognition, rec.id)
    assert r is not None
    a = rec_access.recognition_actions(session, roles["bureau"], r)
    page = login(roles["bureau"]).get(f"/bureau/recognitions/{rec.id}").text
    check(page, {
        "review": (a.review.allowed, 'value="review"'),
        "recognise": (a.recognise.allowed, 'value="recognise"'),
        "reject": (a.reject.allowed, 'value="reject"'),
        "finish_review": (a.finish_review.allowed, 'value="finish_review"'),
        "assign_expert": (a.assign_expert.allowed, f'action="/bureau/recognitions/{rec.id}/experts"'),
        "put_on_notice": (a.put_on_notice.allowed, f'action="/bureau/recognitions/{rec.id}/notice"'),
    }, f"recognition {status}")
