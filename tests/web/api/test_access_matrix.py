"""The authorisation matrix: role × action × owner for needs, responses, deals, questions (答疑),
messages (对接沟通) and members.

Each case builds a fresh world (rolled back afterwards): an enterprise ("owner") with a draft, a
submitted and a published need; a provider that responded to the published need; a second need
whose response was selected, so a deal exists between owner and provider; an expert assigned to the
published need; a question of the provider on the published need; a message of the provider (with
a file) on its response; a colleague of the owner. Everyone else is a stranger to these objects.

Where a role may not act, the answer is 401 (anonymous), 403 (may see, may not act) or 404 (may not
even know it exists) — and never the object's data.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session

from market import flows
from market.batches import service as batch_service
from market.batches.schemas import BatchCreate
from market.db import CST
from market.deals import service as deal_service
from market.deals.models import DealMilestone
from market.deals.schemas import MilestoneIn
from market.messages import service as messages
from market.messages.schemas import MessageIn
from market.needs.models import ExpertAssignment
from market.orgs import security
from market.orgs.models import Role, User
from market.questions import service as questions
from market.questions.schemas import QuestionIn
from market.recognitions import service as recognitions
from market.recognitions.schemas import RecognitionCreate, RecognitionDecision, RecognitionReview
from market.responses.schemas import ResponseCreate
from market.targets import service as target_service
from market.targets.models import ReportIssue
from market.targets.schemas import TargetCreate
from tests import factories

ROLES = ("anon", "owner", "other_ent", "provider", "other_provider", "bureau", "expert", "other_expert")
PROPOSAL = {"approach": "基于声发射的模具磨损在线识别方案，边缘端部署，接入 MES。", "price_wan": 70}
SCORES = {"industry_impact": 80, "research_basis": 70, "technical_indicators": 90, "financial_indicators": 60}
TODAY_FREE = {"stage": "intent", "note": "意向协议"}
PDF = b"%PDF-1.4 x\n%%EOF\n"


_real_hash = security.hash_password
_cached: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each case creates eight users and nobody here signs in with a password: hash it once
    (argon2 takes about half a second per user)."""
    monkeypatch.setattr(security, "hash_password", lambda p: _cached.get(p) or _cached.setdefault(p, _real_hash(p)))


@dataclass
class World:
    users: dict[str, User]
    draft: int
    submitted: int
    published: int
    response: int
    deal: int
    deal_need: int
    question: int
    message: int
    message_file: int
    colleague: int
    notice_batch: int = 0
    notice_need: int = 0
    milestone: int = 0
    document: int = 0
    target: int = 0
    report_issue: int = 0
    recognition: int = 0
    rec: int = 0  # a recognition after 初审, the expert assigned, with an evidence file
    rec_file: int = 0
    rec_notice: int = 0  # a recognition on public notice


@pytest.fixture
def world(
    session: Session, enterprise_user: User, other_enterprise_user: User, provider_user: User,
    other_provider_user: User, bureau_user: User, expert_user: User,
) -> World:
    org = enterprise_user.org
    draft = factories.create_need(session, org=org, user=enterprise_user, status="draft", title="草稿状态的保密需求")
    submitted = factories.create_need(session, org=org, user=enterprise_user, status="submitted", title="待审核的需求一项")
    factories.scored_by_experts(session, submitted)  # approval needs two experts' scores
    published = factories.create_need(session, org=org, user=enterprise_user, status="published", title="在榜需求一项测试")
    deal_need = factories.create_need(session, org=org, user=enterprise_user, status="published", title="已选定揭榜方的需求")
    proposal = ResponseCreate(**PROPOSAL)  # type: ignore[arg-type]
    response = flows.submit_response(session, provider_user, published.id, proposal)
    selected = flows.submit_response(session, provider_user, deal_need.id, proposal)
    _, deal = flows.select_response(session, enterprise_user, selected.id)
    session.add(ExpertAssignment(need_id=published.id, expert_id=expert_user.id, assigned_by=bureau_user.id))
    other_expert = factories.create_user(
        session, factories.create_org(session, kind="institute", industry=None), roles=[Role.member.value, Role.expert.value]
    )
    on_notice = factories.create_need(session, org=org, user=enterprise_user, status="approved", title="公示中的需求一项")
    batch = batch_service.create_batch(session, bureau_user, BatchCreate(year=2026))
    batch_service.add_needs(session, bureau_user, batch.id, [on_notice.id])
    today = dt.datetime.now(CST).date()
    batch_service.start_notice(session, bureau_user, batch.id, today, today + dt.timedelta(days=9))
    session.flush()
    question = questions.ask(session, provider_user, published.id, QuestionIn(body="现有设备的型号和数量是多少？"))
    message = messages.post(session, provider_user, response.id, MessageIn(body="方案的补充说明见附件"))
    message_file = messages.add_attachment(
        session, provider_user, message.id, filename="补充.pdf", data=b"%PDF-1.4 x\n%%EOF\n", max_bytes=1024 * 1024
    )
    colleague = factories.create_user(session, org, roles=[Role.member.value])
    milestone = deal_service.add_milestone(session, enterprise_user, deal.id, MilestoneIn(title="样机上线", due_on=None))
    document = deal_service.attach_document(
        session, provider_user, deal.id, milestone.id, kind="contract", filename="合同.pdf", data=PDF, max_bytes=1024 * 1024
    )
    target = target_service.create(session, bureau_user, TargetCreate(metric="deals_signed", year=2030, value=50))
    report_issue = ReportIssue(year=2022, number=1, as_of=dt.date(2022, 12, 31), title="2022 年第 1 期",
                               html="<p>晾晒通报</p>", xlsx=b"PK", issued_by=bureau_user.id)  # fmt: skip
    session.add(report_issue)
    recognition = recognitions.apply(session, enterprise_user, RecognitionCreate.model_validate(
        {"product_name": "已认定的首台套装备", "category": "equipment", "level": "municipal", "year": 2025}
    ))  # fmt: skip
    factories.notice_served(session, bureau_user, recognition.id)
    recognitions.recognise(session, bureau_user, recognition.id, RecognitionDecision())
    rec_in = RecognitionCreate(product_name="高速精密冲压模具在线监测系统", category="equipment", level="provincial", year=2024)
    rec = recognitions.apply(session, enterprise_user, rec_in)
    rec_file = recognitions.add_evidence_file(
        session, enterprise_user, rec.id, filename="认定文件.pdf", data=b"%PDF-1.4 x\n%%EOF\n", max_bytes=1024 * 1024
    )
    recognitions.review(session, bureau_user, rec.id, RecognitionReview(notes="材料齐全"))
    recognitions.assign_expert(session, bureau_user, rec.id, expert_user.id)
    rec_notice = recognitions.apply(session, enterprise_user, rec_in.model_copy(update={"product_name": "智能集成灶"}))
    factories.recognition_to_notice(session, bureau_user, rec_notice.id)
    session.flush()
    users = {
        "owner": enterprise_user, "other_ent": other_enterprise_user, "provider": provider_user,
        "other_provider": other_provider_user, "bureau": bureau_user, "expert": expert_user, "other_expert": other_expert,
    }
    return World(
        users, draft.id, submitted.id, published.id, response.id, deal.id, deal_need.id, question.id, message.id,
        message_file.id, colleague.id, batch.id, on_notice.id, milestone.id, document.id, target.id, report_issue.id,
        recognition.id, rec.id, rec_file.id, rec_notice.id,
    )


Call = Callable[[TestClient, World, dict[str, str]], Response]

# action → (request, {role: expected status}); roles left out of a row expect the row's default.
MATRIX: dict[str, tuple[Call, dict[str, int], int]] = {
    # --- needs ---
    "need.read_published": (lambda c, w, h: c.get(f"/api/v1/needs/{w.published}", headers=h), {}, 200),
    "need.read_draft": (
        lambda c, w, h: c.get(f"/api/v1/needs/{w.draft}", headers=h), {"owner": 200, "bureau": 200}, 404,
    ),
    "need.update_draft": (
        lambda c, w, h: c.put(f"/api/v1/needs/{w.draft}", json=factories.need_fields(title="改过的需求标题"), headers=h),
        {"anon": 401, "owner": 200, "bureau": 403}, 404,
    ),
    "need.submit_draft": (
        lambda c, w, h: c.post(f"/api/v1/needs/{w.draft}/submit", headers=h), {"anon": 401, "owner": 200, "bureau": 403}, 404,
    ),
    "need.approve": (
        lambda c, w, h: c.post(f"/api/v1/needs/{w.submitted}/approve", headers=h), {"anon": 401, "bureau": 200}, 403,
    ),
    "need.withdraw_published": (
        lambda c, w, h: c.post(f"/api/v1/needs/{w.published}/withdraw", headers=h), {"anon": 401, "owner": 200}, 403,
    ),
    "need.list_responses": (
        lambda c, w, h: c.get(f"/api/v1/needs/{w.published}/responses", headers=h),
        {"anon": 401, "owner": 200, "bureau": 200, "expert": 200}, 404,
    ),
    "need.export_responses": (
        lambda c, w, h: c.get(f"/api/v1/exports/needs/{w.published}/responses.xlsx", headers=h),
        {"anon": 401, "owner": 200, "bureau": 200, "expert": 200}, 404,
    ),
    # --- responses ---
    "response.create": (
        lambda c, w, h: c.post(f"/api/v1/needs/{w.published}/responses", json=PROPOSAL, headers=h),
        # Enterprises and the bureau are not providers; the provider already responded. The
        # experts belong to a university / an institute, which may respond like any provider.
        {"anon": 401, "owner": 403, "other_ent": 403, "bureau": 403, "provider": 409, "other_provider": 201,
         "expert": 201, "other_expert": 201}, 0,
    ),
    "response.read": (
        lambda c, w, h: c.get(f"/api/v1/responses/{w.response}", headers=h),
        {"anon": 401, "owner": 200, "provider": 200, "bureau": 200, "expert": 200}, 404,
    ),
    "response.attachments": (
        lambda c, w, h: c.get(f"/api/v1/responses/{w.response}/attachments", headers=h),
        {"anon": 401, "owner": 200, "provider": 200, "bureau": 200, "expert": 200}, 404,
    ),
    "response.upload": (
        lambda c, w, h: c.post(
            f"/api/v1/responses/{w.response}/attachments", files={"file": ("a.pdf", b"%PDF-1.4 x\n%%EOF\n", "application/pdf")}, headers=h
        ),
        {"anon": 401, "provider": 201, "owner": 403, "bureau": 403, "expert": 403}, 404,
    ),
    "response.shortlist": (
        lambda c, w, h: c.post(f"/api/v1/responses/{w.response}/shortlist", headers=h),
        {"anon": 401, "owner": 200, "provider": 403, "bureau": 403, "expert": 403}, 404,
    ),
    "response.decline": (
        lambda c, w, h: c.post(
            f"/api/v1/responses/{w.response}/decline", json={"reason_code": "other", "reason_text": "不合适"}, headers=h
        ),
        {"anon": 401, "owner": 200, "provider": 403, "bureau": 403, "expert": 403}, 404,
    ),
    "response.select": (
        lambda c, w, h: c.post(f"/api/v1/responses/{w.response}/select", headers=h),
        {"anon": 401, "owner": 200, "provider": 403, "bureau": 403, "expert": 403}, 404,
    ),
    "response.withdraw": (
        lambda c, w, h: c.post(f"/api/v1/responses/{w.response}/withdraw", headers=h),
        {"anon": 401, "provider": 200, "owner": 403, "bureau": 403, "expert": 403}, 404,
    ),
    "response.score": (
        lambda c, w, h: c.put(f"/api/v1/responses/{w.response}/scores", json={"scores": SCORES}, headers=h),
        {"anon": 401, "expert": 200, "owner": 403, "provider": 403, "bureau": 403}, 404,
    ),
    # --- deals ---
    "deal.read": (
        lambda c, w, h: c.get(f"/api/v1/deals/{w.deal}", headers=h),
        {"anon": 401, "owner": 200, "provider": 200, "bureau": 200}, 404,
    ),
    "deal.advance": (
        lambda c, w, h: c.post(f"/api/v1/deals/{w.deal}/advance", json=TODAY_FREE, headers=h),
        {"anon": 401, "owner": 200, "provider": 200, "bureau": 200}, 404,
    ),
    # Milestones and their documents: the parties write them, the bureau reads (deals.access.edit_milestones).
    "deal.add_milestone": (
        lambda c, w, h: c.post(f"/api/v1/deals/{w.deal}/milestones", json={"title": "样机上线"}, headers=h),
        {"anon": 401, "owner": 201, "provider": 201, "bureau": 403}, 404,
    ),
    "deal.milestones": (
        lambda c, w, h: c.get(f"/api/v1/deals/{w.deal}/milestones", headers=h),
        {"anon": 401, "owner": 200, "provider": 200, "bureau": 200}, 404,
    ),
    "deal.complete_milestone": (
        lambda c, w, h: c.post(f"/api/v1/deals/{w.deal}/milestones/{w.milestone}/complete", json={}, headers=h),
        {"anon": 401, "owner": 200, "provider": 200, "bureau": 403}, 404,
    ),
    "deal.upload_document": (
        lambda c, w, h: c.post(
            f"/api/v1/deals/{w.deal}/milestones/{w.milestone}/documents", data={"kind": "acceptance"},
            files={"file": ("验收报告.pdf", PDF, "application/pdf")}, headers=h,
        ),
        {"anon": 401, "owner": 201, "provider": 201, "bureau": 403}, 404,
    ),
    "deal.download_document": (
        lambda c, w, h: c.get(f"/api/v1/deals/{w.deal}/documents/{w.document}", headers=h),
        {"anon": 401, "owner": 200, "provider": 200, "bureau": 200}, 404,
    ),
    "deal.export_all": (
        lambda c, w, h: c.get("/api/v1/exports/deals.xlsx", headers=h), {"anon": 401, "bureau": 200}, 403,
    ),
    # --- questions (答疑): read with the need's details; asked by providers; answered by the owner or the bureau ---
    "question.list": (lambda c, w, h: c.get(f"/api/v1/needs/{w.published}/questions", headers=h), {}, 200),
    "question.ask": (
        lambda c, w, h: c.post(f"/api/v1/needs/{w.published}/questions", json={"body": "是否允许停机改造？"}, headers=h),
        {"anon": 401, "provider": 201, "other_provider": 201, "expert": 201, "other_expert": 201}, 403,
    ),
    "question.answer": (
        lambda c, w, h: c.post(f"/api/v1/questions/{w.question}/answer", json={"body": "共 24 台。"}, headers=h),
        {"anon": 401, "owner": 200, "bureau": 200}, 403,
    ),
    "question.hide": (
        lambda c, w, h: c.post(f"/api/v1/questions/{w.question}/hide", json={"reason": "与需求无关"}, headers=h),
        {"anon": 401, "bureau": 200}, 403,
    ),
    # --- messages (对接沟通): the two parties write, the bureau reads, nobody else knows the thread ---
    "message.read": (
        lambda c, w, h: c.get(f"/api/v1/responses/{w.response}/messages", headers=h),
        {"anon": 401, "owner": 200, "provider": 200, "bureau": 200}, 404,
    ),
    "message.post": (
        lambda c, w, h: c.post(f"/api/v1/responses/{w.response}/messages", json={"body": "您好"}, headers=h),
        {"anon": 401, "owner": 201, "provider": 201, "bureau": 403}, 404,
    ),
    "message.download": (
        lambda c, w, h: c.get(f"/api/v1/messages/{w.message}/attachments/{w.message_file}", headers=h),
        {"anon": 401, "owner": 200, "provider": 200, "bureau": 200}, 404,
    ),
    # --- members: an organisation's admin manages its own members only ---
    "member.change_roles": (
        lambda c, w, h: c.put(f"/api/v1/org/members/{w.colleague}/roles", json={"roles": ["member", "org_admin"]}, headers=h),
        {"anon": 401, "owner": 200}, 404,
    ),
    "member.deactivate": (
        lambda c, w, h: c.post(f"/api/v1/org/members/{w.colleague}/deactivate", headers=h), {"anon": 401, "owner": 200}, 404,
    ),
    # --- public notice (公示) ---
    "notice.read": (lambda c, w, h: c.get(f"/api/v1/notices/{w.notice_batch}", headers=h), {}, 200),
    "notice.batch_read": (lambda c, w, h: c.get(f"/api/v1/batches/{w.notice_batch}", headers=h), {}, 200),
    "notice.object": (
        lambda c, w, h: c.post(f"/api/v1/needs/{w.notice_need}/objections", json={"body": "请核实该需求的企业信息"}, headers=h),
        {"anon": 401}, 201,
    ),
    "notice.objections": (
        lambda c, w, h: c.get(f"/api/v1/batches/{w.notice_batch}/objections", headers=h), {"anon": 401, "bureau": 200}, 403,
    ),
    "notice.withdraw": (
        lambda c, w, h: c.post(f"/api/v1/batches/{w.notice_batch}/notice/withdraw", headers=h), {"anon": 401, "bureau": 200}, 403,
    ),
    # --- recognitions: 奖补兑现 (the bureau records; the enterprise reads its own), the public list ---
    "recognition.payout_ledger": (
        lambda c, w, h: c.get("/api/v1/recognitions/payouts", headers=h), {"anon": 401, "bureau": 200}, 403,
    ),
    "recognition.payouts": (
        lambda c, w, h: c.get(f"/api/v1/recognitions/{w.recognition}/payouts", headers=h),
        {"anon": 401, "owner": 200, "bureau": 200}, 404,
    ),
    "recognition.record_payout": (
        lambda c, w, h: c.post(
            f"/api/v1/recognitions/{w.recognition}/payouts",
            json={"amount_wan": 5, "paid_on": "2026-04-20", "payment_batch": "第一批"}, headers=h,
        ),
        {"anon": 401, "owner": 403, "bureau": 201}, 404,
    ),
    "recognition.public_list": (lambda c, w, h: c.get("/api/v1/recognitions/public", headers=h), {}, 200),
    "recognition.export": (
        lambda c, w, h: c.get("/api/v1/exports/recognitions.xlsx", headers=h), {"anon": 401}, 200,
    ),
    "org.export": (lambda c, w, h: c.get("/api/v1/exports/orgs.xlsx", headers=h), {"anon": 401, "bureau": 200}, 403),
    # --- the bureau's office ---
    "office.settings": (lambda c, w, h: c.get("/api/v1/office/settings", headers=h), {"anon": 401, "bureau": 200}, 403),
    "office.set": (
        lambda c, w, h: c.put("/api/v1/office/settings/min_expert_scores", json={"value": 3}, headers=h),
        {"anon": 401, "bureau": 200}, 403,
    ),
    "office.calendar": (lambda c, w, h: c.get("/api/v1/office/calendar", headers=h), {"anon": 401, "bureau": 200}, 403),
    "office.set_calendar": (
        lambda c, w, h: c.put("/api/v1/office/calendar", json={"holidays": ["2026-10-01"], "workdays": []}, headers=h),
        {"anon": 401, "bureau": 200}, 403,
    ),
    "org.leading": (
        lambda c, w, h: c.post(f"/api/v1/orgs/{w.users['other_ent'].org_id}/leading", json={"leading": True}, headers=h),
        {"anon": 401, "bureau": 200}, 403,
    ),
    "policy.draft": (
        lambda c, w, h: c.post("/api/v1/awards/policies", json={"version": "x"}, headers=h), {"anon": 401, "bureau": 422}, 403,
    ),
    # --- targets and the 晾晒通报: everyone reads the targets and progress, only the bureau edits and issues ---
    "target.list": (lambda c, w, h: c.get("/api/v1/targets?year=2030", headers=h), {}, 200),
    "target.departments": (lambda c, w, h: c.get("/api/v1/targets/departments", headers=h), {}, 200),
    "target.create": (
        lambda c, w, h: c.post("/api/v1/targets", json={"metric": "needs_published", "year": 2030, "value": 9}, headers=h),
        {"anon": 401, "bureau": 201}, 403,
    ),
    "target.update": (
        lambda c, w, h: c.patch(f"/api/v1/targets/{w.target}", json={"value": 60, "department": "市科技局"}, headers=h),
        {"anon": 401, "bureau": 200}, 403,
    ),
    "target.delete": (
        lambda c, w, h: c.delete(f"/api/v1/targets/{w.target}", headers=h), {"anon": 401, "bureau": 204}, 403,
    ),
    "target.issue_report": (
        lambda c, w, h: c.post("/api/v1/targets/issues", json={"year": 2022, "as_of": "2022-12-31"}, headers=h),
        {"anon": 401, "bureau": 201}, 403,
    ),
    "target.issues": (lambda c, w, h: c.get("/api/v1/targets/issues", headers=h), {"anon": 401, "bureau": 200}, 403),
    "target.issue_html": (
        lambda c, w, h: c.get(f"/api/v1/targets/issues/{w.report_issue}/report.html", headers=h),
        {"anon": 401, "bureau": 200}, 403,
    ),
    "target.issue_excel": (
        lambda c, w, h: c.get(f"/api/v1/targets/issues/{w.report_issue}/report.xlsx", headers=h),
        {"anon": 401, "bureau": 200}, 403,
    ),
    # --- first-of-kind recognitions: files for the applicant, the bureau and assigned experts only ---
    "recognition.read": (
        lambda c, w, h: c.get(f"/api/v1/recognitions/{w.rec}", headers=h),
        {"anon": 401, "owner": 200, "bureau": 200, "expert": 200}, 404,
    ),
    "recognition.files": (
        lambda c, w, h: c.get(f"/api/v1/recognitions/{w.rec}/attachments", headers=h),
        {"anon": 401, "owner": 200, "bureau": 200, "expert": 200}, 404,
    ),
    "recognition.download": (
        lambda c, w, h: c.get(f"/api/v1/recognitions/{w.rec}/attachments/{w.rec_file}", headers=h),
        {"anon": 401, "owner": 200, "bureau": 200, "expert": 200}, 404,
    ),
    "recognition.download_via_other": (
        lambda c, w, h: c.get(f"/api/v1/recognitions/{w.rec_notice}/attachments/{w.rec_file}", headers=h),
        {"anon": 401}, 404,
    ),
    "recognition.upload": (
        lambda c, w, h: c.post(
            f"/api/v1/recognitions/{w.rec}/attachments", files={"file": ("a.pdf", b"%PDF-1.4 x\n%%EOF\n", "application/pdf")}, headers=h
        ),
        {"anon": 401, "owner": 201, "bureau": 403, "expert": 403}, 404,
    ),
    "recognition.assign_expert": (
        lambda c, w, h: c.post(f"/api/v1/recognitions/{w.rec}/experts", json={"expert_id": w.users["other_expert"].id}, headers=h),
        {"anon": 401, "bureau": 201, "owner": 403, "expert": 403}, 404,
    ),
    "recognition.experts": (
        lambda c, w, h: c.get(f"/api/v1/recognitions/{w.rec}/experts", headers=h),
        {"anon": 401, "bureau": 200, "expert": 200, "owner": 403}, 404,
    ),
    "recognition.score": (
        lambda c, w, h: c.put(f"/api/v1/recognitions/{w.rec}/score", json={"score": 85, "comment": "指标先进"}, headers=h),
        {"anon": 401, "expert": 200, "owner": 403, "bureau": 403}, 404,
    ),
    "recognition.finish_review": (
        lambda c, w, h: c.post(f"/api/v1/recognitions/{w.rec}/finish-review", headers=h),
        {"anon": 401, "bureau": 409, "owner": 403, "expert": 403}, 404,  # the bureau: the expert has not scored
    ),
    "recognition.put_on_notice": (
        lambda c, w, h: c.post(
            f"/api/v1/recognitions/{w.rec}/notice", json={"notice_start": "2099-01-05", "notice_end": "2099-01-16"}, headers=h
        ),
        {"anon": 401, "bureau": 409, "owner": 403, "expert": 403}, 404,  # the bureau: not yet expert-reviewed
    ),
    "recognition.notices": (lambda c, w, h: c.get("/api/v1/recognitions/notices", headers=h), {}, 200),
    "recognition.object": (
        lambda c, w, h: c.post(f"/api/v1/recognitions/{w.rec_notice}/objections", json={"body": "请核实该产品的首台（套）性质"}, headers=h),
        {"anon": 401}, 201,
    ),
    "recognition.object_not_on_notice": (
        lambda c, w, h: c.post(f"/api/v1/recognitions/{w.rec}/objections", json={"body": "请核实该产品的首台（套）性质"}, headers=h),
        {"anon": 401, "owner": 409, "bureau": 409, "expert": 409}, 404,
    ),
    "recognition.objections": (
        lambda c, w, h: c.get(f"/api/v1/recognitions/{w.rec_notice}/objections", headers=h),
        {"anon": 401, "bureau": 200, "owner": 403}, 404,
    ),
    "recognition.recognise_on_notice": (
        lambda c, w, h: c.post(f"/api/v1/recognitions/{w.rec_notice}/recognise", json={}, headers=h),
        {"anon": 401, "bureau": 409, "owner": 403}, 404,  # the bureau: the notice period has not ended
    ),
    "recognition.assigned": (
        lambda c, w, h: c.get("/api/v1/recognitions/assigned", headers=h), {"anon": 401, "expert": 200, "other_expert": 200}, 403,
    ),
    "expert.conflicts": (
        lambda c, w, h: c.post("/api/v1/experts/me/conflicts", json={"org_id": w.users["owner"].org_id}, headers=h),
        {"anon": 401, "expert": 201, "other_expert": 201}, 403,
    ),
}

CASES = [(action, role) for action in MATRIX for role in ROLES]


@pytest.mark.parametrize(("action", "role"), CASES, ids=[f"{a}-{r}" for a, r in CASES])
def test_access_matrix(client: TestClient, world: World, auth, action: str, role: str) -> None:  # type: ignore[no-untyped-def]
    call, expected_by_role, default = MATRIX[action]
    expected = expected_by_role.get(role, default)
    headers = {} if role == "anon" else auth(world.users[role])
    r = call(client, world, headers)
    assert r.status_code == expected, f"{action} as {role}: {r.status_code} {r.text[:300]}"
    if expected >= 400:
        body = r.json()
        assert set(body) == {"error"}, body  # an error, never the object's data
        assert "approach" not in r.text and "contact_phone" not in r.text and "stage" not in body["error"]


@pytest.mark.parametrize("role", ROLES)
def test_lists_show_only_what_the_role_may_see(client: TestClient, world: World, auth, role: str) -> None:  # type: ignore[no-untyped-def]
    headers = {} if role == "anon" else auth(world.users[role])
    deals = client.get("/api/v1/deals", headers=headers)
    mine = client.get("/api/v1/responses/mine", headers=headers)
    needs = client.get("/api/v1/needs?per_page=100", headers=headers)
    if role == "anon":
        assert deals.status_code == 401 and mine.status_code == 401
    else:
        deal_ids = {d["id"] for d in deals.json()["items"]}
        assert (world.deal in deal_ids) == (role in ("owner", "provider", "bureau"))
        response_ids = {x["id"] for x in mine.json()["items"]}
        assert (world.response in response_ids) == (role == "provider")
    need_ids = {n["id"] for n in needs.json()["items"]}
    assert world.published in need_ids
    assert (world.draft in need_ids) == (role in ("owner", "bureau"))
    # The published need's details only for signed-in verified organisations.
    detail = client.get(f"/api/v1/needs/{world.published}", headers=headers).json()
    assert ("contact_phone" in detail) == (role != "anon")
    # The recognitions export: the bureau's is everyone's, an organisation's only its own.
    if role != "anon":
        from openpyxl import load_workbook

        ws = load_workbook(io.BytesIO(client.get("/api/v1/exports/recognitions.xlsx", headers=headers).content)).active
        exported = {row[1] for row in ws.iter_rows(min_row=2, values_only=True)}
        assert (world.recognition in exported) == (role in ("owner", "bureau"))


def test_ids_swapped_across_organisations_are_not_found(
    client: TestClient, session: Session, world: World, other_enterprise_user: User, other_provider_user: User, auth
) -> None:
    """A party of one deal cannot reach another deal's milestone, nor one response's attachment
    through another response, by putting the foreign id in its own path."""
    other_need = factories.create_need(session, org=other_enterprise_user.org, status="published", title="另一企业的在榜需求")
    r = flows.submit_response(session, other_provider_user, other_need.id, ResponseCreate(**PROPOSAL))  # type: ignore[arg-type]
    _, other_deal = flows.select_response(session, other_enterprise_user, r.id)
    milestone = DealMilestone(deal_id=world.deal, title="原项目的里程碑")
    session.add(milestone)
    session.flush()
    them = auth(other_enterprise_user)
    assert client.post(f"/api/v1/deals/{other_deal.id}/milestones/{milestone.id}/complete", headers=them).status_code == 404
    assert client.get(f"/api/v1/deals/{world.deal}", headers=them).status_code == 404
    assert client.get(f"/api/v1/deals/{other_deal.id}/documents/{world.document}", headers=them).status_code == 404
    pdf = {"file": ("合同.pdf", PDF, "application/pdf")}
    assert client.post(f"/api/v1/deals/{other_deal.id}/milestones/{milestone.id}/documents", data={"kind": "contract"}, files=pdf, headers=them).status_code == 404
    up = client.post(
        f"/api/v1/responses/{world.response}/attachments", files={"file": ("a.pdf", b"%PDF-1.4 x\n%%EOF\n", "application/pdf")},
        headers=auth(world.users["provider"]),
    ).json()
    provider_b = auth(other_provider_user)
    assert client.get(f"/api/v1/responses/{r.id}/attachments/{up['id']}", headers=provider_b).status_code == 404
    # The owner of one need cannot decide on another enterprise's responses.
    owner = auth(world.users["owner"])
    assert client.post(f"/api/v1/responses/{r.id}/decline", json={"reason_code": "other", "reason_text": "不合适"}, headers=owner).status_code == 404
    assert client.get(f"/api/v1/needs/{other_need.id}/responses", headers=owner).status_code == 404
    assert milestone.done_on is None
