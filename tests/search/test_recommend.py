from __future__ import annotations

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
