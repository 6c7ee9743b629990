"""One place that turns errors into responses: structured JSON under /api, Chinese pages elsewhere.

Error shape: ``{"error": {"code": str, "message": str (Chinese), "details": [{"field", "message"}]}}``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from market import validation_messages
from market.errors import DomainError, TooManyRequests
from web.limits import secure

log = logging.getLogger("jiebang.web")


class ErrorDetail(BaseModel):
    field: str | None = None
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail] = []


class ErrorResponse(BaseModel):
    error: ErrorBody


def _responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    text = {
        400: "请求有误", 401: "未登录或登录已过期", 403: "无权执行此操作", 404: "对象不存在或无权查看",
        409: "状态冲突或重复", 413: "请求体过大", 422: "输入不合法", 429: "请求过于频繁", 503: "服务暂时不可用",
    }
    return {c: {"model": ErrorResponse, "description": text.get(c, "错误")} for c in codes}


# The usual set for routes that act on an owned object.
RESPONSES_READ = _responses(401, 404)
RESPONSES_WRITE = _responses(401, 403, 404, 409, 422)
RESPONSES_PUBLIC = _responses(404, 422)
responses = _responses

_STATUS_MESSAGES = {
    400: "请求有误", 401: "请先登录", 403: "您无权执行此操作", 404: "页面或对象不存在", 405: "不支持的请求方法",
    413: "请求体过大", 415: "不支持的内容类型", 429: "请求过于频繁，请稍后再试", 500: "服务器内部错误，请稍后再试",
}

# What a person reads when pydantic or Starlette only has an English sentence.
_GENERIC = "格式不正确"


def _not_finite(value: Any) -> bool:
    return isinstance(value, float) and (math.isnan(value) or math.isinf(value))


def _message(err: Any) -> str:
    """Chinese for every pydantic error type, bounds said with their value
    (``market.validation_messages``); never an English (internal) sentence."""
    if err.get("type") == "value_error" and "UploadFile" in str(err.get("msg", "")):
        return "须为上传的文件"
    if err.get("type") != "value_error" and _not_finite(err.get("input")):
        return "须为有限数字"
    msg = validation_messages.message(err)
    return msg if not msg.isascii() else _GENERIC


def validation_details(errors: list[Any]) -> list[dict[str, str]]:
    details = []
    for err in errors:
        if err.get("type") == "json_invalid":
            # Its "location" is a character offset in the body, not a field.
            details.append({"field": "请求体", "message": "JSON 格式错误，无法解析"})
            continue
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header", "cookie")]
        details.append({"field": ".".join(loc) or "请求体", "message": _message(err)})
    return details


def error_json(status: int, code: str, message: str, details: list[dict[str, Any]] | None = None) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message, "details": details or []}},
        status_code=status,
        headers={"WWW-Authenticate": "Bearer"} if status == 401 else None,
    )


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api") or request.url.path in ("/healthz", "/openapi.json")


def error_page(request: Request, status: int, message: str, details: list[dict[str, Any]] | None = None) -> Response:
    from web.pages.render import render_error

    return render_error(request, status, message, details or [])


def _openapi_with_error_model(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """FastAPI documents its own ``HTTPValidationError`` for every 422 it adds by itself, and
    gives errors of HTML/Excel routes their media type; our handlers answer every /api error with
    ``ErrorResponse`` as JSON, so the document says that instead."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes,
            openapi_version=app.openapi_version, tags=app.openapi_tags, servers=app.servers,
        )
        ref = {"$ref": "#/components/schemas/ErrorResponse"}
        components = spec.setdefault("components", {}).setdefault("schemas", {})
        used = False
        for path, ops in spec.get("paths", {}).items():
            if not (path.startswith("/api") or path == "/healthz"):
                continue
            for op in ops.values():
                for code, resp in op.get("responses", {}).items():
                    if code[:1] in "45":
                        # Under /api every error is JSON with the one model, whatever the route's
                        # own media type (HTML and Excel reports included).
                        resp["content"] = {"application/json": {"schema": dict(ref)}}
                        if code == "422":
                            resp["description"] = "输入不合法"
                        used = True
        if used and "ErrorResponse" not in components:
            from pydantic.json_schema import models_json_schema

            _, defs = models_json_schema([(ErrorResponse, "serialization")], ref_template="#/components/schemas/{model}")
            components.update(defs.get("$defs", {}))
        if "HTTPValidationError" not in str(spec.get("paths")):
            components.pop("HTTPValidationError", None)
            components.pop("ValidationError", None)
        app.openapi_schema = spec
        return spec

    return openapi


def install(app: FastAPI) -> None:
    app.openapi = _openapi_with_error_model(app)  # type: ignore[method-assign]

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        if _wants_json(request):
            response: Response = error_json(exc.status_code, exc.code, exc.message, exc.details)
        else:
            response = error_page(request, exc.status_code, exc.message, exc.details)
        if isinstance(exc, TooManyRequests) and exc.retry_after_s is not None:
            response.headers["Retry-After"] = str(max(1, exc.retry_after_s))
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        details = validation_details(list(exc.errors()))
        message = "输入不合法：" + "；".join(f"{d['field'] or '请求'}：{d['message']}" for d in details[:5])
        if _wants_json(request):
            return error_json(422, "invalid", message, details)
        return error_page(request, 422, message, details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 400 and _wants_json(request):
            # A body that cannot be parsed at all (bad JSON bytes, broken multipart) is invalid
            # input like any other: 422 with the declared error model, not an undocumented 400.
            return error_json(422, "invalid", "请求体格式错误，无法解析", [{"field": "请求体", "message": "格式错误，无法解析（须为 UTF-8 编码的 JSON 或表单）"}])
        message = exc.detail if isinstance(exc.detail, str) and not exc.detail.isascii() else _STATUS_MESSAGES.get(exc.status_code, "请求失败")
        if _wants_json(request):
            code = "payload_too_large" if exc.status_code == 413 else f"http_{exc.status_code}"
            return error_json(exc.status_code, code, message)
        return error_page(request, exc.status_code, message)

    @app.exception_handler(SQLAlchemyTimeout)
    async def _busy(request: Request, exc: SQLAlchemyTimeout) -> Response:
        log.warning("database connection pool exhausted on %s %s", request.method, request.url.path)
        message = "服务繁忙，请稍后再试"
        if _wants_json(request):
            return error_json(503, "busy", message)
        return error_page(request, 503, message)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        # Answered by Starlette's outermost middleware, outside the one that adds the headers.
        if _wants_json(request):
            return secure(error_json(500, "internal_error", _STATUS_MESSAGES[500]))
        return secure(error_page(request, 500, _STATUS_MESSAGES[500]))


__all__ = ["install", "error_json", "RESPONSES_READ", "RESPONSES_WRITE", "RESPONSES_PUBLIC", "responses", "HTMLResponse"]
