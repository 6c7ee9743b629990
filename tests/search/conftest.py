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
