"""Organisations, their users, API tokens, and provider capability profiles."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import Base, utcnow


class OrgKind(enum.StrEnum):
    enterprise = "enterprise"  # 企业
    university = "university"  # 高校
    institute = "institute"  # 科研院所
    provider = "provider"  # 服务商
    bureau = "bureau"  # 科技局


PROVIDER_KINDS = frozenset({OrgKind.university, OrgKind.institute, OrgKind.provider})


class Role(enum.StrEnum):
    member = "member"
    org_admin = "org_admin"
    bureau_reviewer = "bureau_reviewer"
    bureau_admin = "bureau_admin"
    expert = "expert"


class Verification(enum.StrEnum):
    pending = "pending"
    verified = "verified"
    rejected = "rejected"


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    credit_code: Mapped[str | None] = mapped_column(String(32))
    county: Mapped[str | None] = mapped_column(String(20), index=True)
    industry: Mapped[str | None] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text, default="")
    verification: Mapped[str] = mapped_column(String(20), default=Verification.pending, index=True)
    verified_at: Mapped[dt.datetime | None]
    # 龙头企业 (seed task 10): set by the bureau; such an enterprise may take up others' needs.
    leading: Mapped[bool] = mapped_column(default=False)
    demo_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="org", lazy="raise")
    profile: Mapped[ProviderProfile | None] = relationship(back_populates="org", lazy="raise", uselist=False)

    @property
    def is_verified(self) -> bool:
        return self.verification == Verification.verified

    @property
    def is_provider(self) -> bool:
        return self.kind in PROVIDER_KINDS

    @property
    def is_leading_enterprise(self) -> bool:
        return self.kind == OrgKind.enterprise and self.leading

    @property
    def may_respond(self) -> bool:
        """Universities, institutes and service providers, and enterprises the bureau marked 龙头企业."""
        return self.is_provider or self.is_leading_enterprise

    @property
    def is_bureau(self) -> bool:
        return self.kind == OrgKind.bureau


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(300))
    roles: Mapped[list[Any]] = mapped_column(default=list)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    org: Mapped[Organisation] = relationship(back_populates="users", lazy="joined")

    def has_role(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)

    @property
    def is_bureau(self) -> bool:
        return self.org.kind == OrgKind.bureau

    @property
    def is_bureau_staff(self) -> bool:
        return self.is_bureau and self.has_role(Role.bureau_reviewer, Role.bureau_admin)

    @property
    def is_expert(self) -> bool:
        return self.has_role(Role.expert)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    revoked: Mapped[bool] = mapped_column(default=False)


class ProviderProfile(Base):
    """What a university, institute or service firm can do (its 能力画像)."""

    __tablename__ = "provider_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), unique=True)
    fields: Mapped[list[Any]] = mapped_column(default=list)  # research / service fields
    industries: Mapped[list[Any]] = mapped_column(default=list)
    tracks: Mapped[list[Any]] = mapped_column(default=list)
    summary: Mapped[str] = mapped_column(Text, default="")
    team: Mapped[str] = mapped_column(Text, default="")
    typical_deal_min_wan: Mapped[float | None]
    typical_deal_max_wan: Mapped[float | None]
    track_record: Mapped[int] = mapped_column(default=0)  # completed cooperation projects
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    org: Mapped[Organisation] = relationship(back_populates="profile", lazy="raise")
    items: Mapped[list[CapabilityItem]] = relationship(
        back_populates="profile", lazy="raise", cascade="all, delete-orphan", order_by="CapabilityItem.id"
    )


class CapabilityItem(Base):
    """One achievement of a provider: a project, paper, patent, product or case."""

    __tablename__ = "capability_items"
    __table_args__ = (Index("ix_capability_items_profile", "profile_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("provider_profiles.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # project / paper / patent / product / case
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    year: Mapped[int | None]

    profile: Mapped[ProviderProfile] = relationship(back_populates="items", lazy="raise")


class LoginAttemptCounter(Base):
    """Sign-in attempts from one client address in one fixed window (market/orgs/ratelimit.py).

    Kept in the database, not in a process, so that the per-address limit holds however many server
    processes answer sign-ins."""

    __tablename__ = "login_attempt_counters"

    address: Mapped[str] = mapped_column(String(100), primary_key=True)
    window_start: Mapped[dt.datetime] = mapped_column(primary_key=True, index=True)
    attempts: Mapped[int] = mapped_column(default=0)


class LoginFailure(Base):
    """Wrong passwords for one e-mail from one client address (issue 14, finding 11).

    The delay grows with each failure past the allowance and holds for this pair only: someone
    guessing at the bureau's account from one address slows down themselves, not the bureau's own
    sign-ins from elsewhere. Kept for unknown e-mails too, so the answer does not tell whether an
    account exists."""

    __tablename__ = "login_failures"

    email: Mapped[str] = mapped_column(String(200), primary_key=True)
    address: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failed_at: Mapped[dt.datetime] = mapped_column(index=True)
    locked_until: Mapped[dt.datetime | None] = mapped_column(default=None)


class ExpertConflict(Base):
    """An organisation an expert declared a conflict of interest with (former employer, family,
    shareholding, …). The expert is recused from reviewing that organisation's needs, proposals
    and applications, as from their own organisation's."""

    __tablename__ = "expert_conflicts"
    __table_args__ = (UniqueConstraint("expert_id", "org_id", name="uq_expert_conflicts_expert_org"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    note: Mapped[str] = mapped_column(Text, default="")
    declared_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
