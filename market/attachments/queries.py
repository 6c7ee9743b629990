"""Reads of attachments. Callers check that the viewer may see the owner record first."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from market.attachments.models import Attachment
from market.errors import NotFound


def list_for(session: Session, owner_type: str, owner_id: int) -> Sequence[Attachment]:
    """An owner's attachments for a listing, oldest first. The stored bytes are deferred: a list
    shows names and sizes, and only a download reads a file. Callers check the viewer may see the
    owner."""
    return session.scalars(
        select(Attachment)
        .options(defer(Attachment.data))
        .where(Attachment.owner_type == owner_type, Attachment.owner_id == owner_id)
        .order_by(Attachment.id)
    ).all()


def get(session: Session, attachment_id: int) -> Attachment:
    att = session.get(Attachment, attachment_id)
    if att is None:
        raise NotFound("附件不存在")
    return att
