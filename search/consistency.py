"""Compare an index with the database and, optionally, repair it.

Each document carries ``updated_ts``, the record's token; a document is *stale* when its token
differs from the database's, *missing* when the database says it should be indexed and it is
not, *extra* when it is indexed but should not be. Repair enqueues outbox entries, so the fix
goes through the same worker as every other write (and is retried like them).

Vectors are not compared. The worker writes a document's fields (with ``updated_ts``) first and
its vector in a later round, keeping the record's outbox entry pending until the vector landed
(search/outbox.py): a document whose vector is still to come is consistent, and its pending entry
is what completes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.needs.models import Need
from market.needs.states import PUBLIC_STATUSES
from market.orgs.models import PROVIDER_KINDS, Organisation, Verification
from market.outbox.service import Topic, enqueue
from search.client import MeiliClient
from search.documents import load_providers, provider_token, ts_ms
from search.errors import MeiliUnavailable, SearchUnavailable
from search.indexes import INDEX_NAMES, NEEDS, NEEDS_ALL, PROVIDERS, index_uid


@dataclass
class ConsistencyReport:
    index: str
    indexed: int = 0
    expected: int = 0
    missing: list[int] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)
    extra: list[int] = field(default_factory=list)
    enqueued: int = 0

    @property
    def consistent(self) -> bool:
        return not (self.missing or self.stale or self.extra)


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


def check_index(
    client: MeiliClient, session: Session, name: str, *, prefix: str = "jiebang_", repair: bool = False
) -> ConsistencyReport:
    """Diff one index against the database; with ``repair`` enqueue the fixes (caller commits)."""
    uid = index_uid(prefix, name)
    try:
        indexed = {
            int(d["id"]): d.get("updated_ts") for d in client.iter_documents(uid, fields=["id", "updated_ts"])
        } if client.get_index(uid) is not None else {}
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
    if repair:
        topic: Topic = "provider" if name == PROVIDERS else "need"
        for record_id in report.missing + report.stale:
            enqueue(session, topic, record_id, "upsert")
        for record_id in report.extra:
            # The worker deletes a record that should not be indexed, whatever the op says.
            enqueue(session, topic, record_id, "delete")
        report.enqueued = len(report.missing) + len(report.stale) + len(report.extra)
    return report


def check_all(
    client: MeiliClient, session: Session, *, prefix: str = "jiebang_", repair: bool = False
) -> list[ConsistencyReport]:
    return [check_index(client, session, name, prefix=prefix, repair=repair) for name in INDEX_NAMES]
