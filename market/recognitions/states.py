"""The recognition lifecycle (DESIGN.md): applied → reviewed → scored → on_notice → recognised | rejected.

初审 (applied → reviewed), 专家评审 (the bureau assigns experts, who score; reviewed → scored once at
least the office's minimum of experts scored and none is pending), 公示 (scored → on_notice, a
window of at least the office's minimum of working days, objections answered in writing), 认定
(on_notice → recognised, after the window ends and with no objection open). The bureau may reject
at any open step. Recognised and rejected are final: a higher level later is a new application,
priced 就高不重复 against what was paid.
"""

from __future__ import annotations

import enum

from market.statemachine import StateMachine


class RecognitionStatus(enum.StrEnum):
    applied = "applied"
    reviewed = "reviewed"
    scored = "scored"
    on_notice = "on_notice"
    recognised = "recognised"
    rejected = "rejected"


S = RecognitionStatus
LABELS: dict[str, str] = {
    S.applied: "已申报",
    S.reviewed: "已初审",
    S.scored: "专家评审完成",
    S.on_notice: "公示中",
    S.recognised: "已认定",
    S.rejected: "未通过",
}

recognition_machine = StateMachine(
    "认定申报",
    LABELS,
    {
        S.applied: frozenset({S.reviewed, S.rejected}),
        S.reviewed: frozenset({S.scored, S.rejected}),
        S.scored: frozenset({S.on_notice, S.rejected}),
        S.on_notice: frozenset({S.recognised, S.rejected}),
    },
)

OPEN_STATUSES = frozenset({S.applied, S.reviewed, S.scored, S.on_notice})
