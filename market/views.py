"""Read views that combine concepts: a need or a proposal as its viewer sees it, with every action
the viewer may take (a need's own and responding to it; a proposal's and its deal). The API and
the pages read records through these, so what they show and what the services accept cannot
differ."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.audit import access as audit_access
from market.audit import queries as audit_queries
from market.audit.models import AuditEntry
from market.audit.queries import AuditFilter
from market.audit.schemas import ACTION_LABELS, HistoryEntry, RecordHistory, summary_of
from market.batches.models import Batch
from market.deals.models import Deal
from market.needs import access as need_access
from market.needs import queries as need_queries
from market.needs.models import Need
from market.needs.schemas import NeedPublic
from market.orgs.models import User
from market.responses import access as response_access
from market.responses import queries as response_queries
from market.responses.models import Response
from market.responses.schemas import ResponseOut
from market.responses.states import ResponseStatus

TALKING = frozenset({ResponseStatus.shortlisted, ResponseStatus.selected})


def need_view(session: Session, user: User | None, need: Need) -> NeedPublic:
    """One need for its viewer: the fields the disclosure rules allow, the batch it was published
    in, and every action (responding included) with the reason when refused."""
    respond = response_access.respond(session, user, need)
    # The contact of an anonymous need goes to a provider once the enterprise has chosen to talk to
    # it: its proposal shortlisted or selected (issue 14, finding 8), not merely sent.
    own = response_access.response_of_org(session, need, user.org_id) if user is not None else None
    responded = own is not None and own.status in TALKING
    actions = need_access.need_actions(session, user, need, respond=respond)
    batch = session.get(Batch, need.batch_id) if need.batch_id else None
    return need_queries.present(
        session, user, need, actions=actions, batch_title=batch.title if batch else None, responded=responded
    )


def need_list(session: Session, user: User | None, rows: Sequence[Need], *, with_actions: bool = False) -> list[NeedPublic]:
    """Needs for a list: the viewer's fields and the batch title; with their actions where the list
    offers buttons (a workbench of at most a page of needs)."""
    titles = _batch_titles(session, {n.batch_id for n in rows if n.batch_id})
    out = []
    for n in rows:
        actions = None
        if with_actions:
            actions = need_access.need_actions(session, user, n, respond=response_access.respond(session, user, n))
        out.append(need_queries.present(session, user, n, batch_title=titles.get(n.batch_id or 0), actions=actions))
    return out


def _batch_titles(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {b.id: b.title for b in session.scalars(select(Batch).where(Batch.id.in_(ids)))}


def _deal_ids(session: Session, response_ids: Sequence[int]) -> dict[int, int]:
    if not response_ids:
        return {}
    rows = session.execute(select(Deal.response_id, Deal.id).where(Deal.response_id.in_(list(response_ids)))).all()
    return {int(r): int(d) for r, d in rows}


def response_view(session: Session, user: User | None, response: Response, need: Need | None = None) -> ResponseOut:
    """One proposal for its viewer, with its deal and the viewer's actions."""
    need = need or session.get(Need, response.need_id)
    assert need is not None
    actions = response_access.response_actions(session, user, response, need)
    return response_queries.present(
        session, user, response, need, deal_id=_deal_ids(session, [response.id]).get(response.id), actions=actions
    )


def response_list(
    session: Session, user: User | None, rows: Sequence[Response], need: Need | None = None, *, with_actions: bool = False
) -> list[ResponseOut]:
    """Proposals for a list (one deal query for all); with their actions where the list offers
    buttons (the enterprise's comparison)."""
    deal_ids = _deal_ids(session, [r.id for r in rows])
    out = []
    for r in rows:
        r_need = need if need is not None and need.id == r.need_id else session.get(Need, r.need_id)
        assert r_need is not None
        actions = response_access.response_actions(session, user, r, r_need) if with_actions else None
        out.append(response_queries.present(session, user, r, r_need, deal_id=deal_ids.get(r.id), actions=actions))
    return out


def audit_page(
    session: Session, f: AuditFilter, *, limit: int = 50, offset: int = 0
) -> tuple[list[tuple[AuditEntry, str | None]], int]:
    """An audit search with each entry's actor name (audit cannot import orgs: orgs records to it)."""
    entries, total = audit_queries.search(session, f, limit=limit, offset=offset)
    ids = {e.actor_id for e in entries if e.actor_id is not None}
    names = dict(session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).tuples().all()) if ids else {}
    return [(e, names.get(e.actor_id) if e.actor_id is not None else None) for e in entries], total


def _actor_names(session: Session, entries: Sequence[AuditEntry]) -> dict[int, str]:
    ids = {e.actor_id for e in entries if e.actor_id is not None}
    if not ids:
        return {}
    return {uid: name for uid, name in session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))}


def record_history(session: Session, viewer: User | None, object_type: str, object_id: int) -> RecordHistory | None:
    """A record's audit history for its page, or None where the viewer may not read the log
    (``market.audit.access.read_history``: bureau staff only). The latest 50 entries; the search
    page, filtered to this record, has the rest."""
    if not audit_access.read_history(viewer).allowed or object_type not in audit_access.RECORD_KINDS:
        return None
    entries, more = audit_queries.history(session, object_type, object_id)
    names = _actor_names(session, entries)
    return RecordHistory(
        object_type=object_type,
        object_id=object_id,
        entries=[
            HistoryEntry(
                at=e.at,
                actor_name=names.get(e.actor_id, "已注销用户") if e.actor_id is not None else "系统",
                action=e.action,
                action_label=ACTION_LABELS.get(e.action, e.action),
                summary=summary_of(dict(e.data or {})),
            )
            for e in entries
        ],
        more=more,
        search_url="/bureau/audit?" + urlencode({"object_type": object_type, "object_id": object_id}),
    )
