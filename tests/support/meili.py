"""Test support: one real Meilisearch per test session, one index prefix per test.

Used by ``tests/conftest.py``::

    @pytest.fixture(scope="session")
    def meili_server(tmp_path_factory):
        server = start_test_meili(tmp_path_factory)
        yield server
        server.stop()
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from market.settings import get_settings
from search.client import MeiliClient
from search.process import LocalMeilisearch


def start_test_meili(tmp_path_factory: Any, binary: Path | None = None) -> LocalMeilisearch:
    """Start a Meilisearch for the test session in a fresh temporary directory."""
    data_dir = Path(tmp_path_factory.mktemp("meili"))
    server = LocalMeilisearch(
        data_dir, binary or get_settings().meili.binary, max_indexing_threads=2
    )
    return server.start()


def client_for(server: LocalMeilisearch, timeout: float = 10.0) -> MeiliClient:
    return MeiliClient(server.url, server.master_key, timeout=timeout)


def unique_prefix() -> str:
    """An index prefix no other test uses: tests share the server, never an index."""
    return f"t{uuid.uuid4().hex[:10]}_"


def drop_indexes(client: MeiliClient, prefix: str) -> None:
    """Delete every index that starts with ``prefix`` (including rebuild leftovers)."""
    for idx in client.list_indexes():
        uid = str(idx["uid"])
        if uid.startswith(prefix):
            client.delete_index(uid)
