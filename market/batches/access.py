"""Who may see a batch (榜单) and what the bureau may do with it: one answer for the API, the
pages and the exports.

A batch on public notice (公示) is public, so that anyone can see what they are asked to object
to; a published one too. No batch skips the notice, none is published before its notice period
ends (China Standard Time) or while an objection is open.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.orm import Session

from market.actions import Action, allow, deny, refuse_state
from market.batches.models import Batch
from market.batches.schemas import BatchActions
from market.batches.states import BatchStatus, batch_machine
from market.db import CST
from market.needs.models import Need, NeedObjection
from market.orgs.models import User

B = BatchStatus
PUBLIC_BATCH_STATUSES = (B.notice, B.published)


def today_local() -> dt.date:
    return dt.datetime.now(CST).date()


def can_view(user: User | None, batch: Batch) -> bool:
    """A batch on notice or published is public; the bureau sees batches in every state."""
    return batch.status in PUBLIC_BATCH_STATUSES or (user is not None and user.is_bureau_staff)


def visible_batches(user: User | None) -> ColumnElement[bool]:
    """The filter of ``can_view`` for lists."""
    if user is not None and user.is_bureau_staff:
        return true()
    return Batch.status.in_([s.value for s in PUBLIC_BATCH_STATUSES])


def on_notice(batch: Batch, today: dt.date) -> bool:
    """Within the notice window (inclusive, China Standard Time dates)."""
    return (
        batch.status == B.notice
        and batch.notice_start is not None
        and batch.notice_end is not None
        and batch.notice_start <= today <= batch.notice_end
    )


@dataclass(frozen=True)
class BatchFacts:
    today: dt.date
    open_objections: int


def read_facts(session: Session, batch: Batch, today: dt.date | None = None) -> BatchFacts:
    count = session.scalar(
        select(func.count(NeedObjection.id))
        .join(Need, Need.id == NeedObjection.need_id)
        .where(Need.batch_id == batch.id, NeedObjection.resolved.is_(False))
    )
    return BatchFacts(today=today or today_local(), open_objections=int(count or 0))


def _bureau(user: User | None) -> Action | None:
    if user is None or not user.is_bureau_staff:
        return deny("只有科技局工作人员可以管理榜单")
    return None


def _state(batch: Batch, verb: str) -> Action:
    return refuse_state(f"榜单当前状态为「{batch_machine.label(batch.status)}」，{verb}")


def compose(user: User | None, batch: Batch) -> Action:
    """Needs join or leave a batch while it is being composed (not once on notice: the public is
    asked about exactly the needs shown)."""
    if refusal := _bureau(user):
        return refusal
    if batch.status != B.draft:
        return _state(batch, "不能再调整需求（如需调整，请先撤回公示）")
    return allow()


def release(batch: Batch, facts: BatchFacts, verb: str = "发布") -> Action:
    """What publication waits for: the end of the notice period and every objection answered."""
    if batch.notice_end is None:
        return refuse_state(f"榜单未经公示，不能{verb}")
    if facts.today <= batch.notice_end:
        return refuse_state(f"公示期至 {batch.notice_end.isoformat()}（中国标准时间）结束，公示期满后才能{verb}")
    if facts.open_objections:
        return refuse_state(f"还有 {facts.open_objections} 条公示异议未处理，不能{verb}")
    return allow()


def move_to(user: User | None, batch: Batch, target: str, verb: str, facts: BatchFacts | None = None) -> Action:
    if refusal := _bureau(user):
        return refusal
    if not batch_machine.can(batch.status, target):
        return _state(batch, verb)
    if target == B.published and facts is not None:
        return release(batch, facts, "发布")
    return allow()


def object_to(user: User | None, batch: Batch, today: dt.date) -> Action:
    """Anyone signed in may object to a need of a batch during its notice window."""
    if batch.status != B.notice or batch.notice_start is None or batch.notice_end is None:
        return refuse_state("该榜单不在公示期内")
    if not on_notice(batch, today):
        return refuse_state(
            f"公示期为 {batch.notice_start.isoformat()} 至 {batch.notice_end.isoformat()}（中国标准时间），当前不在公示期内"
        )
    if user is None:
        return deny("请先登录后提出异议")
    return allow()


def resolve(user: User | None, objection: NeedObjection) -> Action:
    if user is None or not user.is_bureau_staff:
        return deny("只有科技局工作人员可以答复公示异议")
    if objection.resolved:
        return refuse_state("该异议已答复")
    return allow()


def batch_actions(session: Session, user: User | None, batch: Batch, today: dt.date | None = None) -> BatchActions:
    facts = read_facts(session, batch, today)
    return BatchActions(
        add_needs=compose(user, batch),
        remove_need=compose(user, batch),
        start_notice=move_to(user, batch, B.notice, "不能开始公示"),
        withdraw_notice=move_to(user, batch, B.draft, "不能撤回公示")
        if batch.status == B.notice
        else _state(batch, "不能撤回公示"),
        schedule=move_to(user, batch, B.scheduled, "不能定时发布"),
        publish=move_to(user, batch, B.published, "不能发布", facts),
    )
