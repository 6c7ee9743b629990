from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from market.orgs.models import PROVIDER_KINDS, Organisation, ProviderProfile, Verification


def list_orgs(
    session: Session, *, kind: str | None = None, verification: str | None = None, offset: int = 0, limit: int = 20
) -> tuple[Sequence[Organisation], int]:
    stmt = select(Organisation)
    if kind:
        stmt = stmt.where(Organisation.kind == kind)
    if verification:
        stmt = stmt.where(Organisation.verification == verification)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Organisation.id).offset(offset).limit(limit)).all()
    return rows, total


def list_provider_profiles(
    session: Session, *, offset: int = 0, limit: int = 20, verified_only: bool = True
) -> tuple[Sequence[ProviderProfile], int]:
    stmt = select(ProviderProfile).join(Organisation).where(Organisation.kind.in_([k.value for k in PROVIDER_KINDS]))
    if verified_only:
        stmt = stmt.where(Organisation.verification == Verification.verified)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.options(selectinload(ProviderProfile.org), selectinload(ProviderProfile.items))
        .order_by(ProviderProfile.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return rows, total
