"""Who may see a batch (榜单) and what the bureau may do with it: one answer for the API, the
pages and the exports."""

from __future__ import annotations

from sqlalchemy import ColumnElement, true
from sqlalchemy.orm import Session

from market.actions import Action, allow, deny, refuse_state
from market.batches.models import Batch
from market.batches.schemas import BatchActions
from market.batches.states import BatchStatus, batch_machine
from market.orgs.models import User

B = BatchStatus


def can_view(user: User | None, batch: Batch) -> bool:
    """A published batch is public; the bureau sees batches in every state."""
    return batch.status == B.published or (user is not None and user.is_bureau_staff)


def visible_batches(user: User | None) -> ColumnElement[bool]:
    """The filter of ``can_view`` for lists."""
    if user is not None and user.is_bureau_staff:
        return true()
    return Batch.status == B.published


def _bureau(user: User | None) -> Action | None:
    if user is None or not user.is_bureau_staff:
        return deny("只有科技局工作人员可以管理榜单")
    return None


def _state(batch: Batch, verb: str) -> Action:
    return refuse_state(f"榜单当前状态为「{batch_machine.label(batch.status)}」，{verb}")


def compose(user: User | None, batch: Batch) -> Action:
    """Needs join or leave a batch until it is published."""
    if refusal := _bureau(user):
        return refusal
    if batch.status == B.published:
        return _state(batch, "不能再调整需求")
    return allow()


def move_to(user: User | None, batch: Batch, target: str, verb: str) -> Action:
    if refusal := _bureau(user):
        return refusal
    if not batch_machine.can(batch.status, target):
        return _state(batch, verb)
    return allow()


def batch_actions(session: Session, user: User | None, batch: Batch) -> BatchActions:
    return BatchActions(
        add_needs=compose(user, batch),
        remove_need=compose(user, batch),
        start_notice=move_to(user, batch, B.notice, "不能开始公示"),
        schedule=move_to(user, batch, B.scheduled, "不能定时发布"),
        publish=move_to(user, batch, B.published, "不能发布"),
    )
