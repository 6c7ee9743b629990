"""Test support: one real Meilisearch per test session.

Used by ``tests/search/conftest.py`` and, hoisted, by ``tests/conftest.py``::

    @pytest.fixture(scope="session")
    def meili_server(tmp_path_factory):
        server = start_test_meili(tmp_path_factory)
        yield server
        server.stop()
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from market.db import utcnow
from market.needs.models import Need
from market.orgs.models import CapabilityItem, Organisation, ProviderProfile, User
from market.outbox.service import enqueue
from market.settings import get_settings
from search.client import MeiliClient
from search.process import LocalMeilisearch


def start_test_meili(tmp_path_factory: Any, binary: Path | None = None) -> LocalMeilisearch:
    """Start a Meilisearch for the test session in a fresh temporary directory."""
    data_dir = Path(tmp_path_factory.mktemp("meili"))
    server = LocalMeilisearch(
        data_dir, binary or get_settings().meili.binary, max_indexing_threads=2
    )
    return server.start()


def client_for(server: LocalMeilisearch, timeout: float = 10.0) -> MeiliClient:
    return MeiliClient(server.url, server.master_key, timeout=timeout)


def unique_prefix() -> str:
    """An index prefix no other test uses: tests share the server, never an index."""
    return f"t{uuid.uuid4().hex[:10]}_"


def drop_indexes(client: MeiliClient, prefix: str) -> None:
    """Delete every index that starts with ``prefix`` (including rebuild leftovers)."""
    for idx in client.list_indexes():
        uid = str(idx["uid"])
        if uid.startswith(prefix):
            client.delete_index(uid)


# -- data helpers for search tests (minimal; tests/conftest.py has the full ones) ---------------

_seq = itertools.count(1)


def make_org(session: Session, *, kind: str = "enterprise", verified: bool = True, **kw: Any) -> Organisation:
    n = next(_seq)
    org = Organisation(
        name=kw.pop("name", f"测试单位{n}"),
        kind=kind,
        county=kw.pop("county", "南湖区"),
        verification="verified" if verified else "pending",
        verified_at=utcnow() if verified else None,
        **kw,
    )
    session.add(org)
    session.flush()
    return org


def make_user(session: Session, org: Organisation) -> User:
    n = next(_seq)
    user = User(org_id=org.id, email=f"u{n}@example.cn", display_name=f"用户{n}", password_hash="x", roles=["member"])
    session.add(user)
    session.flush()
    return user


def make_need(session: Session, org: Organisation | None = None, *, enqueue_it: bool = True, **kw: Any) -> Need:
    if org is None:
        org = make_org(session)
    user = make_user(session, org)
    status = kw.pop("status", "published")
    fields: dict[str, Any] = dict(
        org_id=org.id,
        created_by=user.id,
        title="注塑车间余热回收与能耗监测",
        summary="希望对注塑机余热进行回收利用，并建立车间能耗在线监测平台。",
        industry="装备制造",
        track="green",
        county="海宁市",
        budget_min_wan=20.0,
        budget_max_wan=80.0,
        deadline=dt.date(2027, 6, 30),
        cooperation_mode="技术开发",
        description="详细描述：车间共有注塑机48台。",
        problem="机密问题：模温机能耗高。",
        indicators="节能率≥15%",
        tried="尝试过某公司方案，效果不佳",
        contact_name="张三",
        contact_phone="13800000000",
        confidentiality_terms="保密条款",
        status=status,
        published_at=utcnow() if status == "published" else None,
    )
    fields.update(kw)
    need = Need(**fields)
    session.add(need)
    session.flush()
    if enqueue_it:
        enqueue(session, "need", need.id)
    return need


def make_provider(session: Session, *, verified: bool = True, enqueue_it: bool = True, **kw: Any) -> Organisation:
    org = make_org(session, kind=kw.pop("kind", "university"), verified=verified, name=kw.pop("name", None) or f"嘉兴某大学{next(_seq)}")
    profile = ProviderProfile(
        org_id=org.id,
        fields=kw.pop("fields", ["工业节能", "余热利用"]),
        industries=kw.pop("industries", ["装备制造"]),
        tracks=kw.pop("tracks", ["green"]),
        summary=kw.pop("summary", "长期从事工业余热回收与能源管理研究。"),
        typical_deal_min_wan=10,
        typical_deal_max_wan=100,
    )
    profile.items = [CapabilityItem(kind="project", title=kw.pop("item", "印染废水余热回收示范工程"), description="回收率40%")]
    session.add(profile)
    session.flush()
    if enqueue_it:
        enqueue(session, "provider", org.id)
    return org
