"""Rebuild an index from the database, the source of truth, without a moment of empty results.

The new documents go into ``<uid>_tmp_<ts>`` with the declared settings; then one
``swap_indexes`` task exchanges it with the live index atomically, and the old contents (now
under the temporary name) are deleted. The new index gets the configured vector store, so a
rebuild is also a way to change stores without converting the live index in place. Records
changed while the rebuild ran are written again into the live index afterwards, so a
concurrent edit is not lost by the swap.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker
from tqdm import tqdm

from market.db import utcnow
from market.needs.models import Need
from market.orgs.models import PROVIDER_KINDS, Organisation, ProviderProfile
from matching.embedders import CachedEmbedder, Embedder
from search.client import MeiliClient
from search.documents import Plan, build_plan, embed_docs
from search.indexes import (
    DEFAULT_DIMENSIONS,
    DEFAULT_VECTOR_STORE,
    INDEX_NAMES,
    NEEDS,
    NEEDS_ALL,
    PROVIDERS,
    VectorStore,
    ensure_index,
    index_uid,
)
from search.outbox import WorkerConfig, sync_records

log = logging.getLogger(__name__)

_TOPIC = {NEEDS: "need", NEEDS_ALL: "need", PROVIDERS: "provider"}
# Edits committed this long before the rebuild began are re-applied too (clock skew, long tx).
_SAFETY = dt.timedelta(seconds=30)
# Entries the full-rebuild memo keeps: more than any index here holds, so no text is embedded twice.
_REBUILD_MEMO_ENTRIES = 1_000_000


@dataclass
class ReindexResult:
    index: str
    documents: int
    seconds: float

    @property
    def docs_per_s(self) -> float:
        return self.documents / self.seconds if self.seconds else 0.0


def _record_ids(session: Session, name: str, batch: int) -> Iterator[list[int]]:
    if _TOPIC[name] == "need":
        stmt = select(Need.id).order_by(Need.id)
    else:
        stmt = select(Organisation.id).where(Organisation.kind.in_(list(PROVIDER_KINDS))).order_by(Organisation.id)
    ids = list(session.scalars(stmt))
    for start in range(0, len(ids), batch):
        yield ids[start : start + batch]


def _count(session: Session, name: str) -> int:
    if _TOPIC[name] == "need":
        return int(session.scalar(select(func.count(Need.id))) or 0)
    return int(session.scalar(select(func.count(Organisation.id)).where(Organisation.kind.in_(list(PROVIDER_KINDS)))) or 0)


def _changed_since(session: Session, name: str, since: dt.datetime) -> list[tuple[str, int]]:
    if _TOPIC[name] == "need":
        return [("need", i) for i in session.scalars(select(Need.id).where(Need.updated_at >= since))]
    stmt = (
        select(Organisation.id)
        .outerjoin(ProviderProfile, ProviderProfile.org_id == Organisation.id)
        .where(or_(ProviderProfile.updated_at >= since, Organisation.verified_at >= since))
    )
    return [("provider", i) for i in session.scalars(stmt)]


def reindex(
    session_factory: sessionmaker[Session],
    client: MeiliClient,
    embedder: Embedder | None,
    prefix: str,
    name: str,
    *,
    batch_size: int = 500,
    progress: bool = True,
    timeout: float = 600.0,
    vector_store: VectorStore = DEFAULT_VECTOR_STORE,
) -> ReindexResult:
    """Rebuild index kind ``name`` beside the live one and swap it in."""
    if name not in INDEX_NAMES:
        raise ValueError(f"unknown index kind {name!r}")
    live = index_uid(prefix, name)
    tmp = f"{live}_tmp_{int(time.time() * 1000)}"
    dims = embedder.dim if embedder is not None else DEFAULT_DIMENSIONS
    started_at = utcnow()
    t0 = time.perf_counter()
    ensure_index(client, tmp, name, dims, timeout, vector_store=vector_store)
    if client.get_index(live) is None:  # the swap needs both to exist
        ensure_index(client, live, name, dims, timeout, vector_store=vector_store)
    documents = 0
    tasks: list[int] = []
    with session_factory() as session:
        total = _count(session, name)
        bar = tqdm(total=total, desc=f"reindex {live}", unit="rec", disable=not progress)
        for ids in _record_ids(session, name, batch_size):
            plan: Plan = build_plan(session, [(_TOPIC[name], i) for i in ids])
            pending = plan.upserts.get(name, [])
            if pending:
                tasks.append(client.add_documents(tmp, embed_docs(pending, embedder)))
                documents += len(pending)
            session.expunge_all()
            bar.update(len(ids))
            # Keep a bounded queue so a failure surfaces early and memory stays flat.
            if len(tasks) > 8:
                client.wait_task(tasks.pop(0), timeout)
        bar.close()
    for uid in tasks:
        client.wait_task(uid, timeout)
    client.wait_task(client.swap_indexes([(live, tmp)]), timeout)
    client.wait_task(client.delete_index(tmp), timeout)
    with session_factory() as session:
        changed = _changed_since(session, name, started_at - _SAFETY)
        session.rollback()
    if changed:
        sync_records(
            session_factory, client, embedder, changed, WorkerConfig(prefix=prefix, vector_store=vector_store)
        )
    seconds = time.perf_counter() - t0
    log.info("reindexed %s: %d documents in %.1fs", live, documents, seconds)
    return ReindexResult(live, documents, seconds)


def reindex_all(
    session_factory: sessionmaker[Session],
    client: MeiliClient,
    embedder: Embedder | None,
    *,
    prefix: str = "jiebang_",
    progress: bool = True,
    vector_store: VectorStore = DEFAULT_VECTOR_STORE,
) -> list[ReindexResult]:
    # The public and bureau need indexes embed the same texts: remember them for the whole
    # rebuild, so each costs one model call instead of two.
    memo = CachedEmbedder(embedder, max_entries=_REBUILD_MEMO_ENTRIES) if embedder is not None else None
    return [
        reindex(session_factory, client, memo, prefix, name, progress=progress, vector_store=vector_store)
        for name in INDEX_NAMES
    ]


def settle_outbox(session_factory: sessionmaker[Session], before: dt.datetime) -> int:
    """Mark pending entries written before a full rebuild started as done: the rebuild read the
    database after them, so what they asked for is already in the index."""
    from sqlalchemy import update

    from market.outbox.models import OutboxEntry

    with session_factory() as session:
        result = session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.status == "pending", OutboxEntry.created_at < before)
            .values(status="done", processed_at=utcnow(), last_error="superseded by full reindex")
        )
        session.commit()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
