"""Deal schemas. ``DealAdvance`` carries the facts each stage records; which ones are required is
decided per target stage in the service (one rule, also used by the pages)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from market.actions import Action
from market.deals.states import DealStage
from market.text import InputModel


class DealAdvance(InputModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    stage: DealStage = Field(examples=["signed"], description="目标阶段：intent / signed / in_progress / accepted / converted / failed")
    contract_amount_wan: float | None = Field(None, gt=0, le=1000000, description="合同金额（万元），签约时必填")
    signed_on: dt.date | None = Field(None, description="签约日期，签约时必填")
    accepted_on: dt.date | None = Field(None, description="验收日期，验收时必填")
    converted_on: dt.date | None = Field(None, description="转化日期，转化时必填")
    outcome: str | None = Field(None, max_length=5000, description="验收结论或转化成效，验收时必填")
    failure_reason: str | None = Field(None, max_length=2000, description="未成交原因，终止时必填")
    note: str = Field("", max_length=2000, description="备注（如意向协议要点）")


# Bounds of one deal's record: milestones, and documents per milestone.
MAX_MILESTONES = 100
MAX_DOCUMENTS_PER_MILESTONE = 20
# What a milestone's document is (合同, 验收报告, other).
DOCUMENT_KINDS: dict[str, str] = {"contract": "合同", "acceptance": "验收报告", "other": "其他文件"}


class MilestoneIn(InputModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: str = Field(min_length=2, max_length=200, examples=["样机上线试运行"])
    due_on: dt.date | None = Field(None, ge=dt.date(2000, 1, 1), le=dt.date(2100, 12, 31), description="计划完成日期")
    note: str = Field("", max_length=2000)


class MilestoneDoneIn(InputModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    done_on: dt.date | None = Field(None, description="完成日期，缺省为今天")
    note: str | None = Field(None, max_length=2000)


class DocumentOut(BaseModel):
    """A milestone's document; its bytes come from ``GET /deals/{id}/documents/{document_id}``."""

    id: int
    milestone_id: int
    kind: str
    kind_label: str
    filename: str
    size: int
    at: dt.datetime


class MilestoneOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    title: str
    due_on: dt.date | None
    done_on: dt.date | None
    note: str
    documents: list[DocumentOut] = []


class StageChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    from_stage: str
    to_stage: str
    actor_id: int | None
    note: str
    at: dt.datetime


class DealOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    need_id: int
    need_title: str = ""
    response_id: int
    enterprise_org_id: int
    enterprise_name: str = ""
    provider_org_id: int
    provider_name: str = ""
    county: str = ""
    industry: str = ""
    stage: str
    stage_label: str = ""
    contract_amount_wan: float | None
    signed_on: dt.date | None
    accepted_on: dt.date | None
    converted_on: dt.date | None
    outcome: str
    failure_reason: str
    created_at: dt.datetime
    updated_at: dt.datetime


class DealActions(BaseModel):
    """What the viewer may do with the deal (market.deals.access)."""

    advance: Action
    next_stages: list[str] = Field([], description="可推进到的阶段（不含未成交）")
    fail: Action
    plan_milestone: Action
    complete_milestone: Action
    attach_document: Action


class DealDetail(DealOut):
    milestones: list[MilestoneOut] = []
    stage_changes: list[StageChangeOut] = []
    actions: DealActions | None = None
