from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from market.deals.models import Deal
from market.needs.models import ExpertAssignment, Need
from market.notifications.models import Notification
from market.orgs.models import User
from tests import factories

PROPOSAL = {
    "approach": "声发射与主电机电流信号融合识别模具磨损，边缘端实时推理并接入 MES。",
    "team": "教授 1 名、博士 3 名",
    "track_record": "3 个冲压在线监测项目",
    "timeline": "3 个月样机，6 个月验收",
    "price_wan": 90,
}
SCORES = {"industry_impact": 80, "research_basis": 70, "technical_indicators": 90, "financial_indicators": 60}


def _published(session: Session, user: User, **kw: object) -> Need:
    return factories.create_need(session, org=user.org, user=user, status="published", **kw)


def _respond(client: TestClient, headers: dict[str, str], need_id: int, **kw: object) -> dict:
    r = client.post(f"/api/v1/needs/{need_id}/responses", json={**PROPOSAL, **kw}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_provider_responds_and_enterprise_sees_it(
    client: TestClient, session: Session, enterprise_user: User, provider_user: User, auth
) -> None:
    need = _published(session, enterprise_user)
    body = _respond(client, auth(provider_user), need.id)
    assert body["status"] == "submitted" and body["need_title"] == need.title and "scores" not in body
    assert client.get(f"/api/v1/needs/{need.id}", headers=auth(enterprise_user)).json()["status"] == "taken_up"
    listing = client.get(f"/api/v1/needs/{need.id}/responses", headers=auth(enterprise_user)).json()
    assert listing["total"] == 1 and listing["items"][0]["org_name"] == provider_user.org.name
    assert "average_scores" in listing["items"][0]
    mine = client.get("/api/v1/responses/mine", headers=auth(provider_user)).json()
    assert [r["id"] for r in mine["items"]] == [body["id"]]
    unread = client.get("/api/v1/notifications?unread=true", headers=auth(enterprise_user)).json()
    assert any(n["kind"] == "response.submitted" for n in unread["items"])


def test_second_response_from_same_org_is_409(client: TestClient, session: Session, enterprise_user: User, provider_user: User, auth) -> None:
    need = _published(session, enterprise_user)
    _respond(client, auth(provider_user), need.id)
    colleague = factories.create_user(session, provider_user.org)
    r = client.post(f"/api/v1/needs/{need.id}/responses", json=PROPOSAL, headers=auth(colleague))
    assert r.status_code == 409 and r.json()["error"]["code"] == "duplicate_response"


def test_invalid_proposal_and_client_set_fields_rejected(
    client: TestClient, session: Session, enterprise_user: User, provider_user: User, auth
) -> None:
    need = _published(session, enterprise_user)
    r = client.post(f"/api/v1/needs/{need.id}/responses", json={**PROPOSAL, "approach": "短", "status": "selected"}, headers=auth(provider_user))
    assert r.status_code == 422
    assert {d["field"] for d in r.json()["error"]["details"]} == {"approach", "status"}


def test_responding_to_a_draft_is_404_and_to_a_selected_need_409(
    client: TestClient, session: Session, enterprise_user: User, provider_user: User, auth
) -> None:
    draft = factories.create_need(session, org=enterprise_user.org, status="draft")
    assert client.post(f"/api/v1/needs/{draft.id}/responses", json=PROPOSAL, headers=auth(provider_user)).status_code == 404
    taken = factories.create_need(session, org=enterprise_user.org, status="selected")
    r = client.post(f"/api/v1/needs/{taken.id}/responses", json=PROPOSAL, headers=auth(provider_user))
    assert r.status_code == 409 and "不接受揭榜" in r.json()["error"]["message"]


def test_review_flow_shortlist_decline_select(
    client: TestClient, session: Session, enterprise_user: User, provider_user: User, other_provider_user: User, auth
) -> None:
    ent = auth(enterprise_user)
    need = _published(session, enterprise_user)
    a = _respond(client, auth(provider_user), need.id)
    b = _respond(client, auth(other_provider_user), need.id)
    assert client.post(f"/api/v1/responses/{a['id']}/shortlist", json={"note": "请准备答辩"}, headers=ent).json()["status"] == "shortlisted"
    r = client.post(f"/api/v1/responses/{b['id']}/decline", json={"reason_code": "capability_mismatch"}, headers=ent)
    assert r.status_code == 422  # the explanation is mandatory
    r = client.post(f"/api/v1/responses/{b['id']}/decline", json={"reason_code": "capability_mismatch", "reason_text": "缺少现场实施经验"}, headers=ent)
    assert r.status_code == 200 and r.json()["reason_label"] == "能力不匹配"
    # The declined provider reads the outcome and the reason.
    seen = client.get(f"/api/v1/responses/{b['id']}", headers=auth(other_provider_user)).json()
    assert seen["status"] == "declined" and seen["reason_text"] == "缺少现场实施经验"
    note = session.scalar(select(Notification).where(Notification.user_id == other_provider_user.id, Notification.kind == "response.declined"))
    assert note is not None and "缺少现场实施经验" in note.body
    sel = client.post(f"/api/v1/responses/{a['id']}/select", headers=ent)
    assert sel.status_code == 200, sel.text
    assert sel.json()["response"]["status"] == "selected" and sel.json()["deal"]["stage"] == "matched"
    assert session.scalar(select(Deal).where(Deal.response_id == a["id"])) is not None
    assert client.get(f"/api/v1/needs/{need.id}", headers=ent).json()["status"] == "selected"
    assert client.get(f"/api/v1/responses/{a['id']}", headers=auth(provider_user)).json()["deal_id"] == sel.json()["deal"]["id"]
    # Illegal moves are a clear 409.
    r = client.post(f"/api/v1/responses/{b['id']}/decline", json={"reason_code": "other", "reason_text": "再次拒绝"}, headers=ent)
    assert r.status_code == 409 and r.json()["error"]["code"] == "illegal_transition"


def test_withdraw_own_response(client: TestClient, session: Session, enterprise_user: User, provider_user: User, auth) -> None:
    need = _published(session, enterprise_user)
    a = _respond(client, auth(provider_user), need.id)
    assert client.post(f"/api/v1/responses/{a['id']}/withdraw", headers=auth(enterprise_user)).status_code == 403
    r = client.post(f"/api/v1/responses/{a['id']}/withdraw", json={"note": "团队调整"}, headers=auth(provider_user))
    assert r.json()["status"] == "withdrawn"
    assert client.post(f"/api/v1/responses/{a['id']}/withdraw", headers=auth(provider_user)).status_code == 409


def test_expert_scores_are_visible_to_reviewers_not_provider(
    client: TestClient, session: Session, enterprise_user: User, provider_user: User, expert_user: User, bureau_user: User, auth
) -> None:
    need = _published(session, enterprise_user)
    a = _respond(client, auth(provider_user), need.id)
    assert client.put(f"/api/v1/responses/{a['id']}/scores", json={"scores": SCORES}, headers=auth(expert_user)).status_code == 404
    session.add(ExpertAssignment(need_id=need.id, expert_id=expert_user.id, assigned_by=bureau_user.id))
    session.flush()
    r = client.put(f"/api/v1/responses/{a['id']}/scores", json={"scores": {"industry_impact": 80}}, headers=auth(expert_user))
    assert r.status_code == 422
    r = client.put(f"/api/v1/responses/{a['id']}/scores", json={"scores": SCORES, "comment": "可行"}, headers=auth(expert_user))
    assert r.status_code == 200 and r.json()["scores"] == SCORES
    owner_view = client.get(f"/api/v1/responses/{a['id']}", headers=auth(enterprise_user)).json()
    assert owner_view["average_total"] == 75.0
    assert "scores" not in client.get(f"/api/v1/responses/{a['id']}", headers=auth(provider_user)).json()
    assert client.get(f"/api/v1/needs/{need.id}/responses", headers=auth(expert_user)).json()["total"] == 1


def test_attachments_content_checked_and_scoped(
    client: TestClient, session: Session, enterprise_user: User, provider_user: User, other_provider_user: User, auth
) -> None:
    need = _published(session, enterprise_user)
    a = _respond(client, auth(provider_user), need.id)
    pdf = b"%PDF-1.4 proposal\n%%EOF\n"
    r = client.post(f"/api/v1/responses/{a['id']}/attachments", files={"file": ("方案.pdf", pdf, "application/pdf")}, headers=auth(provider_user))
    assert r.status_code == 201, r.text
    att = r.json()
    bad = client.post(f"/api/v1/responses/{a['id']}/attachments", files={"file": ("x.pdf", b"MZ\x90\x00", "application/pdf")}, headers=auth(provider_user))
    assert bad.status_code == 422
    assert client.post(f"/api/v1/responses/{a['id']}/attachments", files={"file": ("o.pdf", pdf)}, headers=auth(enterprise_user)).status_code == 403
    got = client.get(f"/api/v1/responses/{a['id']}/attachments/{att['id']}", headers=auth(enterprise_user))
    assert got.status_code == 200 and got.content == pdf
    assert client.get(f"/api/v1/responses/{a['id']}/attachments/{att['id']}", headers=auth(other_provider_user)).status_code == 404
    assert [x["id"] for x in client.get(f"/api/v1/responses/{a['id']}/attachments", headers=auth(provider_user)).json()] == [att["id"]]


# Seed task 10: "鼓励龙头企业、高校、科研院所揭榜" — an enterprise the bureau marks 龙头企业 may
# take up other enterprises' needs, never its own.
def test_leading_enterprise_marked_by_the_bureau_may_respond_but_not_to_its_own_needs(
    client: TestClient,
    session: Session,
    enterprise_user: User,
    other_enterprise_user: User,
    bureau_user: User,
    provider_user: User,
    auth,
) -> None:
    need = _published(session, enterprise_user)
    own = _published(session, other_enterprise_user, title="龙头企业自己的需求：涂装线节能改造")
    refused = client.post(f"/api/v1/needs/{need.id}/responses", json=PROPOSAL, headers=auth(other_enterprise_user))
    assert refused.status_code == 403, refused.text
    org_id = other_enterprise_user.org_id
    for who in (other_enterprise_user, provider_user):
        assert client.post(f"/api/v1/orgs/{org_id}/leading", json={"leading": True}, headers=auth(who)).status_code == 403
    bad = client.post(f"/api/v1/orgs/{provider_user.org_id}/leading", json={"leading": True}, headers=auth(bureau_user))
    assert bad.status_code == 422
    marked = client.post(f"/api/v1/orgs/{org_id}/leading", json={"leading": True}, headers=auth(bureau_user))
    assert marked.status_code == 200 and marked.json()["leading"] is True
    body = _respond(client, auth(other_enterprise_user), need.id)
    assert body["org_id"] == org_id
    own_try = client.post(f"/api/v1/needs/{own.id}/responses", json=PROPOSAL, headers=auth(other_enterprise_user))
    assert own_try.status_code == 403 and "本单位" in own_try.json()["error"]["message"]
    client.post(f"/api/v1/orgs/{org_id}/leading", json={"leading": False}, headers=auth(bureau_user))
    later = _published(session, enterprise_user, title="另一项需求：注塑车间能耗监测")
    assert client.post(f"/api/v1/needs/{later.id}/responses", json=PROPOSAL, headers=auth(other_enterprise_user)).status_code == 403
