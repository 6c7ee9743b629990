"""Deal milestones with their documents on the deal page: the parties add, complete and attach
(合同, 验收报告, other); the bureau reads; errors sit next to their fields; files are downloaded
safely and only by those who may see the deal."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market import flows
from market.attachments.models import Attachment
from market.db import CST
from market.deals.models import DealDocument, DealMilestone
from market.orgs.models import User
from market.responses.schemas import ResponseCreate
from tests import factories
from tests.web.pages.conftest import post_form

PDF = b"%PDF-1.4 contract\n%%EOF\n"
TODAY = dt.datetime.now(CST).date()


def _deal(session: Session, enterprise_user: User, provider_user: User) -> int:
    need = factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="published", title="里程碑测试需求")
    proposal = ResponseCreate(approach="基于声发射的模具磨损在线识别方案，边缘端部署。", price_wan=70)  # type: ignore[call-arg]
    r = flows.submit_response(session, provider_user, need.id, proposal)
    _, deal = flows.select_response(session, enterprise_user, r.id)
    session.flush()
    return deal.id


def _error(page: str, field: str) -> str:
    m = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', page)
    return m.group(1) if m else ""


def test_parties_add_complete_and_attach_with_errors_next_to_the_field(
    login, session: Session, enterprise_user: User, provider_user: User, bureau_user: User, other_provider_user: User
) -> None:
    deal_id = _deal(session, enterprise_user, provider_user)
    url = f"/deals/{deal_id}"
    c = login(provider_user)
    assert "添加里程碑" in c.get(url).text
    bad = post_form(c, f"{url}/milestones", {"m_title": "", "m_due_on": "2026-02-30", "m_note": "保留的说明"})
    assert bad.status_code == 422
    assert _error(bad.text, "m_title") == "请填写里程碑名称（2–200 字）" and "计划完成日期" in _error(bad.text, "m_due_on")
    assert "保留的说明" in bad.text and session.scalar(select(func.count()).select_from(DealMilestone)) == 0
    due = (TODAY + dt.timedelta(days=30)).isoformat()
    ok = post_form(c, f"{url}/milestones", {"m_title": "样机上线试运行", "m_due_on": due, "m_note": ""})
    assert ok.status_code == 303 and ok.headers["location"].endswith("#milestones")
    m = session.scalar(select(DealMilestone).where(DealMilestone.deal_id == deal_id))
    assert m is not None and m.due_on == TODAY + dt.timedelta(days=30)

    # A document: the type decided by content, refused files stored nowhere, errors by the file field.
    fake = post_form(c, f"{url}/milestones/{m.id}/documents", {"kind": "contract"}, files={"file": ("合同.pdf", b"<html>x</html>", "application/pdf")})
    assert fake.status_code == 422 and "不支持的文件类型" in _error(fake.text, f"file_{m.id}")
    assert session.scalar(select(func.count()).select_from(Attachment)) == 0
    nokind = post_form(c, f"{url}/milestones/{m.id}/documents", {"kind": "x"}, files={"file": ("合同.pdf", PDF, "application/pdf")})
    assert nokind.status_code == 422 and _error(nokind.text, f"kind_{m.id}") == "请选择文件类型"
    up = post_form(c, f"{url}/milestones/{m.id}/documents", {"kind": "contract"}, files={"file": ("技术开发合同.pdf", PDF, "application/pdf")})
    assert up.status_code == 303
    doc = session.scalar(select(DealDocument).where(DealDocument.milestone_id == m.id))
    assert doc is not None and doc.kind == "contract"

    # The enterprise completes it; a day after today is refused next to its field.
    c = login(enterprise_user)
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    late = post_form(c, f"{url}/milestones/{m.id}/complete", {"done_on": tomorrow})
    assert late.status_code == 422 and _error(late.text, f"done_on_{m.id}") == "完成日期不能晚于今天"
    assert post_form(c, f"{url}/milestones/{m.id}/complete", {"done_on": TODAY.isoformat()}).status_code == 303
    session.refresh(m)
    assert m.done_on == TODAY
    page = c.get(url).text
    assert "合同：" in page and "技术开发合同.pdf" in page and f"已于 {TODAY.isoformat()} 完成" in page

    # Both parties and the bureau download the same bytes, as an attachment; the bureau only reads.
    link = f"/deals/{deal_id}/documents/{doc.id}"
    for user in (enterprise_user, provider_user, bureau_user):
        got = login(user).get(link)
        assert got.status_code == 200 and got.content == PDF
        assert got.headers["content-disposition"].startswith("attachment;") and got.headers["x-content-type-options"] == "nosniff"
    c = login(bureau_user)
    page = c.get(url).text
    assert "技术开发合同.pdf" in page and f'action="{url}/milestones"' not in page and 'enctype="multipart/form-data"' not in page
    assert "里程碑及其文件由对接双方填写，科技局只能查看" in page
    assert post_form(c, f"{url}/milestones", {"m_title": "科技局代填", "m_due_on": "", "m_note": ""}).status_code == 303  # a message, nothing added
    assert session.scalar(select(func.count()).select_from(DealMilestone)) == 1
    history = page[page.index('id="history-title"'):]
    assert "添加里程碑文件" in history and "技术开发合同.pdf" in history and "完成里程碑" in history
    # Anyone else does not know the deal or its files exist.
    assert login(other_provider_user).get(link).status_code == 404
