"""The public notice (公示) in the pages: the bureau puts a batch on notice, the public reads it,
a signed-in person objects, the bureau answers in writing and the objector is told; publication
waits for the end of the notice."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from market.batches.models import Batch
from market.db import CST
from market.needs.models import NeedObjection
from market.notifications.models import Notification
from market.orgs.models import User
from tests import factories
from tests.web.pages.conftest import post_form


def test_notice_is_public_objections_are_answered_and_publication_waits(
    login, app: object, session: Session, bureau_user: User, enterprise_user: User, provider_user: User
) -> None:
    today = dt.datetime.now(CST).date()
    public = factories.create_need(session, org=enterprise_user.org, status="approved", title="冲压模具在线监测公示需求")
    invite = factories.create_need(
        session, org=enterprise_user.org, status="approved", disclosure="invite", title="特种涂层配方公示需求",
        summary="这段概述只给受邀单位看",
    )  # fmt: skip
    c = login(bureau_user)
    batch_url = post_form(c, "/bureau/batches", {"year": "2026"}).headers["location"]
    batch_id = int(batch_url.rsplit("/", 1)[1])
    post_form(c, f"{batch_url}/needs", {"need_ids": [str(public.id), str(invite.id)]})
    # Too short a notice is refused with the reason.
    r = post_form(c, f"{batch_url}/notice", {"notice_start": today.isoformat(), "notice_end": today.isoformat()})
    assert r.status_code == 422 and 'id="notice_end-error">公示期须至少包含 5 个工作日' in r.text  # next to the end date
    end = today + dt.timedelta(days=9)
    r = post_form(c, f"{batch_url}/notice", {"notice_start": today.isoformat(), "notice_end": end.isoformat()})
    page = c.get(r.headers["location"]).text
    assert "已开始公示" in page and "公示期满后才能发布" in page

    # A member of the public, not signed in, reads the notice.
    client = TestClient(app)  # type: ignore[arg-type]
    listing = client.get("/notices")
    assert listing.status_code == 200 and f"/notices/{batch_id}" in listing.text
    shown = client.get(f"/notices/{batch_id}").text
    assert public.title in shown and public.summary in shown
    assert invite.title in shown and "这段概述只给受邀单位看" not in shown
    assert "请先登录后提出异议" in shown and "中国标准时间" in shown
    assert client.get(f"/api/v1/batches/{batch_id}").status_code == 200
    assert client.get(f"/api/v1/notices/{batch_id}").json()["needs"][1]["summary"] is None

    # A signed-in provider objects; an empty reason is shown next to the field.
    c = login(provider_user)
    url = f"/notices/{batch_id}/needs/{public.id}/objections"
    bad = post_form(c, url, {"body": "短"})
    assert bad.status_code == 422 and "请写明异议理由" in bad.text, bad.text[-1500:]
    ok = post_form(c, url, {"body": "该需求与已发布的 2025 年第 3 批需求重复"})
    assert ok.status_code == 303
    objection = session.scalars(select(NeedObjection).where(NeedObjection.need_id == public.id)).one()

    # The bureau answers in writing; the objector is told in the app.
    c = login(bureau_user)
    page = c.get(batch_url).text
    assert "该需求与已发布的 2025 年第 3 批需求重复" in page and "还有 1 条公示异议未处理" not in page
    r = post_form(c, f"/bureau/objections/{objection.id}/resolve", {"resolution": "经核查两项需求指标不同，维持公示", "back": batch_url})
    assert "异议已答复" in c.get(r.headers["location"]).text
    told = session.scalars(
        select(Notification).where(Notification.user_id == provider_user.id, Notification.kind == "objection.answered")
    ).one()
    assert "维持公示" in told.body
    c = login(provider_user)
    assert "经核查两项需求指标不同，维持公示" in c.get(f"/notices/{batch_id}").text

    # Publication waits for the end of the notice; afterwards it goes through.
    c = login(bureau_user)
    r = post_form(c, f"{batch_url}/publish")
    assert "公示期满后才能发布" in c.get(r.headers["location"]).text
    batch = session.get(Batch, batch_id)
    assert batch is not None and batch.status == "notice"
    factories.past_notice(session, batch)
    r = post_form(c, f"{batch_url}/publish")
    session.refresh(public)
    assert public.status == "published"
