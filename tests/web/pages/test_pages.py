"""Page tests: each page renders for the right user, the Chinese 403/404 page for the wrong one,
form errors next to the field in Chinese, and CSRF enforced on cookie-authenticated writes."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from market.needs.models import Need
from market.orgs.models import Organisation, User
from tests import factories
from tests.web.pages.conftest import CSRF, post_form


def _need_form(**overrides: object) -> dict[str, object]:
    data = factories.need_fields(**overrides)
    data["anonymous"] = "on" if data.pop("anonymous") else ""
    return {k: ("" if v is None else v) for k, v in data.items()}


# --- public -----------------------------------------------------------------------------------


def test_public_pages_render_in_chinese(
    client: TestClient, session: Session, enterprise_org: Organisation, provider_org: Organisation
) -> None:
    need = factories.create_need(
        session, org=enterprise_org, status="published", title="冲压模具在线磨损监测系统研发"
    )
    factories.create_need(session, org=enterprise_org, status="draft", title="尚未提交的草稿需求标题")
    for url in ("/", "/needs", "/providers", f"/providers/{provider_org.id}", "/login", "/register"):
        r = client.get(url)
        assert r.status_code == 200, url
        assert '<html lang="zh-CN">' in r.text
        assert "/vendor/htmx/htmx.min.js" in r.text and "cdn" not in r.text.lower()
    listing = client.get("/needs").text
    assert "冲压模具在线磨损监测系统研发" in listing
    assert "尚未提交的草稿需求标题" not in listing
    # Without Meilisearch the list says it fell back to the database.
    assert "搜索服务暂时不可用" in listing
    page = client.get(f"/needs/{need.id}")
    assert page.status_code == 200 and "登录查看" in page.text
    assert "0573-88888888" not in page.text  # details stay hidden from anonymous visitors


def test_need_list_filters_and_query_in_fallback(
    client: TestClient, session: Session, enterprise_org: Organisation
) -> None:
    factories.create_need(
        session,
        org=enterprise_org,
        status="published",
        title="余热回收系统节能改造",
        track="green",
        county="海宁市",
    )
    factories.create_need(
        session, org=enterprise_org, status="published", title="视觉检测系统缺陷识别", track="digital"
    )
    r = client.get("/needs", params={"q": "余热"})
    assert "余热回收系统节能改造" in r.text and "视觉检测系统缺陷识别" not in r.text
    r = client.get("/needs", params={"track": "digital"})
    assert "视觉检测系统缺陷识别" in r.text and "余热回收系统节能改造" not in r.text


def test_unpublished_need_is_a_chinese_404_and_unknown_page_too(
    client: TestClient, session: Session, enterprise_org: Organisation
) -> None:
    draft = factories.create_need(session, org=enterprise_org, status="draft")
    r = client.get(f"/needs/{draft.id}")
    assert r.status_code == 404 and "页面不存在" in r.text and "需求不存在" in r.text
    assert "Traceback" not in r.text
    r = client.get("/no-such-page")
    assert r.status_code == 404 and "返回首页" in r.text


def test_provider_sees_details_after_accepting_nda_terms(
    client: TestClient, login, session: Session, enterprise_org: Organisation, provider_user: User
) -> None:
    need = factories.create_need(
        session, org=enterprise_org, status="published", disclosure="nda", confidentiality_terms="不得外传"
    )
    c = login(provider_user)
    page = c.get(f"/needs/{need.id}").text
    assert "接受保密承诺并查看详情" in page and "0573-88888888" not in page
    r = post_form(c, f"/needs/{need.id}/accept-terms", {"agree": "on"})
    assert r.status_code == 303
    page = c.get(f"/needs/{need.id}").text
    assert "0573-88888888" in page and "我要揭榜" in page


# --- auth -------------------------------------------------------------------------------------


def test_login_sets_httponly_session_and_csrf_cookies(
    client: TestClient, session: Session, enterprise_user: User
) -> None:
    page = client.get("/login").text
    csrf = client.cookies.get("jiebang_csrf")
    assert csrf
    assert f'name="csrf_token" value="{csrf}"' in page  # the form carries the double-submit token
    r = client.post(
        "/login",
        data={"email": enterprise_user.email, "password": factories.PASSWORD, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/enterprise"
    cookies = r.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith("jiebang_session="))
    assert "HttpOnly" in session_cookie and "samesite=lax" in session_cookie.lower()
    assert any(c.startswith("jiebang_csrf=") for c in cookies)
    assert client.get("/enterprise").status_code == 200


def test_login_errors_are_chinese_and_next_to_the_field(client: TestClient, enterprise_user: User) -> None:
    client.get("/login")
    csrf = client.cookies.get("jiebang_csrf")
    r = client.post(
        "/login", data={"email": enterprise_user.email, "password": "wrong-password", "csrf_token": csrf}
    )
    assert r.status_code == 401
    assert 'id="password-error"' in r.text and "邮箱或密码错误" in r.text
    r = client.post("/login", data={"email": "", "password": "", "csrf_token": csrf})
    assert r.status_code == 422 and "请输入邮箱" in r.text and "请输入密码" in r.text


def test_login_without_csrf_is_refused(client: TestClient, enterprise_user: User) -> None:
    r = client.post(
        "/login",
        data={"email": enterprise_user.email, "password": factories.PASSWORD},
        follow_redirects=False,
    )
    assert r.status_code == 403 and "页面已过期" in r.text
    assert "jiebang_session" not in r.headers.get("set-cookie", "")


def test_register_shows_field_errors_in_chinese(client: TestClient) -> None:
    client.get("/register")
    csrf = client.cookies.get("jiebang_csrf")
    r = client.post(
        "/register",
        data={
            "org_name": "嘉",
            "org_kind": "enterprise",
            "county": "杭州市",
            "email": "not-an-email",
            "display_name": "张工",
            "password": "short",
            "password2": "other",
            "csrf_token": csrf,
        },
    )
    assert r.status_code == 422
    assert 'id="org_name-error"' in r.text and "内容过短" in r.text
    assert 'id="email-error"' in r.text and "邮箱格式不正确" in r.text
    assert 'id="county-error"' in r.text and "县（市、区）须为" in r.text
    assert "两次输入的密码不一致" in r.text


def test_register_creates_org_and_signs_in(client: TestClient, session: Session) -> None:
    client.get("/register")
    csrf = client.cookies.get("jiebang_csrf")
    r = client.post(
        "/register",
        data={
            "org_name": "嘉兴页面测试机械有限公司",
            "org_kind": "enterprise",
            "county": "南湖区",
            "industry": "装备制造",
            "email": "page-reg@test.jiebang.cn",
            "display_name": "李工",
            "password": "Passw0rd!x",
            "password2": "Passw0rd!x",
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/enterprise"
    org = session.scalar(select(Organisation).where(Organisation.name == "嘉兴页面测试机械有限公司"))
    assert org is not None and org.verification == "pending"
    page = client.get("/enterprise").text
    assert "待认证" in page


def test_logout_requires_csrf_and_revokes(login, enterprise_user: User) -> None:
    c = login(enterprise_user)
    r = post_form(c, "/logout", csrf=False)
    assert r.status_code == 403 and "CSRF" in r.text
    r = post_form(c, "/logout")
    assert r.status_code == 303
    c.cookies.set("jiebang_session", c.cookies.get("jiebang_session") or "")
    assert c.get("/enterprise", follow_redirects=False).status_code == 303


def test_signed_out_visitor_is_sent_to_login(client: TestClient) -> None:
    r = client.get("/enterprise/needs/new", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/enterprise/needs/new")


# --- enterprise ---------------------------------------------------------------------------------


def test_enterprise_posts_need_and_submits(login, session: Session, enterprise_user: User) -> None:
    c = login(enterprise_user)
    assert c.get("/enterprise/needs/new").status_code == 200
    r = post_form(c, "/enterprise/needs", {**_need_form(), "then": "submit"})
    assert r.status_code == 303
    need = session.scalar(select(Need).where(Need.org_id == enterprise_user.org_id).order_by(Need.id.desc()))
    assert need is not None and need.status == "submitted"
    page = c.get(f"/enterprise/needs/{need.id}").text
    assert "待审核" in page and "状态记录" in page


def test_need_form_errors_are_chinese_next_to_fields_and_nothing_saved(
    login, session: Session, enterprise_user: User
) -> None:
    c = login(enterprise_user)
    before = session.scalar(select(Need.id).order_by(Need.id.desc()))
    r = post_form(
        c,
        "/enterprise/needs",
        _need_form(title="短", county="杭州市", budget_min_wan=200, budget_max_wan=100, contact_phone="abc"),
    )
    assert r.status_code == 422
    assert 'id="title-error"' in r.text and "内容过短" in r.text
    assert 'id="county-error"' in r.text and "县（市、区）须为" in r.text
    assert 'id="contact_phone-error"' in r.text and "格式不正确" in r.text
    assert 'value="短"' in r.text  # what was typed stays
    assert session.scalar(select(Need.id).order_by(Need.id.desc())) == before


def test_live_validation_and_duplicate_hint(
    login, session: Session, enterprise_user: User, other_enterprise_user: User
) -> None:
    factories.create_need(
        session, org=other_enterprise_user.org, status="published", title="冲压模具在线磨损监测与寿命预测"
    )
    c = login(enterprise_user)
    r = post_form(
        c,
        "/enterprise/needs/validate",
        {**_need_form(title="短"), "_field": "title"},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200 and "内容过短" in r.text
    r = post_form(
        c, "/enterprise/needs/validate", {**_need_form(), "_field": "title"}, headers={"HX-Request": "true"}
    )
    assert r.status_code == 200 and r.text == ""
    r = post_form(c, "/enterprise/needs/duplicates", _need_form(), headers={"HX-Request": "true"})
    assert "平台上已有相近的需求" in r.text and "冲压模具在线磨损监测与寿命预测" in r.text


def test_csrf_enforced_on_cookie_posts(login, session: Session, enterprise_user: User) -> None:
    c = login(enterprise_user)
    r = post_form(c, "/enterprise/needs", _need_form(), csrf=False)
    assert r.status_code == 403 and "CSRF" in r.text
    r = c.post("/enterprise/needs", data={**_need_form(), "csrf_token": "forged"}, follow_redirects=False)
    assert r.status_code == 403
    # The header form of the token (what htmx sends) is accepted.
    r = c.post("/enterprise/needs", data=_need_form(), headers={"X-CSRF-Token": CSRF}, follow_redirects=False)
    assert r.status_code == 303


def test_edit_only_by_owner_and_other_roles_get_403(
    login, session: Session, enterprise_user: User, other_enterprise_user: User, provider_user: User
) -> None:
    need = factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="draft")
    c = login(other_enterprise_user)
    r = c.get(f"/enterprise/needs/{need.id}/edit")
    assert r.status_code == 404  # another enterprise's draft does not exist for it
    c = login(provider_user)
    r = c.get("/enterprise/needs/new")
    assert r.status_code == 403 and "无权访问" in r.text and "仅限企业用户" in r.text
    c = login(enterprise_user)
    assert c.get(f"/enterprise/needs/{need.id}/edit").status_code == 200
    r = post_form(
        c,
        f"/enterprise/needs/{need.id}/edit",
        {**_need_form(title="修改后的冲压模具监测需求"), "then": "save"},
    )
    assert r.status_code == 303
    session.refresh(need)
    assert need.title == "修改后的冲压模具监测需求"


def test_refine_together_bureau_suggests_enterprise_accepts(
    login, session: Session, enterprise_user: User, bureau_user: User
) -> None:
    need = factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="submitted")
    c = login(bureau_user)
    assert c.get(f"/bureau/review/{need.id}").status_code == 200
    r = post_form(c, f"/bureau/review/{need.id}/comment", {"body": ""})
    assert r.status_code == 422 and "请填写意见内容" in r.text
    r = post_form(
        c,
        f"/bureau/review/{need.id}/comment",
        {"body": "指标请量化", "suggest_indicators": "识别准确率≥97%，误报率≤2%"},
    )
    assert r.status_code == 303
    r = post_form(
        c, f"/bureau/review/{need.id}/decide", {"action": "return", "reason_code": "", "reason_text": ""}
    )
    assert r.status_code == 422 and "原因须为" in r.text
    r = post_form(
        c,
        f"/bureau/review/{need.id}/decide",
        {"action": "return", "reason_code": "indicators_unclear", "reason_text": "请量化"},
    )
    assert r.status_code == 303
    c = login(enterprise_user)
    page = c.get(f"/enterprise/needs/{need.id}").text
    assert "退回修改" in page and "采纳此建议" in page
    from market.needs.models import NeedComment

    comment = session.scalar(select(NeedComment).where(NeedComment.need_id == need.id))
    assert comment is not None
    r = post_form(c, f"/enterprise/needs/{need.id}/comments/{comment.id}/accept")
    assert r.status_code == 303
    session.refresh(need)
    assert need.indicators == "识别准确率≥97%，误报率≤2%"


# --- bureau -------------------------------------------------------------------------------------


def test_bureau_pages_render_and_are_forbidden_to_others(
    login, session: Session, bureau_user: User, enterprise_user: User
) -> None:
    c = login(bureau_user)
    for url in (
        "/bureau",
        "/bureau/batches",
        "/bureau/orgs",
        "/bureau/deals",
        "/bureau/recognitions",
        "/dashboard",
        "/dashboard/report",
    ):
        r = c.get(url)
        assert r.status_code == 200, (url, r.text[:500])
    c = login(enterprise_user)
    for url in ("/bureau", "/bureau/batches", "/bureau/orgs", "/dashboard"):
        r = c.get(url)
        assert r.status_code == 403 and "仅限科技局" in r.text, url


def test_bureau_verifies_org_approves_and_publishes_batch(login, session: Session, bureau_user: User) -> None:
    org = factories.create_org(session, kind="enterprise", verified=False, name="待认证的页面测试企业")
    user = factories.create_user(session, org)
    c = login(bureau_user)
    assert "待认证的页面测试企业" in c.get("/bureau/orgs").text
    r = post_form(c, f"/bureau/orgs/{org.id}/verify", {"decision": "rejected", "note": ""})
    assert r.status_code == 303 and org.verification == "pending"
    assert post_form(c, f"/bureau/orgs/{org.id}/verify", {"decision": "verified"}).status_code == 303
    session.refresh(org)
    assert org.verification == "verified"
    need = factories.create_need(session, org=org, user=user, status="submitted")
    assert post_form(c, f"/bureau/review/{need.id}/decide", {"action": "approve"}).status_code == 303
    r = post_form(c, "/bureau/batches", {"year": "2026"})
    batch_url = r.headers["location"]
    assert c.get(batch_url).status_code == 200
    assert post_form(c, f"{batch_url}/needs", {"need_ids": str(need.id)}).status_code == 303
    assert post_form(c, f"{batch_url}/publish").status_code == 303
    session.refresh(need)
    assert need.status == "published"
    assert "已发布" in c.get(batch_url).text


def test_dashboard_target_form_and_figures(login, session: Session, bureau_user: User) -> None:
    c = login(bureau_user)
    year = dt.date.today().year
    r = post_form(
        c, "/dashboard/targets", {"metric": "needs_published", "year": str(year), "value": "", "county": ""}
    )
    assert r.status_code == 303
    assert "目标未保存" in c.get(r.headers["location"]).text
    r = post_form(
        c, "/dashboard/targets", {"metric": "needs_published", "year": str(year), "value": "50", "county": ""}
    )
    assert r.status_code == 303
    page = c.get(f"/dashboard?year={year}").text
    assert "各县（市、区）赛马" in page and "/vendor/echarts/echarts.min.js" in page and "data-chart" in page
    report = c.get(f"/dashboard/report?year={year}").text
    assert "晾晒通报" in report and "目标完成总览" in report


# --- provider -----------------------------------------------------------------------------------


def test_provider_profile_editor_saves_and_shows_errors(login, session: Session, provider_user: User) -> None:
    c = login(provider_user)
    assert c.get("/provider/profile").status_code == 200
    r = post_form(
        c,
        "/provider/profile",
        {
            "fields": "机器视觉、工业互联网",
            "summary": "视觉检测",
            "typical_deal_min_wan": "100",
            "typical_deal_max_wan": "10",
            "track_record": "3",
            "item_kind": "patent",
            "item_title": "一种模具磨损检测方法",
            "item_description": "",
            "item_year": "2024",
        },
    )
    assert r.status_code == 422 and "典型合作规模上限不能小于下限" in r.text
    r = post_form(
        c,
        "/provider/profile",
        {
            "fields": "机器视觉、工业互联网",
            "summary": "视觉检测",
            "typical_deal_min_wan": "10",
            "typical_deal_max_wan": "100",
            "track_record": "3",
            "industries": "汽车制造",
            "tracks": "digital",
            "item_kind": "patent",
            "item_title": "一种模具磨损检测方法",
            "item_description": "",
            "item_year": "2024",
        },
    )
    assert r.status_code == 303
    page = c.get(f"/providers/{provider_user.org_id}").text
    assert "一种模具磨损检测方法" in page and "机器视觉" in page


def test_provider_pages_and_saved_search(
    login, session: Session, provider_user: User, enterprise_user: User
) -> None:
    c = login(provider_user)
    page = c.get("/provider").text
    assert "为您推荐的需求" in page and "推荐服务暂时不可用" in page  # no Meilisearch in this test
    r = post_form(c, "/provider/saved-searches", {"name": "", "query": "模具"})
    assert r.status_code == 422 and 'id="name-error"' in r.text
    r = post_form(
        c,
        "/provider/saved-searches",
        {"name": "模具监测", "query": "模具", "industry": "汽车制造", "notify": "on"},
    )
    assert r.status_code == 303
    assert "模具监测" in c.get("/provider/saved-searches").text
    c = login(enterprise_user)
    assert c.get("/provider").status_code == 403


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
    from market.responses import service as rs
    from market.responses.schemas import ResponseCreate

    need = factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="published")
    resp = rs.submit(session, provider_user, need.id, ResponseCreate(approach="一个足够长的技术方案描述文字"))
    _, deal = rs.select_response(session, enterprise_user, resp.id)
    session.flush()
    c = login(other_enterprise_user)
    r = c.get(f"/deals/{deal.id}")
    assert r.status_code == 404 and "页面不存在" in r.text


# --- notifications --------------------------------------------------------------------------------


def test_notifications_list_and_open(login, session: Session, enterprise_user: User) -> None:
    from market.notifications import service as notify

    notify.notify_users(session, [enterprise_user.id], "test", "测试通知标题", "正文", "/enterprise")
    session.flush()
    c = login(enterprise_user)
    page = c.get("/notifications").text
    assert "测试通知标题" in page
    assert "badge-alert" in c.get("/").text
    from market.notifications.models import Notification

    n = session.scalar(select(Notification).where(Notification.user_id == enterprise_user.id))
    assert n is not None
    r = post_form(c, f"/notifications/{n.id}/open")
    assert r.status_code == 303 and r.headers["location"] == "/enterprise"


@pytest.mark.parametrize("url", ["/notifications", "/provider", "/enterprise", "/dashboard"])
def test_pages_need_sign_in(client: TestClient, url: str) -> None:
    r = client.get(url, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_unexpected_error_is_a_friendly_500_without_stack_trace(app) -> None:  # type: ignore[no-untyped-def]
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    app.add_api_route("/boom-page", boom)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom-page")
    assert r.status_code == 500
    assert "系统出错了" in r.text and "secret internal detail" not in r.text and "Traceback" not in r.text


def test_expert_scores_an_assigned_need(
    login, session: Session, enterprise_user: User, bureau_user: User, expert_user: User
) -> None:
    need = factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="submitted")
    c = login(bureau_user)
    assert (
        post_form(c, f"/bureau/review/{need.id}/experts", {"expert_id": str(expert_user.id)}).status_code
        == 303
    )
    # Approval waits for the expert: the reviewer is told why, on the page.
    r = post_form(c, f"/bureau/review/{need.id}/decide", {"action": "approve"})
    assert r.status_code == 303 and r.headers["location"] == f"/bureau/review/{need.id}"
    assert "专家未完成评分" in c.get(r.headers["location"]).text
    c = login(expert_user)
    assert need.title in c.get("/expert").text
    r = post_form(c, f"/expert/needs/{need.id}", {"score_industry_impact": "80", "score_research_basis": "x"})
    assert r.status_code == 422 and "请填写 0–100 的整数" in r.text
    scores = {
        f"score_{k}": "80"
        for k in ("industry_impact", "research_basis", "technical_indicators", "financial_indicators")
    }
    assert post_form(c, f"/expert/needs/{need.id}", scores).status_code == 303
    c = login(bureau_user)
    assert (
        post_form(c, f"/bureau/review/{need.id}/decide", {"action": "approve"}).headers["location"]
        == "/bureau"
    )
    c = login(enterprise_user)
    assert c.get("/expert").status_code == 403
