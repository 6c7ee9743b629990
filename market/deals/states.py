"""The deal lifecycle: 对接 matched → 意向 intent → 签约 signed → 实施 in_progress → 验收 accepted →
转化 converted, or failed (with a reason) from any stage that is not final."""

from __future__ import annotations

import enum

from market.statemachine import StateMachine


class DealStage(enum.StrEnum):
    matched = "matched"
    intent = "intent"
    signed = "signed"
    in_progress = "in_progress"
    accepted = "accepted"
    converted = "converted"
    failed = "failed"


D = DealStage
LABELS: dict[str, str] = {
    D.matched: "对接中",
    D.intent: "达成意向",
    D.signed: "已签约",
    D.in_progress: "实施中",
    D.accepted: "已验收",
    D.converted: "已转化",
    D.failed: "未成交",
}

ORDER = (D.matched, D.intent, D.signed, D.in_progress, D.accepted, D.converted)
FINAL = frozenset({D.converted, D.failed})

deal_machine = StateMachine(
    "对接项目",
    LABELS,
    {stage: frozenset({nxt, D.failed}) for stage, nxt in zip(ORDER, ORDER[1:], strict=False)},
)

# The need follows its deal: signing contracts it, conversion converts it.
NEED_STATUS_FOR_STAGE = {D.signed: "contracted", D.converted: "converted"}
