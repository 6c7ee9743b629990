"""The recognition lifecycle (DESIGN.md): applied → reviewed → recognised | rejected.

The bureau may also reject at first sight (applied → rejected). Recognised and rejected are final:
a higher level later is a new application, priced 就高不重复 against what was paid.
"""

from __future__ import annotations

import enum

from market.statemachine import StateMachine


class RecognitionStatus(enum.StrEnum):
    applied = "applied"
    reviewed = "reviewed"
    recognised = "recognised"
    rejected = "rejected"


S = RecognitionStatus
LABELS: dict[str, str] = {
    S.applied: "已申报",
    S.reviewed: "已初审",
    S.recognised: "已认定",
    S.rejected: "未通过",
}

recognition_machine = StateMachine(
    "认定申报",
    LABELS,
    {
        S.applied: frozenset({S.reviewed, S.rejected}),
        S.reviewed: frozenset({S.recognised, S.rejected}),
    },
)

OPEN_STATUSES = frozenset({S.applied, S.reviewed})
