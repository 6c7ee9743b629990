"""Reads of needs, always through the viewer's eyes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from market.attachments import queries as attachments
from market.attachments.models import Attachment
from market.errors import NotFound
from market.needs import access
from market.needs.models import ExpertAssignment, Need, NeedTransition
from market.needs.schemas import NearDuplicateOut, NeedDetail, NeedOwnerView, NeedPublic, TransitionOut
from market.needs.states import PUBLIC_STATUSES, NeedStatus
from market.orgs.models import User


@dataclass
class NeedFilter:
    q: str | None = None
    status: str | None = None
    industry: str | None = None
    county: str | None = None
    track: str | None = None
    batch_id: int | None = None
    org_id: int | None = None
    mine: bool = False


def present(session: Session, user: User | None, need: Need) -> NeedPublic:
    """The read schema this viewer is entitled to (owner/bureau > details > public summary)."""
    shows_name = access.shows_org_name(session, user, need)
    org_name = need.org.name if shows_name else None
    base = {"org_name": org_name}
    if user is not None and (access.is_owner(user, need) or user.is_bureau_staff):
        transitions = session.scalars(
            select(NeedTransition).where(NeedTransition.need_id == need.id).order_by(NeedTransition.id)
        ).all()
        data = {k: getattr(need, k) for k in NeedOwnerView.model_fields if k not in ("transitions", "org_name", "can_view_details")}
        return NeedOwnerView(
            **data, org_name=org_name, can_view_details=True, transitions=[TransitionOut.model_validate(t) for t in transitions]
        )
    if access.can_view_details(session, user, need):
        return NeedDetail.model_validate(need, from_attributes=True).model_copy(update={**base, "can_view_details": True})
    return NeedPublic.model_validate(need, from_attributes=True).model_copy(update=base)


def list_needs(
    session: Session, user: User | None, f: NeedFilter, *, offset: int = 0, limit: int = 20, order: str = "newest"
) -> tuple[Sequence[Need], int]:
    """Bureau staff see everything; an enterprise sees the public list plus its own; experts their
    assigned needs; everyone else the published needs only."""
    stmt = select(Need)
    if user is not None and user.is_bureau_staff:
        pass
    elif user is not None and f.mine:
        stmt = stmt.where(Need.org_id == user.org_id)
    else:
        visible: ColumnElement[bool] = Need.status.in_([s.value for s in PUBLIC_STATUSES])
        if user is not None:
            assigned = select(ExpertAssignment.need_id).where(ExpertAssignment.expert_id == user.id)
            visible = or_(visible, Need.org_id == user.org_id, Need.id.in_(assigned))
        stmt = stmt.where(visible)
    if f.status:
        stmt = stmt.where(Need.status == f.status)
    if f.industry:
        stmt = stmt.where(Need.industry == f.industry)
    if f.county:
        stmt = stmt.where(Need.county == f.county)
    if f.track:
        stmt = stmt.where(Need.track.in_([f.track, "both"]) if f.track != "both" else Need.track == "both")
    if f.batch_id:
        stmt = stmt.where(Need.batch_id == f.batch_id)
    if f.org_id and (user is not None and (user.is_bureau_staff or user.org_id == f.org_id)):
        stmt = stmt.where(Need.org_id == f.org_id)
    if f.q:
        like = f"%{f.q}%"
        stmt = stmt.where(or_(Need.title.ilike(like), Need.summary.ilike(like)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    orders: dict[str, tuple[ColumnElement[Any] | InstrumentedAttribute[Any], ...]] = {
        "newest": (Need.published_at.desc().nulls_last(), Need.id.desc()),
        "updated": (Need.updated_at.desc(), Need.id.desc()),
        "deadline": (Need.deadline.asc().nulls_last(), Need.id),
        "budget": (Need.budget_max_wan.desc().nulls_last(), Need.id),
    }
    rows = session.scalars(
        stmt.options(selectinload(Need.org)).order_by(*orders.get(order, orders["newest"])).offset(offset).limit(limit)
    ).all()
    return rows, total


def review_queue(session: Session) -> Sequence[Need]:
    return session.scalars(
        select(Need)
        .where(Need.status == NeedStatus.submitted)
        .options(selectinload(Need.org))
        .order_by(Need.updated_at)
    ).all()


def near_duplicates(
    session: Session, title: str, text: str, *, exclude_id: int | None = None, limit: int = 5
) -> list[NearDuplicateOut]:
    """Needs already on the list (or under review) that say nearly the same thing."""
    from matching.duplicates import find_near_duplicates

    live = [
        NeedStatus.submitted, NeedStatus.approved, NeedStatus.published, NeedStatus.taken_up,
        NeedStatus.selected, NeedStatus.contracted,
    ]
    rows = session.execute(
        select(Need.id, Need.title, Need.summary, Need.problem).where(Need.status.in_([s.value for s in live]))
    ).all()
    candidates = [(r.id, f"{r.title}。{r.summary}。{r.problem}") for r in rows if r.id != exclude_id]
    titles = {r.id: r.title for r in rows}
    found = find_near_duplicates(f"{title}。{text}", candidates, limit=limit)
    return [
        NearDuplicateOut(id=d.id, title=titles[d.id], score=round(float(d.score), 3), shared_terms=list(d.shared_terms))
        for d in found
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
        raise NotFound("没有分配给您的评审任务")
    return assignment
