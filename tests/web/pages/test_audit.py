"""The audit viewer page: a record's history, filters with errors next to the field, read only."""

from __future__ import annotations

from sqlalchemy.orm import Session

from market.audit import service as audit
from market.orgs.models import User
from tests.web.pages.conftest import post_form


def test_audit_page_shows_a_records_history(login, session: Session, bureau_user: User, enterprise_user: User) -> None:
    audit.record(session, enterprise_user.id, "need.created", "need", 52, {"title": "页面审计测试"})
    session.flush()
    c = login(bureau_user)
    page = c.get("/bureau/audit", params={"object_type": "need", "object_id": "52"})
    assert page.status_code == 200 and "页面审计测试" in page.text
    # Words, not codes: the action and the kind of record in Chinese, the filters as choices.
    assert "<td>创建需求</td>" in page.text and "需求（编号 52）" in page.text and "need.created" not in page.text
    assert '<option value="need" selected>需求</option>' in page.text and '<option value="need.">需求相关操作</option>' in page.text
    assert "导出 Excel" in page.text
    bad = c.get("/bureau/audit", params={"date_from": "2026-13-40"})
    assert "请填写有效日期" in bad.text
    assert login(enterprise_user).get("/bureau/audit").status_code == 403
    assert post_form(c, "/bureau/audit", {}).status_code == 405  # read only
