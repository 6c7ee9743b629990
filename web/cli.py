"""The ``jiebang`` command line: serve, worker, reindex, seed-demo, check, evaluate, backup, restore."""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from market.settings import Settings, get_settings
from web.runtime import MeiliMode, Runtime, health, open_runtime

app = typer.Typer(help="揭榜 Jiebang — 嘉兴“两化”改造技术需求揭榜平台", no_args_is_help=True, add_completion=False)


def _fail(message: str) -> NoReturn:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


@contextmanager
def _runtime(settings: Settings, *, meili: MeiliMode = MeiliMode.managed, prepare: bool = True) -> Iterator[Runtime]:
    """The one way a command opens the runtime (``web.runtime.open_runtime``), closed however the
    command ends; a Meilisearch that cannot start is a clear message, not a traceback."""
    from search.errors import SearchError

    try:
        with open_runtime(settings, meili=meili, prepare=prepare) as rt:
            if rt.meili_source:
                typer.echo(f"Meilisearch：{rt.meili_source}")
            yield rt
    except SearchError as exc:
        _fail(f"Meilisearch 不可用 / Meilisearch unavailable: {exc}")


@app.command()
def migrate() -> None:
    """Apply database migrations (数据库迁移)."""
    settings = get_settings()
    with _runtime(settings, meili=MeiliMode.none):
        typer.echo(f"数据库已是最新结构：{settings.sqlalchemy_url.split('@')[-1]}")


def _seed(rt: Runtime, *, reset: bool = False) -> None:
    """Load the demo data once; a first load is indexed at once, with progress bars, instead of
    being left to the worker."""
    import time

    from demo.corpus import generate_corpus
    from demo.seed import SeedReport, demo_present
    from demo.seed import seed_demo as do_seed
    from market.db import session_scope, utcnow

    t0 = time.perf_counter()
    with session_scope(rt.session_factory) as session:
        if reset:
            from demo.reset import remove_demo

            typer.echo(f"已删除演示数据 {remove_demo(session)} 行，正在重新生成……")
        # A second start only looks for the marker: the corpus is not even generated.
        present = not reset and demo_present(session)
        report = SeedReport(already_present=True) if present else do_seed(session, generate_corpus(2026))
    typer.echo(f"{report}（用时 {time.perf_counter() - t0:.1f} 秒）")
    if report.already_present or rt.meili is None:
        return
    from search.reindex import reindex_all, settle_outbox

    started = utcnow()
    typer.echo("正在为演示数据建立搜索索引（含向量）……")
    reindex_all(rt.session_factory, rt.meili, rt.embedder, prefix=rt.index_prefix, vector_store=rt.settings.meili.vector_store)
    settle_outbox(rt.session_factory, started)


@app.command("seed-demo")
def seed_demo(
    reset: Annotated[bool, typer.Option("--reset", help="删除已有演示数据后重新生成")] = False,
) -> None:
    """Load the deterministic demo data set (does nothing if it is already there) and index it;
    ``--reset`` removes the demo data first and rebuilds it on purpose."""
    with _runtime(get_settings()) as rt:
        _seed(rt, reset=reset)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="监听地址")] = None,
    port: Annotated[int | None, typer.Option(help="端口（默认读 PORT，8000）")] = None,
    workers: Annotated[int, typer.Option(help="Web 进程数")] = 1,
    demo: Annotated[bool, typer.Option(help="首次启动时载入演示数据")] = False,
) -> None:
    """Start the web service (and, in the embedded mode, a supervised local Meilisearch). One
    process serves with this runtime; with several, each uvicorn worker opens its own and finds the
    managed Meilisearch through its data directory."""
    import uvicorn

    from web.app import create_app
    from web.proxies import uvicorn_proxy_options

    settings = get_settings()
    proxies = uvicorn_proxy_options(settings)
    host = host or settings.host
    port = port or settings.port
    with _runtime(settings) as rt:
        if demo:
            _seed(rt)
        typer.secho(f"揭榜 Jiebang 已启动：http://{host}:{port}", fg=typer.colors.GREEN)
        if workers > 1:
            uvicorn.run("web.asgi:app", host=host, port=port, workers=workers, log_level="warning", **proxies)
        else:
            app = create_app(runtime=rt, start_worker=settings.embedded_worker)
            uvicorn.run(app, host=host, port=port, log_level="warning", **proxies)


@app.command()
def worker(poll_interval: float = 0.5) -> None:
    """Run the outbox worker on its own (several may run side by side on PostgreSQL)."""
    from search.outbox import run_worker

    with _runtime(get_settings()) as rt:
        assert rt.meili is not None
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        typer.echo("outbox worker 运行中（Ctrl+C 停止）")
        run_worker(
            session_factory=rt.session_factory, client=rt.meili, embedder=rt.embedder, stop_event=stop,
            poll_interval=poll_interval, config=rt.worker_config(), handlers=rt.job_handlers(),
        )


@app.command()
def reindex(index: Annotated[str, typer.Argument(help="needs | needs_all | providers | all")] = "all") -> None:
    """Rebuild search indexes from the database into new indexes and swap them in (on the running
    service's Meilisearch when one is running)."""
    from search.reindex import reindex as do_reindex

    with _runtime(get_settings()) as rt:
        assert rt.meili is not None
        names = ["needs", "needs_all", "providers"] if index == "all" else [index]
        for name in names:
            result = do_reindex(
                rt.session_factory, rt.meili, rt.embedder, rt.index_prefix, name, vector_store=rt.settings.meili.vector_store
            )
            typer.echo(f"{name}: {result.documents} 条文档已重建，用时 {result.seconds:.1f} 秒")


@app.command()
def check() -> None:
    """Verify configuration and that every component answers."""
    settings = get_settings()
    typer.echo(f"数据目录: {settings.paths.data_dir}")
    typer.echo(f"数据库: {settings.sqlalchemy_url.split('@')[-1]}")
    typer.echo(f"向量模型: {settings.embedding.backend} {settings.embedding.model}")
    with _runtime(settings) as rt:
        result = health(rt)
    ok = True
    for name, info in result.items():
        status = info.get("status")
        good = status == "ok"
        ok &= good
        typer.secho(f"  {name:12s} {status}  {json.dumps({k: v for k, v in info.items() if k != 'status'}, ensure_ascii=False)}",
                    fg=typer.colors.GREEN if good else typer.colors.RED)
    if not ok:
        raise typer.Exit(1)


@app.command()
def evaluate(
    data_dir: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="评测数据目录（docs.jsonl / queries.jsonl / qrels.tsv）")],
    out: Annotated[Path, typer.Option("--out", help="输出目录")],
) -> None:
    """Evaluate keyword, vector, hybrid and final ranking on a data folder; writes metrics.json and
    ranked lists. Uses the running service's Meilisearch (in an index of its own), else a
    throwaway one outside the service's data; it says which."""
    from search.evaluation import run_evaluation

    settings = get_settings()
    with _runtime(settings, meili=MeiliMode.scratch, prepare=False) as rt:
        assert rt.meili is not None
        metrics = run_evaluation(
            data_dir, out, rt.meili, rt.embedder, f"{rt.index_prefix}eval_{int(time.time())}",
            cache_dir=settings.paths.data_dir / "cache",
        )
    typer.echo(json.dumps(metrics, ensure_ascii=False, indent=2))


@app.command()
def backup(path: Annotated[Path, typer.Argument(help="备份文件路径（须不存在）")]) -> None:
    """Online, consistent backup of the SQLite database (the app may keep running)."""
    from market import backup as bk
    from market.errors import DomainError

    settings = get_settings()
    try:
        report = bk.backup(bk.sqlite_path(settings.sqlalchemy_url), path)
    except DomainError as exc:
        _fail(exc.message)
        return
    typer.echo(f"已备份到 {report.path}：{len(report.tables)} 张表，{report.rows} 行")


@app.command()
def restore(
    path: Annotated[Path, typer.Argument(help="备份文件路径")],
    force: Annotated[bool, typer.Option("--force", help="覆盖已有数据的数据库")] = False,
) -> None:
    """Restore the SQLite database from a backup (stop the app first), then reindex."""
    from market import backup as bk
    from market.errors import DomainError

    settings = get_settings()
    try:
        report = bk.restore(path, bk.sqlite_path(settings.sqlalchemy_url), force=force)
    except DomainError as exc:
        _fail(exc.message)
        return
    typer.echo(f"已恢复到 {report.path}：{len(report.tables)} 张表，{report.rows} 行")
    typer.secho("搜索索引不在备份中：请运行 `jiebang reindex` 从数据库重建索引。", fg=typer.colors.YELLOW)


_FINDINGS = {"missing": "缺失", "stale": "过期", "extra": "多余", "vectorless": "缺向量"}
# Ids listed per finding; the rest is summed up (a wiped index would print every id).
_IDS_SHOWN = 20


@app.command()
def consistency(
    repair: Annotated[bool, typer.Option("--repair", help="把缺失、过期、多余、缺向量的文档交给 outbox 修复")] = False,
) -> None:
    """Compare every search index with the database; exit 1 when they differ (unless repaired)."""
    from market.db import session_scope
    from search.consistency import check_all
    from search.errors import SearchError

    with _runtime(get_settings()) as rt:
        assert rt.meili is not None
        try:
            with session_scope(rt.session_factory) as session:
                reports = check_all(rt.meili, session, prefix=rt.index_prefix, repair=repair, progress=True)
        except SearchError as exc:
            _fail(f"Meilisearch 不可用：{exc}")
            return
    clean = True
    for r in reports:
        clean &= r.consistent
        findings = r.findings()
        counts = "，".join(f"{_FINDINGS[kind]} {len(ids)}" for kind, ids in findings.items())
        line = f"{r.index}: 数据库 {r.expected} 条，索引 {r.indexed} 条，{counts}"
        if repair and r.enqueued:
            line += f"；已排队修复 {r.enqueued} 条"
        typer.secho(line, fg=typer.colors.GREEN if r.consistent else typer.colors.YELLOW)
        for kind, ids in findings.items():
            if ids:
                more = f" 等 {len(ids)} 条" if len(ids) > _IDS_SHOWN else ""
                typer.echo(f"  {_FINDINGS[kind]}: {', '.join(str(i) for i in ids[:_IDS_SHOWN])}{more}")
    if not clean and repair:
        typer.echo("修复已写入 outbox，由 worker 处理；稍后可再次运行 `jiebang consistency` 确认。")
    if not clean and not repair:
        raise typer.Exit(1)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
