"""The search part of ``/healthz``."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from search.client import MeiliClient
from search.errors import SearchError
from search.outbox import backlog


def check_search(client: MeiliClient, session: Session, *, max_backlog_age_s: float = 300.0) -> dict[str, Any]:
    """Meilisearch status, outbox backlog and parked entries; ``ok`` is false when action is needed."""
    try:
        meili = str(client.health().get("status", "unknown"))
    except SearchError as exc:
        meili = "unavailable"
        error: str | None = str(exc)
    else:
        error = None
    queue = backlog(session)
    age = queue["oldest_pending_age_s"]
    ok = meili == "available" and queue["parked"] == 0 and (age is None or age < max_backlog_age_s)
    result: dict[str, Any] = {
        "ok": ok,
        "meili": meili,
        "outbox_backlog": queue["pending"],
        "outbox_parked": queue["parked"],
        "oldest_pending_age_s": age,
    }
    if error:
        result["error"] = error
    return result
