from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from market.deals.service import today_local
from market.orgs.models import User
from tests import factories

TODAY = today_local().isoformat()
PROPOSAL = {"approach": "基于机器视觉的在线缺陷检测方案，三个月交付样机。", "price_wan": 80}


def _deal(client: TestClient, session: Session, enterprise_user: User, provider_user: User, auth) -> tuple[int, int]:
    need = factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="published")
    resp = client.post(f"/api/v1/needs/{need.id}/responses", json=PROPOSAL, headers=auth(provider_user)).json()
    sel = client.post(f"/api/v1/responses/{resp['id']}/select", headers=auth(enterprise_user)).json()
    return sel["deal"]["id"], need.id


def test_both_parties_advance_to_conversion_and_need_follows(
    client: TestClient, session: Session, enterprise_user: User, provider_user: User, auth
) -> None:
    ent, prov = auth(enterprise_user), auth(provider_user)
    deal_id, need_id = _deal(client, session, enterprise_user, provider_user, auth)
    steps = [
        (prov, {"stage": "intent", "note": "意向协议已签"}),
        (ent, {"stage": "signed", "contract_amount_wan": 120.5, "signed_on": TODAY}),
        (prov, {"stage": "in_progress"}),
        (ent, {"stage": "accepted", "accepted_on": TODAY, "outcome": "识别准确率 96%"}),
        (ent, {"stage": "converted", "converted_on": TODAY, "outcome": "推广至 12 条产线"}),
    ]
    for headers, body in steps:
        r = client.post(f"/api/v1/deals/{deal_id}/advance", json=body, headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["stage"] == body["stage"]
        if body["stage"] == "signed":
            assert client.get(f"/api/v1/needs/{need_id}", headers=ent).json()["status"] == "contracted"
    detail = client.get(f"/api/v1/deals/{deal_id}", headers=prov).json()
    assert [c["to_stage"] for c in detail["stage_changes"]] == ["matched", "intent", "signed", "in_progress", "accepted", "converted"]
    assert detail["contract_amount_wan"] == 120.5 and detail["stage_label"] == "已转化"
    assert client.get(f"/api/v1/needs/{need_id}", headers=ent).json()["status"] == "converted"


def test_per_stage_validation_is_422_with_fields(
    client: TestClient, session: Session, enterprise_user: User, provider_user: User, auth
) -> None:
    ent = auth(enterprise_user)
    deal_id, _ = _deal(client, session, enterprise_user, provider_user, auth)
    client.post(f"/api/v1/deals/{deal_id}/advance", json={"stage": "intent"}, headers=ent)
    r = client.post(f"/api/v1/deals/{deal_id}/advance", json={"stage": "signed"}, headers=ent)
    assert r.status_code == 422
    assert {d["field"] for d in r.json()["error"]["details"]} == {"contract_amount_wan", "signed_on"}
    future = (today_local() + dt.timedelta(days=10)).isoformat()
    r = client.post(f"/api/v1/deals/{deal_id}/advance", json={"stage": "signed", "contract_amount_wan": 5, "signed_on": future}, headers=ent)
    assert r.status_code == 422 and "不能晚于今天" in r.json()["error"]["message"]
    r = client.post(f"/api/v1/deals/{deal_id}/advance", json={"stage": "signed", "contract_amount_wan": -5, "signed_on": TODAY}, headers=ent)
    assert r.status_code == 422
    r = client.post(f"/api/v1/deals/{deal_id}/advance", json={"stage": "bogus"}, headers=ent)
    assert r.status_code == 422
    r = client.post(f"/api/v1/deals/{deal_id}/advance", json={"stage": "accepted", "accepted_on": TODAY, "outcome": "x"}, headers=ent)
    assert r.status_code == 409
    r = client.post(f"/api/v1/deals/{deal_id}/advance", json={"stage": "failed"}, headers=ent)
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "failure_reason"


def test_failure_reopens_need_for_another_selection(
    client: TestClient, session: Session, enterprise_user: User, provider_user: User, other_provider_user: User, auth
) -> None:
    ent = auth(enterprise_user)
    deal_id, need_id = _deal(client, session, enterprise_user, provider_user, auth)
    second = client.post(f"/api/v1/needs/{need_id}/responses", json=PROPOSAL, headers=auth(other_provider_user))
    assert second.status_code == 409  # selected needs take no new responses
    r = client.post(f"/api/v1/deals/{deal_id}/advance", json={"stage": "failed", "failure_reason": "报价分歧"}, headers=auth(provider_user))
    assert r.status_code == 200 and r.json()["failure_reason"] == "报价分歧"
    assert client.get(f"/api/v1/needs/{need_id}", headers=ent).json()["status"] == "taken_up"
    second = client.post(f"/api/v1/needs/{need_id}/responses", json=PROPOSAL, headers=auth(other_provider_user))
    assert second.status_code == 201
    assert client.post(f"/api/v1/responses/{second.json()['id']}/select", headers=ent).status_code == 200


def test_milestones_endpoints(client: TestClient, session: Session, enterprise_user: User, provider_user: User, auth) -> None:
    prov = auth(provider_user)
    deal_id, _ = _deal(client, session, enterprise_user, provider_user, auth)
    m = client.post(f"/api/v1/deals/{deal_id}/milestones", json={"title": "样机上线", "due_on": TODAY}, headers=prov)
    assert m.status_code == 201
    done = client.post(f"/api/v1/deals/{deal_id}/milestones/{m.json()['id']}/complete", json={"note": "完成"}, headers=auth(enterprise_user))
    assert done.status_code == 200 and done.json()["done_on"] == TODAY
    assert client.post(f"/api/v1/deals/{deal_id}/milestones/{m.json()['id']}/complete", headers=prov).status_code == 409
    assert client.post(f"/api/v1/deals/{deal_id}/milestones/999999/complete", headers=prov).status_code == 404
    assert client.get(f"/api/v1/deals/{deal_id}", headers=prov).json()["milestones"][0]["title"] == "样机上线"


def test_listing_scope_and_bureau_filters(
    client: TestClient, session: Session, enterprise_user: User, provider_user: User, other_enterprise_user: User, bureau_user: User, auth
) -> None:
    deal_id, _ = _deal(client, session, enterprise_user, provider_user, auth)
    assert [d["id"] for d in client.get("/api/v1/deals", headers=auth(provider_user)).json()["items"]] == [deal_id]
    assert client.get("/api/v1/deals", headers=auth(other_enterprise_user)).json()["total"] == 0
    bur = auth(bureau_user)
    ids = lambda q: [d["id"] for d in client.get(f"/api/v1/deals?{q}", headers=bur).json()["items"]]  # noqa: E731
    assert deal_id in ids("stage=matched&county=南湖区&industry=汽车制造")
    assert deal_id not in ids("county=海宁市")
    assert deal_id not in ids("stage=signed")
    assert deal_id in ids(f"year={today_local().year}")
    assert client.get("/api/v1/deals?stage=nope", headers=bur).status_code == 422
    assert client.get("/api/v1/deals").status_code == 401


def test_milestone_documents_through_the_api(client: TestClient, session: Session, enterprise_user: User, provider_user: User, bureau_user: User, auth) -> None:  # type: ignore[no-untyped-def]
    """合同 and 验收报告 on a milestone: the parties upload (type by content, errors on the field),
    both parties and the bureau list and download, the bureau cannot upload."""
    pdf = b"%PDF-1.4 report\n%%EOF\n"
    prov, ent, bur = auth(provider_user), auth(enterprise_user), auth(bureau_user)
    deal_id, _ = _deal(client, session, enterprise_user, provider_user, auth)
    m = client.post(f"/api/v1/deals/{deal_id}/milestones", json={"title": "验收", "due_on": "2026-02-30"}, headers=prov)
    assert m.status_code == 422
    m = client.post(f"/api/v1/deals/{deal_id}/milestones", json={"title": "验收", "due_on": TODAY}, headers=prov).json()
    url = f"/api/v1/deals/{deal_id}/milestones/{m['id']}/documents"
    bad = client.post(url, data={"kind": "acceptance"}, files={"file": ("验收报告.pdf", b"<script>", "application/pdf")}, headers=ent)
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "file"
    bad = client.post(url, data={"kind": "invoice"}, files={"file": ("验收报告.pdf", pdf, "application/pdf")}, headers=ent)
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "kind"
    assert client.post(url, data={"kind": "acceptance"}, files={"file": ("a.pdf", pdf, "application/pdf")}, headers=bur).status_code == 403
    up = client.post(url, data={"kind": "acceptance"}, files={"file": ("验收报告.pdf", pdf, "application/pdf")}, headers=ent)
    assert up.status_code == 201 and up.json()["kind_label"] == "验收报告" and up.json()["size"] == len(pdf)
    listed = client.get(f"/api/v1/deals/{deal_id}/milestones", headers=bur).json()
    assert [d["filename"] for d in listed[0]["documents"]] == ["验收报告.pdf"]
    got = client.get(f"/api/v1/deals/{deal_id}/documents/{up.json()['id']}", headers=prov)
    assert got.status_code == 200 and got.content == pdf and got.headers["content-disposition"].startswith("attachment;")
    assert client.get(f"/api/v1/deals/{deal_id}", headers=bur).json()["milestones"][0]["documents"][0]["kind"] == "acceptance"
    assert client.get(f"/api/v1/deals/{deal_id}/documents/999999", headers=prov).status_code == 404
