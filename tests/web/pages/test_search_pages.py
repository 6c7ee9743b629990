"""Search pages against a real Meilisearch: honest totals, 无匹配结果, open needs first, pages
clamped, saved searches listing what they promise (issue 18)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from market.orgs.models import Organisation, User
from search.indexes import ensure_indexes
from search.outbox import WorkerConfig, drain_once
from tests import factories
from web.runtime import Runtime

pytestmark = pytest.mark.meili


@pytest.fixture
def search_runtime(runtime: Runtime, meili_client, index_prefix: str) -> Runtime:  # type: ignore[no-untyped-def]
    runtime.meili = meili_client
    runtime.index_prefix = index_prefix
    ensure_indexes(meili_client, index_prefix, dimensions=runtime.embedder.dim)
    return runtime


def _drain(runtime: Runtime, session_factory: sessionmaker[Session]) -> None:
    while drain_once(session_factory, runtime.meili, runtime.embedder, WorkerConfig(prefix=runtime.index_prefix)).claimed:
        pass


def _titles(html: str) -> list[str]:
    return re.findall(r'<h3><a href="/needs/\d+">(.*?)</a></h3>', html)


def _plain(title: str) -> str:
    return title.replace("<mark>", "").replace("</mark>", "")


@pytest.fixture
def needs(session: Session, session_factory: sessionmaker[Session], search_runtime: Runtime, enterprise_org: Organisation) -> dict[str, int]:
    ids = {}
    spec = [
        ("cnc", "数控机床主轴热变形误差补偿", "五轴数控机床主轴温升导致加工精度下降，需要热误差建模与补偿。", "装备制造", "published", dt.date(2027, 9, 30)),
        ("dye", "印染废水深度处理与中水回用", "印染车间废水色度高、COD 高，希望实现中水回用。", "纺织", "published", dt.date(2027, 8, 30)),
        ("paper", "造纸车间余热回收与蒸汽节能改造", "造纸烘缸蒸汽余热回收，降低吨纸能耗。", "造纸", "taken_up", dt.date(2027, 7, 30)),
        ("done", "数控机床刀具磨损在线监测", "已完成转化的刀具磨损监测项目。", "装备制造", "converted", dt.date(2027, 1, 15)),
    ]
    for key, title, summary, industry, status, deadline in spec:
        ids[key] = factories.make_need(
            session, enterprise_org, title=title, summary=summary, industry=industry, status=status, deadline=deadline,
            description="", problem="", indicators="", tried="",
        ).id
    session.commit()
    _drain(search_runtime, session_factory)
    return ids


def test_a_nonsense_query_says_no_match_with_suggestions(client: TestClient, needs: dict[str, int]) -> None:
    r = client.get("/needs", params={"q": "asdfqwer乱码zzz"})
    assert r.status_code == 200
    assert _titles(r.text) == []
    assert "无匹配结果" in r.text and "共 4 项" not in r.text
    assert "浏览全部需求" in r.text and "减少关键词" in r.text
    r = client.get("/needs", params={"q": "zzzqqq 乱码", "industry": "纺织"})
    assert "无匹配结果" in r.text
    assert "只搜“zzzqqq”" in r.text and "去掉筛选条件" in r.text


def test_totals_and_facets_count_what_is_shown(client: TestClient, needs: dict[str, int]) -> None:
    r = client.get("/needs", params={"q": "数控机床"})
    shown = [_plain(t) for t in _titles(r.text)]
    assert set(shown) == {"数控机床主轴热变形误差补偿", "数控机床刀具磨损在线监测"}
    assert f"共 {len(shown)} 项" in r.text
    # the industry facet counts the two machine-tool needs only: no dyeing or paper neighbours
    assert re.search(r"装备制造</span>(?:<[^>]+>)*\s*<span class=\"count\">2</span>", r.text), r.text[:0]
    assert "纺织</span>" not in r.text and "造纸</span>" not in r.text
    # the open one first, though both match the query
    assert shown[0] == "数控机床主轴热变形误差补偿"


def test_open_needs_come_first_in_every_sort(client: TestClient, needs: dict[str, int]) -> None:
    for sort in ("newest", "deadline", "budget", "relevance"):
        shown = [_plain(t) for t in _titles(client.get("/needs", params={"sort": sort}).text)]
        assert shown[-1] == "数控机床刀具磨损在线监测", (sort, shown)  # converted: after every open one
    shown = [_plain(t) for t in _titles(client.get("/needs", params={"sort": "deadline"}).text)]
    assert shown == ["造纸车间余热回收与蒸汽节能改造", "印染废水深度处理与中水回用", "数控机床主轴热变形误差补偿", "数控机床刀具磨损在线监测"]


def test_page_numbers_are_clamped_not_refused(client: TestClient, needs: dict[str, int]) -> None:
    r = client.get("/needs", params={"page": "abc"})
    assert r.status_code == 200 and "须为整数" not in r.text and len(_titles(r.text)) == 4
    r = client.get("/needs", params={"page": "999", "industry": "装备制造"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/needs?industry=%E8%A3%85%E5%A4%87%E5%88%B6%E9%80%A0&sort=newest&page=1"
    r = client.get("/providers", params={"page": "x"})
    assert r.status_code == 200 and "须为整数" not in r.text


def test_saved_search_results_follow_its_promise_and_results_offer_saving(
    client: TestClient, login, session: Session, needs: dict[str, int], provider_user: User  # type: ignore[no-untyped-def]
) -> None:
    from tests.web.pages.conftest import post_form

    login(provider_user)
    r = client.get("/needs", params={"q": "数控机床 补偿"})
    assert "保存此搜索" in r.text
    r = post_form(client, "/provider/saved-searches", {"name": "数控", "query": "数控机床 补偿", "industry": "装备制造", "notify": "on"})
    assert r.status_code == 303
    page = client.get("/provider/saved-searches").text
    link = re.search(r'<a href="(/needs\?[^"]*)">查看结果</a>', page)
    assert link is not None
    href = link.group(1).replace("&amp;", "&")
    assert "match=all" in href
    r = client.get(href)
    # every word in the title or summary, within the industry: the one machine-tool need with 补偿
    assert [_plain(t) for t in _titles(r.text)] == ["数控机床主轴热变形误差补偿"]
    assert "包含全部关键词" in r.text


def test_provider_directory_says_no_match_for_nonsense(client: TestClient, session: Session, session_factory: sessionmaker[Session], search_runtime: Runtime) -> None:
    factories.make_provider(session, name="嘉兴学院印染研究所", summary="印染废水处理与回用技术研究。", item="印染废水深度处理工程")
    session.commit()
    _drain(search_runtime, session_factory)
    r = client.get("/providers", params={"q": "zzzqqq"})
    assert "无匹配结果" in r.text and "嘉兴学院印染研究所" not in r.text
    r = client.get("/providers", params={"q": "印染废水"})
    assert "嘉兴学院印染研究所" in _plain(r.text) and "共 1 家" in r.text


def test_recommendations_keep_hard_constraints_demote_mismatches_and_say_shared_reasons_once(
    client: TestClient, login, session: Session, session_factory: sessionmaker[Session], search_runtime: Runtime,  # type: ignore[no-untyped-def]
    enterprise_org: Organisation, provider_user: User, provider_org: Organisation,
) -> None:
    from sqlalchemy import select

    from market.orgs.models import ProviderProfile
    from market.outbox import service as outbox

    profile = session.scalar(select(ProviderProfile).where(ProviderProfile.org_id == provider_org.id))
    assert profile is not None
    profile.industries, profile.tracks = ["纺织"], ["green"]
    profile.fields = ["印染废水", "中水回用"]
    profile.summary = "印染废水深度处理与中水回用技术研究。"
    profile.track_record = 36
    factories.add_capability(session, provider_org, "印染废水深度处理与中水回用工程")
    outbox.enqueue(session, "provider", provider_org.id)
    common = {"description": "", "problem": "", "indicators": "", "tried": "", "track": "green"}
    make = factories.make_need
    fit = make(session, enterprise_org, title="印染废水中水回用改造", summary="印染废水深度处理后中水回用。", industry="纺织", deadline=dt.date(2027, 9, 1), **common)
    paper = make(session, enterprise_org, title="造纸废水深度处理与中水回用", summary="造纸废水深度处理后中水回用，印染废水工艺可借鉴。", industry="造纸", deadline=dt.date(2027, 9, 1), **common)
    invite = make(session, enterprise_org, title="印染废水中水回用（邀请制）", summary="印染废水深度处理后中水回用。", industry="纺织", disclosure="invite", deadline=dt.date(2027, 9, 1), **common)
    past = make(session, enterprise_org, title="印染废水中水回用（已截止）", summary="印染废水深度处理后中水回用。", industry="纺织", deadline=dt.date(2020, 1, 1), **common)
    closed = make(session, enterprise_org, title="印染废水中水回用（已签约）", summary="印染废水深度处理后中水回用。", industry="纺织", status="contracted", deadline=dt.date(2027, 9, 1), **common)
    own = make(session, provider_org, title="印染废水中水回用（本单位发布）", summary="印染废水深度处理后中水回用。", industry="纺织", deadline=dt.date(2027, 9, 1), **common)
    session.commit()
    _drain(search_runtime, session_factory)

    login(provider_user)
    html = client.get("/provider").text
    shown = re.findall(r'<h3><a href="/needs/(\d+)">', html)
    assert str(fit.id) in shown and str(paper.id) in shown
    for hidden in (invite, past, closed, own):
        assert str(hidden.id) not in shown, hidden.title
    # the industry mismatch comes after the fitting need, even with more shared words
    assert shown.index(str(fit.id)) < shown.index(str(paper.id))
    # the provider's own track record is the same on every card: said once, above them
    assert html.count("已完成36项对接合作") == 1
    assert html.count("推荐理由") == len(shown)
    assert "共同关键词：" not in html.split("推荐理由")[1].split("<ul>")[0]


def test_the_industry_filter_explains_industries_that_read_alike(client: TestClient, session: Session, enterprise_org: Organisation) -> None:
    # the database list (search down) shows every industry with the notes
    html = client.get("/needs").text
    assert "化工化纤：化学纤维制造" in html and "化工：化学原料和化学制品" in html
