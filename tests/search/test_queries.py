from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session, sessionmaker

from market.db import session_scope
from market.errors import Invalid
from market.needs.models import Need
from matching.embedders import HashEmbedder
from search.client import MeiliClient
from search.consistency import check_all, check_index
from search.errors import SearchUnavailable
from search.health import check_search
from search.indexes import NEEDS, ensure_indexes, index_uid
from search.outbox import WorkerConfig, drain_once
from search.queries import NeedSearchParams, ProviderSearchParams, search_needs, search_providers
from search.reindex import reindex, reindex_all
from tests.factories import make_need, make_provider
from tests.support.meili import client_for, start_test_meili

pytestmark = pytest.mark.meili


@pytest.fixture
def corpus(db_factory: sessionmaker[Session], search_client: MeiliClient, prefix: str, embedder: HashEmbedder) -> dict[str, int]:
    ensure_indexes(search_client, prefix)
    ids: dict[str, int] = {}
    with session_scope(db_factory) as s:
        ids["heat"] = make_need(s).id
        ids["cnc"] = make_need(
            s, title="数控机床远程运维与故障预测", summary="为CNC机床加装传感器，实现远程监控和故障预警。",
            industry="汽车制造", track="digital", county="南湖区", budget_min_wan=100, budget_max_wan=300,
            deadline=dt.date(2027, 1, 31), cooperation_mode="技术服务",
        ).id
        ids["pv"] = make_need(
            s, title="厂房屋顶太阳能发电与储能", summary="利用厂房屋顶建设光伏电站并配套储能系统。<script>x</script>",
            industry="光伏", track="green", county="嘉善县", budget_min_wan=500, budget_max_wan=800,
            deadline=dt.date(2028, 3, 1),
        ).id
        ids["draft"] = make_need(s, status="draft", title="草稿：数控机床").id
        ids["prov"] = make_provider(s).id
        ids["prov2"] = make_provider(s, name="嘉兴数字化服务公司", kind="provider", fields=["工业互联网"],
                                     industries=["汽车制造"], tracks=["digital"],
                                     summary="MES与设备联网实施。", item="CNC设备联网").id
    drain_once(db_factory, search_client, embedder, WorkerConfig(prefix=prefix))
    return ids


def test_keyword_synonym_highlight_and_facets(corpus: dict[str, int], search_client: MeiliClient, prefix: str) -> None:
    res = search_needs(search_client, NeedSearchParams(q="CNC机床", mode="keyword"), prefix=prefix)
    assert [h.id for h in res.hits] == [corpus["cnc"]]  # the draft is never public
    assert "<mark>" in res.hits[0].formatted["title"]
    assert res.total == 1 and res.total_pages == 1 and res.mode == "keyword"
    everything = search_needs(search_client, NeedSearchParams(), prefix=prefix)
    assert everything.total == 3
    assert everything.facets["industry"] == {"装备制造": 1, "汽车制造": 1, "光伏": 1}
    pv = search_needs(search_client, NeedSearchParams(q="光伏", mode="keyword"), prefix=prefix)
    assert pv.hits[0].id == corpus["pv"]
    assert "<script>" not in pv.hits[0].formatted["summary"] and "&lt;script&gt;" in pv.hits[0].formatted["summary"]


def test_filters_and_sorts(corpus: dict[str, int], search_client: MeiliClient, prefix: str) -> None:
    def ids(**kw: object) -> list[int]:
        return [h.id for h in search_needs(search_client, NeedSearchParams(**kw), prefix=prefix).hits]

    assert ids(track=["green"], sort="budget") == [corpus["pv"], corpus["heat"]]
    assert ids(county=["南湖区", "嘉善县"], sort="deadline") == [corpus["cnc"], corpus["pv"]]
    assert ids(budget_min=90, budget_max=200) == [corpus["cnc"]]
    assert ids(deadline_to=dt.date(2027, 12, 31), sort="deadline") == [corpus["cnc"], corpus["heat"]]
    assert ids(industry=["光伏"], cooperation_mode=["技术开发"]) == [corpus["pv"]]
    assert ids(status=["closed"]) == []
    assert len(ids(per_page=2, page=2)) == 1
    # the viewer filter from market rules is always applied
    res = search_needs(search_client, NeedSearchParams(), f"id != {corpus['pv']}", prefix=prefix)
    assert corpus["pv"] not in [h.id for h in res.hits]


def test_hybrid_and_bureau_scope(corpus: dict[str, int], search_client: MeiliClient, prefix: str, embedder: HashEmbedder) -> None:
    res = search_needs(search_client, NeedSearchParams(q="屋顶 储能", mode="hybrid"), prefix=prefix, embedder=embedder)
    assert res.mode == "hybrid" and res.hits[0].id == corpus["pv"]
    # the bureau index has unpublished needs and the detail text
    bureau = search_needs(search_client, NeedSearchParams(q="模温机", mode="keyword"), prefix=prefix, scope="bureau")
    assert corpus["heat"] in [h.id for h in bureau.hits]
    public = search_needs(search_client, NeedSearchParams(q="模温机", mode="keyword"), prefix=prefix)
    assert public.total == 0


def test_provider_search(corpus: dict[str, int], search_client: MeiliClient, prefix: str, embedder: HashEmbedder) -> None:
    res = search_providers(search_client, ProviderSearchParams(q="制造执行系统"), prefix=prefix, embedder=embedder)
    assert res.hits[0].id == corpus["prov2"]  # MES synonym
    res = search_providers(search_client, ProviderSearchParams(tracks=["green"]), prefix=prefix)
    assert [h.id for h in res.hits] == [corpus["prov"]]
    assert res.facets["kind"] == {"university": 1}


def test_bad_filter_value_is_quoted_not_injected(corpus: dict[str, int], search_client: MeiliClient, prefix: str) -> None:
    res = search_needs(search_client, NeedSearchParams(industry=['光伏" OR industry != "x']), prefix=prefix)
    assert res.total == 0
    with pytest.raises(Invalid):
        search_needs(search_client, NeedSearchParams(), "nonsense ===", prefix=prefix)


def test_search_unavailable_when_meili_is_down(tmp_path_factory: pytest.TempPathFactory, db_factory: sessionmaker[Session]) -> None:
    server = start_test_meili(tmp_path_factory)
    client = client_for(server, timeout=2)
    ensure_indexes(client, "x_", names=[NEEDS])
    server.stop()
    try:
        with pytest.raises(SearchUnavailable) as info:
            search_needs(client, NeedSearchParams(q="光伏"), prefix="x_")
        assert info.value.status_code == 503 and info.value.message == "搜索服务暂时不可用，请稍后再试"
        with db_factory() as s:
            health = check_search(client, s)
        assert health["meili"] == "unavailable" and health["ok"] is False
    finally:
        client.close()


def test_health_counts_backlog(corpus: dict[str, int], search_client: MeiliClient, db_factory: sessionmaker[Session]) -> None:
    with session_scope(db_factory) as s:
        make_need(s)
    with db_factory() as s:
        health = check_search(search_client, s)
    assert health["meili"] == "available" and health["outbox_backlog"] == 1 and health["outbox_parked"] == 0


def test_consistency_finds_and_repairs(
    corpus: dict[str, int], search_client: MeiliClient, prefix: str, db_factory: sessionmaker[Session], embedder: HashEmbedder
) -> None:
    with db_factory() as s:
        assert all(r.consistent for r in check_all(search_client, s, prefix=prefix))
    uid = index_uid(prefix, NEEDS)
    search_client.wait_task(search_client.delete_documents(uid, [corpus["cnc"]]))
    search_client.wait_task(search_client.add_documents(uid, [{"id": 999999, "title": "幽灵", "_vectors": {"default": None}}]))
    with session_scope(db_factory) as s:
        need = s.get(Need, corpus["heat"])
        need.title = "悄悄改了标题，没有写 outbox"
    with session_scope(db_factory) as s:
        report = check_index(search_client, s, NEEDS, prefix=prefix, repair=True)
        assert report.missing == [corpus["cnc"]] and report.extra == [999999] and report.stale == [corpus["heat"]]
        assert report.enqueued == 3
    drain_once(db_factory, search_client, embedder, WorkerConfig(prefix=prefix))
    with db_factory() as s:
        assert check_index(search_client, s, NEEDS, prefix=prefix).consistent


def test_reindex_swaps_without_empty_moment(
    corpus: dict[str, int], search_client: MeiliClient, prefix: str, db_factory: sessionmaker[Session], embedder: HashEmbedder
) -> None:
    uid = index_uid(prefix, NEEDS)
    search_client.wait_task(search_client.add_documents(uid, [{"id": 999999, "title": "幽灵", "_vectors": {"default": None}}]))
    result = reindex(db_factory, search_client, embedder, prefix, NEEDS, progress=False)
    assert result.documents == 3 and result.index == uid
    assert search_client.get_document(uid, 999999) is None
    assert search_client.get_document(uid, corpus["cnc"])["title"].startswith("数控机床")
    assert not [i for i in search_client.list_indexes() if "_tmp_" in i["uid"] and i["uid"].startswith(prefix)]
    assert len(reindex_all(db_factory, search_client, embedder, prefix=prefix, progress=False)) == 3
    with db_factory() as s:
        assert all(r.consistent for r in check_all(search_client, s, prefix=prefix))
