"""Shared fixtures.

- The database is built by running the Alembic migrations (SQLite file by default; set
  ``JIEBANG_TEST_DATABASE_URL`` to run the same suite on PostgreSQL). Each test runs inside a
  transaction that is rolled back.
- Meilisearch fixtures start the real server (one per test session) with a per-test index prefix.
- Nothing here skips: a missing real component is an error, never a silent skip.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from market.db import make_engine
from market.migrate import upgrade
from market.orgs import service as org_service
from market.orgs.models import Organisation, Role, User
from market.settings import Settings
from tests import factories
from web.app import create_app
from web.runtime import Runtime

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _reset_postgres(url: str) -> Engine:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    return engine


@pytest.fixture(scope="session")
def test_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = Path(tmp_path_factory.mktemp("data"))
    s = Settings()
    s.paths.data_dir = data_dir
    s.embedding.backend = "hash"
    s.auth.secret_key = SecretStr("test-secret")
    return s


@pytest.fixture(scope="session")
def engine(test_settings: Settings) -> Iterator[Engine]:
    url = os.environ.get("JIEBANG_TEST_DATABASE_URL", "")
    if url:
        url = url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
        eng = _reset_postgres(url)
    else:
        eng = make_engine(f"sqlite:///{test_settings.paths.data_dir / 'test.db'}")
    upgrade(eng)
    if eng.dialect.name == "sqlite":
        _begin_transactions_for_real(eng)
    yield eng
    eng.dispose()


def _begin_transactions_for_real(engine: Engine) -> None:
    """pysqlite opens a transaction only at the first write, so a test's outer transaction did not
    exist until then, and a commit by the app before any write (its savepoint released) was kept
    for good. SQLAlchemy's recipe: let pysqlite leave transactions alone and emit BEGIN ourselves
    (docs: "Serializable isolation / Savepoints / Transactional DDL" for pysqlite)."""

    @event.listens_for(engine, "connect")
    def _no_implicit_transactions(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN")

    engine.dispose()  # connections made before the listeners (the migrations') are not reused


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[Engine]:
    """A database of its own on the real PostgreSQL at 127.0.0.1:5432, migrated from scratch, for
    tests whose threads commit; dropped at the end. (Its name is unique, so it never meets the
    suite's own database.)"""
    admin_url = os.environ.get("JIEBANG_PG_URL", PG_URL)
    name = f"jiebang_t_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    eng = make_engine(admin_url.rsplit("/", 1)[0] + f"/{name}")
    upgrade(eng)
    yield eng
    eng.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file built by the migrations, copied for each test that needs committed data."""
    path = Path(tmp_path_factory.mktemp("template")) / "migrated.db"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    eng.dispose()
    return path


@pytest.fixture
def committed_engine(migrated_sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    """A fresh migrated SQLite database of this test's own, for code that opens its own sessions and
    commits from other threads (the outbox worker, live servers): the rolled-back test transaction
    cannot hold that."""
    path = tmp_path / "committed.db"
    shutil.copyfile(migrated_sqlite_template, path)
    eng = make_engine(f"sqlite:///{path}")
    yield eng
    eng.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[object]:
    conn = engine.connect()
    trans = conn.begin()
    yield conn
    trans.rollback()
    conn.close()


@pytest.fixture
def session_factory(connection: object) -> sessionmaker[Session]:
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)  # type: ignore[call-overload]


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    s = session_factory()
    yield s
    s.close()


@pytest.fixture
def runtime(test_settings: Settings, engine: Engine, session_factory: sessionmaker[Session]) -> Runtime:
    from matching.embedders import load_embedder

    rt = Runtime(settings=test_settings, engine=engine, session_factory=session_factory)
    rt.set_embedder(load_embedder("hash"))
    return rt


@pytest.fixture
def app(runtime: Runtime) -> object:
    return create_app(runtime=runtime, start_worker=False)


@pytest.fixture
def client(app: object) -> Iterator[TestClient]:
    with TestClient(app) as c:  # type: ignore[arg-type]
        yield c


# --- people -----------------------------------------------------------------------------------


@pytest.fixture
def bureau_org(session: Session) -> Organisation:
    return factories.create_org(session, kind="bureau", industry=None, name="嘉兴市科学技术局（测试）")


@pytest.fixture
def bureau_user(session: Session, bureau_org: Organisation) -> User:
    return factories.create_user(session, bureau_org, roles=[Role.bureau_admin.value, Role.bureau_reviewer.value])


@pytest.fixture
def enterprise_org(session: Session) -> Organisation:
    return factories.create_org(session, kind="enterprise")


@pytest.fixture
def enterprise_user(session: Session, enterprise_org: Organisation) -> User:
    return factories.create_user(session, enterprise_org)


@pytest.fixture
def other_enterprise_user(session: Session) -> User:
    return factories.create_user(session, factories.create_org(session, kind="enterprise", county="海宁市"))


@pytest.fixture
def provider_org(session: Session) -> Organisation:
    return factories.create_org(session, kind="university", industry=None)


@pytest.fixture
def provider_user(session: Session, provider_org: Organisation) -> User:
    return factories.create_user(session, provider_org)


@pytest.fixture
def other_provider_user(session: Session) -> User:
    return factories.create_user(session, factories.create_org(session, kind="institute", industry=None))


@pytest.fixture
def expert_user(session: Session) -> User:
    org = factories.create_org(session, kind="university", industry=None)
    return factories.create_user(session, org, roles=[Role.member.value, Role.expert.value])


def token_for(session: Session, user: User) -> str:
    token, _ = org_service.issue_token(session, user, 24)
    session.flush()
    return token


@pytest.fixture
def auth(session: Session):  # type: ignore[no-untyped-def]
    """``auth(user)`` → headers with a fresh bearer token for that user."""

    def _headers(user: User) -> dict[str, str]:
        return {"Authorization": f"Bearer {token_for(session, user)}"}

    return _headers


# --- Meilisearch ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def meili_server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from tests.support.meili import start_test_meili

    server = start_test_meili(tmp_path_factory)
    yield server
    server.stop()


@pytest.fixture
def meili_client(meili_server):  # type: ignore[no-untyped-def]
    from tests.support.meili import client_for

    client = client_for(meili_server)
    yield client
    client.close()


@pytest.fixture
def index_prefix(meili_client):  # type: ignore[no-untyped-def]
    from tests.support.meili import drop_indexes, unique_prefix

    prefix = unique_prefix()
    yield prefix
    try:
        drop_indexes(meili_client, prefix)
    except Exception:  # noqa: BLE001 - a fault test may have left the server down
        pass


# --- mail -------------------------------------------------------------------------------------


@pytest.fixture
def smtp_server() -> Iterator[object]:
    """A real SMTP server on a free loopback port (tests/support/smtp.py), stopped after the test."""
    from tests.support.smtp import SmtpServer

    server = SmtpServer().start()
    yield server
    server.stop()
