"""The demo data set renders: every well-known account's pages, the dashboard of every year, the
batch on 公示, a deal with milestones, an expert's waiting work, attachments."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from demo.corpus import (
    DEMO_BUREAU_LOGIN,
    DEMO_ENTERPRISE_LOGIN,
    DEMO_EXPERT_LOGIN,
    DEMO_PROVIDER_LOGIN,
    generate_corpus,
)
from demo.seed import seed_demo
from market.attachments.models import Attachment
from market.batches.models import Batch
from market.deals.models import Deal
from market.needs.models import ExpertAssignment, Need
from market.orgs.models import User
from market.responses.models import Response


def _user(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email))
    assert user is not None
    return user


def test_demo_pages_render(client: TestClient, session: Session, login: Callable[[User], TestClient]) -> None:
    seed_demo(session, generate_corpus(2026), progress=False)
    session.commit()

    def ok(c: TestClient, url: str) -> str:
        r = c.get(url)
        assert r.status_code == 200, (url, r.status_code, r.text[:300])
        return r.text

    bureau = login(_user(session, DEMO_BUREAU_LOGIN))
    ok(bureau, "/bureau")
    for year in (2022, 2023, 2024, 2025, 2026):
        page = ok(bureau, f"/dashboard?year={year}")
        assert "海盐县" in page
    notice = session.scalar(select(Batch).where(Batch.status == "notice"))
    assert notice is not None
    ok(bureau, f"/bureau/batches/{notice.id}")
    deal = session.scalar(select(Deal).where(Deal.stage == "in_progress").order_by(Deal.id))
    assert deal is not None
    ok(bureau, f"/bureau/deals/{deal.id}")
    ok(bureau, "/bureau/recognitions")

    expert = _user(session, DEMO_EXPERT_LOGIN)
    c = login(expert)
    ok(c, "/expert")
    waiting = session.scalar(select(ExpertAssignment).where(ExpertAssignment.expert_id == expert.id,
                                                             ExpertAssignment.submitted_at.is_(None)))  # fmt: skip
    assert waiting is not None
    ok(c, f"/expert/needs/{waiting.need_id}")

    ent = _user(session, DEMO_ENTERPRISE_LOGIN)
    c = login(ent)
    ok(c, "/enterprise")
    for need in session.scalars(select(Need).where(Need.org_id == ent.org_id)):
        ok(c, f"/enterprise/needs/{need.id}")
    ok(c, "/enterprise/recognitions")

    prov = _user(session, DEMO_PROVIDER_LOGIN)
    c = login(prov)
    ok(c, "/provider")
    ok(c, "/provider/saved-searches")
    ok(c, "/notifications")
    for resp in session.scalars(select(Response).where(Response.org_id == prov.org_id).limit(5)):
        ok(c, f"/provider/responses/{resp.id}")
    att = session.scalar(select(Attachment).where(Attachment.owner_type == "need").order_by(Attachment.id))
    assert att is not None
    owner = login(session.get(User, att.uploaded_by))  # type: ignore[arg-type]
    r = owner.get(f"/needs/{att.owner_id}/attachments/{att.id}")
    assert r.status_code == 200 and r.content == att.data
