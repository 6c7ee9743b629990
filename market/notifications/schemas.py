"""Notification and saved-search schemas."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from market.text import InputModel
from market.vocab import COUNTIES, INDUSTRIES, TRACKS


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    title: str
    body: str
    link: str
    read_at: dt.datetime | None
    created_at: dt.datetime


class SearchFilters(InputModel):
    """The structured part of a subscription; an empty filter matches everything."""

    model_config = ConfigDict(extra="forbid")
    industry: str | None = Field(None, examples=["汽车制造"])
    county: str | None = Field(None, examples=["南湖区"])
    track: str | None = Field(None, examples=["digital"], description="digital / green / both")

    @field_validator("industry")
    @classmethod
    def _industry(cls, v: str | None) -> str | None:
        if v is not None and v not in INDUSTRIES:
            raise ValueError("请选择列表中的行业")
        return v

    @field_validator("county")
    @classmethod
    def _county(cls, v: str | None) -> str | None:
        if v is not None and v not in COUNTIES:
            raise ValueError(f"县（市、区）须为：{'、'.join(COUNTIES)}")
        return v

    @field_validator("track")
    @classmethod
    def _track(cls, v: str | None) -> str | None:
        if v is not None and v not in TRACKS:
            raise ValueError("改造方向须为 digital、green 或 both")
        return v


class SavedSearchIn(InputModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(min_length=1, max_length=100, examples=["冲压模具监测"])
    query: str = Field("", max_length=200, examples=["模具 磨损"], description="关键词，空格分隔，须全部出现在标题或摘要中")
    filters: SearchFilters = Field(default_factory=lambda: SearchFilters(industry=None, county=None, track=None))
    notify: bool = Field(True, description="有新发榜需求匹配时通知我")


class SavedSearchOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    query: str
    filters: dict[str, Any]
    notify: bool
    created_at: dt.datetime
