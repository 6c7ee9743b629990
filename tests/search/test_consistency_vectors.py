"""The consistency check finds indexed documents without a vector and repairs them via the outbox."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from market.db import session_scope
from market.needs.models import Need
from market.outbox.models import OutboxEntry
from market.outbox.service import enqueue
from matching.embedders import HashEmbedder
from search.client import MeiliClient
from search.consistency import VECTOR_FILTER_FEATURE, check_all, check_index, still_unembedded
from search.documents import need_public_text
from search.indexes import NEEDS, NEEDS_ALL, ensure_indexes, index_uid
from search.outbox import WorkerConfig, drain_once
from tests.factories import make_need

pytestmark = pytest.mark.meili


@pytest.fixture
def needs(db_factory: sessionmaker[Session], search_client: MeiliClient, prefix: str, embedder: HashEmbedder) -> list[int]:
    """Three published needs, indexed with their vectors; no outbox entry left pending."""
    ensure_indexes(search_client, prefix)
    with session_scope(db_factory) as s:
        ids = [
            make_need(s).id,
            make_need(s, title="数控机床远程运维与故障预测 zqvec", summary="为CNC机床加装传感器，实现远程监控。").id,
            make_need(s, title="厂房屋顶光伏发电与储能", summary="利用厂房屋顶建设光伏电站并配套储能系统。").id,
        ]
    assert drain_once(db_factory, search_client, embedder, WorkerConfig(prefix=prefix)).done == 3
    return ids


@pytest.fixture
def vector_filter(search_client: MeiliClient) -> Iterator[None]:
    """The instance-wide feature Meilisearch 1.21 needs for vector filters, on for one test."""
    before = bool(search_client.experimental_features().get(VECTOR_FILTER_FEATURE))
    search_client.update_experimental_features({VECTOR_FILTER_FEATURE: True})
    yield
    search_client.update_experimental_features({VECTOR_FILTER_FEATURE: before})


def _strip_vector(client: MeiliClient, prefix: str, name: str, doc_id: int) -> None:
    """What a crash between the phases or a manual edit leaves: the fields, no vector."""
    client.wait_task(client.update_documents(index_uid(prefix, name), [{"id": doc_id, "_vectors": {"default": None}}]))


def _drop_pending(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as s:
        s.execute(delete(OutboxEntry).where(OutboxEntry.status == "pending"))


def _vector(client: MeiliClient, prefix: str, name: str, doc_id: int) -> list[float] | None:
    page = client.get_documents(index_uid(prefix, name), filter=f"id = {doc_id}", retrieve_vectors=True)
    (doc,) = page["results"]
    embeddings = doc["_vectors"]["default"]["embeddings"]
    return embeddings[0] if embeddings else None


def _vector_hits(client: MeiliClient, prefix: str, name: str, vector: list[float]) -> list[int]:
    """Semantic side only: a document without a vector scores 0 if it is listed at all."""
    params = {"vector": vector, "hybrid": {"embedder": "default", "semanticRatio": 1.0}, "limit": 5, "showRankingScore": True}
    return [h["id"] for h in client.search(index_uid(prefix, name), params)["hits"] if h["_rankingScore"] > 0.5]


def _wanted(factory: sessionmaker[Session], embedder: HashEmbedder, need_id: int) -> list[float]:
    with factory() as s:
        need = s.get(Need, need_id)
        assert need is not None
        return [float(x) for x in embedder.embed_passages([need_public_text(need)])[0]]


def _by_index(reports: list[Any], prefix: str) -> dict[str, Any]:
    return {r.index.removeprefix(prefix): r for r in reports}


class Calls:
    """Records the document reads a check makes, passing them through to the real server."""

    def __init__(self, client: MeiliClient, monkeypatch: pytest.MonkeyPatch) -> None:
        self.reads: list[dict[str, Any]] = []
        self.features = 0
        real_get, real_features = client.get_documents, client.experimental_features

        def get_documents(index: str, **kw: Any) -> Any:
            self.reads.append(kw)
            return real_get(index, **kw)

        def experimental_features() -> dict[str, bool]:
            self.features += 1
            return real_features()

        monkeypatch.setattr(client, "get_documents", get_documents)
        monkeypatch.setattr(client, "experimental_features", experimental_features)

    def with_vectors(self) -> list[dict[str, Any]]:
        return [kw for kw in self.reads if kw.get("retrieve_vectors")]


def test_vectorless_document_is_reported_and_repaired_through_the_outbox(
    needs: list[int], db_factory: sessionmaker[Session], search_client: MeiliClient, prefix: str, embedder: HashEmbedder
) -> None:
    victim = needs[1]
    wanted = _wanted(db_factory, embedder, victim)
    assert _vector_hits(search_client, prefix, NEEDS, wanted)[0] == victim
    _strip_vector(search_client, prefix, NEEDS, victim)
    _drop_pending(db_factory)
    assert _vector(search_client, prefix, NEEDS, victim) is None
    assert victim not in _vector_hits(search_client, prefix, NEEDS, wanted)  # what users lose

    with db_factory() as s:
        reports = _by_index(check_all(search_client, s, prefix=prefix), prefix)
    assert reports[NEEDS].vectorless == [victim] and not reports[NEEDS].consistent
    assert reports[NEEDS].missing == reports[NEEDS].stale == reports[NEEDS].extra == []
    assert reports[NEEDS_ALL].consistent  # its copy kept the vector
    assert reports["providers"].consistent

    with session_scope(db_factory) as s:
        report = check_index(search_client, s, NEEDS, prefix=prefix, repair=True)
        assert report.vectorless == [victim] and report.enqueued == 1
    with db_factory() as s:
        entry = s.scalars(select(OutboxEntry).where(OutboxEntry.status == "pending")).one()
        assert (entry.topic, entry.record_id, entry.op) == ("need", victim, "upsert")

    assert drain_once(db_factory, search_client, embedder, WorkerConfig(prefix=prefix)).done == 1
    stored = _vector(search_client, prefix, NEEDS, victim)
    assert stored is not None and max(abs(a - b) for a, b in zip(stored, wanted, strict=True)) < 1e-4
    assert _vector_hits(search_client, prefix, NEEDS, wanted)[0] == victim
    with db_factory() as s:
        assert all(r.consistent for r in check_all(search_client, s, prefix=prefix))


def test_without_the_vector_filter_the_ids_come_from_a_scan_with_vectors(
    needs: list[int],
    db_factory: sessionmaker[Session],
    search_client: MeiliClient,
    prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert not search_client.experimental_features().get(VECTOR_FILTER_FEATURE)  # 1.21's default
    _strip_vector(search_client, prefix, NEEDS, needs[0])
    _drop_pending(db_factory)
    calls = Calls(search_client, monkeypatch)
    with db_factory() as s:
        assert check_index(search_client, s, NEEDS, prefix=prefix).vectorless == [needs[0]]
    assert not any("_vectors" in str(kw.get("filter")) for kw in calls.reads)
    # Every document was read with its vectors (one page here), then the candidate once more.
    assert [kw.get("filter") for kw in calls.with_vectors()] == [None, f"id IN [{needs[0]}]"]


def test_vector_filter_finds_them_when_the_instance_allows_it(
    needs: list[int],
    db_factory: sessionmaker[Session],
    search_client: MeiliClient,
    prefix: str,
    monkeypatch: pytest.MonkeyPatch,
    vector_filter: None,
) -> None:
    _strip_vector(search_client, prefix, NEEDS, needs[2])
    _drop_pending(db_factory)
    calls = Calls(search_client, monkeypatch)
    with db_factory() as s:
        assert check_index(search_client, s, NEEDS, prefix=prefix).vectorless == [needs[2]]
    assert [kw["filter"] for kw in calls.reads if "_vectors" in str(kw.get("filter"))] == ["NOT _vectors.default EXISTS"]
    # Only the one candidate is read with its vector (to confirm it), not the whole index.
    assert [kw["filter"] for kw in calls.with_vectors()] == [f"id IN [{needs[2]}]"]


def test_index_whose_stats_count_every_vector_is_not_scanned_for_vectors(
    needs: list[int], db_factory: sessionmaker[Session], search_client: MeiliClient, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = Calls(search_client, monkeypatch)
    with db_factory() as s:
        assert all(r.consistent for r in check_all(search_client, s, prefix=prefix))
    assert calls.with_vectors() == [] and calls.features == 0


def test_document_whose_outbox_entry_is_pending_is_not_reported(
    needs: list[int], db_factory: sessionmaker[Session], search_client: MeiliClient, prefix: str
) -> None:
    """Between the two write phases a document has no vector: its pending entry completes it."""
    _strip_vector(search_client, prefix, NEEDS, needs[0])
    with session_scope(db_factory) as s:
        enqueue(s, "need", needs[0])
    with db_factory() as s:
        report = check_index(search_client, s, NEEDS, prefix=prefix)
    assert report.vectorless == [] and report.consistent

    # A parked entry completes nothing: the document is reported again.
    with session_scope(db_factory) as s:
        pending = select(OutboxEntry).where(OutboxEntry.record_id == needs[0], OutboxEntry.status == "pending")
        s.scalars(pending).one().status = "parked"
    with db_factory() as s:
        assert check_index(search_client, s, NEEDS, prefix=prefix).vectorless == [needs[0]]


def test_stale_document_without_vector_is_enqueued_once(
    needs: list[int], db_factory: sessionmaker[Session], search_client: MeiliClient, prefix: str
) -> None:
    _strip_vector(search_client, prefix, NEEDS, needs[0])
    with session_scope(db_factory) as s:
        need = s.get(Need, needs[0])
        assert need is not None
        need.title = "悄悄改了标题，没有写 outbox"
    with session_scope(db_factory) as s:
        report = check_index(search_client, s, NEEDS, prefix=prefix, repair=True)
        assert report.stale == [needs[0]] and report.vectorless == [] and report.enqueued == 1


def test_vector_check_can_be_left_out(
    needs: list[int], db_factory: sessionmaker[Session], search_client: MeiliClient, prefix: str
) -> None:
    """A worker without an embedder writes every document without a vector."""
    _strip_vector(search_client, prefix, NEEDS, needs[0])
    _drop_pending(db_factory)
    with db_factory() as s:
        assert check_index(search_client, s, NEEDS, prefix=prefix, vectors=False).consistent


def test_candidates_are_read_again_before_they_are_reported(needs: list[int], search_client: MeiliClient, prefix: str) -> None:
    """A vector round that lands between the scan and the report is no finding."""
    _strip_vector(search_client, prefix, NEEDS, needs[1])
    assert still_unembedded(search_client, index_uid(prefix, NEEDS), [needs[0], needs[1], 987654]) == {needs[1]}


def test_cli_lists_vectorless_ids_and_repairs_them(
    needs: list[int],
    db_factory: sessionmaker[Session],
    search_client: MeiliClient,
    prefix: str,
    embedder: HashEmbedder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from web import cli

    runtime = SimpleNamespace(meili=search_client, session_factory=db_factory, index_prefix=prefix)
    monkeypatch.setattr(cli, "_runtime", lambda *_a, **_k: contextlib.nullcontext(runtime))
    _strip_vector(search_client, prefix, NEEDS, needs[2])
    _drop_pending(db_factory)
    runner = CliRunner()

    found = runner.invoke(cli.app, ["consistency"])
    assert found.exit_code == 1, found.output
    assert f"{prefix}needs: 数据库 3 条，索引 3 条，缺失 0，过期 0，多余 0，缺向量 1" in found.output
    assert f"  缺向量: {needs[2]}\n" in found.output
    assert f"{prefix}needs_all: 数据库 3 条，索引 3 条，缺失 0，过期 0，多余 0，缺向量 0" in found.output

    repaired = runner.invoke(cli.app, ["consistency", "--repair"])
    assert repaired.exit_code == 0, repaired.output
    assert "缺向量 1；已排队修复 1 条" in repaired.output
    drain_once(db_factory, search_client, embedder, WorkerConfig(prefix=prefix))
    clean = runner.invoke(cli.app, ["consistency"])
    assert clean.exit_code == 0, clean.output
    assert "缺向量:" not in clean.output
