"""A message in the thread of a response. ``read_at`` is the read receipt: when the other side
first opened the thread after the message arrived."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from market.db import Base, utcnow


class ResponseMessage(Base):
    __tablename__ = "response_messages"
    __table_args__ = (Index("ix_response_messages_thread", "response_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    sender_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    # "enterprise" (the need's owner) or "provider" (the responding organisation).
    side: Mapped[str] = mapped_column(String(10))
    body: Mapped[str] = mapped_column(Text)
    read_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
