"""Provider profile and directory pages, and saved searches."""

from __future__ import annotations

from sqlalchemy.orm import Session

from market.orgs.models import User
from tests.web.pages.conftest import post_form


def test_provider_profile_editor_saves_and_shows_errors(login, session: Session, provider_user: User) -> None:
    c = login(provider_user)
    assert c.get("/provider/profile").status_code == 200
    r = post_form(
        c,
        "/provider/profile",
        {
            "fields": "机器视觉、工业互联网",
            "summary": "视觉检测",
            "typical_deal_min_wan": "100",
            "typical_deal_max_wan": "10",
            "track_record": "3",
            "item_kind": "patent",
            "item_title": "一种模具磨损检测方法",
            "item_description": "",
            "item_year": "2024",
        },
    )
    assert r.status_code == 422 and "典型合作规模上限不能小于下限" in r.text
    r = post_form(
        c,
        "/provider/profile",
        {
            "fields": "机器视觉、工业互联网",
            "summary": "视觉检测",
            "typical_deal_min_wan": "10",
            "typical_deal_max_wan": "100",
            "track_record": "3",
            "industries": "汽车制造",
            "tracks": "digital",
            "item_kind": "patent",
            "item_title": "一种模具磨损检测方法",
            "item_description": "",
            "item_year": "2024",
        },
    )
    assert r.status_code == 303
    page = c.get(f"/providers/{provider_user.org_id}").text
    assert "一种模具磨损检测方法" in page and "机器视觉" in page


def test_provider_pages_and_saved_search(
    login, session: Session, provider_user: User, enterprise_user: User
) -> None:
    c = login(provider_user)
    page = c.get("/provider").text
    assert "为您推荐的需求" in page and "推荐服务暂时不可用" in page  # no Meilisearch in this test
    r = post_form(c, "/provider/saved-searches", {"name": "", "query": "模具"})
    assert r.status_code == 422 and 'id="name-error"' in r.text
    r = post_form(
        c,
        "/provider/saved-searches",
        {"name": "模具监测", "query": "模具", "industry": "汽车制造", "notify": "on"},
    )
    assert r.status_code == 303
    assert "模具监测" in c.get("/provider/saved-searches").text
    c = login(enterprise_user)
    assert c.get("/provider").status_code == 403
