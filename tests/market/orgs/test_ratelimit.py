"""Counting sign-in attempts per address in the database (market/orgs/ratelimit.py)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from market.db import make_engine, make_sessionmaker, session_scope
from market.errors import TooManyRequests
from market.orgs import ratelimit
from market.orgs.models import LoginAttemptCounter

T0 = dt.datetime(2026, 3, 1, 8, 0, 0, tzinfo=dt.UTC)


def test_windows_are_aligned_to_the_epoch_so_every_process_agrees() -> None:
    assert ratelimit.window_start(T0 + dt.timedelta(seconds=59.9), 60) == T0
    assert ratelimit.window_start(T0 + dt.timedelta(seconds=60), 60) == T0 + dt.timedelta(minutes=1)
    assert ratelimit.window_start(T0 + dt.timedelta(minutes=7), 300) == T0 + dt.timedelta(minutes=5)


def test_attempts_count_per_address_and_window(session: Session) -> None:
    counts = [
        ratelimit.record_attempt(session, "192.0.2.1", window_s=60, now=T0 + dt.timedelta(seconds=i))
        for i in range(3)
    ]
    assert counts == [1, 2, 3]
    assert ratelimit.record_attempt(session, "192.0.2.2", window_s=60, now=T0) == 1
    assert ratelimit.record_attempt(session, "192.0.2.1", window_s=60, now=T0 + dt.timedelta(seconds=60)) == 1


def test_a_new_window_sweeps_the_windows_that_no_longer_count(session: Session) -> None:
    for minute in range(4):
        ratelimit.record_attempt(session, "192.0.2.1", window_s=60, now=T0 + dt.timedelta(minutes=minute))
    ratelimit.record_attempt(session, "192.0.2.9", window_s=60, now=T0 + dt.timedelta(minutes=3, seconds=5))
    starts = session.execute(
        select(LoginAttemptCounter.address, LoginAttemptCounter.window_start)
        .where(LoginAttemptCounter.address.in_(["192.0.2.1", "192.0.2.9"]))
        .order_by(LoginAttemptCounter.window_start, LoginAttemptCounter.address)
    ).all()
    # Kept: the current window and the previous one (for a process whose clock runs behind).
    assert [tuple(row) for row in starts] == [
        ("192.0.2.1", T0 + dt.timedelta(minutes=2)),
        ("192.0.2.1", T0 + dt.timedelta(minutes=3)),
        ("192.0.2.9", T0 + dt.timedelta(minutes=3)),
    ]


def test_an_overlong_address_is_cut_to_the_column(session: Session) -> None:
    assert ratelimit.record_attempt(session, "a" * 300, window_s=60, now=T0) == 1
    assert ratelimit.record_attempt(session, "a" * 301, window_s=60, now=T0) == 2
    stored = session.scalars(
        select(LoginAttemptCounter.address).where(LoginAttemptCounter.address.startswith("aaa"))
    )
    assert list(stored) == ["a" * ratelimit.ADDRESS_MAX]


def test_over_the_limit_is_refused_with_the_wait_in_chinese() -> None:
    ratelimit.check_attempts(20, limit=20, window_s=60)
    with pytest.raises(TooManyRequests) as exc:
        ratelimit.check_attempts(21, limit=20, window_s=60)
    assert exc.value.message == "登录尝试过于频繁，请一分钟后再试"
    assert exc.value.status_code == 429
    with pytest.raises(TooManyRequests) as exc:
        ratelimit.check_attempts(4, limit=3, window_s=30)
    assert exc.value.message == "登录尝试过于频繁，请30秒后再试"


def test_concurrent_attempts_each_get_a_distinct_count(engine: Engine) -> None:
    """Many connections counting at once (as many server processes would): none is lost, none is
    counted twice. Committed for real, on its own engine; the rows are removed afterwards."""
    address = "198.51.100.77"
    url = engine.url.render_as_string(hide_password=False)
    own = make_engine(url)
    factory = make_sessionmaker(own)
    threads_n, each = 8, 10
    start = threading.Barrier(threads_n)
    seen: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def attempt() -> None:
        try:
            start.wait()
            for _ in range(each):
                with session_scope(factory) as s:
                    n = ratelimit.record_attempt(s, address, window_s=3600, now=T0)
                with lock:
                    seen.append(n)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(threads_n)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert errors == []
        assert sorted(seen) == list(range(1, threads_n * each + 1))
    finally:
        with own.begin() as conn:
            conn.execute(delete(LoginAttemptCounter).where(LoginAttemptCounter.address == address))
        own.dispose()
