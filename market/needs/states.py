"""The need lifecycle (DESIGN.md): one table of legal moves."""

from __future__ import annotations

import enum

from market.statemachine import StateMachine


class NeedStatus(enum.StrEnum):
    draft = "draft"
    submitted = "submitted"
    returned = "returned"
    approved = "approved"
    published = "published"
    taken_up = "taken_up"
    selected = "selected"
    contracted = "contracted"
    converted = "converted"
    closed = "closed"
    withdrawn = "withdrawn"
    expired = "expired"
    rejected = "rejected"


S = NeedStatus
LABELS: dict[str, str] = {
    S.draft: "草稿",
    S.submitted: "待审核",
    S.returned: "退回修改",
    S.approved: "审核通过",
    S.published: "已发榜",
    S.taken_up: "已揭榜",
    S.selected: "已选定揭榜方",
    S.contracted: "已签约",
    S.converted: "已转化",
    S.closed: "已关闭",
    S.withdrawn: "已撤回",
    S.expired: "已过期",
    S.rejected: "未通过",
}

_OPEN_EXITS = frozenset({S.withdrawn, S.expired})
need_machine = StateMachine(
    "需求",
    LABELS,
    {
        S.draft: frozenset({S.submitted, S.withdrawn}),
        S.submitted: frozenset({S.returned, S.approved, S.rejected, S.withdrawn}),
        S.returned: frozenset({S.submitted, S.withdrawn}),
        S.approved: frozenset({S.published, S.returned, S.submitted, S.withdrawn}),
        # A published need stays published while an edit of it is reviewed (NeedRevision).
        S.published: frozenset({S.taken_up}) | _OPEN_EXITS,
        S.taken_up: frozenset({S.selected}) | _OPEN_EXITS,
        S.selected: frozenset({S.contracted, S.taken_up, S.withdrawn}),
        S.contracted: frozenset({S.converted, S.closed}),
        S.converted: frozenset({S.closed}),
    },
)

# The owner edits these directly (an approved or submitted need goes back to review) …
EDITABLE_DIRECTLY = frozenset({S.draft, S.returned, S.submitted, S.approved})
# … and proposes a revision of these, reviewed while the published version stays visible.
REVISED_UNDER_REVIEW = frozenset({S.published, S.taken_up})
EDITABLE_BY_OWNER = EDITABLE_DIRECTLY | REVISED_UNDER_REVIEW
SUBMITTABLE = frozenset({S.draft, S.returned})
PUBLIC_STATUSES = frozenset({S.published, S.taken_up, S.selected, S.contracted, S.converted, S.closed})
OPEN_FOR_RESPONSES = frozenset({S.published, S.taken_up})

REVISION_LABELS: dict[str, str] = {
    "pending": "待审核",
    "approved": "已通过",
    "returned": "已退回",
    "superseded": "已被新的修改替代",
    "applied": "已生效",
}
