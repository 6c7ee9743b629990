"""The search tests' names over the shared world (tests/conftest.py): the session's one real
Meilisearch with an index prefix per test, and committed databases built by the migrations
(``db_factory`` on SQLite, ``pg_factory`` on PostgreSQL) for tests whose worker threads commit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from market.db import make_sessionmaker
from market.models import metadata
from matching.embedders import HashEmbedder
from search.client import MeiliClient


@pytest.fixture
def search_client(meili_client: MeiliClient) -> MeiliClient:
    return meili_client


@pytest.fixture
def prefix(index_prefix: str) -> str:
    return index_prefix


@pytest.fixture
def db_factory(committed_engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(committed_engine)


@pytest.fixture
def pg_factory(pg_engine: Engine) -> Iterator[sessionmaker[Session]]:
    yield make_sessionmaker(pg_engine)
    with pg_engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder(384)
