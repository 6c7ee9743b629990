"""Real Meilisearch for the search tests: one server per session, one index prefix per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from search.client import MeiliClient
from search.process import LocalMeilisearch
from search.testing import client_for, drop_indexes, start_test_meili, unique_prefix


@pytest.fixture(scope="session")
def search_meili_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalMeilisearch]:
    server = start_test_meili(tmp_path_factory)
    yield server
    server.stop()


@pytest.fixture
def search_client(search_meili_server: LocalMeilisearch) -> Iterator[MeiliClient]:
    client = client_for(search_meili_server)
    yield client
    client.close()


@pytest.fixture
def prefix(search_client: MeiliClient) -> Iterator[str]:
    value = unique_prefix()
    yield value
    try:
        drop_indexes(search_client, value)
    except Exception:  # noqa: BLE001 - a fault test may have left the server down
        pass


# -- database --------------------------------------------------------------------------------------
# A local stand-in until tests/conftest.py provides migrated `session_factory` fixtures: the
# schema comes from the models (create_all) on a temporary SQLite file, or on a throwaway
# PostgreSQL database for the `postgres` tests.

import uuid  # noqa: E402
from typing import Any  # noqa: E402

from sqlalchemy import Engine, create_engine, text  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

import market.models  # noqa: E402,F401 - registers every table
from market.db import Base, make_engine, make_sessionmaker  # noqa: E402
from matching.embedders import HashEmbedder  # noqa: E402

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def db_factory(tmp_path: Any) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'search.db'}")
    Base.metadata.create_all(engine)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def search_pg_engine() -> Iterator[Engine]:
    name = f"search_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    # No skip: a PostgreSQL test without PostgreSQL is a failure (CI starts the server).
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg_factory(search_pg_engine: Engine) -> Iterator[sessionmaker[Session]]:
    yield make_sessionmaker(search_pg_engine)
    with search_pg_engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder(384)


