"""Template rendering shared by all pages: the page context (viewer, CSRF token, navigation,
flash message), form helpers that turn pydantic and domain errors into Chinese messages next to
the field, and the error page."""

from __future__ import annotations

import datetime as dt
import html
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from pydantic import BaseModel, ValidationError

from market.attachments import service as attachments
from market.batches.states import batch_machine
from market.db import CST
from market.deals.states import deal_machine
from market.errors import DomainError
from market.needs.states import LABELS as NEED_LABELS
from market.responses.states import response_machine
from market.vocab import (
    CAPABILITY_KINDS,
    COOPERATION_MODES,
    COUNTIES,
    DECLINE_REASONS,
    DISCLOSURE_READERS,
    DISCLOSURES,
    INDUSTRIES,
    INDUSTRY_NOTES,
    ORG_KIND_LABELS,
    REASON_LABELS,
    REVIEW_CRITERIA,
    REVIEW_REASONS,
    ROLE_LABELS,
    SYSTEM_DECLINE_REASONS,
    TRACKS,
    VERIFICATION_LABELS,
)
from web import csrf

log = logging.getLogger("jiebang.pages")
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))

CSRF_COOKIE = "jiebang_csrf"
FLASH_COOKIE = "jiebang_flash"

_TITLES = {
    401: "请先登录",
    403: "无权访问",
    404: "页面不存在",
    409: "操作无法完成",
    413: "文件过大",
    422: "输入有误",
    429: "操作过于频繁",
    500: "系统出错了",
}

BATCH_LABELS = {str(k): v for k, v in batch_machine.labels.items()}
RESPONSE_LABELS = {str(k): v for k, v in response_machine.labels.items()}
DEAL_LABELS = {str(k): v for k, v in deal_machine.labels.items()}


def _fmt_dt(value: dt.datetime | dt.date | None, with_time: bool = True) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(CST)
        return value.strftime("%Y-%m-%d %H:%M") if with_time else value.strftime("%Y-%m-%d")
    return value.isoformat()


def _fmt_wan(lo: float | None, hi: float | None = None) -> str:
    def n(v: float) -> str:
        return f"{v:g}"

    if lo is None and hi is None:
        return "面议"
    if lo is not None and hi is not None:
        return f"{n(lo)}–{n(hi)} 万元" if lo != hi else f"{n(lo)} 万元"
    return f"≥{n(lo)} 万元" if lo is not None else f"≤{n(hi)} 万元"  # type: ignore[arg-type]


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


templates.env.filters["dt"] = _fmt_dt
templates.env.filters["date"] = lambda v: _fmt_dt(v, with_time=False)
templates.env.filters["wan"] = _fmt_wan
COUNT_UNITS = frozenset({"项", "个", "家", "件", "人"})


def _fmt_figure(value: Any, unit: str = "") -> str:
    """A target figure: counts are whole numbers (序时应完成 138, not 138.1); amounts keep one decimal."""
    if value is None:
        return "—"
    if unit in COUNT_UNITS:
        return str(int(round(float(value))))
    return f"{round(float(value), 1):g}"


templates.env.filters["figure"] = _fmt_figure
templates.env.filters["pct"] = _pct
templates.env.filters["wan1"] = lambda v: "—" if v is None else f"{v:g} 万元"
templates.env.globals.update(
    UPLOAD_TYPES=attachments.ALLOWED_LABEL,
    UPLOAD_ACCEPT=",".join(attachments.ALLOWED_EXTENSIONS),
    COUNTIES=COUNTIES,
    INDUSTRIES=INDUSTRIES,
    TRACKS=TRACKS,
    COOPERATION_MODES=COOPERATION_MODES,
    DISCLOSURES=DISCLOSURES,
    DISCLOSURE_READERS=DISCLOSURE_READERS,
    INDUSTRY_NOTES=INDUSTRY_NOTES,
    REASON_LABELS=REASON_LABELS,
    REVIEW_REASONS=REVIEW_REASONS,
    DECLINE_REASONS={k: v for k, v in DECLINE_REASONS.items() if k not in SYSTEM_DECLINE_REASONS},
    REVIEW_CRITERIA=REVIEW_CRITERIA,
    ORG_KIND_LABELS=ORG_KIND_LABELS,
    ROLE_LABELS=ROLE_LABELS,
    NEED_LABELS={str(k): v for k, v in NEED_LABELS.items()},
    VERIFICATION_LABELS=VERIFICATION_LABELS,
    BATCH_LABELS=BATCH_LABELS,
    RESPONSE_LABELS=RESPONSE_LABELS,
    DEAL_LABELS=DEAL_LABELS,
    CAPABILITY_KINDS=CAPABILITY_KINDS,
)


# --- CSRF and flash -----------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """The double-submit token: the cookie's value when it was issued for this session, else a new
    one (web/csrf.py) set on the response by render()."""
    new = getattr(request.state, "new_csrf", None)
    if new:
        return str(new)
    token = request.cookies.get(CSRF_COOKIE)
    if not csrf.belongs(request, token):
        token = csrf.issue(request, request.cookies.get(csrf.SESSION_COOKIE))
        request.state.new_csrf = token
    return str(token)


def set_csrf_cookie(request: Request, response: Response, token: str) -> None:
    secure = (
        bool(request.app.state.runtime.settings.auth.cookie_secure)
        if hasattr(request.app.state, "runtime")
        else False
    )
    # Not HttpOnly: it is the double-submit token, also rendered into the page for htmx.
    response.set_cookie(CSRF_COOKIE, token, httponly=False, samesite="lax", secure=secure, path="/")


def check_form_csrf(request: Request, form: Mapping[str, Any]) -> bool:
    """For forms posted before there is a session (login, register): the same check as every
    cookie-authenticated write (web/csrf.py)."""
    sent = form.get("csrf_token")
    return csrf.check(request, sent if isinstance(sent, str) else None)


def flash(response: Response, message: str, kind: str = "ok") -> Response:
    response.set_cookie(
        FLASH_COOKIE, quote(f"{kind}|{message}"), max_age=60, httponly=True, samesite="lax", path="/"
    )
    return response


def redirect(
    url: str, message: str | None = None, kind: str = "ok", request: Request | None = None
) -> Response:
    """POST/redirect/GET, with an optional one-time message; htmx requests get HX-Redirect."""
    if request is not None and request.headers.get("hx-request"):
        response: Response = Response(status_code=204, headers={"HX-Redirect": url})
    else:
        response = RedirectResponse(url, status_code=303)
    if message:
        flash(response, message, kind)
    return response


def _read_flash(request: Request) -> tuple[str, str] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    kind, _, text = unquote(raw).partition("|")
    return (kind if kind in ("ok", "error", "info") else "info", text)


# --- rendering ---------------------------------------------------------------------------------


def nav_for(user: Any) -> list[tuple[str, str]]:
    items = [("/", "首页"), ("/needs", "需求榜单"), ("/notices", "榜单公示"), ("/providers", "揭榜方"), ("/recognitions", "认定产品")]
    if user is None:
        return items
    if user.is_bureau_staff:
        items += [
            ("/bureau", "审核工作台"),
            ("/bureau/batches", "榜单管理"),
            ("/bureau/deals", "对接跟踪"),
            ("/dashboard", "进度看板"),
            ("/bureau/import", "导入清单"),
            ("/bureau/audit", "审计日志"),
            ("/bureau/settings", "办公设置"),
        ]
    elif user.org.kind == "enterprise":
        items += [("/enterprise", "我的需求"), ("/enterprise/needs/new", "发布需求"), ("/enterprise/recognitions", "认定申报")]
    elif user.org.is_provider:
        items += [("/provider", "揭榜工作台"), ("/provider/profile", "能力画像")]
    if user.is_expert and not user.is_bureau_staff:
        items.append(("/expert", "评审任务"))
    return items


def workbench_for(user: Any) -> tuple[str, str] | None:
    """Each role's own home page (where it lands after signing in, and the way back from an error)."""
    if user is None:
        return None
    if user.is_bureau_staff:
        return "/bureau", "审核工作台"
    if user.org.kind == "enterprise":
        return "/enterprise", "我的需求"
    if user.org.is_provider and not user.is_expert:
        return "/provider", "揭榜工作台"
    if user.is_expert:
        return "/expert", "评审任务"
    return None


def active_nav(path: str, items: list[tuple[str, str]]) -> str | None:
    """The navigation entry a page belongs to: the longest link that is the path or a parent of it."""
    hits = [href for href, _ in items if path == href or (href != "/" and path.startswith(href + "/"))]
    return max(hits, key=len) if hits else None


def unread_count(request: Request, user: Any) -> int:  # noqa: D103
    if user is None:
        return 0
    try:
        from market.notifications import service as notify

        factory = request.app.state.runtime.session_factory
        with factory() as s:
            return int(notify.unread_count(s, user))
    except Exception:  # noqa: BLE001 - the badge never breaks a page
        return 0


@pass_context
def record_history(ctx: Mapping[str, Any], object_type: str, object_id: int) -> Any:
    """The audit history partial's data (``audit/_history.html``): the record's latest entries
    when the domain lets the viewer read them (``market.views.record_history``), else None. A
    detail page includes the partial with one line, ``{% with history_of=("need", need.id) %}``,
    so its route needs no change; the read uses its own session, as the unread badge does."""
    from market import views

    user = ctx.get("user")
    request = ctx.get("request")
    if user is None or request is None or not getattr(user, "is_bureau_staff", False):
        return None
    with request.app.state.runtime.session_factory() as s:
        return views.record_history(s, user, object_type, int(object_id))


templates.env.globals["record_history"] = record_history


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    user: Any = None,
    status_code: int = 200,
) -> HTMLResponse:
    ctx: dict[str, Any] = dict(context or {})
    token = csrf_token(request)
    ctx.setdefault("user", user)
    ctx.update(
        csrf_token=token,
        nav=nav_for(user),
        workbench=workbench_for(user),
        current_path=request.url.path,
        active_nav=active_nav(request.url.path, nav_for(user)),
        flash=_read_flash(request),
        unread=unread_count(request, user),
    )
    ctx.setdefault("errors", {})
    ctx.setdefault("form", {})
    response = templates.TemplateResponse(request, template, ctx, status_code=status_code)
    if getattr(request.state, "new_csrf", None):
        set_csrf_cookie(request, response, token)
    if ctx["flash"]:
        response.delete_cookie(FLASH_COOKIE, path="/")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _same_site_path(referer: str, request: Request) -> str | None:
    """The path (and query) of a referring page of this site, else None."""
    from urllib.parse import urlsplit

    parts = urlsplit(referer)
    if not parts.path.startswith("/") or parts.path.startswith("//") or parts.netloc not in ("", request.url.netloc):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def error_viewer(request: Request) -> Any:
    """Who sees an error page, read afresh from the session cookie: the request's own database
    session may be gone (or rolled back) by the time an error is rendered, and errors raised
    before any page dependency ran (a body too large, a role check) never saw the viewer. The
    user comes back detached, its organisation loaded, so the header and navigation are right."""
    from web.deps import SESSION_COOKIE

    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        from market.orgs import service as orgs

        with request.app.state.runtime.session_factory() as s:
            user = orgs.user_for_token(s, token)
            if user is None:
                return None
            _ = (user.org.kind, user.org.name, user.org.verification, list(user.roles), user.display_name)
            s.expunge_all()
            return user
    except Exception:  # noqa: BLE001 - an error page never fails for want of its header
        log.warning("error page: viewer could not be read", exc_info=True)
        return getattr(request.state, "page_user", None)


def render_error(request: Request, status: int, message: str, details: list[dict[str, Any]]) -> Response:
    """The Chinese error page. A page that needs a sign-in sends a visitor to the login form."""
    if status == 401 and request.method in ("GET", "HEAD") and not request.url.path.startswith("/api"):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    if status == 401 and request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": "/login"})
    if status == 401 and request.method == "POST" and not request.url.path.startswith("/api"):
        # The session ran out while a form was being filled: sign in again and come back to the
        # form, where app.js puts back what was typed (kept in this browser on submit).
        back = _same_site_path(request.headers.get("referer", ""), request)
        response = RedirectResponse(f"/login?next={quote(back)}" if back else "/login", status_code=303)
        flash(response, "登录已过期，请重新登录。您填写的内容已保留在本机浏览器中，登录后回到原页面会自动恢复。", "error")
        return response
    title = _TITLES.get(status, "出错了")
    if (TEMPLATES_DIR / "error.html").exists():
        try:
            user = error_viewer(request)
            return render(
                request,
                "error.html",
                {"status": status, "title": title, "message": message, "details": details},
                user=user,
                status_code=status,
            )
        except Exception:  # noqa: BLE001 - the error page must render even when the app is broken
            log.exception("error page could not be rendered with the layout")
    return HTMLResponse(
        f"<!doctype html><html lang='zh-CN'><meta charset='utf-8'><title>{title}</title>"
        f"<h1>{title}</h1><p>{html.escape(message)}</p></html>",
        status_code=status,
    )


# --- forms -------------------------------------------------------------------------------------


def field_errors(exc: ValidationError | DomainError) -> dict[str, str]:
    """Field name → Chinese message, from a pydantic error or a domain error's details."""
    if isinstance(exc, DomainError):
        out = {str(d.get("field") or "__all__"): str(d.get("message", exc.message)) for d in exc.details}
        if not out or "__all__" not in out:
            out.setdefault("__all__", exc.message)
        return out
    from web.errors import validation_details

    out: dict[str, str] = {}
    for err in exc.errors(include_url=False):
        # The model's own field names (a field may be called "body"), not the request locations.
        loc = err.get("loc", ())
        key = str(loc[0]) if loc else "__all__"
        message = validation_details([err])[0]["message"]
        out.setdefault(key, message)
    return out


def form_errors(
    exc: ValidationError, data: Mapping[str, Any], labels: Mapping[str, str], choices: tuple[str, ...] = ()
) -> dict[str, str]:
    """Every field's message at once, as a person filling the form reads it: 请填写… / 请选择… for
    an empty field, the limit for one too long or too short; otherwise the schema's own words."""
    out = field_errors(exc)
    for err in exc.errors(include_url=False):
        loc = err.get("loc", ())
        if not loc:
            continue
        key, kind, ctx = str(loc[0]), err.get("type", ""), err.get("ctx") or {}
        label = labels.get(key, "")
        if data.get(key) in (None, "") and label:
            out[key] = f"请选择{label}" if key in choices else f"请填写{label}"
        elif kind == "string_too_long" and "max_length" in ctx:
            out[key] = f"内容过长（上限 {ctx['max_length']} 字）"
        elif kind == "string_too_short" and "min_length" in ctx:
            out[key] = f"内容过短（至少 {ctx['min_length']} 字）"
    return out


def parse(model: type[BaseModel], data: Mapping[str, Any]) -> tuple[BaseModel | None, dict[str, str]]:
    try:
        return model.model_validate(dict(data)), {}
    except ValidationError as exc:
        return None, field_errors(exc)


def form_dict(
    form: Any,
    *,
    lists: tuple[str, ...] = (),
    bools: tuple[str, ...] = (),
    numbers: tuple[str, ...] = (),
    drop: tuple[str, ...] = ("csrf_token",),
) -> dict[str, Any]:
    """A submitted form as schema input: blanks in optional numbers become None, checkboxes bools."""
    out: dict[str, Any] = {}
    for key in form.keys():
        if key in drop or key in lists:
            continue
        value = form.get(key)
        out[key] = value.strip() if isinstance(value, str) else value
    for key in lists:
        out[key] = [v.strip() for v in form.getlist(key) if isinstance(v, str) and v.strip()]
    for key in bools:
        out[key] = form.get(key) in ("on", "true", "1", "yes")
    for key in numbers:
        if key in out and (out[key] is None or out[key] == ""):
            out[key] = None
    return out
