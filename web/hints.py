"""Hints computed after a request's write: near-duplicate needs.

They embed a text and ask Meilisearch, so the request's unit of work is committed first: SQLite
has one writer, and a write transaction held open across that work makes every other write wait
(issue 15: 提交审核 hanging behind a save). What the hint reads comes from a fresh transaction.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from market.needs import queries
from market.needs.schemas import NearDuplicateOut
from market.orgs.models import User
from web.runtime import Runtime


def end_unit_of_work(runtime: Runtime, session: Session) -> None:
    """Commit what the request wrote (and wake the worker for it) before slow read-only work."""
    session.commit()
    if session.info.pop("outbox_dirty", False):
        runtime.notify_worker()


def duplicate_hints(
    runtime: Runtime,
    session: Session,
    user: User | None,
    title: str,
    summary: str,
    problem: str = "",
    *,
    exclude_id: int | None = None,
) -> list[NearDuplicateOut]:
    end_unit_of_work(runtime, session)
    return queries.near_duplicates(
        session,
        user,
        title,
        summary,
        problem,
        exclude_id=exclude_id,
        finder=runtime.duplicate_finder(),
        embedder=runtime.embedder_or_none(),
    )
