"""Faults: Meilisearch killed mid-sync, the database refusing a write, the worker dying between
claim and mark. After each, no need, response or deal is lost or duplicated and the indexes
match the database (search.consistency, the same check as ``jiebang consistency``).

These tests commit for real (worker and requests use their own sessions), so they run on their
own SQLite file and their own Meilisearch process, which they are free to kill.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from market.audit.models import AuditEntry
from market.db import make_engine, session_scope
from market.deals.models import Deal
from market.migrate import upgrade
from market.needs.models import Need
from market.outbox.models import OutboxEntry
from market.responses.models import Response
from market.settings import Settings, get_settings
from matching.embedders import load_embedder
from search import outbox as outbox_mod
from search.client import MeiliClient
from search.consistency import check_all
from search.indexes import NEEDS, ensure_indexes, index_uid
from search.outbox import OutboxWorker, WorkerConfig, drain_once
from search.process import LocalMeilisearch
from tests import factories
from tests.factories import make_need, make_provider
from tests.support.meili import unique_prefix
from web.app import create_app
from web.runtime import Runtime

EMBEDDER = load_embedder("hash")


@pytest.fixture
def meili(tmp_path: Path) -> Iterator[LocalMeilisearch]:
    server = LocalMeilisearch(tmp_path / "meili", get_settings().meili.binary, max_indexing_threads=1).start()
    yield server
    server.stop()


@pytest.fixture
def world(tmp_path: Path, meili: LocalMeilisearch) -> Iterator[dict[str, Any]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'faults.db'}")
    upgrade(engine)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    client = MeiliClient(meili.url, meili.master_key, timeout=5)
    prefix = unique_prefix()
    ensure_indexes(client, prefix, EMBEDDER.dim)
    yield {"engine": engine, "factory": factory, "client": client, "prefix": prefix, "meili": meili}
    client.close()
    engine.dispose()


def _seed(factory: sessionmaker[Session], needs: int = 30, providers: int = 5) -> None:
    with session_scope(factory) as s:
        for i in range(needs):
            make_need(s, title=f"注塑车间余热回收 第{i}号")
        for _ in range(providers):
            make_provider(s)


def _counts(factory: sessionmaker[Session]) -> dict[str, int]:
    with factory() as s:
        return {
            "needs": s.scalar(select(func.count()).select_from(Need)) or 0,
            "responses": s.scalar(select(func.count()).select_from(Response)) or 0,
            "deals": s.scalar(select(func.count()).select_from(Deal)) or 0,
            "pending": s.scalar(select(func.count()).where(OutboxEntry.status != "done")) or 0,
        }


def _wait(predicate: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def _assert_consistent(w: dict[str, Any]) -> None:
    with w["factory"]() as s:
        reports = check_all(w["client"], s, prefix=w["prefix"])
    assert all(r.consistent for r in reports), [(r.index, r.missing, r.stale, r.extra) for r in reports]
    assert sum(r.expected for r in reports) > 0


def _drained(w: dict[str, Any]) -> bool:
    return _counts(w["factory"])["pending"] == 0


# --- (a) Meilisearch killed during sync --------------------------------------------------------


def test_meilisearch_killed_during_sync_then_restarted(world: dict[str, Any]) -> None:
    w = world
    _seed(w["factory"], needs=24)
    before = _counts(w["factory"])
    config = WorkerConfig(prefix=w["prefix"], batch_size=6, task_timeout_s=5)
    with OutboxWorker(w["factory"], w["client"], EMBEDDER, config, poll_interval=0.05):
        # Kill as soon as the first batch landed: the rest are mid-flight or still queued.
        _wait(lambda: _counts(w["factory"])["pending"] < before["pending"], timeout=30)
        w["meili"].kill()
        assert _counts(w["factory"])["pending"] > 0, "the kill must happen during the sync"
        time.sleep(1.0)  # the worker meets the outage and backs off
        w["meili"].start()  # same port, key and data directory
        _wait(lambda: _drained(w), timeout=90)
    after = _counts(w["factory"])
    assert {k: after[k] for k in ("needs", "responses", "deals")} == {
        k: before[k] for k in ("needs", "responses", "deals")
    }
    with w["factory"]() as s:
        parked = s.scalar(select(func.count()).where(OutboxEntry.status == "parked"))
    assert parked == 0, "an outage must not park entries"
    _assert_consistent(w)


# --- (b) the database refuses a write mid-operation --------------------------------------------


class RefusedWrite(RuntimeError):
    pass


def _refuse_flush_of(model: type, *, once: bool, when: Any = lambda obj: True) -> Any:
    """A session hook that fails the flush carrying a matching ``model`` row, as a DB error would."""
    state = {"fired": 0}

    def before_flush(session: Session, *_: Any) -> None:
        if once and state["fired"]:
            return
        for obj in list(session.new) + list(session.dirty):
            if isinstance(obj, model) and when(obj):
                state["fired"] += 1
                raise RefusedWrite(f"refused write of {model.__name__}")

    event.listen(Session, "before_flush", before_flush)
    return before_flush


def test_request_rolled_back_whole_when_audit_write_is_refused(
    world: dict[str, Any], test_settings: Settings
) -> None:
    """Need row and audit entry are one transaction: when the database refuses the audit entry,
    the request fails with the generic 500 and no need is left behind; a retry creates one."""
    w = world
    with session_scope(w["factory"]) as s:
        org = factories.create_org(s, kind="enterprise")
        user = factories.create_user(s, org)
        token = factories_token(s, user)
    rt = Runtime(
        settings=test_settings,
        engine=w["engine"],
        session_factory=w["factory"],
        meili=w["client"],
        index_prefix=w["prefix"],
    )
    rt.set_embedder(EMBEDDER)
    headers = {"Authorization": f"Bearer {token}"}
    body = factories.need_fields(title="余热回收故障注入需求")
    hook = _refuse_flush_of(AuditEntry, once=False, when=lambda e: e.object_type == "need")
    try:
        with TestClient(create_app(runtime=rt, start_worker=False), raise_server_exceptions=False) as c:
            r = c.post("/api/v1/needs", json=body, headers=headers)
            assert r.status_code == 500 and r.json()["error"]["code"] == "internal_error"
            assert "RefusedWrite" not in r.text
    finally:
        event.remove(Session, "before_flush", hook)
    title = Need.title == "余热回收故障注入需求"
    with w["factory"]() as s:
        assert s.scalar(select(func.count()).where(title)) == 0
    with TestClient(create_app(runtime=rt, start_worker=False)) as c:
        assert c.post("/api/v1/needs", json=body, headers=headers).status_code == 201
    with w["factory"]() as s:
        assert s.scalar(select(func.count()).where(title)) == 1
        need_id = s.scalar(select(Need.id).where(title))
        assert (
            s.scalar(
                select(func.count()).where(AuditEntry.object_type == "need", AuditEntry.object_id == need_id)
            )
            >= 1
        )


def test_need_submit_refused_mid_transaction_leaves_nothing_behind(
    world: dict[str, Any], test_settings: Settings
) -> None:
    """Submitting writes the transition, the audit entry and the outbox entry; refuse the last."""
    w = world
    with session_scope(w["factory"]) as s:
        org = factories.create_org(s, kind="enterprise")
        user = factories.create_user(s, org)
        need = factories.create_need(s, org=org, user=user, status="draft")
        token = factories_token(s, user)
        need_id = need.id
    rt = Runtime(
        settings=test_settings,
        engine=w["engine"],
        session_factory=w["factory"],
        meili=w["client"],
        index_prefix=w["prefix"],
    )
    rt.set_embedder(EMBEDDER)
    headers = {"Authorization": f"Bearer {token}"}
    hook = _refuse_flush_of(OutboxEntry, once=False)
    try:
        with TestClient(create_app(runtime=rt, start_worker=False), raise_server_exceptions=False) as c:
            assert c.post(f"/api/v1/needs/{need_id}/submit", json={}, headers=headers).status_code == 500
    finally:
        event.remove(Session, "before_flush", hook)
    with w["factory"]() as s:
        assert s.get(Need, need_id).status == "draft"  # type: ignore[union-attr]
        assert (
            s.scalar(
                select(func.count()).where(OutboxEntry.record_id == need_id, OutboxEntry.topic == "need")
            )
            == 0
        )
    with TestClient(create_app(runtime=rt, start_worker=False)) as c:
        assert c.post(f"/api/v1/needs/{need_id}/submit", json={}, headers=headers).status_code == 200
    with w["factory"]() as s:
        assert s.get(Need, need_id).status == "submitted"  # type: ignore[union-attr]
    drain_once(w["factory"], w["client"], EMBEDDER, WorkerConfig(prefix=w["prefix"]))
    _assert_consistent(w)


def test_worker_mark_refused_after_meili_write_is_retried_idempotently(world: dict[str, Any]) -> None:
    """Meilisearch has the documents but the database refuses to mark the entries done: they stay
    pending, the next round writes the same documents again (upsert by id) and marks them."""
    w = world
    _seed(w["factory"], needs=12, providers=2)
    before = _counts(w["factory"])
    config = WorkerConfig(prefix=w["prefix"], batch_size=100)
    hook = _refuse_flush_of(OutboxEntry, once=True, when=lambda e: e.status == "done")
    try:
        with pytest.raises(RefusedWrite):
            drain_once(w["factory"], w["client"], EMBEDDER, config)
    finally:
        event.remove(Session, "before_flush", hook)
    assert _counts(w["factory"])["pending"] == before["pending"]  # nothing marked
    result = drain_once(w["factory"], w["client"], EMBEDDER, config)
    assert result.done == before["pending"] and _drained(w)
    assert _counts(w["factory"])["needs"] == before["needs"]
    _assert_consistent(w)


# --- (c) the worker dies between claim and mark ------------------------------------------------


class WorkerKilled(BaseException):
    """Not an Exception: nothing in the worker may catch it, as with a killed thread or process."""


def test_worker_dies_between_claim_and_mark_then_a_new_one_finishes(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    w = world
    _seed(w["factory"], needs=20, providers=3)
    before = _counts(w["factory"])
    written = threading.Event()
    real_apply = outbox_mod.apply_plan

    def apply_then_die(*args: Any, **kwargs: Any) -> None:
        real_apply(*args, **kwargs)  # the documents reached Meilisearch...
        written.set()
        raise WorkerKilled()  # ...and the worker died before marking its claimed entries

    monkeypatch.setattr(outbox_mod, "apply_plan", apply_then_die)
    crashed: list[BaseException] = []

    def doomed() -> None:
        try:
            drain_once(w["factory"], w["client"], EMBEDDER, WorkerConfig(prefix=w["prefix"], batch_size=10))
        except WorkerKilled as exc:
            crashed.append(exc)

    t = threading.Thread(target=doomed)
    t.start()
    t.join(60)
    assert written.is_set() and crashed
    assert _counts(w["factory"])["pending"] == before["pending"], (
        "the dead worker's claim is released, nothing marked"
    )
    monkeypatch.setattr(outbox_mod, "apply_plan", real_apply)

    # A fresh worker picks everything up (the half-done batch included) and finishes.
    with OutboxWorker(
        w["factory"],
        w["client"],
        EMBEDDER,
        WorkerConfig(prefix=w["prefix"], batch_size=10),
        poll_interval=0.05,
    ):
        _wait(lambda: _drained(w), timeout=60)
    after = _counts(w["factory"])
    assert after["needs"] == before["needs"]
    _assert_consistent(w)
    # Every record is indexed once: document counts equal the database's expectation.
    with w["factory"]() as s:
        reports = check_all(w["client"], s, prefix=w["prefix"])
    assert all(r.indexed == r.expected for r in reports)


def test_consistency_repair_after_documents_vanish(world: dict[str, Any]) -> None:
    """Lost index state (a wiped or restored Meilisearch) is found and repaired from the database."""
    w = world
    _seed(w["factory"], needs=10, providers=2)
    drain_once(w["factory"], w["client"], EMBEDDER, WorkerConfig(prefix=w["prefix"]))
    uid = index_uid(w["prefix"], NEEDS)
    with w["factory"]() as s:
        victims = list(s.scalars(select(Need.id).limit(3)))
    w["client"].wait_task(w["client"].delete_documents(uid, victims), 10)
    with session_scope(w["factory"]) as s:
        reports = check_all(w["client"], s, prefix=w["prefix"], repair=True)
        assert sorted(next(r for r in reports if r.index == uid).missing) == sorted(victims)
    drain_once(w["factory"], w["client"], EMBEDDER, WorkerConfig(prefix=w["prefix"]))
    _assert_consistent(w)


def factories_token(session: Session, user: Any) -> str:
    from market.orgs import service as org_service

    token, _ = org_service.issue_token(session, user, 24)
    return token
