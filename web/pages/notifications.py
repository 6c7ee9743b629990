"""In-app notifications: the list, mark one or all as read, follow the link."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from market.notifications import service as notify
from web.deps import SessionDep
from web.pages.common import SignedIn
from web.pages.render import redirect, render

router = APIRouter(tags=["页面 pages"], include_in_schema=False)
PER_PAGE = 30


@router.get("/notifications")
def notifications(
    request: Request,
    session: SessionDep,
    user: SignedIn,
    unread: bool = False,
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
) -> Response:
    rows, total = notify.list_for(
        session, user, unread_only=unread, offset=(page - 1) * PER_PAGE, limit=PER_PAGE
    )
    return render(
        request,
        "notifications/list.html",
        {
            "rows": rows,
            "total": total,
            "page": page,
            "total_pages": max(1, -(-total // PER_PAGE)),
            "only_unread": unread,
        },
        user=user,
    )


@router.post("/notifications/{notification_id}/open")
def open_notification(
    notification_id: int, request: Request, session: SessionDep, user: SignedIn
) -> Response:
    note = notify.mark_read(session, user, notification_id)
    link = note.link if note.link.startswith("/") and not note.link.startswith("//") else "/notifications"
    return redirect(link)


@router.post("/notifications/read-all")
def read_all(request: Request, session: SessionDep, user: SignedIn) -> Response:
    n = notify.mark_all_read(session, user)
    return redirect("/notifications", f"已将 {n} 条通知标为已读")
