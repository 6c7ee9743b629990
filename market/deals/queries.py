"""Reads of deals, through the viewer's eyes: parties see their own deals, the bureau all."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from market.attachments.models import Attachment
from market.db import CST
from market.deals import access
from market.deals.models import Deal, DealDocument, DealMilestone, DealStageChange
from market.deals.schemas import (
    DOCUMENT_KINDS,
    MAX_MILESTONES,
    DealDetail,
    DealOut,
    DocumentOut,
    MilestoneOut,
    StageChangeOut,
)
from market.deals.states import deal_machine
from market.needs.models import Need
from market.orgs.models import Organisation, User


@dataclass
class DealFilter:
    stage: str | None = None
    county: str | None = None
    industry: str | None = None
    year: int | None = None  # the year the deal was opened (对接年度), China time


def list_deals(
    session: Session, user: User, f: DealFilter, *, offset: int = 0, limit: int = 20
) -> tuple[Sequence[Deal], int]:
    """The bureau lists every deal; anyone else only the deals their organisation is party to."""
    stmt = select(Deal).join(Need, Need.id == Deal.need_id)
    if not user.is_bureau_staff:
        stmt = stmt.where(or_(Deal.enterprise_org_id == user.org_id, Deal.provider_org_id == user.org_id))
    if f.stage:
        stmt = stmt.where(Deal.stage == f.stage)
    if f.county:
        stmt = stmt.where(Need.county == f.county)
    if f.industry:
        stmt = stmt.where(Need.industry == f.industry)
    if f.year:
        start = dt.datetime(f.year, 1, 1, tzinfo=CST)
        end = dt.datetime(f.year + 1, 1, 1, tzinfo=CST)
        stmt = stmt.where(Deal.created_at >= start, Deal.created_at < end)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Deal.updated_at.desc(), Deal.id.desc()).offset(offset).limit(limit)).all()
    return rows, total


def present_many(session: Session, deals: Sequence[Deal]) -> list[DealOut]:
    """Deals with their need's title, county, industry and both parties' names (two queries)."""
    need_ids = {d.need_id for d in deals}
    org_ids = {d.enterprise_org_id for d in deals} | {d.provider_org_id for d in deals}
    needs = {n.id: n for n in session.execute(select(Need.id, Need.title, Need.county, Need.industry).where(Need.id.in_(need_ids)))}
    orgs = dict(session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids))).all())
    out = []
    for d in deals:
        need = needs.get(d.need_id)
        out.append(
            DealOut.model_validate(d).model_copy(
                update={
                    "need_title": need.title if need else "",
                    "county": need.county if need else "",
                    "industry": need.industry if need else "",
                    "enterprise_name": orgs.get(d.enterprise_org_id, ""),
                    "provider_name": orgs.get(d.provider_org_id, ""),
                    "stage_label": deal_machine.label(d.stage),
                }
            )
        )
    return out


def present_detail(session: Session, deal: Deal, user: User | None) -> DealDetail:
    """A deal with its milestones, stage history and the viewer's actions."""
    base = present_many(session, [deal])[0]
    milestones = milestones_of(session, deal)
    changes = session.scalars(select(DealStageChange).where(DealStageChange.deal_id == deal.id).order_by(DealStageChange.id)).all()
    return DealDetail(
        **base.model_dump(),
        milestones=milestones,
        stage_changes=[StageChangeOut.model_validate(c) for c in changes],
        actions=access.deal_actions(user, deal),
    )


def document_out(doc: DealDocument, filename: str, size: int) -> DocumentOut:
    return DocumentOut(
        id=doc.id, milestone_id=doc.milestone_id, kind=doc.kind, kind_label=DOCUMENT_KINDS.get(doc.kind, doc.kind),
        filename=filename, size=size, at=doc.at,
    )  # fmt: skip


def milestones_of(session: Session, deal: Deal) -> list[MilestoneOut]:
    """A deal's milestones in order, each with its documents (two queries; the files' bytes are
    not read). Bounded by the service's limits on milestones and documents."""
    rows = session.scalars(
        select(DealMilestone).where(DealMilestone.deal_id == deal.id).order_by(DealMilestone.id).limit(MAX_MILESTONES)
    ).all()
    docs: dict[int, list[DocumentOut]] = {}
    stmt = (
        select(DealDocument, Attachment.filename, Attachment.size)
        .join(Attachment, Attachment.id == DealDocument.attachment_id)
        .where(DealDocument.deal_id == deal.id)
        .order_by(DealDocument.id)
    )
    for doc, filename, size in session.execute(stmt):
        docs.setdefault(doc.milestone_id, []).append(document_out(doc, filename, size))
    return [MilestoneOut.model_validate(m).model_copy(update={"documents": docs.get(m.id, [])}) for m in rows]


def deal_for_response(session: Session, response_id: int) -> Deal | None:
    return session.scalar(select(Deal).where(Deal.response_id == response_id))
