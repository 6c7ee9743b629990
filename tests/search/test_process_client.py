from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from market.settings import get_settings
from search.client import MeiliClient
from search.errors import MeiliBinaryMissing, MeiliRequestError, MeiliTaskFailed, MeiliUnavailable
from search.indexes import NEEDS, ensure_indexes, index_settings, synonyms
from search.process import LocalMeilisearch

pytestmark = pytest.mark.meili


def test_server_is_healthy_and_key_is_required(meili_server: LocalMeilisearch) -> None:
    with MeiliClient(meili_server.url, meili_server.master_key) as client:
        assert client.health() == {"status": "available"}
        assert client.version()["pkgVersion"].startswith("1.")
    with MeiliClient(meili_server.url, "wrong-key-wrong-key") as bad:
        with pytest.raises(MeiliRequestError) as info:
            bad.list_indexes()
        assert info.value.status_code in (401, 403)


def test_missing_binary_gives_a_clear_error(tmp_path: Path) -> None:
    server = LocalMeilisearch(tmp_path / "d", tmp_path / "nope" / "meilisearch")
    with pytest.raises(MeiliBinaryMissing) as info:
        server.start()
    assert "找不到 Meilisearch" in str(info.value)
    assert "not found" in str(info.value)


def test_port_clash_gives_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        port = sock.getsockname()[1]
        server = LocalMeilisearch(tmp_path / "d", get_settings().meili.binary, port=port)
        with pytest.raises(MeiliUnavailable) as info:
            server.start()
    assert "已被占用" in str(info.value)


def test_copies_non_executable_binary_and_restart_keeps_data(tmp_path: Path) -> None:
    binary = get_settings().meili.binary
    data = tmp_path / "d"
    with LocalMeilisearch(data, binary) as server:
        if not os.access(binary, os.X_OK):
            assert (data / "bin" / "meilisearch").is_file()
        key = server.master_key
        port = server.port
        client = MeiliClient(server.url, key)
        client.wait_task(client.create_index("keep"))
        client.wait_task(client.add_documents("keep", [{"id": 1, "title": "余热回收"}]))
        server.restart()
        assert server.port == port
        assert client.get_document("keep", 1) == {"id": 1, "title": "余热回收"}
        server.stop()
        with pytest.raises(MeiliUnavailable):
            client.health()
        assert not client.is_healthy()
    # a new manager over the same directory reuses the key
    assert LocalMeilisearch(data, binary).master_key == key


def test_failed_task_raises(search_client: MeiliClient, prefix: str) -> None:
    uid = f"{prefix}x"
    search_client.wait_task(search_client.create_index(uid))
    task = search_client.add_documents(uid, [{"id": "bad id with spaces!", "t": 1}])
    with pytest.raises(MeiliTaskFailed) as info:
        search_client.wait_task(task)
    assert info.value.task["status"] == "failed"


def test_ensure_indexes_is_idempotent(search_client: MeiliClient, prefix: str) -> None:
    uids = ensure_indexes(search_client, prefix)
    assert set(uids) == {"needs", "needs_all", "providers"}
    settings = search_client.get_settings(uids[NEEDS])
    assert settings["embedders"]["default"]["source"] == "userProvided"
    assert "industry" in settings["filterableAttributes"]
    assert settings["localizedAttributes"][0]["locales"] == ["zho"]
    before = search_client.get_tasks(limit=1)["results"][0]["uid"]
    ensure_indexes(search_client, prefix)
    after = search_client.get_tasks(limit=1)["results"][0]["uid"]
    assert before == after  # nothing changed, nothing enqueued
    assert "CNC机床" in synonyms()["数控机床"]
    assert index_settings("needs_all")["filterableAttributes"][-1] == "disclosure"


def test_synonyms_and_hybrid_search(search_client: MeiliClient, prefix: str) -> None:
    uid = ensure_indexes(search_client, prefix, dimensions=3, names=[NEEDS])[NEEDS]
    docs = [
        {"id": "1", "title": "CNC机床远程运维", "status": "published", "_vectors": {"default": [1, 0, 0]}},
        {"id": "2", "title": "太阳能屋顶改造", "status": "published", "_vectors": {"default": [0, 1, 0]}},
    ]
    search_client.wait_task(search_client.add_documents(uid, docs))
    hits = search_client.search(uid, {"q": "数控机床"})["hits"]
    assert [h["id"] for h in hits] == ["1"]
    hits = search_client.search(uid, {"q": "光伏"})["hits"]
    assert [h["id"] for h in hits] == ["2"]
    res = search_client.search(
        uid,
        {"q": "", "vector": [0, 1, 0.1], "hybrid": {"embedder": "default", "semanticRatio": 1.0}, "limit": 1},
    )
    assert res["hits"][0]["id"] == "2"


def test_a_managed_instance_is_found_by_other_processes_and_forgotten_when_gone(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``find_running`` is how every other process on a data directory finds the managed server;
    a stopped or crashed one is not found."""
    from market.settings import get_settings
    from search.process import LocalMeilisearch, find_running

    assert find_running(tmp_path) is None
    server = LocalMeilisearch(tmp_path, get_settings().meili.binary).start()
    try:
        found = find_running(tmp_path)
        assert found is not None and found.url == server.url and found.master_key == server.master_key
    finally:
        server.kill()  # as a crash: the state file stays behind
    assert (tmp_path / "running.json").exists() and find_running(tmp_path) is None
    server.start()
    assert find_running(tmp_path) is not None
    server.stop()
    assert find_running(tmp_path) is None and not (tmp_path / "running.json").exists()
