"""Responding, selecting and recording the deal in the pages."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from market import flows
from market.orgs.models import User
from market.responses.schemas import ResponseCreate
from tests import factories
from tests.web.pages.conftest import post_form


def test_respond_select_and_record_deal(
    login, session: Session, enterprise_user: User, provider_user: User, bureau_user: User
) -> None:
    need = factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="published")
    c = login(provider_user)
    assert c.get(f"/provider/needs/{need.id}/respond").status_code == 200
    r = post_form(c, f"/provider/needs/{need.id}/respond", {"approach": "短"})
    assert r.status_code == 422 and "技术方案至少 10 个字" in r.text
    r = post_form(
        c,
        f"/provider/needs/{need.id}/respond",
        {"approach": "基于声发射与电流信号融合的模具磨损在线识别，边缘端部署。", "price_wan": "90"},
    )
    assert r.status_code == 303
    response_url = r.headers["location"]
    assert "已提交" in c.get(response_url).text
    c = login(enterprise_user)
    page = c.get(f"/enterprise/needs/{need.id}/responses").text
    assert "揭榜方案对比" in page and "选定为揭榜方" in page
    from market.responses.models import Response as Resp

    resp = session.scalar(select(Resp).where(Resp.need_id == need.id))
    assert resp is not None
    assert f'href="/responses/{resp.id}"' in page  # the proposal's own page, with its attachments
    r = post_form(c, f"/enterprise/responses/{resp.id}/decline", {"reason_code": "other", "reason_text": ""})
    assert r.status_code == 303  # back with a message; nothing declined
    session.refresh(resp)
    assert resp.status == "submitted"
    r = post_form(c, f"/enterprise/responses/{resp.id}/select")
    assert r.status_code == 303 and r.headers["location"].startswith("/deals/")
    deal_url = r.headers["location"]
    assert c.get(deal_url).status_code == 200
    r = post_form(c, f"{deal_url}/advance", {"stage": "intent"})
    assert r.status_code == 303
    r = post_form(c, f"{deal_url}/advance", {"stage": "signed"})
    assert r.status_code == 422 and "须填写合同金额" in r.text
    r = post_form(
        c,
        f"{deal_url}/advance",
        {"stage": "signed", "contract_amount_wan": "88", "signed_on": dt.date.today().isoformat()},
    )
    assert r.status_code == 303
    session.refresh(need)
    assert need.status == "contracted"
    # The bureau sees it on the board; another enterprise does not see the deal at all.
    c = login(bureau_user)
    assert need.title in c.get("/bureau/deals").text


def test_deal_hidden_from_outsiders(
    login, session: Session, enterprise_user: User, other_enterprise_user: User, provider_user: User
) -> None:
    from market.responses.schemas import ResponseCreate

    need = factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="published")
    resp = flows.submit_response(session, provider_user, need.id, ResponseCreate(approach="一个足够长的技术方案描述文字"))
    _, deal = flows.select_response(session, enterprise_user, resp.id)
    session.flush()
    c = login(other_enterprise_user)
    r = c.get(f"/deals/{deal.id}")
    assert r.status_code == 404 and "页面不存在" in r.text


def test_the_deal_form_marks_each_field_with_the_stages_it_belongs_to(
    login, session: Session, enterprise_user: User, provider_user: User
) -> None:
    import re

    from market.responses.schemas import ResponseCreate

    need = factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="published")
    resp = flows.submit_response(session, provider_user, need.id, ResponseCreate(approach="一个足够长的技术方案描述文字"))
    _, deal = flows.select_response(session, enterprise_user, resp.id)
    session.flush()
    page = login(enterprise_user).get(f"/deals/{deal.id}").text
    assert "data-stage-form" in page
    stages = {m.group(2): m.group(1).split() for m in re.finditer(r'data-for-stages="([^"]*)"><div class="field[^"]*" id="field-(\w+)"', page)}
    assert stages["contract_amount_wan"] == ["signed"] and stages["signed_on"] == ["signed"]
    assert stages["failure_reason"] == ["failed"] and sorted(stages["outcome"]) == ["accepted", "converted"]
    assert stages["converted_on"] == ["converted"] and stages["accepted_on"] == ["accepted"]


def test_deal_breadcrumb_leads_each_side_home(
    login, session: Session, enterprise_user: User, provider_user: User, bureau_user: User
) -> None:
    """The way back depends on the viewer's side of this deal (decided in the page, not the template);
    no page names the deal by its record number."""
    need = factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="published")
    proposal = flows.submit_response(
        session, provider_user, need.id, ResponseCreate(approach="基于声发射与电流信号融合的模具磨损在线识别方案。", price_wan=60)
    )
    _, deal = flows.select_response(session, enterprise_user, proposal.id)
    session.flush()
    for user, home in ((enterprise_user, '<a href="/enterprise">我的需求</a>'), (provider_user, '<a href="/provider">揭榜工作台</a>'),
                       (bureau_user, '<a href="/bureau/deals">对接跟踪</a>')):  # fmt: skip
        page = login(user).get(f"/deals/{deal.id}").text
        assert f'<p class="breadcrumb">{home} / 对接项目</p>' in page, user.email
        assert f"#{deal.id}" not in page
