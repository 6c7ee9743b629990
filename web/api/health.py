"""/healthz: one entry per component, each ``ok`` or the problem."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from web.deps import RuntimeDep
from web.runtime import health

router = APIRouter()
root_router = APIRouter(tags=["运行状态 health"])


@root_router.get("/healthz")
def healthz(runtime: RuntimeDep) -> JSONResponse:
    """各组件状态：database、meilisearch、embedder、outbox（积压与搁置数）。"""
    components = health(runtime)
    ok = all(c.get("status") == "ok" for c in components.values())
    return JSONResponse({"status": "ok" if ok else "degraded", "components": components}, status_code=200 if ok else 503)
