"""Notifications API (in-app messages) and providers' saved searches (订阅)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import Response
from pydantic import BaseModel

from market.db import DbId
from market.notifications import service
from market.notifications.schemas import NotificationOut, SavedSearchIn, SavedSearchOut
from web.api.common import Paginated
from web.deps import CurrentUser, PageDep, SessionDep
from web.errors import RESPONSES_READ, RESPONSES_WRITE, responses

router = APIRouter(tags=["通知 notifications"])


class UnreadCount(BaseModel):
    unread: int


class MarkedCount(BaseModel):
    marked: int


@router.get("/notifications", response_model=Paginated[NotificationOut], responses=responses(401, 422))
def list_notifications(
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    unread: Annotated[bool, Query(description="仅未读")] = False,
) -> Paginated[NotificationOut]:
    """我的通知，最新在前。"""
    rows, total = service.list_for(session, user, unread_only=unread, offset=page.offset, limit=page.per_page)
    return Paginated(
        items=[NotificationOut.model_validate(n) for n in rows], total=total, page=page.page, per_page=page.per_page
    )


@router.get("/notifications/unread-count", response_model=UnreadCount, responses=responses(401))
def unread_count(session: SessionDep, user: CurrentUser) -> UnreadCount:
    return UnreadCount(unread=service.unread_count(session, user))


@router.post("/notifications/read-all", response_model=MarkedCount, responses=responses(401))
def mark_all_read(session: SessionDep, user: CurrentUser) -> MarkedCount:
    """全部标为已读。"""
    return MarkedCount(marked=service.mark_all_read(session, user))


@router.post("/notifications/{notification_id}/read", response_model=NotificationOut, responses=RESPONSES_READ)
def mark_read(notification_id: DbId, session: SessionDep, user: CurrentUser) -> NotificationOut:
    return NotificationOut.model_validate(service.mark_read(session, user, notification_id))


@router.get("/saved-searches", response_model=list[SavedSearchOut], responses=responses(401))
def list_saved_searches(session: SessionDep, user: CurrentUser) -> list[SavedSearchOut]:
    """我的需求订阅。"""
    return [SavedSearchOut.model_validate(s) for s in service.list_saved_searches(session, user)]


@router.post("/saved-searches", response_model=SavedSearchOut, status_code=status.HTTP_201_CREATED, responses=RESPONSES_WRITE)
def create_saved_search(search_in: SavedSearchIn, session: SessionDep, user: CurrentUser) -> SavedSearchOut:
    """揭榜方订阅需求：关键词 + 行业 / 县（市、区）/ 改造方向；新需求发榜且匹配时通知。"""
    return SavedSearchOut.model_validate(service.create_saved_search(session, user, search_in))


@router.get("/saved-searches/{search_id}", response_model=SavedSearchOut, responses=RESPONSES_READ)
def get_saved_search(search_id: DbId, session: SessionDep, user: CurrentUser) -> SavedSearchOut:
    return SavedSearchOut.model_validate(service.get_saved_search(session, user, search_id))


@router.put("/saved-searches/{search_id}", response_model=SavedSearchOut, responses=RESPONSES_WRITE)
def update_saved_search(search_id: DbId, search_in: SavedSearchIn, session: SessionDep, user: CurrentUser) -> SavedSearchOut:
    return SavedSearchOut.model_validate(service.update_saved_search(session, user, search_id, search_in))


@router.delete("/saved-searches/{search_id}", status_code=204, responses=RESPONSES_READ)
def delete_saved_search(search_id: DbId, session: SessionDep, user: CurrentUser) -> Response:
    service.delete_saved_search(session, user, search_id)
    return Response(status_code=204)
