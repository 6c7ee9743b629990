"""Batches (榜单): numbering, composition, public notice with objections, publication."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from market import flows
from market.batches import service
from market.batches.schemas import BatchCreate
from market.errors import Conflict, Forbidden, NotFound
from market.notifications.models import Notification
from market.orgs.models import User
from tests import factories

TODAY = dt.date(2026, 12, 1)


def _titles(session: Session, user: User) -> list[str]:
    return list(session.scalars(select(Notification.title).where(Notification.user_id == user.id)))


def test_batches_are_numbered_per_year_and_only_the_bureau_makes_them(
    session: Session, bureau_user: User, enterprise_user: User
) -> None:
    first = service.create_batch(session, bureau_user, BatchCreate(year=2026))
    second = service.create_batch(session, bureau_user, BatchCreate(year=2026))
    other_year = service.create_batch(session, bureau_user, BatchCreate(year=2027))
    assert (first.title, second.title, other_year.title) == ("2026年第1批", "2026年第2批", "2027年第1批")
    with pytest.raises(Forbidden):
        service.create_batch(session, enterprise_user, BatchCreate(year=2026))


def test_only_approved_needs_join_and_only_until_publication(
    session: Session, bureau_user: User, enterprise_user: User
) -> None:
    batch = service.create_batch(session, bureau_user, BatchCreate(year=2026))
    draft = factories.create_need(session, org=enterprise_user.org, status="draft")
    approved = factories.create_need(session, org=enterprise_user.org, status="approved")
    with pytest.raises(Conflict, match="未审核通过"):
        service.add_needs(session, bureau_user, batch.id, [draft.id])
    service.add_needs(session, bureau_user, batch.id, [approved.id])
    assert service.batch_need_ids(session, batch.id) == [approved.id]
    other = service.create_batch(session, bureau_user, BatchCreate(year=2026))
    with pytest.raises(Conflict, match="其他榜单"):
        service.add_needs(session, bureau_user, other.id, [approved.id])
    flows.publish_batch(session, bureau_user, batch.id)
    late = factories.create_need(session, org=enterprise_user.org, status="approved")
    with pytest.raises(Conflict):
        service.add_needs(session, bureau_user, batch.id, [late.id])
    with pytest.raises(Conflict):
        service.remove_need(session, bureau_user, batch.id, approved.id)


def test_objections_during_notice_hold_publication_until_answered(
    session: Session, bureau_user: User, enterprise_user: User, provider_user: User
) -> None:
    batch = service.create_batch(session, bureau_user, BatchCreate(year=2026))
    need = factories.create_need(session, org=enterprise_user.org, status="approved")
    service.add_needs(session, bureau_user, batch.id, [need.id])
    service.start_notice(session, bureau_user, batch.id, TODAY, TODAY + dt.timedelta(days=7))
    with pytest.raises(Conflict, match="不在公示期内"):
        service.raise_objection(session, provider_user, need.id, "该需求与已发布需求重复", TODAY + dt.timedelta(days=8))
    objection = service.raise_objection(session, provider_user, need.id, "该需求与已发布需求重复", TODAY)
    assert any("公示异议" in t for t in _titles(session, bureau_user))
    with pytest.raises(Conflict, match="异议未处理"):
        flows.publish_batch(session, bureau_user, batch.id)
    service.resolve_objection(session, bureau_user, objection.id, "经核查不重复，维持发布")
    flows.publish_batch(session, bureau_user, batch.id)
    assert need.status == "published" and need.published_at is not None


def test_publishing_tells_the_enterprise_and_the_providers(
    session: Session, bureau_user: User, enterprise_user: User, provider_user: User
) -> None:
    batch = service.create_batch(session, bureau_user, BatchCreate(year=2026))
    need = factories.create_need(session, org=enterprise_user.org, status="approved")
    service.add_needs(session, bureau_user, batch.id, [need.id])
    flows.publish_batch(session, bureau_user, batch.id)
    assert any(t == f"您的需求已随{batch.title}发榜：{need.title}" for t in _titles(session, enterprise_user))
    assert any(t == f"新榜单发布：{batch.title}" for t in _titles(session, provider_user))


def test_scheduled_batches_publish_on_their_day_and_wait_for_objections(
    session: Session, bureau_user: User, enterprise_user: User, provider_user: User
) -> None:
    due = service.create_batch(session, bureau_user, BatchCreate(year=2026))
    held = service.create_batch(session, bureau_user, BatchCreate(year=2026))
    for batch in (due, held):
        service.add_needs(session, bureau_user, batch.id, [factories.create_need(session, org=enterprise_user.org, status="approved").id])
    service.start_notice(session, bureau_user, held.id, TODAY, TODAY)
    held_need = service.batch_need_ids(session, held.id)[0]
    service.raise_objection(session, provider_user, held_need, "请核实该需求的企业信息", TODAY)
    service.schedule(session, bureau_user, due.id, TODAY)
    service.schedule(session, bureau_user, held.id, TODAY)
    assert flows.publish_due(session, TODAY + dt.timedelta(days=1)) == [due.id]
    assert due.status == "published" and held.status == "scheduled"


def test_unpublished_batches_exist_only_for_the_bureau(session: Session, bureau_user: User, enterprise_user: User) -> None:
    draft = service.create_batch(session, bureau_user, BatchCreate(year=2026))
    assert [b.id for b in service.list_batches(session, None)] == []
    assert draft.id in [b.id for b in service.list_batches(session, bureau_user)]
    with pytest.raises(NotFound):
        service.batch_for_viewer(session, enterprise_user, draft.id)
    assert service.batch_for_viewer(session, bureau_user, draft.id) is draft
