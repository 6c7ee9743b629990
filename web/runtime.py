"""The process-wide parts an app instance runs with: database, Meilisearch, embedder, worker.

Built from settings in the app lifespan (or handed in by tests and the CLI), never at import time.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from market.db import make_engine, make_sessionmaker
from market.settings import Settings
from search.client import MeiliClient

if TYPE_CHECKING:
    from matching.embedders import Embedder
    from search.outbox import WorkerConfig
    from search.process import LocalMeilisearch

log = logging.getLogger("jiebang")


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    meili: MeiliClient | None = None
    local_meili: LocalMeilisearch | None = None
    index_prefix: str = "jiebang_"
    _embedder: Embedder | None = None
    _embedder_lock: threading.Lock = field(default_factory=threading.Lock)
    worker_stop: threading.Event = field(default_factory=threading.Event)
    # Set after a commit that wrote outbox entries, so the worker need not wait for its next poll.
    worker_wake: threading.Event = field(default_factory=threading.Event)
    worker_thread: threading.Thread | None = None
    jobs_thread: threading.Thread | None = None

    @property
    def embedder(self) -> Embedder:
        """The embedding model, loaded once per process on first use."""
        if self._embedder is None:
            with self._embedder_lock:
                if self._embedder is None:
                    from matching.embedders import CachedEmbedder, load_embedder

                    e = self.settings.embedding
                    self._embedder = CachedEmbedder(
                        load_embedder(
                            e.backend, e.model, query_prefix=e.query_prefix, passage_prefix=e.passage_prefix,
                            batch_size=e.batch_size,
                        )
                    )
        return self._embedder

    def set_embedder(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def ensure_indexes(self) -> None:
        """Apply the declared index settings, with the configured vector store (idempotent)."""
        if self.meili is None:
            return
        from search.indexes import ensure_indexes

        m = self.settings.meili
        ensure_indexes(self.meili, self.index_prefix, timeout=m.settings_timeout_s, vector_store=m.vector_store)

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
        )

    def start_worker(self, poll_interval: float = 0.2) -> None:
        """Run the outbox worker and the scheduled jobs in threads of this process."""
        if self.meili is None or self.worker_thread is not None:
            return
        from search.outbox import run_worker

        self.worker_stop.clear()
        embedder = self.embedder
        self.worker_thread = threading.Thread(
            target=run_worker,
            kwargs={
                "session_factory": self.session_factory,
                "client": self.meili,
                "embedder": embedder,
                "stop_event": self.worker_stop,
                "poll_interval": poll_interval,
                "config": self.worker_config(),
                "wake": self.worker_wake,
            },
            name="outbox-worker",
            daemon=True,
        )
        self.worker_thread.start()
        self.jobs_thread = threading.Thread(target=self._scheduled_jobs, name="scheduled-jobs", daemon=True)
        self.jobs_thread.start()

    def _scheduled_jobs(self, interval_s: float = 60.0) -> None:
        """Publish batches whose date has come and expire needs past their deadline."""
        from market.batches.service import publish_due
        from market.db import session_scope, utcnow
        from market.needs.service import expire_overdue

        while not self.worker_stop.is_set():
            try:
                with session_scope(self.session_factory) as session:
                    today = utcnow().date()
                    publish_due(session, today)
                    expire_overdue(session, today)
            except Exception:  # noqa: BLE001 - a failed round is logged and retried next round
                log.exception("scheduled jobs failed")
            self.worker_stop.wait(interval_s)

    def close(self) -> None:
        self.worker_stop.set()
        if self.worker_thread is not None:
            self.worker_thread.join(timeout=10)
            self.worker_thread = None
        if self.meili is not None:
            self.meili.close()
        if self.local_meili is not None:
            self.local_meili.stop()
        self.engine.dispose()


def build_runtime(settings: Settings, *, start_local_meili: bool = True) -> Runtime:
    """Database engine, and Meilisearch: the configured one, else a supervised local one."""
    settings.paths.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.sqlalchemy_url, settings.database.echo)
    runtime = Runtime(
        settings=settings, engine=engine, session_factory=make_sessionmaker(engine), index_prefix=settings.meili.index_prefix
    )
    m = settings.meili
    if m.url:
        key = m.master_key.get_secret_value() if m.master_key else None
        runtime.meili = MeiliClient(m.url, key)
    elif start_local_meili:
        from search.process import LocalMeilisearch

        local = LocalMeilisearch(
            settings.paths.meili_dir, m.binary, max_indexing_memory=m.max_indexing_memory or None
        ).start()
        runtime.local_meili = local
        runtime.meili = MeiliClient(local.url, local.master_key)
    return runtime
