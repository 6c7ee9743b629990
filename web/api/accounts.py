"""Accounts API: password change and reset, invitations, members' roles and deactivation, one's
own sessions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from market.accounts import service
from market.accounts.schemas import (
    Accepted,
    InvitationAcceptIn,
    InvitationIn,
    InvitationOut,
    MailPreferencesIn,
    MailPreferencesOut,
    MemberOut,
    PasswordChangeIn,
    ResetConfirmIn,
    ResetRequestIn,
    RolesIn,
    SessionOut,
)
from market.db import DbId, session_scope
from market.mail import preferences
from market.orgs import ratelimit, security
from market.orgs.schemas import UserOut
from web.deps import CurrentUser, RuntimeDep, SessionDep, optional_user_token
from web.errors import RESPONSES_WRITE, responses
from web.runtime import Runtime

router = APIRouter(tags=["账号 accounts"])

RESET_ANSWER = "如果该邮箱已注册，我们已发送重设密码的邮件，请在 30 分钟内查收并设置新密码。"


def current_digest(token_info: Annotated[tuple[str | None, bool], Depends(optional_user_token)]) -> str | None:
    token, _ = token_info
    return security.token_digest(token) if token else None


CurrentDigest = Annotated[str | None, Depends(current_digest)]


def limit_reset_requests(request: Request, runtime: Runtime) -> None:
    """Reset requests are counted per client address like sign-ins (their own bucket), in a short
    transaction of their own so the count stays whatever the request does."""
    auth = runtime.settings.auth
    address = "reset:" + (request.client.host if request.client else "unknown")
    with session_scope(runtime.session_factory) as session:
        attempts = ratelimit.record_attempt(session, address, window_s=auth.login_window_s)
    ratelimit.check_attempts(attempts, limit=auth.reset_requests_per_address, window_s=auth.login_window_s)


@router.post("/account/password", status_code=status.HTTP_204_NO_CONTENT, responses=responses(401, 422))
def change_password(change_in: PasswordChangeIn, session: SessionDep, user: CurrentUser, digest: CurrentDigest) -> None:
    """修改密码（须提供当前密码）；本账号的其他登录会话随即失效。"""
    service.change_password(session, user, change_in, current_digest=digest)


@router.post("/account/password-reset", response_model=Accepted, status_code=status.HTTP_202_ACCEPTED, responses=responses(422, 429))
def request_reset(reset_in: ResetRequestIn, request: Request, session: SessionDep, runtime: RuntimeDep) -> Accepted:
    """忘记密码：向该邮箱发送 30 分钟内有效、仅可使用一次的重设链接。无论邮箱是否注册，回答相同；同一地址的请求次数有限。"""
    limit_reset_requests(request, runtime)
    service.request_reset(session, reset_in.email)
    return Accepted(message=RESET_ANSWER)


@router.post("/account/password-reset/confirm", status_code=status.HTTP_204_NO_CONTENT, responses=responses(422))
def confirm_reset(confirm_in: ResetConfirmIn, session: SessionDep) -> None:
    """用邮件中的链接设置新密码；链接仅可使用一次，所有登录会话随即失效。"""
    service.confirm_reset(session, confirm_in)


@router.get("/account/sessions", response_model=list[SessionOut], responses=responses(401))
def list_sessions(session: SessionDep, user: CurrentUser, digest: CurrentDigest) -> list[SessionOut]:
    """本人的有效登录会话（current 为当前会话）。"""
    return service.list_sessions(session, user, current_digest=digest)


@router.delete("/account/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT, responses=responses(401, 404))
def end_session(session_id: DbId, session: SessionDep, user: CurrentUser) -> None:
    """结束本人的某个登录会话。"""
    service.end_session(session, user, session_id)


@router.get("/org/members", response_model=list[MemberOut], responses=responses(401, 403))
def list_members(session: SessionDep, user: CurrentUser) -> list[MemberOut]:
    """本单位成员（单位管理员）。"""
    return service.list_members(session, user)


@router.get("/org/invitations", response_model=list[InvitationOut], responses=responses(401, 403))
def list_invitations(session: SessionDep, user: CurrentUser) -> list[InvitationOut]:
    """本单位尚未接受的邀请（单位管理员）。"""
    return [InvitationOut.model_validate(i) for i in service.list_invitations(session, user)]


@router.post("/org/invitations", response_model=InvitationOut, status_code=status.HTTP_201_CREATED, responses=RESPONSES_WRITE)
def invite(invite_in: InvitationIn, session: SessionDep, user: CurrentUser) -> InvitationOut:
    """单位管理员通过邮件邀请同事加入本单位；被邀请人通过链接设置密码（7 天内有效）。"""
    return InvitationOut.model_validate(service.invite(session, user, invite_in))


@router.post("/invitations/accept", response_model=UserOut, status_code=status.HTTP_201_CREATED, responses=responses(409, 422))
def accept_invitation(accept_in: InvitationAcceptIn, session: SessionDep) -> UserOut:
    """被邀请人用邮件中的链接设置密码，加入单位。"""
    return UserOut.model_validate(service.accept_invitation(session, accept_in))


@router.put("/org/members/{user_id}/roles", response_model=MemberOut, responses=RESPONSES_WRITE)
def change_roles(user_id: DbId, roles_in: RolesIn, session: SessionDep, user: CurrentUser) -> MemberOut:
    """单位管理员修改本单位成员的角色。"""
    service.change_roles(session, user, user_id, roles_in)
    return next(m for m in service.list_members(session, user) if m.id == user_id)


@router.post("/org/members/{user_id}/deactivate", response_model=MemberOut, responses=RESPONSES_WRITE)
def deactivate(user_id: DbId, session: SessionDep, user: CurrentUser) -> MemberOut:
    """单位管理员停用本单位成员；其所有登录会话立即失效。"""
    service.deactivate(session, user, user_id)
    return next(m for m in service.list_members(session, user) if m.id == user_id)


def _preferences(session: SessionDep, user_id: int) -> MailPreferencesOut:
    return MailPreferencesOut(
        modes=preferences.preferences_of(session, user_id), categories=dict(preferences.CATEGORIES),
        choices=dict(preferences.MODES),
    )


@router.get("/account/mail-preferences", response_model=MailPreferencesOut, responses=responses(401))
def mail_preferences(session: SessionDep, user: CurrentUser) -> MailPreferencesOut:
    """按类别设置邮件：即时发送（immediate）、每日汇总（digest）或不接收（off）。账号安全邮件总会发送。"""
    return _preferences(session, user.id)


@router.put("/account/mail-preferences", response_model=MailPreferencesOut, responses=responses(401, 422))
def set_mail_preferences(prefs_in: MailPreferencesIn, session: SessionDep, user: CurrentUser) -> MailPreferencesOut:
    for category, mode in prefs_in.modes.items():
        preferences.set_mode(session, user.id, category, mode)
    return _preferences(session, user.id)
