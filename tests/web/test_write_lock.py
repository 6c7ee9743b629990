"""A request's write transaction is committed before the slow work after it (the duplicate hint
embeds and asks Meilisearch): other requests' writes do not wait for it (SQLite has one writer;
issue 15: 提交审核 hung for 30 s behind such work)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from market.db import make_sessionmaker, session_scope
from market.needs import queries
from market.orgs import service as org_service
from market.settings import Settings
from tests import factories
from web.app import create_app
from web.runtime import Runtime


class BlockingFinder:
    """A candidate finder that is slow the way embedding and Meilisearch are: it waits until
    released (or ``hold_s``)."""

    def __init__(self, hold_s: float = 8.0) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.hold_s = hold_s

    def __call__(self, title: str, text: str, limit: int) -> queries.DuplicateCandidates | None:
        self.entered.set()
        self.release.wait(self.hold_s)
        return None


@pytest.fixture
def committed_runtime(test_settings: Settings, committed_engine: Engine) -> Iterator[Runtime]:
    from matching.embedders import load_embedder

    rt = Runtime(settings=test_settings, engine=committed_engine, session_factory=make_sessionmaker(committed_engine))
    rt.set_embedder(load_embedder("hash"))
    yield rt


def _headers(factory: sessionmaker[Session], user_id: int) -> dict[str, str]:
    from market.orgs.models import User

    with session_scope(factory) as s:
        user = s.get(User, user_id)
        assert user is not None
        token, _ = org_service.issue_token(s, user, 24)
    return {"Authorization": f"Bearer {token}"}


def test_a_write_does_not_wait_for_another_requests_duplicate_hint(committed_runtime: Runtime) -> None:
    factory = committed_runtime.session_factory
    with session_scope(factory) as s:
        a_org, b_org = factories.create_org(s), factories.create_org(s)
        a_user, b_user = factories.create_user(s, a_org), factories.create_user(s, b_org)
        draft_id = factories.create_need(s, org=b_org, user=b_user).id
        a_id, b_id = a_user.id, b_user.id
    a_headers, b_headers = _headers(factory, a_id), _headers(factory, b_id)
    finder = BlockingFinder()
    committed_runtime.duplicate_finder = lambda: finder  # type: ignore[method-assign]
    app = create_app(runtime=committed_runtime, start_worker=False)
    created: dict[str, Any] = {}
    with TestClient(app) as client:

        def post_need() -> None:
            r = client.post("/api/v1/needs", json=factories.need_fields(title="印染废水深度处理与中水回用"), headers=a_headers)
            created["status"] = r.status_code

        saving = threading.Thread(target=post_need)
        saving.start()
        try:
            assert finder.entered.wait(30), "the save never reached its duplicate hint"
            started = time.monotonic()
            r = client.post(f"/api/v1/needs/{draft_id}/submit", headers=b_headers)
            took = time.monotonic() - started
        finally:
            finder.release.set()
            saving.join(30)
    assert r.status_code == 200, r.text
    assert created.get("status") == 201
    assert took < 1.0, f"提交审核 waited {took:.1f} s for another request's duplicate hint"
