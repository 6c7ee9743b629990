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
    from market.outbox import service as outbox
    from sqlalchemy import select
    from market.needs.models import Need

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
