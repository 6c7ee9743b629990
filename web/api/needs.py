"""Needs (发榜) API: post, edit, review, disclose, discuss, score."""

from __future__ import annotations

from typing import Annotated, NoReturn

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel

from market import flows, views
from market.db import DB_INT_MAX, DbId
from market.errors import NotFound
from market.needs import queries, service
from market.needs.access import can_view_details
from market.needs.models import Need
from market.needs.queries import NeedFilter
from market.needs.schemas import (
    CommentIn,
    CommentOut,
    ExpertAssignIn,
    ExpertAssignmentOut,
    InviteIn,
    NearDuplicateOut,
    NeedCreate,
    NeedDetail,
    NeedOwnerView,
    NeedPublic,
    NeedUpdate,
    OptionalReasonIn,
    ReasonIn,
    ScoresIn,
)
from web.api.common import Paginated
from web.deps import BureauUser, CurrentUser, OptionalUser, PageDep, RuntimeDep, SessionDep
from web.downloads import attachment_download
from web.errors import RESPONSES_READ, RESPONSES_WRITE, responses
from web.hints import duplicate_hints
from web.ratelimit import limit_expensive
from web.runtime import Runtime

router = APIRouter(prefix="/needs", tags=["需求 needs"])


class NeedSaved(BaseModel):
    need: NeedOwnerView
    near_duplicates: list[NearDuplicateOut]


class AttachmentOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int


def _saved(runtime: Runtime, session: SessionDep, user: CurrentUser, need: Need) -> NeedSaved:
    view = views.need_view(session, user, need)
    assert isinstance(view, NeedOwnerView)
    # Committed before the hint embeds and asks the index (web.hints).
    dups = duplicate_hints(runtime, session, user, need.title, need.summary, need.problem, exclude_id=need.id)
    return NeedSaved(need=view, near_duplicates=dups)


@router.get("", response_model=Paginated[NeedPublic], responses=responses(422))
def list_needs(
    session: SessionDep,
    user: OptionalUser,
    page: PageDep,
    q: Annotated[str | None, Query(max_length=100, description="标题或摘要包含")] = None,
    status_: Annotated[str | None, Query(alias="status", max_length=20)] = None,
    industry: Annotated[str | None, Query(max_length=40)] = None,
    county: Annotated[str | None, Query(max_length=20)] = None,
    track: Annotated[str | None, Query(pattern="^(digital|green|both)$")] = None,
    batch_id: Annotated[int | None, Query(ge=1, le=DB_INT_MAX)] = None,
    mine: Annotated[bool, Query(description="仅本单位的需求")] = False,
    order: Annotated[str, Query(pattern="^(newest|updated|deadline|budget)$")] = "newest",
    after: Annotated[
        str | None, Query(max_length=40, description="继续翻页：上一页（同一排序）返回的 next_after（深页请用它，不用 page）")
    ] = None,
) -> Paginated[NeedPublic]:
    """需求列表：未登录只见已发榜需求；企业可加 mine=true 查看本单位全部需求；科技局可见全部。
    按页码至多翻到第 MAX_OFFSET 条；更深处用 after（各排序均可，每页代价与第一页相同）。"""
    f = NeedFilter(q=q, status=status_, industry=industry, county=county, track=track, batch_id=batch_id, mine=mine)
    cursor = None
    if after is not None:
        if page.page != 1:
            _invalid("after", "不能与 page 同时使用")
        try:
            cursor = queries.Cursor.decode(after, order)
        except queries.BadCursor:
            _invalid("after", "不是本列表（当前排序）给出的翻页位置，请使用上一页返回的 next_after")
    elif page.offset + page.per_page > MAX_OFFSET:
        _invalid("page", f"按页码只能翻到前 {MAX_OFFSET} 条，更深处请用 after（上一页返回的 next_after）或缩小筛选范围")
    rows, total = queries.list_needs(
        session, user, f, offset=page.offset, limit=page.per_page, order=order, after=cursor
    )
    next_after = (
        queries.Cursor.of(rows[-1], order).encode() if len(rows) == page.per_page else None
    )
    return Paginated(
        items=views.need_list(session, user, rows), total=total, page=page.page, per_page=page.per_page,
        next_after=next_after,
    )


# Offset pages cost what they skip; beyond this the list is walked by keyset (``after``).
MAX_OFFSET = 2000


def _invalid(field: str, message: str) -> NoReturn:
    raise RequestValidationError([{"loc": ("query", field), "msg": message, "type": "value_error"}])


@router.post("", response_model=NeedSaved, status_code=status.HTTP_201_CREATED, responses=RESPONSES_WRITE)
def create_need(need_in: NeedCreate, session: SessionDep, runtime: RuntimeDep, user: CurrentUser) -> NeedSaved:
    """企业发布需求（草稿）。返回相似的已有需求，供企业确认是否重复。"""
    need = service.create_need(session, user, need_in)
    return _saved(runtime, session, user, need)


@router.post("/duplicates", response_model=list[NearDuplicateOut], responses=responses(401, 422, 429))
def check_duplicates(
    need_in: NeedCreate, request: Request, session: SessionDep, runtime: RuntimeDep, user: CurrentUser
) -> list[NearDuplicateOut]:
    """保存前查重：列出与输入相近的在榜或在审需求。"""
    if not user.org.is_verified:
        limit_expensive(request, runtime, "unverified_duplicates")
    return duplicate_hints(runtime, session, user, need_in.title, need_in.summary, need_in.problem)


@router.get("/review-queue", response_model=list[NeedOwnerView], responses=responses(401, 403))
def review_queue(
    session: SessionDep,
    user: BureauUser,
    page: Annotated[int, Query(ge=1, le=10000, description="页码，从 1 开始")] = 1,
    per_page: Annotated[int, Query(ge=1, le=100, description="每页条数")] = 100,
) -> list[NeedPublic]:
    """科技局待审核需求队列（按提交先后），每页至多 100 项。"""
    rows = queries.review_queue(session, offset=(page - 1) * per_page, limit=per_page)
    return views.need_list(session, user, rows)


@router.get("/{need_id}", response_model=NeedOwnerView | NeedDetail | NeedPublic, responses=RESPONSES_READ)
def get_need(need_id: DbId, session: SessionDep, user: OptionalUser) -> NeedPublic:
    """需求详情：按查看者权限返回公开摘要、完整内容或发榜方视图。"""
    need = service.need_for_viewer(session, user, need_id)
    return views.need_view(session, user, need)


@router.put("/{need_id}", response_model=NeedSaved, responses=RESPONSES_WRITE)
def update_need(
    need_id: DbId, need_in: NeedUpdate, session: SessionDep, runtime: RuntimeDep, user: CurrentUser
) -> NeedSaved:
    """修改需求。已发榜需求的修改提交科技局审核，审核通过前公开内容保持不变；联系人、联系电话和延后截止日期立即生效。"""
    outcome = service.update_need(session, user, need_id, need_in)
    return _saved(runtime, session, user, outcome.need)


@router.post("/{need_id}/submit", response_model=NeedOwnerView, responses=RESPONSES_WRITE)
def submit(need_id: DbId, session: SessionDep, user: CurrentUser) -> NeedPublic:
    return views.need_view(session, user, service.submit(session, user, need_id))


@router.post("/{need_id}/return", response_model=NeedOwnerView, responses=RESPONSES_WRITE)
def return_for_changes(need_id: DbId, reason_in: ReasonIn, session: SessionDep, user: CurrentUser) -> NeedPublic:
    """科技局退回修改，须给出结构化原因。"""
    need = service.return_for_changes(session, user, need_id, reason_in.reason_code, reason_in.reason_text)
    return views.need_view(session, user, need)


@router.post("/{need_id}/reject", response_model=NeedOwnerView, responses=RESPONSES_WRITE)
def reject(need_id: DbId, reason_in: ReasonIn, session: SessionDep, user: CurrentUser) -> NeedPublic:
    need = service.reject(session, user, need_id, reason_in.reason_code, reason_in.reason_text)
    return views.need_view(session, user, need)


@router.post("/{need_id}/approve", response_model=NeedOwnerView, responses=RESPONSES_WRITE)
def approve(need_id: DbId, session: SessionDep, user: CurrentUser, body: OptionalReasonIn | None = None) -> NeedPublic:
    """审核通过（所有已分配专家评分完成后）。"""
    need = service.approve(session, user, need_id, body.reason_text if body else "")
    return views.need_view(session, user, need)


@router.post("/{need_id}/withdraw", response_model=NeedOwnerView, responses=RESPONSES_WRITE)
def withdraw(need_id: DbId, session: SessionDep, user: CurrentUser, body: OptionalReasonIn | None = None) -> NeedPublic:
    need = flows.withdraw_need(session, user, need_id, body.reason_text if body else "")
    return views.need_view(session, user, need)


@router.post("/{need_id}/revision/approve", response_model=NeedOwnerView, responses=RESPONSES_WRITE)
def approve_revision(need_id: DbId, session: SessionDep, user: CurrentUser, body: OptionalReasonIn | None = None) -> NeedPublic:
    """科技局审核通过已发榜需求的修改：公开内容随之更新，已揭榜的单位收到通知。"""
    need, _ = flows.approve_revision(session, user, need_id, body.reason_text if body else "")
    return views.need_view(session, user, need)


@router.post("/{need_id}/revision/return", response_model=NeedOwnerView, responses=RESPONSES_WRITE)
def return_revision(need_id: DbId, reason_in: ReasonIn, session: SessionDep, user: CurrentUser) -> NeedPublic:
    """科技局退回已发榜需求的修改（公开内容保持原样），须给出原因。"""
    service.return_revision(session, user, need_id, reason_in.reason_code, reason_in.reason_text)
    return views.need_view(session, user, service.get_need(session, need_id))


@router.get("/{need_id}/comments", response_model=list[CommentOut], responses=RESPONSES_READ)
def list_comments(need_id: DbId, session: SessionDep, user: CurrentUser) -> list[CommentOut]:
    return [CommentOut.model_validate(c) for c in service.list_comments(session, user, need_id)]


@router.post("/{need_id}/comments", response_model=CommentOut, status_code=201, responses=RESPONSES_WRITE)
def add_comment(need_id: DbId, comment_in: CommentIn, session: SessionDep, user: CurrentUser) -> CommentOut:
    """审核意见与凝练建议（科技局服务团队可附带字段修改建议）。"""
    return CommentOut.model_validate(service.add_comment(session, user, need_id, comment_in))


@router.post("/{need_id}/comments/{comment_id}/accept", response_model=NeedOwnerView, responses=RESPONSES_WRITE)
def accept_suggestion(need_id: DbId, comment_id: DbId, session: SessionDep, user: CurrentUser) -> NeedPublic:
    """企业采纳凝练建议。"""
    return views.need_view(session, user, service.accept_suggestion(session, user, need_id, comment_id))


@router.get("/{need_id}/experts", response_model=list[ExpertAssignmentOut], responses=responses(401, 403, 404, 422))
def list_assignments(need_id: DbId, session: SessionDep, user: CurrentUser) -> list[ExpertAssignmentOut]:
    return [ExpertAssignmentOut.model_validate(a) for a in service.assignments_for(session, user, need_id)]


@router.post("/{need_id}/experts", response_model=ExpertAssignmentOut, status_code=201, responses=RESPONSES_WRITE)
def assign_expert(need_id: DbId, assign_in: ExpertAssignIn, session: SessionDep, user: CurrentUser) -> ExpertAssignmentOut:
    """分配评审专家（同单位专家自动回避）。"""
    return ExpertAssignmentOut.model_validate(service.assign_expert(session, user, need_id, assign_in.expert_id))


@router.put("/{need_id}/scores", response_model=ExpertAssignmentOut, responses=RESPONSES_WRITE)
def submit_scores(need_id: DbId, scores_in: ScoresIn, session: SessionDep, user: CurrentUser) -> ExpertAssignmentOut:
    """专家按 产业带动作用 / 研究基础 / 技术指标 / 财务指标 打分。"""
    return ExpertAssignmentOut.model_validate(service.submit_scores(session, user, need_id, scores_in))


@router.post("/{need_id}/accept-terms", status_code=204, responses=RESPONSES_WRITE)
def accept_terms(need_id: DbId, session: SessionDep, user: CurrentUser) -> Response:
    """揭榜方接受保密条款后可查看需求详情（记录并审计）。"""
    service.accept_terms(session, user, need_id)
    return Response(status_code=204)


@router.post("/{need_id}/invitations", status_code=204, responses=RESPONSES_WRITE)
def invite(need_id: DbId, invite_in: InviteIn, session: SessionDep, user: CurrentUser) -> Response:
    """发榜企业邀请指定揭榜方查看详情。"""
    service.invite(session, user, need_id, invite_in.org_id)
    return Response(status_code=204)


@router.get("/{need_id}/attachments", response_model=list[AttachmentOut], responses=RESPONSES_READ)
def list_attachments(need_id: DbId, session: SessionDep, user: CurrentUser) -> list[AttachmentOut]:
    need = service.need_for_viewer(session, user, need_id)
    if not can_view_details(session, user, need):  # the API says so; a page just shows no files
        raise NotFound("附件不存在或无权查看")
    return [AttachmentOut.model_validate(a, from_attributes=True) for a in queries.list_attachments(session, user, need)]


@router.post("/{need_id}/attachments", response_model=AttachmentOut, status_code=201, responses=responses(401, 403, 404, 413, 422))
def upload_attachment(
    need_id: DbId, session: SessionDep, user: CurrentUser, runtime: RuntimeDep, file: Annotated[UploadFile, File()]
) -> AttachmentOut:
    """上传附件：限 PDF、图片、Office 文档，按内容判断类型，大小受限。"""
    limit = runtime.settings.limits.max_upload_bytes
    data = file.file.read(limit + 1)
    att = service.add_attachment(session, user, need_id, filename=file.filename or "file", data=data, max_bytes=limit,
        quota_bytes=runtime.settings.limits.org_upload_quota_bytes)
    return AttachmentOut.model_validate(att, from_attributes=True)


@router.get("/{need_id}/attachments/{attachment_id}", responses=RESPONSES_READ)
def download_attachment(need_id: DbId, attachment_id: DbId, session: SessionDep, user: CurrentUser) -> Response:
    need = service.need_for_viewer(session, user, need_id)
    return attachment_download(queries.attachment_for_viewer(session, user, need, attachment_id))


__all__ = ["router", "Depends"]
