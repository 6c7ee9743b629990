"""Typed helpers that create test data through the real services where it matters."""

from __future__ import annotations

import datetime as dt
import functools
import itertools

from sqlalchemy.orm import Session

from market.needs.models import Need, NeedTransition
from market.orgs import security
from market.orgs.models import CapabilityItem, Organisation, ProviderProfile, Role, User

_seq = itertools.count(1)
PASSWORD = "Passw0rd!2026"


@functools.cache
def password_hash() -> str:
    """argon2 is slow on purpose; hash the shared test password once per test run."""
    return security.hash_password(PASSWORD)


def create_org(
    session: Session, *, kind: str = "enterprise", verified: bool = True, county: str = "南湖区", industry: str | None = "汽车制造", name: str | None = None
) -> Organisation:
    n = next(_seq)
    org = Organisation(
        name=name or f"测试单位{n}号（{kind}）", kind=kind, county=county, industry=industry,
        verification="verified" if verified else "pending",
    )
    session.add(org)
    session.flush()
    if kind in ("university", "institute", "provider"):
        session.add(ProviderProfile(org_id=org.id))
        session.flush()
    return org


def create_user(session: Session, org: Organisation, *, roles: list[str] | None = None, email: str | None = None) -> User:
    n = next(_seq)
    user = User(
        org_id=org.id,
        email=email or f"user{n}@test.jiebang.cn",
        display_name=f"用户{n}",
        password_hash=password_hash(),
        roles=roles or [Role.org_admin.value, Role.member.value],
    )
    session.add(user)
    session.flush()
    session.refresh(user)
    return user


def need_fields(**overrides: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "title": "冲压模具在线磨损监测与寿命预测",
        "summary": "需要在高速冲压线上在线监测模具磨损并预测剩余寿命，减少批量毛刺缺陷。",
        "industry": "汽车制造",
        "track": "digital",
        "county": "南湖区",
        "budget_min_wan": 50.0,
        "budget_max_wan": 120.0,
        "deadline": (dt.date.today() + dt.timedelta(days=120)).isoformat(),
        "cooperation_mode": "技术开发",
        "anonymous": False,
        "description": "我司拥有 12 条高速冲压线，节拍 30 次/分钟。",
        "problem": "模具磨损靠人工抽检，换模不及时导致批量毛刺。",
        "indicators": "磨损识别准确率≥95%，寿命预测误差≤10%",
        "tried": "试过振动传感器阈值报警，误报率高。",
        "current_state": "人工每班抽检 2 次。",
        "expected_outcome": "在线监测系统一套，接入 MES。",
        "contact_name": "王工",
        "contact_phone": "0573-88888888",
        "disclosure": "public",
        "confidentiality_terms": "",
    }
    fields.update(overrides)
    return fields


def create_need(session: Session, *, org: Organisation, user: User | None = None, status: str = "draft", **overrides: object) -> Need:
    data = need_fields(**overrides)
    if isinstance(data.get("deadline"), str):
        data["deadline"] = dt.date.fromisoformat(str(data["deadline"]))
    need = Need(org_id=org.id, created_by=(user.id if user else _any_user(session, org).id), status=status, **data)
    if status in ("published", "taken_up", "selected", "contracted", "converted", "closed"):
        need.published_at = dt.datetime.now(dt.UTC)
    session.add(need)
    session.flush()
    if status != "draft":
        session.add(NeedTransition(need_id=need.id, actor_id=None, from_status="draft", to_status=status))
        session.flush()
    return need


def _any_user(session: Session, org: Organisation) -> User:
    from sqlalchemy import select

    user = session.scalar(select(User).where(User.org_id == org.id))
    return user or create_user(session, org)


def add_capability(session: Session, org: Organisation, title: str, description: str = "", kind: str = "project") -> CapabilityItem:
    from sqlalchemy import select

    profile = session.scalar(select(ProviderProfile).where(ProviderProfile.org_id == org.id))
    assert profile is not None
    item = CapabilityItem(profile_id=profile.id, kind=kind, title=title, description=description)
    session.add(item)
    session.flush()
    return item
