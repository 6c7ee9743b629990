"""Keyset pages of GET /needs (issue 15): walking by ``after`` gives the same rows in the same
order as the offset pages, ties and undated drafts included; deep offsets are refused."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from market.orgs.models import Organisation, User
from tests import factories


def _seed(session: Session, org: Organisation) -> None:
    base = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
    statuses = ["published", "taken_up", "selected", "closed", "draft", "submitted"]
    for i in range(23):
        status = statuses[i % len(statuses)]
        # Three needs share each publication time (ties broken by id); drafts have none.
        published = None if status in ("draft", "submitted") else base + dt.timedelta(hours=i // 3, microseconds=7)
        factories.create_need(session, org=org, status=status, title=f"键集翻页需求{i}", published_at=published)
    session.commit()


def _walk_offset(client: TestClient, headers: dict[str, str]) -> list[int]:
    ids: list[int] = []
    for page in range(1, 20):
        body = client.get("/api/v1/needs", params={"per_page": 4, "page": page}, headers=headers).json()
        ids += [n["id"] for n in body["items"]]
        if not body["items"]:
            break
    return ids


def _walk_keyset(client: TestClient, headers: dict[str, str]) -> list[int]:
    ids: list[int] = []
    after: str | None = None
    for _ in range(20):
        params: dict[str, object] = {"per_page": 4}
        if after is not None:
            params["after"] = after
        r = client.get("/api/v1/needs", params=params, headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        ids += [n["id"] for n in body["items"]]
        after = body["next_after"]
        if after is None:
            return ids
    raise AssertionError("the keyset walk did not end")


def test_keyset_walk_equals_offset_pages_for_the_bureau_and_the_public(
    client: TestClient, session: Session, enterprise_org: Organisation, bureau_user: User, auth
) -> None:
    _seed(session, enterprise_org)
    for headers in ({}, auth(bureau_user)):
        by_offset = _walk_offset(client, headers)
        by_keyset = _walk_keyset(client, headers)
        assert by_keyset == by_offset
        assert len(set(by_keyset)) == len(by_keyset)
    # The bureau sees the undated drafts (last), the public only published ones.
    assert len(_walk_keyset(client, auth(bureau_user))) == 23
    assert len(_walk_keyset(client, {})) == 23 - 7


def test_bad_cursor_and_deep_offset_are_field_named_422s(client: TestClient) -> None:
    for params, field in (
        ({"after": "nonsense"}, "after"),
        ({"after": "0.-.5", "order": "deadline"}, "after"),
        ({"after": "0.-.5", "page": 2}, "after"),
        ({"after": "0.99999999999999999999.5"}, "after"),
        ({"page": 500, "per_page": 20}, "page"),
    ):
        r = client.get("/api/v1/needs", params=params)
        assert r.status_code == 422, (params, r.text)
        details = r.json()["error"]["details"]
        assert [d["field"] for d in details] == [field]
        assert not details[0]["message"].isascii()
