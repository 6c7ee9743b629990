"""Two `serve` and two `worker` processes on one PostgreSQL and one Meilisearch: a mixed load,
one server and one worker killed mid-run; nothing lost, nothing done twice, and the index equals
the database afterwards (issue 15, "more machines when one is not enough")."""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select

from market.db import make_sessionmaker, session_scope
from market.needs.models import Need
from market.orgs import service as org_service
from market.outbox.models import OutboxEntry
from search.consistency import check_all
from search.indexes import ensure_indexes
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.meili, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[1]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def fleet(pg_engine: Engine, meili_server, meili_client, index_prefix: str, tmp_path: Path) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    ensure_indexes(meili_client, index_prefix, dimensions=384)
    factory = make_sessionmaker(pg_engine)
    with session_scope(factory) as s:
        ents = [factories.create_user(s, factories.create_org(s)) for _ in range(4)]
        tokens = [org_service.issue_token(s, u, 24)[0] for u in ents]
    env = {
        **os.environ,
        "DATABASE_URL": pg_engine.url.render_as_string(hide_password=False),
        "MEILI_URL": meili_server.url, "MEILI_MASTER_KEY": meili_server.master_key,
        "JIEBANG_MEILI__INDEX_PREFIX": index_prefix, "JIEBANG_EMBEDDING__BACKEND": "hash",
        "JIEBANG_EMBEDDED_WORKER": "false", "JIEBANG_DATA_DIR": str(tmp_path), "JIEBANG_MEILI__CLAIM_LEASE_S": "10",
        "JIEBANG_AUTH__SECRET_KEY": "scale-out-secret", "PYTHONPATH": str(ROOT),
    }
    log = open(tmp_path / "fleet.log", "wb")  # noqa: SIM115 - closed below
    ports = [_port(), _port()]
    servers = [
        subprocess.Popen([sys.executable, "-m", "uvicorn", "web.asgi:app", "--host", "127.0.0.1", "--port", str(p),
                          "--log-level", "warning"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        for p in ports
    ]
    workers = [
        subprocess.Popen([sys.executable, "-c", "from web.cli import main; main()", "worker", "--poll-interval", "0.2"],
                         cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        for _ in range(2)
    ]
    bases = [f"http://127.0.0.1:{p}" for p in ports]
    deadline = time.monotonic() + 120
    for base in bases:
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=5).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "fleet.log").read_text(errors="replace")[-3000:]
            time.sleep(0.5)
    try:
        yield {"factory": factory, "tokens": tokens, "bases": bases, "servers": servers, "workers": workers,
               "client": meili_client, "prefix": index_prefix, "log": tmp_path / "fleet.log"}
    finally:
        for p in servers + workers:
            if p.poll() is None:
                p.terminate()
        for p in servers + workers:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        log.close()


def test_two_servers_two_workers_one_of_each_killed(fleet: dict[str, Any]) -> None:
    bases: list[str] = fleet["bases"]
    alive = list(bases)
    counter = itertools.count()
    created: list[int] = []
    failed_over = 0

    def one_user_step(i: int) -> None:
        nonlocal failed_over
        token = fleet["tokens"][i % len(fleet["tokens"])]
        headers = {"Authorization": f"Bearer {token}"}
        title = f"横向扩展需求{next(counter)}号：设备联网与能耗监测"
        body = factories.need_fields(title=title)
        for attempt in range(4):  # what a balancer does when a backend dies: the next one
            base = alive[(i + attempt) % len(alive)]
            try:
                r = httpx.post(f"{base}/api/v1/needs", json=body, headers=headers, timeout=30)
            except httpx.TransportError:
                failed_over += 1
                # a request in flight when its server died may or may not have committed
                with session_scope(fleet["factory"]) as s:
                    found = s.scalar(select(Need.id).where(Need.title == title))
                if found is None:
                    continue
                need_id = found
            else:
                assert r.status_code == 201, r.text
                need_id = r.json()["need"]["id"]
            created.append(need_id)
            for again in range(4):
                try:
                    r = httpx.post(f"{alive[(i + again) % len(alive)]}/api/v1/needs/{need_id}/submit", headers=headers, timeout=30)
                except httpx.TransportError:
                    failed_over += 1
                    continue
                assert r.status_code in (200, 409), r.text  # 409: the first try had committed
                break
            return
        raise AssertionError(f"{title} was never saved")

    with ThreadPoolExecutor(max_workers=6) as pool:
        first = [pool.submit(one_user_step, i) for i in range(30)]
        time.sleep(3)
        fleet["servers"][0].kill()  # mid-run, requests in flight
        fleet["workers"][0].kill()
        alive.remove(bases[0])
        rest = [pool.submit(one_user_step, i) for i in range(30, 60)]
        for f in first + rest:
            f.result(120)

    factory = fleet["factory"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with session_scope(factory) as s:
            if not s.scalar(select(func.count()).select_from(OutboxEntry).where(OutboxEntry.status != "done")):
                break
        time.sleep(0.5)
    with session_scope(factory) as s:
        # nothing lost, nothing done twice: every need saved once, every one submitted
        titles = list(s.scalars(select(Need.title).where(Need.title.like("横向扩展需求%"))))
        assert len(titles) == 60 and len(set(titles)) == 60
        assert set(s.scalars(select(Need.status).where(Need.title.like("横向扩展需求%")))) == {"submitted"}
        left = s.scalar(select(func.count()).select_from(OutboxEntry).where(OutboxEntry.status != "done"))
        assert left == 0, fleet["log"].read_text(errors="replace")[-3000:]
        # the index equals the database
        reports = check_all(fleet["client"], s, prefix=fleet["prefix"])
    assert all(r.consistent for r in reports), [r for r in reports if not r.consistent]
    assert len(set(created)) == len(created) == 60
