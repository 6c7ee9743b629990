"""The bureau's office settings page (minimum expert scores before approval, minimum notice, the
holiday calendar that notice periods count working days by)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from market.errors import DomainError
from market.office import service
from market.orgs.models import User
from web.deps import SessionDep
from web.pages.common import BureauPage, Form, int_or_none
from web.pages.render import field_errors, redirect, render

router = APIRouter(tags=["页面 pages"], include_in_schema=False)
CALENDAR_FIELDS = {"holidays": "法定节假日", "workdays": "调休上班日"}
# A pasted calendar is a few thousand characters; anything longer is refused, not parsed.
MAX_CALENDAR_TEXT = 20000


def _page(
    request: Request, session: Session, user: User, *, form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    settings = service.all_settings(session)
    holidays, workdays = service.calendar_lists(session)
    calendar = {"holidays": service.format_days(holidays), "workdays": service.format_days(workdays)}
    if form is not None:
        settings = [{**s, "value": form.get(str(s["key"]), s["value"])} for s in settings]
        calendar = {k: str(form.get(k, "")) for k in CALENDAR_FIELDS}
    return render(
        request,
        "office/settings.html",
        {"settings": settings, "calendar": calendar, "errors": errors or {}, "max_days": service.MAX_CALENDAR_DAYS},
        user=user,
        status_code=status_code,
    )


def _field_only(exc: DomainError) -> dict[str, str]:
    if exc.status_code != 422:
        raise exc
    errs = field_errors(exc)
    return {k: v for k, v in errs.items() if k != "__all__"} or errs


@router.get("/bureau/settings")
def settings_page(request: Request, session: SessionDep, user: BureauPage) -> Response:
    return _page(request, session, user)


@router.post("/bureau/settings")
def settings_save(request: Request, form: Form, session: SessionDep, user: BureauPage) -> Response:
    errors: dict[str, str] = {}
    values: dict[str, int] = {}
    for d in service.SETTINGS.values():
        value = int_or_none(str(form.get(d.key, "")).strip())
        if value is None:
            errors[d.key] = f"{d.label}须为整数"
        elif not d.minimum <= value <= d.maximum:
            errors[d.key] = f"{d.label}须在 {d.minimum}–{d.maximum} 之间"
        else:
            values[d.key] = value
    days: dict[str, list[dt.date]] = {}
    for key, label in CALENDAR_FIELDS.items():
        text = str(form.get(key, ""))
        if len(text) > MAX_CALENDAR_TEXT:
            errors[key] = f"{label}内容过长，请删去已过去的年份"
            continue
        try:
            days[key] = service.parse_days(text, key, label)
        except DomainError as exc:
            errors |= _field_only(exc)
    if len(days) == len(CALENDAR_FIELDS):
        try:
            service.check_calendar(days["holidays"], days["workdays"])
        except DomainError as exc:
            errors |= _field_only(exc)
    if not errors:  # all or nothing: everything was checked before the first change
        for key, value in values.items():
            service.set_value(session, user, key, value)
        service.set_calendar(session, user, days["holidays"], days["workdays"])
    if errors:
        shown = {**{k: str(v) for k, v in form.items() if isinstance(v, str)}}
        return _page(request, session, user, form=shown, errors=errors, status_code=422)
    return redirect("/bureau/settings", "办公设置已保存")
