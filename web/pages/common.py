"""Dependencies shared by the page routers: the viewer (remembered for the error page), role
gates that answer with the Chinese 403 page, and the submitted form."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.datastructures import FormData

from market.errors import Forbidden, NotAuthenticated
from market.orgs.models import User
from web.deps import OptionalUser


async def form_data(request: Request) -> FormData:
    """The parsed form (Starlette caches it, so the CSRF check and the route share one parse)."""
    return await request.form()


Form = Annotated[FormData, Depends(form_data)]


def page_user(request: Request, user: OptionalUser) -> User | None:
    request.state.page_user = user
    return user


PageUser = Annotated[User | None, Depends(page_user)]


def signed_in(user: PageUser) -> User:
    if user is None:
        raise NotAuthenticated("请先登录")
    return user


SignedIn = Annotated[User, Depends(signed_in)]


def bureau(user: SignedIn) -> User:
    if not user.is_bureau_staff:
        raise Forbidden("此页面仅限科技局工作人员访问")
    return user


def enterprise(user: SignedIn) -> User:
    if user.org.kind != "enterprise":
        raise Forbidden("此页面仅限企业用户访问")
    return user


def provider(user: SignedIn) -> User:
    if not user.org.is_provider:
        raise Forbidden("此页面仅限高校、科研院所和服务商访问")
    return user


def expert(user: SignedIn) -> User:
    if not user.is_expert:
        raise Forbidden("此页面仅限评审专家访问")
    return user


BureauPage = Annotated[User, Depends(bureau)]
EnterprisePage = Annotated[User, Depends(enterprise)]
ProviderPage = Annotated[User, Depends(provider)]
ExpertPage = Annotated[User, Depends(expert)]


def int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
