"""Response schemas: the proposal a provider sends, and one read schema per kind of viewer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from market.actions import Action
from market.db import DbId
from market.needs.schemas import ScoresIn
from market.text import InputModel
from market.vocab import DECLINE_REASONS, SYSTEM_DECLINE_REASONS


class ResponseCreate(InputModel):
    """A proposal (揭榜方案). ``partner_org_ids`` makes it a team response (联合揭榜)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    approach: str = Field(min_length=10, max_length=10000, examples=["基于声发射与电流信号融合的模具磨损在线识别，边缘端部署。"])
    team: str = Field("", max_length=5000, examples=["教授 1 名、博士 3 名，长期从事冲压工艺与故障诊断研究。"])
    track_record: str = Field("", max_length=5000, examples=["为 3 家汽车零部件企业实施过冲压在线监测项目。"])
    timeline: str = Field("", max_length=5000, examples=["3 个月样机，6 个月上线验收。"])
    price_wan: float | None = Field(None, ge=0, le=100000, examples=[90])
    partner_org_ids: list[DbId] = Field(default_factory=list, max_length=10, description="联合揭榜的合作单位")

    @field_validator("partner_org_ids")
    @classmethod
    def _partners(cls, v: list[DbId]) -> list[DbId]:
        if len(set(v)) != len(v):
            raise ValueError("合作单位不能重复")
        return v


class DeclineIn(InputModel):
    """Declining always carries a structured reason and an explanation for the provider."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason_code: str = Field(examples=["capability_mismatch"])
    reason_text: str = Field(min_length=2, max_length=2000, examples=["方案未覆盖在线寿命预测部分"])

    @field_validator("reason_code")
    @classmethod
    def _code(cls, v: str) -> str:
        if v not in DECLINE_REASONS or v in SYSTEM_DECLINE_REASONS:
            raise ValueError("请从列表中选择未入选原因")
        return v


class NoteIn(InputModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    note: str = Field("", max_length=2000)


class ResponseScoresIn(ScoresIn):
    """An expert scores a response on the same criteria as the need (REVIEW_CRITERIA)."""


class ResponseActions(BaseModel):
    """What the viewer may do with the proposal; each refusal carries its reason (market.responses.access)."""

    shortlist: Action
    decline: Action
    select: Action
    reconsider: Action
    withdraw: Action
    upload: Action
    score: Action


class PartnerOut(BaseModel):
    id: int
    name: str


class ResponseOut(BaseModel):
    """What the responding provider (and its team partners) read: the proposal and its outcome."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    need_id: int
    need_title: str = ""
    org_id: int
    org_name: str = ""
    partners: list[PartnerOut] = []
    approach: str
    team: str
    track_record: str
    timeline: str
    price_wan: float | None
    status: str
    status_label: str = ""
    reason_code: str | None
    reason_label: str | None = None
    reason_text: str
    declined_reason: str | None = Field(None, description="未入选时的原因与说明")
    deal_id: int | None = None
    created_at: dt.datetime
    updated_at: dt.datetime
    actions: ResponseActions | None = None


class ScoreOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    expert_id: int
    expert_name: str = ""
    scores: dict[str, Any] | None
    comment: str
    submitted_at: dt.datetime | None


class ResponseReviewView(ResponseOut):
    """For the enterprise that posted the need, the bureau and the need's assigned experts: the
    proposal with the experts' scores."""

    scores: list[ScoreOut] = []
    average_scores: dict[str, float] = {}
    average_total: float | None = None
