"""对接沟通 API: the private thread between the enterprise and a responding provider."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile, status
from fastapi.responses import Response as HttpResponse

from market.db import DbId
from market.messages import service
from market.messages.schemas import MessageAttachmentOut, MessageIn, ThreadOut
from web.deps import CurrentUser, RuntimeDep, SessionDep
from web.downloads import attachment_download
from web.errors import RESPONSES_READ, RESPONSES_WRITE, responses

router = APIRouter(tags=["对接沟通 messages"])


@router.get("/responses/{response_id}/messages", response_model=ThreadOut, responses=RESPONSES_READ)
def read_thread(response_id: DbId, session: SessionDep, user: CurrentUser) -> ThreadOut:
    """方案的沟通记录：仅发榜企业、揭榜单位和科技局可见；一方打开即标记对方消息已读。"""
    return service.read_thread(session, user, response_id)


@router.post(
    "/responses/{response_id}/messages", response_model=ThreadOut, status_code=status.HTTP_201_CREATED,
    responses=RESPONSES_WRITE,
)
def post_message(response_id: DbId, message_in: MessageIn, session: SessionDep, user: CurrentUser) -> ThreadOut:
    """发榜企业或揭榜单位发送消息；对方会收到通知和邮件。"""
    service.post(session, user, response_id, message_in)
    return service.read_thread(session, user, response_id)


@router.post(
    "/messages/{message_id}/attachments", response_model=MessageAttachmentOut, status_code=status.HTTP_201_CREATED,
    responses=responses(401, 403, 404, 409, 413, 422),
)
def upload_attachment(
    message_id: DbId, session: SessionDep, user: CurrentUser, runtime: RuntimeDep, file: Annotated[UploadFile, File()]
) -> MessageAttachmentOut:
    """为本人发出的消息添加附件：限 PDF、图片、Office 文档，按内容判断类型，大小受限。"""
    limit = runtime.settings.limits.max_upload_bytes
    data = file.file.read(limit + 1)
    att = service.add_attachment(session, user, message_id, filename=file.filename or "file", data=data, max_bytes=limit,
        quota_bytes=runtime.settings.limits.org_upload_quota_bytes)
    return MessageAttachmentOut.model_validate(att)


@router.get("/messages/{message_id}/attachments/{attachment_id}", responses=RESPONSES_READ)
def download_attachment(message_id: DbId, attachment_id: DbId, session: SessionDep, user: CurrentUser) -> HttpResponse:
    return attachment_download(service.attachment_for_viewer(session, user, message_id, attachment_id))
