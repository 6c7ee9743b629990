"""The search API against a real Meilisearch, fed by the real outbox worker."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from market.orgs.models import Organisation, User
from search.indexes import ensure_indexes
from search.outbox import WorkerConfig, drain_once
from tests import factories
from web.runtime import Runtime

pytestmark = pytest.mark.meili


@pytest.fixture
def search_runtime(runtime: Runtime, meili_client, index_prefix: str) -> Runtime:  # type: ignore[no-untyped-def]
    runtime.meili = meili_client
    runtime.index_prefix = index_prefix
    ensure_indexes(meili_client, index_prefix, dimensions=runtime.embedder.dim)
    return runtime


def _drain(runtime: Runtime, session_factory: sessionmaker[Session]) -> None:
    while drain_once(session_factory, runtime.meili, runtime.embedder, WorkerConfig(prefix=runtime.index_prefix)).claimed:
        pass


def test_published_needs_are_found_with_facets_and_highlights_drafts_never(
    search_runtime: Runtime, client: TestClient, session: Session, session_factory: sessionmaker[Session],
    enterprise_org: Organisation, enterprise_user: User,
) -> None:
    factories.create_need(session, org=enterprise_org, status="published", title="光伏组件隐裂缺陷机器视觉检测", industry="光伏", county="海宁市")
    factories.create_need(session, org=enterprise_org, status="published", title="造纸车间余热回收与蒸汽节能改造", industry="造纸", track="green", county="平湖市")
    factories.create_need(session, org=enterprise_org, status="draft", title="光伏硅片分选的机器视觉草稿需求")
    from sqlalchemy import select

    from market.needs.models import Need
    from market.outbox import service as outbox

    for need_id in session.scalars(select(Need.id).where(Need.org_id == enterprise_org.id)):
        outbox.enqueue(session, "need", need_id)
    session.commit()
    _drain(search_runtime, session_factory)

    r = client.get("/api/v1/search/needs", params={"q": "光伏 视觉检测", "mode": "keyword"})
    assert r.status_code == 200, r.text
    body = r.json()
    titles = [h["document"]["title"] for h in body["hits"]]
    assert titles[0] == "光伏组件隐裂缺陷机器视觉检测"
    assert all("草稿" not in t for t in titles)
    assert "<mark>" in body["hits"][0]["formatted"]["title"]
    assert body["facets"]["industry"].get("光伏") == 1
    assert "contact_phone" not in body["hits"][0]["document"]

    r = client.get("/api/v1/search/needs", params={"q": "节能", "industry": ["造纸"], "mode": "hybrid"})
    assert [h["document"]["title"] for h in r.json()["hits"]] == ["造纸车间余热回收与蒸汽节能改造"]


def test_bureau_scope_is_refused_to_others(search_runtime: Runtime, client: TestClient, provider_user: User, auth) -> None:
    r = client.get("/api/v1/search/needs", params={"scope": "bureau"}, headers=auth(provider_user))
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden"


def test_search_unavailable_is_a_structured_503(runtime: Runtime, client: TestClient) -> None:
    from search.client import MeiliClient

    runtime.meili = MeiliClient("http://127.0.0.1:9", "x", timeout=0.5)
    r = client.get("/api/v1/search/needs", params={"q": "光伏"})
    assert r.status_code == 503
    assert "搜索服务暂时不可用" in r.json()["error"]["message"]


def test_recommendations_both_ways_are_ranked_and_explained_in_chinese(
    search_runtime: Runtime, client: TestClient, session: Session, session_factory: sessionmaker[Session],
    enterprise_org: Organisation, enterprise_user: User, provider_org: Organisation, provider_user: User,
    other_enterprise_user: User, auth,
) -> None:
    from sqlalchemy import select

    from market.orgs.models import ProviderProfile
    from market.outbox import service as outbox

    need = factories.create_need(
        session, org=enterprise_org, status="published", title="光伏组件隐裂缺陷机器视觉检测", industry="光伏",
        summary="EL 图像中隐裂、断栅缺陷的机器视觉自动检测，检出率≥99%。",
    )
    profile = session.scalar(select(ProviderProfile).where(ProviderProfile.org_id == provider_org.id))
    profile.industries = ["光伏"]
    profile.fields = ["机器视觉", "缺陷检测"]
    profile.summary = "长期从事光伏组件 EL 图像缺陷检测与深度学习视觉算法研究。"
    factories.add_capability(session, provider_org, "光伏组件EL图像隐裂缺陷深度学习检测系统")
    other = factories.create_org(session, kind="provider", industry=None)
    factories.add_capability(session, other, "造纸污水中水回用膜处理工艺")
    for org_id in (provider_org.id, other.id):
        outbox.enqueue(session, "provider", org_id)
    outbox.enqueue(session, "need", need.id)
    session.commit()
    _drain(search_runtime, session_factory)

    r = client.get(f"/api/v1/needs/{need.id}/recommended-providers", headers=auth(enterprise_user))
    assert r.status_code == 200, r.text
    recs = r.json()
    assert recs[0]["id"] == provider_org.id
    assert recs[0]["score"] >= recs[-1]["score"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in recs[0]["reason"])
    # Another enterprise may not ask for providers of this need.
    assert client.get(f"/api/v1/needs/{need.id}/recommended-providers", headers=auth(other_enterprise_user)).status_code == 404

    r = client.get(f"/api/v1/providers/{provider_org.id}/recommended-needs", headers=auth(provider_user))
    assert r.status_code == 200, r.text
    assert r.json()[0]["id"] == need.id
    assert client.get(f"/api/v1/providers/{provider_org.id}/recommended-needs", headers=auth(other_enterprise_user)).status_code == 404


def test_a_committed_change_wakes_the_worker(runtime: Runtime, client: TestClient, enterprise_user: User, auth) -> None:
    from search.client import MeiliClient
    from search.outbox import OutboxWorker

    # The production worker, not started: its wake-up event is what a commit sets.
    runtime.worker = OutboxWorker(runtime.session_factory, MeiliClient("http://127.0.0.1:9", None), None)
    try:
        r = client.get("/api/v1/needs")
        assert r.status_code == 200 and not runtime.worker.wake.is_set()
        r = client.post("/api/v1/needs", json=factories.need_fields(), headers=auth(enterprise_user))
        assert r.status_code == 201
        assert runtime.worker.wake.is_set()
    finally:
        runtime.worker = None
