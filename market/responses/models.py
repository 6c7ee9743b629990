"""Responses (揭榜): proposals by providers, alone or as a team."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import Base, utcnow
from market.orgs.models import Organisation


class Response(Base):
    __tablename__ = "responses"
    __table_args__ = (UniqueConstraint("need_id", "org_id", name="uq_responses_need_org"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    partner_org_ids: Mapped[list[Any]] = mapped_column(default=list)  # team members (联合揭榜)
    approach: Mapped[str] = mapped_column(Text)
    team: Mapped[str] = mapped_column(Text, default="")
    track_record: Mapped[str] = mapped_column(Text, default="")
    timeline: Mapped[str] = mapped_column(Text, default="")
    price_wan: Mapped[float | None]
    status: Mapped[str] = mapped_column(String(20), default="submitted", index=True)
    reason_code: Mapped[str | None] = mapped_column(String(30))
    reason_text: Mapped[str] = mapped_column(Text, default="")
    demo_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    org: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)


class ResponseScore(Base):
    """An expert's score of a response against the need's criteria."""

    __tablename__ = "response_scores"
    __table_args__ = (UniqueConstraint("response_id", "expert_id", name="uq_response_scores_response_expert"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    scores: Mapped[dict[str, Any] | None]
    comment: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[dt.datetime | None]
