from __future__ import annotations

import threading

import pytest
from sqlalchemy.orm import Session, sessionmaker

from market.db import session_scope
from market.errors import NotFound
from matching.embedders import HashEmbedder
from search.client import MeiliClient
from search.indexes import ensure_indexes
from search.outbox import WorkerConfig, drain_once
from search.recommend import recommend_needs, recommend_providers
from tests.factories import make_need, make_provider

pytestmark = pytest.mark.meili


def test_recommendations_both_ways_with_chinese_reasons(
    db_factory: sessionmaker[Session], search_client: MeiliClient, prefix: str, embedder: HashEmbedder
) -> None:
    ensure_indexes(search_client, prefix)
    with session_scope(db_factory) as s:
        heat = make_provider(s).id  # 余热 / 装备制造 / green
        digital = make_provider(
            s, name="嘉兴工业互联网研究院", kind="institute", fields=["工业互联网", "数控机床"],
            industries=["汽车制造"], tracks=["digital"], summary="数控机床联网、MES实施。", item="数控机床远程运维平台",
        ).id
        need_id = make_need(s).id  # 注塑车间余热回收 / 装备制造 / green
        cnc_need = make_need(
            s, title="数控机床远程运维平台建设", summary="为数控机床加装传感器，远程运维。",
            industry="汽车制造", track="digital",
        ).id
        hidden = make_need(s, status="submitted", title="数控机床未发布需求").id
    drain_once(db_factory, search_client, embedder, WorkerConfig(prefix=prefix))
    with db_factory() as s:
        recs = recommend_providers(search_client, s, need_id, embedder, prefix=prefix)
        assert [r.id for r in recs][0] == heat and {r.id for r in recs} == {heat, digital}
        assert "行业匹配" in recs[0].reason and recs[0].signals
        needs = recommend_needs(search_client, s, digital, embedder, prefix=prefix)
        assert needs[0].id == cnc_need and hidden not in [r.id for r in needs]
        assert "机密" not in repr([r.model_dump() for r in needs])
        with pytest.raises(NotFound):
            recommend_providers(search_client, s, 123456, embedder, prefix=prefix)


def test_recommended_needs_after_a_profile_change_embed_no_item_inline(
    db_factory: sessionmaker[Session], search_client: MeiliClient, prefix: str, embedder: HashEmbedder
) -> None:
    """After a profile of 20 new capability items is saved, the recommendation request embeds
    nothing itself: it answers from the keyword score and queues the 20 titles as ONE batched call
    off the request path; once that is done the next request ranks with them, embedding nothing."""
    import uuid

    from sqlalchemy import select

    from market.orgs.models import CapabilityItem, ProviderProfile
    from search import recommend

    request_thread = threading.get_ident()

    class Counting:
        def __init__(self, inner: HashEmbedder) -> None:
            self.inner, self.name, self.dim = inner, inner.name, inner.dim
            self.query_calls: list[int] = []
            self.inline_calls: list[int] = []
            self.passage_calls: list[int] = []

        def embed_queries(self, texts):  # type: ignore[no-untyped-def]
            self.query_calls.append(len(texts))
            if threading.get_ident() == request_thread:
                self.inline_calls.append(len(texts))
            return self.inner.embed_queries(texts)

        def embed_passages(self, texts):  # type: ignore[no-untyped-def]
            self.passage_calls.append(len(texts))
            return self.inner.embed_passages(texts)

    ensure_indexes(search_client, prefix)
    with session_scope(db_factory) as s:
        # Texts no earlier test embedded (the query-vector cache lives as long as the process).
        fresh = uuid.uuid4().hex[:8]
        org_id = make_provider(s, item=f"印染废水余热回收示范工程{fresh}").id
        for i in range(3):
            make_need(s, title=f"注塑车间余热回收改造{i}")
    drain_once(db_factory, search_client, embedder, WorkerConfig(prefix=prefix))
    with session_scope(db_factory) as s:
        profile = s.scalar(select(ProviderProfile).where(ProviderProfile.org_id == org_id))
        assert profile is not None
        s.add_all(
            CapabilityItem(profile_id=profile.id, kind="project", title=f"大型画像能力条目{i}：余热回收与能耗监测{fresh}")
            for i in range(19)
        )
    counting = Counting(embedder)
    with db_factory() as s:
        first = recommend_needs(search_client, s, org_id, counting, prefix=prefix, limit=50)  # type: ignore[arg-type]
        assert first and all(r.semantic_similarity == 0 for r in first)  # keyword score only, nothing wrong
        assert counting.inline_calls == [] and counting.passage_calls == []
        recommend._warmer.submit(lambda: None).result(timeout=30)  # the background warm-up is done
        assert counting.query_calls == [20]
        again = recommend_needs(search_client, s, org_id, counting, prefix=prefix, limit=50)  # type: ignore[arg-type]
        assert any(r.semantic_similarity > 0 for r in again)
        assert counting.query_calls == [20] and counting.inline_calls == [] and counting.passage_calls == []
