"""Steps that cross concepts, each calling the concepts' services in order in the caller's
transaction (Dispatch's ``flows.py``). The concept packages never call each other in circles:
what one step does to a need, its proposals, its deal and its batch is written here once, and the
API, the pages and the job loop call these."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from market.batches import service as batches
from market.batches.models import Batch
from market.db import utcnow
from market.deals import service as deals
from market.deals.models import Deal
from market.deals.schemas import DealAdvance
from market.deals.states import NEED_STATUS_FOR_STAGE, DealStage
from market.errors import Conflict
from market.needs import service as needs
from market.needs.models import Need, NeedRevision
from market.needs.states import OPEN_FOR_RESPONSES, NeedStatus
from market.notifications import service as notify
from market.orgs.models import Organisation, OrgKind, User
from market.outbox import service as outbox
from market.outbox.models import OutboxEntry
from market.responses import service as responses
from market.responses.models import Response
from market.responses.schemas import ResponseCreate


def submit_response(session: Session, actor: User, need_id: int, response_in: ResponseCreate, today: dt.date | None = None) -> Response:
    """A provider responds (揭榜): the proposal is stored and the first one moves the need to 已揭榜."""
    response = responses.submit(session, actor, need_id, response_in, today)
    needs.mark_taken_up(session, needs.get_need(session, need_id), actor)
    session.flush()
    return response


def select_response(session: Session, actor: User, response_id: int, note: str = "", others_reason: str = "") -> tuple[Response, Deal]:
    """The enterprise selects its partner: the proposal is selected, every other open proposal gets
    its decision (未入选：已选定其他揭榜方, or the enterprise's words), the deal opens at 对接 and the
    need moves to 已选定揭榜方."""
    response, need = responses.select_response(session, actor, response_id, note)
    responses.decline_open(session, need, actor, "partner_selected", others_reason, keep=response.id)
    needs.move_with_deal(session, need, actor, NeedStatus.selected)
    deal = deals.open_deal(session, actor, response, need)
    session.flush()
    return response, deal


def advance_deal(session: Session, actor: User, deal_id: int, advance_in: DealAdvance) -> Deal:
    """A deal moves on and its need follows: signing contracts the need, conversion converts it; a
    failed deal before signing puts the need back to 已揭榜, open for another partner."""
    deal = deals.advance(session, actor, deal_id, advance_in)
    need = needs.get_need(session, deal.need_id)
    stage = DealStage(deal.stage)
    if stage in NEED_STATUS_FOR_STAGE:
        needs.move_with_deal(session, need, actor, NEED_STATUS_FOR_STAGE[stage])
    elif deal.stage == DealStage.failed and need.status == NeedStatus.selected:
        needs.move_with_deal(session, need, actor, NeedStatus.taken_up)
    session.flush()
    return deal


def _close_need_business(session: Session, need: Need, actor: User | None, reason_code: str, reason_text: str) -> None:
    """A need that leaves the list leaves nobody waiting: its open deal ends as 未成交 (both parties
    are told) and every open proposal gets its decision."""
    deal = deals.open_deal_of_need(session, need.id)
    if deal is not None and actor is not None:
        failed = DealAdvance.model_validate({"stage": DealStage.failed, "failure_reason": reason_text})
        deals.advance(session, actor, deal.id, failed)
    responses.decline_open(session, need, actor, reason_code, reason_text)


def withdraw_need(session: Session, actor: User, need_id: int, reason_text: str = "") -> Need:
    """The enterprise withdraws its need, at any step up to a selected partner."""
    need = needs.withdraw(session, actor, need_id, reason_text)
    _close_need_business(session, need, actor, "need_withdrawn", f"发榜企业撤回了该需求。{reason_text}".rstrip("。") + "。")
    session.flush()
    return need


def expire_overdue(session: Session, today: dt.date) -> int:
    """Open needs past their deadline expire and their open proposals get a decision (job loop)."""
    expired = list(needs.overdue(session, today))
    for need in expired:
        needs.expire(session, need)
        responses.decline_open(session, need, None, "need_expired", "该需求已过揭榜截止日期，未选定揭榜方。")
    session.flush()
    return len(expired)


def approve_revision(session: Session, actor: User, need_id: int, note: str = "") -> tuple[Need, NeedRevision]:
    """The bureau accepts an edit of a published need; providers with open proposals are told."""
    need, revision = needs.approve_revision(session, actor, need_id, note)
    for org_id in responses.responding_orgs(session, need):
        notify.notify_org(
            session, org_id, "need.revised", f"您揭榜的需求内容已更新：{need.title}",
            "发榜企业修改了需求并经科技局审核，请查看最新内容，必要时补充方案。", f"/needs/{need.id}",
        )
    session.flush()
    return need, revision


def publish_batch(
    session: Session, actor: User | None, batch_id: int, now: dt.datetime | None = None, today: dt.date | None = None
) -> Batch:
    """A batch goes public: each approved need in it is published (its enterprise told), verified
    providers hear of the new list; each provider's matching saved searches fire from the worker
    (a ``saved_search`` job per need, :class:`SavedSearchHandler`)."""
    now = now or utcnow()
    batch, approved = batches.publish(session, actor, batch_id, now, today)
    for need in approved:
        needs.publish_in_batch(session, need, actor, now, batch.title)
        # Saved searches (SavedSearchHandler) and matching capability profiles (search/alerts.py)
        # are matched by the worker, after this transaction: publishing does not loop over every
        # saved search while it holds the write.
        outbox.enqueue(session, "saved_search", need.id)
        outbox.enqueue(session, "match_alert", need.id)
    provider_orgs = session.scalars(
        select(Organisation.id).where(
            Organisation.kind.in_([OrgKind.university, OrgKind.institute, OrgKind.provider]),
            Organisation.verification == "verified",
        )
    ).all()
    count = len(batches.batch_need_ids(session, batch.id))
    for org_id in provider_orgs:
        notify.notify_org(
            session, org_id, "batch.published", f"新榜单发布：{batch.title}", f"共 {count} 项需求", f"/needs?batch_id={batch.id}"
        )
    session.flush()
    return batch


def publish_due(session: Session, today: dt.date) -> list[int]:
    """Scheduled batches whose date has come are published (the job loop calls this); one that
    cannot be published yet (an open objection) waits for the next round."""
    published = []
    for batch in batches.due(session, today):
        try:
            with session.begin_nested():
                publish_batch(session, None, batch.id, today=today)
            published.append(batch.id)
        except Conflict:
            continue
    return published


@dataclass
class SavedSearchHandler:
    """The outbox worker's handler for topic ``saved_search`` (one entry per need published in a
    batch, written by :func:`publish_batch`): the need's keyword-matching saved searches are
    told, each user once, in a transaction of its own per need. A need no longer open for
    responses when its turn comes tells nobody."""

    session_factory: sessionmaker[Session]
    lease_s: float = 120.0
    batch_size: int = 20
    now: Callable[[], dt.datetime] = utcnow

    def run_once(self) -> int:
        done = 0
        for entry_id, need_id in outbox.claim_jobs(self.session_factory, "saved_search", self.now(), self.lease_s, self.batch_size):
            with self.session_factory() as session:
                need = session.get(Need, need_id)
                entry = session.get(OutboxEntry, entry_id)
                if need is not None and need.status in OPEN_FOR_RESPONSES:
                    notify.notify_matching_subscriptions(session, need)
                if entry is not None:
                    entry.status = "done"
                    entry.processed_at = self.now()
                    entry.last_error = ""
                session.commit()
            done += 1
        return done
