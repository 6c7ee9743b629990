from __future__ import annotations

import enum

from market.statemachine import StateMachine


class BatchStatus(enum.StrEnum):
    draft = "draft"
    notice = "notice"  # 公示
    scheduled = "scheduled"
    published = "published"


B = BatchStatus
batch_machine = StateMachine(
    "榜单",
    {B.draft: "编制中", B.notice: "公示中", B.scheduled: "待发布", B.published: "已发布"},
    {
        # No batch skips the public notice: a draft goes on notice, and only from there on.
        B.draft: frozenset({B.notice}),
        B.notice: frozenset({B.scheduled, B.published, B.draft}),
        B.scheduled: frozenset({B.published, B.draft}),
    },
)
