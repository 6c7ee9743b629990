"""答疑 on a need's page and 对接沟通 on a response's page: the forms each viewer gets come from the
actions, and what is posted shows up for the other side."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from market.orgs.models import User
from market.questions import service as qs
from market.questions.schemas import QuestionIn
from market.responses import service as rs
from market.responses.schemas import ResponseCreate
from tests import factories
from tests.web.pages.conftest import post_form

Login = Callable[[User], TestClient]
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def test_provider_asks_and_enterprise_answers_on_the_need_page(
    login: Login, session: Session, enterprise_user: User, provider_user: User
) -> None:
    need = factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="published")
    c = login(provider_user)
    page = c.get(f"/needs/{need.id}").text
    assert "向发榜企业提问" in page and "暂无提问" in page
    r = post_form(c, f"/needs/{need.id}/questions", {"body": "短"})
    assert r.status_code == 303 and r.headers["location"].endswith("#qa")
    assert "暂无提问" in c.get(f"/needs/{need.id}").text  # refused, with the reason in the flash
    r = post_form(c, f"/needs/{need.id}/questions", {"body": "现有注塑机的型号和数量是多少？"})
    assert r.status_code == 303
    page = c.get(f"/needs/{need.id}").text
    assert "现有注塑机的型号和数量是多少？" in page and "本单位提问" in page and "发布答复" not in page
    c = login(enterprise_user)
    page = c.get(f"/needs/{need.id}").text
    assert "发布答复" in page and "向发榜企业提问" not in page and "隐藏原因" not in page
    [q] = qs.list_questions(session, enterprise_user, need.id).items
    assert post_form(c, f"/questions/{q.id}/answer", {"body": "共 24 台，可周末停机。"}).status_code == 303
    c = login(provider_user)
    assert "答（发榜企业）：</strong>共 24 台，可周末停机。" in c.get(f"/needs/{need.id}").text


def test_bureau_hides_a_question_from_the_page(
    login: Login, session: Session, enterprise_user: User, provider_user: User, bureau_user: User
) -> None:
    need = factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="published")
    q = qs.ask(session, provider_user, need.id, QuestionIn(body="加微信了解优惠产品"))
    session.flush()
    c = login(bureau_user)
    assert "隐藏原因" in c.get(f"/needs/{need.id}").text
    assert post_form(c, f"/questions/{q.id}/hide", {"reason": "广告"}).status_code == 303
    assert "已隐藏：广告" in c.get(f"/needs/{need.id}").text
    c = login(provider_user)
    assert "加微信了解优惠产品" not in c.get(f"/needs/{need.id}").text


def test_the_two_sides_exchange_messages_on_the_response_page(
    login: Login, session: Session, enterprise_user: User, provider_user: User, other_enterprise_user: User
) -> None:
    need = factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="published")
    response = rs.submit(session, provider_user, need.id, ResponseCreate(approach="基于声发射与电流信号融合的模具磨损在线识别，边缘端部署。"))
    session.flush()
    c = login(enterprise_user)
    assert "对接沟通（0）" in c.get(f"/provider/responses/{response.id}").text
    r = post_form(c, f"/responses/{response.id}/messages", {"body": "能否先做一次现场调研？"},
                  files={"file": ("调研提纲.pdf", PDF, "application/pdf")})
    assert r.status_code == 303 and r.headers["location"] == f"/provider/responses/{response.id}#messages"
    c = login(provider_user)
    page = c.get(f"/provider/responses/{response.id}").text
    assert "能否先做一次现场调研？" in page and "调研提纲.pdf" in page and "发榜企业" in page
    assert post_form(c, f"/responses/{response.id}/messages", {"body": "可以，下周二到厂。"}).status_code == 303
    c = login(enterprise_user)
    page = c.get(f"/provider/responses/{response.id}").text
    assert "可以，下周二到厂。" in page and "对方已读" in page
    c = login(other_enterprise_user)
    assert c.get(f"/provider/responses/{response.id}").status_code == 404
    assert post_form(c, f"/responses/{response.id}/messages", {"body": "你好"}).status_code == 404
