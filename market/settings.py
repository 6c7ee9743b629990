"""The one settings object. Nothing else in Jiebang reads ``os.environ``.

Defaults give the embedded mode: a SQLite file and a managed local Meilisearch under the data
directory, the bundled multilingual-e5-small embedder, a secret key generated once and kept in
the data directory.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class PathSettings(BaseModel):
    data_dir: Path = REPO_ROOT / "data"

    @property
    def meili_dir(self) -> Path:
        return self.data_dir / "meili"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"


class DatabaseSettings(BaseModel):
    # Empty means the embedded default: ``sqlite:///<data_dir>/jiebang.db``.
    url: str = ""
    echo: bool = False


class MeiliSettings(BaseModel):
    # Empty means: start and supervise a local Meilisearch beside the SQLite file.
    url: str = ""
    master_key: SecretStr | None = None
    binary: Path = REPO_ROOT / "node_modules" / "@gaubee" / "meilisearch-linux-amd64" / "meilisearch"
    index_prefix: str = "jiebang_"
    semantic_ratio: float = Field(default=0.5, ge=0.0, le=1.0)
    # Hits of a typed query below this ranking score are not shown or counted
    # (``rankingScoreThreshold``; tuned on ../shared/data with bench/bench_relevance_floor.py).
    # Without it a hybrid search lists every semantic neighbour, for nonsense too. 0 turns it off.
    # e5 semantic scores are (1 + cosine) / 2: unrelated Chinese text scores 0.89-0.93.
    relevance_floor: float = Field(default=0.93, ge=0.0, le=1.0)
    # The floor for a query none of whose words occurs in any document (only semantic hits).
    relevance_floor_without_words: float = Field(default=0.94, ge=0.0, le=1.0)
    task_timeout_s: float = 30.0
    # Where Meilisearch keeps the vectors (``JIEBANG_MEILI__VECTOR_STORE``): "experimental"
    # (hannoy, HNSW) makes each small write on a large index cheap, which is what a published need
    # waits for, but panics on some searches in Meilisearch 1.21 (search/indexes.py); "stable"
    # (arroy) is Meilisearch's default. Changing it converts the live indexes at the next start
    # (see docs/operations.md).
    vector_store: Literal["stable", "experimental"] = "stable"
    # How long the start may wait for a settings task, such as that conversion, on each index.
    settings_timeout_s: float = 600.0
    # The outbox worker writes a document's fields at once and its vector in a shared round at
    # most this often (``JIEBANG_MEILI__VECTOR_INTERVAL_S``; search/outbox.py, VectorGate): each
    # vector write rebuilds trees for seconds on a large index, delaying the writes behind it.
    # 0 writes fields and vector in the same round.
    vector_interval_s: float = Field(default=5.0, ge=0.0)
    # A running vector round is cancelled when new field writes arrive, until vectors have waited
    # this long (``JIEBANG_MEILI__VECTOR_MAX_WAIT_S``); then it runs to the end however busy.
    vector_max_wait_s: float = Field(default=60.0, ge=0.0)
    # Outbox entries a worker claimed are not due for other workers for this long
    # (``JIEBANG_MEILI__CLAIM_LEASE_S``; search/outbox.py): past it, the entries of a worker that
    # died mid-round are taken up by another. Longer than a round takes; a round that outlives it
    # is only repeated (idempotent writes).
    claim_lease_s: float = Field(default=120.0, gt=0.0)
    # Indexing memory of the managed local Meilisearch (``--max-indexing-memory``; empty: its
    # default, two thirds of RAM). Meilisearch appears to prepare that much for every batch:
    # on a 24 GB machine a one-document write took 0.13-2.5 s with the default and 0.01-0.04 s
    # with 512 MiB (docs/operations.md). Set the same flag on an external Meilisearch.
    max_indexing_memory: str = "512MiB"


class EmbeddingSettings(BaseModel):
    backend: Literal["e5", "sentence-transformers", "hash"] = "e5"
    # For sentence-transformers: a local model directory or a model id already on disk.
    model: str = ""
    query_prefix: str = ""
    passage_prefix: str = ""
    batch_size: int = 32


class AuthSettings(BaseModel):
    secret_key: SecretStr | None = None
    token_ttl_hours: int = 24 * 7
    max_failed_logins: int = 5
    lockout_minutes: int = 15
    cookie_secure: bool = False
    # The site's address as browsers see it (``JIEBANG_AUTH__SITE_URL``, e.g. https://jiebang.example.cn):
    # cookie-authenticated writes whose Origin or Referer is another site are refused. Empty: the
    # address the request was sent to.
    site_url: str = ""
    # Sign-in attempts one client address may make per window (``JIEBANG_AUTH__LOGIN_ATTEMPTS_PER_ADDRESS``,
    # ``JIEBANG_AUTH__LOGIN_WINDOW_S``). Counted in the database, so the limit holds across server
    # processes (market/orgs/ratelimit.py).
    login_attempts_per_address: int = Field(default=20, ge=1)
    login_window_s: int = Field(default=60, ge=1)
    # Password-reset requests one client address may make per ``login_window_s``
    # (``JIEBANG_AUTH__RESET_REQUESTS_PER_ADDRESS``).
    reset_requests_per_address: int = Field(default=5, ge=1)


class MailSettings(BaseModel):
    # ``JIEBANG_MAIL__URL``: ``smtp://user:pass@host:587?starttls=1``, ``smtps://user:pass@host:465``
    # or ``maildir:///path``. Empty is the embedded default: a Maildir under ``<data>/mail``
    # (``mailbox.Maildir`` reads it), so nothing needs a mail server and a person can read what went out.
    url: SecretStr = SecretStr("")
    sender: str = "嘉兴揭榜挂帅平台 <noreply@jiebang.localhost>"
    # Where the links in a mail point (``JIEBANG_MAIL__BASE_URL``).
    base_url: str = "http://127.0.0.1:8000"
    timeout_s: float = Field(default=15.0, gt=0)
    # A mail that the server refuses keeps its attempts, next try and last error; after
    # ``max_attempts`` it is parked (shown by /healthz and ``jiebang check``). An unreachable
    # server does not park mail: it stays queued and is tried again with backoff.
    max_attempts: int = Field(default=8, ge=1)
    backoff_base_s: float = Field(default=5.0, ge=0)
    backoff_max_s: float = Field(default=3600.0, ge=0)
    # A worker that claimed a mail has this long to send it before another worker may.
    lease_s: float = Field(default=120.0, gt=0)


class AlertSettings(BaseModel):
    """Matched alerts ("可能适合您的新需求"), sent when a need is published (search/alerts.py):
    providers whose fused match score (matching.ranking) reaches ``threshold``, at most ``top_n``
    per need, and at most ``per_provider_per_day`` alerts to one provider in 24 hours."""

    threshold: float = Field(default=0.35, ge=0.0)
    top_n: int = Field(default=5, ge=0)
    per_provider_per_day: int = Field(default=3, ge=0)
    # A saved search whose words are not all in a new need still fires when its query's
    # embedding is at least this close (cosine) to the need's title and summary.
    saved_search_similarity: float = Field(default=0.85, ge=0.0, le=1.0)


class CallLimit(BaseModel):
    calls: int = Field(ge=1)
    window_s: int = Field(ge=1)


class LimitSettings(BaseModel):
    max_body_bytes: int = 2 * 1024 * 1024
    max_upload_bytes: int = 10 * 1024 * 1024
    # Expensive calls per client address and window, counted in the database like the sign-in limit
    # (``JIEBANG_LIMITS__REGISTRATION__CALLS`` ...; issue 14, findings 1-3).
    registration: CallLimit = CallLimit(calls=10, window_s=3600)
    anonymous_search: CallLimit = CallLimit(calls=30, window_s=60)
    unverified_duplicates: CallLimit = CallLimit(calls=20, window_s=60)
    # Uploads one organisation may keep in all (issue 14, finding 17).
    org_upload_quota_bytes: int = 200 * 1024 * 1024
    # Client addresses whose X-Forwarded-For is believed (``JIEBANG_LIMITS__TRUSTED_PROXIES``,
    # e.g. ``["127.0.0.1"]`` behind a local nginx); empty: none, the peer's address is the client's.
    trusted_proxies: list[str] = []


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_nested_delimiter="__", extra="ignore", env_prefix="JIEBANG_"
    )

    paths: PathSettings = PathSettings()
    database: DatabaseSettings = DatabaseSettings()
    meili: MeiliSettings = MeiliSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    auth: AuthSettings = AuthSettings()
    limits: LimitSettings = LimitSettings()
    mail: MailSettings = MailSettings()
    alerts: AlertSettings = AlertSettings()
    # Plain names that operators expect; they override the nested sections.
    database_url: str = Field(default="", validation_alias="DATABASE_URL")
    meili_url: str = Field(default="", validation_alias="MEILI_URL")
    meili_master_key: SecretStr | None = Field(default=None, validation_alias="MEILI_MASTER_KEY")
    data_dir: Path | None = Field(default=None, validation_alias="JIEBANG_DATA_DIR")
    embedded_worker: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=8000, validation_alias="PORT")

    def model_post_init(self, __context: object) -> None:
        if self.data_dir is not None:
            self.paths.data_dir = self.data_dir
        if self.database_url:
            self.database.url = self.database_url
        if self.meili_url:
            self.meili.url = self.meili_url
        if self.meili_master_key is not None:
            self.meili.master_key = self.meili_master_key

    @property
    def sqlalchemy_url(self) -> str:
        url = self.database.url or f"sqlite:///{self.paths.data_dir / 'jiebang.db'}"
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return url

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")

    def secret_key(self) -> str:
        """The configured secret, else one generated once and kept in the data directory."""
        if self.auth.secret_key is not None:
            return self.auth.secret_key.get_secret_value()
        path = self.paths.data_dir / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
