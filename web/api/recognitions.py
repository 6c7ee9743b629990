"""Recognitions API: an enterprise applies for 首台（套）/首批次/首版次 and platform awards with
evidence files; the bureau passes 初审, assigns experts who score (专家评审), puts the application on
public notice (公示, objections answered in writing), recognises it (the award is computed from the
policy table) or rejects it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile, status
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from market.batches.access import today_local
from market.db import DB_INT_MAX, DbId
from market.errors import Forbidden
from market.orgs.models import User
from market.recognitions import access as recognition_access
from market.recognitions import queries, service
from market.recognitions.models import Recognition
from market.recognitions.schemas import (
    AwardQuoteOut,
    ExpertAssignIn,
    ExpertReviewOut,
    ExpertScoreIn,
    NoticeIn,
    NoticeItem,
    ObjectionIn,
    ObjectionOut,
    ObjectionResolveIn,
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
from web.api.needs import AttachmentOut
from web.deps import BureauUser, CurrentUser, PageDep, RuntimeDep, SessionDep
from web.downloads import attachment_download
from web.errors import RESPONSES_READ, RESPONSES_WRITE, responses

router = APIRouter(prefix="/recognitions", tags=["认定 recognitions"])


class PayoutLedger(Paginated[PayoutLedgerRow]):
    totals: PayoutTotals


def _read(session: Session, user: User, rec: Recognition) -> RecognitionRead:
    """The application with the viewer's actions and its payouts."""
    payouts = service.payouts_of(session, rec.id)
    paid = sum(p.amount_wan for p in payouts)
    return RecognitionRead.of(rec, recognition_access.recognition_actions(session, user, rec, paid), payouts)


@router.get("", response_model=Paginated[RecognitionRead], responses=responses(401, 422))
def list_recognitions(
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    status_: Annotated[
        str | None, Query(alias="status", pattern="^(applied|reviewed|scored|on_notice|recognised|rejected)$")
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


@router.get("/notices", response_model=Paginated[NoticeItem], responses=responses(422))
def notices(session: SessionDep, page: PageDep) -> Paginated[NoticeItem]:
    """认定公示（无需登录）：公示中的每一项认定申报——企业、产品、类别、级别、公示期和异议方式；不含金额和证明材料。"""
    rows, total = queries.on_notice(
        session, today_local(), service.HOW_TO_OBJECT, limit=page.per_page, offset=page.offset
    )
    return Paginated(items=rows, total=total, page=page.page, per_page=page.per_page)


class AssignedOut(BaseModel):
    recognition: RecognitionRead
    review: ExpertReviewOut


@router.get("/assigned", response_model=list[AssignedOut], responses=responses(401, 403))
def assigned_to_me(session: SessionDep, user: CurrentUser) -> list[AssignedOut]:
    """专家的认定评审任务（最新在前，至多 200 项）。"""
    if not user.is_expert:
        raise Forbidden("只有评审专家有认定评审任务")
    return [
        AssignedOut(recognition=RecognitionRead.of(r), review=_review_out(a, ""))
        for a, r in queries.assignments_of_expert(session, user)
    ]


@router.post("/objections/{objection_id}/resolve", response_model=ObjectionOut, responses=RESPONSES_WRITE)
def resolve_objection(
    objection_id: DbId, resolve_in: ObjectionResolveIn, session: SessionDep, user: CurrentUser
) -> ObjectionOut:
    """科技局书面答复认定公示异议，并通知异议人和申报企业。"""
    return ObjectionOut.model_validate(service.resolve_objection(session, user, objection_id, resolve_in.resolution))


@router.get("/{rec_id}", response_model=RecognitionRead, responses=RESPONSES_READ)
def get_recognition(rec_id: DbId, session: SessionDep, user: CurrentUser) -> RecognitionRead:
    """认定申报详情：含奖补已兑现与待兑现金额。"""
    return _read(session, user, service.get_for_view(session, user, rec_id))


@router.post(
    "/{rec_id}/payouts", response_model=RecognitionRead, status_code=status.HTTP_201_CREATED, responses=RESPONSES_WRITE
)
def record_payout(rec_id: DbId, payout_in: PayoutIn, session: SessionDep, user: CurrentUser) -> RecognitionRead:
    """科技局登记奖补兑现（金额、日期、资金批次），不超过待兑现金额；通知企业。"""
    service.record_payout(session, user, rec_id, payout_in)
    return _read(session, user, service.get_for_view(session, user, rec_id))


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
    """科技局初审通过（已申报 → 已初审），之后安排专家评审。"""
    return RecognitionRead.of(service.review(session, user, rec_id, review_in))


@router.post("/{rec_id}/recognise", response_model=RecognitionRead, responses=RESPONSES_WRITE)
def recognise(
    rec_id: DbId, decision: RecognitionDecision, session: SessionDep, user: CurrentUser
) -> RecognitionRead:
    """科技局认定（公示中 → 已认定）：须公示期满（中国标准时间）且公示异议均已答复；按政策表计算奖励并留存计算过程。"""
    return RecognitionRead.of(service.recognise(session, user, rec_id, decision))


@router.post("/{rec_id}/reject", response_model=RecognitionRead, responses=RESPONSES_WRITE)
def reject(
    rec_id: DbId, rejection: RecognitionRejection, session: SessionDep, user: CurrentUser
) -> RecognitionRead:
    """科技局不予认定，须说明理由。"""
    return RecognitionRead.of(service.reject(session, user, rec_id, rejection))


def _review_out(row: object, name: str) -> ExpertReviewOut:
    return ExpertReviewOut.model_validate({**{k: getattr(row, k) for k in ExpertReviewOut.model_fields if k != "expert_name"}, "expert_name": name})


@router.get("/{rec_id}/attachments", response_model=list[AttachmentOut], responses=RESPONSES_READ)
def list_files(rec_id: DbId, session: SessionDep, user: CurrentUser) -> list[AttachmentOut]:
    """证明材料文件列表：申报企业、科技局和分配给该申报的评审专家可见。"""
    rec = service.get_for_view(session, user, rec_id)
    return [AttachmentOut.model_validate(a, from_attributes=True) for a in service.evidence_files(session, user, rec)]


@router.post(
    "/{rec_id}/attachments", response_model=AttachmentOut, status_code=201, responses=responses(401, 403, 404, 409, 413, 422)
)
def upload_file(
    rec_id: DbId, session: SessionDep, user: CurrentUser, runtime: RuntimeDep, file: Annotated[UploadFile, File()]
) -> AttachmentOut:
    """申报企业在申报未办结时上传证明材料（PDF、图片、Office 文档），按内容判断类型，大小和单位总量受限。"""
    limit = runtime.settings.limits.max_upload_bytes
    data = file.file.read(limit + 1)
    att = service.add_evidence_file(session, user, rec_id, filename=file.filename or "file", data=data, max_bytes=limit,
                                    quota_bytes=runtime.settings.limits.org_upload_quota_bytes)
    return AttachmentOut.model_validate(att, from_attributes=True)


@router.get("/{rec_id}/attachments/{attachment_id}", responses=RESPONSES_READ)
def download_file(rec_id: DbId, attachment_id: DbId, session: SessionDep, user: CurrentUser) -> Response:
    """下载证明材料：仅申报企业、科技局和分配给该申报的评审专家。"""
    return attachment_download(service.evidence_file_for_viewer(session, user, rec_id, attachment_id))


@router.get("/{rec_id}/experts", response_model=list[ExpertReviewOut], responses=responses(401, 403, 404))
def list_experts(rec_id: DbId, session: SessionDep, user: CurrentUser) -> list[ExpertReviewOut]:
    """专家评审：科技局可见全部专家的评分和意见，专家只见自己的。"""
    rec = service.get_for_view(session, user, rec_id)
    if not (user.is_bureau_staff or recognition_access.is_assigned_expert(session, user, rec)):
        raise Forbidden("只有科技局工作人员和评审专家可以查看专家评审")
    return [_review_out(row, name) for row, name in service.expert_reviews(session, user, rec)]


@router.post("/{rec_id}/experts", response_model=ExpertReviewOut, status_code=201, responses=RESPONSES_WRITE)
def assign_expert(rec_id: DbId, assign_in: ExpertAssignIn, session: SessionDep, user: CurrentUser) -> ExpertReviewOut:
    """科技局在初审通过后安排评审专家；与申报企业同单位或已申报利益冲突的专家须回避（409）。"""
    return _review_out(service.assign_expert(session, user, rec_id, assign_in.expert_id), "")


@router.put("/{rec_id}/score", response_model=ExpertReviewOut, responses=RESPONSES_WRITE)
def score(rec_id: DbId, score_in: ExpertScoreIn, session: SessionDep, user: CurrentUser) -> ExpertReviewOut:
    """分配的评审专家评分（0–100）并填写意见；专家评审完成前可修改。"""
    return _review_out(service.submit_score(session, user, rec_id, score_in), "")


@router.post("/{rec_id}/finish-review", response_model=RecognitionRead, responses=RESPONSES_WRITE)
def finish_review(rec_id: DbId, session: SessionDep, user: CurrentUser) -> RecognitionRead:
    """科技局确认专家评审完成（已初审 → 专家评审完成）：分配的专家都已评分，且不少于办公设置的最少人数。"""
    return _read(session, user, service.finish_review(session, user, rec_id))


@router.post("/{rec_id}/notice", response_model=RecognitionRead, responses=RESPONSES_WRITE)
def put_on_notice(rec_id: DbId, notice_in: NoticeIn, session: SessionDep, user: CurrentUser) -> RecognitionRead:
    """科技局开始公示（专家评审完成 → 公示中）：起始日不早于今天，公示期不少于办公设置的工作日数（中国标准时间）。"""
    return _read(session, user, service.put_on_notice(session, user, rec_id, notice_in))


@router.post("/{rec_id}/objections", response_model=ObjectionOut, status_code=201, responses=RESPONSES_WRITE)
def raise_objection(rec_id: DbId, objection_in: ObjectionIn, session: SessionDep, user: CurrentUser) -> ObjectionOut:
    """登录用户在公示期内对公示中的认定申报提出异议（须说明理由，记入审计日志）。"""
    return ObjectionOut.model_validate(service.raise_objection(session, user, rec_id, objection_in))


@router.get("/{rec_id}/objections", response_model=list[ObjectionOut], responses=responses(401, 403, 404))
def list_objections(rec_id: DbId, session: SessionDep, user: CurrentUser) -> list[ObjectionOut]:
    """科技局查看该认定申报的公示异议及答复。"""
    rec = service.get_for_view(session, user, rec_id)
    return [ObjectionOut.model_validate(o) for o in service.objections_of(session, user, rec)]
