"""The per-address limits for sign-in and for expensive calls, for the API and the pages (the counting is
market/orgs/ratelimit.py)."""

from __future__ import annotations

from fastapi import Request

from market.db import session_scope
from market.orgs import ratelimit
from web.runtime import Runtime


def client_address(request: Request) -> str:
    """The client's address as the server saw it (forwarded headers are honoured only from the
    configured proxies, web/proxies.py)."""
    return request.client.host if request.client else "unknown"


def limit_login_attempts(request: Request, runtime: Runtime) -> None:
    """Count this sign-in attempt, then refuse it with 429 when its address is over the limit.

    The count is committed in its own short transaction, not the request's: it must stay when the
    request then fails (a 401 or 429 rolls the request's transaction back), and the counter's lock
    must not be held across the password check."""
    auth = runtime.settings.auth
    address = client_address(request)
    with session_scope(runtime.session_factory) as session:
        attempts = ratelimit.record_attempt(session, address, window_s=auth.login_window_s)
    ratelimit.check_attempts(attempts, limit=auth.login_attempts_per_address, window_s=auth.login_window_s)


def limit_expensive(request: Request, runtime: Runtime, kind: str) -> None:
    """Count one expensive call of ``kind`` (``registration``, ``anonymous_search``,
    ``unverified_duplicates``: a ``settings.limits`` entry) from this client; 429 past the limit."""
    rule = getattr(runtime.settings.limits, kind)
    with session_scope(runtime.session_factory) as session:
        calls = ratelimit.record_attempt(session, client_address(request), window_s=rule.window_s, kind=kind)
    ratelimit.check_calls(calls, limit=rule.calls, window_s=rule.window_s)
