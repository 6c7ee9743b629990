"""Account schemas."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from market.actions import Action
from market.text import EmailAddress


class PasswordChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(max_length=128)
    new_password: str = Field(min_length=8, max_length=128, description="至少 8 位")


class ResetRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: EmailAddress


class ResetConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=10, max_length=200)
    new_password: str = Field(min_length=8, max_length=128, description="至少 8 位")


class InvitationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    email: EmailAddress
    display_name: str = Field(min_length=1, max_length=100)
    roles: list[str] = Field(default_factory=lambda: ["member"])


class InvitationAcceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=10, max_length=200)
    password: str = Field(min_length=8, max_length=128, description="至少 8 位")


class RolesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    roles: list[str] = Field(min_length=1)


class InvitationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    email: str
    display_name: str
    roles: list[str]
    created_at: dt.datetime
    expires_at: dt.datetime
    accepted_at: dt.datetime | None


class MemberActions(BaseModel):
    change_roles: Action
    deactivate: Action


class MemberOut(BaseModel):
    id: int
    email: str
    display_name: str
    roles: list[str]
    is_active: bool
    actions: MemberActions


class SessionOut(BaseModel):
    id: int
    created_at: dt.datetime
    expires_at: dt.datetime
    current: bool


class Accepted(BaseModel):
    message: str


class MailPreferencesOut(BaseModel):
    """Per category: immediate / digest / off, with the labels to show."""

    modes: dict[str, str]
    categories: dict[str, str]
    choices: dict[str, str]


class MailPreferencesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    modes: dict[str, str] = Field(examples=[{"matching": "digest", "reminders": "off"}])
