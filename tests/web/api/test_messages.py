"""对接沟通 through the API: the enterprise and the responding provider write, the bureau reads,
nobody else finds the thread (tested across organisations); read receipts; attachments."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from market.mail.models import MailMessage
from market.orgs.models import Role, User
from tests import factories

PROPOSAL = {
    "approach": "声发射与主电机电流信号融合识别模具磨损，边缘端实时推理并接入 MES。", "team": "教授 1 名",
    "track_record": "3 个项目", "timeline": "3 个月", "price_wan": 90,
}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _response(client: TestClient, session: Session, enterprise_user: User, provider_user: User, auth, **kw: object) -> tuple[int, int]:
    need = factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="published", **kw)
    r = client.post(f"/api/v1/needs/{need.id}/responses", json=PROPOSAL, headers=auth(provider_user))
    assert r.status_code == 201, r.text
    return need.id, r.json()["id"]


def test_the_two_parties_talk_with_read_receipts_and_mail(
    client: TestClient, session: Session, enterprise_user: User, provider_user: User, auth
) -> None:
    _, rid = _response(client, session, enterprise_user, provider_user, auth, anonymous=True)
    r = client.post(f"/api/v1/responses/{rid}/messages", json={"body": "能否适配 24 台海天注塑机？"}, headers=auth(enterprise_user))
    assert r.status_code == 201, r.text
    [msg] = r.json()["items"]
    assert msg["side_label"] == "发榜企业" and msg["mine"] is True and msg["read_at"] is None
    mail = session.scalars(select(MailMessage).where(MailMessage.to_addr == provider_user.email, MailMessage.kind == "message.new")).one()
    assert mail.link == f"/responses/{rid}#messages" and "能否适配" in mail.body
    # The provider opens the thread: the enterprise's message is read; the anonymous enterprise stays unnamed.
    thread = client.get(f"/api/v1/responses/{rid}/messages", headers=auth(provider_user))
    assert thread.status_code == 200 and enterprise_user.org.name not in thread.text
    assert thread.json()["items"][0]["mine"] is False and thread.json()["actions"]["post"]["allowed"] is True
    r = client.post(f"/api/v1/responses/{rid}/messages", json={"body": "可以，附上适配清单。"}, headers=auth(provider_user))
    reply = r.json()["items"][-1]
    up = client.post(f"/api/v1/messages/{reply['id']}/attachments", files={"file": ("适配清单.pdf", PDF, "application/pdf")}, headers=auth(provider_user))
    assert up.status_code == 201, up.text
    # The other side may not attach files to someone else's message.
    assert client.post(f"/api/v1/messages/{reply['id']}/attachments", files={"file": ("x.pdf", PDF, "application/pdf")}, headers=auth(enterprise_user)).status_code == 403
    seen = client.get(f"/api/v1/responses/{rid}/messages", headers=auth(enterprise_user)).json()["items"]
    assert seen[0]["read_at"] is not None  # receipt of the enterprise's message
    assert seen[1]["attachments"][0]["filename"] == "适配清单.pdf"
    download = client.get(f"/api/v1/messages/{reply['id']}/attachments/{up.json()['id']}", headers=auth(enterprise_user))
    assert download.status_code == 200 and download.content == PDF


def test_nobody_else_can_read_the_thread_and_the_bureau_only_reads(
    client: TestClient, session: Session, enterprise_user: User, provider_user: User, other_enterprise_user: User,
    bureau_user: User, auth,
) -> None:
    need_id, rid = _response(client, session, enterprise_user, provider_user, auth)
    r = client.post(f"/api/v1/responses/{rid}/messages", json={"body": "商务条款请见附件"}, headers=auth(provider_user))
    mid = r.json()["items"][0]["id"]
    att = client.post(f"/api/v1/messages/{mid}/attachments", files={"file": ("条款.pdf", PDF, "application/pdf")}, headers=auth(provider_user)).json()["id"]
    other_provider = factories.create_user(session, factories.create_org(session, kind="provider", industry=None))
    other_responder = factories.create_user(session, factories.create_org(session, kind="university", industry=None))
    client.post(f"/api/v1/needs/{need_id}/responses", json=PROPOSAL, headers=auth(other_responder))
    expert = factories.create_user(session, bureau_user.org, roles=[Role.expert.value])
    for outsider in (other_enterprise_user, other_provider, other_responder, expert):
        h = auth(outsider)
        assert client.get(f"/api/v1/responses/{rid}/messages", headers=h).status_code == 404
        assert client.post(f"/api/v1/responses/{rid}/messages", json={"body": "你好"}, headers=h).status_code == 404
        assert client.get(f"/api/v1/messages/{mid}/attachments/{att}", headers=h).status_code == 404
    assert client.get(f"/api/v1/responses/{rid}/messages").status_code == 401
    # The bureau reads for the record, marks nothing read and does not write.
    thread = client.get(f"/api/v1/responses/{rid}/messages", headers=auth(bureau_user)).json()
    assert thread["items"][0]["read_at"] is None and thread["actions"]["post"]["allowed"] is False
    assert client.get(f"/api/v1/messages/{mid}/attachments/{att}", headers=auth(bureau_user)).status_code == 200
    r = client.post(f"/api/v1/responses/{rid}/messages", json={"body": "科技局"}, headers=auth(bureau_user))
    assert r.status_code == 403
    assert client.post(f"/api/v1/responses/{rid}/messages", json={"body": ""}, headers=auth(provider_user)).status_code == 422


def test_a_withdrawn_response_ends_the_conversation(
    client: TestClient, session: Session, enterprise_user: User, provider_user: User, auth
) -> None:
    _, rid = _response(client, session, enterprise_user, provider_user, auth)
    assert client.post(f"/api/v1/responses/{rid}/withdraw", headers=auth(provider_user)).status_code == 200
    r = client.post(f"/api/v1/responses/{rid}/messages", json={"body": "还在吗"}, headers=auth(enterprise_user))
    assert r.status_code == 409 and r.json()["error"]["code"] == "illegal_transition"
