"""Account pages: 账号与安全 (change password, own sessions), 忘记密码 / 重设密码 from the mailed
link, 接受邀请, and the admin's 成员管理 (invite, roles, deactivate). Rules are
market/accounts'."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from market.accounts import service
from market.accounts.schemas import (
    InvitationAcceptIn,
    InvitationIn,
    PasswordChangeIn,
    ResetConfirmIn,
    ResetRequestIn,
    RolesIn,
)
from market.db import DbId
from market.errors import DomainError
from market.mail import preferences
from market.orgs import security
from market.orgs.models import Role, User
from web.api.accounts import RESET_ANSWER, limit_reset_requests
from web.deps import SESSION_COOKIE, RuntimeDep, SessionDep
from web.pages.common import Form, SignedIn
from web.pages.render import check_form_csrf, field_errors, form_dict, redirect, render

router = APIRouter(tags=["页面 pages"], include_in_schema=False)

ROLE_LABELS = {Role.member.value: "成员", Role.org_admin.value: "单位管理员"}


def _digest(request: Request) -> str | None:
    token = request.cookies.get(SESSION_COOKIE)
    return security.token_digest(token) if token else None


def _errors(exc: ValidationError | DomainError) -> dict[str, str]:
    return field_errors(exc)


# -- 账号与安全 ----------------------------------------------------------------------------------


def _account_page(request: Request, session: SessionDep, user: User, errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    return render(
        request, "accounts/account.html",
        {"sessions": service.list_sessions(session, user, current_digest=_digest(request)), "errors": errors or {}, "form": {}},
        user=user, status_code=status_code,
    )


@router.get("/account")
def account(request: Request, session: SessionDep, user: SignedIn) -> Response:
    return _account_page(request, session, user)


@router.post("/account/password")
def change_password(request: Request, form: Form, session: SessionDep, user: SignedIn) -> Response:
    data = form_dict(form)
    try:
        change_in = PasswordChangeIn(current_password=str(data.get("current_password") or ""), new_password=str(data.get("new_password") or ""))
        service.change_password(session, user, change_in, current_digest=_digest(request))
    except (ValidationError, DomainError) as exc:
        return _account_page(request, session, user, _errors(exc), 422)
    return redirect("/account", "密码已修改，其他设备上的登录已退出")


@router.post("/account/sessions/{session_id}/end")
def end_session(session_id: DbId, session: SessionDep, user: SignedIn) -> Response:
    service.end_session(session, user, session_id)
    return redirect("/account#sessions", "该登录会话已结束")


# -- 忘记密码 -------------------------------------------------------------------------------------


@router.get("/forgot-password")
def forgot_page(request: Request) -> Response:
    return render(request, "accounts/forgot.html", {"form": {}, "errors": {}})


@router.post("/forgot-password")
def forgot(request: Request, form: Form, session: SessionDep, runtime: RuntimeDep) -> Response:
    data = form_dict(form)
    if not check_form_csrf(request, form):
        return render(request, "accounts/forgot.html", {"form": data, "errors": {"__all__": "页面已过期，请刷新后重试"}}, status_code=403)
    try:
        reset_in = ResetRequestIn(email=str(data.get("email") or ""))
        limit_reset_requests(request, runtime)
    except (ValidationError, DomainError) as exc:
        code = exc.status_code if isinstance(exc, DomainError) else 422
        return render(request, "accounts/forgot.html", {"form": data, "errors": _errors(exc)}, status_code=code)
    service.request_reset(session, reset_in.email)
    return render(request, "accounts/forgot.html", {"form": {}, "errors": {}, "sent": RESET_ANSWER})


@router.get("/reset-password")
def reset_page(request: Request, token: Annotated[str, Query(max_length=200)] = "") -> Response:
    return render(request, "accounts/reset.html", {"token": token, "errors": {}})


@router.post("/reset-password")
def reset(request: Request, form: Form, session: SessionDep) -> Response:
    data = form_dict(form)
    token = str(data.get("token") or "")
    if not check_form_csrf(request, form):
        return render(request, "accounts/reset.html", {"token": token, "errors": {"__all__": "页面已过期，请刷新后重试"}}, status_code=403)
    try:
        service.confirm_reset(session, ResetConfirmIn(token=token, new_password=str(data.get("new_password") or "")))
    except (ValidationError, DomainError) as exc:
        errors = _errors(exc)
        if "token" in errors:
            errors["__all__"] = errors.pop("token")
        return render(request, "accounts/reset.html", {"token": token, "errors": errors}, status_code=422)
    return redirect("/login", "密码已重设，请用新密码登录")


# -- 邀请 -----------------------------------------------------------------------------------------


@router.get("/invite")
def invite_page(request: Request, session: SessionDep, token: Annotated[str, Query(max_length=200)] = "") -> Response:
    try:
        invitation: Any = service.invitation_for_token(session, token)
    except DomainError as exc:
        return render(request, "accounts/invite.html", {"token": token, "invitation": None, "errors": {"__all__": exc.message}}, status_code=422)
    return render(request, "accounts/invite.html", {"token": token, "invitation": invitation, "errors": {}})


@router.post("/invite")
def accept(request: Request, form: Form, session: SessionDep) -> Response:
    data = form_dict(form)
    token = str(data.get("token") or "")
    if not check_form_csrf(request, form):
        return render(request, "accounts/invite.html", {"token": token, "invitation": None, "errors": {"__all__": "页面已过期，请刷新后重试"}}, status_code=403)
    try:
        service.accept_invitation(session, InvitationAcceptIn(token=token, password=str(data.get("password") or "")))
    except (ValidationError, DomainError) as exc:
        errors = _errors(exc)
        invitation = None
        try:
            invitation = service.invitation_for_token(session, token)
        except DomainError:
            errors["__all__"] = errors.pop("token", errors.get("__all__", ""))
        return render(request, "accounts/invite.html", {"token": token, "invitation": invitation, "errors": errors}, status_code=422)
    return redirect("/login", "已加入单位，请用刚设置的密码登录")


# -- 成员管理 -------------------------------------------------------------------------------------


def _members_page(request: Request, session: SessionDep, user: User, errors: dict[str, str] | None = None, form: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    return render(
        request, "accounts/members.html",
        {
            "members": service.list_members(session, user), "invitations": service.list_invitations(session, user),
            "role_labels": ROLE_LABELS, "errors": errors or {}, "form": form or {},
        },
        user=user, status_code=status_code,
    )


@router.get("/org/members")
def members(request: Request, session: SessionDep, user: SignedIn) -> Response:
    return _members_page(request, session, user)


@router.post("/org/invitations")
def invite(request: Request, form: Form, session: SessionDep, user: SignedIn) -> Response:
    data = form_dict(form)
    try:
        role = str(data.get("role") or "member")
        roles = [Role.member.value] if role == "member" else [Role.member.value, Role.org_admin.value]
        invitation = service.invite(session, user, InvitationIn(email=str(data.get("email") or ""), display_name=str(data.get("display_name") or ""), roles=roles))
    except (ValidationError, DomainError) as exc:
        return _members_page(request, session, user, _errors(exc), data, 422)
    return redirect("/org/members", f"已向 {invitation.email} 发送邀请邮件")


@router.post("/org/members/{user_id}/roles")
def change_roles(user_id: DbId, form: Form, session: SessionDep, user: SignedIn) -> Response:
    role = form_dict(form).get("role")
    roles = [Role.member.value, Role.org_admin.value] if role == "org_admin" else [Role.member.value]
    service.change_roles(session, user, user_id, RolesIn(roles=roles))
    return redirect("/org/members", "角色已修改")


@router.post("/org/members/{user_id}/deactivate")
def deactivate(user_id: DbId, session: SessionDep, user: SignedIn) -> Response:
    target = service.deactivate(session, user, user_id)
    return redirect("/org/members", f"已停用 {target.display_name}，其登录已全部退出")


# -- 邮件设置与退订 --------------------------------------------------------------------------------


@router.get("/account/mail")
def mail_settings(request: Request, session: SessionDep, user: SignedIn) -> Response:
    return render(
        request, "accounts/mail.html",
        {"modes": preferences.preferences_of(session, user.id), "categories": preferences.CATEGORIES, "choices": preferences.MODES},
        user=user,
    )


@router.post("/account/mail")
def save_mail_settings(form: Form, session: SessionDep, user: SignedIn) -> Response:
    data = form_dict(form)
    for category in preferences.CATEGORIES:
        mode = data.get(category)
        if isinstance(mode, str) and mode:
            preferences.set_mode(session, user.id, category, mode)
    return redirect("/account/mail", "邮件设置已保存")


def _unsubscribe_target(runtime: RuntimeDep, token: str) -> tuple[int, str]:
    return preferences.read_unsubscribe_token(runtime.settings.secret_key(), token)


@router.get("/unsubscribe")
def unsubscribe_page(request: Request, runtime: RuntimeDep, token: Annotated[str, Query(max_length=300)] = "") -> Response:
    """The link in every mail: no sign-in; the page confirms with one button (a GET changes nothing,
    so a mail scanner following links unsubscribes nobody)."""
    try:
        _, category = _unsubscribe_target(runtime, token)
    except DomainError as exc:
        return render(request, "accounts/unsubscribe.html", {"error": exc.message}, status_code=422)
    label = "全部邮件通知" if category == preferences.ALL else preferences.CATEGORIES[category]
    return render(request, "accounts/unsubscribe.html", {"token": token, "label": label, "done": False})


@router.post("/unsubscribe")
def unsubscribe(request: Request, session: SessionDep, runtime: RuntimeDep, token: Annotated[str, Query(max_length=300)] = "") -> Response:
    """One click (also the List-Unsubscribe-Post of the mail): that category's mail is off."""
    try:
        user_id, category = _unsubscribe_target(runtime, token)
    except DomainError as exc:
        return render(request, "accounts/unsubscribe.html", {"error": exc.message}, status_code=422)
    if session.get(User, user_id) is not None:
        preferences.set_mode(session, user_id, category, "off")
    label = "全部邮件通知" if category == preferences.ALL else preferences.CATEGORIES[category]
    return render(request, "accounts/unsubscribe.html", {"token": token, "label": label, "done": True})
