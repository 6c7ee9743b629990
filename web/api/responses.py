"""Responses (揭榜) API: providers propose, enterprises shortlist, decline or select, experts score."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile, status
from fastapi.responses import Response as HttpResponse
from pydantic import BaseModel

from market import flows, views
from market.attachments import queries as attachments
from market.db import DbId
from market.deals.queries import present_detail
from market.deals.schemas import DealDetail
from market.responses import queries, service
from market.responses.schemas import (
    DeclineIn,
    NoteIn,
    ResponseCreate,
    ResponseOut,
    ResponseReviewView,
    ResponseScoresIn,
    ScoreOut,
)
from web.api.common import Paginated
from web.deps import CurrentUser, PageDep, RuntimeDep, SessionDep
from web.downloads import attachment_download
from web.errors import RESPONSES_READ, RESPONSES_WRITE, responses

router = APIRouter(tags=["揭榜 responses"])

StatusQuery = Annotated[str | None, Query(alias="status", pattern="^(submitted|shortlisted|selected|declined|withdrawn)$")]
ResponseView = ResponseReviewView | ResponseOut


class AttachmentOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int


class SelectionOut(BaseModel):
    response: ResponseReviewView
    deal: DealDetail


@router.post(
    "/needs/{need_id}/responses", response_model=ResponseOut, status_code=status.HTTP_201_CREATED, responses=RESPONSES_WRITE
)
def submit_response(need_id: DbId, response_in: ResponseCreate, session: SessionDep, user: CurrentUser) -> ResponseOut:
    """揭榜：已认证的高校、科研院所、服务商（可联合揭榜）对可查看详情的在榜需求提交方案；每单位每项需求限一次。"""
    response = flows.submit_response(session, user, need_id, response_in)
    return views.response_view(session, user, response)


@router.get("/needs/{need_id}/responses", response_model=Paginated[ResponseReviewView], responses=responses(401, 404, 409, 422))
def list_need_responses(
    need_id: DbId, session: SessionDep, user: CurrentUser, page: PageDep, status_: StatusQuery = None
) -> Paginated[ResponseOut]:
    """某需求收到的揭榜方案：仅发榜企业、科技局和该需求的评审专家可见。"""
    need = service.need_for_reviewer(session, user, need_id)
    rows, total = queries.list_for_need(session, need, status=status_, offset=page.offset, limit=page.per_page)
    return Paginated(
        items=views.response_list(session, user, rows, need, with_actions=True), total=total, page=page.page, per_page=page.per_page
    )


@router.get("/responses/mine", response_model=Paginated[ResponseOut], responses=responses(401, 422))
def my_responses(session: SessionDep, user: CurrentUser, page: PageDep, status_: StatusQuery = None) -> Paginated[ResponseOut]:
    """本单位的揭榜方案（含作为联合揭榜合作单位的方案），最新在前。"""
    rows, total = queries.list_mine(session, user, status=status_, offset=page.offset, limit=page.per_page)
    return Paginated(items=views.response_list(session, user, rows), total=total, page=page.page, per_page=page.per_page)


@router.get("/responses/{response_id}", response_model=ResponseView, responses=RESPONSES_READ)
def get_response(response_id: DbId, session: SessionDep, user: CurrentUser) -> ResponseOut:
    """揭榜方案详情：揭榜单位、发榜企业、评审专家和科技局可见，其他人视为不存在。"""
    response, need = service.response_for_viewer(session, user, response_id)
    return views.response_view(session, user, response, need)


@router.post("/responses/{response_id}/shortlist", response_model=ResponseReviewView, responses=RESPONSES_WRITE)
def shortlist(response_id: DbId, session: SessionDep, user: CurrentUser, body: NoteIn | None = None) -> ResponseOut:
    """发榜企业将方案列入入围名单，揭榜方收到通知。"""
    response = service.shortlist(session, user, response_id, body.note if body else "")
    return views.response_view(session, user, response)


@router.post("/responses/{response_id}/decline", response_model=ResponseReviewView, responses=RESPONSES_WRITE)
def decline(response_id: DbId, decline_in: DeclineIn, session: SessionDep, user: CurrentUser) -> ResponseOut:
    """发榜企业不选该方案，须给出结构化原因和说明，揭榜方收到通知。"""
    response = service.decline(session, user, response_id, decline_in.reason_code, decline_in.reason_text)
    return views.response_view(session, user, response)


@router.post("/responses/{response_id}/select", response_model=SelectionOut, responses=RESPONSES_WRITE)
def select(response_id: DbId, session: SessionDep, user: CurrentUser, body: NoteIn | None = None) -> SelectionOut:
    """发榜企业选定揭榜方：开启对接项目，需求进入「已选定揭榜方」。"""
    response, deal = flows.select_response(session, user, response_id, body.note if body else "")
    view = views.response_view(session, user, response)
    assert isinstance(view, ResponseReviewView)
    return SelectionOut(response=view, deal=present_detail(session, deal, user))


@router.post("/responses/{response_id}/reconsider", response_model=ResponseReviewView, responses=RESPONSES_WRITE)
def reconsider(response_id: DbId, session: SessionDep, user: CurrentUser) -> ResponseOut:
    """选定的揭榜方未成交、需求重新开放后，发榜企业可将因「已选定其他揭榜方」未入选的方案重新列入入围。"""
    return views.response_view(session, user, service.reconsider(session, user, response_id))


@router.post("/responses/{response_id}/withdraw", response_model=ResponseOut, responses=RESPONSES_WRITE)
def withdraw(response_id: DbId, session: SessionDep, user: CurrentUser, body: NoteIn | None = None) -> ResponseOut:
    """揭榜单位在评选结束前撤回本单位的方案。"""
    response = service.withdraw(session, user, response_id, body.note if body else "")
    return views.response_view(session, user, response)


@router.put("/responses/{response_id}/scores", response_model=ScoreOut, responses=RESPONSES_WRITE)
def submit_scores(response_id: DbId, scores_in: ResponseScoresIn, session: SessionDep, user: CurrentUser) -> ScoreOut:
    """需求的评审专家按 产业带动作用 / 研究基础 / 技术指标 / 财务指标 为方案打分（0–100）。"""
    return ScoreOut.model_validate(service.submit_scores(session, user, response_id, scores_in))


@router.get("/responses/{response_id}/attachments", response_model=list[AttachmentOut], responses=RESPONSES_READ)
def list_attachments(response_id: DbId, session: SessionDep, user: CurrentUser) -> list[AttachmentOut]:
    response, _ = service.response_for_viewer(session, user, response_id)
    return [AttachmentOut.model_validate(a, from_attributes=True) for a in attachments.list_for(session, "response", response.id)]


@router.post(
    "/responses/{response_id}/attachments", response_model=AttachmentOut, status_code=201,
    responses=responses(401, 403, 404, 409, 413, 422),
)
def upload_attachment(
    response_id: DbId, session: SessionDep, user: CurrentUser, runtime: RuntimeDep, file: Annotated[UploadFile, File()]
) -> AttachmentOut:
    """上传方案附件：限 PDF、图片、Office 文档，按内容判断类型，大小受限。"""
    limit = runtime.settings.limits.max_upload_bytes
    data = file.file.read(limit + 1)
    att = service.add_attachment(session, user, response_id, filename=file.filename or "file", data=data, max_bytes=limit,
        quota_bytes=runtime.settings.limits.org_upload_quota_bytes)
    return AttachmentOut.model_validate(att, from_attributes=True)


@router.get("/responses/{response_id}/attachments/{attachment_id}", responses=RESPONSES_READ)
def download_attachment(response_id: DbId, attachment_id: DbId, session: SessionDep, user: CurrentUser) -> HttpResponse:
    return attachment_download(service.attachment_for_viewer(session, user, response_id, attachment_id))
