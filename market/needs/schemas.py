"""Need schemas, one read schema per kind of viewer so confidential fields cannot leak."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from market.actions import Action
from market.db import CST, DbId
from market.text import InputModel
from market.vocab import COOPERATION_MODES, COUNTIES, INDUSTRIES, REVIEW_CRITERIA, REVIEW_REASONS, TRACKS

# The one name of each need field, for forms, messages, exports and the Excel import's headers.
FIELD_LABELS: dict[str, str] = {
    "title": "需求名称",
    "summary": "需求摘要",
    "industry": "行业",
    "track": "改造方向",
    "county": "所在县（市、区）",
    "budget_min_wan": "预算下限（万元）",
    "budget_max_wan": "预算上限（万元）",
    "deadline": "截止日期",
    "cooperation_mode": "合作方式",
    "anonymous": "匿名发布",
    "description": "需求描述",
    "problem": "技术难题",
    "indicators": "指标要求",
    "tried": "已尝试方案",
    "current_state": "现状",
    "expected_outcome": "预期成果",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
    "disclosure": "公开方式",
    "confidentiality_terms": "保密条款",
}


class NeedBase(InputModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=5, max_length=100, examples=["高速冲压线模具在线磨损监测与寿命预测"])
    summary: str = Field(min_length=10, max_length=500, examples=["需要一套在线监测冲压模具磨损状态并预测剩余寿命的系统。"])
    industry: str = Field(examples=["汽车制造"], json_schema_extra={"enum": list(INDUSTRIES)})
    track: str = Field(examples=["digital"], description="digital 数字化 / green 绿色化 / both 两者", json_schema_extra={"enum": list(TRACKS)})
    county: str = Field(examples=["南湖区"], json_schema_extra={"enum": list(COUNTIES)})
    budget_min_wan: float | None = Field(None, ge=0, le=100000, examples=[50])
    budget_max_wan: float | None = Field(None, ge=0, le=100000, examples=[120])
    deadline: dt.date | None = Field(None, examples=["2027-06-30"])
    cooperation_mode: str = Field(examples=["技术开发"], json_schema_extra={"enum": list(COOPERATION_MODES)})
    anonymous: bool = False
    description: str = Field("", max_length=10000)
    problem: str = Field("", max_length=5000, examples=["模具磨损靠人工抽检，停机换模不及时导致批量毛刺。"])
    indicators: str = Field("", max_length=5000, examples=["磨损识别准确率≥95%，寿命预测误差≤10%"])
    tried: str = Field("", max_length=5000)
    current_state: str = Field("", max_length=5000)
    expected_outcome: str = Field("", max_length=5000)
    contact_name: str = Field("", max_length=50)
    contact_phone: str = Field("", max_length=30, pattern=r"^[0-9+\-\s()]*$")
    disclosure: str = Field(
        "public", description="public 公开 / nda 签署保密承诺后可见 / invite 仅受邀方可见", json_schema_extra={"enum": ["public", "nda", "invite"]}
    )
    confidentiality_terms: str = Field("", max_length=5000)

    @field_validator("industry")
    @classmethod
    def _industry(cls, v: str) -> str:
        if v not in INDUSTRIES:
            raise ValueError("请选择列表中的行业")
        return v

    @field_validator("track")
    @classmethod
    def _track(cls, v: str) -> str:
        if v not in TRACKS:
            raise ValueError("请选择改造方向（数字化、绿色化或两者兼有）")
        return v

    @field_validator("county")
    @classmethod
    def _county(cls, v: str) -> str:
        if v not in COUNTIES:
            raise ValueError(f"县（市、区）须为：{'、'.join(COUNTIES)}")
        return v

    @field_validator("cooperation_mode")
    @classmethod
    def _mode(cls, v: str) -> str:
        if v not in COOPERATION_MODES:
            raise ValueError(f"合作方式须为：{'、'.join(COOPERATION_MODES)}")
        return v

    @field_validator("disclosure")
    @classmethod
    def _disclosure(cls, v: str) -> str:
        if v not in ("public", "nda", "invite"):
            raise ValueError("请选择详情公开方式（公开、签署保密承诺后可见或仅受邀方可见）")
        return v

    @model_validator(mode="after")
    def _budget(self) -> NeedBase:
        lo, hi = self.budget_min_wan, self.budget_max_wan
        if lo is not None and hi is not None and lo > hi:
            raise ValueError("预算上限不能小于下限")
        return self


class NeedCreate(NeedBase):
    @field_validator("deadline")
    @classmethod
    def _deadline_ahead(cls, v: dt.date | None) -> dt.date | None:
        # A new need's deadline lies ahead (today in 嘉兴 counts); an edit may keep an old one.
        if v is not None and v < dt.datetime.now(CST).date():
            raise ValueError("揭榜截止日期不能早于今天")
        return v


class NeedUpdate(NeedBase):
    """A full replacement of the editable fields (clients never set owner, status or ids)."""


class TransitionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    from_status: str
    to_status: str
    reason_code: str | None
    reason_text: str
    actor_id: int | None
    at: dt.datetime


class RevisionOut(BaseModel):
    """An edit of a published need: a revision under review, or a correction already applied."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    status: str
    changes: dict[str, Any]
    previous: dict[str, Any]
    reason_code: str | None
    reason_text: str
    created_at: dt.datetime
    reviewed_at: dt.datetime | None
    status_label: str = ""


class NeedActions(BaseModel):
    """What the viewer may do with the need; each refusal carries its reason (market.needs.access)."""

    view_details: Action
    respond: Action
    edit: Action
    submit: Action
    withdraw: Action
    comment: Action
    upload: Action
    view_responses: Action
    invite: Action
    accept_terms: Action
    approve: Action
    send_back: Action
    reject: Action
    assign_expert: Action
    score: Action
    recommend: Action
    review_revision: Action
    manage: Action
    open_review: Action


class NeedPublic(BaseModel):
    """What anyone may read: the public summary."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    title: str
    summary: str
    industry: str
    track: str
    county: str
    budget_min_wan: float | None
    budget_max_wan: float | None
    deadline: dt.date | None
    cooperation_mode: str
    disclosure: str
    status: str
    status_label: str = ""
    batch_id: int | None
    batch_title: str | None = Field(None, description="所在榜单，如 2026年第5批")
    published_at: dt.datetime | None
    org_name: str | None = Field(None, description="发榜单位；匿名发布时为空")
    can_view_details: bool = False
    actions: NeedActions | None = Field(None, description="查看者可执行的操作及不可执行的原因")


class NeedDetail(NeedPublic):
    """For viewers allowed to see details (granted provider, bureau, assigned expert). The contact
    of an anonymous need is empty until the provider has responded."""

    description: str
    problem: str
    indicators: str
    tried: str
    current_state: str
    expected_outcome: str
    contact_name: str
    contact_phone: str
    confidentiality_terms: str


class NeedOwnerView(NeedDetail):
    """For the enterprise that posted the need and for the bureau."""

    org_id: int
    anonymous: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    transitions: list[TransitionOut] = []
    revisions: list[RevisionOut] = Field([], description="发榜后的修改与更正，最新在前")
    returned_reason: str | None = Field(None, description="退回修改时科技局给出的原因")
    edit_note: str | None = Field(None, description="修改此需求时会发生什么（如：重新审核、修改待审核）")
    pending_revision: RevisionOut | None = Field(None, description="待科技局审核的修改（审核通过前公开页面仍显示当前版本）")


class ReasonIn(InputModel):
    model_config = ConfigDict(extra="forbid")
    reason_code: str = Field(examples=["indicators_unclear"], json_schema_extra={"enum": list(REVIEW_REASONS)})
    reason_text: str = Field("", max_length=2000, examples=["请给出可量化的验收指标"])

    @field_validator("reason_code")
    @classmethod
    def _code(cls, v: str) -> str:
        if v not in REVIEW_REASONS:
            raise ValueError("请从列表中选择原因：" + "、".join(REVIEW_REASONS.values()))
        return v


class OptionalReasonIn(InputModel):
    model_config = ConfigDict(extra="forbid")
    reason_text: str = Field("", max_length=2000)


class CommentIn(InputModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=5000)
    suggested_changes: dict[str, str] | None = Field(
        None, description="凝练建议：字段名 → 建议文本（如 title、problem、indicators）"
    )

    @field_validator("suggested_changes")
    @classmethod
    def _fields(cls, v: dict[str, str] | None) -> dict[str, str] | None:
        allowed = {"title", "summary", "description", "problem", "indicators", "expected_outcome", "tried"}
        if v and any(k not in allowed for k in v):
            raise ValueError(f"只能建议修改：{'、'.join(sorted(allowed))}")
        return v


class CommentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    author_id: int
    body: str
    suggested_changes: dict[str, Any] | None
    at: dt.datetime


class ExpertAssignIn(InputModel):
    model_config = ConfigDict(extra="forbid")
    expert_id: DbId


class ScoresIn(InputModel):
    model_config = ConfigDict(extra="forbid")
    scores: dict[str, int] = Field(examples=[{"industry_impact": 80, "research_basis": 70, "technical_indicators": 85, "financial_indicators": 60}])
    comment: str = Field("", max_length=2000)

    @field_validator("scores")
    @classmethod
    def _scores(cls, v: dict[str, int]) -> dict[str, int]:
        if set(v) != set(REVIEW_CRITERIA):
            raise ValueError(f"须对全部评审维度打分：{'、'.join(REVIEW_CRITERIA.values())}")
        if any(not 0 <= s <= 100 for s in v.values()):
            raise ValueError("分数须在 0–100 之间")
        return v


class ExpertAssignmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    need_id: int
    expert_id: int
    scores: dict[str, Any] | None
    comment: str
    submitted_at: dt.datetime | None


class InviteIn(InputModel):
    model_config = ConfigDict(extra="forbid")
    org_id: DbId


class ObjectionIn(InputModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=5, max_length=2000)


class ObjectionResolveIn(InputModel):
    model_config = ConfigDict(extra="forbid")
    resolution: str = Field(min_length=1, max_length=2000)


class NearDuplicateOut(BaseModel):
    id: int
    title: str
    score: float
    shared_terms: list[str]
