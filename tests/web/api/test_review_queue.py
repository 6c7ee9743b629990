"""The bureau's review queue is read a bounded page at a time, oldest first."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from market.needs import queries
from market.orgs.models import Organisation, User
from tests import factories


def test_the_queue_comes_in_pages_oldest_first(
    client: TestClient, session: Session, enterprise_org: Organisation, bureau_user: User, auth,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    ids = []
    for i in range(3):
        need = factories.create_need(session, org=enterprise_org, status="submitted", title=f"待审核需求{i}号：设备联网")
        need.updated_at = base + dt.timedelta(hours=i)
        ids.append(need.id)
    session.flush()
    headers = auth(bureau_user)
    first = client.get("/api/v1/needs/review-queue", params={"per_page": 2}, headers=headers)
    second = client.get("/api/v1/needs/review-queue", params={"per_page": 2, "page": 2}, headers=headers)
    assert [n["id"] for n in first.json()] == ids[:2]
    assert [n["id"] for n in second.json()] == ids[2:]
    assert client.get("/api/v1/needs/review-queue", params={"per_page": 101}, headers=headers).status_code == 422
    monkeypatch.setattr(queries, "REVIEW_QUEUE_PAGE", 1)
    assert [n.id for n in queries.review_queue(session)] == ids[:1]
    assert queries.review_queue_size(session) == 3
