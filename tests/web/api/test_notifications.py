from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from market.batches.models import Batch
from market.flows import SavedSearchHandler
from market.notifications import service as notify
from market.notifications.models import Notification
from market.orgs.models import User
from market.outbox.models import OutboxEntry
from tests import factories


def test_list_unread_mark_read_and_count(client: TestClient, session: Session, provider_user: User, other_provider_user: User, auth) -> None:
    h = auth(provider_user)
    for i in range(3):
        notify.notify_users(session, [provider_user.id], "test", f"通知{i}")
    notify.notify_users(session, [other_provider_user.id], "test", "别人的通知")
    session.flush()
    assert client.get("/api/v1/notifications/unread-count", headers=h).json() == {"unread": 3}
    page = client.get("/api/v1/notifications?per_page=2", headers=h).json()
    assert page["total"] == 3 and len(page["items"]) == 2 and page["items"][0]["title"] == "通知2"
    first = page["items"][0]["id"]
    assert client.post(f"/api/v1/notifications/{first}/read", headers=h).json()["read_at"] is not None
    assert client.get("/api/v1/notifications?unread=true", headers=h).json()["total"] == 2
    others = session.scalar(select(Notification.id).where(Notification.user_id == other_provider_user.id))
    assert client.post(f"/api/v1/notifications/{others}/read", headers=h).status_code == 404
    assert client.post("/api/v1/notifications/read-all", headers=h).json() == {"marked": 2}
    assert client.get("/api/v1/notifications/unread-count", headers=h).json() == {"unread": 0}
    assert client.get("/api/v1/notifications/unread-count", headers=auth(other_provider_user)).json() == {"unread": 1}
    assert client.get("/api/v1/notifications").status_code == 401


def test_saved_search_crud_is_for_providers_and_private(
    client: TestClient, provider_user: User, other_provider_user: User, enterprise_user: User, auth
) -> None:
    h = auth(provider_user)
    body = {"name": "模具监测", "query": "模具 磨损", "filters": {"industry": "汽车制造", "track": "digital"}}
    r = client.post("/api/v1/saved-searches", json=body, headers=h)
    assert r.status_code == 201 and r.json()["filters"] == {"industry": "汽车制造", "track": "digital"}
    sid = r.json()["id"]
    assert client.post("/api/v1/saved-searches", json=body, headers=auth(enterprise_user)).status_code == 403
    bad = client.post("/api/v1/saved-searches", json={**body, "filters": {"county": "杭州市"}}, headers=h)
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "filters.county"
    upd = client.put(f"/api/v1/saved-searches/{sid}", json={**body, "name": "改名", "notify": False}, headers=h)
    assert upd.json()["name"] == "改名" and upd.json()["notify"] is False
    other = auth(other_provider_user)
    assert client.get(f"/api/v1/saved-searches/{sid}", headers=other).status_code == 404
    assert client.delete(f"/api/v1/saved-searches/{sid}", headers=other).status_code == 404
    assert [s["id"] for s in client.get("/api/v1/saved-searches", headers=h).json()] == [sid]
    assert client.delete(f"/api/v1/saved-searches/{sid}", headers=h).status_code == 204
    assert client.get("/api/v1/saved-searches", headers=h).json() == []


def test_publishing_a_batch_notifies_matching_subscribers_once(
    client: TestClient, session: Session, session_factory: sessionmaker[Session], enterprise_user: User,
    provider_user: User, other_provider_user: User, bureau_user: User, auth,
) -> None:
    def subscribe(user: User, **body: object) -> None:
        r = client.post("/api/v1/saved-searches", json={"name": "订阅", **body}, headers=auth(user))
        assert r.status_code == 201, r.text

    subscribe(provider_user, query="模具", filters={"industry": "汽车制造"})
    subscribe(provider_user, query="冲压", filters={"track": "digital"})  # a second match: still one notification
    subscribe(other_provider_user, query="模具", filters={"county": "海宁市"})  # county does not match
    silent = factories.create_user(session, factories.create_org(session, kind="provider", industry=None))
    client.post("/api/v1/saved-searches", json={"name": "静音", "query": "模具", "notify": False}, headers=auth(silent))
    need = factories.create_need(session, org=enterprise_user.org, status="approved", track="both")
    bur = auth(bureau_user)
    batch = client.post("/api/v1/batches", json={"year": dt.date.today().year}, headers=bur).json()
    client.post(f"/api/v1/batches/{batch['id']}/needs", json={"need_ids": [need.id]}, headers=bur)
    factories.past_notice(session, session.get(Batch, batch["id"]))  # type: ignore[arg-type]
    assert client.post(f"/api/v1/batches/{batch['id']}/publish", headers=bur).status_code == 200

    def matches(user: User) -> list[Notification]:
        return list(session.scalars(select(Notification).where(Notification.user_id == user.id, Notification.kind == "subscription.match")))

    # Publishing only wrote the job; the worker's handler tells the subscribers, after it.
    session.expire_all()
    assert matches(provider_user) == []
    assert session.scalar(
        select(OutboxEntry.status).where(OutboxEntry.topic == "saved_search", OutboxEntry.record_id == need.id)
    ) == "pending"
    handler = SavedSearchHandler(session_factory)
    assert handler.run_once() == 1
    session.expire_all()
    got = matches(provider_user)
    assert len(got) == 1 and need.title in got[0].title and got[0].link == f"/needs/{need.id}"
    assert matches(other_provider_user) == [] and matches(silent) == []
    # Run again (a lapsed lease): still told once.
    session.execute(update(OutboxEntry).where(OutboxEntry.topic == "saved_search").values(status="pending", next_attempt_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)))
    session.commit()
    assert handler.run_once() == 1
    session.expire_all()
    assert len(matches(provider_user)) == 1


def test_search_matching_rules(session: Session, enterprise_user: User) -> None:
    from market.notifications.models import SavedSearch

    need = factories.create_need(session, org=enterprise_user.org, status="published", track="green", county="嘉善县")
    def m(query: str = "", **filters: str) -> bool:
        return notify.search_matches(SavedSearch(user_id=0, name="x", query=query, filters=filters), need)

    assert m() and m("模具 寿命") and not m("模具 光伏")
    assert m(track="green") and not m(track="digital") and not m(track="both")
    assert m(county="嘉善县") and not m(county="南湖区") and m(industry="汽车制造") and not m(industry="造纸")
