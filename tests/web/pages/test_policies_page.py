"""The bureau publishes a policy version from the page: one staff member drafts, another publishes."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from market.orgs.models import Role, User
from market.recognitions.policy import POLICY_DIR
from tests import factories
from tests.web.pages.conftest import post_form


def test_draft_then_a_second_person_publishes(login, session: Session, bureau_user: User) -> None:
    c = login(bureau_user)
    assert "jiaxing-2022.1" in c.get("/bureau/policies").text
    bad = post_form(c, "/bureau/policies", {"data": "not json"})
    assert bad.status_code == 422 and "请粘贴 JSON 格式的政策表" in bad.text and "not json" in bad.text
    data = json.loads((POLICY_DIR / "jiaxing-2022.json").read_text(encoding="utf-8"))
    data.update(version="jiaxing-2026.1", effective_from="2026-01-01", valid_until="2027-12-31")
    r = post_form(c, "/bureau/policies", {"data": json.dumps(data, ensure_ascii=False)})
    page = c.get(r.headers["location"]).text
    assert "待审核" in page and "审核发布" in page
    from sqlalchemy import select

    from market.recognitions.models import PolicyVersion

    row = session.scalars(select(PolicyVersion).where(PolicyVersion.version == "jiaxing-2026.1")).one()
    r = post_form(c, f"/bureau/policies/{row.id}/publish", {"note": "自审"})
    assert "起草人以外的工作人员" in c.get(r.headers["location"]).text
    second = factories.create_user(session, bureau_user.org, roles=[Role.bureau_admin.value])
    c = login(second)
    r = post_form(c, f"/bureau/policies/{row.id}/publish", {"note": "已核对原文"})
    assert "已发布" in c.get(r.headers["location"]).text
    session.refresh(row)
    assert row.status == "published" and row.reviewed_by == second.id
