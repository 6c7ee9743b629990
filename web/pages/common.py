"""Dependencies shared by the page routers: the viewer (remembered for the error page), role
gates that answer with the Chinese 403 page, and the submitted form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile

from market.attachments.models import Attachment
from market.errors import DomainError, Forbidden, NotAuthenticated
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


def responder(user: SignedIn) -> User:
    """Those who may take up needs: providers, and enterprises the bureau marked 龙头企业."""
    if not user.org.may_respond:
        raise Forbidden("此页面仅限高校、科研院所、服务商和龙头企业访问")
    return user


def expert(user: SignedIn) -> User:
    if not user.is_expert:
        raise Forbidden("此页面仅限评审专家访问")
    return user


BureauPage = Annotated[User, Depends(bureau)]
EnterprisePage = Annotated[User, Depends(enterprise)]
ProviderPage = Annotated[User, Depends(provider)]
ResponderPage = Annotated[User, Depends(responder)]
ExpertPage = Annotated[User, Depends(expert)]


def page_number(raw: str) -> int:
    """The page a list is asked for: anything that is not a whole number from 1 is page 1 (a
    page beyond the last is sent to the last by the list itself)."""
    raw = raw.strip()
    return min(int(raw), 1000) if raw.isdigit() and int(raw) >= 1 else 1


def int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def float_or_none(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def store_upload(
    form: FormData, max_bytes: int, store: Callable[[str, bytes], Attachment]
) -> tuple[Attachment | None, dict[str, str], int]:
    """Hand the form's ``file`` to ``store(filename, data)`` (a service that checks who may attach,
    the size and the type). Returns the attachment, or None with the field error and the status to
    re-render the page with; a refused file is not stored. One byte over the limit is read so the
    store can say the file is too large."""
    from web.pages.render import field_errors

    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None, {"file": "请选择要上传的文件"}, 422
    data = upload.file.read(max_bytes + 1)
    try:
        return store(upload.filename, data), {}, 200
    except DomainError as exc:
        if exc.status_code not in (409, 422):
            raise
        return None, {"file": field_errors(exc).get("file", exc.message)}, exc.status_code


# Rows per page of the public lists (needs, providers).
PER_PAGE = 10


def soft_refusal(exc: DomainError, back: str) -> Response:
    """A business refusal the user can act on goes back to the page as a message; anything else
    is the error page."""
    from web.pages.render import redirect

    if exc.status_code in (403, 409, 422):
        return redirect(back, exc.message, "error")
    raise exc


def facet_links(
    params: dict[str, Any],
    facets: dict[str, dict[str, int]],
    titles: dict[str, str],
    labels: dict[str, dict[str, str]],
) -> list[dict[str, Any]]:
    """Facet groups for a list page: each value with its count and the link that toggles it."""
    out = []
    for name, title in titles.items():
        counts = facets.get(name)
        if counts is None:
            continue
        options = []
        for value, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            active = params.get(name) == value
            q = {k: v for k, v in params.items() if v not in (None, "") and k != "page"}
            if active:
                q.pop(name, None)
            else:
                q[name] = value
            options.append(
                {
                    "value": value,
                    "label": labels.get(name, {}).get(value, value),
                    "count": count,
                    "active": active,
                    "href": "?" + urlencode(q),
                }
            )
        out.append({"name": name, "title": title, "options": options})
    return out
