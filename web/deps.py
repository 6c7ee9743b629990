"""Request dependencies: the runtime, the unit-of-work session, the caller, pagination."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from market.errors import Forbidden, NotAuthenticated
from market.orgs import service as orgs
from market.orgs.models import User
from web import csrf
from web.runtime import Runtime

SESSION_COOKIE = "jiebang_session"
CSRF_COOKIE = "jiebang_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    """One transaction per request: committed before the response is sent, rolled back on error."""
    session = runtime.session_factory()
    try:
        yield session
        session.commit()
        if session.info.pop("outbox_dirty", False):
            runtime.notify_worker()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


async def _csrf_ok(request: Request) -> bool:
    """The write carries this session's token (header or form field) and comes from this site."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    return csrf.check(request, sent)


async def _token_from(request: Request) -> tuple[str | None, bool]:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip(), False
    cookie = request.cookies.get(SESSION_COOKIE)
    return cookie, cookie is not None


async def optional_user_token(request: Request) -> tuple[str | None, bool]:
    """The caller's token and whether it came from the cookie. Cookie-authenticated writes must
    carry the CSRF token (double submit), bearer-token API calls need not."""
    token, from_cookie = await _token_from(request)
    if token and from_cookie and request.method not in SAFE_METHODS and not await _csrf_ok(request):
        raise Forbidden("页面已过期或请求来源不可信（CSRF 校验失败），请刷新页面后重试", code="csrf_failed")
    return token, from_cookie


TokenInfo = Annotated[tuple[str | None, bool], Depends(optional_user_token)]


def optional_user(session: SessionDep, token_info: TokenInfo) -> User | None:
    token, _ = token_info
    if not token:
        return None
    return orgs.user_for_token(session, token)


OptionalUser = Annotated[User | None, Depends(optional_user)]


def current_user(user: OptionalUser) -> User:
    if user is None:
        raise NotAuthenticated("请先登录")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def bureau_user(user: CurrentUser) -> User:
    if not user.is_bureau_staff:
        raise Forbidden("仅限科技局工作人员")
    return user


BureauUser = Annotated[User, Depends(bureau_user)]


@dataclass
class Page:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def pagination(
    page: Annotated[int, Query(ge=1, le=10000, description="页码，从 1 开始")] = 1,
    per_page: Annotated[int, Query(ge=1, le=100, description="每页条数")] = 20,
) -> Page:
    return Page(page, per_page)


PageDep = Annotated[Page, Depends(pagination)]
