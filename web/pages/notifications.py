"""In-app notifications (the list, mark one or all as read, follow the link) and saved searches
(需求订阅) that notify a provider of matching new needs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from market.db import DbId
from market.errors import DomainError
from market.notifications import service as notify
from market.notifications.schemas import SavedSearchIn
from web.deps import SessionDep
from web.pages.common import Form, ProviderPage, SignedIn
from web.pages.render import field_errors, form_dict, redirect, render

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
    notification_id: DbId, request: Request, session: SessionDep, user: SignedIn
) -> Response:
    note = notify.mark_read(session, user, notification_id)
    link = note.link if note.link.startswith("/") and not note.link.startswith("//") else "/notifications"
    return redirect(link)


@router.post("/notifications/read-all")
def read_all(request: Request, session: SessionDep, user: SignedIn) -> Response:
    n = notify.mark_all_read(session, user)
    return redirect("/notifications", f"已将 {n} 条通知标为已读")


# --- saved searches (需求订阅) ---


@router.get("/provider/saved-searches")
def saved_searches(request: Request, session: SessionDep, user: ProviderPage) -> Response:
    return render(
        request,
        "notifications/saved_searches.html",
        {"saved": notify.list_saved_searches(session, user), "form": {}, "errors": {}},
        user=user,
    )


@router.post("/provider/saved-searches")
def saved_create(request: Request, form: Form, session: SessionDep, user: ProviderPage) -> Response:
    data = form_dict(form, bools=("notify",))
    filters = {k: data.get(k) or None for k in ("industry", "county", "track")}
    try:
        notify.create_saved_search(
            session,
            user,
            SavedSearchIn.model_validate(
                {
                    "name": data.get("name", ""),
                    "query": data.get("query", ""),
                    "filters": filters,
                    "notify": data.get("notify", False),
                }
            ),
        )
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status_code not in (409, 422):
            raise
        errs = field_errors(exc)
        return render(
            request,
            "notifications/saved_searches.html",
            {"saved": notify.list_saved_searches(session, user), "form": data, "errors": errs},
            user=user,
            status_code=422,
        )
    return redirect("/provider/saved-searches", "订阅已保存，有匹配的新需求发榜时将通知您")


@router.post("/provider/saved-searches/{search_id}/delete")
def saved_delete(search_id: DbId, request: Request, session: SessionDep, user: ProviderPage) -> Response:
    notify.delete_saved_search(session, user, search_id)
    return redirect("/provider/saved-searches", "订阅已删除")
