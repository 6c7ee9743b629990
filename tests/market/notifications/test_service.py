"""Notifications: who is told, reading and marking one's own, saved searches."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from market.errors import Conflict, Forbidden, NotFound
from market.notifications import service
from market.notifications.schemas import SavedSearchIn
from market.orgs.models import Role, User
from tests import factories


def test_an_organisation_is_told_through_its_active_members(session: Session, enterprise_user: User) -> None:
    colleague = factories.create_user(session, enterprise_user.org)
    gone = factories.create_user(session, enterprise_user.org)
    gone.is_active = False
    session.flush()
    assert service.notify_org(session, enterprise_user.org_id, "test", "测试通知") == 2
    session.flush()
    assert service.unread_count(session, enterprise_user) == 1 and service.unread_count(session, colleague) == 1
    assert service.unread_count(session, gone) == 0


def test_bureau_tasks_reach_reviewers_and_admins_only(session: Session, bureau_user: User) -> None:
    clerk = factories.create_user(session, bureau_user.org, roles=[Role.member.value])
    service.notify_bureau(session, "need.submitted", "新需求待审核")
    session.flush()
    assert service.unread_count(session, bureau_user) == 1 and service.unread_count(session, clerk) == 0


def test_each_user_reads_and_marks_only_their_own(session: Session, enterprise_user: User, provider_user: User) -> None:
    service.notify_users(session, [enterprise_user.id, provider_user.id], "test", "一条")
    service.notify_users(session, [enterprise_user.id], "test", "两条")
    session.flush()
    mine, total = service.list_for(session, enterprise_user)
    assert total == 2 and [n.title for n in mine] == ["两条", "一条"]
    with pytest.raises(NotFound):
        service.mark_read(session, provider_user, mine[0].id)
    service.mark_read(session, enterprise_user, mine[0].id)
    assert service.unread_count(session, enterprise_user) == 1
    assert service.mark_all_read(session, enterprise_user) == 1
    assert service.unread_count(session, enterprise_user) == 0 and service.unread_count(session, provider_user) == 1


def test_saved_searches_are_for_providers_and_limited(session: Session, provider_user: User, enterprise_user: User) -> None:
    search_in = SavedSearchIn.model_validate({"name": "余热", "query": "余热 回收", "filters": {"track": "green"}, "notify": True})
    with pytest.raises(Forbidden):
        service.create_saved_search(session, enterprise_user, search_in)
    for _ in range(service.MAX_SAVED_SEARCHES):
        service.create_saved_search(session, provider_user, search_in)
    with pytest.raises(Conflict):
        service.create_saved_search(session, provider_user, search_in)


def test_a_saved_search_matches_every_keyword_and_filter(session: Session, provider_user: User, enterprise_user: User) -> None:
    saved = service.create_saved_search(
        session, provider_user, SavedSearchIn.model_validate({"name": "余热", "query": "余热 回收", "filters": {"track": "green"}, "notify": True})
    )
    need = factories.create_need(
        session, org=enterprise_user.org, status="published", title="注塑车间余热回收与能耗监测", track="both",
        summary="希望对注塑机余热进行回收利用。",
    )
    assert service.search_matches(saved, need)
    need.track = "digital"
    assert not service.search_matches(saved, need)
    need.track, need.title, need.summary = "green", "注塑车间能耗监测", "建立能耗在线监测平台。"
    assert not service.search_matches(saved, need)
    need.title = "注塑车间余热回收"
    assert service.notify_matching_subscriptions(session, need) == 1
