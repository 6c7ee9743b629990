"""Recognition and award schemas. Clients never set owner, status, award or ids."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from market.actions import Action
from market.db import DB_INT_MAX
from market.recognitions.policy import policy_for_labels, policy_label, rule_label
from market.recognitions.states import LABELS, RecognitionStatus
from market.text import InputModel


class EvidenceItem(InputModel):
    """One piece of evidence: an uploaded attachment (``attachment_id``) or a reference (``url``)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=200, examples=["省经信厅认定文件"])
    attachment_id: int | None = Field(None, ge=1, le=DB_INT_MAX)
    url: str | None = Field(None, max_length=500)
    note: str = Field("", max_length=500)


class RecognitionCreate(InputModel):
    """Category, level and insurance are checked against the policy table by the service, which
    names the offending field."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    product_name: str = Field(min_length=2, max_length=200, examples=["高速精密冲压模具在线监测系统"])
    product_code: str | None = Field(
        None, max_length=100, examples=["JD-PM-200"], description="产品型号或编码：与企业一起确定产品身份，改名不影响就高不重复"
    )
    category: str = Field(
        examples=["equipment"],
        description="equipment 首台（套）装备 / material 首批次新材料 / software 首版次软件 / "
        "innovation_center 制造业创新中心 / tech_center 企业技术中心 / innovation_project 技术创新项目 / green_design 绿色设计产品",
    )
    level: str = Field(
        examples=["provincial"],
        description="international 国际 / national 国内 / provincial 省内 / municipal 市内",
    )
    year: int = Field(ge=2000, le=2100, examples=[2024])
    insured_value_wan: float | None = Field(
        None, ge=0, le=1e9, description="投保金额（万元），与保费同时填写"
    )
    premium_wan: float | None = Field(None, ge=0, le=1e9, description="实际保费（万元）")
    need_id: int | None = Field(None, ge=1, le=DB_INT_MAX, description="来源需求（发榜）")
    deal_id: int | None = Field(None, ge=1, le=DB_INT_MAX, description="来源对接项目")
    evidence: list[EvidenceItem] = Field(default_factory=list, max_length=50)
    description: str = Field("", max_length=5000)
    org_id: int | None = Field(None, ge=1, le=DB_INT_MAX, description="仅科技局代为登记时填写；企业申报时自动为本单位")


class RecognitionReview(InputModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    notes: str = Field("", max_length=5000)


class RecognitionDecision(InputModel):
    """The bureau recognises, optionally at a different level than applied for."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    level: str | None = None
    notes: str = Field("", max_length=5000)


class RecognitionRejection(InputModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=2, max_length=5000, examples=["证明材料不足"])


class PayoutIn(InputModel):
    """奖补兑现: a payment of a recognised item's award."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    amount_wan: float = Field(gt=0, le=1e6, examples=[20])
    paid_on: dt.date = Field(examples=["2026-11-30"])
    payment_batch: str = Field(min_length=1, max_length=100, examples=["2026 年第二批奖补资金"])
    note: str = Field("", max_length=500)

    @field_validator("amount_wan")
    @classmethod
    def _to_the_yuan(cls, value: float) -> float:
        """万元 to four decimals is to the yuan; a finer amount is a typing mistake."""
        if abs(value - round(value, 4)) > 1e-9:
            raise ValueError("金额最多保留 4 位小数（精确到元）")
        return round(value, 4)


class PayoutOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    amount_wan: float
    paid_on: dt.date
    payment_batch: str
    note: str


class RecognisedProduct(BaseModel):
    """A recognised product on the public list."""

    id: int
    org_name: str
    county: str | None
    industry: str | None
    product_name: str
    category: str
    category_label: str
    level: str
    level_label: str
    year: int


class AwardLineOut(BaseModel):
    rule: str
    rule_label: str = Field("", description="规则（文字）：政策、类别、级别")
    amount_wan: float
    explanation: str


class RecognitionActions(BaseModel):
    """What the viewer may do with the application (market.recognitions.access)."""

    review: Action
    assign_expert: Action
    score: Action
    finish_review: Action
    put_on_notice: Action
    object: Action
    recognise: Action
    reject: Action
    upload: Action
    pay: Action


class ExpertAssignIn(InputModel):
    model_config = ConfigDict(extra="forbid")

    expert_id: int = Field(ge=1, le=DB_INT_MAX, description="评审专家（用户）")


class ExpertScoreIn(InputModel):
    """专家评审: one overall score and the expert's comment."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    score: int = Field(ge=0, le=100, examples=[85], description="评分（0–100）")
    comment: str = Field(min_length=2, max_length=2000, examples=["技术指标国内领先，应用案例充分。"])


class ExpertReviewOut(BaseModel):
    """An expert's assignment on an application; the bureau sees every one with the expert's name,
    an expert their own."""

    id: int
    expert_id: int
    expert_name: str = ""
    score: int | None
    comment: str
    submitted_at: dt.datetime | None
    at: dt.datetime


class NoticeIn(InputModel):
    """公示 window: China Standard Time dates, both included."""

    model_config = ConfigDict(extra="forbid")

    notice_start: dt.date = Field(examples=["2026-12-07"])
    notice_end: dt.date = Field(examples=["2026-12-13"])


class ObjectionIn(InputModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    body: str = Field(min_length=5, max_length=2000, examples=["该产品在 2021 年已有同类产品在省内销售，请核实首台（套）性质。"])


class ObjectionResolveIn(InputModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    resolution: str = Field(min_length=2, max_length=5000, examples=["经核实，该产品的首台（套）性质成立，异议不成立。"])


class ObjectionOut(BaseModel):
    """An objection as the bureau sees it (the objector's name for follow-up), or as its objector."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    recognition_id: int
    body: str
    resolved: bool
    resolution: str
    at: dt.datetime
    resolved_at: dt.datetime | None


class NoticeItem(BaseModel):
    """A recognition on public notice (公示): what the public is asked to object to. No amounts, no
    evidence, no contact details."""

    id: int
    org_name: str
    county: str | None
    product_name: str
    category: str
    category_label: str
    level: str
    level_label: str
    year: int
    notice_start: dt.date
    notice_end: dt.date
    open_for_objections: bool = Field(description="今天（中国标准时间）在公示期内，可提出异议")
    how_to_object: str


class RecognitionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    org_id: int
    product_name: str
    product_code: str | None = None
    category: str
    category_label: str
    level: str
    level_label: str
    year: int
    status: str
    status_label: str
    insured_value_wan: float | None
    premium_wan: float | None
    award_wan: float | None
    award_lines: list[AwardLineOut]
    policy_version: str | None
    policy_label: str = Field("", description="政策（文字）")
    need_id: int | None
    deal_id: int | None
    evidence: list[dict[str, Any]]
    description: str
    review_notes: str
    reason: str
    reviewed_at: dt.datetime | None
    notice_start: dt.date | None = None
    notice_end: dt.date | None = None
    recognised_at: dt.datetime | None
    decided_at: dt.datetime | None
    created_at: dt.datetime
    recognised: bool = Field(False, description="已认定（奖励已确定）")
    paid_wan: float = Field(0, description="已兑现（万元）")
    due_wan: float | None = Field(None, description="待兑现（万元）；未认定时为空")
    payouts: list[PayoutOut] = []
    actions: RecognitionActions | None = None

    @classmethod
    def of(
        cls, rec: Any, actions: RecognitionActions | None = None, payouts: list[Any] | None = None
    ) -> RecognitionRead:
        policy = policy_for_labels(rec.year)
        cat = policy.categories.get(rec.category)
        award = cat.awards.get(rec.level) if cat else None
        return cls(
            id=rec.id,
            org_id=rec.org_id,
            product_name=rec.product_name,
            category=rec.category,
            category_label=cat.label if cat else rec.category,
            level=rec.level,
            level_label=award.label if award else rec.level,
            year=rec.year,
            status=rec.status,
            status_label=LABELS.get(rec.status, rec.status),
            insured_value_wan=rec.insured_value_wan,
            premium_wan=rec.premium_wan,
            award_wan=rec.award_wan,
            award_lines=[
                AwardLineOut(
                    **{k: ln[k] for k in ("rule", "amount_wan", "explanation")}, rule_label=rule_label(ln["rule"])
                )
                for ln in rec.award_lines or []
            ],
            policy_version=rec.policy_version,
            policy_label=policy_label(rec.policy_version),
            need_id=rec.need_id,
            deal_id=rec.deal_id,
            evidence=list(rec.evidence or []),
            description=rec.description,
            review_notes=rec.review_notes,
            reason=rec.reason,
            reviewed_at=rec.reviewed_at,
            notice_start=rec.notice_start,
            notice_end=rec.notice_end,
            recognised_at=rec.recognised_at,
            decided_at=rec.decided_at,
            created_at=rec.created_at,
            recognised=rec.status == RecognitionStatus.recognised,
            product_code=rec.product_code,
            paid_wan=round(sum(p.amount_wan for p in payouts or []), 4),
            due_wan=None
            if rec.award_wan is None
            else round(max(0.0, rec.award_wan - sum(p.amount_wan for p in payouts or [])), 4),
            payouts=[PayoutOut.model_validate(p) for p in payouts or []],
            actions=actions,
        )


class AwardQuoteIn(InputModel):
    """A hypothetical case to price; nothing is stored."""

    model_config = ConfigDict(extra="forbid")

    item: str = Field(examples=["equipment"], description="equipment / material / software（及其他奖励类别）")
    level: str = Field(
        examples=["provincial"], description="international / national / provincial / municipal"
    )
    already_awarded_level: str | None = Field(
        None, examples=["municipal"], description="已享受奖励的级别（升级补差）"
    )
    insured_value_wan: float | None = Field(None, examples=[500], description="投保金额（万元）")
    premium_wan: float | None = Field(None, examples=[12], description="实际保费（万元）")
    org_awarded_wan: float | None = Field(
        None, ge=0, le=1e9, description="该企业已获同类奖励（万元），用于每家企业上限（如绿色设计产品最高 100 万元）"
    )
    year: int | None = Field(
        None, ge=2000, le=2100, description="按该年度有效的政策版本计算；不在任何版本有效期内时答 422；缺省为最新版本"
    )


class AwardQuoteOut(BaseModel):
    policy_version: str
    total_wan: float
    lines: list[AwardLineOut]


class PayoutLedgerRow(BaseModel):
    """One recognised item on the bureau's 奖补兑现 list: the award, what is paid and what is due."""

    id: int
    org_id: int
    org_name: str
    county: str | None
    product_name: str
    product_code: str | None
    category: str
    category_label: str
    level: str
    level_label: str
    year: int
    status: str
    status_label: str
    recognised: bool
    award_wan: float | None
    paid_wan: float
    due_wan: float | None = Field(None, description="待兑现（万元）；未认定时为空")
    fully_paid: bool = Field(False, description="已认定且已全部兑现")
    payouts_count: int = 0
    last_paid_on: dt.date | None = None
    created_at: dt.datetime
    recognised_at: dt.datetime | None


class PayoutTotals(BaseModel):
    """The sums over every row of a filtered 奖补兑现 list (not only the page shown)."""

    count: int
    award_wan: float
    paid_wan: float
    due_wan: float
