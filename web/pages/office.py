"""The bureau's office settings page (minimum expert scores before approval, minimum notice)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from market.errors import DomainError
from market.office import service
from web.deps import SessionDep
from web.pages.common import BureauPage, Form, int_or_none
from web.pages.render import redirect, render

router = APIRouter(tags=["页面 pages"], include_in_schema=False)


@router.get("/bureau/settings")
def settings_page(request: Request, session: SessionDep, user: BureauPage) -> Response:
    return render(request, "office/settings.html", {"settings": service.all_settings(session), "errors": {}}, user=user)


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
    if not errors:  # all or nothing
        for key, value in values.items():
            try:
                service.set_value(session, user, key, value)
            except DomainError as exc:
                if exc.status_code != 422:
                    raise
                errors[key] = exc.message
    if errors:
        shown = [{**s, "value": form.get(str(s["key"]), s["value"])} for s in service.all_settings(session)]
        return render(request, "office/settings.html", {"settings": shown, "errors": errors}, user=user, status_code=422)
    return redirect("/bureau/settings", "办公设置已保存")
