"""Deals: 对接 → 意向 → 签约 → 实施 → 验收 → 转化 (or failed)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import Base, utcnow


class Deal(Base):
    __tablename__ = "deals"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"), index=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id"), unique=True)
    enterprise_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    provider_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    stage: Mapped[str] = mapped_column(String(20), default="matched", index=True)
    contract_amount_wan: Mapped[float | None]
    # The progress figures count signed deals per day in SQL (market.targets.metrics).
    signed_on: Mapped[dt.date | None] = mapped_column(index=True)
    accepted_on: Mapped[dt.date | None]
    converted_on: Mapped[dt.date | None]
    outcome: Mapped[str] = mapped_column(Text, default="")
    failure_reason: Mapped[str] = mapped_column(Text, default="")
    demo_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    milestones: Mapped[list[DealMilestone]] = relationship(
        lazy="raise", order_by="DealMilestone.id", cascade="all, delete-orphan"
    )
    stage_changes: Mapped[list[DealStageChange]] = relationship(
        lazy="raise", order_by="DealStageChange.id", cascade="all, delete-orphan"
    )


class DealMilestone(Base):
    __tablename__ = "deal_milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[dt.date | None]
    done_on: Mapped[dt.date | None]
    note: Mapped[str] = mapped_column(Text, default="")


class DealStageChange(Base):
    __tablename__ = "deal_stage_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    from_stage: Mapped[str] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DealDocument(Base):
    """A document of a deal milestone (合同, 验收报告, other): the file is an attachment of the deal
    (``owner_type="deal"``, so the upload limits, the quota, the safe download and the audit entry
    are the attachments'), this row says which milestone it belongs to and what it is."""

    __tablename__ = "deal_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("deal_milestones.id", ondelete="CASCADE"), index=True)
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachments.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
