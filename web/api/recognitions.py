"""Recognitions API: an enterprise applies for 首台（套）/首批次/首版次 and platform awards; the bureau
reviews, recognises (the award is computed from the policy table) or rejects."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from market.db import DB_INT_MAX, DbId
from market.recognitions import access as recognition_access
from market.recognitions import queries, service
from market.recognitions.schemas import (
    AwardQuoteOut,
    PayoutIn,
    PayoutLedgerRow,
    PayoutOut,
    PayoutTotals,
    RecognisedProduct,
    RecognitionCreate,
    RecognitionDecision,
    RecognitionRead,
    RecognitionRejection,
    RecognitionReview,
)
from market.recognitions.states import RecognitionStatus
from web.api.common import Paginated
from web.deps import BureauUser, CurrentUser, PageDep, SessionDep
from web.errors import RESPONSES_READ, RESPONSES_WRITE, responses

router = APIRouter(prefix="/recognitions", tags=["认定 recognitions"])


class PayoutLedger(Paginated[PayoutLedgerRow]):
    totals: PayoutTotals


@router.get("", response_model=Paginated[RecognitionRead], responses=responses(401, 422))
def list_recognitions(
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    status_: Annotated[
        str | None, Query(alias="status", pattern="^(applied|reviewed|recognised|rejected)$")
    ] = None,
    category: Annotated[str | None, Query(max_length=30)] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    org_id: Annotated[int | None, Query(ge=1, le=DB_INT_MAX, description="仅科技局可按企业筛选")] = None,
) -> Paginated[RecognitionRead]:
    """认定申报列表：科技局可见全部，企业只见本单位的申报。"""
    rows, total = queries.list_for(
        session,
        user,
        status=status_,
        category=category,
        year=year,
        org_id=org_id,
        limit=page.per_page,
        offset=page.offset,
    )
    return Paginated(
        items=[RecognitionRead.of(r) for r in rows], total=total, page=page.page, per_page=page.per_page
    )


@router.post(
    "", response_model=RecognitionRead, status_code=status.HTTP_201_CREATED, responses=RESPONSES_WRITE
)
def apply(rec_in: RecognitionCreate, session: SessionDep, user: CurrentUser) -> RecognitionRead:
    """企业为本单位产品申报认定；科技局可指定 org_id 代为登记。"""
    return RecognitionRead.of(service.apply(session, user, rec_in))


@router.get("/public", response_model=Paginated[RecognisedProduct], responses=responses(422))
def public_list(
    session: SessionDep,
    page: PageDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    level: Annotated[str | None, Query(max_length=30)] = None,
    county: Annotated[str | None, Query(max_length=20)] = None,
    industry: Annotated[str | None, Query(max_length=40)] = None,
    category: Annotated[str | None, Query(max_length=30)] = None,
) -> Paginated[RecognisedProduct]:
    """已认定产品公开名录（首台（套）/首批次/首版次/绿色设计产品等），可按年度、级别、县（市、区）、行业筛选；不含金额。"""
    rows, total = queries.recognised_public(
        session, year=year, level=level, county=county, industry=industry, category=category,
        limit=page.per_page, offset=page.offset,
    )  # fmt: skip
    return Paginated(items=rows, total=total, page=page.page, per_page=page.per_page)


@router.get("/payouts", response_model=PayoutLedger, responses=responses(401, 403, 422))
def payout_ledger(
    session: SessionDep,
    user: BureauUser,
    page: PageDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    category: Annotated[str | None, Query(max_length=30)] = None,
    county: Annotated[str | None, Query(max_length=20)] = None,
    paid: Annotated[str | None, Query(pattern="^(paid|due)$", description="paid 已全部兑现 / due 尚待兑现")] = None,
) -> PayoutLedger:
    """奖补兑现清单（科技局）：已认定项目的奖补、已兑现与待兑现金额，可按年度、类别、县（市、区）、兑现情况筛选；totals 为筛选结果合计。"""
    f = queries.LedgerFilter(status=RecognitionStatus.recognised, year=year, category=category, county=county, paid=paid)
    rows, total, totals = queries.ledger(session, user, f, limit=page.per_page, offset=page.offset)
    return PayoutLedger(items=rows, total=total, page=page.page, per_page=page.per_page, totals=totals)


@router.get("/{rec_id}/payouts", response_model=list[PayoutOut], responses=RESPONSES_READ)
def list_payouts(rec_id: DbId, session: SessionDep, user: CurrentUser) -> list[PayoutOut]:
    """某认定的奖补兑现记录（科技局、申报企业），按登记先后。"""
    rec = service.get_for_view(session, user, rec_id)
    return [PayoutOut.model_validate(p) for p in service.payouts_of(session, rec.id)]


@router.get("/{rec_id}", response_model=RecognitionRead, responses=RESPONSES_READ)
def get_recognition(rec_id: DbId, session: SessionDep, user: CurrentUser) -> RecognitionRead:
    """认定申报详情：含奖补已兑现与待兑现金额。"""
    rec = service.get_for_view(session, user, rec_id)
    payouts = service.payouts_of(session, rec.id)
    paid = sum(p.amount_wan for p in payouts)
    return RecognitionRead.of(rec, recognition_access.recognition_actions(user, rec, paid), payouts)


@router.post(
    "/{rec_id}/payouts", response_model=RecognitionRead, status_code=status.HTTP_201_CREATED, responses=RESPONSES_WRITE
)
def record_payout(rec_id: DbId, payout_in: PayoutIn, session: SessionDep, user: CurrentUser) -> RecognitionRead:
    """科技局登记奖补兑现（金额、日期、资金批次），不超过待兑现金额；通知企业。"""
    service.record_payout(session, user, rec_id, payout_in)
    rec = service.get_for_view(session, user, rec_id)
    payouts = service.payouts_of(session, rec.id)
    return RecognitionRead.of(rec, recognition_access.recognition_actions(user, rec, sum(p.amount_wan for p in payouts)), payouts)


@router.get("/{rec_id}/quote", response_model=AwardQuoteOut, responses=responses(401, 404, 422))
def preview_award(
    rec_id: DbId,
    session: SessionDep,
    user: CurrentUser,
    level: Annotated[str | None, Query(max_length=30, description="按此级别试算；缺省为申报级别")] = None,
) -> AwardQuoteOut:
    """试算该申报若现在认定可获奖励（就高不重复、保费补贴），不保存。"""
    rec = service.get_for_view(session, user, rec_id)
    return AwardQuoteOut.model_validate(service.price(session, rec, level).as_dict())


@router.post("/{rec_id}/review", response_model=RecognitionRead, responses=RESPONSES_WRITE)
def review(
    rec_id: DbId, review_in: RecognitionReview, session: SessionDep, user: CurrentUser
) -> RecognitionRead:
    """科技局初审通过（已申报 → 已初审）。"""
    return RecognitionRead.of(service.review(session, user, rec_id, review_in))


@router.post("/{rec_id}/recognise", response_model=RecognitionRead, responses=RESPONSES_WRITE)
def recognise(
    rec_id: DbId, decision: RecognitionDecision, session: SessionDep, user: CurrentUser
) -> RecognitionRead:
    """科技局认定（已初审 → 已认定），按政策表计算奖励并留存计算过程。"""
    return RecognitionRead.of(service.recognise(session, user, rec_id, decision))


@router.post("/{rec_id}/reject", response_model=RecognitionRead, responses=RESPONSES_WRITE)
def reject(
    rec_id: DbId, rejection: RecognitionRejection, session: SessionDep, user: CurrentUser
) -> RecognitionRead:
    """科技局不予认定，须说明理由。"""
    return RecognitionRead.of(service.reject(session, user, rec_id, rejection))
