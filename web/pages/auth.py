"""Sign-in, registration (organisation + its admin user) and sign-out pages.

The page session is an API token in an HttpOnly cookie; a second cookie carries the CSRF token
that every cookie-authenticated write must echo (double submit, checked in ``web.deps``)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from market.accounts import service as accounts
from market.errors import DomainError, NotAuthenticated, TooManyRequests
from market.orgs import service as orgs
from market.orgs.models import User
from market.orgs.schemas import RegistrationIn
from web import csrf
from web.api.auth import REGISTRATION_ACCEPTED
from web.deps import SESSION_COOKIE, RuntimeDep, SessionDep
from web.pages.common import Form, PageUser
from web.pages.render import (
    check_form_csrf,
    field_errors,
    form_dict,
    redirect,
    render,
    set_csrf_cookie,
    workbench_for,
)
from web.ratelimit import client_address, limit_expensive, limit_login_attempts

router = APIRouter(tags=["页面 pages"], include_in_schema=False)

REG_LABELS = {
    "org_name": "单位名称",
    "org_kind": "单位类型",
    "credit_code": "统一社会信用代码",
    "county": "所在县（市、区）",
    "industry": "所属行业",
    "email": "邮箱",
    "display_name": "联系人姓名",
    "password": "密码",
    "password2": "确认密码",
}


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: no open redirect through ?next=."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


def home_for(user: User) -> str:
    """Where a person lands after signing in: the workbench of their role (an expert's is 评审任务)."""
    bench = workbench_for(user)
    return bench[0] if bench else "/"


def _sign_in(request: Request, runtime: RuntimeDep, session: Session, user: User, target: str) -> Response:
    auth = runtime.settings.auth
    token, _ = orgs.issue_token(session, user, auth.token_ttl_hours)
    response = redirect(target, f"欢迎，{user.display_name}")
    max_age = auth.token_ttl_hours * 3600
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=auth.cookie_secure,
        path="/",
    )
    # A fresh CSRF token per sign-in, bound to the new session.
    set_csrf_cookie(request, response, csrf.issue(request, token))
    return response


@router.get("/login")
def login_page(
    request: Request, user: PageUser, next: Annotated[str | None, Query(max_length=500)] = None
) -> Response:
    if user is not None:
        return redirect(_safe_next(next) or home_for(user))
    return render(request, "auth/login.html", {"next": _safe_next(next) or "", "form": {}}, user=None)


@router.post("/login")
def login(request: Request, form: Form, session: SessionDep, runtime: RuntimeDep) -> Response:
    data = form_dict(form)
    ctx = {"form": {"email": data.get("email", "")}, "next": _safe_next(data.get("next")) or ""}
    if not check_form_csrf(request, form):
        ctx["errors"] = {"__all__": "页面已过期，请刷新页面后重新登录"}
        return render(request, "auth/login.html", ctx, status_code=403)
    errors = {}
    if not data.get("email"):
        errors["email"] = "请输入邮箱"
    if not data.get("password"):
        errors["password"] = "请输入密码"
    if errors:
        return render(request, "auth/login.html", {**ctx, "errors": errors}, status_code=422)
    try:
        limit_login_attempts(request, runtime)
        auth = runtime.settings.auth
        user = orgs.authenticate(
            session,
            str(data["email"]),
            str(data["password"]),
            address=client_address(request),
            max_failed=auth.max_failed_logins,
            lockout_minutes=auth.lockout_minutes,
        )
    except (NotAuthenticated, TooManyRequests) as exc:
        # A failed attempt still counts: keep the failed-login counter (the per-address count is
        # already committed by limit_login_attempts).
        session.commit()
        return render(
            request,
            "auth/login.html",
            {**ctx, "errors": {"password": exc.message}},
            status_code=exc.status_code,
        )
    return _sign_in(request, runtime, session, user, ctx["next"] or home_for(user))


@router.get("/register")
def register_page(request: Request, user: PageUser) -> Response:
    return render(
        request, "auth/register.html", {"form": {"org_kind": "enterprise"}, "labels": REG_LABELS}, user=user
    )


@router.post("/register")
def register(
    request: Request, form: Form, session: SessionDep, runtime: RuntimeDep, user: PageUser
) -> Response:
    data = form_dict(form)
    shown = {k: v for k, v in data.items() if k not in ("password", "password2")}
    ctx = {"form": shown, "labels": REG_LABELS}
    if not check_form_csrf(request, form):
        return render(
            request,
            "auth/register.html",
            {**ctx, "errors": {"__all__": "页面已过期，请刷新页面后重试"}},
            user=user,
            status_code=403,
        )
    password2 = data.pop("password2", "")
    for key in ("credit_code", "county", "industry"):
        if not data.get(key):
            data[key] = None
    errors: dict[str, str] = {}
    try:
        reg_in = RegistrationIn.model_validate(data)
    except Exception as exc:  # pydantic.ValidationError
        errors = field_errors(exc)  # type: ignore[arg-type]
        reg_in = None
    if data.get("password") and password2 != data.get("password"):
        errors["password2"] = "两次输入的密码不一致"
    if errors or reg_in is None:
        return render(request, "auth/register.html", {**ctx, "errors": errors}, user=user, status_code=422)
    try:
        limit_expensive(request, runtime, "registration")  # one argon2 hash, as on the API
        accounts.register(session, reg_in)
    except DomainError as exc:
        return render(
            request,
            "auth/register.html",
            {**ctx, "errors": field_errors(exc)},
            user=user,
            status_code=exc.status_code,
        )
    # The same page whether or not the e-mail had an account, and no sign-in (issue 14, finding 9):
    # the mail tells the owner of the address which it was.
    return redirect("/login", REGISTRATION_ACCEPTED, "info")


@router.post("/logout")
def logout(request: Request, form: Form, session: SessionDep, user: PageUser) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        orgs.revoke_token(session, token)
    response = redirect("/", "您已退出登录")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
