"""Writing and reading the thread of a response (rules in market/messages/access.py)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session, defer

from market.attachments import queries as attachment_queries
from market.attachments import service as attachments
from market.attachments.models import Attachment
from market.audit import service as audit
from market.db import utcnow
from market.errors import Forbidden
from market.messages import access
from market.messages.exceptions import MessageNotFound, ThreadNotFound
from market.messages.models import ResponseMessage
from market.messages.schemas import SIDE_LABELS, MessageAttachmentOut, MessageIn, MessageOut, ThreadOut
from market.needs.models import Need
from market.notifications import service as notify
from market.orgs.models import User
from market.responses.models import Response

OWNER_TYPE = "message"
# Bounded cost: a thread shows its latest MAX_LISTED messages.
MAX_LISTED = 500


def thread_for(session: Session, user: User | None, response_id: int) -> tuple[Response, Need]:
    response = session.get(Response, response_id)
    need = session.get(Need, response.need_id) if response is not None else None
    if response is None or need is None or not access.can_read(user, response, need):
        raise ThreadNotFound()
    return response, need


def post(session: Session, user: User, response_id: int, message_in: MessageIn) -> ResponseMessage:
    """A party writes; the other side is told (in the app and by mail)."""
    response, need = thread_for(session, user, response_id)
    access.post(user, response, need).require()
    side = access.side_of(user, response, need)
    assert side is not None
    message = ResponseMessage(
        response_id=response.id, sender_id=user.id, sender_org_id=user.org_id, side=side, body=message_in.body
    )
    session.add(message)
    session.flush()
    audit.record(session, user.id, "message.posted", "response", response.id, {"message_id": message.id})
    other_org = response.org_id if side == "enterprise" else need.org_id
    notify.notify_org(
        session, other_org, "message.new", f"对接沟通有新消息：{need.title}",
        f"{SIDE_LABELS[side]}：{message.body[:200]}", f"/responses/{response.id}#messages",
    )
    return message


def add_attachment(
    session: Session, user: User, message_id: int, *, filename: str, data: bytes, max_bytes: int,
    quota_bytes: int | None = None,
) -> Attachment:
    """Only the sender attaches files to their own message."""
    message = session.get(ResponseMessage, message_id)
    if message is None:
        raise MessageNotFound()
    response, need = thread_for(session, user, message.response_id)
    if message.sender_id != user.id:
        raise Forbidden("只能为本人发出的消息添加附件")
    access.post(user, response, need).require()
    return attachments.store(
        session, owner_type=OWNER_TYPE, owner_id=message.id, filename=filename, data=data, max_bytes=max_bytes,
        uploaded_by=user.id, quota_bytes=quota_bytes
    )


def attachment_for_viewer(session: Session, user: User, message_id: int, attachment_id: int) -> Attachment:
    message = session.get(ResponseMessage, message_id)
    if message is None:
        raise MessageNotFound()
    thread_for(session, user, message.response_id)
    att = attachment_queries.get(session, attachment_id)
    if att.owner_type != OWNER_TYPE or att.owner_id != message.id:
        raise MessageNotFound("附件不存在")
    return att


def _attachments_of(session: Session, ids: Sequence[int]) -> dict[int, list[MessageAttachmentOut]]:
    if not ids:
        return {}
    rows = session.scalars(
        select(Attachment).options(defer(Attachment.data))
        .where(Attachment.owner_type == OWNER_TYPE, Attachment.owner_id.in_(list(ids))).order_by(Attachment.id)
    ).all()
    found: dict[int, list[MessageAttachmentOut]] = {}
    for att in rows:
        found.setdefault(att.owner_id, []).append(MessageAttachmentOut.model_validate(att))
    return found


def read_thread(session: Session, user: User, response_id: int) -> ThreadOut:
    """The thread, oldest first. A party opening it marks the other side's messages read (the read
    receipt); the bureau reading for the record marks nothing."""
    response, need = thread_for(session, user, response_id)
    side = access.side_of(user, response, need)
    if side is not None:
        session.execute(
            update(ResponseMessage)
            .where(ResponseMessage.response_id == response.id, ResponseMessage.side != side, ResponseMessage.read_at.is_(None))
            .values(read_at=utcnow())
            .execution_options(synchronize_session="fetch")
        )
    rows = list(
        session.scalars(
            select(ResponseMessage).where(ResponseMessage.response_id == response.id)
            .order_by(ResponseMessage.created_at.desc(), ResponseMessage.id.desc()).limit(MAX_LISTED)
        )
    )
    rows.reverse()
    files = _attachments_of(session, [m.id for m in rows])
    items = [
        MessageOut(
            id=m.id, side=m.side, side_label=SIDE_LABELS[m.side], mine=side == m.side, body=m.body,
            created_at=m.created_at, read_at=m.read_at, attachments=files.get(m.id, []),
        )
        for m in rows
    ]
    return ThreadOut(
        response_id=response.id, need_id=need.id, need_title=need.title, items=items,
        actions=access.thread_actions(user, response, need),
    )


def thread_if_readable(session: Session, user: User, response_id: int) -> ThreadOut | None:
    """The thread for a page that shows a response to more people than the thread (experts, team
    partners): None for them."""
    try:
        return read_thread(session, user, response_id)
    except ThreadNotFound:
        return None
