"""Reading recognitions: what a viewer may list, with filters."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market.orgs.models import User
from market.recognitions.models import Recognition, RecognitionTransition


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
