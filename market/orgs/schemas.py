from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from market.orgs import credit_code as uscc
from market.orgs.security import password_problem
from market.text import EmailAddress, InputModel
from market.vocab import CAPABILITY_KINDS, COUNTIES, INDUSTRIES


def _check_county(v: str | None) -> str | None:
    if v is not None and v not in COUNTIES:
        raise ValueError(f"县（市、区）须为：{'、'.join(COUNTIES)}")
    return v


def _check_industry(v: str | None) -> str | None:
    if v is not None and v not in INDUSTRIES:
        raise ValueError("行业不在可选范围内")
    return v


def _check_password(v: str, info: ValidationInfo) -> str:
    """A new password: see ``security.password_problem`` (the fields before it are in ``info.data``)."""
    problem = password_problem(v, email=str(info.data.get("email", "")), name=str(info.data.get("display_name", "")))
    if problem:
        raise ValueError(problem)
    return v


# A capability profile's bounds (issue 14, finding 2): 50 items of 300 characters made the provider's
# recommendations take 46 s; each item title is embedded and matched on its own, so their number and
# length are what cost. The demo's richest provider has 12 items, its longest title 46 characters.
ITEMS_MAX = 20
ITEM_TITLE_MAX = 60
ITEM_DESCRIPTION_MAX = 1000


class RegistrationIn(InputModel):
    """A new organisation with its first (admin) user."""

    model_config = ConfigDict(extra="forbid")

    org_name: str = Field(min_length=2, max_length=200, examples=["嘉兴某某汽车零部件有限公司"])
    org_kind: str = Field(pattern="^(enterprise|university|institute|provider)$", examples=["enterprise"])
    credit_code: str | None = Field(None, max_length=32)
    county: str | None = Field(None, examples=["南湖区"], json_schema_extra={"enum": [*COUNTIES, None]})
    industry: str | None = Field(None, examples=["汽车制造"], json_schema_extra={"enum": [*INDUSTRIES, None]})
    email: EmailAddress = Field(examples=["zhang@example.com"])
    display_name: str = Field(min_length=1, max_length=100, examples=["张工"])
    password: str = Field(min_length=8, max_length=128)

    _county = field_validator("county")(_check_county)
    _industry = field_validator("industry")(_check_industry)

    @field_validator("credit_code")
    @classmethod
    def _credit_code(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        code = uscc.normalise(v)
        message = uscc.problem(code)
        if message is not None:
            raise ValueError(message)
        return code

    _password = field_validator("password")(_check_password)


class LoginIn(InputModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=200)
    password: str = Field(max_length=128)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: dt.datetime


class UserIn(InputModel):
    """An org admin adds a colleague."""

    model_config = ConfigDict(extra="forbid")
    email: EmailAddress
    display_name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=8, max_length=128)
    roles: list[str] = Field(default_factory=lambda: ["member"])

    _password = field_validator("password")(_check_password)


class OrgPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    kind: str
    county: str | None
    industry: str | None
    verification: str
    leading: bool = Field(False, description="科技局认定的龙头企业（可揭榜其他企业的需求）")


class LeadingIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    leading: bool
    note: str = Field("", max_length=500)


class OrgDetail(OrgPublic):
    credit_code: str | None
    description: str
    created_at: dt.datetime


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    email: str
    display_name: str
    roles: list[str]
    org: OrgPublic


class VerificationIn(InputModel):
    model_config = ConfigDict(extra="forbid")
    decision: str = Field(pattern="^(verified|rejected)$")
    note: str = Field("", max_length=500)


class CapabilityItemIn(InputModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(pattern="^(" + "|".join(CAPABILITY_KINDS) + ")$")
    # Bounded so that a profile's text stays within what the model reads (issue 14, finding 2).
    title: str = Field(min_length=2, max_length=ITEM_TITLE_MAX)
    description: str = Field("", max_length=ITEM_DESCRIPTION_MAX)
    year: int | None = Field(None, ge=1950, le=2100)


class CapabilityItemOut(BaseModel):
    """An item as stored (an item saved before the input bounds still reads)."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    title: str
    description: str
    year: int | None


class ProfileIn(InputModel):
    model_config = ConfigDict(extra="forbid")
    fields: list[str] = Field(default_factory=list, max_length=30)
    industries: list[str] = Field(default_factory=list, max_length=20)
    tracks: list[str] = Field(default_factory=list, max_length=3)
    summary: str = Field("", max_length=5000)
    team: str = Field("", max_length=5000)
    typical_deal_min_wan: float | None = Field(None, ge=0, le=100000)
    typical_deal_max_wan: float | None = Field(None, ge=0, le=100000)
    track_record: int = Field(0, ge=0, le=100000)
    items: list[CapabilityItemIn] | None = Field(None, max_length=ITEMS_MAX)

    @field_validator("industries")
    @classmethod
    def _industries(cls, v: list[str]) -> list[str]:
        for item in v:
            _check_industry(item)
        return v

    @field_validator("tracks")
    @classmethod
    def _tracks(cls, v: list[str]) -> list[str]:
        if any(t not in ("digital", "green") for t in v):
            raise ValueError("方向须为 digital（数字化）或 green（绿色化）")
        return v


class ProfileOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    org: OrgPublic
    fields: list[str]
    industries: list[str]
    tracks: list[str]
    summary: str
    team: str
    typical_deal_min_wan: float | None
    typical_deal_max_wan: float | None
    track_record: int
    items: list[CapabilityItemOut]
    updated_at: dt.datetime


class ConflictIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    org_id: int = Field(ge=1, description="存在利益冲突的单位")
    note: str = Field("", max_length=500, examples=["曾在该单位任职"])


class ConflictOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    org_id: int
    note: str
    declared_at: dt.datetime
