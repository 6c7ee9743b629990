"""Need pages: the public list and page, the enterprise's form and management, review and scoring."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from market.needs.models import Need
from market.orgs.models import Organisation, User
from tests import factories
from tests.web.pages.conftest import need_form, post_form


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


def test_enterprise_posts_need_and_submits(login, session: Session, enterprise_user: User) -> None:
    c = login(enterprise_user)
    assert c.get("/enterprise/needs/new").status_code == 200
    r = post_form(c, "/enterprise/needs", {**need_form(), "then": "submit"})
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
        need_form(title="短", county="杭州市", budget_min_wan=200, budget_max_wan=100, contact_phone="abc"),
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
        {**need_form(title="短"), "_field": "title"},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200 and "内容过短" in r.text
    r = post_form(
        c, "/enterprise/needs/validate", {**need_form(), "_field": "title"}, headers={"HX-Request": "true"}
    )
    assert r.status_code == 200 and r.text == ""
    r = post_form(c, "/enterprise/needs/duplicates", need_form(), headers={"HX-Request": "true"})
    assert "平台上已有相近的需求" in r.text and "冲压模具在线磨损监测与寿命预测" in r.text


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
        {**need_form(title="修改后的冲压模具监测需求"), "then": "save"},
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
    assert r.status_code == 422 and "请从列表中选择原因" in r.text
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
    # Every problem at once, next to its field: a score out of range, an empty one, a comment too long.
    r = post_form(
        c,
        f"/expert/needs/{need.id}",
        {
            "score_industry_impact": "150",
            "score_research_basis": "70",
            "score_technical_indicators": "",
            "score_financial_indicators": "60",
            "comment": "长" * 2001,
        },
    )
    assert r.status_code == 422
    import re

    def field_error(field: str) -> str:
        m = re.search(rf'id="{field}-error"[^>]*>(.*?)</', r.text, re.S)
        return m.group(1) if m else ""

    assert field_error("score_industry_impact") == "请填写 0–100 的整数"
    assert field_error("score_technical_indicators") == "请填写技术指标"
    assert field_error("comment") == "内容过长（上限 2000 字）"
    assert field_error("score_research_basis") == ""
    scores = {
        f"score_{k}": "80"
        for k in ("industry_impact", "research_basis", "technical_indicators", "financial_indicators")
    }
    assert post_form(c, f"/expert/needs/{need.id}", scores).status_code == 303
    c = login(bureau_user)
    # One expert is not enough: at least two must have scored (office setting).
    r = post_form(c, f"/bureau/review/{need.id}/decide", {"action": "approve"})
    assert "须至少 2 位专家完成评分" in c.get(r.headers["location"]).text
    factories.scored_by_experts(session, need, 1)
    assert (
        post_form(c, f"/bureau/review/{need.id}/decide", {"action": "approve"}).headers["location"]
        == "/bureau"
    )
    c = login(enterprise_user)
    assert c.get("/expert").status_code == 403


def test_need_list_pages_stop_at_a_bounded_depth(
    client: TestClient, session: Session, enterprise_org: Organisation, monkeypatch
) -> None:
    import web.pages.needs as needs_pages

    monkeypatch.setattr(needs_pages, "MAX_LIST_PAGES", 2)
    for i in range(25):
        factories.create_need(session, org=enterprise_org, status="published", title=f"分页深度测试需求{i:02d}")
    session.commit()
    r = client.get("/needs", params={"page": "3", "sort": "newest"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("page=2") and "sort=newest" in r.headers["location"]
    page = client.get("/needs", params={"page": "2"})
    assert page.status_code == 200
    assert "第 2 / 2 页" in page.text
    assert "按页只列出前 20 项" in page.text
    # Newest first: the last created is on page 1, the oldest beyond the bound.
    assert "分页深度测试需求24" in client.get("/needs").text
    assert "分页深度测试需求00" not in page.text
