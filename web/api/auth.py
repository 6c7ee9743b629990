"""Registration, sign-in (bearer tokens for the API; the pages use the same token in a cookie)."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from pydantic import BaseModel

from market.accounts import service as accounts
from market.errors import NotAuthenticated
from market.orgs import service as orgs
from market.orgs.schemas import LoginIn, RegistrationIn, TokenOut, UserIn, UserOut
from web.deps import CurrentUser, RuntimeDep, SessionDep, TokenInfo
from web.errors import responses
from web.ratelimit import client_address, limit_expensive, limit_login_attempts

# The same words whether or not the e-mail has an account (issue 14, finding 9); the mail says which.
REGISTRATION_ACCEPTED = "已提交，请查收邮件。新注册的账号可用刚才设置的密码登录；新单位须经科技局认证后才能发榜或揭榜。"

router = APIRouter(prefix="/auth", tags=["认证 auth"])


class RegistrationAccepted(BaseModel):
    message: str


@router.post(
    "/register", response_model=RegistrationAccepted, status_code=status.HTTP_202_ACCEPTED, responses=responses(409, 422, 429)
)
def register(reg_in: RegistrationIn, request: Request, session: SessionDep, runtime: RuntimeDep) -> RegistrationAccepted:
    """注册单位及其管理员账号，答复“已提交，请查收邮件”（无论该邮箱是否已有账号，答复相同；邮件告知结果：
    新账号可直接登录，已有账号的邮箱收到“有人尝试用您的邮箱注册”）。新单位须经科技局认证后才能发榜或揭榜。
    同一地址的注册次数有限，超出返回 429。"""
    limit_expensive(request, runtime, "registration")
    accounts.register(session, reg_in)
    return RegistrationAccepted(message=REGISTRATION_ACCEPTED)


@router.post("/token", response_model=TokenOut, responses=responses(401, 422, 429))
def login(login_in: LoginIn, request: Request, session: SessionDep, runtime: RuntimeDep) -> TokenOut:
    """用邮箱和密码换取访问令牌（Bearer）。连续失败将临时锁定账户；同一地址的登录尝试次数有限（默认每分钟 20 次），超出返回 429。"""
    limit_login_attempts(request, runtime)
    auth = runtime.settings.auth
    try:
        user = orgs.authenticate(
            session, login_in.email, login_in.password, address=client_address(request),
            max_failed=auth.max_failed_logins, lockout_minutes=auth.lockout_minutes
        )
    except NotAuthenticated:
        # A refused attempt must still count: keep the failed-login counter and the lock.
        session.commit()
        raise
    token, expires = orgs.issue_token(session, user, auth.token_ttl_hours)
    return TokenOut(access_token=token, expires_at=expires)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=responses(401))
def logout(user: CurrentUser, session: SessionDep, token_info: TokenInfo, all_sessions: bool = False) -> None:
    """退出登录：吊销本次使用的访问令牌（all_sessions=true 时吊销本人全部令牌），此后该令牌不再有效。"""
    token, _ = token_info
    if all_sessions:
        orgs.revoke_all_tokens(session, user)
    elif token:
        orgs.revoke_token(session, token)


@router.get("/me", response_model=UserOut, responses=responses(401))
def me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)


@router.post("/users", response_model=UserOut, status_code=201, responses=responses(401, 403, 409, 422))
def add_user(user_in: UserIn, user: CurrentUser, session: SessionDep) -> UserOut:
    """单位管理员为本单位添加用户。"""
    return UserOut.model_validate(orgs.add_user(session, user, user_in))
