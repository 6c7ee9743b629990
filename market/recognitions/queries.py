"""Reading recognitions: what a viewer may list, with filters."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market.orgs.models import Organisation, User
from market.recognitions.models import Recognition, RecognitionTransition
from market.recognitions.policy import policy_for_labels
from market.recognitions.schemas import RecognisedProduct
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
