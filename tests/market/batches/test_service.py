"""Batches (榜单): numbering, composition, public notice (公示) with objections, publication."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from market import flows
from market.audit.models import AuditEntry
from market.batches import access, queries, service
from market.batches.models import Batch
from market.batches.schemas import BatchCreate
from market.db import CST
from market.errors import Conflict, Forbidden, IllegalTransition, Invalid, NotFound
from market.needs.models import Need
from market.notifications.models import Notification
from market.office import service as office
from market.orgs.models import User
from tests import factories

TODAY = dt.datetime.now(CST).date()
MONDAY = TODAY + dt.timedelta(days=(7 - TODAY.weekday()) % 7 or 7)  # the next Monday


def _titles(session: Session, user: User) -> list[str]:
    return list(session.scalars(select(Notification.title).where(Notification.user_id == user.id)))


def _composed(session: Session, bureau_user: User, enterprise_user: User, **need: object) -> tuple[Batch, int]:
    batch = service.create_batch(session, bureau_user, BatchCreate(year=2026))
    n = factories.create_need(session, org=enterprise_user.org, status="approved", **need)
    service.add_needs(session, bureau_user, batch.id, [n.id])
    return batch, n.id


def test_batches_are_numbered_per_year_and_only_the_bureau_makes_them(
    session: Session, bureau_user: User, enterprise_user: User
) -> None:
    first = service.create_batch(session, bureau_user, BatchCreate(year=2026))
    second = service.create_batch(session, bureau_user, BatchCreate(year=2026))
    other_year = service.create_batch(session, bureau_user, BatchCreate(year=2027))
    assert (first.title, second.title, other_year.title) == ("2026年第1批", "2026年第2批", "2027年第1批")
    with pytest.raises(Forbidden):
        service.create_batch(session, enterprise_user, BatchCreate(year=2026))


def test_only_approved_needs_join_and_only_while_composing(
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
    factories.past_notice(session, batch)
    late = factories.create_need(session, org=enterprise_user.org, status="approved")
    with pytest.raises(Conflict):  # the public is asked about exactly the needs shown
        service.add_needs(session, bureau_user, batch.id, [late.id])
    flows.publish_batch(session, bureau_user, batch.id)
    with pytest.raises(Conflict):
        service.remove_need(session, bureau_user, batch.id, approved.id)


def test_no_batch_skips_the_notice(session: Session, bureau_user: User, enterprise_user: User) -> None:
    batch, _ = _composed(session, bureau_user, enterprise_user)
    with pytest.raises(IllegalTransition):
        flows.publish_batch(session, bureau_user, batch.id)
    with pytest.raises(IllegalTransition):
        service.schedule(session, bureau_user, batch.id, TODAY + dt.timedelta(days=30))
    assert batch.status == "draft"


def test_notice_needs_five_working_days_by_default_and_starts_today_or_later(
    session: Session, bureau_user: User, enterprise_user: User
) -> None:
    batch, _ = _composed(session, bureau_user, enterprise_user)
    with pytest.raises(Invalid) as short:
        # Monday to Thursday: four working days
        service.start_notice(session, bureau_user, batch.id, MONDAY, MONDAY + dt.timedelta(days=3))
    assert short.value.details[0]["field"] == "notice_end" and "至少包含 5 个工作日" in short.value.message
    with pytest.raises(Invalid) as weekend:
        # Thursday to the next Tuesday is six days but four working days
        thursday = MONDAY + dt.timedelta(days=3)
        service.start_notice(session, bureau_user, batch.id, thursday, thursday + dt.timedelta(days=5))
    assert "只有 4 个" in weekend.value.message
    with pytest.raises(Invalid) as past:
        service.start_notice(session, bureau_user, batch.id, TODAY - dt.timedelta(days=1), TODAY + dt.timedelta(days=10))
    assert past.value.details[0]["field"] == "notice_start"
    service.start_notice(session, bureau_user, batch.id, MONDAY, MONDAY + dt.timedelta(days=4))
    assert batch.status == "notice"
    # The bureau configures the minimum.
    office.set_value(session, bureau_user, office.NOTICE_MIN_WORKING_DAYS, 10)
    second, _ = _composed(session, bureau_user, enterprise_user)
    with pytest.raises(Invalid, match="至少包含 10 个工作日"):
        service.start_notice(session, bureau_user, second.id, MONDAY, MONDAY + dt.timedelta(days=4))
    with pytest.raises(Forbidden):
        office.set_value(session, enterprise_user, office.NOTICE_MIN_WORKING_DAYS, 1)


def test_working_days_count_monday_to_friday() -> None:
    monday = dt.date(2026, 11, 30)
    assert service.working_days(monday, monday + dt.timedelta(days=4)) == 5
    assert service.working_days(monday, monday + dt.timedelta(days=6)) == 5
    assert service.working_days(monday, monday + dt.timedelta(days=13)) == 10
    assert service.working_days(monday + dt.timedelta(days=5), monday + dt.timedelta(days=6)) == 0


def test_publication_waits_for_the_end_of_the_notice_and_for_every_answer(
    session: Session, bureau_user: User, enterprise_user: User, provider_user: User
) -> None:
    batch, need_id = _composed(session, bureau_user, enterprise_user)
    service.start_notice(session, bureau_user, batch.id, TODAY, TODAY + dt.timedelta(days=7))
    objection = service.raise_objection(session, provider_user, need_id, "该需求与已发布需求重复", TODAY)
    assert any("公示异议" in t for t in _titles(session, bureau_user))
    with pytest.raises(Conflict, match="公示期满后才能发布"):
        flows.publish_batch(session, bureau_user, batch.id)
    last_day = dt.datetime.combine(TODAY + dt.timedelta(days=7), dt.time(23, 0), CST)
    with pytest.raises(Conflict, match="公示期满后才能发布"):
        flows.publish_batch(session, bureau_user, batch.id, last_day)
    after = dt.datetime.combine(TODAY + dt.timedelta(days=8), dt.time(0, 30), CST)  # 16:30 UTC the day before
    with pytest.raises(Conflict, match="异议未处理"):
        flows.publish_batch(session, bureau_user, batch.id, after)
    actions = access.batch_actions(session, bureau_user, batch, TODAY + dt.timedelta(days=8))
    assert not actions.publish.allowed and "异议未处理" in (actions.publish.reason or "")
    with pytest.raises(Forbidden):
        service.resolve_objection(session, provider_user, objection.id, "自己答复")
    with pytest.raises(Invalid):
        service.resolve_objection(session, bureau_user, objection.id, " ")
    service.resolve_objection(session, bureau_user, objection.id, "经核查不重复，维持发布")
    with pytest.raises(Conflict):
        service.resolve_objection(session, bureau_user, objection.id, "再答复一次")
    told = session.scalars(select(Notification).where(Notification.user_id == provider_user.id, Notification.kind == "objection.answered")).one()
    assert told.body == "经核查不重复，维持发布" and told.link == f"/notices/{batch.id}"
    flows.publish_batch(session, bureau_user, batch.id, after)
    published = session.get(Need, need_id)
    assert published is not None and published.status == "published"
    logged = session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "need", AuditEntry.object_id == need_id)).all()
    assert {"need.objection", "need.objection_resolved"} <= set(logged)


def test_objections_only_within_the_window_in_china_standard_time(
    session: Session, bureau_user: User, enterprise_user: User, provider_user: User
) -> None:
    batch, need_id = _composed(session, bureau_user, enterprise_user)
    start = TODAY + dt.timedelta(days=1)
    service.start_notice(session, bureau_user, batch.id, start, start + dt.timedelta(days=9))
    with pytest.raises(Conflict, match="当前不在公示期内"):
        service.raise_objection(session, provider_user, need_id, "公示尚未开始时提出", TODAY)
    with pytest.raises(Conflict, match="当前不在公示期内"):
        service.raise_objection(session, provider_user, need_id, "公示结束后提出", start + dt.timedelta(days=10))
    assert service.raise_objection(session, provider_user, need_id, "公示最后一天提出", start + dt.timedelta(days=9)).id
    # The public sees the batch on notice, the bureau's draft batches stay hidden.
    assert batch.id in [b.id for b in service.list_batches(session, None)]
    assert service.batch_for_viewer(session, None, batch.id) is batch


def test_the_public_notice_shows_only_what_each_disclosure_level_allows(
    session: Session, bureau_user: User, enterprise_user: User, provider_user: User
) -> None:
    batch = service.create_batch(session, bureau_user, BatchCreate(year=2026))
    public = factories.create_need(session, org=enterprise_user.org, status="approved", title="公开需求：冲压模具在线监测")
    invite = factories.create_need(session, org=enterprise_user.org, status="approved", disclosure="invite", anonymous=True, title="邀请需求：特种涂层配方")
    service.add_needs(session, bureau_user, batch.id, [public.id, invite.id])
    service.start_notice(session, bureau_user, batch.id, TODAY, TODAY + dt.timedelta(days=9))
    shown = queries.notice(session, None, batch.id)
    by_id = {n.id: n for n in shown.needs}
    assert by_id[public.id].summary == public.summary and by_id[public.id].org_name == enterprise_user.org.name
    assert by_id[invite.id].summary is None and by_id[invite.id].budget_max_wan is None
    assert by_id[invite.id].org_name is None  # anonymous
    assert shown.open_now and shown.notice_end == TODAY + dt.timedelta(days=9)
    assert not shown.object.allowed and shown.object.reason == "请先登录后提出异议"
    assert "书面答复" in shown.how_to_object
    service.raise_objection(session, provider_user, public.id, "该需求的预算与市场价差距过大")
    mine = queries.notice(session, provider_user, batch.id)
    assert mine.object.allowed and [o.need_id for o in mine.my_objections] == [public.id]
    assert queries.notice(session, enterprise_user, batch.id).my_objections == []
    draft = service.create_batch(session, bureau_user, BatchCreate(year=2026))
    with pytest.raises(NotFound):
        queries.notice(session, None, draft.id)


def test_publishing_tells_the_enterprise_and_the_providers(
    session: Session, bureau_user: User, enterprise_user: User, provider_user: User
) -> None:
    batch, need_id = _composed(session, bureau_user, enterprise_user)
    factories.past_notice(session, batch)
    flows.publish_batch(session, bureau_user, batch.id)
    need = session.get(Need, need_id)
    assert need is not None
    assert any(t == f"您的需求已随{batch.title}发榜：{need.title}" for t in _titles(session, enterprise_user))
    assert any(t == f"新榜单发布：{batch.title}" for t in _titles(session, provider_user))


def test_scheduled_batches_publish_on_their_day_and_wait_for_objections(
    session: Session, bureau_user: User, enterprise_user: User, provider_user: User
) -> None:
    due, _ = _composed(session, bureau_user, enterprise_user)
    held, held_need = _composed(session, bureau_user, enterprise_user)
    service.start_notice(session, bureau_user, due.id, TODAY, TODAY + dt.timedelta(days=9))
    service.start_notice(session, bureau_user, held.id, TODAY, TODAY + dt.timedelta(days=9))
    service.raise_objection(session, provider_user, held_need, "请核实该需求的企业信息", TODAY)
    with pytest.raises(Invalid) as early:
        service.schedule(session, bureau_user, due.id, TODAY + dt.timedelta(days=9))
    assert early.value.details[0]["field"] == "publish_on"
    day = TODAY + dt.timedelta(days=10)
    service.schedule(session, bureau_user, due.id, day)
    service.schedule(session, bureau_user, held.id, day)
    assert flows.publish_due(session, TODAY + dt.timedelta(days=9)) == []
    assert flows.publish_due(session, day) == [due.id]
    assert due.status == "published" and held.status == "scheduled"


def test_unpublished_batches_exist_only_for_the_bureau(session: Session, bureau_user: User, enterprise_user: User) -> None:
    draft = service.create_batch(session, bureau_user, BatchCreate(year=2026))
    assert [b.id for b in service.list_batches(session, None)] == []
    assert draft.id in [b.id for b in service.list_batches(session, bureau_user)]
    with pytest.raises(NotFound):
        service.batch_for_viewer(session, enterprise_user, draft.id)
    assert service.batch_for_viewer(session, bureau_user, draft.id) is draft


def test_withdrawing_the_notice_returns_to_composing(session: Session, bureau_user: User, enterprise_user: User) -> None:
    batch, _ = _composed(session, bureau_user, enterprise_user)
    service.start_notice(session, bureau_user, batch.id, TODAY, TODAY + dt.timedelta(days=9))
    service.withdraw_notice(session, bureau_user, batch.id)
    assert batch.status == "draft" and batch.notice_end is None
    with pytest.raises(IllegalTransition):
        flows.publish_batch(session, bureau_user, batch.id)
