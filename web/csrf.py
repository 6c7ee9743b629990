"""CSRF tokens bound to the session, and the same-origin check for cookie-authenticated writes.

Issue 14, finding 12: a planted ``jiebang_csrf`` cookie plus the same value in the form withdrew a
need from another site. The double-submit token is now ``nonce.signature``, the signature an HMAC
with the secret key over the nonce and the session it belongs to, so a token cannot be made up or
carried from one session to another; and a write whose ``Origin`` (or, without one, ``Referer``)
is not this site is refused whatever its token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request

SESSION_COOKIE = "jiebang_session"


def _secret(request: Request) -> bytes:
    state = request.app.state
    cached = getattr(state, "csrf_secret", None)
    if cached is None:
        cached = state.runtime.settings.secret_key().encode()
        state.csrf_secret = cached
    return cached  # type: ignore[no-any-return]


def _signature(secret: bytes, nonce: str, session_token: str) -> str:
    bound = hashlib.sha256(session_token.encode()).hexdigest()
    return hmac.new(secret, f"{nonce}.{bound}".encode(), hashlib.sha256).hexdigest()[:43]


def make(secret: bytes, session_token: str | None) -> str:
    """A new token for the session ``session_token`` (None: the signed-out visitor)."""
    nonce = secrets.token_urlsafe(16)
    return f"{nonce}.{_signature(secret, nonce, session_token or '')}"


def issue(request: Request, session_token: str | None) -> str:
    return make(_secret(request), session_token)


def belongs(request: Request, token: str | None, session_token: str | None = None) -> bool:
    """Whether ``token`` was issued by this server for this request's session."""
    if not token or token.count(".") != 1:
        return False
    if session_token is None:
        session_token = request.cookies.get(SESSION_COOKIE)
    nonce, sig = token.split(".")
    return hmac.compare_digest(sig, _signature(_secret(request), nonce, session_token or ""))


def site_origin(request: Request) -> str:
    configured = str(request.app.state.runtime.settings.auth.site_url or "").rstrip("/")
    if configured:
        parts = urlsplit(configured)
        return f"{parts.scheme}://{parts.netloc}".lower()
    return f"{request.url.scheme}://{request.url.netloc}".lower()


def same_origin(request: Request) -> bool:
    """A browser names the page a write comes from in ``Origin`` (or ``Referer``); a write from any
    other site is refused. Without either (a non-browser client) the token alone decides."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        referer = request.headers.get("referer")
        if not referer:
            return origin is None
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    return origin.rstrip("/").lower() == site_origin(request)


def check(request: Request, sent: str | None) -> bool:
    """A cookie-authenticated write: same origin, the double-submit token equal to the cookie, and
    the token issued for this session."""
    expected = request.cookies.get("jiebang_csrf")
    return (
        same_origin(request)
        and bool(expected)
        and sent is not None
        and hmac.compare_digest(sent, expected or "")
        and belongs(request, sent)
    )
