"""Matched alerts on publication, from the matching engine over the real Meilisearch: providers
above the threshold, the top N per need, a cap per provider per day, with the explanation."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from market import flows
from market.batches import service as batches
from market.batches.schemas import BatchCreate
from market.db import session_scope
from market.mail.models import MailMessage
from market.notifications.models import Notification
from market.orgs.models import User
from market.outbox.models import OutboxEntry
from market.settings import AlertSettings
from matching.embedders import HashEmbedder
from search.alerts import MatchAlertHandler
from search.client import MeiliClient
from search.indexes import ensure_indexes
from search.outbox import WorkerConfig, drain_once
from tests import factories
from tests.factories import make_need, make_provider


def _publish(factory: sessionmaker[Session], bureau_id: int, **kw: object) -> int:
    with session_scope(factory) as s:
        need = make_need(s, status="approved", **kw)
        actor = s.get(User, bureau_id)
        assert actor is not None
        batch = batches.create_batch(s, actor, BatchCreate(year=2027, publish_on=None))
        batches.add_needs(s, actor, batch.id, [need.id])
        factories.past_notice(s, batch)  # a batch is published only after its 公示
        flows.publish_batch(s, None, batch.id, dt.datetime.now(dt.UTC))
        return need.id


def test_published_need_alerts_the_matching_providers_within_limits(
    db_factory: sessionmaker[Session], search_client: MeiliClient, prefix: str, embedder: HashEmbedder
) -> None:
    ensure_indexes(search_client, prefix, embedder.dim)
    with session_scope(db_factory) as s:
        bureau = factories.create_user(s, factories.create_org(s, kind="bureau", industry=None), roles=["bureau_admin"])
        bureau_id = bureau.id
        heat = [make_provider(s, name=f"余热研究所{i}") for i in range(3)]
        for org in heat:
            factories.create_user(s, org)
        far = make_provider(s, name="纺织机器视觉研究所", fields=["机器视觉"], industries=["纺织"], tracks=["digital"],
                            summary="布匹瑕疵视觉检测。", item="布匹瑕疵在线检测系统")
        factories.create_user(s, far)
        heat_ids = {o.id for o in heat}
    drain_once(db_factory, search_client, embedder, WorkerConfig(prefix=prefix, vector_interval_s=0))
    need_id = _publish(db_factory, bureau_id)
    handler = MatchAlertHandler(db_factory, search_client, embedder, AlertSettings(threshold=0.0, top_n=2, per_provider_per_day=1), prefix=prefix)
    assert handler.run_once() == 1
    assert handler.run_once() == 0  # the need's entry is done
    with session_scope(db_factory) as s:
        alerts = s.execute(
            select(Notification, User).join(User, User.id == Notification.user_id).where(Notification.kind == "match.alert")
        ).all()
        alerted = {u.org_id for _, u in alerts}
        assert len(alerted) == 2 and alerted <= heat_ids | {far.id}  # top 2 only
        note = alerts[0][0]
        assert note.title.startswith("可能适合您的新需求：") and note.link == f"/needs/{need_id}"
        assert "共同关键词" in note.body or "最接近的能力" in note.body
        assert s.scalar(select(MailMessage.id).where(MailMessage.kind == "match.alert")) is not None
    # A second need the same day: those already alerted today are capped, the others may hear.
    _publish(db_factory, bureau_id, title="注塑机余热回收改造")
    assert handler.run_once() == 1
    with session_scope(db_factory) as s:
        per_org: dict[int, int] = {}
        for _, u in s.execute(select(Notification, User).join(User, User.id == Notification.user_id).where(Notification.kind == "match.alert")):
            per_org[u.org_id] = per_org.get(u.org_id, 0) + 1
        assert all(n == 1 for n in per_org.values())  # never over the daily cap of 1
    # Above every score: nobody is alerted.
    strict = MatchAlertHandler(db_factory, search_client, embedder, AlertSettings(threshold=99.0), prefix=prefix)
    _publish(db_factory, bureau_id, title="第三项余热需求")
    with session_scope(db_factory) as s:
        before = s.scalar(select(Notification.id).where(Notification.kind == "match.alert").order_by(Notification.id.desc()).limit(1))
    assert strict.run_once() == 1
    with session_scope(db_factory) as s:
        after = s.scalar(select(Notification.id).where(Notification.kind == "match.alert").order_by(Notification.id.desc()).limit(1))
        assert before == after
        assert set(s.scalars(select(OutboxEntry.status).where(OutboxEntry.topic == "match_alert"))) == {"done"}


def test_saved_searches_also_match_by_meaning(
    db_factory: sessionmaker[Session], search_client: MeiliClient, prefix: str, embedder: HashEmbedder
) -> None:
    from market.notifications.models import SavedSearch

    ensure_indexes(search_client, prefix, embedder.dim)
    with session_scope(db_factory) as s:
        bureau_id = factories.create_user(s, factories.create_org(s, kind="bureau", industry=None), roles=["bureau_admin"]).id
        org = make_provider(s, enqueue_it=False)
        words, near, far, filtered = (factories.create_user(s, org) for _ in range(4))
        s.add_all([
            SavedSearch(user_id=words.id, name="余热", query="余热回收", filters={}),
            SavedSearch(user_id=near.id, name="注塑节能", query="注塑车间余热回收与能耗监测方案", filters={}),
            SavedSearch(user_id=far.id, name="纺织视觉", query="布匹瑕疵机器视觉检测", filters={}),
            SavedSearch(user_id=filtered.id, name="注塑节能（嘉善）", query="注塑车间余热回收与能耗监测方案", filters={"county": "嘉善县"}),
        ])
        ids = {"words": words.id, "near": near.id, "far": far.id, "filtered": filtered.id}
    need_id = _publish(db_factory, bureau_id)
    handler = MatchAlertHandler(
        db_factory, search_client, embedder, AlertSettings(top_n=0, saved_search_similarity=0.6), prefix=prefix
    )
    assert handler.run_once() == 1
    assert flows.SavedSearchHandler(db_factory).run_once() == 1
    with session_scope(db_factory) as s:
        notes = list(s.scalars(select(Notification).where(Notification.kind == "subscription.match")))
    told = {n.user_id: n.title for n in notes}
    assert len(notes) == 2 and set(told) == {ids["words"], ids["near"]}  # words by the saved_search job, meaning by this one; once each
    assert told[ids["near"]].startswith("订阅「注塑节能」有相近的新需求")
    assert {n.link for n in notes} == {f"/needs/{need_id}"}
