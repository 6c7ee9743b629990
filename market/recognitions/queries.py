"""Reading recognitions: what a viewer may list, with filters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market.orgs.models import Organisation, User
from market.recognitions.models import Recognition, RecognitionExpertReview, RecognitionTransition
from market.recognitions.policy import policy_for_labels
from market.recognitions.schemas import NoticeItem, RecognisedProduct
from market.recognitions.states import RecognitionStatus


def list_for(
    session: Session,
    viewer: User,
    *,
    status: str | None = None,
    category: str | None = None,
    year: int | None = None,
    org_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[Recognition], int]:
    """The bureau lists every application; an organisation only its own. Newest first."""
    stmt = select(Recognition)
    if not viewer.is_bureau_staff:
        stmt = stmt.where(Recognition.org_id == viewer.org_id)
    elif org_id is not None:
        stmt = stmt.where(Recognition.org_id == org_id)
    if status:
        stmt = stmt.where(Recognition.status == status)
    if category:
        stmt = stmt.where(Recognition.category == category)
    if year:
        stmt = stmt.where(Recognition.year == year)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Recognition.id.desc()).limit(limit).offset(offset)).all()
    return rows, total


def for_product(session: Session, org_id: int, product_name: str) -> Sequence[Recognition]:
    """Every application for one product of one organisation, oldest first (its award history)."""
    return session.scalars(
        select(Recognition)
        .where(Recognition.org_id == org_id, Recognition.product_name == " ".join(product_name.split()))
        .order_by(Recognition.id)
    ).all()


def transitions_of(session: Session, rec_id: int) -> Sequence[RecognitionTransition]:
    """A recognition's status history, oldest first. The caller has already checked the viewer
    may see the recognition (``service.get_for_view``)."""
    return session.scalars(
        select(RecognitionTransition)
        .where(RecognitionTransition.recognition_id == rec_id)
        .order_by(RecognitionTransition.id)
    ).all()


PUBLIC_LIST_LIMIT = 200


def recognised_public(
    session: Session,
    *,
    year: int | None = None,
    level: str | None = None,
    county: str | None = None,
    industry: str | None = None,
    category: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[RecognisedProduct], int]:
    """The public list of recognised products (首台（套）/首批次/首版次/绿色设计产品 and the other
    categories), filterable by year, level, county and industry; no amounts, no evidence."""
    stmt = (
        select(Recognition, Organisation)
        .join(Organisation, Organisation.id == Recognition.org_id)
        .where(Recognition.status == RecognitionStatus.recognised)
    )
    if year:
        stmt = stmt.where(Recognition.year == year)
    if level:
        stmt = stmt.where(Recognition.level == level)
    if county:
        stmt = stmt.where(Organisation.county == county)
    if industry:
        stmt = stmt.where(Organisation.industry == industry)
    if category:
        stmt = stmt.where(Recognition.category == category)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(
        stmt.order_by(Recognition.year.desc(), Recognition.id.desc()).limit(min(limit, PUBLIC_LIST_LIMIT)).offset(offset)
    ).all()
    out = []
    for rec, org in rows:
        policy = policy_for_labels(rec.year)
        cat = policy.categories.get(rec.category)
        award = cat.awards.get(rec.level) if cat else None
        out.append(
            RecognisedProduct(
                id=rec.id,
                org_name=org.name,
                county=org.county,
                industry=org.industry,
                product_name=rec.product_name,
                category=rec.category,
                category_label=cat.label if cat else rec.category,
                level=rec.level,
                level_label=award.label if award else rec.level,
                year=rec.year,
            )
        )
    return out, total


def _labels(rec: Recognition) -> tuple[str, str]:
    """The category's and the level's words in the policy of the recognition's year."""
    policy = policy_for_labels(rec.year)
    cat = policy.categories.get(rec.category)
    award = cat.awards.get(rec.level) if cat else None
    return (cat.label if cat else rec.category), (award.label if award else rec.level)


def on_notice(
    session: Session, today: dt.date, how_to_object: str, *, limit: int = 50, offset: int = 0
) -> tuple[list[NoticeItem], int]:
    """Every recognition on public notice (公示), for anyone: enterprise, product, category, level,
    notice period and how to object; no amounts, evidence or contacts. Ending soonest first."""
    from market.recognitions import access

    stmt = (
        select(Recognition, Organisation)
        .join(Organisation, Organisation.id == Recognition.org_id)
        .where(Recognition.status == RecognitionStatus.on_notice)
    )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(
        stmt.order_by(Recognition.notice_end, Recognition.id).limit(min(limit, PUBLIC_LIST_LIMIT)).offset(offset)
    ).all()
    out = []
    for rec, org in rows:
        assert rec.notice_start is not None and rec.notice_end is not None  # set with the status
        category_label, level_label = _labels(rec)
        out.append(
            NoticeItem(
                id=rec.id, org_name=org.name, county=org.county, product_name=rec.product_name,
                category=rec.category, category_label=category_label, level=rec.level, level_label=level_label,
                year=rec.year, notice_start=rec.notice_start, notice_end=rec.notice_end,
                open_for_objections=access.on_notice(rec, today), how_to_object=how_to_object,
            )  # fmt: skip
        )
    return out, total


def assignments_of_expert(session: Session, expert: User, limit: int = 200) -> list[tuple[RecognitionExpertReview, Recognition]]:
    """The expert's recognition review assignments with their applications, newest first."""
    rows = session.execute(
        select(RecognitionExpertReview, Recognition)
        .join(Recognition, Recognition.id == RecognitionExpertReview.recognition_id)
        .where(RecognitionExpertReview.expert_id == expert.id)
        .order_by(RecognitionExpertReview.id.desc())
        .limit(limit)
    ).all()
    return [(a, r) for a, r in rows]
