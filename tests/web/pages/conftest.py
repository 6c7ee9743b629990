"""Page-test helpers: sign a TestClient in the way a browser is (session + CSRF cookies)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from market.orgs import service as org_service
from market.orgs.models import User
from tests import factories
from web import csrf as csrf_tokens
from web.runtime import Runtime


@pytest.fixture
def login(client: TestClient, session: Session, runtime: Runtime) -> Callable[[User], TestClient]:
    """``login(user)`` → the client, signed in as that user through cookies, with the CSRF token the
    server issues for that session (web/csrf.py)."""

    def _login(user: User) -> TestClient:
        token, _ = org_service.issue_token(session, user, 24)
        session.flush()
        client.cookies.set("jiebang_session", token)
        client.cookies.set("jiebang_csrf", csrf_tokens.make(runtime.settings.secret_key().encode(), token))
        return client

    return _login


def post_form(
    client: TestClient, url: str, data: dict[str, object] | None = None, *, csrf: bool = True, **kw: object
):  # type: ignore[no-untyped-def]
    body: dict[str, object] = dict(data or {})
    if csrf:
        body["csrf_token"] = client.cookies.get("jiebang_csrf") or ""
    return client.post(url, data=body, follow_redirects=False, **kw)  # type: ignore[arg-type]


def need_form(**overrides: object) -> dict[str, object]:
    """The need form as a browser submits it (checkbox "on", blanks for empty values)."""
    data = factories.need_fields(**overrides)
    data["anonymous"] = "on" if data.pop("anonymous") else ""
    return {k: ("" if v is None else v) for k, v in data.items()}
