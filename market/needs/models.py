"""Needs (发榜) and what hangs off them: transitions, disclosure grants, attachments, review work."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import Base, utcnow
from market.orgs.models import Organisation


class Need(Base):
    __tablename__ = "needs"
    __table_args__ = (
        # The "newest" order's keyset ranges (market.needs.queries._keyset_page) scan it backwards,
        # one status at a time; it also serves every filter on status (and status, published_at).
        Index("ix_needs_status_published_id", "status", "published_at", "id"),
        # The same ranges for the other orders of the list (updated, deadline, budget).
        Index("ix_needs_status_updated_id", "status", "updated_at", "id"),
        Index("ix_needs_status_deadline_id", "status", "deadline", "id"),
        Index("ix_needs_status_budget_id", "status", "budget_max_wan", "id"),
        # The progress figures: needs published in a period, grouped by day, county and industry
        # (market.targets.metrics) from the index alone.
        Index("ix_needs_published_county_industry", "published_at", "county", "industry"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Public summary: everyone may read these.
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    industry: Mapped[str] = mapped_column(String(40), index=True)
    track: Mapped[str] = mapped_column(String(10))  # digital / green / both
    county: Mapped[str] = mapped_column(String(20), index=True)
    budget_min_wan: Mapped[float | None]
    budget_max_wan: Mapped[float | None]
    deadline: Mapped[dt.date | None]
    cooperation_mode: Mapped[str] = mapped_column(String(20))
    anonymous: Mapped[bool] = mapped_column(default=False)
    # Details: only for viewers allowed by the disclosure rule.
    description: Mapped[str] = mapped_column(Text, default="")
    problem: Mapped[str] = mapped_column(Text, default="")
    indicators: Mapped[str] = mapped_column(Text, default="")
    tried: Mapped[str] = mapped_column(Text, default="")
    current_state: Mapped[str] = mapped_column(Text, default="")
    expected_outcome: Mapped[str] = mapped_column(Text, default="")
    contact_name: Mapped[str] = mapped_column(String(50), default="")
    contact_phone: Mapped[str] = mapped_column(String(30), default="")
    disclosure: Mapped[str] = mapped_column(String(10), default="public")  # public / nda / invite
    confidentiality_terms: Mapped[str] = mapped_column(Text, default="")
    # Lifecycle
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"), index=True)
    published_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(default=1)
    demo_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    org: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)
    transitions: Mapped[list[NeedTransition]] = relationship(
        lazy="raise", order_by="NeedTransition.id", cascade="all, delete-orphan"
    )


class NeedTransition(Base):
    """Who moved a need from one state to another, when and why."""

    __tablename__ = "need_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason_code: Mapped[str | None] = mapped_column(String(30))
    reason_text: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class NeedAccessGrant(Base):
    """A provider organisation may read a need's details: it accepted the terms, or was invited."""

    __tablename__ = "need_access_grants"
    __table_args__ = (UniqueConstraint("need_id", "org_id", name="uq_need_access_grants_need_org"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # nda_accepted / invited
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    terms_version: Mapped[int | None]
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class NeedComment(Base):
    """Review comments and the refine-together thread (凝练技术问题) between bureau and enterprise."""

    __tablename__ = "need_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    suggested_changes: Mapped[dict[str, Any] | None]
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ExpertAssignment(Base):
    """An expert assigned to score a need on the fixed criteria."""

    __tablename__ = "expert_assignments"
    __table_args__ = (UniqueConstraint("need_id", "expert_id", name="uq_expert_assignments_need_expert"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    scores: Mapped[dict[str, Any] | None]  # criterion -> 0..100
    comment: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[dt.datetime | None]
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class NeedObjection(Base):
    """An objection raised during a batch's public notice (公示)."""

    __tablename__ = "need_objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    resolved: Mapped[bool] = mapped_column(default=False)
    resolution: Mapped[str] = mapped_column(Text, default="")
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[dt.datetime | None]
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class NeedRevision(Base):
    """A change to a published need. A revision (kind ``revision``) waits for the bureau's review
    while the published version stays visible; a correction (kind ``correction``: contact details,
    a later deadline) applies at once. Both stay in the need's timeline."""

    __tablename__ = "need_revisions"
    __table_args__ = (Index("ix_need_revisions_status", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12), default="revision")  # revision / correction
    # pending → approved | returned | superseded (a newer edit replaced it); corrections: applied
    status: Mapped[str] = mapped_column(String(12), default="pending")
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)  # field → new value (JSON)
    previous: Mapped[dict[str, Any]] = mapped_column(default=dict)  # field → value it replaces
    base_version: Mapped[int] = mapped_column(default=1)
    proposed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[dt.datetime | None]
    reason_code: Mapped[str | None] = mapped_column(String(30))
    reason_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
