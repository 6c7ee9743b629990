from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from market.audit.models import AuditEntry
from market.batches.models import Batch
from market.needs.models import Need
from market.orgs.models import User
from market.outbox.models import OutboxEntry
from tests import factories


def _post_need(client: TestClient, headers: dict[str, str], **overrides: object) -> dict:
    r = client.post("/api/v1/needs", json=factories.need_fields(**overrides), headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_enterprise_posts_need_with_audit_and_outbox_in_one_transaction(
    client: TestClient, session: Session, enterprise_user: User, auth
) -> None:
    body = _post_need(client, auth(enterprise_user))
    need_id = body["need"]["id"]
    assert body["need"]["status"] == "draft"
    assert session.scalar(select(AuditEntry).where(AuditEntry.object_type == "need", AuditEntry.object_id == need_id))
    assert session.scalar(select(OutboxEntry).where(OutboxEntry.topic == "need", OutboxEntry.record_id == need_id))


def test_invalid_need_is_rejected_with_field_details_and_nothing_stored(
    client: TestClient, session: Session, enterprise_user: User, auth
) -> None:
    before = session.scalar(select(Need.id).order_by(Need.id.desc()))
    r = client.post(
        "/api/v1/needs",
        json=factories.need_fields(county="杭州市", budget_min_wan=200, budget_max_wan=100),
        headers=auth(enterprise_user),
    )
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "invalid"
    fields = {d["field"] for d in err["details"]}
    assert "county" in fields
    assert any("县" in d["message"] for d in err["details"])
    assert session.scalar(select(Need.id).order_by(Need.id.desc())) == before


def test_clients_cannot_set_owner_or_status(client: TestClient, enterprise_user: User, auth) -> None:
    r = client.post("/api/v1/needs", json={**factories.need_fields(), "status": "published", "org_id": 1}, headers=auth(enterprise_user))
    assert r.status_code == 422
    assert {d["field"] for d in r.json()["error"]["details"]} == {"status", "org_id"}


def test_full_review_flow_return_resubmit_approve_publish(
    client: TestClient, session: Session, enterprise_user: User, bureau_user: User, provider_user: User, auth
) -> None:
    ent, bur = auth(enterprise_user), auth(bureau_user)
    need_id = _post_need(client, ent)["need"]["id"]
    assert client.post(f"/api/v1/needs/{need_id}/submit", headers=ent).json()["status"] == "submitted"
    # Illegal: enterprise cannot approve its own need.
    assert client.post(f"/api/v1/needs/{need_id}/approve", headers=ent).status_code == 403
    r = client.post(f"/api/v1/needs/{need_id}/return", json={"reason_code": "indicators_unclear", "reason_text": "请量化"}, headers=bur)
    assert r.json()["status"] == "returned"
    assert r.json()["transitions"][-1]["reason_code"] == "indicators_unclear"
    client.post(f"/api/v1/needs/{need_id}/submit", headers=ent)
    # At least two experts must have scored before approval (office setting, default 2).
    early = client.post(f"/api/v1/needs/{need_id}/approve", headers=bur)
    assert early.status_code == 409 and "须至少 2 位专家完成评分" in early.json()["error"]["message"]
    need = session.get(Need, need_id)
    assert need is not None
    factories.scored_by_experts(session, need)
    assert client.post(f"/api/v1/needs/{need_id}/approve", headers=bur).json()["status"] == "approved"
    batch = client.post("/api/v1/batches", json={"year": 2026}, headers=bur).json()
    assert batch["title"].startswith("2026年第")
    client.post(f"/api/v1/batches/{batch['id']}/needs", json={"need_ids": [need_id]}, headers=bur)
    skipped = client.post(f"/api/v1/batches/{batch['id']}/publish", headers=bur)
    assert skipped.status_code == 409  # no batch skips the public notice
    factories.past_notice(session, session.get(Batch, batch["id"]))  # type: ignore[arg-type]
    published = client.post(f"/api/v1/batches/{batch['id']}/publish", headers=bur)
    assert published.status_code == 200, published.text
    view = client.get(f"/api/v1/needs/{need_id}").json()
    assert view["status"] == "published" and "contact_phone" not in view
    # A verified provider sees the details of a public-disclosure need.
    detail = client.get(f"/api/v1/needs/{need_id}", headers=auth(provider_user)).json()
    assert detail["contact_phone"] == "0573-88888888"
    # Illegal transition gets a clear 409.
    r = client.post(f"/api/v1/needs/{need_id}/submit", headers=ent)
    assert r.status_code == 409 and "不能提交审核" in r.json()["error"]["message"]


def test_other_enterprise_cannot_read_or_change_a_draft_by_id(
    client: TestClient, enterprise_user: User, other_enterprise_user: User, auth
) -> None:
    need_id = _post_need(client, auth(enterprise_user))["need"]["id"]
    other = auth(other_enterprise_user)
    assert client.get(f"/api/v1/needs/{need_id}", headers=other).status_code == 404
    r = client.put(f"/api/v1/needs/{need_id}", json=factories.need_fields(title="被篡改的标题内容"), headers=other)
    assert r.status_code == 404
    assert client.get(f"/api/v1/needs/{need_id}").status_code == 404
