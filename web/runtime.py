"""The process-wide parts an app instance runs with: database, Meilisearch, embedder, worker.

There is one way to open them (``open_runtime``) and one way to prepare them (``Runtime.prepare``:
migrations and index settings), used by ``jiebang serve``, the app lifespan, the ``worker``
command and every other CLI command; tests hand in runtimes of their own. Built from settings,
never at import time.

Meilisearch is the configured one (``MEILI_URL``), else the managed local one under the data
directory. A managed instance records itself in ``<data>/meili/running.json``, so every other
process on that data directory (uvicorn workers, ``jiebang reindex``, ``jiebang worker``) connects
to it instead of starting a second server on the same files.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from market.db import make_engine, make_sessionmaker
from market.settings import Settings
from search.client import MeiliClient

if TYPE_CHECKING:
    from market.mail.sender import MailSender
    from market.mail.transport import Transport
    from market.needs.queries import CandidateFinder
    from matching.embedders import Embedder
    from search.outbox import JobHandler, OutboxWorker, WorkerConfig
    from search.process import LocalMeilisearch

log = logging.getLogger("jiebang")


class MeiliMode(StrEnum):
    """How a runtime finds Meilisearch when no ``MEILI_URL`` is configured."""

    managed = "managed"  # connect to the instance running on the data directory, or start it
    scratch = "scratch"  # connect to the running instance, or start a throwaway one elsewhere
    none = "none"  # no search at all (migrations, backups)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    meili: MeiliClient | None = None
    local_meili: LocalMeilisearch | None = None
    index_prefix: str = "jiebang_"
    # Where the Meilisearch came from, in words (shown by the CLI).
    meili_source: str = ""
    _embedder: Embedder | None = None
    _embedder_lock: threading.Lock = field(default_factory=threading.Lock)
    worker: OutboxWorker | None = None
    jobs_stop: threading.Event = field(default_factory=threading.Event)
    jobs_thread: threading.Thread | None = None

    @property
    def embedder(self) -> Embedder:
        """The embedding model, loaded once per process on first use."""
        if self._embedder is None:
            with self._embedder_lock:
                if self._embedder is None:
                    from matching.embedders import BatchingEmbedder, CachedEmbedder, load_embedder

                    e = self.settings.embedding
                    # Recurring texts from the cache; concurrent queries to the model in batches.
                    self._embedder = CachedEmbedder(
                        BatchingEmbedder(
                            load_embedder(
                                e.backend, e.model, query_prefix=e.query_prefix, passage_prefix=e.passage_prefix,
                                batch_size=e.batch_size,
                            )
                        )
                    )
        return self._embedder

    def embedder_or_none(self) -> Embedder | None:
        """The embedder, or None (logged) where the model cannot be loaded: hints go without it."""
        try:
            return self.embedder
        except Exception:  # noqa: BLE001 - a missing model degrades hints, never a request
            log.warning("embedder unavailable; hints without the semantic part", exc_info=True)
            return None

    def duplicate_finder(self) -> CandidateFinder | None:
        """Near-duplicate candidates from the index (``search.neighbours``); None without one."""
        if self.meili is None:
            return None
        from search.neighbours import NeedNeighbours

        return NeedNeighbours(self.meili, self.index_prefix, self.embedder_or_none())

    def set_embedder(self, embedder: Embedder) -> None:
        self._embedder = embedder

    # -- preparing --------------------------------------------------------------------------

    def migrate(self) -> None:
        from market.migrate import upgrade

        upgrade(self.engine)

    def ensure_indexes(self) -> None:
        """Apply the declared index settings, with the configured vector store (idempotent)."""
        if self.meili is None:
            return
        from search.indexes import ensure_indexes

        m = self.settings.meili
        ensure_indexes(self.meili, self.index_prefix, timeout=m.settings_timeout_s, vector_store=m.vector_store)

    def prepare(self) -> None:
        """Bring the database and the indexes to the shape this code expects."""
        self.migrate()
        self.ensure_indexes()

    # -- the worker ------------------------------------------------------------------------

    def worker_config(self) -> WorkerConfig:
        from search.outbox import WorkerConfig

        m = self.settings.meili
        return WorkerConfig(
            prefix=self.index_prefix,
            task_timeout_s=m.task_timeout_s,
            vector_store=m.vector_store,
            settings_timeout_s=m.settings_timeout_s,
            vector_interval_s=m.vector_interval_s,
            vector_max_wait_s=m.vector_max_wait_s,
            claim_lease_s=m.claim_lease_s,
        )

    def mail_transport(self) -> Transport:
        from market.mail.transport import transport_from_settings

        return transport_from_settings(self.settings)

    def mail_sender(self) -> MailSender:
        """The outbox worker's handler for mail, with the links signed by this app's secret."""
        from market.mail.preferences import unsubscribe_path
        from market.mail.render import absolute_url
        from market.mail.sender import MailSender

        secret = self.settings.secret_key()
        mail = self.settings.mail

        def unsubscribe_url(message: Any) -> str:
            path = unsubscribe_path(secret, message.user_id, message.kind)
            return absolute_url(mail.base_url, path) if path else ""

        return MailSender(self.session_factory, self.mail_transport(), mail, unsubscribe_url=unsubscribe_url)

    def job_handlers(self) -> list[JobHandler]:
        """Handlers of the outbox topics other than the indexes, run by every worker: saved
        searches of published needs, mail, and the matched alerts of published needs (which need Meilisearch)."""
        from market.flows import SavedSearchHandler

        handlers: list[JobHandler] = [SavedSearchHandler(self.session_factory), self.mail_sender()]
        if self.meili is not None:
            from search.alerts import MatchAlertHandler

            handlers.append(
                MatchAlertHandler(self.session_factory, self.meili, self.embedder, self.settings.alerts, prefix=self.index_prefix)
            )
        return handlers

    def notify_worker(self) -> None:
        """Something was committed to the outbox: the worker looks now instead of at its next poll."""
        if self.worker is not None:
            self.worker.notify()

    def start_worker(self, poll_interval: float = 0.2) -> None:
        """Run the outbox worker (``search.outbox.OutboxWorker``, the one the tests drive) and the
        scheduled jobs in threads of this process."""
        if self.meili is None or self.worker is not None:
            return
        from search.outbox import OutboxWorker

        self.worker = OutboxWorker(
            self.session_factory, self.meili, self.embedder, self.worker_config(), poll_interval=poll_interval,
            handlers=self.job_handlers(),
        ).start()
        self.jobs_stop.clear()
        self.jobs_thread = threading.Thread(target=self._scheduled_jobs, name="scheduled-jobs", daemon=True)
        self.jobs_thread.start()

    def _scheduled_jobs(self, interval_s: float = 60.0) -> None:
        """Publish batches whose date has come, expire needs past their deadline, send the
        reminders and the daily digests that are due (each idempotent, safe with several workers)."""
        from market import flows
        from market.db import CST, session_scope, utcnow
        from market.mail.digest import send_due_digests
        from market.reminders import service as reminders

        while not self.jobs_stop.is_set():
            try:
                with session_scope(self.session_factory) as session:
                    today = utcnow().astimezone(CST).date()
                    flows.publish_due(session, today)
                    flows.expire_overdue(session, today)
                with session_scope(self.session_factory) as session:
                    reminders.run_due(session, today)
                with session_scope(self.session_factory) as session:
                    send_due_digests(session)
                self.notify_worker()
            except Exception:  # noqa: BLE001 - a failed round is logged and retried next round
                log.exception("scheduled jobs failed")
            self.jobs_stop.wait(interval_s)

    def stop_worker(self) -> None:
        self.jobs_stop.set()
        if self.worker is not None:
            self.worker.stop()
            self.worker = None
        if self.jobs_thread is not None:
            self.jobs_thread.join(timeout=10)
            self.jobs_thread = None

    def close(self) -> None:
        self.stop_worker()
        if self.meili is not None:
            self.meili.close()
        if self.local_meili is not None:
            self.local_meili.stop()
        self.engine.dispose()


def _connect_meili(runtime: Runtime, mode: MeiliMode) -> None:
    from search.process import LocalMeilisearch, find_running, start_lock

    settings = runtime.settings
    m = settings.meili
    if m.url:
        key = m.master_key.get_secret_value() if m.master_key else None
        runtime.meili = MeiliClient(m.url, key)
        runtime.meili_source = f"外部 Meilisearch {m.url}"
        return
    if mode is MeiliMode.none:
        return
    with start_lock(settings.paths.meili_dir):
        running = find_running(settings.paths.meili_dir)
        if running is not None:
            runtime.meili = MeiliClient(running.url, running.master_key)
            runtime.meili_source = f"正在运行的托管 Meilisearch {running.url}（数据目录 {settings.paths.meili_dir}）"
            return
        data_dir: Path = (
            settings.paths.meili_dir if mode is MeiliMode.managed else settings.paths.data_dir / "cache" / "meili-scratch"
        )
        local = LocalMeilisearch(data_dir, m.binary, max_indexing_memory=m.max_indexing_memory or None).start()
    runtime.local_meili = local
    runtime.meili = MeiliClient(local.url, local.master_key)
    runtime.meili_source = (
        f"新启动的托管 Meilisearch {local.url}（数据目录 {data_dir}）"
        if mode is MeiliMode.managed
        else f"临时 Meilisearch {local.url}（独立目录 {data_dir}，不影响服务的索引）"
    )


def build_runtime(settings: Settings, *, meili: MeiliMode = MeiliMode.managed) -> Runtime:
    """Database engine, and Meilisearch as ``meili`` says (see ``MeiliMode``)."""
    settings.paths.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.sqlalchemy_url, settings.database.echo)
    runtime = Runtime(
        settings=settings, engine=engine, session_factory=make_sessionmaker(engine), index_prefix=settings.meili.index_prefix
    )
    try:
        _connect_meili(runtime, meili)
    except BaseException:
        engine.dispose()
        raise
    return runtime


@contextmanager
def open_runtime(settings: Settings, *, meili: MeiliMode = MeiliMode.managed, prepare: bool = True) -> Iterator[Runtime]:
    """A prepared runtime for the length of a command or an app's life, closed however it ends."""
    runtime = build_runtime(settings, meili=meili)
    try:
        if prepare:
            runtime.prepare()
        yield runtime
    finally:
        runtime.close()


# -- health ---------------------------------------------------------------------------------------


def _mail_status(mail: dict[str, Any]) -> str:
    """Mail that has not gone out after a try is a problem a person must see (queued, not lost)."""
    problems = []
    if mail["failing"]:
        problems.append(f"{mail['failing']} 封邮件发送失败、排队重试中")
    if mail["parked"]:
        problems.append(f"{mail['parked']} 封邮件已搁置（parked）")
    if not problems:
        return "ok"
    return "；".join(problems) + (f"。最近错误：{mail['last_error']}"[:300] if mail["last_error"] else "")


def health(runtime: Runtime, *, load_embedder: bool = True) -> dict[str, Any]:
    """One entry per component, each ``{"status": "ok", ...}`` or the problem in Chinese: what
    ``/healthz``, ``jiebang check`` and the tests read."""
    from sqlalchemy import func, select

    from market.mail.sender import backlog as mail_backlog
    from market.outbox.models import OutboxEntry
    from market.outbox.service import JOB_TOPICS

    indexed = OutboxEntry.topic.not_in(JOB_TOPICS)
    result: dict[str, Any] = {}
    try:
        with runtime.session_factory() as session:
            session.execute(text("SELECT 1"))
            pending = session.scalar(select(func.count(OutboxEntry.id)).where(indexed, OutboxEntry.status == "pending")) or 0
            parked = session.scalar(select(func.count(OutboxEntry.id)).where(indexed, OutboxEntry.status == "parked")) or 0
            mail = mail_backlog(session)
        result["database"] = {"status": "ok", "dialect": runtime.engine.dialect.name}
        outbox_status = "ok" if parked == 0 else f"{parked} 条同步任务已搁置（parked），请查看 jiebang check"
        result["outbox"] = {"status": outbox_status, "pending": pending, "parked": parked}
        result["mail"] = {"status": _mail_status(mail), "transport": runtime.mail_transport().description, **mail}
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        result["database"] = {"status": f"数据库不可用：{type(exc).__name__}: {exc}"[:300]}
        result["outbox"] = {"status": "未知（数据库不可用）"}
        result["mail"] = {"status": "未知（数据库不可用）"}
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
