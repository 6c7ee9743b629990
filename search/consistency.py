"""Compare an index with the database and, optionally, repair it.

Each document carries ``updated_ts``, the record's token; a document is *stale* when its token
differs from the database's, *missing* when the database says it should be indexed and it is
not, *extra* when it is indexed but should not be. Repair enqueues outbox entries, so the fix
goes through the same worker as every other write (and is retried like them).

A document is *vectorless* when it is indexed and expected but has no embedding for the
``default`` embedder, and no outbox entry of its record is pending: a worker crash between the
two write phases followed by a lost entry, or a manual edit, leaves it out of vector and hybrid
search's semantic side for good. The worker writes a document's fields (with ``updated_ts``)
first and its vector in a later round, keeping the record's entry pending until the vector
landed (search/outbox.py), so a document whose vector is still to come is not reported: its
pending entry is what completes it. Repair enqueues an upsert; the worker finds the fields
current and writes only the vector. Vector values are not compared with the text (that would
mean embedding every record); ``updated_ts`` covers edits.

Finding them stays cheap: the index's stats count embedded documents, so an index where every
document has its vector is not scanned at all. Otherwise the ids come from the vector filter
``NOT _vectors.default EXISTS`` when the instance has the ``multimodal`` experimental feature on
(Meilisearch 1.21 refuses vector filters without it; a read-only check does not switch on an
instance-wide experimental feature), else from a paged scan with ``retrieveVectors``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session
from tqdm import tqdm

from market.needs.models import Need
from market.needs.states import PUBLIC_STATUSES
from market.orgs.models import PROVIDER_KINDS, Organisation, Verification
from market.outbox.models import OutboxEntry
from market.outbox.service import Topic, enqueue
from search.client import MeiliClient
from search.documents import load_providers, provider_token, ts_ms
from search.errors import MeiliRequestError, MeiliUnavailable, SearchUnavailable
from search.indexes import EMBEDDER, INDEX_NAMES, NEEDS, NEEDS_ALL, PROVIDERS, index_uid
from search.outbox import PENDING

log = logging.getLogger(__name__)

# Meilisearch 1.21 accepts vector filters only with this instance-wide experimental feature.
VECTOR_FILTER_FEATURE: Final = "multimodal"
# Pages of documents with their vectors (384 floats each, ~8 KB as JSON) stay a few MB.
_VECTOR_PAGE: Final = 500
# Ids per ``IN`` list, in SQL and in Meilisearch filters.
_CHUNK: Final = 500


@dataclass
class ConsistencyReport:
    index: str
    indexed: int = 0
    expected: int = 0
    missing: list[int] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)
    extra: list[int] = field(default_factory=list)
    vectorless: list[int] = field(default_factory=list)
    enqueued: int = 0

    @property
    def consistent(self) -> bool:
        return not any(self.findings().values())

    def findings(self) -> dict[str, list[int]]:
        """Each kind of difference with its record ids, in the order the CLI reports them."""
        return {"missing": self.missing, "stale": self.stale, "extra": self.extra, "vectorless": self.vectorless}


def expected_tokens(session: Session, name: str) -> dict[int, int | None]:
    """What the index ``name`` should hold: record id → token."""
    if name in (NEEDS, NEEDS_ALL):
        stmt = select(Need.id, Need.updated_at)
        if name == NEEDS:
            stmt = stmt.where(Need.status.in_([str(s) for s in PUBLIC_STATUSES]))
        else:
            stmt = stmt.where(Need.status != "draft")
        return {int(i): ts_ms(u) for i, u in session.execute(stmt)}
    ids = list(
        session.scalars(
            select(Organisation.id).where(
                Organisation.kind.in_(list(PROVIDER_KINDS)), Organisation.verification == Verification.verified
            )
        )
    )
    return {i: provider_token(*pair) for i, pair in load_providers(session, ids).items()}


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _has_vector(doc: dict[str, Any]) -> bool:
    vectors = doc.get("_vectors")
    entry = vectors.get(EMBEDDER) if isinstance(vectors, dict) else None
    if isinstance(entry, dict):
        return bool(entry.get("embeddings"))
    return bool(entry)  # the bare-array form, as written (not how Meilisearch returns it)


def _scan_tokens(client: MeiliClient, uid: str, total: int, progress: bool) -> dict[int, Any]:
    """Every indexed document's token, by id."""
    indexed: dict[int, Any] = {}
    with tqdm(total=total, desc=f"consistency {uid}", unit="doc", disable=not progress) as bar:
        for doc in client.iter_documents(uid, fields=["id", "updated_ts"]):
            indexed[int(doc["id"])] = doc.get("updated_ts")
            bar.update(1)
    return indexed


def vector_filter_enabled(client: MeiliClient) -> bool:
    try:
        return bool(client.experimental_features().get(VECTOR_FILTER_FEATURE))
    except MeiliRequestError:  # a key that may not read instance settings: scan instead
        return False


def unembedded_ids(client: MeiliClient, uid: str, *, total: int, lacking: int, progress: bool = False) -> set[int]:
    """Ids of the documents of ``uid`` without an embedding for the ``default`` embedder.

    ``lacking`` is the count the stats give; 0 skips the work. The vector filter returns only
    those ids; without it every document is fetched with its vectors, a page at a time.
    """
    if lacking <= 0:
        return set()
    if vector_filter_enabled(client):
        try:
            return {
                int(d["id"])
                for d in client.iter_documents(uid, fields=["id"], filter=f"NOT _vectors.{EMBEDDER} EXISTS")
            }
        except MeiliRequestError as exc:  # the filter's syntax or gate changed in this version
            log.warning("consistency: vector filter refused on %s (%s); scanning with vectors", uid, exc)
    found: set[int] = set()
    with tqdm(total=total, desc=f"vectors {uid}", unit="doc", disable=not progress) as bar:
        for doc in client.iter_documents(uid, fields=["id"], batch=_VECTOR_PAGE, retrieve_vectors=True):
            if not _has_vector(doc):
                found.add(int(doc["id"]))
            bar.update(1)
    return found


def still_unembedded(client: MeiliClient, uid: str, ids: Sequence[int]) -> set[int]:
    """Those of ``ids`` that are indexed and still have no vector, read again now."""
    found: set[int] = set()
    for chunk in _chunks(ids):
        page = client.get_documents(
            uid, fields=["id"], filter=f"id IN [{', '.join(str(i) for i in chunk)}]",
            limit=len(chunk), retrieve_vectors=True,
        )
        found.update(int(d["id"]) for d in page.get("results", []) if not _has_vector(d))
    return found


def pending_records(session: Session, topic: Topic, ids: Sequence[int]) -> set[int]:
    """Those of ``ids`` with a pending outbox entry: the worker will complete them anyway."""
    found: set[int] = set()
    for chunk in _chunks(ids):
        found.update(
            session.scalars(
                select(OutboxEntry.record_id).where(
                    OutboxEntry.status == PENDING, OutboxEntry.topic == topic, OutboxEntry.record_id.in_(chunk)
                )
            )
        )
    return found


def check_index(
    client: MeiliClient,
    session: Session,
    name: str,
    *,
    prefix: str = "jiebang_",
    repair: bool = False,
    vectors: bool = True,
    progress: bool = False,
) -> ConsistencyReport:
    """Diff one index against the database; with ``repair`` enqueue the fixes (caller commits).

    ``vectors`` False skips the vector check (a deployment whose worker runs without an
    embedder writes every document without one).
    """
    uid = index_uid(prefix, name)
    topic: Topic = "provider" if name == PROVIDERS else "need"
    indexed: dict[int, Any] = {}
    unembedded: set[int] = set()
    try:
        if client.get_index(uid) is not None:
            stats = client.stats(uid)
            total = int(stats.get("numberOfDocuments", 0))
            # One embedder per index, so documents without an embedding are the difference.
            lacking = total - int(stats.get("numberOfEmbeddedDocuments", 0)) if vectors else 0
            indexed = _scan_tokens(client, uid, total, progress)
            unembedded = unembedded_ids(client, uid, total=total, lacking=lacking, progress=progress)
    except MeiliUnavailable:
        raise SearchUnavailable() from None
    expected = expected_tokens(session, name)
    report = ConsistencyReport(uid, indexed=len(indexed), expected=len(expected))
    for record_id, token in expected.items():
        if record_id not in indexed:
            report.missing.append(record_id)
        elif indexed[record_id] != token:
            report.stale.append(record_id)
    report.extra = sorted(set(indexed) - set(expected))
    report.missing.sort()
    report.stale.sort()
    # A stale document's repair writes its vector too; one entry per record is enough.
    candidates = sorted(unembedded.intersection(expected).difference(report.stale))
    pending = pending_records(session, topic, candidates)
    candidates = [i for i in candidates if i not in pending]
    if candidates:
        # Read again after the database: a vector round that landed since the scan (its entry
        # now done, so not pending above) must not raise a false alarm.
        try:
            report.vectorless = sorted(still_unembedded(client, uid, candidates))
        except MeiliUnavailable:
            raise SearchUnavailable() from None
    if repair:
        for record_id in report.missing + report.stale + report.vectorless:
            enqueue(session, topic, record_id, "upsert")
        for record_id in report.extra:
            # The worker deletes a record that should not be indexed, whatever the op says.
            enqueue(session, topic, record_id, "delete")
        report.enqueued = len(report.missing) + len(report.stale) + len(report.vectorless) + len(report.extra)
    return report


def check_all(
    client: MeiliClient,
    session: Session,
    *,
    prefix: str = "jiebang_",
    repair: bool = False,
    vectors: bool = True,
    progress: bool = False,
) -> list[ConsistencyReport]:
    return [
        check_index(client, session, name, prefix=prefix, repair=repair, vectors=vectors, progress=progress)
        for name in INDEX_NAMES
    ]
