"""Body-size limits on the bytes received, and the security headers on every response.

The limit used to read only ``Content-Length``: a chunked body (no length) was read whole, however
large (issue 14, finding 15). Here the ASGI ``receive`` is wrapped and counts the bytes as they
arrive; the first chunk past the limit raises ``BodyTooLarge`` (an HTTP 413), which FastAPI lets
through its body parsing and the error handlers answer like any other 413. A declared length over
the limit is refused before anything is read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
)
MULTIPART_SLACK = 64 * 1024  # the multipart framing around a file of the upload limit


def secure(response: Any) -> Any:
    """The security headers on one response (also the 500 answered outside the middleware)."""
    for name, value in SECURITY_HEADERS:
        response.headers.setdefault(name, value)
    return response


Refusal = Callable[[Request, int, bool], Response]


def message(limit: int, multipart: bool) -> str:
    if multipart:
        return f"上传的文件过大（上限 {limit / 1024 / 1024:.0f} MB），请压缩或拆分后重新提交"
    return f"提交的内容过大（上限 {limit // 1024} KB）"


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int, multipart: bool) -> None:
        super().__init__(413, message(limit, multipart))


class BodyLimitMiddleware:
    """Counts the request body's bytes as received and stops at the limit (413 either way), and puts
    the security headers on every response that passes through it (a pure ASGI middleware: no task
    group between the route and the body, so ``BodyTooLarge`` reaches the handlers as it is)."""

    def __init__(self, app: ASGIApp, *, max_body: int, max_upload: int, refuse: Refusal) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        multipart = headers.get("content-type", "").startswith("multipart/form-data")
        limit = self.max_upload + MULTIPART_SLACK if multipart else self.max_body
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit, multipart)
            return message

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS if k.lower().encode() not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            # Declared too large: refused before anything is read.
            response = self.refuse(Request(scope), limit, multipart)
            await response(scope, receive, with_headers)
            return
        await self.app(scope, counted, with_headers)
