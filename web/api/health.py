"""/healthz: one entry per component, each ``ok`` or the problem."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import func, select, text

from market.outbox.models import OutboxEntry
from web.deps import RuntimeDep
from web.runtime import Runtime

router = APIRouter()
root_router = APIRouter(tags=["运行状态 health"])


def component_health(runtime: Runtime, *, load_embedder: bool = True) -> dict[str, Any]:
    result: dict[str, Any] = {}
    try:
        with runtime.session_factory() as session:
            session.execute(text("SELECT 1"))
            pending = session.scalar(select(func.count(OutboxEntry.id)).where(OutboxEntry.status == "pending")) or 0
            parked = session.scalar(select(func.count(OutboxEntry.id)).where(OutboxEntry.status == "parked")) or 0
        result["database"] = {"status": "ok", "dialect": runtime.engine.dialect.name}
        outbox_status = "ok" if parked == 0 else f"{parked} 条同步任务已搁置（parked），请查看 jiebang check"
        result["outbox"] = {"status": outbox_status, "pending": pending, "parked": parked}
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        result["database"] = {"status": f"数据库不可用：{type(exc).__name__}: {exc}"[:300]}
        result["outbox"] = {"status": "未知（数据库不可用）"}
    if runtime.meili is None:
        result["meilisearch"] = {"status": "未配置"}
    else:
        try:
            runtime.meili.health()
            result["meilisearch"] = {"status": "ok", "url": runtime.meili.url}
        except Exception as exc:  # noqa: BLE001
            result["meilisearch"] = {"status": f"Meilisearch 不可用：{exc}"[:300]}
    if load_embedder:
        try:
            emb = runtime.embedder
            vec = emb.embed_queries(["健康检查"])
            result["embedder"] = {"status": "ok", "name": emb.name, "dim": int(vec.shape[1])}
        except Exception as exc:  # noqa: BLE001
            result["embedder"] = {"status": f"向量模型不可用：{exc}"[:300]}
    return result


@root_router.get("/healthz")
def healthz(runtime: RuntimeDep) -> JSONResponse:
    """各组件状态：database、meilisearch、embedder、outbox（积压与搁置数）。"""
    components = component_health(runtime)
    ok = all(c.get("status") == "ok" for c in components.values())
    return JSONResponse({"status": "ok" if ok else "degraded", "components": components}, status_code=200 if ok else 503)
