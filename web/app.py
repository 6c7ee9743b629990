"""The FastAPI app factory."""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from market.settings import Settings, get_settings
from web import errors
from web.runtime import Runtime, build_runtime

log = logging.getLogger("jiebang")
WEB_DIR = Path(__file__).resolve().parent
REPO_ROOT = WEB_DIR.parent

# Routers are mounted when their module exists; each concept owns one module.
API_MODULES = (
    "web.api.auth", "web.api.orgs", "web.api.needs", "web.api.batches", "web.api.responses", "web.api.deals",
    "web.api.notifications", "web.api.exports", "web.api.imports", "web.api.search", "web.api.recognitions", "web.api.awards",
    "web.api.progress", "web.api.health",
)
VENDOR_ASSETS = {"htmx": "htmx.org/dist", "echarts": "echarts/dist"}
PAGE_MODULES = (
    "web.pages.public", "web.pages.auth", "web.pages.needs", "web.pages.enterprise", "web.pages.provider",
    "web.pages.bureau", "web.pages.dashboard", "web.pages.notifications",
)


def _include(app: FastAPI, modules: tuple[str, ...], prefix: str = "") -> None:
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        router = getattr(module, "router", None)
        if isinstance(router, APIRouter):
            app.include_router(router, prefix=prefix)


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None, start_worker: bool | None = None) -> FastAPI:
    settings = settings or (runtime.settings if runtime else get_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = runtime is None
        rt = runtime or build_runtime(settings)
        app.state.runtime = rt
        if owned:
            from market.migrate import upgrade

            upgrade(rt.engine)
            rt.ensure_indexes()
        if start_worker if start_worker is not None else (owned and settings.embedded_worker):
            rt.start_worker()
        try:
            yield
        finally:
            if owned:
                rt.close()

    app = FastAPI(
        title="揭榜 Jiebang API",
        version="1.0.0",
        description=(
            "嘉兴“两化”改造技术需求揭榜平台接口：企业发榜、揭榜方揭榜、科技局审核发布与进度跟踪。"
            "错误统一返回 {\"error\": {\"code\", \"message\", \"details\"}}。"
        ),
        lifespan=lifespan,
    )
    if runtime is not None:
        app.state.runtime = runtime
    errors.install(app)

    max_body = settings.limits.max_body_bytes
    max_upload = settings.limits.max_upload_bytes

    @app.middleware("http")
    async def limits_and_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        length = request.headers.get("content-length")
        ctype = request.headers.get("content-type", "")
        limit = max_upload + 64 * 1024 if ctype.startswith("multipart/form-data") else max_body
        if length is not None and length.isdigit() and int(length) > limit:
            if request.url.path.startswith("/api"):
                return errors.error_json(413, "payload_too_large", f"请求体过大（上限 {limit // 1024} KB）")
            what = "上传的文件" if ctype.startswith("multipart/form-data") else "提交的内容"
            return errors.error_page(request, 413, f"{what}过大（上限 {limit / 1024 / 1024:.0f} MB），请压缩或拆分后重新提交")
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    _include(app, API_MODULES, prefix="/api/v1")
    from web.api import health

    app.include_router(health.root_router)
    _include(app, PAGE_MODULES)
    static_dir = WEB_DIR / "static"
    app.mount("/static", StaticFiles(directory=static_dir), name="static")
    # Front-end assets come from the npm lock file; only their dist folders are served.
    for name, folder in VENDOR_ASSETS.items():
        path = REPO_ROOT / "node_modules" / folder
        if path.exists():
            app.mount(f"/vendor/{name}", StaticFiles(directory=path), name=f"vendor-{name}")
    return app
