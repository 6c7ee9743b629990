"""The two write phases of the outbox worker: fields at once, vectors in shared later rounds."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from market.db import session_scope, utcnow
from market.needs.models import Need
from market.outbox.models import OutboxEntry
from market.outbox.service import enqueue
from matching.embedders import HashEmbedder
from search.client import MeiliClient
from search.consistency import check_all
from search.documents import need_public_text
from search.indexes import NEEDS, NEEDS_ALL, ensure_indexes, index_uid
from search.outbox import OutboxWorker, VectorGate, WorkerConfig, drain_once
from tests.factories import make_need

pytestmark = pytest.mark.meili


def _vector(client: MeiliClient, prefix: str, name: str, doc_id: int) -> list[float] | None:
    page = client.get_documents(index_uid(prefix, name), filter=f"id = {doc_id}", retrieve_vectors=True)
    (doc,) = page["results"]
    embeddings = doc["_vectors"]["default"]["embeddings"]
    return embeddings[0] if embeddings else None


def _keyword_ids(client: MeiliClient, prefix: str, name: str, q: str) -> list[int]:
    return [h["id"] for h in client.search(index_uid(prefix, name), {"q": q})["hits"]]


def _vector_ids(client: MeiliClient, prefix: str, name: str, vector: list[float]) -> list[int]:
    """Semantic part only: a document without a vector is listed, if at all, with score 0."""
    params = {
        "vector": vector, "hybrid": {"embedder": "default", "semanticRatio": 1.0}, "limit": 5,
        "showRankingScore": True,
    }
    hits = client.search(index_uid(prefix, name), params)["hits"]
    return [h["id"] for h in hits if h["_rankingScore"] > 0.5]


def _statuses(factory: sessionmaker[Session]) -> set[str]:
    with factory() as s:
        return set(s.scalars(select(OutboxEntry.status)))


def _close(vector: list[float] | None, wanted: Any) -> bool:
    return vector is not None and max(abs(a - float(b)) for a, b in zip(vector, wanted, strict=True)) < 1e-4


def test_published_need_is_keyword_searchable_before_its_vector_is_written(
    db_factory: sessionmaker[Session], search_client: MeiliClient, prefix: str, embedder: HashEmbedder
) -> None:
    ensure_indexes(search_client, prefix)
    with session_scope(db_factory) as s:
        need = make_need(s, title="印染废水余热回收项目 zqphaseone")
        need_id, text = need.id, need_public_text(need)
    wanted = embedder.embed_passages([text])[0]
    closed = VectorGate(60.0, opens_at=utcnow() + dt.timedelta(seconds=60))
    result = drain_once(db_factory, search_client, embedder, WorkerConfig(prefix=prefix), gate=closed)
    assert result.claimed == 1 and result.done == 0 and result.deferred == 1

    # phase 1 landed: keyword search finds it in both indexes, but it has no vector yet
    for name in (NEEDS, NEEDS_ALL):
        assert _keyword_ids(search_client, prefix, name, "zqphaseone") == [need_id]
        assert _vector(search_client, prefix, name, need_id) is None
        assert need_id not in _vector_ids(search_client, prefix, name, wanted.tolist())
    # the entry waits for the gate, spending no attempt; the index is not "inconsistent" meanwhile
    with db_factory() as s:
        entry = s.scalars(select(OutboxEntry)).one()
        assert entry.status == "pending" and entry.attempts == 0 and entry.last_error == ""
        assert entry.next_attempt_at.replace(tzinfo=dt.UTC) >= utcnow() + dt.timedelta(seconds=50)
        assert all(r.consistent for r in check_all(search_client, s, prefix=prefix))
    assert drain_once(db_factory, search_client, embedder, WorkerConfig(prefix=prefix), gate=closed).claimed == 0

    # phase 2 when the gate opens: the vector is set, the fields are kept, the entry is done
    later = lambda: utcnow() + dt.timedelta(seconds=61)  # noqa: E731
    result = drain_once(db_factory, search_client, embedder, WorkerConfig(prefix=prefix), gate=closed, now=later)
    assert result.done == 1 and result.deferred == 0
    for name in (NEEDS, NEEDS_ALL):
        assert _close(_vector(search_client, prefix, name, need_id), wanted)
        assert _vector_ids(search_client, prefix, name, wanted.tolist())[0] == need_id
        doc = search_client.get_document(index_uid(prefix, name), need_id)
        assert doc is not None and doc["title"] == "印染废水余热回收项目 zqphaseone" and doc["county"] == "海宁市"
    assert _statuses(db_factory) == {"done"}
    assert not closed.is_open(utcnow() + dt.timedelta(seconds=62))  # the round closed the gate again


def test_changed_text_keeps_the_old_vector_until_phase_two(
    db_factory: sessionmaker[Session], search_client: MeiliClient, prefix: str, embedder: HashEmbedder
) -> None:
    ensure_indexes(search_client, prefix)
    config = WorkerConfig(prefix=prefix)
    with session_scope(db_factory) as s:
        need = make_need(s)
        need_id, old_text = need.id, need_public_text(need)
    assert drain_once(db_factory, search_client, embedder, config).done == 1  # no gate: both phases
    old = embedder.embed_passages([old_text])[0]
    assert _close(_vector(search_client, prefix, NEEDS, need_id), old)

    with session_scope(db_factory) as s:
        need = s.get(Need, need_id)
        need.title = "数控机床远程运维平台"
        enqueue(s, "need", need_id)
        new = embedder.embed_passages([need_public_text(need)])[0]
    closed = VectorGate(60.0, opens_at=utcnow() + dt.timedelta(seconds=60))
    assert drain_once(db_factory, search_client, embedder, config, gate=closed).deferred == 1
    assert search_client.get_document(index_uid(prefix, NEEDS), need_id)["title"] == "数控机床远程运维平台"
    assert _close(_vector(search_client, prefix, NEEDS, need_id), old)  # replaced fields kept the vector

    later = lambda: utcnow() + dt.timedelta(seconds=61)  # noqa: E731
    result = drain_once(db_factory, search_client, embedder, config, gate=closed, now=later)
    assert result.done == 1
    for name in (NEEDS, NEEDS_ALL):
        assert _close(_vector(search_client, prefix, name, need_id), new)


class WorkerKilled(BaseException):
    """Not an Exception: nothing in the worker may catch it, as with a killed process."""


def test_worker_killed_between_the_phases_loses_and_duplicates_nothing(
    db_factory: sessionmaker[Session],
    search_client: MeiliClient,
    prefix: str,
    embedder: HashEmbedder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ensure_indexes(search_client, prefix)
    with session_scope(db_factory) as s:
        ids = [make_need(s, title=f"注塑机节能改造 第{i}号 zqkill").id for i in range(3)]

    def die(*_: Any, **__: Any) -> int:
        raise WorkerKilled()

    monkeypatch.setattr(search_client, "update_documents", die)  # phase 2 never starts
    with pytest.raises(WorkerKilled):
        drain_once(db_factory, search_client, embedder, WorkerConfig(prefix=prefix))
    monkeypatch.undo()
    assert _statuses(db_factory) == {"pending"}
    assert sorted(_keyword_ids(search_client, prefix, NEEDS, "zqkill")) == sorted(ids)
    assert all(_vector(search_client, prefix, NEEDS, i) is None for i in ids)

    uid = index_uid(prefix, NEEDS)
    last = int(search_client.get_tasks(indexUids=uid, limit=1)["results"][0]["uid"])
    result = drain_once(db_factory, search_client, embedder, WorkerConfig(prefix=prefix))
    assert result.done == 3 and _statuses(db_factory) == {"done"}
    # the re-run found the fields in place and sent only the vectors: one partial update
    tasks = [t for t in search_client.get_tasks(indexUids=uid)["results"] if int(t["uid"]) > last]
    assert [t["details"]["receivedDocuments"] for t in tasks] == [3]
    for i in ids:
        assert _vector(search_client, prefix, NEEDS, i) is not None
    with db_factory() as s:
        reports = check_all(search_client, s, prefix=prefix)
    assert all(r.consistent and r.indexed == r.expected for r in reports)


def test_running_worker_writes_vectors_in_later_shared_rounds(
    db_factory: sessionmaker[Session], search_client: MeiliClient, prefix: str, embedder: HashEmbedder
) -> None:
    ensure_indexes(search_client, prefix)
    config = WorkerConfig(prefix=prefix, vector_interval_s=4.0)

    def done() -> bool:
        return _statuses(db_factory) == {"done"}

    def wait(predicate: Any, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, "timed out"
            time.sleep(0.02)

    with OutboxWorker(db_factory, search_client, embedder, config, poll_interval=0.05) as worker:
        with session_scope(db_factory) as s:
            first = make_need(s, title="光伏屋顶运维 zqfirst").id
        worker.notify()
        wait(done)  # the gate starts open: both phases at once, then it closes for 4 s
        assert _vector(search_client, prefix, NEEDS, first) is not None

        with session_scope(db_factory) as s:
            second = make_need(s, title="空压机余热利用 zqsecond")
            second_id, text = second.id, need_public_text(second)
        worker.notify()
        wait(lambda: _keyword_ids(search_client, prefix, NEEDS, "zqsecond") == [second_id])
        assert not done() and _vector(search_client, prefix, NEEDS, second_id) is None
        wait(done)
    wanted = embedder.embed_passages([text])[0]
    assert _vector_ids(search_client, prefix, NEEDS, wanted.tolist())[0] == second_id


def test_the_interval_is_a_setting_with_the_worker_default(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from market.settings import MeiliSettings, Settings

    assert MeiliSettings().vector_interval_s == WorkerConfig().vector_interval_s > 0
    assert MeiliSettings().vector_max_wait_s == WorkerConfig().vector_max_wait_s > 0
    # one-document writes: 0.01-0.04 s with 512 MiB, up to 2.5 s with Meilisearch's default
    assert MeiliSettings().max_indexing_memory == "512MiB"
    monkeypatch.setenv("JIEBANG_MEILI__VECTOR_INTERVAL_S", "0")
    assert Settings().meili.vector_interval_s == 0
    monkeypatch.setenv("JIEBANG_MEILI__VECTOR_INTERVAL_S", "-1")
    with pytest.raises(ValidationError):
        Settings()


def test_a_vector_round_gives_way_to_new_field_writes_but_not_forever(
    db_factory: sessionmaker[Session],
    search_client: MeiliClient,
    prefix: str,
    embedder: HashEmbedder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ensure_indexes(search_client, prefix)
    with session_scope(db_factory) as s:
        need = make_need(s, title="锅炉烟气余热回收 zqpreempt")
        need_id, text = need.id, need_public_text(need)
    real_update = search_client.update_documents
    blockers: list[int] = []

    def behind_a_long_task(index: str, docs: Any, primary_key: str = "id") -> int:
        # Something slow ahead in Meilisearch's queue keeps the vector round unfinished.
        bulk = [{"id": i, "title": f"占位 {i}"} for i in range(20_000)]
        blockers.append(search_client.add_documents(f"{prefix}blocker", bulk))
        return real_update(index, docs, primary_key)

    monkeypatch.setattr(search_client, "update_documents", behind_a_long_task)
    # new changes were committed before the round: it is not even started, and the entry stays
    # due, so the round follows the next drain's field writes
    gate = VectorGate(60.0, preempt=lambda: True)
    result = drain_once(db_factory, search_client, embedder, WorkerConfig(prefix=prefix), gate=gate)
    assert result.deferred == 1 and not blockers and gate.is_open(utcnow())

    # new changes arrive while the round waits in Meilisearch's queue: it is cancelled
    answers = iter([False])  # nothing waits when the round starts, then something does
    gate = VectorGate(60.0, preempt=lambda: next(answers, True))
    result = drain_once(db_factory, search_client, embedder, WorkerConfig(prefix=prefix), gate=gate)
    assert result.deferred == 1 and result.done == 0 and len(blockers) == 2
    vector_tasks = search_client.get_tasks(indexUids=index_uid(prefix, NEEDS), types="documentAdditionOrUpdate")
    assert vector_tasks["results"][0]["status"] == "canceled"  # the latest: the vector round
    assert _keyword_ids(search_client, prefix, NEEDS, "zqpreempt") == [need_id]
    assert _vector(search_client, prefix, NEEDS, need_id) is None
    assert gate.waiting_since is not None and not gate.is_open(utcnow())
    monkeypatch.undo()
    for uid in blockers:
        search_client.wait_task(uid, 60)

    # vectors that waited max_wait_s are written however busy it is
    gate.max_wait_s = 0.0
    later = lambda: utcnow() + dt.timedelta(seconds=61)  # noqa: E731
    result = drain_once(db_factory, search_client, embedder, WorkerConfig(prefix=prefix), gate=gate, now=later)
    assert result.done == 1 and gate.waiting_since is None
    wanted = embedder.embed_passages([text])[0]
    assert _close(_vector(search_client, prefix, NEEDS, need_id), wanted)
    assert _close(_vector(search_client, prefix, NEEDS_ALL, need_id), wanted)
