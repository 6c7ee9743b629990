"""The outbox worker: keeps the indexes in step with the database.

Rules (STYLE.md, "Search sync"):

* at least once and idempotent: documents are upserted and deleted by id;
* pending entries of one record collapse into one write of the record's *current* state;
* an entry is marked done only after Meilisearch reports the task ``succeeded``;
* failures keep the attempt count, the next try (exponential backoff) and the last error; after
  ``max_attempts`` an entry is parked and shows in the health check.

Several workers may run against PostgreSQL: entries are claimed with ``FOR UPDATE SKIP LOCKED``
and the claim transaction is held until the entries are marked. Two workers may still hold
entries of the same record (an older one and a newer one); whichever task lands last is followed
by a re-read of the record's token in a fresh session and, if the database moved on, a rewrite.
So the index ends at the latest committed state whatever the interleaving. On SQLite one worker
is expected; a second one would only repeat idempotent writes.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from market.db import utcnow
from market.outbox.models import OutboxEntry
from matching.embedders import Embedder
from search.client import MeiliClient
from search.documents import Plan, build_plan, current_tokens, embed_docs
from search.errors import MeiliRequestError, MeiliUnavailable, SearchError
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


@dataclass
class DrainResult:
    claimed: int = 0
    done: int = 0
    failed: int = 0
    parked: int = 0
    records: int = 0
    rewrites: int = 0
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
        .where(OutboxEntry.status == PENDING, OutboxEntry.next_attempt_at <= now)
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


def apply_plan(
    client: MeiliClient, embedder: Embedder | None, plan: Plan, prefix: str, timeout: float | None = None
) -> None:
    """Send the plan's writes and wait until every task succeeded (raises otherwise)."""
    tasks: list[int] = []
    for name, pending in plan.upserts.items():
        if pending:
            docs = embed_docs(pending, embedder)
            tasks.append(client.add_documents(index_uid(prefix, name), docs))
    for name, ids in plan.deletes.items():
        if ids:
            tasks.append(client.delete_documents(index_uid(prefix, name), sorted(set(ids))))
    for uid in tasks:
        client.wait_task(uid, timeout)


def _has_vector(stored: dict[str, object]) -> bool:
    vectors = stored.get("_vectors")
    entry = vectors.get(EMBEDDER) if isinstance(vectors, dict) else None
    embeddings = entry.get("embeddings") if isinstance(entry, dict) else None
    return bool(embeddings)


def prune_plan(client: MeiliClient, embedder: Embedder | None, plan: Plan, prefix: str) -> Plan:
    """Drop the writes the index already reflects: upserts of a document stored exactly as planned
    (same fields; a vector present when there is an embedder, as the text is part of the fields)
    and deletes of ids that are not there.

    Every write to a large index with vectors costs Meilisearch the better part of a second
    however small it is, and a record often arrives here already written: the verify step
    rewrote it to a state whose later outbox entries are still pending, or a retry follows a
    write that landed. Reading is cheap, and what we read is what searches see, so skipping is
    safe; a concurrent older write that lands later is caught by its own worker's verify step.
    If the index cannot be read (a request error), the plan is kept whole.
    """
    pruned = Plan(tokens=dict(plan.tokens))
    targets: dict[str, set[int]] = {}
    for name, pending in plan.upserts.items():
        targets.setdefault(name, set()).update(int(p.doc["id"]) for p in pending)
    for name, ids in plan.deletes.items():
        targets.setdefault(name, set()).update(int(i) for i in ids)
    stored: dict[str, dict[int, dict[str, object]]] = {}
    try:
        for name, wanted in targets.items():
            if not wanted:
                continue
            page = client.get_documents(
                index_uid(prefix, name),
                filter=f"id IN [{', '.join(str(i) for i in sorted(wanted))}]",
                limit=len(wanted),
                retrieve_vectors=embedder is not None,
            )
            stored[name] = {int(d["id"]): d for d in page.get("results", [])}
    except MeiliRequestError:
        return plan
    for name, pending in plan.upserts.items():
        have = stored.get(name, {})
        for p in pending:
            doc = have.get(int(p.doc["id"]))
            same = doc is not None and {k: v for k, v in doc.items() if k != "_vectors"} == p.doc
            if not same or (embedder is not None and not _has_vector(doc or {})):
                pruned.upsert(p)
    for name, ids in plan.deletes.items():
        have = stored.get(name, {})
        for record_id in ids:
            if int(record_id) in have:
                pruned.delete(name, record_id)
    return pruned


def sync_records(
    session_factory: sessionmaker[Session],
    session: Session,
    client: MeiliClient,
    embedder: Embedder | None,
    records: Sequence[Record],
    config: WorkerConfig,
) -> int:
    """Write the current state of ``records`` and verify it is still current; returns rewrites."""
    plan = build_plan(session, records)
    apply_plan(client, embedder, prune_plan(client, embedder, plan, config.prefix), config.prefix, config.task_timeout_s)
    written = plan.tokens
    rewrites = 0
    for _ in range(config.max_rewrites):
        # A fresh session sees what committed while we were writing (SQLite keeps a snapshot).
        with session_factory() as fresh:
            now_tokens = current_tokens(fresh, written.keys())
            moved = [rec for rec, token in now_tokens.items() if token != written.get(rec)]
            if not moved:
                return rewrites
            rewrites += 1
            log.info("outbox: %d record(s) changed while indexing; rewriting", len(moved))
            plan = build_plan(fresh, moved)
            apply_plan(
                client, embedder, prune_plan(client, embedder, plan, config.prefix), config.prefix, config.task_timeout_s
            )
            written = {**written, **plan.tokens}
    return rewrites


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


def drain_once(
    session_factory: sessionmaker[Session],
    client: MeiliClient,
    embedder: Embedder | None,
    config: WorkerConfig | None = None,
    *,
    now: Callable[[], dt.datetime] = utcnow,
) -> DrainResult:
    """Claim one batch of due entries, index their records, mark them. One transaction."""
    config = config or WorkerConfig()
    result = DrainResult()
    with session_factory() as session:
        entries = _claim(session, now(), config.batch_size)
        if not entries:
            session.rollback()
            return result
        result.claimed = len(entries)
        groups: dict[Record, list[OutboxEntry]] = {}
        for entry in entries:
            groups.setdefault((entry.topic, entry.record_id), []).append(entry)
        result.records = len(groups)
        try:
            result.rewrites += sync_records(session_factory, session, client, embedder, list(groups), config)
            _mark_done(entries, now())
            result.done = len(entries)
        except MeiliUnavailable as exc:
            # An outage is not the entries' fault: spend no attempt (a long outage must not park
            # them), release the claim and let the loop back off.
            session.rollback()
            result.errors.append(str(exc))
            result.unavailable = True
            result.failed = len(entries)
            return result
        except (SearchError, ValueError) as exc:
            if len(groups) == 1:
                result.errors.append(str(exc))
                result.parked += _mark_failed(entries, str(exc), now(), config)
                result.failed = len(entries)
            else:
                # One bad record must not hold the batch back: retry record by record.
                _one_by_one(session_factory, session, client, embedder, groups, config, result, now)
        session.commit()
    return result


def _one_by_one(
    session_factory: sessionmaker[Session],
    session: Session,
    client: MeiliClient,
    embedder: Embedder | None,
    groups: dict[Record, list[OutboxEntry]],
    config: WorkerConfig,
    result: DrainResult,
    now: Callable[[], dt.datetime],
) -> None:
    for record, group in groups.items():
        if result.unavailable:
            result.failed += len(group)  # left pending and due, untouched
            continue
        try:
            result.rewrites += sync_records(session_factory, session, client, embedder, [record], config)
            _mark_done(group, now())
            result.done += len(group)
            continue
        except MeiliUnavailable as exc:
            result.unavailable = True
            result.errors.append(str(exc))
            result.failed += len(group)
            continue
        except (SearchError, ValueError) as exc:
            error = str(exc)
        log.warning("outbox: %s %s failed: %s", record[0], record[1], error)
        result.errors.append(error)
        result.parked += _mark_failed(group, error, now(), config)
        result.failed += len(group)


# -- the loop -------------------------------------------------------------------------------------


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
) -> None:
    """Drain until ``stop_event`` is set. Set ``wake`` after a commit to skip the poll wait.

    Survives Meilisearch and database outages: it logs, waits and tries again.
    """
    config = config or WorkerConfig()
    dims = dimensions or (embedder.dim if embedder is not None else DEFAULT_DIMENSIONS)
    indexes_ready = False
    pause = poll_interval
    while not stop_event.is_set():
        try:
            # Cleared before looking, not after waiting: a commit that lands while we drain keeps
            # its wake-up for the next wait instead of losing it to a late clear().
            if wake is not None:
                wake.clear()
            if not indexes_ready:
                ensure_indexes(
                    client, config.prefix, dims, timeout=config.settings_timeout_s, vector_store=config.vector_store
                )
                indexes_ready = True
            result = drain_once(session_factory, client, embedder, config)
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
        if result.claimed == 0 or result.failed == result.claimed:
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
    ) -> None:
        self.stop_event = threading.Event()
        self.wake = threading.Event()
        self._thread = threading.Thread(
            target=run_worker,
            args=(session_factory, client, embedder, self.stop_event, poll_interval, config),
            kwargs={"wake": self.wake},
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
    """Pending and parked counts and the age of the oldest pending entry (seconds)."""
    pending = session.scalar(select(func.count()).where(OutboxEntry.status == PENDING)) or 0
    parked = session.scalar(select(func.count()).where(OutboxEntry.status == PARKED)) or 0
    oldest = session.scalar(select(func.min(OutboxEntry.created_at)).where(OutboxEntry.status == PENDING))
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
