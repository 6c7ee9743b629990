"""A question on a need and its answer. The asker's organisation is kept for the record and for
notifications, and never shown (market/questions/schemas.py has no field for it)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from market.db import Base, utcnow


class NeedQuestion(Base):
    __tablename__ = "need_questions"
    __table_args__ = (Index("ix_need_questions_need", "need_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"))
    asker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    asker_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    body: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Who answered, in words for everyone ("发榜企业" / "科技局"), never a name.
    answered_as: Mapped[str | None] = mapped_column(String(10))
    answered_at: Mapped[dt.datetime | None]
    hidden_at: Mapped[dt.datetime | None]
    hidden_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    hidden_reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
