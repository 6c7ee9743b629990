"""Who may read the audit log: bureau staff only (a record's history on its page, and the search).

The audit concept cannot import ``market.orgs`` (orgs records to the audit log), so the viewer is
anything that says whether it is bureau staff."""

from __future__ import annotations

from typing import Protocol

from market.actions import Action, allow, deny


class Viewer(Protocol):
    @property
    def is_bureau_staff(self) -> bool: ...


# The kinds of record whose page shows its history (the audit ``object_type`` of each).
RECORD_KINDS: dict[str, str] = {
    "need": "需求",
    "batch": "榜单",
    "response": "揭榜方案",
    "deal": "对接项目",
    "organisation": "单位",
    "recognition": "认定申报",
    "target": "目标任务",
}


def read_history(viewer: Viewer | None) -> Action:
    """Only bureau staff read who did what and when; the parties see their record, not its log."""
    if viewer is None or not viewer.is_bureau_staff:
        return deny("只有科技局工作人员可以查看操作记录")
    return allow()
