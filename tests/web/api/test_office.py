"""The office calendar API: the bureau reads and replaces the holiday lists; errors name the field."""

from __future__ import annotations

from fastapi.testclient import TestClient

from market.orgs.models import User


def test_the_bureau_replaces_the_calendar_and_a_bad_list_is_refused_whole(client: TestClient, bureau_user: User, auth) -> None:  # type: ignore[no-untyped-def]
    h = auth(bureau_user)
    assert client.get("/api/v1/office/calendar", headers=h).json() == {"holidays": [], "workdays": []}
    body = {"holidays": ["2026-10-01", "2026-10-02"], "workdays": ["2026-10-10"]}
    r = client.put("/api/v1/office/calendar", json=body, headers=h)
    assert r.status_code == 200 and r.json() == body
    bad = client.put("/api/v1/office/calendar", json={"holidays": [], "workdays": ["2026-10-09"]}, headers=h)
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "workdays"
    assert client.put("/api/v1/office/calendar", json={"holidays": ["2026-02-30"]}, headers=h).status_code == 422
    too_many = {"holidays": ["2026-01-01"] * 401}
    assert client.put("/api/v1/office/calendar", json=too_many, headers=h).status_code == 422
    assert client.get("/api/v1/office/calendar", headers=h).json() == body
