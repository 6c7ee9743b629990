"""The per-address sign-in limit for the API and the pages (the counting is market/orgs/ratelimit.py)."""

from __future__ import annotations

from fastapi import Request

from market.db import session_scope
from market.orgs import ratelimit
from web.runtime import Runtime


def limit_login_attempts(request: Request, runtime: Runtime) -> None:
    """Count this sign-in attempt, then refuse it with 429 when its address is over the limit.

    The count is committed in its own short transaction, not the request's: it must stay when the
    request then fails (a 401 or 429 rolls the request's transaction back), and the counter's lock
    must not be held across the password check."""
    auth = runtime.settings.auth
    address = request.client.host if request.client else "unknown"
    with session_scope(runtime.session_factory) as session:
        attempts = ratelimit.record_attempt(session, address, window_s=auth.login_window_s)
    ratelimit.check_attempts(attempts, limit=auth.login_attempts_per_address, window_s=auth.login_window_s)
