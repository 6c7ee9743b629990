"""The outbox worker never holds the database's write lock while it embeds or waits for
Meilisearch: SQLite has one writer, and a request's write must not queue behind the index."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from market.db import session_scope
from market.outbox.models import OutboxEntry
from matching.embedders import HashEmbedder
from search.client import MeiliClient
from search.indexes import ensure_indexes
from search.outbox import OutboxWorker, WorkerConfig
from tests.factories import make_need, make_org

pytestmark = pytest.mark.meili


class BlockingEmbedder(HashEmbedder):
    """Embeds passages only when released (or after ``hold_s``): the worker stays busy indexing."""

    def __init__(self, hold_s: float = 8.0) -> None:
        super().__init__(384)
        self.busy = threading.Event()
        self.release = threading.Event()
        self.hold_s = hold_s

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if list(texts) != ["预热"]:  # not the warm-up at start: a drain is embedding
            self.busy.set()
            self.release.wait(self.hold_s)
        return super().embed_passages(texts)


def _timed_write(factory: sessionmaker[Session], org_id: int, title: str) -> float:
    from market.orgs.models import Organisation

    start = time.monotonic()
    with session_scope(factory) as s:
        make_need(s, s.get(Organisation, org_id), title=title)
    return time.monotonic() - start


def test_requests_write_while_the_worker_embeds(
    db_factory: sessionmaker[Session], search_client: MeiliClient, prefix: str
) -> None:
    ensure_indexes(search_client, prefix)
    with session_scope(db_factory) as s:
        org = make_org(s)
        for i in range(5):
            make_need(s, org, title=f"注塑车间能耗优化 {i}")
        org_id = org.id
    embedder = BlockingEmbedder()
    worker = OutboxWorker(db_factory, search_client, embedder, WorkerConfig(prefix=prefix, vector_interval_s=0))
    with worker:
        assert embedder.busy.wait(90), "the worker never started embedding"
        took = [_timed_write(db_factory, org_id, f"新需求 {i}") for i in range(3)]
        embedder.release.set()
    assert max(took) < 1.0, f"a write waited {max(took):.1f} s for the worker"


def test_a_failing_record_does_not_keep_the_lock_while_others_are_indexed(
    db_factory: sessionmaker[Session], search_client: MeiliClient, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Record by record after a failure: entries already marked are not flushed into a write
    transaction that stays open while the next record embeds."""
    from search import documents, outbox

    ensure_indexes(search_client, prefix)
    with session_scope(db_factory) as s:
        org = make_org(s)
        bad_id = make_need(s, org, title="坏记录").id
        for i in range(3):
            make_need(s, org, title=f"冷却塔节水改造 {i}")
        org_id = org.id
    real_build_plan = documents.build_plan

    def build_plan(session: Session, records: Sequence[tuple[str, int]]) -> documents.Plan:
        if len(records) > 1 and any(r == ("need", bad_id) for r in records):
            raise ValueError("bad record")
        if list(records) == [("need", bad_id)]:
            raise ValueError("bad record")
        return real_build_plan(session, records)

    monkeypatch.setattr(outbox, "build_plan", build_plan)
    embedder = BlockingEmbedder()
    worker = OutboxWorker(db_factory, search_client, embedder, WorkerConfig(prefix=prefix, vector_interval_s=0))
    with worker:
        assert embedder.busy.wait(90), "the worker never started embedding"
        took = _timed_write(db_factory, org_id, "新需求")
        embedder.release.set()
    assert took < 1.0, f"a write waited {took:.1f} s for the worker"
    with session_scope(db_factory) as s:
        statuses = {e.record_id: e.status for e in s.scalars(select(OutboxEntry).where(OutboxEntry.topic == "need"))}
    assert statuses[bad_id] == "pending"
