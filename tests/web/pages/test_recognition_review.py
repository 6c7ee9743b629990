"""Recognition pages after the application: evidence files (with the form and on the detail page,
read by the applicant, the bureau and the assigned experts only), 专家评审 (assignment with
recusal, the expert's scoring page), 公示 (the public page, objections and the bureau's written
answer) and 认定 only after the notice."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market.attachments.models import Attachment
from market.audit.models import AuditEntry
from market.db import CST
from market.notifications.models import Notification
from market.orgs import service as org_service
from market.orgs.models import Role, User
from market.recognitions import service as rs
from market.recognitions.models import Recognition, RecognitionObjection
from market.recognitions.schemas import (
    ExpertScoreIn,
    RecognitionCreate,
    RecognitionRejection,
    RecognitionReview,
)
from tests import factories
from tests.web.pages.conftest import post_form
from tests.web.pages.test_recognitions import _form

PDF = b"%PDF-1.4 test\n%%EOF\n"
Login = Callable[[User], TestClient]


def _apply(session: Session, user: User, product: str = "智能集成灶") -> Recognition:
    rec = rs.apply(session, user, RecognitionCreate(product_name=product, category="equipment", level="provincial", year=2024))
    session.flush()
    return rec


def _field_error(html: str, field: str) -> str:
    m = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', html)
    return m.group(1) if m else ""


def _status(session: Session, rec_id: int) -> str:
    session.expire_all()  # the pages wrote through their own session
    return session.scalars(select(Recognition.status).where(Recognition.id == rec_id)).one()


def _recs(session: Session) -> int:
    return session.scalar(select(func.count(Recognition.id))) or 0


def test_files_sent_with_the_form_are_stored_with_the_application(login: Login, session: Session, enterprise_user: User) -> None:
    c = login(enterprise_user)
    r = post_form(c, "/enterprise/recognitions", _form(), files=[
        ("evidence_file", ("认定文件.pdf", PDF, "application/pdf")),
        ("evidence_file", ("检测报告.pdf", PDF, "application/pdf")),
    ])  # fmt: skip
    assert r.status_code == 303, r.text[:500]
    rec_id = int(r.headers["location"].rsplit("/", 1)[1])
    names = session.scalars(
        select(Attachment.filename).where(Attachment.owner_type == "recognition", Attachment.owner_id == rec_id).order_by(Attachment.id)
    ).all()
    assert names == ["认定文件.pdf", "检测报告.pdf"]
    page = c.get(f"/enterprise/recognitions/{rec_id}").text
    assert "认定文件.pdf" in page and f"/recognitions/{rec_id}/files/" in page


def test_a_refused_file_stores_neither_the_application_nor_any_file(login: Login, session: Session, enterprise_user: User) -> None:
    c = login(enterprise_user)
    before = _recs(session)
    r = post_form(c, "/enterprise/recognitions", _form(), files=[
        ("evidence_file", ("认定文件.pdf", PDF, "application/pdf")),
        ("evidence_file", ("脚本.pdf", b"<html><script>alert(1)</script>", "application/pdf")),
    ])  # fmt: skip
    assert r.status_code == 422
    assert "「脚本.pdf」" in _field_error(r.text, "evidence_file") and "不支持的文件类型" in _field_error(r.text, "evidence_file")
    assert 'value="新能源汽车电机壳高速压铸单元"' in r.text  # what was typed is kept
    assert _recs(session) == before
    assert session.scalar(select(func.count(Attachment.id)).where(Attachment.owner_type == "recognition")) == 0


def test_detail_upload_and_who_may_download(
    login: Login, session: Session, enterprise_user: User, other_enterprise_user: User, bureau_user: User, expert_user: User
) -> None:
    rec = _apply(session, enterprise_user)
    c = login(enterprise_user)
    r = post_form(c, f"/enterprise/recognitions/{rec.id}/files", files={"file": ("销售合同.pdf", PDF, "application/pdf")})
    assert r.status_code == 303
    bad = post_form(c, f"/enterprise/recognitions/{rec.id}/files", files={"file": ("空.pdf", b"", "application/pdf")})
    assert bad.status_code == 422 and _field_error(bad.text, "file") == "文件为空"
    att = session.scalars(select(Attachment).where(Attachment.owner_type == "recognition", Attachment.owner_id == rec.id)).one()
    url = f"/recognitions/{rec.id}/files/{att.id}"
    assert c.get(url).content == PDF
    assert "attachment" in c.get(url).headers["content-disposition"]
    assert login(bureau_user).get(url).status_code == 200
    assert login(expert_user).get(url).status_code == 404  # not (yet) assigned
    assert login(other_enterprise_user).get(url).status_code == 404
    rs.review(session, bureau_user, rec.id, RecognitionReview())
    rs.assign_expert(session, bureau_user, rec.id, expert_user.id)
    session.flush()
    assert login(expert_user).get(url).content == PDF
    # once decided, no more files
    rs.reject(session, bureau_user, rec.id, RecognitionRejection(reason="证明材料不足"))
    session.flush()
    page = login(enterprise_user).get(f"/enterprise/recognitions/{rec.id}").text
    assert f'action="/enterprise/recognitions/{rec.id}/files"' not in page
    c.cookies.clear()
    assert c.get(url, follow_redirects=False).status_code in (302, 303, 401)


def test_assignment_refuses_recused_experts_with_the_reason(
    login: Login, session: Session, enterprise_user: User, bureau_user: User, expert_user: User
) -> None:
    rec = _apply(session, enterprise_user)
    rs.review(session, bureau_user, rec.id, RecognitionReview())
    colleague_expert = factories.create_user(session, enterprise_user.org, roles=[Role.member.value, Role.expert.value])
    org_service.declare_conflict(session, expert_user, enterprise_user.org_id, "曾任该企业技术顾问")
    session.flush()
    c = login(bureau_user)
    page = c.get(f"/bureau/recognitions/{rec.id}").text
    assert "（须回避）" in page
    r = post_form(c, f"/bureau/recognitions/{rec.id}/experts", {"expert_id": colleague_expert.id})
    assert r.status_code == 409 and _field_error(r.text, "expert_id") == "专家与申报企业属于同一单位，须回避"
    r = post_form(c, f"/bureau/recognitions/{rec.id}/experts", {"expert_id": expert_user.id})
    assert r.status_code == 409 and _field_error(r.text, "expert_id") == "专家已申报与申报企业存在利益冲突，须回避"
    ok = factories.expert(session)
    assert post_form(c, f"/bureau/recognitions/{rec.id}/experts", {"expert_id": ok.id}).status_code == 303


def test_expert_scores_from_the_workbench_and_the_minimum_gates_the_notice(
    login: Login, session: Session, enterprise_user: User, bureau_user: User, expert_user: User
) -> None:
    rec = _apply(session, enterprise_user)
    rs.review(session, bureau_user, rec.id, RecognitionReview())
    rs.assign_expert(session, bureau_user, rec.id, expert_user.id)
    session.flush()
    c = login(expert_user)
    bench = c.get("/expert").text
    assert "认定申报评审" in bench and f"/expert/recognitions/{rec.id}" in bench and "待评分" in bench
    bad = post_form(c, f"/expert/recognitions/{rec.id}", {"score": "120", "comment": ""})
    assert bad.status_code == 422
    assert _field_error(bad.text, "score") == "请填写 0–100 的整数评分" and _field_error(bad.text, "comment")
    assert post_form(c, f"/expert/recognitions/{rec.id}", {"score": "86", "comment": "国内首创，指标先进"}).status_code == 303
    assert "已评分 86" in c.get("/expert").text
    # one expert scored, the office asks for two
    b = login(bureau_user)
    page = b.get(f"/bureau/recognitions/{rec.id}").text
    assert "国内首创，指标先进" in page and 'value="finish_review"' not in page
    assert "须至少 2 位专家完成评分" in page
    r = post_form(b, f"/bureau/recognitions/{rec.id}/decide", {"action": "finish_review"})
    assert r.status_code == 303
    assert _status(session, rec.id) == "reviewed"
    second = factories.expert(session)
    rs.assign_expert(session, bureau_user, rec.id, second.id)
    rs.submit_score(session, second, rec.id, ExpertScoreIn(score=80, comment="同意"))
    session.flush()
    assert post_form(b, f"/bureau/recognitions/{rec.id}/decide", {"action": "finish_review"}).status_code == 303
    assert _status(session, rec.id) == "scored"
    # the expert may no longer change the score
    assert 'action="/expert/recognitions/' not in login(expert_user).get(f"/expert/recognitions/{rec.id}").text


def test_notice_window_errors_sit_next_to_the_dates(login: Login, session: Session, enterprise_user: User, bureau_user: User) -> None:
    rec = _apply(session, enterprise_user)
    rs.review(session, bureau_user, rec.id, RecognitionReview())
    for _ in range(2):
        e = factories.expert(session)
        rs.assign_expert(session, bureau_user, rec.id, e.id)
        rs.submit_score(session, e, rec.id, ExpertScoreIn(score=80, comment="同意"))
    rs.finish_review(session, bureau_user, rec.id)
    session.flush()
    c = login(bureau_user)
    today = dt.datetime.now(CST).date()
    r = post_form(c, f"/bureau/recognitions/{rec.id}/notice", {"notice_start": today.isoformat(), "notice_end": today.isoformat()})
    assert r.status_code == 422 and "须至少包含 5 个工作日" in _field_error(r.text, "notice_end")
    r = post_form(c, f"/bureau/recognitions/{rec.id}/notice", {"notice_start": "昨天", "notice_end": ""})
    assert _field_error(r.text, "notice_start") == "请填写公示开始日期（年-月-日）"
    old = (today - dt.timedelta(days=1)).isoformat()
    r = post_form(c, f"/bureau/recognitions/{rec.id}/notice", {"notice_start": old, "notice_end": (today + dt.timedelta(days=20)).isoformat()})
    assert "不能早于今天" in _field_error(r.text, "notice_start")
    end = (today + dt.timedelta(days=9)).isoformat()
    assert post_form(c, f"/bureau/recognitions/{rec.id}/notice", {"notice_start": today.isoformat(), "notice_end": end}).status_code == 303
    assert _status(session, rec.id) == "on_notice"


def test_public_notice_objection_answer_then_recognition(
    client: TestClient, login: Login, session: Session, enterprise_user: User, other_enterprise_user: User, bureau_user: User
) -> None:
    rec = _apply(session, enterprise_user, "高速精密冲压模具在线监测系统")
    factories.recognition_to_notice(session, bureau_user, rec.id)
    session.flush()
    client.cookies.clear()
    public = client.get("/recognition-notices")
    assert public.status_code == 200
    page = public.text
    assert "高速精密冲压模具在线监测系统" in page and enterprise_user.org.name in page and "首台（套）装备" in page
    assert "如何提出异议" in page and "中国标准时间" in page and "/login?next=/recognition-notices" in page
    assert 'action="/recognition-notices/' not in page  # no form for visitors
    api = client.get("/api/v1/recognitions/notices").json()
    assert api["items"][0]["open_for_objections"] is True and "award_wan" not in api["items"][0]

    client.cookies.clear()  # the visitor's cookies
    c = login(other_enterprise_user)
    short = post_form(c, f"/recognition-notices/{rec.id}/objections", {"body": "不对"})
    assert short.status_code == 422 and _field_error(short.text, f"body_{rec.id}") == "请写明异议理由（5–2000 字）"
    assert "不对" in short.text
    ok = post_form(c, f"/recognition-notices/{rec.id}/objections", {"body": "同类产品 2021 年已在省内销售，请核实首台（套）性质"})
    assert ok.status_code == 303
    objection = session.scalars(select(RecognitionObjection).where(RecognitionObjection.recognition_id == rec.id)).one()
    assert session.scalar(
        select(AuditEntry.id).where(AuditEntry.action == "recognition.objection", AuditEntry.object_id == rec.id)
    )

    # the notice period ends; the open objection still blocks 认定
    row = session.get(Recognition, rec.id)
    assert row is not None and row.notice_start and row.notice_end
    today = dt.datetime.now(CST).date()
    row.notice_start, row.notice_end = today - dt.timedelta(days=12), today - dt.timedelta(days=1)
    session.flush()
    # ... and the item leaves the public notice list (it waits for the bureau's 认定)
    client.cookies.clear()
    assert "高速精密冲压模具在线监测系统" not in client.get("/recognition-notices").text
    client.cookies.clear()
    b = login(bureau_user)
    page = b.get(f"/bureau/recognitions/{rec.id}").text
    assert "同类产品 2021 年已在省内销售" in page and 'value="recognise"' not in page and "1 条公示异议未答复" in page
    empty = post_form(b, f"/bureau/recognitions/objections/{objection.id}/resolve", {"resolution": ""})
    assert empty.status_code == 422 and _field_error(empty.text, f"resolution_{objection.id}") == "请填写书面答复"
    answer = "经核实，2021 年销售的为进口同类产品，该产品首台（套）性质成立，异议不成立。"
    assert post_form(b, f"/bureau/recognitions/objections/{objection.id}/resolve", {"resolution": answer}).status_code == 303
    told = session.scalars(select(Notification).where(Notification.user_id == other_enterprise_user.id, Notification.kind == "objection.answered")).one()
    assert answer in told.body
    page = b.get(f"/bureau/recognitions/{rec.id}").text
    assert 'value="recognise"' in page
    assert post_form(b, f"/bureau/recognitions/{rec.id}/decide", {"action": "recognise", "level": "provincial"}).status_code == 303
    assert _status(session, rec.id) == "recognised"
    kinds = session.scalars(select(Notification.kind).where(Notification.user_id == enterprise_user.id).order_by(Notification.id)).all()
    for step in ("recognition.reviewed", "recognition.expert_review", "recognition.scored", "recognition.on_notice",
                 "recognition.objection", "recognition.objection_resolved", "recognition.recognised"):  # fmt: skip
        assert step in kinds, step
