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
    department: str | None = Field(None, description="责任部门（全市目标），如 市科技局", examples=["市科技局"])


class TargetUpdate(InputModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    value: int | None = Field(None, ge=0, le=1_000_000)
    note: str | None = Field(None, max_length=1000)
    department: str | None = Field(None, description="责任部门；传 null 或空串取消")


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
    department: str | None
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
    department: str | None = Field(None, description="责任部门")
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


class DepartmentProgress(BaseModel):
    """A responsible department's targets in force, raced by their mean completion rate (each
    target's rate counted up to 100%, so one over-fulfilled target does not hide a lagging one)."""

    department: str
    targets: int
    completed: int = Field(description="targets with status 已完成")
    on_track: int = Field(description="targets on track (completed or projected to be met)")
    mean_rate: float | None = Field(description="mean of min(completion rate, 1) over its targets")
    rank: int | None
    items: list[str] = Field(description="the targets' names")


class ProgressReport(BaseModel):
    year: int
    as_of: dt.date
    generated_at: dt.datetime
    counties: list[str]
    targets: list[TargetProgress]
    departments: list[DepartmentProgress] = Field(default_factory=list)


class IssueCreate(InputModel):
    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=2000, le=2100, examples=[2026])
    as_of: dt.date | None = Field(None, description="统计截止日；缺省为今天")


class IssueRead(BaseModel):
    """An issued 晾晒通报 (its HTML and Excel are downloaded separately)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    year: int
    number: int
    as_of: dt.date
    title: str
    issued_by: int | None
    issued_at: dt.datetime


class IssuePage(BaseModel):
    items: list[IssueRead]
    total: int
