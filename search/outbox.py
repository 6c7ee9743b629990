"""The outbox worker: keeps the indexes in step with the database.

Rules (STYLE.md, "Search sync"):

* at least once and idempotent: documents are upserted and deleted by id;
* pending entries of one record collapse into one write of the record's *current* state;
* an entry is marked done only after Meilisearch reports the task ``succeeded``, for both
  phases of its record: first the document's fields (a keyword search finds it from then on),
  then its vector, written in shared rounds at most every ``vector_interval_s`` seconds
  (``VectorGate``) because each vector write costs Meilisearch far more than a field write;
  an entry whose vector is still to come stays pending, so a restart at any moment loses
  nothing (the next round sees the stored fields are current and writes only the vector);
* failures keep the attempt count, the next try (exponential backoff) and the last error; after
  ``max_attempts`` an entry is parked and shows in the health check.

No transaction stays open while the worker embeds or waits for Meilisearch (SQLite has one
writer: a request's write would queue behind the index). A round is three short steps: claim
(mark the entries leased, ``claim_lease_s`` ahead, and commit), index (reads in short sessions of
their own, then Meilisearch and the embedder with no transaction open), settle (mark the entries
in a fresh transaction). A worker that dies mid-round leaves its entries pending; they are due
again when the lease runs out.

Several workers may run against PostgreSQL: entries are claimed with ``FOR UPDATE SKIP LOCKED``
inside the short claim transaction, and the lease keeps them from other workers afterwards. Two workers may still hold
entries of the same record (an older one and a newer one); whichever task lands last is followed
by a re-read of the record's token in a fresh session and, if the database moved on, a rewrite.
So the index ends at the latest committed state whatever the interleaving. On SQLite one worker
is expected; a second one would only repeat idempotent writes.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from market.db import utcnow
from market.outbox.models import OutboxEntry
from market.outbox.service import JOB_TOPICS
from matching.embedders import Embedder
from search.client import FINISHED, MeiliClient
from search.documents import TOPIC_INDEXES, Doc, Plan, build_plan, current_tokens, embed_docs, warm_up
from search.errors import MeiliRequestError, MeiliTaskFailed, MeiliUnavailable, SearchError
from search.indexes import (
    DEFAULT_DIMENSIONS,
    DEFAULT_VECTOR_STORE,
    EMBEDDER,
    VectorStore,
    ensure_indexes,
    index_uid,
)

log = logging.getLogger(__name__)

PENDING = "pending"
DONE = "done"
PARKED = "parked"

Record = tuple[str, int]


@dataclass(frozen=True)
class WorkerConfig:
    prefix: str = "jiebang_"
    batch_size: int = 200
    max_attempts: int = 8
    backoff_base_s: float = 1.0
    backoff_max_s: float = 600.0
    task_timeout_s: float = 30.0
    # A record that keeps changing while we write it is rewritten at most this many times per drain.
    max_rewrites: int = 3
    vector_store: VectorStore = DEFAULT_VECTOR_STORE
    # Settings tasks at start (a vector store conversion) may take much longer than a write.
    settings_timeout_s: float = 600.0
    # The running worker writes vectors at most once per this many seconds (``VectorGate``);
    # fields go out at once. 0: vectors in the same round as the fields.
    vector_interval_s: float = 5.0
    # A vector round gives way to new field writes until vectors have waited this long.
    vector_max_wait_s: float = 60.0
    # A claimed entry is not due for other workers for this long; past it (its worker died or
    # hung) another worker takes it up. Longer than a round ever takes.
    claim_lease_s: float = 120.0


@dataclass
class DrainResult:
    claimed: int = 0
    done: int = 0
    failed: int = 0
    parked: int = 0
    records: int = 0
    rewrites: int = 0
    # Fields written, vectors waiting for the gate: left pending, due when it opens.
    deferred: int = 0
    # Meilisearch was unreachable: untouched entries stay due, attempts are not spent.
    unavailable: bool = False
    errors: list[str] = field(default_factory=list)


def backoff_delay(attempts: int, config: WorkerConfig) -> float:
    return float(min(config.backoff_base_s * 2 ** max(attempts - 1, 0), config.backoff_max_s))


# -- claiming -------------------------------------------------------------------------------------


def _claim(session: Session, now: dt.datetime, limit: int) -> list[OutboxEntry]:
    """Lock due entries, then every other pending entry of the same records (collapsed together)."""
    is_pg = session.get_bind().dialect.name == "postgresql"
    due = (
        select(OutboxEntry)
        .where(
            OutboxEntry.status == PENDING,
            OutboxEntry.next_attempt_at <= now,
            OutboxEntry.topic.not_in(JOB_TOPICS),  # those have handlers of their own
        )
        .order_by(OutboxEntry.id)
        .limit(limit)
    )
    if is_pg:
        due = due.with_for_update(skip_locked=True)
    entries = list(session.scalars(due))
    if not entries:
        return []
    records = {(e.topic, e.record_id) for e in entries}
    claimed_ids = {e.id for e in entries}
    by_topic: dict[str, list[int]] = {}
    for topic, record_id in records:
        by_topic.setdefault(topic, []).append(record_id)
    for topic, ids in by_topic.items():
        siblings = select(OutboxEntry).where(
            OutboxEntry.status == PENDING, OutboxEntry.topic == topic, OutboxEntry.record_id.in_(ids)
        )
        if is_pg:
            siblings = siblings.with_for_update(skip_locked=True)
        for extra in session.scalars(siblings):
            if extra.id not in claimed_ids:
                entries.append(extra)
                claimed_ids.add(extra.id)
    return entries


# -- writing --------------------------------------------------------------------------------------

# The topic of the records each index holds, to tell which entries a pending vector belongs to.
_INDEX_TOPIC: Final = {name: topic for topic, names in TOPIC_INDEXES.items() for name in names}


@dataclass
class VectorGate:
    """Lets one round of vector writes through every ``interval_s`` seconds, and gives way to
    field writes.

    With the stable vector store every write that carries vectors makes Meilisearch update (and
    now and then rebuild) its trees: 0.4 s to several seconds on a 100,000-need index, and every
    task queued behind it waits. Field writes without vectors cost a fraction of that. So the
    worker writes a record's fields at once (what a keyword search needs) and its vector in a
    later round, shared by every record that changed meanwhile. ``interval_s`` 0 writes vectors
    in the same round as the fields.

    ``preempt`` (the running worker's wake-up: new entries were committed) holds a round back
    while changes already wait (it then follows their field writes), and lets a round that is
    still running be cancelled so new field writes need not wait for it; Meilisearch drops a
    cancelled batch whole, and the round is tried again ``interval_s`` later. Once vectors have
    waited ``max_wait_s`` a round is no longer cancelled, so vectors land however busy it gets.
    """

    interval_s: float = 0.0
    opens_at: dt.datetime | None = None
    preempt: Callable[[], bool] | None = None
    max_wait_s: float = 60.0
    # Since when vectors have been waiting without a completed round (None: nothing waits).
    waiting_since: dt.datetime | None = None

    def is_open(self, now: dt.datetime) -> bool:
        return self.opens_at is None or now >= self.opens_at

    def deferred(self, now: dt.datetime) -> None:
        if self.waiting_since is None:
            self.waiting_since = now

    def passed(self, now: dt.datetime) -> None:
        """A round landed: close for ``interval_s``."""
        self.waiting_since = None
        if self.interval_s > 0:
            self.opens_at = now + dt.timedelta(seconds=self.interval_s)

    def preempted(self, now: dt.datetime) -> None:
        self.deferred(now)
        self.opens_at = now + dt.timedelta(seconds=self.interval_s)

    def may_preempt(self, now: dt.datetime) -> bool:
        if self.preempt is None:
            return False
        if self.waiting_since is not None and (now - self.waiting_since).total_seconds() >= self.max_wait_s:
            return False
        return self.preempt()


def _stored_vector(stored: Doc | None) -> list[float] | None:
    vectors = stored.get("_vectors") if stored is not None else None
    entry = vectors.get(EMBEDDER) if isinstance(vectors, dict) else None
    embeddings = entry.get("embeddings") if isinstance(entry, dict) else None
    if not embeddings:
        return None
    first = embeddings[0]
    return [float(x) for x in first] if isinstance(first, list) else None


def _same_vector(stored: list[float] | None, wanted: list[float]) -> bool:
    """Meilisearch stores f32; our vectors are rounded to 6 decimals, so allow a little slack."""
    if stored is None or len(stored) != len(wanted):
        return False
    return bool(np.allclose(np.asarray(stored), np.asarray(wanted), rtol=0.0, atol=1e-4))


def _fields(stored: Doc) -> Doc:
    return {k: v for k, v in stored.items() if k != "_vectors"}


def read_stored(
    client: MeiliClient, plan: Plan, prefix: str, *, vectors: bool
) -> dict[str, dict[int, Doc]] | None:
    """The stored documents the plan touches, by index kind and id; None if the index cannot be read."""
    targets: dict[str, set[int]] = {}
    for name, pending in plan.upserts.items():
        targets.setdefault(name, set()).update(int(p.doc["id"]) for p in pending)
    for name, ids in plan.deletes.items():
        targets.setdefault(name, set()).update(int(i) for i in ids)
    stored: dict[str, dict[int, Doc]] = {}
    try:
        for name, wanted in targets.items():
            if not wanted:
                continue
            page = client.get_documents(
                index_uid(prefix, name),
                filter=f"id IN [{', '.join(str(i) for i in sorted(wanted))}]",
                limit=len(wanted),
                retrieve_vectors=vectors,
            )
            stored[name] = {int(d["id"]): d for d in page.get("results", [])}
    except MeiliRequestError:
        return None
    return stored


@dataclass
class Writes:
    """What the index lacks for a plan. Phase 1, ``fields`` and ``deletes``: documents to add or
    replace and ids to delete. Phase 2, ``vectors``: partial updates that set only ``_vectors``."""

    fields: dict[str, list[Doc]] = field(default_factory=dict)
    deletes: dict[str, list[int]] = field(default_factory=dict)
    vectors: dict[str, list[Doc]] = field(default_factory=dict)

    def vector_records(self) -> set[Record]:
        return {(_INDEX_TOPIC[name], int(d["id"])) for name, docs in self.vectors.items() for d in docs}


def prune_plan(plan: Plan, stored: dict[str, dict[int, Doc]], *, vectors: bool) -> Writes:
    """Phase 1 of ``plan``: the writes the index does not already reflect.

    An upsert is skipped when the stored document has exactly the planned fields; a delete when
    the id is not there. Every write to a large index costs Meilisearch time, and a record often
    arrives here already written: the verify step rewrote it to a state whose later outbox
    entries are still pending, a retry follows a write that landed, or only its vector was
    pending. What we read is what searches see, so skipping is safe; a concurrent older write that
    lands later is caught by its own worker's verify step.

    With ``vectors`` (an embedder is configured) a document is written without its new vector:
    one already stored stays in place (``_vectors`` left out of the replacement keeps it), a new
    one opts out with ``null`` until phase 2 sets it. Without, documents carry ``null`` vectors.
    """
    writes = Writes()
    for name, pending in plan.upserts.items():
        have = stored.get(name, {})
        for p in pending:
            doc = have.get(int(p.doc["id"]))
            if doc is not None and _fields(doc) == p.doc:
                continue
            if not vectors or _stored_vector(doc) is None:
                writes.fields.setdefault(name, []).append({**p.doc, "_vectors": {EMBEDDER: None}})
            else:
                writes.fields.setdefault(name, []).append(dict(p.doc))
    for name, ids in plan.deletes.items():
        have = stored.get(name, {})
        for record_id in ids:
            if int(record_id) in have:
                writes.deletes.setdefault(name, []).append(record_id)
    return writes


def stale_vectors(
    plan: Plan, stored: dict[str, dict[int, Doc]], embedder: Embedder, writes: Writes
) -> None:
    """Phase 2 of ``plan``: a vector update for each planned document whose stored vector is
    missing or was computed from another text (the text is part of the fields phase 1 wrote)."""
    pending = [p for docs in plan.upserts.values() for p in docs]
    if not pending:
        return
    for p, doc in zip(pending, embed_docs(pending, embedder), strict=True):
        wanted = doc["_vectors"][EMBEDDER]
        if not _same_vector(_stored_vector(stored.get(p.index, {}).get(int(p.doc["id"]))), wanted):
            writes.vectors.setdefault(p.index, []).append({"id": p.doc["id"], "_vectors": {EMBEDDER: wanted}})


def apply_plan(
    client: MeiliClient,
    embedder: Embedder | None,
    plan: Plan,
    prefix: str,
    timeout: float | None = None,
    *,
    gate: VectorGate | None = None,
    now: Callable[[], dt.datetime] = utcnow,
) -> set[Record]:
    """Send the plan's writes and wait until every task succeeded (raises otherwise).

    Phase 1 (fields and deletes) goes out first; the texts are embedded once it landed. Phase 2
    (vectors) follows when ``gate`` is open (no gate: always). Returns the records
    whose vectors are still to be written: their entries must not be marked done yet.
    """
    vectors = embedder is not None
    stored = read_stored(client, plan, prefix, vectors=vectors)
    if stored is None:
        # Unreadable index: write everything in one go, as full documents with their vectors.
        tasks = [
            client.add_documents(index_uid(prefix, name), embed_docs(pending, embedder))
            for name, pending in plan.upserts.items()
            if pending
        ]
        tasks += [
            client.delete_documents(index_uid(prefix, name), sorted(set(ids)))
            for name, ids in plan.deletes.items()
            if ids
        ]
        for uid in tasks:
            client.wait_task(uid, timeout)
        return set()
    writes = prune_plan(plan, stored, vectors=vectors)
    tasks = [client.add_documents(index_uid(prefix, name), docs) for name, docs in writes.fields.items()]
    tasks += [
        client.delete_documents(index_uid(prefix, name), sorted(set(ids))) for name, ids in writes.deletes.items()
    ]
    for uid in tasks:
        client.wait_task(uid, timeout)
    # Embedded only now: on a small machine the model would take CPU from the write being waited for.
    if embedder is not None:
        stale_vectors(plan, stored, embedder, writes)
    if not writes.vectors:
        return set()
    if gate is not None and (not gate.is_open(now()) or gate.may_preempt(now())):
        # Closed, or new changes are already waiting: they would cancel the round at once.
        gate.deferred(now())
        return writes.vector_records()
    # Only documents phase 1 just wrote or found in place get here, so the partial update does
    # not create a bare {id, _vectors} document (a concurrent delete is caught by the verify step).
    by_task = {
        client.update_documents(index_uid(prefix, name), docs): name for name, docs in writes.vectors.items()
    }
    cancelled = _wait_or_preempt(client, list(by_task), timeout, gate, now)
    if gate is None:
        return set()
    if not cancelled:
        gate.passed(now())
        return set()
    gate.preempted(now())
    log.info("outbox: vector round cancelled to let new field writes through")
    names = {by_task[uid] for uid in cancelled}
    return Writes(vectors={name: docs for name, docs in writes.vectors.items() if name in names}).vector_records()


def _wait_or_preempt(
    client: MeiliClient, uids: list[int], timeout: float | None, gate: VectorGate | None, now: Callable[[], dt.datetime]
) -> set[int]:
    """Wait for the vector tasks; cancel the unfinished ones if the gate says new work waits.
    Returns the uids that ended cancelled; raises if one failed or they did not end in time."""
    if gate is None or gate.preempt is None:
        for uid in uids:
            client.wait_task(uid, timeout)
        return set()
    deadline = time.monotonic() + (client.task_timeout if timeout is None else timeout)
    unfinished = list(uids)
    while unfinished:
        unfinished = [u for u in unfinished if client.get_task(u).get("status") not in FINISHED]
        if not unfinished:
            break
        if gate.may_preempt(now()):
            client.wait_task(client.cancel_tasks(unfinished), timeout)
            break
        if time.monotonic() >= deadline:
            raise MeiliTaskFailed(f"Meilisearch 任务 {unfinished} 超时未完成 (tasks timed out)")
        time.sleep(0.01)
    cancelled: set[int] = set()
    for uid in uids:
        task = client.wait_task(uid, timeout, raise_on_failure=False)
        if task.get("status") == "canceled":
            cancelled.add(uid)
        elif task.get("status") != "succeeded":
            client.wait_task(uid, timeout)  # raises with Meilisearch's error
    return cancelled


@dataclass
class Synced:
    rewrites: int = 0
    # Records whose fields are written and whose vectors wait for the next round of the gate.
    vectors_pending: set[Record] = field(default_factory=set)


def sync_records(
    session_factory: sessionmaker[Session],
    client: MeiliClient,
    embedder: Embedder | None,
    records: Sequence[Record],
    config: WorkerConfig,
    gate: VectorGate | None = None,
    *,
    now: Callable[[], dt.datetime] = utcnow,
) -> Synced:
    """Write the current state of ``records`` and verify it is still current.

    The database is read in short sessions of their own, closed before Meilisearch is written
    to or a text embedded: no transaction is open across that work."""
    with session_factory() as reading:
        plan = build_plan(reading, records)
        reading.rollback()
    synced = Synced()
    synced.vectors_pending = apply_plan(
        client, embedder, plan, config.prefix, config.task_timeout_s, gate=gate, now=now
    )
    written = plan.tokens
    for _ in range(config.max_rewrites):
        # A fresh session sees what committed while we were writing (SQLite keeps a snapshot).
        with session_factory() as fresh:
            now_tokens = current_tokens(fresh, written.keys())
            moved = [rec for rec, token in now_tokens.items() if token != written.get(rec)]
            if not moved:
                return synced
            synced.rewrites += 1
            log.info("outbox: %d record(s) changed while indexing; rewriting", len(moved))
            plan = build_plan(fresh, moved)
            fresh.rollback()
        pending = apply_plan(client, embedder, plan, config.prefix, config.task_timeout_s, gate=gate, now=now)
        synced.vectors_pending = (synced.vectors_pending - set(moved)) | pending
        written = {**written, **plan.tokens}
    return synced


def _mark_done(entries: Iterable[OutboxEntry], now: dt.datetime) -> None:
    for entry in entries:
        entry.status = DONE
        entry.processed_at = now
        entry.last_error = ""


def _mark_failed(entries: Iterable[OutboxEntry], error: str, now: dt.datetime, config: WorkerConfig) -> int:
    parked = 0
    for entry in entries:
        entry.attempts += 1
        entry.last_error = error[:2000]
        if entry.attempts >= config.max_attempts:
            entry.status = PARKED
            parked += 1
        else:
            entry.next_attempt_at = now + dt.timedelta(seconds=backoff_delay(entry.attempts, config))
    return parked


def _defer(entries: Iterable[OutboxEntry], until: dt.datetime) -> None:
    """Fields are in the index, the vector is not: stay pending (no attempt spent) until ``until``."""
    for entry in entries:
        entry.next_attempt_at = until


def _settle(
    group: Sequence[OutboxEntry], record: Record, synced: Synced, gate: VectorGate | None, now: dt.datetime
) -> bool:
    """Mark a record's entries done, or defer them while its vector waits; True when done."""
    if record in synced.vectors_pending:
        _defer(group, (gate.opens_at if gate is not None else None) or now)
        return False
    _mark_done(group, now)
    return True


@dataclass
class _Outcome:
    """What indexing a record came to, applied to its entries in the settling transaction."""

    synced: Synced | None = None  # written (done, or its vector deferred)
    error: str | None = None  # failed: an attempt spent
    untouched: bool = False  # Meilisearch unreachable: due again, no attempt spent


def _claim_round(
    session_factory: sessionmaker[Session], config: WorkerConfig, now: Callable[[], dt.datetime]
) -> dict[Record, list[int]]:
    """Claim due entries in one short transaction: lease them (not due for other workers until
    the lease runs out) and commit. Returns the claimed entry ids by record."""
    with session_factory() as session:
        entries = _claim(session, now(), config.batch_size)
        if not entries:
            session.rollback()
            return {}
        lease = now() + dt.timedelta(seconds=config.claim_lease_s)
        groups: dict[Record, list[int]] = {}
        for entry in entries:
            entry.next_attempt_at = lease
            groups.setdefault((entry.topic, entry.record_id), []).append(entry.id)
        session.commit()
    return groups


def _settle_round(
    session_factory: sessionmaker[Session],
    groups: dict[Record, list[int]],
    outcomes: dict[Record, _Outcome],
    config: WorkerConfig,
    result: DrainResult,
    gate: VectorGate | None,
    now: Callable[[], dt.datetime],
) -> None:
    """Mark every claimed entry by its record's outcome, in one short transaction."""
    ids = [i for group in groups.values() for i in group]
    settled_at = now()
    with session_factory() as session:
        by_id = {e.id: e for e in session.scalars(select(OutboxEntry).where(OutboxEntry.id.in_(ids)))}
        for record, group_ids in groups.items():
            group = [by_id[i] for i in group_ids if i in by_id and by_id[i].status == PENDING]
            outcome = outcomes.get(record, _Outcome(untouched=True))
            if outcome.synced is not None:
                if _settle(group, record, outcome.synced, gate, settled_at):
                    result.done += len(group)
                else:
                    result.deferred += len(group)
            elif outcome.error is not None:
                result.parked += _mark_failed(group, outcome.error, settled_at, config)
                result.failed += len(group)
            else:
                # Released: due now again, no attempt spent (an outage is not the entries' fault).
                for entry in group:
                    entry.next_attempt_at = settled_at
                result.failed += len(group)
        session.commit()


def drain_once(
    session_factory: sessionmaker[Session],
    client: MeiliClient,
    embedder: Embedder | None,
    config: WorkerConfig | None = None,
    *,
    now: Callable[[], dt.datetime] = utcnow,
    gate: VectorGate | None = None,
) -> DrainResult:
    """Claim one batch of due entries, index their records, mark them.

    Three short steps, no transaction open while Meilisearch is written to or a text embedded:
    claim (leased and committed), index, settle. An entry is done when both phases of its
    record landed: the fields and the vector. Without a ``gate`` (or with an open one) both go
    out in this round; the running worker passes its gate, and entries whose vector must wait
    for it stay pending, due when it opens.
    """
    config = config or WorkerConfig()
    result = DrainResult()
    groups = _claim_round(session_factory, config, now)
    if not groups:
        return result
    result.claimed = sum(len(g) for g in groups.values())
    result.records = len(groups)
    outcomes: dict[Record, _Outcome] = {}
    try:
        outcomes = _index_round(session_factory, client, embedder, groups, config, result, now, gate)
    except BaseException:
        # Anything unexpected (a database hiccup, a stop): release the claim rather than leave
        # the entries leased until the lease runs out.
        _release(session_factory, groups, config, gate, now)
        raise
    try:
        _settle_round(session_factory, groups, outcomes, config, result, gate, now)
    except BaseException:
        # Marking failed (the database refused or went away): the documents are written, the
        # entries stay pending; make them due again now rather than when the lease runs out.
        _release(session_factory, groups, config, gate, now)
        raise
    return result


def _release(
    session_factory: sessionmaker[Session],
    groups: dict[Record, list[int]],
    config: WorkerConfig,
    gate: VectorGate | None,
    now: Callable[[], dt.datetime],
) -> None:
    """Best effort: if the database refuses this too, the lease runs out instead."""
    try:
        _settle_round(session_factory, groups, {}, config, DrainResult(), gate, now)
    except Exception:  # noqa: BLE001 - the original error is the one raised
        log.warning("outbox: could not release a claim; it lapses in %.0f s", config.claim_lease_s, exc_info=True)


def _index_round(
    session_factory: sessionmaker[Session],
    client: MeiliClient,
    embedder: Embedder | None,
    groups: dict[Record, list[int]],
    config: WorkerConfig,
    result: DrainResult,
    now: Callable[[], dt.datetime],
    gate: VectorGate | None,
) -> dict[Record, _Outcome]:
    outcomes: dict[Record, _Outcome] = {}
    try:
        synced = sync_records(session_factory, client, embedder, list(groups), config, gate, now=now)
        result.rewrites += synced.rewrites
        outcomes = {record: _Outcome(synced=synced) for record in groups}
    except MeiliUnavailable as exc:
        # An outage is not the entries' fault: spend no attempt (a long outage must not park
        # them), release the claim and let the loop back off.
        result.errors.append(str(exc))
        result.unavailable = True
    except (SearchError, ValueError) as exc:
        if len(groups) == 1:
            result.errors.append(str(exc))
            outcomes = {record: _Outcome(error=str(exc)) for record in groups}
        else:
            # One bad record must not hold the batch back: retry record by record.
            outcomes = _one_by_one(session_factory, client, embedder, list(groups), config, result, now, gate)
    return outcomes


def _one_by_one(
    session_factory: sessionmaker[Session],
    client: MeiliClient,
    embedder: Embedder | None,
    records: Sequence[Record],
    config: WorkerConfig,
    result: DrainResult,
    now: Callable[[], dt.datetime],
    gate: VectorGate | None,
) -> dict[Record, _Outcome]:
    outcomes: dict[Record, _Outcome] = {}
    for record in records:
        if result.unavailable:
            continue  # left pending and due, untouched
        try:
            synced = sync_records(session_factory, client, embedder, [record], config, gate, now=now)
            result.rewrites += synced.rewrites
            outcomes[record] = _Outcome(synced=synced)
            continue
        except MeiliUnavailable as exc:
            result.unavailable = True
            result.errors.append(str(exc))
            continue
        except (SearchError, ValueError) as exc:
            error = str(exc)
        log.warning("outbox: %s %s failed: %s", record[0], record[1], error)
        result.errors.append(error)
        outcomes[record] = _Outcome(error=error)
    return outcomes


# -- the loop -------------------------------------------------------------------------------------


class JobHandler(Protocol):
    """The handler of an outbox topic other than the indexes' (mail: market.mail.sender.MailSender).
    It claims, does and marks its own entries in short transactions of its own; ``run_once``
    returns how many it finished."""

    def run_once(self) -> int: ...


def _run_handlers(handlers: Sequence[JobHandler]) -> int:
    done = 0
    for handler in handlers:
        try:
            done += handler.run_once()
        except Exception:  # noqa: BLE001 - one topic's trouble must not stop the others
            log.exception("outbox worker: %s failed; retrying", type(handler).__name__)
    return done


def run_worker(
    session_factory: sessionmaker[Session],
    client: MeiliClient,
    embedder: Embedder | None,
    stop_event: threading.Event,
    poll_interval: float = 0.2,
    config: WorkerConfig | None = None,
    *,
    wake: threading.Event | None = None,
    dimensions: int | None = None,
    handlers: Sequence[JobHandler] = (),
) -> None:
    """Drain until ``stop_event`` is set. Set ``wake`` after a commit to skip the poll wait.

    Each turn first runs the ``handlers`` of the other topics (mail), so they go on whatever
    Meilisearch does. Survives Meilisearch and database outages: it logs, waits and tries again.
    """
    config = config or WorkerConfig()
    dims = dimensions or (embedder.dim if embedder is not None else DEFAULT_DIMENSIONS)
    indexes_ready = False
    pause = poll_interval
    gate = VectorGate(
        config.vector_interval_s,
        preempt=wake.is_set if wake is not None else None,
        max_wait_s=config.vector_max_wait_s,
    )
    while not stop_event.is_set():
        try:
            # Cleared before looking, not after waiting: a commit that lands while we drain keeps
            # its wake-up for the next wait instead of losing it to a late clear().
            if wake is not None:
                wake.clear()
            handled = _run_handlers(handlers)
            if not indexes_ready:
                ensure_indexes(
                    client, config.prefix, dims, timeout=config.settings_timeout_s, vector_store=config.vector_store
                )
                warm_up(embedder)
                indexes_ready = True
            result = drain_once(session_factory, client, embedder, config, gate=gate)
            if result.unavailable:
                raise MeiliUnavailable(result.errors[-1])
        except MeiliUnavailable as exc:
            log.warning("outbox worker: Meilisearch unavailable (%s); retrying", exc)
            pause = min(max(pause * 2, poll_interval), 5.0)
            stop_event.wait(pause)
            continue
        except Exception:  # noqa: BLE001 - the loop must outlive a bad batch or a DB hiccup
            log.exception("outbox worker: unexpected error; retrying")
            pause = min(max(pause * 2, poll_interval), 5.0)
            stop_event.wait(pause)
            continue
        pause = poll_interval
        if result.done == 0 and handled == 0:  # nothing claimed, all failed, or all waiting for the vector gate
            if wake is not None:
                wake.wait(poll_interval)
            else:
                stop_event.wait(poll_interval)


class OutboxWorker:
    """``run_worker`` in a daemon thread, for the embedded mode and tests."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        client: MeiliClient,
        embedder: Embedder | None,
        config: WorkerConfig | None = None,
        poll_interval: float = 0.2,
        handlers: Sequence[JobHandler] = (),
    ) -> None:
        self.stop_event = threading.Event()
        self.wake = threading.Event()
        self._thread = threading.Thread(
            target=run_worker,
            args=(session_factory, client, embedder, self.stop_event, poll_interval, config),
            kwargs={"wake": self.wake, "handlers": tuple(handlers)},
            name="outbox-worker",
            daemon=True,
        )

    def start(self) -> OutboxWorker:
        self._thread.start()
        return self

    def notify(self) -> None:
        """Something was committed: look now instead of at the next poll."""
        self.wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        self.wake.set()
        self._thread.join(timeout)

    def __enter__(self) -> OutboxWorker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- observing ------------------------------------------------------------------------------------


def backlog(session: Session) -> dict[str, int | float | None]:
    """Pending and parked index entries and the age of the oldest pending one (seconds); mail has
    its own (market.mail.sender.backlog)."""
    ours = OutboxEntry.topic.not_in(JOB_TOPICS)
    pending = session.scalar(select(func.count()).where(ours, OutboxEntry.status == PENDING)) or 0
    parked = session.scalar(select(func.count()).where(ours, OutboxEntry.status == PARKED)) or 0
    oldest = session.scalar(select(func.min(OutboxEntry.created_at)).where(ours, OutboxEntry.status == PENDING))
    age = None
    if oldest is not None:
        if oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=dt.UTC)
        age = max(0.0, (utcnow() - oldest).total_seconds())
    return {"pending": int(pending), "parked": int(parked), "oldest_pending_age_s": age}


def unpark(session: Session, entry_ids: Sequence[int] | None = None) -> int:
    """Give parked entries a fresh start (after the cause was fixed). Returns how many."""
    stmt = update(OutboxEntry).where(OutboxEntry.status == PARKED)
    if entry_ids is not None:
        stmt = stmt.where(OutboxEntry.id.in_(list(entry_ids)))
    res = session.execute(
        stmt.values(status=PENDING, attempts=0, next_attempt_at=utcnow()).execution_options(
            synchronize_session=False
        )
    )
    return int(getattr(res, "rowcount", 0) or 0)
