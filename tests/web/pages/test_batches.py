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


def test_date_errors_of_the_notice_and_schedule_forms_sit_next_to_their_field(
    login, session: Session, bureau_user: User, enterprise_user: User
) -> None:
    import datetime as dt
    import re

    from market.db import CST

    today = dt.datetime.now(CST).date()
    need = factories.create_need(session, org=enterprise_user.org, status="approved", title="日期错误测试需求")
    c = login(bureau_user)
    batch_url = post_form(c, "/bureau/batches", {"year": "2026"}).headers["location"]
    post_form(c, f"{batch_url}/needs", {"need_ids": str(need.id)})

    def error_of(page: str, field: str) -> str:
        m = re.search(rf'<input id="{field}"[^>]*>\s*<p class="field-error" id="{field}-error">([^<]*)</p>', page)
        return m.group(1) if m else ""

    r = post_form(c, f"{batch_url}/notice", {"notice_start": "", "notice_end": ""})
    assert r.status_code == 422 and error_of(r.text, "notice_start") == "请选择日期" == error_of(r.text, "notice_end")
    assert 'class="flash flash-error"' not in r.text  # nothing at the top of the page
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    r = post_form(c, f"{batch_url}/notice", {"notice_start": yesterday, "notice_end": (today + dt.timedelta(days=9)).isoformat()})
    assert "公示开始日期不能早于今天" in error_of(r.text, "notice_start") and f'value="{yesterday}"' in r.text
    r = post_form(c, f"{batch_url}/notice", {"notice_start": today.isoformat(), "notice_end": yesterday})
    assert error_of(r.text, "notice_end") == "公示结束日期不能早于开始日期"
    end = today + dt.timedelta(days=9)
    assert post_form(c, f"{batch_url}/notice", {"notice_start": today.isoformat(), "notice_end": end.isoformat()}).status_code == 303
    r = post_form(c, f"{batch_url}/schedule", {"publish_on": end.isoformat()})
    assert r.status_code == 422 and f"发布日期须在公示期结束（{end.isoformat()}）之后" in error_of(r.text, "publish_on")
    r = post_form(c, f"{batch_url}/schedule", {"publish_on": ""})
    assert error_of(r.text, "publish_on") == "请选择日期"
    assert post_form(c, f"{batch_url}/schedule", {"publish_on": (end + dt.timedelta(days=1)).isoformat()}).status_code == 303
