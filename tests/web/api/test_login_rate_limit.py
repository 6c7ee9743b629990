"""The per-address sign-in limit (docs/security.md, API2), counted in the database.

Runs on SQLite and, with ``JIEBANG_TEST_DATABASE_URL``, on PostgreSQL. The clock of
market/orgs/ratelimit.py is pinned, so no test straddles a window boundary by chance and none sleeps.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from market.db import make_engine, make_sessionmaker
from market.orgs import ratelimit
from market.orgs.models import LoginAttemptCounter, LoginFailure, User
from market.settings import Settings
from tests import factories
from web.app import create_app
from web.deps import CSRF_COOKIE
from web.runtime import Runtime

API = "/api/v1"
MESSAGE = "登录尝试过于频繁，请一分钟后再试"
TESTCLIENT = "testclient"  # TestClient's default client address


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch, test_settings: Settings) -> Clock:
    """One second into the current window."""
    window_s = test_settings.auth.login_window_s
    c = Clock(ratelimit.window_start(ratelimit.utcnow(), window_s) + dt.timedelta(seconds=1))
    monkeypatch.setattr(ratelimit, "utcnow", c)
    return c


_unknown = itertools.count()


def _api_login(client: TestClient, email: str | None = None, password: str = "wrong-password") -> httpx.Response:
    # A different unknown e-mail each time: wrong passwords for one e-mail from one address are
    # slowed down on their own after a few (tests/web/test_hardening.py); this is the address limit.
    email = email or f"nobody{next(_unknown)}@test.jiebang.cn"
    return client.post(f"{API}/auth/token", json={"email": email, "password": password})


def _page_login(client: TestClient, email: str, password: str) -> httpx.Response:
    if not client.cookies.get(CSRF_COOKIE):
        client.get("/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": client.cookies.get(CSRF_COOKIE) or ""},
        follow_redirects=False,
    )


def _use_up(client: TestClient, attempts: int) -> None:
    for i in range(attempts):
        r = _api_login(client, f"n{i}@test.jiebang.cn")
        assert r.status_code == 401, (i, r.text)


def _counted(session: Session, address: str) -> list[int]:
    return list(
        session.scalars(
            select(LoginAttemptCounter.attempts)
            .where(LoginAttemptCounter.address == address)
            .order_by(LoginAttemptCounter.window_start)
        )
    )


def test_the_21st_attempt_in_a_window_is_refused_the_20th_is_not(
    client: TestClient, enterprise_user: User, runtime: Runtime, clock: Clock
) -> None:
    limit = runtime.settings.auth.login_attempts_per_address
    assert limit == 20
    _use_up(client, limit - 1)
    r = _api_login(client, enterprise_user.email, factories.PASSWORD)
    assert r.status_code == 200, r.text  # the 20th
    clock.advance(58)  # still the same window
    r = _api_login(client, enterprise_user.email, factories.PASSWORD)
    assert r.status_code == 429, r.text  # the 21st, even with the right password
    assert r.json() == {"error": {"code": "too_many_requests", "message": MESSAGE, "details": []}}
    assert r.headers["retry-after"] == "1"  # the next window starts in one second


def test_the_sign_in_page_refuses_the_21st_attempt_with_the_chinese_page(
    client: TestClient, enterprise_user: User, clock: Clock
) -> None:
    for i in range(20):
        r = _page_login(client, f"nobody{i}@test.jiebang.cn", "wrong-password")
        assert r.status_code == 401
        assert "邮箱或密码错误" in r.text
    r = _page_login(client, enterprise_user.email, factories.PASSWORD)
    assert r.status_code == 429
    assert MESSAGE in r.text
    assert "text/html" in r.headers["content-type"]


def test_pages_and_api_share_the_count(client: TestClient, clock: Clock) -> None:
    _use_up(client, 10)
    for i in range(10):
        assert _page_login(client, f"nobody{i}@test.jiebang.cn", "wrong-password").status_code == 401
    assert _api_login(client).status_code == 429


@pytest.fixture
def two_instances(engine: Engine, test_settings: Settings) -> Iterator[tuple[FastAPI, FastAPI, Engine]]:
    """Two app instances, each with its own engine and committing sessions on the one test
    database, as two server processes would be."""
    url = engine.url.render_as_string(hide_password=False)
    engines = [make_engine(url), make_engine(url)]
    apps = [
        create_app(
            runtime=Runtime(settings=test_settings, engine=e, session_factory=make_sessionmaker(e)),
            start_worker=False,
        )
        for e in engines
    ]
    yield apps[0], apps[1], engines[0]
    with engines[0].begin() as conn:
        conn.execute(delete(LoginAttemptCounter).where(LoginAttemptCounter.address == SHARED))
    for e in engines:
        e.dispose()


SHARED = "198.51.100.20"


def test_two_app_instances_on_one_database_share_the_count(
    two_instances: tuple[FastAPI, FastAPI, Engine], clock: Clock
) -> None:
    app_a, app_b, db = two_instances
    with (
        TestClient(app_a, client=(SHARED, 50000)) as a,
        TestClient(app_b, client=(SHARED, 50001)) as b,
    ):
        for i in range(20):
            r = _api_login(a if i % 2 else b, f"n{i}@test.jiebang.cn")
            assert r.status_code == 401, (i, r.text)
        # Ten attempts each: a per-process count would let both go on.
        assert _api_login(a).status_code == 429
        assert _api_login(b).status_code == 429
        assert _page_login(b, "nobody@test.jiebang.cn", "wrong-password").status_code == 429
    with Session(db) as s:
        assert _counted(s, SHARED) == [23]


def test_another_address_is_unaffected(
    app: FastAPI, client: TestClient, session: Session, clock: Clock
) -> None:
    _use_up(client, 20)
    assert _api_login(client).status_code == 429
    with TestClient(app, client=("203.0.113.9", 50000)) as other:
        assert _api_login(other).status_code == 401
    assert _counted(session, TESTCLIENT) == [21]
    assert _counted(session, "203.0.113.9") == [1]


def test_attempts_are_allowed_again_after_the_window(
    client: TestClient, session: Session, clock: Clock
) -> None:
    _use_up(client, 20)
    assert _api_login(client).status_code == 429
    clock.advance(58)
    assert _api_login(client).status_code == 429
    clock.advance(1)  # the next window
    _use_up(client, 20)
    assert _api_login(client).status_code == 429
    assert _counted(session, TESTCLIENT) == [22, 21]
    clock.advance(60)
    assert _api_login(client).status_code == 401
    # The window before the previous one no longer counts and is gone.
    assert _counted(session, TESTCLIENT) == [21, 1]


def test_the_count_survives_a_401_and_a_429(
    client: TestClient, session: Session, enterprise_user: User, runtime: Runtime, clock: Clock
) -> None:
    """The request's transaction is rolled back on an error answer; the count is not."""
    assert _api_login(client, enterprise_user.email).status_code == 401
    assert _counted(session, TESTCLIENT) == [1]
    assert _page_login(client, enterprise_user.email, "wrong-password").status_code == 401
    assert _counted(session, TESTCLIENT) == [2]
    session.expire_all()
    failure = session.get(LoginFailure, (enterprise_user.email, TESTCLIENT))
    assert failure is not None and failure.failures == 2
    _use_up(client, 18)
    assert _api_login(client).status_code == 429
    assert _page_login(client, enterprise_user.email, factories.PASSWORD).status_code == 429
    assert _counted(session, TESTCLIENT) == [22]


def test_the_limit_and_window_are_settings(
    client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch, clock: Clock
) -> None:
    monkeypatch.setattr(runtime.settings.auth, "login_attempts_per_address", 3)
    monkeypatch.setattr(runtime.settings.auth, "login_window_s", 300)
    clock.now = ratelimit.window_start(clock.now, 300)
    _use_up(client, 3)
    r = _api_login(client)
    assert r.status_code == 429
    assert r.json()["error"]["message"] == "登录尝试过于频繁，请5分钟后再试"
    clock.advance(299)
    assert _api_login(client).status_code == 429
    clock.advance(1)
    assert _api_login(client).status_code == 401
