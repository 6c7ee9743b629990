"""对接沟通 on a response's page: post a message (with an optional file). The thread itself is
part of the response's page (web/pages/responses.py); the rules are market/messages'."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from market.db import DbId
from market.messages import service
from market.messages.schemas import MessageIn
from web.deps import RuntimeDep, SessionDep
from web.downloads import attachment_download
from web.pages.common import Form, SignedIn, store_upload
from web.pages.render import field_errors, redirect

router = APIRouter(tags=["页面 pages"], include_in_schema=False)


@router.post("/responses/{response_id}/messages")
def post_message(response_id: DbId, form: Form, session: SessionDep, runtime: RuntimeDep, user: SignedIn) -> Response:
    back = f"/provider/responses/{response_id}#messages"
    body = form.get("body")
    try:
        message_in = MessageIn(body=body if isinstance(body, str) else "")
    except ValidationError as exc:
        return redirect(back, field_errors(exc).get("body", "请填写消息内容"), "error")
    message = service.post(session, user, response_id, message_in)
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        limit = runtime.settings.limits.max_upload_bytes
        att, errors, _ = store_upload(
            form, limit,
            lambda name, data: service.add_attachment(session, user, message.id, filename=name, data=data, max_bytes=limit,
            quota_bytes=runtime.settings.limits.org_upload_quota_bytes),
        )
        if att is None:
            return redirect(back, f"消息已发送，附件未上传：{errors.get('file', '')}", "error")
    return redirect(back, "消息已发送，对方会收到通知")


@router.get("/messages/{message_id}/attachments/{attachment_id}")
def message_attachment(message_id: DbId, attachment_id: DbId, session: SessionDep, user: SignedIn) -> Response:
    """Downloads follow the thread's rule: anyone else gets the 404 page."""
    return attachment_download(service.attachment_for_viewer(session, user, message_id, attachment_id))
