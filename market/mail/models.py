"""A mail as it was queued: who gets it, what it says, where its link points, when it went out.

Its delivery state (attempts, next try, last error, parked) is the outbox entry of topic ``mail``
written in the same transaction (market/outbox); this row is the content, kept after sending so
a person can see what the platform told whom.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from market.db import Base, utcnow


class MailMessage(Base):
    __tablename__ = "mail_messages"
    __table_args__ = (Index("ix_mail_messages_held", "held", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    to_addr: Mapped[str] = mapped_column(String(200))
    to_name: Mapped[str] = mapped_column(String(100), default="")
    kind: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    # A path on the platform (``/needs/12``) or an absolute URL; the mail shows it under base_url.
    link: Mapped[str] = mapped_column(String(500), default="")
    link_label: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]
    # Held for the user's daily digest (their preference for this kind); no outbox job of its own.
    held: Mapped[bool] = mapped_column(default=False)
    # The digest mail that carried it.
    digest_id: Mapped[int | None]


class MailPreference(Base):
    """How a user wants mail of one category: ``immediate`` (the default, no row), ``digest`` or ``off``."""

    __tablename__ = "mail_preferences"
    __table_args__ = (UniqueConstraint("user_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(10))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
