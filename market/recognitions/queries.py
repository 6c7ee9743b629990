"""Reading recognitions: what a viewer may list, with filters."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from market.orgs.models import Organisation, User
from market.recognitions.models import (
    Recognition,
    RecognitionExpertReview,
    RecognitionPayout,
    RecognitionTransition,
)
from market.recognitions.policy import policy_for_labels
from market.recognitions.schemas import NoticeItem, PayoutLedgerRow, PayoutTotals, RecognisedProduct
from market.recognitions.states import LABELS, RecognitionStatus


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


# --- 奖补兑现: award, paid and still due, summed in SQL ---------------------------------------

# Amounts are 万元 to four decimals (one yuan): below half of that a balance is settled.
PAID_EPSILON = 0.00005
PAID_STATES = {"paid": "已全部兑现", "due": "尚待兑现"}


@dataclass(frozen=True)
class LedgerFilter:
    """The filters of the recognitions lists with their payouts (the bureau's 奖补兑现 list, the
    recognitions list and their exports). ``paid``: "paid" (fully paid) or "due" (still due);
    either keeps recognised items only."""

    status: str | None = None
    year: int | None = None
    category: str | None = None
    county: str | None = None
    org_id: int | None = None
    paid: str | None = None


def _paid_per_recognition() -> Any:
    return (
        select(
            RecognitionPayout.recognition_id.label("recognition_id"),
            func.sum(RecognitionPayout.amount_wan).label("paid"),
            func.count(RecognitionPayout.id).label("n"),
            func.max(RecognitionPayout.paid_on).label("last_paid_on"),
        )
        .group_by(RecognitionPayout.recognition_id)
        .subquery("paid")
    )


def _ledger_stmt(viewer: User, f: LedgerFilter) -> Select[Any]:
    paid = _paid_per_recognition()
    paid_wan = func.coalesce(paid.c.paid, 0.0)
    due_wan = func.coalesce(Recognition.award_wan, 0.0) - paid_wan
    stmt = (
        select(
            Recognition,
            Organisation.name.label("org_name"),
            Organisation.county.label("org_county"),
            paid_wan.label("paid_wan"),
            paid.c.n,
            paid.c.last_paid_on,
        )
        .join(Organisation, Organisation.id == Recognition.org_id)
        .outerjoin(paid, paid.c.recognition_id == Recognition.id)
    )
    if not viewer.is_bureau_staff:
        stmt = stmt.where(Recognition.org_id == viewer.org_id)
    elif f.org_id is not None:
        stmt = stmt.where(Recognition.org_id == f.org_id)
    if f.status:
        stmt = stmt.where(Recognition.status == f.status)
    if f.year:
        stmt = stmt.where(Recognition.year == f.year)
    if f.category:
        stmt = stmt.where(Recognition.category == f.category)
    if f.county:
        stmt = stmt.where(Organisation.county == f.county)
    if f.paid in PAID_STATES:
        stmt = stmt.where(Recognition.status == RecognitionStatus.recognised)
        stmt = stmt.where(due_wan <= PAID_EPSILON if f.paid == "paid" else due_wan > PAID_EPSILON)
    return stmt


def ledger(
    session: Session, viewer: User, f: LedgerFilter, *, limit: int = 50, offset: int = 0
) -> tuple[list[PayoutLedgerRow], int, PayoutTotals]:
    """Recognitions with their award, paid and still due (one query for the page, one for the
    count and the sums over the whole filtered list), newest first as the recognitions list.
    The bureau sees every organisation's; anyone else only their own."""
    stmt = _ledger_stmt(viewer, f)
    sub = stmt.subquery()
    recognised = sub.c.status == RecognitionStatus.recognised
    count, award, paid = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((recognised, sub.c.award_wan), else_=0.0)), 0.0),
            func.coalesce(func.sum(sub.c.paid_wan), 0.0),
        ).select_from(sub)
    ).one()
    totals = PayoutTotals(
        count=int(count), award_wan=round(float(award), 4), paid_wan=round(float(paid), 4),
        due_wan=round(max(0.0, float(award) - float(paid)), 4),
    )  # fmt: skip
    rows = session.execute(stmt.order_by(Recognition.id.desc()).limit(limit).offset(offset)).all()
    return [_ledger_row(*row) for row in rows], int(count), totals


def _ledger_row(
    rec: Recognition, org_name: str, county: str | None, paid: float, n: int | None, last: Any
) -> PayoutLedgerRow:
    policy = policy_for_labels(rec.year)
    cat = policy.categories.get(rec.category)
    award = cat.awards.get(rec.level) if cat else None
    recognised = rec.status == RecognitionStatus.recognised
    paid = round(float(paid or 0), 4)
    due = None if rec.award_wan is None else round(max(0.0, rec.award_wan - paid), 4)
    return PayoutLedgerRow(
        id=rec.id, org_id=rec.org_id, org_name=org_name, county=county, product_name=rec.product_name,
        product_code=rec.product_code, category=rec.category, category_label=cat.label if cat else rec.category,
        level=rec.level, level_label=award.label if award else rec.level, year=rec.year, status=rec.status,
        status_label=LABELS.get(rec.status, rec.status), recognised=recognised, award_wan=rec.award_wan,
        paid_wan=paid, due_wan=due, fully_paid=recognised and due is not None and due <= PAID_EPSILON,
        payouts_count=int(n or 0), last_paid_on=last, created_at=rec.created_at, recognised_at=rec.recognised_at,
    )  # fmt: skip


def payouts_for(session: Session, rec_ids: Iterable[int]) -> dict[int, list[RecognitionPayout]]:
    """The payouts of several recognitions in one query, each list in the order recorded. The
    caller has already checked the viewer may see these recognitions."""
    ids = sorted(set(rec_ids))
    out: dict[int, list[RecognitionPayout]] = defaultdict(list)
    if ids:
        for p in session.scalars(
            select(RecognitionPayout).where(RecognitionPayout.recognition_id.in_(ids)).order_by(RecognitionPayout.id)
        ):
            out[p.recognition_id].append(p)
    return out


def _labels(rec: Recognition) -> tuple[str, str]:
    """The category's and the level's words in the policy of the recognition's year."""
    policy = policy_for_labels(rec.year)
    cat = policy.categories.get(rec.category)
    award = cat.awards.get(rec.level) if cat else None
    return (cat.label if cat else rec.category), (award.label if award else rec.level)


def on_notice(
    session: Session, today: dt.date, how_to_object: str, *, limit: int = 50, offset: int = 0
) -> tuple[list[NoticeItem], int]:
    """Every recognition on public notice (公示) now or from a later day, for anyone: enterprise, product, category, level,
    notice period and how to object; no amounts, evidence or contacts. Ending soonest first."""
    from market.recognitions import access

    stmt = (
        select(Recognition, Organisation)
        .join(Organisation, Organisation.id == Recognition.org_id)
        .where(Recognition.status == RecognitionStatus.on_notice)
        # Notices now and to come; one whose period has ended waits for the bureau's 认定, off the public list.
        .where(Recognition.notice_end >= today)
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
