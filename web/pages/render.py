"""Template rendering shared by all pages: the page context (viewer, CSRF token, navigation,
flash message), form helpers that turn pydantic and domain errors into Chinese messages next to
the field, and the error page."""

from __future__ import annotations

import datetime as dt
import html
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
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
    DISCLOSURES,
    INDUSTRIES,
    ORG_KIND_LABELS,
    REASON_LABELS,
    REVIEW_CRITERIA,
    REVIEW_REASONS,
    ROLE_LABELS,
    SYSTEM_DECLINE_REASONS,
    TRACKS,
    VERIFICATION_LABELS,
)

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
    """The double-submit token: the cookie's value, or a new one set on the response by render()."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.new_csrf = token
    return token


def set_csrf_cookie(request: Request, response: Response, token: str) -> None:
    secure = (
        bool(request.app.state.runtime.settings.auth.cookie_secure)
        if hasattr(request.app.state, "runtime")
        else False
    )
    # Not HttpOnly: it is the double-submit token, also rendered into the page for htmx.
    response.set_cookie(CSRF_COOKIE, token, httponly=False, samesite="lax", secure=secure, path="/")


def check_form_csrf(request: Request, form: Mapping[str, Any]) -> bool:
    """For forms posted before there is a session (login, register): double submit still applies."""
    import hmac

    expected = request.cookies.get(CSRF_COOKIE)
    sent = form.get("csrf_token")
    return bool(expected) and isinstance(sent, str) and hmac.compare_digest(sent, expected)  # type: ignore[arg-type]


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
    items = [("/", "首页"), ("/needs", "需求榜单"), ("/notices", "榜单公示"), ("/providers", "揭榜方")]
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


def render_error(request: Request, status: int, message: str, details: list[dict[str, Any]]) -> Response:
    """The Chinese error page. A page that needs a sign-in sends a visitor to the login form."""
    if status == 401 and request.method in ("GET", "HEAD") and not request.url.path.startswith("/api"):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    if status == 401 and request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": "/login"})
    title = _TITLES.get(status, "出错了")
    if (TEMPLATES_DIR / "error.html").exists():
        try:
            user = getattr(request.state, "page_user", None)
            return render(
                request,
                "error.html",
                {"status": status, "title": title, "message": message, "details": details},
                user=user,
                status_code=status,
            )
        except Exception:  # noqa: BLE001 - the error page must render even when the app is broken
            pass
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
