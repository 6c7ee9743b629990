"""Reads of needs, always through the viewer's eyes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from market.attachments import queries as attachments
from market.attachments.models import Attachment
from market.errors import NotFound
from market.needs import access, service
from market.needs.exceptions import AssignmentNotFound
from market.needs.models import ExpertAssignment, Need, NeedRevision, NeedTransition
from market.needs.schemas import (
    NearDuplicateOut,
    NeedActions,
    NeedDetail,
    NeedOwnerView,
    NeedPublic,
    RevisionOut,
    TransitionOut,
)
from market.needs.states import OPEN_FOR_RESPONSES, REVISION_LABELS, NeedStatus, need_machine
from market.orgs.models import User
from market.vocab import REASON_LABELS

if TYPE_CHECKING:
    from matching.embedders import Embedder


@dataclass
class NeedFilter:
    q: str | None = None
    status: str | None = None
    industry: str | None = None
    county: str | None = None
    track: str | None = None
    cooperation_mode: str | None = None
    batch_id: int | None = None
    org_id: int | None = None
    mine: bool = False
    # Every word of ``q`` in the title or summary (a saved search's promise), not ``q`` as one
    # phrase.
    all_terms: bool = False


def present(
    session: Session,
    user: User | None,
    need: Need,
    *,
    actions: NeedActions | None = None,
    batch_title: str | None = None,
    responded: bool = False,
) -> NeedPublic:
    """The read schema this viewer is entitled to (owner/bureau > details > public summary), with
    the viewer's actions when given (``market.views.need_view`` gives them)."""
    org_name = need.org.name if access.shows_org_name(session, user, need) else None
    base: dict[str, Any] = {
        "org_name": org_name,
        "status_label": need_machine.label(need.status),
        "batch_title": batch_title,
        "actions": actions,
    }
    if user is not None and (access.is_owner(user, need) or user.is_bureau_staff):
        transitions = session.scalars(
            select(NeedTransition).where(NeedTransition.need_id == need.id).order_by(NeedTransition.id)
        ).all()
        revisions = [
            RevisionOut.model_validate(r).model_copy(update={"status_label": REVISION_LABELS.get(r.status, r.status)})
            for r in service.revisions_of(session, need)
        ]
        returned_reason = None
        if need.status == NeedStatus.returned and transitions:
            last = transitions[-1]
            returned_reason = "。".join(p for p in (REASON_LABELS.get(last.reason_code or "", ""), last.reason_text) if p)
        skip = {"transitions", "revisions", "pending_revision", "returned_reason", "edit_note", "can_view_details", *base}
        data = {k: getattr(need, k) for k in NeedOwnerView.model_fields if k not in skip}
        return NeedOwnerView(
            **data, **base, can_view_details=True, transitions=[TransitionOut.model_validate(t) for t in transitions],
            revisions=revisions, pending_revision=next((r for r in revisions if r.status == "pending"), None),
            returned_reason=returned_reason, edit_note=access.edit_note(need),
        )
    if access.can_view_details(session, user, need):
        view = NeedDetail.model_validate(need, from_attributes=True).model_copy(update={**base, "can_view_details": True})
        if not access.shows_contact(session, user, need, responded=responded):
            view = view.model_copy(update={"contact_name": "", "contact_phone": ""})
        return view
    return NeedPublic.model_validate(need, from_attributes=True).model_copy(update=base)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class BadCursor(ValueError):
    """An ``after`` cursor that this list did not hand out (or handed out for another order)."""


@dataclass(frozen=True)
class KeysetOrder:
    """One order of the needs list as keyset ranges: ``bucketed`` puts the needs open for
    responses first; within a bucket the needs with a value of ``column`` (``descending`` or not),
    then those without; ties (and the needs without) by id, ``id_descending`` or not. ``tag``
    starts its cursors ("" for "newest", whose cursors predate the others)."""

    tag: str
    column: InstrumentedAttribute[Any]
    descending: bool
    id_descending: bool
    bucketed: bool
    kind: str  # "datetime", "date" or "float": how the value is written in a cursor

    def value(self, need: Need) -> int | float | None:
        raw = getattr(need, self.column.key)
        if raw is None:
            return None
        if self.kind == "datetime":
            stamp: dt.datetime = raw if raw.tzinfo is not None else raw.replace(tzinfo=dt.UTC)
            return (stamp - _EPOCH) // dt.timedelta(microseconds=1)
        if self.kind == "date":
            return int(raw.toordinal())
        return float(raw)

    def column_value(self, value: int | float) -> Any:
        if self.kind == "datetime":
            return _EPOCH + dt.timedelta(microseconds=int(value))
        if self.kind == "date":
            return dt.date.fromordinal(int(value))
        return float(value)


KEYSET_ORDERS: dict[str, KeysetOrder] = {
    "newest": KeysetOrder("", Need.published_at, True, True, True, "datetime"),
    "updated": KeysetOrder("u", Need.updated_at, True, True, False, "datetime"),
    "deadline": KeysetOrder("d", Need.deadline, False, False, True, "date"),
    "budget": KeysetOrder("b", Need.budget_max_wan, True, False, True, "float"),
}


@dataclass(frozen=True)
class Cursor:
    """Where a page of an order of the needs list ended (``KEYSET_ORDERS``): the bucket (0 open for
    responses, 1 the others), the order's value (None: the need has none) and the id. Encoded as
    ``<tag><bucket>.<value or ->.<id>``; the "newest" order's value is unix µs of published_at."""

    bucket: int
    published_us: int | float | None  # the order's value (named for the first order it served)
    id: int
    order: str = "newest"

    @property
    def value(self) -> int | float | None:
        return self.published_us

    def encode(self) -> str:
        tag = KEYSET_ORDERS[self.order].tag
        value = "-" if self.value is None else repr(self.value)
        return f"{tag}{self.bucket}.{value}.{self.id}"

    @classmethod
    def decode(cls, raw: str, order: str = "newest") -> Cursor:
        spec = KEYSET_ORDERS.get(order)
        head, _, rest = raw.partition(".")
        middle, _, last = rest.rpartition(".")
        try:
            if spec is None or not head.startswith(spec.tag) or head[len(spec.tag) :] not in {"0", "1"} or not middle:
                raise ValueError(raw)
            value: int | float | None = None
            if middle != "-":
                value = float(middle) if spec.kind == "float" else int(middle)
            cursor = cls(int(head[len(spec.tag) :]), value, int(last), order)
        except ValueError as exc:
            raise BadCursor(raw) from exc
        if cursor.id < 1 or cursor.id > 2**31 or not _plausible(spec, value) or (not spec.bucketed and cursor.bucket):
            raise BadCursor(raw)
        return cursor

    @classmethod
    def of(cls, need: Need, order: str = "newest") -> Cursor:
        spec = KEYSET_ORDERS[order]
        bucket = 1 if spec.bucketed and need.status not in {s.value for s in OPEN_FOR_RESPONSES} else 0
        return cls(bucket, spec.value(need), need.id, order)

    def published(self) -> dt.datetime | None:
        if self.value is None:
            return None
        return _EPOCH + dt.timedelta(microseconds=int(self.value))


def _plausible(spec: KeysetOrder, value: int | float | None) -> bool:
    if value is None:
        return True
    if spec.kind == "datetime":
        return 0 <= value < 2**62
    if spec.kind == "date":
        return 1 <= value <= dt.date.max.toordinal()
    return abs(value) < 1e300  # finite, and not NaN (NaN compares False)


def list_needs(
    session: Session,
    user: User | None,
    f: NeedFilter,
    *,
    offset: int = 0,
    limit: int = 20,
    order: str = "newest",
    after: Cursor | None = None,
) -> tuple[Sequence[Need], int]:
    """Bureau staff see everything; an enterprise sees the public list plus its own; experts their
    assigned needs; everyone else the published needs only. ``after`` (a cursor of this order)
    continues from where a page ended by keyset: a deep page costs what the first one does."""
    stmt = select(Need).where(access.visible_needs(user))
    if f.mine:
        stmt = stmt.where(Need.org_id == (user.org_id if user is not None else -1))
    if f.status:
        stmt = stmt.where(Need.status == f.status)
    if f.industry:
        stmt = stmt.where(Need.industry == f.industry)
    if f.county:
        stmt = stmt.where(Need.county == f.county)
    if f.track:
        stmt = stmt.where(Need.track.in_([f.track, "both"]) if f.track != "both" else Need.track == "both")
    if f.cooperation_mode:
        stmt = stmt.where(Need.cooperation_mode == f.cooperation_mode)
    if f.batch_id:
        stmt = stmt.where(Need.batch_id == f.batch_id)
    if f.org_id and (user is not None and (user.is_bureau_staff or user.org_id == f.org_id)):
        stmt = stmt.where(Need.org_id == f.org_id)
    if f.q:
        for term in f.q.split() if f.all_terms else [f.q]:
            like = f"%{term}%"
            stmt = stmt.where(or_(Need.title.ilike(like), Need.summary.ilike(like)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    spec = KEYSET_ORDERS.get(order, KEYSET_ORDERS["newest"])
    if after is not None and after.order != order:
        raise BadCursor(after.encode())
    if after is not None or offset == 0:
        return _keyset_page(session, stmt, spec, after, limit), total
    # Lists of published needs put the ones open for responses first, whatever the order.
    open_first = case((Need.status.in_([s.value for s in OPEN_FOR_RESPONSES]), 0), else_=1)
    orders: dict[str, tuple[ColumnElement[Any] | InstrumentedAttribute[Any], ...]] = {
        "newest": (open_first, Need.published_at.desc().nulls_last(), Need.id.desc()),
        "updated": (Need.updated_at.desc(), Need.id.desc()),
        "deadline": (open_first, Need.deadline.asc().nulls_last(), Need.id),
        "budget": (open_first, Need.budget_max_wan.desc().nulls_last(), Need.id),
    }
    rows = session.scalars(
        stmt.options(selectinload(Need.org)).order_by(*orders.get(order, orders["newest"])).offset(offset).limit(limit)
    ).all()
    return rows, total


def _keyset_page(session: Session, stmt: Select[Need], spec: KeysetOrder, after: Cursor | None, limit: int) -> list[Need]:
    """The page of ``spec``'s order after ``after`` (from the start when None), read as
    index-ordered ranges with a LIMIT each, never a sort of the list nor skipped rows: for a
    bucketed order open for responses first, then the others; within each the needs with a value,
    one range per status (``status = ?`` and the value, id past the cursor: a scan of the
    order's ``ix_needs_status_<column>_id``, merged here), then the ones without (by id)."""
    open_values = [s.value for s in OPEN_FOR_RESPONSES]
    buckets: tuple[list[str], ...] = (
        (open_values, [s.value for s in NeedStatus if s.value not in open_values])
        if spec.bucketed
        else ([s.value for s in NeedStatus],)
    )
    col, ident = spec.column, Need.id
    by_value = col.desc() if spec.descending else col.asc()
    by_id = ident.desc() if spec.id_descending else ident.asc()
    here = None if after is None else (after.bucket, 0 if after.value is not None else 1)
    rows: list[Need] = []
    for segment in [(b, u) for b in range(len(buckets)) for u in (0, 1)]:
        if len(rows) >= limit or (here is not None and segment < here):
            continue
        bucket, undated = segment
        want = limit - len(rows)
        if undated:
            part = stmt.where(Need.status.in_(buckets[bucket]), col.is_(None))
            if after is not None and segment == here:
                part = part.where(ident < after.id if spec.id_descending else ident > after.id)
            rows.extend(session.scalars(part.options(selectinload(Need.org)).order_by(by_id).limit(want)).all())
            continue
        found: list[Need] = []
        for value in buckets[bucket]:
            part = stmt.where(Need.status == value, col.is_not(None))
            if after is not None and segment == here and after.value is not None:
                part = part.where(_past(spec, spec.column_value(after.value), after.id))
            found.extend(
                session.scalars(part.options(selectinload(Need.org)).order_by(by_value, by_id).limit(want)).all()
            )
        vsign, isign = (-1 if spec.descending else 1), (-1 if spec.id_descending else 1)
        found.sort(key=lambda n: (vsign * (spec.value(n) or 0), isign * n.id))
        rows.extend(found[:want])
    return rows


def _past(spec: KeysetOrder, value: Any, after_id: int) -> ColumnElement[bool]:
    """Rows after (value, id) in the order. Same directions: one row-value comparison (an index
    range). Mixed (budget descending, id ascending): the value's bound as the range and the tie
    rows at that value filtered by id."""
    col, ident = spec.column, Need.id
    if spec.descending == spec.id_descending:
        key, at = tuple_(col, ident), tuple_(value, after_id)
        return key < at if spec.descending else key > at
    bound = col <= value if spec.descending else col >= value
    beyond = col < value if spec.descending else col > value
    return and_(bound, or_(beyond, ident > after_id if not spec.id_descending else ident < after_id))


def median_review_days(session: Session, recent: int = 200) -> float | None:
    """Median days from submission to the bureau's decision (approved, returned, rejected) over
    the most recent ``recent`` decisions; None before there are any. Bounded: two small queries."""
    decided = (NeedStatus.approved.value, NeedStatus.returned.value, NeedStatus.rejected.value)
    decisions = session.execute(
        select(NeedTransition.need_id, NeedTransition.at)
        .where(NeedTransition.from_status == NeedStatus.submitted.value, NeedTransition.to_status.in_(decided))
        .order_by(NeedTransition.at.desc())
        .limit(recent)
    ).all()
    if not decisions:
        return None
    submits: dict[int, list[dt.datetime]] = {}
    for need_id, at in session.execute(
        select(NeedTransition.need_id, NeedTransition.at).where(
            NeedTransition.to_status == NeedStatus.submitted.value,
            NeedTransition.need_id.in_({d.need_id for d in decisions}),
        )
    ):
        submits.setdefault(need_id, []).append(at)
    days = []
    for need_id, at in decisions:
        before = [s for s in submits.get(need_id, []) if s <= at]
        if before:
            days.append((at - max(before)).total_seconds() / 86400)
    if not days:
        return None
    days.sort()
    mid = len(days) // 2
    return days[mid] if len(days) % 2 else (days[mid - 1] + days[mid]) / 2


REVIEW_QUEUE_PAGE = 100


def review_queue(session: Session, *, offset: int = 0, limit: int | None = None) -> Sequence[Need]:
    """Needs waiting for review, oldest first, one page at a time (the queue of a province can
    hold thousands; a request reads a bounded page of it through the status index)."""
    return session.scalars(
        select(Need)
        .where(Need.status == NeedStatus.submitted)
        .options(selectinload(Need.org))
        .order_by(Need.updated_at, Need.id)
        .offset(offset)
        .limit(limit or REVIEW_QUEUE_PAGE)
    ).all()


def titles_of(session: Session, need_ids: Sequence[int]) -> list[tuple[int, str]]:
    """The titles of the given needs in the order given (an import's report: at most one sheet's rows)."""
    titles = dict(session.execute(select(Need.id, Need.title).where(Need.id.in_(list(need_ids)))).tuples().all())
    return [(nid, titles[nid]) for nid in need_ids if nid in titles]


def review_queue_size(session: Session) -> int:
    return session.scalar(select(func.count(Need.id)).where(Need.status == NeedStatus.submitted)) or 0


def revision_queue(session: Session) -> Sequence[tuple[NeedRevision, Need]]:
    """Edits of published needs waiting for the bureau, oldest first."""
    rows = session.execute(
        select(NeedRevision, Need)
        .join(Need, Need.id == NeedRevision.need_id)
        .where(NeedRevision.status == "pending")
        .order_by(NeedRevision.created_at)
    ).all()
    return [(r, n) for r, n in rows]


# Needs a duplicate hint compares with: those on the list or under review.
LIVE_STATUSES: tuple[str, ...] = tuple(
    s.value
    for s in (
        NeedStatus.submitted, NeedStatus.approved, NeedStatus.published, NeedStatus.taken_up,
        NeedStatus.selected, NeedStatus.contracted,
    )
)
# How many neighbours the index is asked for, and how many recent needs the fallback reads.
DUPLICATE_CANDIDATES = 30
FALLBACK_CANDIDATES = 300


@dataclass(frozen=True)
class DuplicateCandidates:
    """Neighbours of a new need's text found by an index, best first: need ids, their stored
    passage vectors (where the index has one) and the text's own vector, embedded once."""

    ids: list[int]
    vectors: dict[int, np.ndarray]
    query_vector: np.ndarray | None = None


class CandidateFinder(Protocol):
    """Finds the needs nearest to a text (``vector_text``) among the live ones; None when no index
    can answer (the caller falls back to a bounded read). Wired in by web/ from search/."""

    def __call__(self, title: str, text: str, limit: int) -> DuplicateCandidates | None: ...


def near_duplicates(
    session: Session,
    user: User | None,
    title: str,
    summary: str,
    problem: str = "",
    *,
    exclude_id: int | None = None,
    limit: int = 5,
    finder: CandidateFinder | None = None,
    embedder: Embedder | None = None,
) -> list[NearDuplicateOut]:
    """Needs already on the list (or under review) that say nearly the same thing, among those the
    viewer may see (``access.visible_needs``).

    Candidates are the index's nearest neighbours of the text (``finder``), re-scored with the
    lexical + semantic score of ``matching.duplicates``; without an index, the most recent live
    needs and those with the same title (a bounded read, lexical score only). Never the whole
    table, and no transaction of the caller's should be open with writes: this embeds.
    """
    from matching.duplicates import find_near_duplicates, vector_text

    found = finder(title, vector_text(title, summary), DUPLICATE_CANDIDATES) if finder is not None else None
    live = Need.status.in_(LIVE_STATUSES)
    cols = (Need.id, Need.title, Need.summary, Need.problem)
    if found is not None:
        ids = [i for i in found.ids if i != exclude_id]
        rows = session.execute(select(*cols).where(Need.id.in_(ids), live, access.visible_needs(user))).all() if ids else []
    else:
        recent = select(*cols).where(live, access.visible_needs(user)).order_by(Need.id.desc()).limit(FALLBACK_CANDIDATES)
        same_title = select(*cols).where(live, access.visible_needs(user), Need.title == title).limit(limit)
        rows = list({r.id: r for r in [*session.execute(recent), *session.execute(same_title)]}.values())
        rows = [r for r in rows if r.id != exclude_id]
        embedder = None  # re-embedding hundreds of texts per save is what the index is for
    candidates = [(r.id, f"{r.title}。{r.summary}。{r.problem}") for r in rows]
    titles = {r.id: r.title for r in rows}
    dups = find_near_duplicates(
        f"{title}。{summary}。{problem}",
        candidates,
        embedder=embedder,
        limit=limit,
        query_vector=found.query_vector if found is not None else None,
        vectors=found.vectors if found is not None else None,
        vector_texts={r.id: vector_text(r.title, r.summary) for r in rows},
    )
    # Terms only from what the viewer may read (issue 14, finding 6): for a need whose details are
    # closed to the viewer, the shared terms that occur in its public title and summary.
    closed = {
        n.id: f"{n.title}{n.summary}"
        for n in session.scalars(select(Need).where(Need.id.in_([d.id for d in dups])))
        if not access.can_view_details(session, user, n)
    }
    return [
        NearDuplicateOut(
            id=d.id,
            title=titles[d.id],
            score=round(float(d.score), 3),
            shared_terms=[t for t in d.shared_terms if d.id not in closed or t in closed[d.id]],
        )
        for d in dups
    ]


def published_in(session: Session, start: dt.datetime, end: dt.datetime) -> int:
    return session.scalar(select(func.count(Need.id)).where(Need.published_at >= start, Need.published_at < end)) or 0


def list_attachments(session: Session, user: User | None, need: Need) -> Sequence[Attachment]:
    """A need's attachments (names and sizes, not the bytes) for a viewer who may see its details,
    none for anyone else: the files are disclosed with the details (public / nda / invite)."""
    if not access.can_view_details(session, user, need):
        return []
    return attachments.list_for(session, "need", need.id)


def attachment_for_viewer(session: Session, user: User | None, need: Need, attachment_id: int) -> Attachment:
    """A need's attachment opens only for a viewer who may see the need's details (a provider of an
    nda need only after accepting the terms, of an invite need only when invited); to anyone else,
    and through another need's link, it does not exist. ``need`` comes from need_for_viewer."""
    att = attachments.get(session, attachment_id)
    if att.owner_type != "need" or att.owner_id != need.id or not access.can_view_details(session, user, need):
        raise NotFound("附件不存在或无权查看")
    return att


def assignments_of_expert(session: Session, expert: User) -> list[tuple[ExpertAssignment, Need]]:
    """The expert's review assignments with their needs, newest first."""
    rows = session.execute(
        select(ExpertAssignment, Need)
        .join(Need, Need.id == ExpertAssignment.need_id)
        .where(ExpertAssignment.expert_id == expert.id)
        .order_by(ExpertAssignment.id.desc())
    ).all()
    return [(a, n) for a, n in rows]


def assignment_of(session: Session, expert: User, need_id: int) -> ExpertAssignment:
    """The expert's own review assignment on a need; for anyone else there is none."""
    assignment = session.scalar(
        select(ExpertAssignment).where(ExpertAssignment.need_id == need_id, ExpertAssignment.expert_id == expert.id)
    )
    if assignment is None:
        raise AssignmentNotFound()
    return assignment


def assignments_with_experts(session: Session, need: Need) -> list[tuple[ExpertAssignment, str]]:
    """A need's review assignments with each expert's name and organisation, for the bureau."""
    from market.orgs.models import Organisation

    rows = session.execute(
        select(ExpertAssignment, User.display_name, Organisation.name)
        .join(User, User.id == ExpertAssignment.expert_id)
        .join(Organisation, Organisation.id == User.org_id)
        .where(ExpertAssignment.need_id == need.id)
        .order_by(ExpertAssignment.id)
    ).all()
    return [(a, f"{name}（{org}）") for a, name, org in rows]
