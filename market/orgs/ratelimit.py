"""The per-address sign-in limit, counted in the database so that it holds across server processes.

Fixed windows: an attempt adds one to the counter of (address, window start) in one atomic upsert,
``INSERT ... ON CONFLICT DO UPDATE SET attempts = attempts + 1 RETURNING attempts`` (SQLite >= 3.35,
PostgreSQL). The conflicting row is locked (PostgreSQL) or the database is (SQLite) while the
statement runs, so concurrent attempts from any number of processes each get a distinct count and
none is lost. An address gets at most ``limit`` attempts per window; two adjacent windows can let
through up to twice that within one window's length around their boundary, never more.

The caller commits the count in its own short transaction, before the password is checked: the
count must stay when the sign-in then fails, and the lock must not be held across the slow
password hash.
"""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from market.db import utcnow
from market.errors import TooManyRequests
from market.orgs.models import LoginAttemptCounter

ADDRESS_MAX = 100  # LoginAttemptCounter.address
KIND_SEPARATOR = "|"  # never in an address (IPv4, IPv6 or a host name)


def window_start(now: dt.datetime, window_s: int) -> dt.datetime:
    """The start of the fixed window holding ``now``: windows are aligned to the Unix epoch, so every
    process computes the same one."""
    epoch = int(now.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % window_s, dt.UTC)


def record_attempt(
    session: Session, address: str, *, window_s: int, now: dt.datetime | None = None, kind: str = ""
) -> int:
    """Count one sign-in attempt from ``address`` (or, with ``kind``, one call of that expensive kind:
    registration, anonymous hybrid search, the duplicate check); returns the attempts in the current
    window, this one included. Refused attempts count too."""
    start = window_start(now or utcnow(), window_s)
    table = LoginAttemptCounter
    key = f"{kind}{KIND_SEPARATOR}{address}" if kind else address
    values = {"address": key[:ADDRESS_MAX], "window_start": start, "attempts": 1}
    keys = [table.address, table.window_start]
    bump = {"attempts": table.attempts + 1}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        pg = postgresql.insert(table).values(values).on_conflict_do_update(index_elements=keys, set_=bump)
        attempts = session.execute(pg.returning(table.attempts)).scalar_one()
    elif dialect == "sqlite":
        lite = sqlite.insert(table).values(values).on_conflict_do_update(index_elements=keys, set_=bump)
        attempts = session.execute(lite.returning(table.attempts)).scalar_one()
    else:
        raise NotImplementedError(f"no atomic upsert for the {dialect} dialect")
    if attempts == 1:
        # The first attempt of an address in a window sweeps the windows that no longer count, so
        # the table stays small without a scheduled job. The previous window is kept for a process
        # whose clock runs a little behind.
        # Only this kind's rows: the kinds have windows of different lengths.
        same_kind = table.address.startswith(f"{kind}{KIND_SEPARATOR}", autoescape=True) if kind else ~table.address.contains(KIND_SEPARATOR)
        session.execute(
            delete(table).where(same_kind, table.window_start < start - dt.timedelta(seconds=window_s)),
            execution_options={"synchronize_session": False},
        )
    return attempts


def _wait_words(window_s: int) -> str:
    if window_s == 60:
        return "一分钟"
    if window_s % 60 == 0:
        return f"{window_s // 60}分钟"
    return f"{window_s}秒"


def check_calls(attempts: int, *, limit: int, window_s: int, now: dt.datetime | None = None) -> None:
    """An expensive call (registration, anonymous hybrid search, the duplicate check of an unverified
    account) at most ``limit`` times per window from one client (issue 14, findings 1-3)."""
    if attempts > limit:
        moment = now or utcnow()
        wait = math.ceil((window_start(moment, window_s) + dt.timedelta(seconds=window_s) - moment).total_seconds())
        raise TooManyRequests(f"请求过于频繁，请{_wait_words(window_s)}后再试", retry_after_s=wait)


def check_attempts(attempts: int, *, limit: int, window_s: int, now: dt.datetime | None = None) -> None:
    """One client address may make at most ``limit`` sign-in attempts per window (API2: against
    password guessing across accounts, which the per-account lockout does not see)."""
    if attempts > limit:
        moment = now or utcnow()
        wait = math.ceil((window_start(moment, window_s) + dt.timedelta(seconds=window_s) - moment).total_seconds())
        raise TooManyRequests(f"登录尝试过于频繁，请{_wait_words(window_s)}后再试", retry_after_s=wait)
