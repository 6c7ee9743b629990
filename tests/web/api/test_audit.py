"""The audit viewer: bureau staff search the whole log with filters and export it; nobody else
reads it; the log stays append-only."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from market.audit import service as audit
from market.errors import Forbidden
from market.orgs.models import User


def test_bureau_searches_filters_and_exports_the_log(
    client: TestClient, session: Session, bureau_user: User, enterprise_user: User, auth
) -> None:
    audit.record(session, enterprise_user.id, "need.created", "need", 41, {"title": "审计检索测试需求"})
    audit.record(session, bureau_user.id, "need.approved", "need", 41, {})
    audit.record(session, bureau_user.id, "batch.created", "batch", 7, {"title": "2026年第9批"})
    session.flush()
    bur = auth(bureau_user)
    assert client.get("/api/v1/audit", headers=auth(enterprise_user)).status_code == 403
    assert client.get("/api/v1/audit").status_code == 401
    history = client.get("/api/v1/audit", params={"object_type": "need", "object_id": 41}, headers=bur).json()
    assert [e["action"] for e in history["items"]] == ["need.approved", "need.created"]
    assert history["items"][1]["actor_name"] == enterprise_user.display_name
    by_prefix = client.get("/api/v1/audit", params={"action": "batch."}, headers=bur).json()
    assert {e["action"] for e in by_prefix["items"]} == {"batch.created"}
    by_actor = client.get("/api/v1/audit", params={"actor_id": enterprise_user.id}, headers=bur).json()
    assert [e["object_id"] for e in by_actor["items"]] == [41]
    future = client.get("/api/v1/audit", params={"date_from": "2099-01-01"}, headers=bur).json()
    assert future["total"] == 0
    assert client.get("/api/v1/audit", params={"date_from": "昨天"}, headers=bur).status_code == 422
    x = client.get("/api/v1/audit/export.xlsx", params={"object_type": "need", "object_id": 41}, headers=bur)
    assert x.status_code == 200
    ws = load_workbook(io.BytesIO(x.content)).active
    assert ws is not None
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[0][:4] == ["编号", "时间", "操作人", "操作"]
    assert [r[3] for r in values[1:]] == ["need.approved", "need.created"]


def test_the_log_stays_append_only(session: Session, bureau_user: User) -> None:
    entry = audit.record(session, bureau_user.id, "need.approved", "need", 1, {})
    session.flush()
    entry.action = "need.rejected"
    with pytest.raises(Forbidden):
        session.flush()
    session.rollback()
