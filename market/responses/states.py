"""The response lifecycle (DESIGN.md): submitted → shortlisted → selected | declined | withdrawn.

The enterprise may also decide at first sight (submitted → selected / declined). Selected and
withdrawn are final; a declined provider is always told why (structured reason). A proposal
declined because another partner was selected may be reconsidered (declined → shortlisted) when
that deal fails and the need is open again.
"""

from __future__ import annotations

import enum

from market.statemachine import StateMachine


class ResponseStatus(enum.StrEnum):
    submitted = "submitted"
    shortlisted = "shortlisted"
    selected = "selected"
    declined = "declined"
    withdrawn = "withdrawn"


S = ResponseStatus
LABELS: dict[str, str] = {
    S.submitted: "已提交",
    S.shortlisted: "入围",
    S.selected: "已选定",
    S.declined: "未选中",
    S.withdrawn: "已撤回",
}

response_machine = StateMachine(
    "揭榜方案",
    LABELS,
    {
        S.submitted: frozenset({S.shortlisted, S.selected, S.declined, S.withdrawn}),
        S.shortlisted: frozenset({S.selected, S.declined, S.withdrawn}),
        S.declined: frozenset({S.shortlisted}),
    },
)

OPEN_STATUSES = frozenset({S.submitted, S.shortlisted})
