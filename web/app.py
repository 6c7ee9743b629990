"""The FastAPI app factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from market.settings import Settings, get_settings
from web import errors
from web.api import accounts as accounts_api
from web.api import audit as audit_api
from web.api import auth as auth_api
from web.api import awards as awards_api
from web.api import batches as batches_api
from web.api import deals as deals_api
from web.api import exports as exports_api
from web.api import health as health_api
from web.api import imports as imports_api
from web.api import messages as messages_api
from web.api import needs as needs_api
from web.api import notifications as notifications_api
from web.api import office as office_api
from web.api import orgs as orgs_api
from web.api import progress as progress_api
from web.api import questions as questions_api
from web.api import recognitions as recognitions_api
from web.api import responses as responses_api
from web.api import search as search_api
from web.limits import BodyLimitMiddleware, message
from web.pages import accounts as accounts_pages
from web.pages import audit as audit_pages
from web.pages import auth as auth_pages
from web.pages import batches as batches_pages
from web.pages import deals as deals_pages
from web.pages import home as home_pages
from web.pages import imports as imports_pages
from web.pages import messages as messages_pages
from web.pages import needs as needs_pages
from web.pages import notifications as notifications_pages
from web.pages import office as office_pages
from web.pages import orgs as orgs_pages
from web.pages import questions as questions_pages
from web.pages import recognitions as recognitions_pages
from web.pages import responses as responses_pages
from web.pages import targets as targets_pages
from web.pages import workbench as workbench_pages
from web.runtime import Runtime, open_runtime

log = logging.getLogger("jiebang")
WEB_DIR = Path(__file__).resolve().parent
REPO_ROOT = WEB_DIR.parent

VENDOR_ASSETS = {"htmx": "htmx.org/dist", "echarts": "echarts/dist"}
# Every router, in mounting order (a page route with a fixed segment comes before a parameter).
API_ROUTERS: tuple[APIRouter, ...] = (
    auth_api.router, orgs_api.router, needs_api.router, batches_api.router, responses_api.router, deals_api.router,
    notifications_api.router, exports_api.router, imports_api.router, search_api.router, recognitions_api.router,
    awards_api.router, progress_api.router, health_api.router, questions_api.router, messages_api.router,
    accounts_api.router, office_api.router, audit_api.router,
)
PAGE_ROUTERS: tuple[APIRouter, ...] = (
    home_pages.router, auth_pages.router, needs_pages.router, responses_pages.router, deals_pages.router,
    batches_pages.router, recognitions_pages.router, orgs_pages.router, targets_pages.router,
    notifications_pages.router, workbench_pages.router, questions_pages.router, messages_pages.router,
    accounts_pages.router, audit_pages.router, imports_pages.router, office_pages.router,
)


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None, start_worker: bool | None = None) -> FastAPI:
    settings = settings or (runtime.settings if runtime else get_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        """An app given a runtime (``jiebang serve``, tests) uses it as it is; one built from
        settings (``uvicorn web.asgi:app``) opens and prepares its own the same way and closes it."""
        if runtime is not None:
            app.state.runtime = runtime
            if start_worker:
                runtime.start_worker()
            try:
                yield
            finally:
                if start_worker:
                    runtime.stop_worker()
            return
        with open_runtime(settings) as rt:
            app.state.runtime = rt
            if start_worker if start_worker is not None else settings.embedded_worker:
                rt.start_worker()
            yield

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

    def too_large(request: Request, limit: int, multipart: bool) -> Response:
        if request.url.path.startswith("/api"):
            return errors.error_json(413, "payload_too_large", f"请求体过大（上限 {limit // 1024} KB）")
        return errors.error_page(request, 413, message(limit, multipart))

    # Counts the bytes actually received (a chunked body has no length; past the limit the route's
    # body read raises BodyTooLarge, answered as a 413) and adds the security headers.
    app.add_middleware(
        BodyLimitMiddleware,
        max_body=settings.limits.max_body_bytes,
        max_upload=settings.limits.max_upload_bytes,
        refuse=too_large,
    )

    for router in API_ROUTERS:
        app.include_router(router, prefix="/api/v1")
    app.include_router(health_api.root_router)
    for router in PAGE_ROUTERS:
        app.include_router(router)
    static_dir = WEB_DIR / "static"
    app.mount("/static", StaticFiles(directory=static_dir), name="static")
    # Front-end assets come from the npm lock file; only their dist folders are served.
    for name, folder in VENDOR_ASSETS.items():
        path = REPO_ROOT / "node_modules" / folder
        if path.exists():
            app.mount(f"/vendor/{name}", StaticFiles(directory=path), name=f"vendor-{name}")
    return app
