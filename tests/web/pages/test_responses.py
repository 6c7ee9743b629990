"""Proposal pages: attachments on the response page (upload by the responder while the proposal is
open, download through the response's viewing rule) and experts scoring the proposals of the needs
assigned to them (recusal and closed proposals answered with the service's Chinese message)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market.attachments.models import Attachment
from market.needs.models import ExpertAssignment, Need
from market.orgs.models import Role, User
from market.responses import service as rs
from market.responses.models import Response, ResponseScore
from market.responses.schemas import ResponseCreate
from tests import factories
from tests.web.pages.conftest import post_form
from web.runtime import Runtime

Login = Callable[[User], TestClient]
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
SCORES = {"industry_impact": 80, "research_basis": 70, "technical_indicators": 90, "financial_indicators": 60}


def _proposal(session: Session, enterprise_user: User, provider_user: User) -> tuple[Need, Response]:
    need = factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="published")
    response = rs.submit(
        session, provider_user, need.id, ResponseCreate(approach="基于声发射与电流信号融合的模具磨损在线识别，边缘端部署。")
    )
    session.flush()
    return need, response


def _upload(c: TestClient, response: Response, name: str, data: bytes, ctype: str = "application/pdf"):  # type: ignore[no-untyped-def]
    return post_form(c, f"/provider/responses/{response.id}/attachments", files={"file": (name, data, ctype)})


def _stored(session: Session, response: Response) -> int:
    return session.scalar(
        select(func.count()).select_from(Attachment).where(Attachment.owner_type == "response", Attachment.owner_id == response.id)
    ) or 0


def _assign(session: Session, need: Need, expert: User, bureau_user: User) -> None:
    session.add(ExpertAssignment(need_id=need.id, expert_id=expert.id, assigned_by=bureau_user.id))
    session.flush()


def _score_form(scores: dict[str, object], comment: str = "") -> dict[str, object]:
    return {f"score_{k}": str(v) for k, v in scores.items()} | {"comment": comment}


def _scores_of(session: Session, response: Response) -> list[ResponseScore]:
    session.expire_all()
    return list(session.scalars(select(ResponseScore).where(ResponseScore.response_id == response.id)))


# --- attachments --------------------------------------------------------------------------------


def test_responder_uploads_and_the_need_owner_downloads_the_same_bytes(
    login: Login, session: Session, enterprise_user: User, provider_user: User, bureau_user: User
) -> None:
    _, response = _proposal(session, enterprise_user, provider_user)
    c = login(provider_user)
    page = c.get(f"/provider/responses/{response.id}").text
    assert "方案附件（0）" in page and 'enctype="multipart/form-data"' in page and "上传附件" in page
    r = _upload(c, response, "技术方案书.pdf", PDF)
    assert r.status_code == 303 and r.headers["location"].endswith("#attachments")
    att = session.scalar(select(Attachment).where(Attachment.owner_type == "response", Attachment.owner_id == response.id))
    assert att is not None
    link = f"/responses/{response.id}/attachments/{att.id}"
    page = c.get(f"/provider/responses/{response.id}").text
    assert "方案附件（1）" in page and "技术方案书.pdf" in page and link in page and "附件「技术方案书.pdf」已上传" in page

    got = c.get(link)
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert "attachment;" in got.headers["content-disposition"] and got.headers["x-content-type-options"] == "nosniff"

    for viewer in (enterprise_user, bureau_user):
        c = login(viewer)
        page = c.get(f"/provider/responses/{response.id}").text
        assert link in page and "上传附件" not in page  # only the responder uploads
        got = c.get(link)
        assert got.status_code == 200 and got.content == PDF


def test_outsiders_get_no_attachment_and_cannot_upload(
    login: Login,
    session: Session,
    enterprise_user: User,
    other_enterprise_user: User,
    provider_user: User,
    other_provider_user: User,
) -> None:
    _, response = _proposal(session, enterprise_user, provider_user)
    _upload(login(provider_user), response, "方案.pdf", PDF)
    att = session.scalar(select(Attachment).where(Attachment.owner_type == "response", Attachment.owner_id == response.id))
    assert att is not None
    link = f"/responses/{response.id}/attachments/{att.id}"

    for outsider in (other_provider_user, other_enterprise_user):
        c = login(outsider)
        got = c.get(link)
        assert got.status_code in (403, 404) and PDF not in got.content and "页面不存在" in got.text
        assert c.get(f"/provider/responses/{response.id}").status_code == 404
    # Another provider cannot attach to someone else's proposal; the need's enterprise is no provider.
    assert _upload(login(other_provider_user), response, "冒名.pdf", PDF).status_code == 404
    assert _upload(login(enterprise_user), response, "企业.pdf", PDF).status_code == 403
    # An attachment id of another response does not open through this response's link.
    _, other = _proposal(session, other_enterprise_user, other_provider_user)
    assert login(other_provider_user).get(f"/responses/{other.id}/attachments/{att.id}").status_code == 404
    assert _stored(session, response) == 1
    # Signed-out visitors are sent to the login page.
    c = login(provider_user)
    c.cookies.clear()
    r = c.get(link, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_refused_uploads_show_the_chinese_reason_and_store_nothing(
    login: Login,
    session: Session,
    enterprise_user: User,
    provider_user: User,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, response = _proposal(session, enterprise_user, provider_user)
    c = login(provider_user)
    monkeypatch.setattr(runtime.settings.limits, "max_upload_bytes", 1024)

    r = _upload(c, response, "大文件.pdf", PDF + b"0" * 2048)
    assert r.status_code == 422 and "文件过大" in r.text and 'id="file-error"' in r.text
    r = _upload(c, response, "run.exe", b"MZ\x90\x00" + b"\x00" * 64, "application/octet-stream")
    assert r.status_code == 422 and "不支持的文件类型" in r.text
    r = _upload(c, response, "报价.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    assert r.status_code == 422 and "文件内容与扩展名不符" in r.text
    r = post_form(c, f"/provider/responses/{response.id}/attachments")
    assert r.status_code == 422 and "请选择要上传的文件" in r.text
    assert _stored(session, response) == 0

    rs.withdraw(session, provider_user, response.id, "团队调整")
    session.flush()
    r = _upload(c, response, "方案.pdf", PDF)
    assert r.status_code == 409 and "不能再上传附件" in r.text and 'enctype="multipart/form-data"' not in r.text
    assert _stored(session, response) == 0


def test_upload_without_csrf_is_refused(login: Login, session: Session, enterprise_user: User, provider_user: User) -> None:
    _, response = _proposal(session, enterprise_user, provider_user)
    c = login(provider_user)
    r = c.post(
        f"/provider/responses/{response.id}/attachments",
        files={"file": ("方案.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert r.status_code == 403 and "CSRF" in r.text
    assert _stored(session, response) == 0


# --- expert scoring --------------------------------------------------------------------------------


def test_assigned_expert_scores_a_proposal_and_sees_the_stored_scores(
    login: Login, session: Session, enterprise_user: User, provider_user: User, expert_user: User, bureau_user: User
) -> None:
    need, response = _proposal(session, enterprise_user, provider_user)
    _assign(session, need, expert_user, bureau_user)
    c = login(expert_user)
    assert f'href="/expert/needs/{need.id}#proposals">1 个' in c.get("/expert").text
    listing = c.get(f"/expert/needs/{need.id}").text
    assert "揭榜方案评审（1）" in listing and provider_user.org.name in listing
    assert f"/expert/responses/{response.id}" in listing and "去评分" in listing

    page = c.get(f"/expert/responses/{response.id}")
    assert page.status_code == 200 and "基于声发射与电流信号融合" in page.text and "提交评分" in page.text
    r = post_form(c, f"/expert/responses/{response.id}", _score_form(SCORES | {"research_basis": "x"}))
    assert r.status_code == 422 and "请填写 0–100 的整数" in r.text
    r = post_form(c, f"/expert/responses/{response.id}", _score_form(SCORES | {"research_basis": 101}))
    assert r.status_code == 422 and "分数须在 0–100 之间" in r.text
    assert _scores_of(session, response) == []

    r = post_form(c, f"/expert/responses/{response.id}", _score_form(SCORES, "方案可行"))
    assert r.status_code == 303 and r.headers["location"] == f"/expert/needs/{need.id}#proposals"
    [stored] = _scores_of(session, response)
    assert stored.scores == SCORES and stored.comment == "方案可行" and stored.expert_id == expert_user.id
    page = c.get(f"/expert/responses/{response.id}").text
    assert 'id="score_technical_indicators" name="score_technical_indicators" type="number" value="90"' in page
    assert "方案可行" in page and "再次提交将替换原评分" in page and "更新评分" in page
    assert "75.0（均分）" in c.get(f"/expert/needs/{need.id}").text

    # A resubmission replaces the scores; the form shows the current ones.
    changed = SCORES | {"financial_indicators": 100}
    assert post_form(c, f"/expert/responses/{response.id}", _score_form(changed, "补充意见")).status_code == 303
    [stored] = _scores_of(session, response)
    assert stored.scores == changed and stored.comment == "补充意见"
    page = c.get(f"/expert/responses/{response.id}").text
    assert 'name="score_financial_indicators" type="number" value="100"' in page and "补充意见" in page


def test_closed_proposal_is_not_scored(
    login: Login, session: Session, enterprise_user: User, provider_user: User, expert_user: User, bureau_user: User
) -> None:
    need, response = _proposal(session, enterprise_user, provider_user)
    _assign(session, need, expert_user, bureau_user)
    rs.withdraw(session, provider_user, response.id, "团队调整")
    session.flush()
    c = login(expert_user)
    assert "揭榜方案评审（0）" in c.get(f"/expert/needs/{need.id}").text
    page = c.get(f"/expert/responses/{response.id}").text
    assert "揭榜方案当前状态为「已撤回」，不能再打分" in page and 'name="score_industry_impact"' not in page
    r = post_form(c, f"/expert/responses/{response.id}", _score_form(SCORES))
    assert r.status_code == 409 and "揭榜方案当前状态为「已撤回」，不能再打分" in r.text
    assert _scores_of(session, response) == []


def test_recused_expert_gets_the_recusal_message_and_nothing_is_stored(
    login: Login, session: Session, enterprise_user: User, provider_user: User, bureau_user: User
) -> None:
    need, response = _proposal(session, enterprise_user, provider_user)
    colleague = factories.create_user(session, provider_user.org, roles=[Role.member.value, Role.expert.value])
    _assign(session, need, colleague, bureau_user)
    c = login(colleague)
    page = c.get(f"/expert/responses/{response.id}").text
    # The page offers no form the service would refuse, and says why.
    assert "专家与揭榜单位属于同一单位，须回避" in page and 'name="score_industry_impact"' not in page
    r = post_form(c, f"/expert/responses/{response.id}", _score_form(SCORES))
    assert r.status_code == 409 and "专家与揭榜单位属于同一单位，须回避" in r.text
    assert _scores_of(session, response) == []


def test_expert_not_assigned_to_the_need_is_refused(
    login: Login,
    session: Session,
    enterprise_user: User,
    provider_user: User,
    expert_user: User,
) -> None:
    need, response = _proposal(session, enterprise_user, provider_user)
    c = login(expert_user)
    assert c.get(f"/expert/responses/{response.id}").status_code == 404
    r = post_form(c, f"/expert/responses/{response.id}", _score_form(SCORES))
    assert r.status_code in (403, 404) and "页面不存在" in r.text
    assert c.get(f"/expert/needs/{need.id}").status_code == 404
    # An expert of the responding organisation may read the proposal, but it is not a review task.
    colleague = factories.create_user(session, provider_user.org, roles=[Role.member.value, Role.expert.value])
    c = login(colleague)
    assert c.get(f"/expert/responses/{response.id}").status_code == 404
    r = post_form(c, f"/expert/responses/{response.id}", _score_form(SCORES))
    assert r.status_code == 403 and "只有该需求的评审专家可以为揭榜方案打分" in r.text
    # Users without the expert role do not reach the scoring pages at all.
    c = login(enterprise_user)
    assert c.get(f"/expert/responses/{response.id}").status_code == 403
    assert _scores_of(session, response) == []
