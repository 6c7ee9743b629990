"""The audit viewer for bureau staff: search the whole log with filters, a record's history,
export. Read only."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from market import views
from market.audit.queries import AuditFilter
from market.audit.schemas import ACTION_PREFIXES, OBJECT_LABELS, action_label, object_label
from web.deps import SessionDep
from web.pages.common import BureauPage, int_or_none
from web.pages.render import render

router = APIRouter(tags=["页面 pages"], include_in_schema=False)
PER_PAGE = 50


def _date(raw: str | None) -> tuple[dt.date | None, str | None]:
    if not raw:
        return None, None
    try:
        return dt.date.fromisoformat(raw), None
    except ValueError:
        return None, "请填写有效日期（年-月-日）"


@router.get("/bureau/audit")
def audit_page(
    request: Request,
    session: SessionDep,
    user: BureauPage,
    actor_id: str = "",
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    date_from: str = "",
    date_to: str = "",
    page: int = 1,
) -> Response:
    errors: dict[str, str] = {}
    start, err = _date(date_from)
    if err:
        errors["date_from"] = err
    end, err = _date(date_to)
    if err:
        errors["date_to"] = err
    f = AuditFilter(
        actor_id=int_or_none(actor_id),
        action=action.strip()[:50] or None,
        object_type=object_type.strip()[:30] or None,
        object_id=int_or_none(object_id),
        date_from=start,
        date_to=end,
    )
    page = max(1, min(page, 10000))
    rows, total = views.audit_page(session, f, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    params = {k: v for k, v in {
        "actor_id": actor_id, "action": action, "object_type": object_type, "object_id": object_id,
        "date_from": date_from, "date_to": date_to,
    }.items() if v}  # fmt: skip
    return render(
        request,
        "audit/search.html",
        {
            "rows": rows,
            "total": total,
            "OBJECT_LABELS": OBJECT_LABELS,
            "ACTION_GROUPS": ACTION_PREFIXES,
            "action_label": action_label,
            "object_label": object_label,
            "form": params,
            "errors": errors,
            "page": page,
            "pages": max(1, (total + PER_PAGE - 1) // PER_PAGE),
            "query": urlencode(params),
        },
        user=user,
    )
