"""Outbox entries are written in the transaction of the change that needs them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.needs import service as needs
from market.needs.schemas import NeedCreate
from market.orgs.models import User
from market.outbox import service
from market.outbox.models import OutboxEntry
from tests import factories


def test_enqueue_marks_the_unit_of_work_so_the_worker_is_woken(session: Session) -> None:
    session.info.pop("outbox_dirty", None)
    service.enqueue(session, "need", 42)
    session.flush()
    entry = session.scalar(select(OutboxEntry).where(OutboxEntry.record_id == 42))
    assert entry is not None and (entry.topic, entry.op, entry.status) == ("need", "upsert", "pending")
    assert session.info["outbox_dirty"] is True


def test_a_need_saved_is_queued_for_the_index_with_it(session: Session, enterprise_user: User) -> None:
    need = needs.create_need(session, enterprise_user, NeedCreate.model_validate(factories.need_fields()))
    session.flush()
    topics = session.execute(select(OutboxEntry.topic, OutboxEntry.record_id).where(OutboxEntry.record_id == need.id)).all()
    assert ("need", need.id) in topics
