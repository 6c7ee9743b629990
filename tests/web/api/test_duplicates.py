"""Duplicate hints come from the index (the new need's neighbours, re-scored), show only needs the
caller may see, and fall back to a bounded read where there is no index."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from market.needs import queries
from market.needs.models import Need
from market.orgs.models import Organisation, User
from market.outbox import service as outbox
from search.indexes import ensure_indexes
from search.outbox import WorkerConfig, drain_once
from tests import factories
from web.runtime import Runtime

pytestmark = pytest.mark.meili

ORIGINAL = {
    "title": "印染废水深度处理与中水回用",
    "summary": "印染车间每天排放废水三千吨，希望深度处理后回用于漂洗工序，降低新鲜水用量。",
    "problem": "现有生化处理出水色度高，无法直接回用。",
}
OTHERS = [
    "冲压模具在线磨损监测与寿命预测",
    "光伏组件隐裂缺陷机器视觉检测",
    "造纸车间余热回收与蒸汽节能改造",
    "经编车间设备联网与MES系统建设",
    "注塑机能耗在线监测平台",
    "锂电池极片涂布厚度在线检测",
]


@pytest.fixture
def search_runtime(runtime: Runtime, meili_client, index_prefix: str) -> Runtime:  # type: ignore[no-untyped-def]
    runtime.meili = meili_client
    runtime.index_prefix = index_prefix
    ensure_indexes(meili_client, index_prefix, dimensions=runtime.embedder.dim)
    return runtime


def _index_all(runtime: Runtime, session: Session, session_factory: sessionmaker[Session]) -> None:
    for need_id in session.scalars(select(Need.id)):
        outbox.enqueue(session, "need", need_id)
    session.commit()
    while drain_once(session_factory, runtime.meili, runtime.embedder, WorkerConfig(prefix=runtime.index_prefix, vector_interval_s=0)).claimed:
        pass


def _check(client: TestClient, headers: dict[str, str], **text: str) -> list[dict[str, object]]:
    body = factories.need_fields(**text)
    r = client.post("/api/v1/needs/duplicates", json=body, headers=headers)
    assert r.status_code == 200, r.text
    return list(r.json())


def test_an_exact_copy_is_the_top_hint_found_through_the_index(
    search_runtime: Runtime, client: TestClient, session: Session, session_factory: sessionmaker[Session],
    enterprise_org: Organisation, other_enterprise_user: User, auth, monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = factories.create_need(session, org=enterprise_org, status="published", **ORIGINAL)
    for title in OTHERS:  # newer than the original: a read of the latest needs would miss it
        factories.create_need(session, org=enterprise_org, status="published", title=title)
    _index_all(search_runtime, session, session_factory)
    asked: list[int] = []
    real_finder = search_runtime.duplicate_finder

    def finder():  # type: ignore[no-untyped-def]
        inner = real_finder()
        assert inner is not None

        def find(title: str, text: str, limit: int) -> queries.DuplicateCandidates | None:
            found = inner(title, text, limit)
            assert found is not None and found.query_vector is not None and found.vectors
            asked.extend(found.ids)
            return found

        return find

    monkeypatch.setattr(search_runtime, "duplicate_finder", finder)
    monkeypatch.setattr(queries, "FALLBACK_CANDIDATES", 1)

    hints = _check(client, auth(other_enterprise_user), **ORIGINAL)
    assert asked and asked[0] == original.id
    assert hints and hints[0]["id"] == original.id
    assert float(hints[0]["score"]) >= 0.95  # type: ignore[arg-type]
    assert all(float(h["score"]) <= float(hints[0]["score"]) for h in hints)  # type: ignore[arg-type]

    unrelated = _check(client, auth(other_enterprise_user), title="高校实验室危化品智能管理", summary="危化品出入库登记与称重。", problem="账实不符。")
    assert original.id not in [h["id"] for h in unrelated]


def test_hints_show_only_needs_the_caller_may_see(
    search_runtime: Runtime, client: TestClient, session: Session, session_factory: sessionmaker[Session],
    enterprise_org: Organisation, enterprise_user: User, other_enterprise_user: User, auth,
) -> None:
    under_review = factories.create_need(session, org=enterprise_org, status="submitted", **ORIGINAL)
    _index_all(search_runtime, session, session_factory)
    assert [h["id"] for h in _check(client, auth(enterprise_user), **ORIGINAL)] == [under_review.id]
    # another enterprise's need under review is not public: no hint, not even its title
    assert _check(client, auth(other_enterprise_user), **ORIGINAL) == []


def test_without_an_index_a_bounded_read_still_finds_an_exact_copy(
    runtime: Runtime, client: TestClient, session: Session, enterprise_org: Organisation,
    other_enterprise_user: User, auth, monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert runtime.meili is None
    original = factories.create_need(session, org=enterprise_org, status="published", **ORIGINAL)
    for title in OTHERS:
        factories.create_need(session, org=enterprise_org, status="published", title=title)
    session.commit()
    monkeypatch.setattr(queries, "FALLBACK_CANDIDATES", 2)
    hints = _check(client, auth(other_enterprise_user), **ORIGINAL)
    assert hints and hints[0]["id"] == original.id
