"""The vector store setting: applied at start, idempotent, and switchable on a live index."""

from __future__ import annotations

import math
import threading
import time

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from market.db import session_scope
from market.settings import MeiliSettings, Settings
from matching.embedders import HashEmbedder
from search.client import MeiliClient
from search.indexes import (
    DEFAULT_VECTOR_STORE,
    INDEX_NAMES,
    NEEDS,
    VECTOR_STORE_FEATURE,
    VectorStore,
    ensure_indexes,
    index_uid,
)
from search.outbox import WorkerConfig, drain_once, run_worker
from search.queries import NeedSearchParams, search_needs
from search.reindex import reindex
from tests.factories import make_need

pytestmark = pytest.mark.meili


def _last_task(client: MeiliClient) -> int:
    return int(client.get_tasks(limit=1)["results"][0]["uid"])


def _store(client: MeiliClient, uid: str) -> object:
    return client.get_settings(uid).get("vectorStore")


def _unit(angle: float) -> list[float]:
    return [math.cos(angle), math.sin(angle), 0.0]


def _docs(n: int) -> list[dict[str, object]]:
    """``n`` documents whose vectors are spread over a half circle, so each has one nearest id."""
    return [
        {"id": i, "title": f"需求{i}", "status": "published", "_vectors": {"default": _unit(math.pi * i / n)}}
        for i in range(n)
    ]


def _nearest(client: MeiliClient, uid: str, vector: list[float], limit: int = 3) -> list[int]:
    res = client.search(
        uid, {"q": "", "vector": vector, "hybrid": {"embedder": "default", "semanticRatio": 1.0}, "limit": limit}
    )
    return [int(h["id"]) for h in res["hits"]]


@pytest.mark.parametrize("store", ["stable", "experimental"])
def test_store_is_applied_to_every_index_and_idempotent(
    search_client: MeiliClient, prefix: str, store: VectorStore
) -> None:
    uids = ensure_indexes(search_client, prefix, vector_store=store)
    assert search_client.experimental_features()[VECTOR_STORE_FEATURE] is True
    assert {name: _store(search_client, uid) for name, uid in uids.items()} == {name: store for name in INDEX_NAMES}
    before = _last_task(search_client)
    ensure_indexes(search_client, prefix, vector_store=store)  # a second start
    assert _last_task(search_client) == before  # nothing changed, nothing enqueued


def test_feature_switched_off_is_switched_on_again(search_client: MeiliClient, prefix: str) -> None:
    ensure_indexes(search_client, prefix, names=[NEEDS], vector_store="experimental")
    search_client.update_experimental_features({VECTOR_STORE_FEATURE: False})
    try:
        # Without the feature Meilisearch hides the setting; the next start must still see it as set.
        ensure_indexes(search_client, prefix, names=[NEEDS], vector_store="experimental")
        assert search_client.experimental_features()[VECTOR_STORE_FEATURE] is True
        assert _store(search_client, index_uid(prefix, NEEDS)) == "experimental"
    finally:
        search_client.update_experimental_features({VECTOR_STORE_FEATURE: True})


def test_vector_search_finds_the_nearest_documents_on_the_experimental_store(
    search_client: MeiliClient, prefix: str
) -> None:
    uid = ensure_indexes(search_client, prefix, dimensions=3, names=[NEEDS], vector_store="experimental")[NEEDS]
    search_client.wait_task(search_client.add_documents(uid, _docs(200)))
    assert _nearest(search_client, uid, _unit(math.pi * 50 / 200))[0] == 50
    assert _nearest(search_client, uid, _unit(math.pi * 150.2 / 200))[:2] == [150, 151]
    # a small write after the bulk load is searchable by its vector
    search_client.wait_task(
        search_client.add_documents(uid, [{"id": 999, "title": "新需求", "_vectors": {"default": [0.0, 0.0, 1.0]}}])
    )
    assert _nearest(search_client, uid, [0.0, 0.1, 1.0], limit=1) == [999]


def test_hybrid_need_search_through_the_worker_on_the_experimental_store(
    search_client: MeiliClient, prefix: str, db_factory: sessionmaker[Session], embedder: HashEmbedder
) -> None:
    ensure_indexes(search_client, prefix, vector_store="experimental")
    with session_scope(db_factory) as s:
        heat = make_need(s).id
        pv = make_need(s, title="厂房屋顶太阳能发电与储能", summary="利用厂房屋顶建设光伏电站并配套储能系统。").id
    drain_once(db_factory, search_client, embedder, WorkerConfig(prefix=prefix, vector_store="experimental"))
    res = search_needs(
        search_client, NeedSearchParams(q="屋顶 储能", mode="hybrid"), prefix=prefix, embedder=embedder
    )
    assert res.mode == "hybrid" and res.hits[0].id == pv
    semantic = search_needs(
        search_client, NeedSearchParams(q="屋顶 储能", mode="hybrid"), prefix=prefix, embedder=embedder,
        semantic_ratio=1.0,
    )
    assert {h.id for h in semantic.hits} == {heat, pv} and semantic.hits[0].id == pv


@pytest.mark.parametrize(("old", "new"), [("stable", "experimental"), ("experimental", "stable")])
def test_switching_the_store_of_a_live_index_keeps_documents_and_vectors(
    search_client: MeiliClient, prefix: str, old: VectorStore, new: VectorStore
) -> None:
    uid = ensure_indexes(search_client, prefix, dimensions=3, names=[NEEDS], vector_store=old)[NEEDS]
    assert _store(search_client, uid) == old
    search_client.wait_task(search_client.add_documents(uid, _docs(500)))
    ensure_indexes(search_client, prefix, dimensions=3, names=[NEEDS], vector_store=new, timeout=120)
    assert _store(search_client, uid) == new
    # only the store was sent, so the task converts the vectors and re-examines nothing else
    task = search_client.get_task(_last_task(search_client))
    assert task["type"] == "settingsUpdate" and task["details"] == {"vectorStore": new}
    stats = search_client.stats(uid)
    assert stats["numberOfDocuments"] == 500
    assert stats["numberOfEmbeddedDocuments"] == 500
    assert _nearest(search_client, uid, _unit(math.pi * 321 / 500))[0] == 321
    assert search_client.get_document(uid, 7) == {"id": 7, "title": "需求7", "status": "published"}
    before = _last_task(search_client)
    ensure_indexes(search_client, prefix, dimensions=3, names=[NEEDS], vector_store=new)
    assert _last_task(search_client) == before


def test_reindex_builds_the_new_index_with_the_configured_store(
    search_client: MeiliClient, prefix: str, db_factory: sessionmaker[Session], embedder: HashEmbedder
) -> None:
    uid = ensure_indexes(search_client, prefix, vector_store="stable")[NEEDS]
    with session_scope(db_factory) as s:
        need = make_need(s).id
    drain_once(db_factory, search_client, embedder, WorkerConfig(prefix=prefix, vector_store="stable"))
    assert _store(search_client, uid) == "stable"
    result = reindex(db_factory, search_client, embedder, prefix, NEEDS, progress=False, vector_store="experimental")
    assert result.documents == 1
    assert _store(search_client, uid) == "experimental"
    assert search_client.get_document(uid, need) is not None
    assert search_client.stats(uid)["numberOfEmbeddedDocuments"] == 1


def test_the_worker_applies_its_configured_store(search_client: MeiliClient, prefix: str, db_factory: sessionmaker[Session]) -> None:
    stop = threading.Event()
    config = WorkerConfig(prefix=prefix, vector_store="experimental")  # not the default
    thread = threading.Thread(target=run_worker, args=(db_factory, search_client, None, stop, 0.05, config))
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not all(search_client.get_index(index_uid(prefix, n)) for n in INDEX_NAMES):
            assert time.monotonic() < deadline, "worker did not create the indexes"
            time.sleep(0.05)
        deadline = time.monotonic() + 30
        while _store(search_client, index_uid(prefix, INDEX_NAMES[-1])) != "experimental":
            assert time.monotonic() < deadline, "worker did not apply the vector store"
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(10)
    assert {_store(search_client, index_uid(prefix, n)) for n in INDEX_NAMES} == {"experimental"}


def test_the_store_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    # stable by default: experimental panics on some searches in Meilisearch 1.21 (search/indexes.py)
    assert MeiliSettings().vector_store == DEFAULT_VECTOR_STORE == "stable"
    monkeypatch.setenv("JIEBANG_MEILI__VECTOR_STORE", "experimental")
    assert Settings().meili.vector_store == "experimental"
    monkeypatch.setenv("JIEBANG_MEILI__VECTOR_STORE", "annoy")
    with pytest.raises(ValidationError):
        Settings()
