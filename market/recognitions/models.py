"""Recognitions (首台（套）装备、首批次新材料、首版次软件 and the platform awards of the same policy).

One row per application: an organisation's product (or centre, or project) in a category at a
level for a year. The award is computed from the policy table when the bureau recognises it and
stored with the policy version and every line's arithmetic, so a later policy change never
rewrites what was decided.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import Base, utcnow
from market.orgs.models import Organisation


class Recognition(Base):
    __tablename__ = "recognitions"
    __table_args__ = (
        Index("ix_recognitions_org_product", "org_id", "product_name"),
        Index("ix_recognitions_status_year", "status", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    product_name: Mapped[str] = mapped_column(String(200))
    # The product's model / code (型号或产品编码): with the organisation, its identity for 就高不重复,
    # so renaming a product does not make it a new one.
    product_code: Mapped[str | None] = mapped_column(String(100))
    # equipment / material / software / innovation_center / tech_center / innovation_project
    category: Mapped[str] = mapped_column(String(30), index=True)
    # international / national / provincial / municipal (and grades a category's table adds)
    level: Mapped[str] = mapped_column(String(30))
    year: Mapped[int] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(20), default="applied")
    # Insurance (保费补贴): both or neither, in 万元.
    insured_value_wan: Mapped[float | None]
    premium_wan: Mapped[float | None]
    # Set when recognised: the total, the lines with their rule and arithmetic, the policy version.
    award_wan: Mapped[float | None]
    award_lines: Mapped[list[Any]] = mapped_column(default=list)
    policy_version: Mapped[str | None] = mapped_column(String(40))
    # Where it came from in the marketplace.
    need_id: Mapped[int | None] = mapped_column(ForeignKey("needs.id"), index=True)
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id"), index=True)
    # [{"title": ..., "attachment_id": int | None, "url": str | None}]
    evidence: Mapped[list[Any]] = mapped_column(default=list)
    description: Mapped[str] = mapped_column(Text, default="")
    review_notes: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")  # why rejected
    applied_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[dt.datetime | None]
    # 公示: the notice window (China Standard Time dates, both included) once on notice.
    notice_start: Mapped[dt.date | None]
    notice_end: Mapped[dt.date | None]
    recognised_at: Mapped[dt.datetime | None]
    decided_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    org: Mapped[Organisation] = relationship(lazy="raise")
    transitions: Mapped[list[RecognitionTransition]] = relationship(
        lazy="raise", order_by="RecognitionTransition.id", cascade="all, delete-orphan"
    )


class RecognitionExpertReview(Base):
    """专家评审: an expert the bureau assigned to a recognition, with their score and comment once
    submitted."""

    __tablename__ = "recognition_expert_reviews"
    __table_args__ = (UniqueConstraint("recognition_id", "expert_id", name="uq_recognition_expert_reviews_rec_expert"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recognition_id: Mapped[int] = mapped_column(ForeignKey("recognitions.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    score: Mapped[int | None]  # 0..100
    comment: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[dt.datetime | None]
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RecognitionObjection(Base):
    """An objection raised while a recognition is on public notice (公示), and the bureau's
    written answer."""

    __tablename__ = "recognition_objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    recognition_id: Mapped[int] = mapped_column(ForeignKey("recognitions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    resolved: Mapped[bool] = mapped_column(default=False)
    resolution: Mapped[str] = mapped_column(Text, default="")
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[dt.datetime | None]
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RecognitionPayout(Base):
    """奖补兑现: one payment of a recognised item's award (amount, date, payment batch)."""

    __tablename__ = "recognition_payouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    recognition_id: Mapped[int] = mapped_column(ForeignKey("recognitions.id", ondelete="CASCADE"), index=True)
    amount_wan: Mapped[float]
    paid_on: Mapped[dt.date]
    payment_batch: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RecognitionTransition(Base):
    """Who moved a recognition from one state to another, when and why."""

    __tablename__ = "recognition_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    recognition_id: Mapped[int] = mapped_column(ForeignKey("recognitions.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PolicyVersion(Base):
    """A policy version the bureau publishes as data (no code change): the table in the same JSON
    form as ``policies/*.json``, drafted by one staff member and reviewed and published by
    another. Published versions price recognitions alongside the shipped tables; a version is
    never edited once published (a correction is a new version)."""

    __tablename__ = "policy_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    effective_from: Mapped[dt.date]
    valid_until: Mapped[dt.date | None]
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft / published
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_note: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
