"""Keyset pages of GET /needs (issue 15): walking by ``after`` gives the same rows in the same
order as the offset pages, ties and undated drafts included; deep offsets are refused."""

from __future__ import annotations

import datetime as dt

import pytest
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


def _walk_offset(client: TestClient, headers: dict[str, str], order: str = "newest") -> list[int]:
    ids: list[int] = []
    for page in range(1, 20):
        body = client.get("/api/v1/needs", params={"per_page": 4, "page": page, "order": order}, headers=headers).json()
        ids += [n["id"] for n in body["items"]]
        if not body["items"]:
            break
    return ids


def _walk_keyset(client: TestClient, headers: dict[str, str], order: str = "newest") -> list[int]:
    ids: list[int] = []
    after: str | None = None
    for _ in range(20):
        params: dict[str, object] = {"per_page": 4, "order": order}
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


def _seed_orders(session: Session, org: Organisation) -> None:
    """Needs whose deadlines, budgets and update times tie in threes, some without a deadline or
    budget, open and closed ones mixed, and drafts (no publication)."""
    base = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
    statuses = ["published", "closed", "taken_up", "draft", "selected", "submitted", "published"]
    for i in range(26):
        status = statuses[i % len(statuses)]
        published = None if status in ("draft", "submitted") else base + dt.timedelta(hours=i)
        need = factories.create_need(
            session, org=org, status=status, title=f"各排序翻页需求{i}", published_at=published,
            deadline=None if i % 5 == 0 else dt.date(2026, 6, 1) + dt.timedelta(days=i // 3),
            budget_max_wan=None if i % 4 == 0 else 10.0 + 2.5 * (i // 3),
        )  # fmt: skip
        need.updated_at = base + dt.timedelta(minutes=i // 3, microseconds=3)
    session.commit()


@pytest.mark.parametrize("order", ["updated", "deadline", "budget", "newest"])
def test_keyset_walk_equals_offset_pages_in_every_order(
    client: TestClient, session: Session, enterprise_org: Organisation, enterprise_user: User, bureau_user: User, auth,
    order: str,
) -> None:
    _seed_orders(session, enterprise_org)
    for headers in ({}, auth(bureau_user), auth(enterprise_user)):
        by_offset = _walk_offset(client, headers, order)
        by_keyset = _walk_keyset(client, headers, order)
        assert by_keyset == by_offset, order
        assert len(set(by_keyset)) == len(by_keyset)
    assert len(_walk_keyset(client, auth(bureau_user), order)) == 26
    assert len(_walk_keyset(client, {}, order)) == 26 - 7  # drafts and needs in review
    # A cursor of one order is not a position in another.
    body = client.get("/api/v1/needs", params={"per_page": 4, "order": order}).json()
    other = "deadline" if order != "deadline" else "budget"
    r = client.get("/api/v1/needs", params={"per_page": 4, "order": other, "after": body["next_after"]})
    assert r.status_code == 422
    assert [d["field"] for d in r.json()["error"]["details"]] == ["after"]


def test_bad_cursor_and_deep_offset_are_field_named_422s(client: TestClient) -> None:
    for params, field in (
        ({"after": "nonsense"}, "after"),
        ({"after": "0.-.5", "order": "deadline"}, "after"),
        ({"after": "b0.nan.5", "order": "budget"}, "after"),
        ({"after": "b0.inf.5", "order": "budget"}, "after"),
        ({"after": "d0.99999999.5", "order": "deadline"}, "after"),
        ({"after": "u1.5.5", "order": "updated"}, "after"),
        ({"after": "0.-.5", "page": 2}, "after"),
        ({"after": "0.99999999999999999999.5"}, "after"),
        ({"page": 500, "per_page": 20}, "page"),
    ):
        r = client.get("/api/v1/needs", params=params)
        assert r.status_code == 422, (params, r.text)
        details = r.json()["error"]["details"]
        assert [d["field"] for d in details] == [field]
        assert not details[0]["message"].isascii()
