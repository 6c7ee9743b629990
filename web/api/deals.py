"""Deals API: 对接 → 意向 → 签约 → 实施 → 验收 → 转化 (or 未成交), with milestones."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile, status
from fastapi.responses import Response

from market import flows
from market.db import DbId
from market.deals import queries, service
from market.deals.queries import DealFilter
from market.deals.schemas import (
    DealAdvance,
    DealDetail,
    DealOut,
    DocumentOut,
    MilestoneDoneIn,
    MilestoneIn,
    MilestoneOut,
)
from web.api.common import Paginated
from web.deps import CurrentUser, PageDep, RuntimeDep, SessionDep
from web.downloads import attachment_download
from web.errors import RESPONSES_READ, RESPONSES_WRITE, responses

router = APIRouter(prefix="/deals", tags=["对接 deals"])

StageQuery = Annotated[
    str | None, Query(alias="stage", pattern="^(matched|intent|signed|in_progress|accepted|converted|failed)$")
]


@router.get("", response_model=Paginated[DealOut], responses=responses(401, 422))
def list_deals(
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    stage: StageQuery = None,
    county: Annotated[str | None, Query(max_length=20)] = None,
    industry: Annotated[str | None, Query(max_length=40)] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="对接年度（按对接开始时间）")] = None,
) -> Paginated[DealOut]:
    """对接项目列表：企业和揭榜方只见本单位参与的项目，科技局可见全部并按阶段、县（市、区）、行业、年度筛选。"""
    f = DealFilter(stage=stage, county=county, industry=industry, year=year)
    rows, total = queries.list_deals(session, user, f, offset=page.offset, limit=page.per_page)
    return Paginated(items=queries.present_many(session, rows), total=total, page=page.page, per_page=page.per_page)


@router.get("/{deal_id}", response_model=DealDetail, responses=RESPONSES_READ)
def get_deal(deal_id: DbId, session: SessionDep, user: CurrentUser) -> DealDetail:
    """对接项目详情（含里程碑与阶段变更记录）：仅双方和科技局可见。"""
    return queries.present_detail(session, service.deal_for_viewer(session, user, deal_id), user)


@router.post("/{deal_id}/advance", response_model=DealDetail, responses=RESPONSES_WRITE)
def advance(deal_id: DbId, advance_in: DealAdvance, session: SessionDep, user: CurrentUser) -> DealDetail:
    """推进对接阶段。签约须填合同金额与签约日期；验收须填验收日期与结论；转化须填转化日期；未成交须填原因。"""
    return queries.present_detail(session, flows.advance_deal(session, user, deal_id, advance_in), user)


@router.post(
    "/{deal_id}/milestones", response_model=MilestoneOut, status_code=status.HTTP_201_CREATED, responses=RESPONSES_WRITE
)
def add_milestone(deal_id: DbId, milestone_in: MilestoneIn, session: SessionDep, user: CurrentUser) -> MilestoneOut:
    """添加实施里程碑（名称、计划完成日期）：仅对接双方，科技局只能查看。"""
    return MilestoneOut.model_validate(service.add_milestone(session, user, deal_id, milestone_in))


@router.post("/{deal_id}/milestones/{milestone_id}/complete", response_model=MilestoneOut, responses=RESPONSES_WRITE)
def complete_milestone(
    deal_id: DbId, milestone_id: DbId, session: SessionDep, user: CurrentUser, body: MilestoneDoneIn | None = None
) -> MilestoneOut:
    """标记里程碑完成（缺省为今天，不能晚于今天）：仅对接双方。"""
    done_in = body or MilestoneDoneIn(done_on=None, note=None)
    return MilestoneOut.model_validate(service.complete_milestone(session, user, deal_id, milestone_id, done_in))


@router.get("/{deal_id}/milestones", response_model=list[MilestoneOut], responses=RESPONSES_READ)
def list_milestones(deal_id: DbId, session: SessionDep, user: CurrentUser) -> list[MilestoneOut]:
    """里程碑及其文件（合同、验收报告等）：对接双方和科技局可见。"""
    return queries.milestones_of(session, service.deal_for_viewer(session, user, deal_id))


@router.post(
    "/{deal_id}/milestones/{milestone_id}/documents", response_model=DocumentOut, status_code=status.HTTP_201_CREATED,
    responses=responses(401, 403, 404, 409, 413, 422),
)  # fmt: skip
def upload_document(
    deal_id: DbId,
    milestone_id: DbId,
    session: SessionDep,
    user: CurrentUser,
    runtime: RuntimeDep,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form(max_length=20, description="文件类型：contract 合同 / acceptance 验收报告 / other 其他")],
) -> DocumentOut:
    """为里程碑上传文件（合同、验收报告或其他）：仅对接双方；类型按内容判断，大小与单位空间受限。"""
    limit = runtime.settings.limits.max_upload_bytes
    data = file.file.read(limit + 1)
    doc = service.attach_document(
        session, user, deal_id, milestone_id, kind=kind, filename=file.filename or "file", data=data, max_bytes=limit,
        quota_bytes=runtime.settings.limits.org_upload_quota_bytes,
    )
    att = service.document_for_viewer(session, user, deal_id, doc.id)
    return queries.document_out(doc, att.filename, att.size)


@router.get("/{deal_id}/documents/{document_id}", response_class=Response, responses=RESPONSES_READ)
def download_document(deal_id: DbId, document_id: DbId, session: SessionDep, user: CurrentUser) -> Response:
    """下载里程碑文件：对接双方和科技局。"""
    return attachment_download(service.document_for_viewer(session, user, deal_id, document_id))
