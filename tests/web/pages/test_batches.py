"""Batch pages: verification, approval and publication as the bureau does it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from market.batches.models import Batch
from market.orgs.models import User
from tests import factories
from tests.web.pages.conftest import post_form


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
    factories.scored_by_experts(session, need)
    assert post_form(c, f"/bureau/review/{need.id}/decide", {"action": "approve"}).status_code == 303
    r = post_form(c, "/bureau/batches", {"year": "2026"})
    batch_url = r.headers["location"]
    assert c.get(batch_url).status_code == 200
    assert post_form(c, f"{batch_url}/needs", {"need_ids": str(need.id)}).status_code == 303
    batch = session.get(Batch, int(batch_url.rsplit("/", 1)[1]))
    assert batch is not None
    factories.past_notice(session, batch)
    assert post_form(c, f"{batch_url}/publish").status_code == 303
    session.refresh(need)
    assert need.status == "published"
    assert "已发布" in c.get(batch_url).text


def test_an_objection_names_its_need_by_title_not_number(
    login, session: Session, bureau_user: User, enterprise_user: User
) -> None:
    from market.batches.models import Batch
    from market.needs.models import NeedObjection

    batch = Batch(year=2026, seq=97, status="notice", created_by=bureau_user.id)
    session.add(batch)
    session.flush()
    need = factories.create_need(session, org=enterprise_user.org, status="approved", title="异议测试用压铸需求")
    need.batch_id = batch.id
    session.add(NeedObjection(need_id=need.id, user_id=enterprise_user.id, body="该需求与已有项目重复"))
    session.flush()
    page = login(bureau_user).get(f"/bureau/batches/{batch.id}").text
    assert "该需求与已有项目重复" in page
    assert f"需求 #{need.id}" not in page
    assert "异议测试用压铸需求 · " in page
