from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from market.db import session_scope, utcnow
from market.needs.models import Need
from market.outbox.models import OutboxEntry
from market.outbox.service import enqueue
from matching.embedders import HashEmbedder
from search.client import MeiliClient
from search.documents import BUREAU_EXTRA_FIELDS, NEVER_INDEXED, PUBLIC_NEED_FIELDS
from search.indexes import NEEDS, NEEDS_ALL, PROVIDERS, ensure_indexes, index_uid
from search.outbox import OutboxWorker, WorkerConfig, backlog, drain_once, unpark
from tests.factories import make_need, make_org, make_provider

pytestmark = pytest.mark.meili


def _doc(client: MeiliClient, prefix: str, name: str, doc_id: int) -> dict | None:
    return client.get_document(index_uid(prefix, name), doc_id)


def test_published_need_reaches_both_indexes_without_confidential_fields(
    db_factory: sessionmaker[Session], search_client: MeiliClient, prefix: str, embedder: HashEmbedder
) -> None:
    ensure_indexes(search_client, prefix)
    with session_scope(db_factory) as s:
        need_id = make_need(s).id
        anon_id = make_need(s, anonymous=True, title="匿名需求：光伏屋顶运维").id
        draft_id = make_need(s, status="draft").id
        submitted_id = make_need(s, status="submitted").id
    result = drain_once(db_factory, search_client, embedder, WorkerConfig(prefix=prefix))
    assert result.done == 4 and result.failed == 0

    public = _doc(search_client, prefix, NEEDS, need_id)
    assert public is not None
    assert set(public) <= set(PUBLIC_NEED_FIELDS)
    flat = repr(public)
    for secret in ("机密问题", "详细描述", "张三", "13800000000", "节能率", "尝试过", "保密条款"):
        assert secret not in flat
    assert public["org_name"].startswith("测试单位")

    anon = _doc(search_client, prefix, NEEDS, anon_id)
    assert anon is not None and "org_name" not in anon and "org_id" not in anon
    assert _doc(search_client, prefix, NEEDS, draft_id) is None
    assert _doc(search_client, prefix, NEEDS, submitted_id) is None

    bureau = _doc(search_client, prefix, NEEDS_ALL, submitted_id)
    assert bureau is not None and bureau["problem"] == "机密问题：模温机能耗高。"
    assert set(BUREAU_EXTRA_FIELDS) <= set(bureau) and not NEVER_INDEXED & set(bureau)
    assert _doc(search_client, prefix, NEEDS_ALL, draft_id) is None

    # the vector is there and hybrid search finds the need
    hits = search_client.search(
        index_uid(prefix, NEEDS),
        {"q": "余热", "vector": embedder.embed_queries(["余热回收"])[0].tolist(),
         "hybrid": {"embedder": "default", "semanticRatio": 0.5}},
    )["hits"]
    assert hits and hits[0]["id"] == need_id

    with session_scope(db_factory) as s:
        rows = s.scalars(select(OutboxEntry)).all()
        assert {r.status for r in rows} == {"done"} and all(r.processed_at for r in rows)


def test_unpublish_and_delete_remove_documents_and_entries_collapse(
    db_factory: sessionmaker[Session], search_client: MeiliClient, prefix: str, embedder: HashEmbedder
) -> None:
    ensure_indexes(search_client, prefix)
    config = WorkerConfig(prefix=prefix)
    with session_scope(db_factory) as s:
        need = make_need(s)
        need_id = need.id
    drain_once(db_factory, search_client, embedder, config)
    assert _doc(search_client, prefix, NEEDS, need_id) is not None
    with session_scope(db_factory) as s:
        need = s.get(Need, need_id)
        need.title = "第二版标题：余热利用"
        enqueue(s, "need", need_id)
    with session_scope(db_factory) as s:
        need = s.get(Need, need_id)
        need.status = "submitted"  # edited after publishing: back to review
        enqueue(s, "need", need_id)
    result = drain_once(db_factory, search_client, embedder, config)
    assert result.claimed == 2 and result.records == 1
    assert _doc(search_client, prefix, NEEDS, need_id) is None
    assert _doc(search_client, prefix, NEEDS_ALL, need_id)["title"] == "第二版标题：余热利用"
    with session_scope(db_factory) as s:
        s.delete(s.get(Need, need_id))
        enqueue(s, "need", need_id, "delete")
    drain_once(db_factory, search_client, embedder, config)
    assert _doc(search_client, prefix, NEEDS_ALL, need_id) is None


def test_providers_only_when_verified(
    db_factory: sessionmaker[Session], search_client: MeiliClient, prefix: str, embedder: HashEmbedder
) -> None:
    ensure_indexes(search_client, prefix)
    with session_scope(db_factory) as s:
        good = make_provider(s).id
        pending = make_provider(s, verified=False).id
        enterprise = make_org(s).id
        enqueue(s, "provider", enterprise)
    drain_once(db_factory, search_client, embedder, WorkerConfig(prefix=prefix))
    doc = _doc(search_client, prefix, PROVIDERS, good)
    assert doc is not None and doc["capability_names"] == ["印染废水余热回收示范工程"]
    assert _doc(search_client, prefix, PROVIDERS, pending) is None
    assert _doc(search_client, prefix, PROVIDERS, enterprise) is None


def test_failures_back_off_then_park_and_show_in_backlog(
    db_factory: sessionmaker[Session], search_client: MeiliClient, prefix: str, embedder: HashEmbedder
) -> None:
    ensure_indexes(search_client, prefix)
    with session_scope(db_factory) as s:
        ok_id = make_need(s).id
        enqueue(s, "bogus", 1)  # type: ignore[arg-type]
    config = WorkerConfig(prefix=prefix, max_attempts=2, backoff_base_s=60)
    result = drain_once(db_factory, search_client, embedder, config)
    assert result.done == 1 and result.failed == 1
    assert _doc(search_client, prefix, NEEDS, ok_id) is not None
    with session_scope(db_factory) as s:
        bad = s.scalars(select(OutboxEntry).where(OutboxEntry.topic == "bogus")).one()
        assert bad.attempts == 1 and bad.status == "pending" and "bogus" in bad.last_error
        assert bad.next_attempt_at > utcnow() + dt.timedelta(seconds=50)
    # not due yet: nothing claimed
    assert drain_once(db_factory, search_client, embedder, config).claimed == 0
    later = lambda: utcnow() + dt.timedelta(minutes=5)  # noqa: E731
    assert drain_once(db_factory, search_client, embedder, config, now=later).parked == 1
    with session_scope(db_factory) as s:
        assert backlog(s)["parked"] == 1 and backlog(s)["pending"] == 0
        assert unpark(s) == 1
    with session_scope(db_factory) as s:
        assert backlog(s)["pending"] == 1


def test_meili_down_writes_queue_and_worker_catches_up(
    db_factory: sessionmaker[Session], tmp_path_factory: pytest.TempPathFactory, embedder: HashEmbedder
) -> None:
    from tests.support.meili import client_for, start_test_meili

    server = start_test_meili(tmp_path_factory)
    client = client_for(server, timeout=2)
    prefix = "down_"
    try:
        ensure_indexes(client, prefix)
        server.stop()
        with session_scope(db_factory) as s:  # the write itself succeeds
            need_id = make_need(s).id
        result = drain_once(db_factory, client, embedder, WorkerConfig(prefix=prefix))
        assert result.unavailable and result.done == 0
        with session_scope(db_factory) as s:
            entry = s.scalars(select(OutboxEntry)).one()
            assert entry.status == "pending" and entry.attempts == 0  # an outage spends no attempt
        with OutboxWorker(db_factory, client, embedder, WorkerConfig(prefix=prefix), poll_interval=0.05):
            time.sleep(0.5)  # the worker keeps trying while the server is down
            server.start()
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and client.get_document(index_uid(prefix, NEEDS), need_id) is None:
                time.sleep(0.1)
        assert client.get_document(index_uid(prefix, NEEDS), need_id) is not None
    finally:
        client.close()
        server.stop()


def _two_workers(factory: sessionmaker[Session], client: MeiliClient, prefix: str, embedder: HashEmbedder) -> None:
    ensure_indexes(client, prefix)
    with session_scope(factory) as s:
        org = make_org(s)
        ids = [make_need(s, org, title=f"需求{i}：数控机床改造").id for i in range(60)]
    config = WorkerConfig(prefix=prefix, batch_size=7)
    stop = threading.Event()
    claimed: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        while not stop.is_set():
            r = drain_once(factory, client, embedder, config)
            with lock:
                claimed.append(r.claimed)
            if r.claimed == 0:
                return

    # edits race with the workers: the last committed title must win
    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for i in ids[:20]:
        with session_scope(factory) as s:
            s.get(Need, i).title = f"改后{i}"
            enqueue(s, "need", i)
    for t in threads:
        t.join(60)
    while drain_once(factory, client, embedder, config).claimed:
        pass
    with session_scope(factory) as s:
        assert s.scalar(select(OutboxEntry.id).where(OutboxEntry.status != "done")) is None
    docs = {d["id"]: d for d in client.iter_documents(index_uid(prefix, NEEDS), fields=["id", "title"])}
    assert set(docs) == set(ids)
    for i in ids[:20]:
        assert docs[i]["title"] == f"改后{i}"


@pytest.mark.postgres
def test_two_workers_on_postgres(
    pg_factory: sessionmaker[Session], search_client: MeiliClient, prefix: str, embedder: HashEmbedder
) -> None:
    _two_workers(pg_factory, search_client, prefix, embedder)


def test_two_workers_on_sqlite_are_still_correct(
    db_factory: sessionmaker[Session], search_client: MeiliClient, prefix: str, embedder: HashEmbedder
) -> None:
    _two_workers(db_factory, search_client, prefix, embedder)
