"""Target and progress schemas. The progress schemas are what the API returns, what the dashboard
renders and what the Excel report writes: one computation, one shape."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from market.text import InputModel


class TargetCreate(InputModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    metric: str = Field(examples=["needs_published"])
    year: int = Field(ge=2000, le=2100, examples=[2026])
    cumulative: bool = False
    base_year: int | None = Field(None, ge=2000, le=2100, description="累计目标的起算年度；缺省为 2022")
    county: str | None = Field(None, description="县（市、区）分解目标；缺省为全市")
    value: int = Field(ge=0, le=1_000_000, examples=[300])
    note: str = Field("", max_length=1000)


class TargetUpdate(InputModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    value: int | None = Field(None, ge=0, le=1_000_000)
    note: str | None = Field(None, max_length=1000)


class TargetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    metric: str
    year: int
    cumulative: bool
    base_year: int | None
    county: str | None
    value: int
    note: str
    source: str
    updated_at: dt.datetime


class CountyProgress(BaseModel):
    county: str
    target: int | None
    actual: int
    completion_rate: float | None = Field(description="actual / target, 0..∞; None without a county target")
    rank_by_rate: int | None = None
    rank_by_count: int


class IndustryProgress(BaseModel):
    industry: str
    actual: int


class TrendPoint(BaseModel):
    period: str  # "2024-03" or "2024Q1"
    count: int
    cumulative: int


class TargetProgress(BaseModel):
    target_id: int | None = Field(description="None when only county splits were set (target = their sum)")
    metric: str
    label: str
    unit: str
    definition: str
    year: int
    cumulative: bool
    base_year: int | None
    period_start: dt.date
    period_end: dt.date
    as_of: dt.date
    target: int
    actual: int
    completion_rate: float | None
    expected_by_now: float = Field(description="the target prorated to the share of the period elapsed")
    projected: float | None = Field(description="actual at period end at the current pace")
    on_track: bool | None
    status: str  # 已完成 / 进度正常 / 进度滞后 / 未完成 / 未开始
    by_county: list[CountyProgress]
    by_industry: list[IndustryProgress]
    monthly: list[TrendPoint]
    quarterly: list[TrendPoint]


class ProgressReport(BaseModel):
    year: int
    as_of: dt.date
    generated_at: dt.datetime
    counties: list[str]
    targets: list[TargetProgress]
