"""答疑 through the API: providers ask, the enterprise or the bureau answers, the bureau hides;
the asker's organisation is never shown; who may read follows who may read the need's details."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from market.audit.models import AuditEntry
from market.mail.models import MailMessage
from market.needs.models import Need
from market.notifications.models import Notification
from market.orgs.models import User
from tests import factories

Q = {"body": "现有注塑机的型号和数量是多少？是否允许停机改造？"}


def _published(session: Session, user: User, **kw: object) -> Need:
    return factories.create_need(session, org=user.org, user=user, status="published", **kw)


def test_provider_asks_enterprise_answers_and_everyone_with_details_reads_it(
    client: TestClient, session: Session, enterprise_user: User, provider_user: User, auth
) -> None:
    need = _published(session, enterprise_user, anonymous=True)
    listing = client.get(f"/api/v1/needs/{need.id}/questions", headers=auth(provider_user)).json()
    assert listing["items"] == [] and listing["ask"]["allowed"] is True
    r = client.post(f"/api/v1/needs/{need.id}/questions", json=Q, headers=auth(provider_user))
    assert r.status_code == 201, r.text
    qid = r.json()["id"]
    assert r.json()["mine"] is True and r.json()["actions"]["answer"]["allowed"] is False
    # The enterprise is told, in the app and by mail.
    assert session.scalar(select(Notification.id).where(Notification.user_id == enterprise_user.id, Notification.kind == "question.asked"))
    assert session.scalar(select(MailMessage.id).where(MailMessage.to_addr == enterprise_user.email, MailMessage.kind == "question.asked"))
    # Another provider reads the question, not who asked it.
    other = factories.create_user(session, factories.create_org(session, kind="provider", industry=None))
    seen = client.get(f"/api/v1/needs/{need.id}/questions", headers=auth(other)).json()["items"]
    assert [q["body"] for q in seen] == [Q["body"]] and seen[0]["mine"] is False
    assert provider_user.org.name not in client.get(f"/api/v1/needs/{need.id}/questions", headers=auth(other)).text
    # The enterprise answers; the answer names its side, never the (anonymous) enterprise.
    enterprise_view = client.get(f"/api/v1/needs/{need.id}/questions", headers=auth(enterprise_user)).json()["items"][0]
    assert enterprise_view["actions"]["answer"]["allowed"] is True
    r = client.post(f"/api/v1/questions/{qid}/answer", json={"body": "共 24 台海天注塑机，可在周末停机改造。"}, headers=auth(enterprise_user))
    assert r.status_code == 200, r.text
    assert r.json()["answered_as"] == "发榜企业"
    text = client.get(f"/api/v1/needs/{need.id}/questions", headers=auth(other)).text
    assert "24 台海天注塑机" in text and enterprise_user.org.name not in text
    # The asker hears of the answer by mail with a link to the need's Q&A.
    mail = session.scalars(select(MailMessage).where(MailMessage.to_addr == provider_user.email, MailMessage.kind == "question.answered")).one()
    assert mail.link == f"/needs/{need.id}#qa"
    # Answered once.
    again = client.post(f"/api/v1/questions/{qid}/answer", json={"body": "补充"}, headers=auth(enterprise_user))
    assert again.status_code == 409 and again.json()["error"]["code"] == "illegal_transition"


def test_responders_hear_of_a_new_answer_and_the_bureau_may_answer(
    client: TestClient, session: Session, enterprise_user: User, provider_user: User, bureau_user: User, auth
) -> None:
    need = _published(session, enterprise_user)
    responder = factories.create_user(session, factories.create_org(session, kind="institute", industry=None))
    r = client.post(f"/api/v1/needs/{need.id}/responses", json={
        "approach": "声发射与主电机电流信号融合识别模具磨损，边缘端实时推理并接入 MES。", "team": "教授 1 名",
        "track_record": "3 个项目", "timeline": "3 个月", "price_wan": 90,
    }, headers=auth(responder))
    assert r.status_code == 201, r.text
    qid = client.post(f"/api/v1/needs/{need.id}/questions", json=Q, headers=auth(provider_user)).json()["id"]
    r = client.post(f"/api/v1/questions/{qid}/answer", json={"body": "由科技局代为答复：可以停机。"}, headers=auth(bureau_user))
    assert r.status_code == 200 and r.json()["answered_as"] == "科技局"
    told = set(session.scalars(select(Notification.user_id).where(Notification.kind == "question.answered")))
    assert told == {provider_user.id, responder.id}


def test_who_may_ask(
    client: TestClient, session: Session, enterprise_user: User, other_enterprise_user: User, provider_user: User,
    bureau_user: User, auth,
) -> None:
    need = _published(session, enterprise_user)
    r = client.post(f"/api/v1/needs/{need.id}/questions", json=Q, headers=auth(other_enterprise_user))
    assert r.status_code == 403 and "高校、科研院所和服务商" in r.json()["error"]["message"]
    assert client.post(f"/api/v1/needs/{need.id}/questions", json=Q).status_code == 401
    unverified = factories.create_user(session, factories.create_org(session, kind="provider", industry=None, verified=False))
    assert client.post(f"/api/v1/needs/{need.id}/questions", json=Q, headers=auth(unverified)).status_code == 403
    r = client.post(f"/api/v1/needs/{need.id}/questions", json={"body": "短"}, headers=auth(provider_user))
    assert r.status_code == 422
    draft = factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="draft")
    assert client.post(f"/api/v1/needs/{draft.id}/questions", json=Q, headers=auth(provider_user)).status_code == 404
    assert client.get(f"/api/v1/needs/{draft.id}/questions", headers=auth(provider_user)).status_code == 404
    # An invite-only need's questions are read only by those who may read its details.
    invite_only = _published(session, enterprise_user, disclosure="invite")
    assert client.post(f"/api/v1/needs/{invite_only.id}/questions", json=Q, headers=auth(bureau_user)).status_code == 403
    listing = client.get(f"/api/v1/needs/{invite_only.id}/questions", headers=auth(provider_user)).json()
    assert listing["items"] == [] and "邀请" in listing["ask"]["reason"]
    assert client.post(f"/api/v1/needs/{invite_only.id}/questions", json=Q, headers=auth(provider_user)).status_code == 403
    # Too many open questions from one organisation.
    for i in range(5):
        assert client.post(f"/api/v1/needs/{need.id}/questions", json={"body": f"第{i}个问题：请问设备型号？"}, headers=auth(provider_user)).status_code == 201
    assert client.post(f"/api/v1/needs/{need.id}/questions", json=Q, headers=auth(provider_user)).status_code == 409


def test_bureau_hides_an_improper_question_with_a_reason(
    client: TestClient, session: Session, enterprise_user: User, provider_user: User, bureau_user: User, auth
) -> None:
    need = _published(session, enterprise_user)
    qid = client.post(f"/api/v1/needs/{need.id}/questions", json={"body": "加微信了解更多优惠产品"}, headers=auth(provider_user)).json()["id"]
    r = client.post(f"/api/v1/questions/{qid}/hide", json={"reason": "广告"}, headers=auth(enterprise_user))
    assert r.status_code == 403
    r = client.post(f"/api/v1/questions/{qid}/hide", json={"reason": "含与需求无关的广告"}, headers=auth(bureau_user))
    assert r.status_code == 200 and r.json()["hidden"] is True and r.json()["hidden_reason"] == "含与需求无关的广告"
    assert client.get(f"/api/v1/needs/{need.id}/questions", headers=auth(provider_user)).json()["items"] == []
    assert client.get(f"/api/v1/needs/{need.id}/questions", headers=auth(enterprise_user)).json()["items"] == []
    assert client.post(f"/api/v1/questions/{qid}/answer", json={"body": "好的"}, headers=auth(enterprise_user)).status_code == 404
    bureau_view = client.get(f"/api/v1/needs/{need.id}/questions", headers=auth(bureau_user)).json()["items"]
    assert bureau_view[0]["hidden"] is True and bureau_view[0]["actions"]["hide"]["allowed"] is False
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "question.hidden")).one()
    assert entry.actor_id == bureau_user.id and entry.data == {"reason": "含与需求无关的广告"}
