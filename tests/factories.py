"""Typed helpers that create test data through the real services where it matters."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.batches.models import Batch
from market.needs.models import ExpertAssignment, Need, NeedTransition
from market.orgs import security
from market.orgs.models import CapabilityItem, Organisation, ProviderProfile, Role, User
from market.outbox.service import enqueue

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
    if status in ("published", "taken_up", "selected", "contracted", "converted", "closed") and need.published_at is None:
        need.published_at = dt.datetime.now(dt.UTC)
    session.add(need)
    session.flush()
    if status != "draft":
        session.add(NeedTransition(need_id=need.id, actor_id=None, from_status="draft", to_status=status))
        session.flush()
    return need


def _any_user(session: Session, org: Organisation) -> User:
    user = session.scalar(select(User).where(User.org_id == org.id))
    return user or create_user(session, org)


def add_capability(session: Session, org: Organisation, title: str, description: str = "", kind: str = "project") -> CapabilityItem:
    profile = session.scalar(select(ProviderProfile).where(ProviderProfile.org_id == org.id))
    assert profile is not None
    item = CapabilityItem(profile_id=profile.id, kind=kind, title=title, description=description)
    session.add(item)
    session.flush()
    return item


# --- records the search tests index (published, with their outbox entries) -----------------------

# The heat-recovery need the search tests query for (余热, 能耗监测), with every disclosure-tiered
# field filled so that index tests can check which fields reach which index.
INDEXED_NEED: dict[str, object] = {
    "title": "注塑车间余热回收与能耗监测",
    "summary": "希望对注塑机余热进行回收利用，并建立车间能耗在线监测平台。",
    "industry": "装备制造",
    "track": "green",
    "county": "海宁市",
    "budget_min_wan": 20.0,
    "budget_max_wan": 80.0,
    "deadline": dt.date(2027, 6, 30),
    "cooperation_mode": "技术开发",
    "description": "详细描述：车间共有注塑机48台。",
    "problem": "机密问题：模温机能耗高。",
    "indicators": "节能率≥15%",
    "tried": "尝试过某公司方案，效果不佳",
    "current_state": "",
    "expected_outcome": "",
    "contact_name": "张三",
    "contact_phone": "13800000000",
    "confidentiality_terms": "保密条款",
}


def make_org(session: Session, *, kind: str = "enterprise", verified: bool = True, **kw: Any) -> Organisation:
    """An organisation as the search tests want it (no industry unless given)."""
    return create_org(
        session, kind=kind, verified=verified, county=str(kw.pop("county", "南湖区")),
        industry=kw.pop("industry", None), name=kw.pop("name", None),
    )


def make_need(session: Session, org: Organisation | None = None, *, enqueue_it: bool = True, **kw: Any) -> Need:
    """A need (published unless ``status`` says otherwise) with its outbox entry, so the worker indexes it."""
    status = str(kw.pop("status", "published"))
    need = create_need(session, org=org or make_org(session), status=status, **(INDEXED_NEED | kw))
    if enqueue_it:
        enqueue(session, "need", need.id)
    return need


def make_provider(session: Session, *, verified: bool = True, enqueue_it: bool = True, **kw: Any) -> Organisation:
    """A provider with a profile and one capability item, with its outbox entry."""
    org = create_org(
        session, kind=str(kw.pop("kind", "university")), verified=verified, industry=None,
        name=kw.pop("name", None) or f"嘉兴某大学{next(_seq)}",
    )
    profile = session.scalar(select(ProviderProfile).where(ProviderProfile.org_id == org.id))
    assert profile is not None
    profile.fields = kw.pop("fields", ["工业节能", "余热利用"])
    profile.industries = kw.pop("industries", ["装备制造"])
    profile.tracks = kw.pop("tracks", ["green"])
    profile.summary = kw.pop("summary", "长期从事工业余热回收与能源管理研究。")
    profile.typical_deal_min_wan, profile.typical_deal_max_wan = 10, 100
    session.add(
        CapabilityItem(profile_id=profile.id, kind="project", title=kw.pop("item", "印染废水余热回收示范工程"), description="回收率40%")
    )
    session.flush()
    if enqueue_it:
        enqueue(session, "provider", org.id)
    return org


def past_notice(session: Session, batch: Batch, *, days_ago: int = 3, length: int = 7) -> Batch:
    """Put a composed batch through a public notice that ran in the past (ended ``days_ago`` days
    ago, China Standard Time), as if the bureau had started it then; the service refuses a notice
    starting before today, so tests that need a finished notice write it here."""
    from market.db import CST

    today = dt.datetime.now(CST).date()
    batch.notice_end = today - dt.timedelta(days=days_ago)
    batch.notice_start = batch.notice_end - dt.timedelta(days=length)
    batch.status = "notice"
    session.flush()
    return batch


def scored_by_experts(session: Session, need: Need, n: int = 2) -> list[User]:
    """``n`` experts (each of their own university) assigned to ``need`` with submitted scores."""
    experts = []
    for _ in range(n):
        org = create_org(session, kind="university", industry=None)
        expert = create_user(session, org, roles=["member", "expert"])
        session.add(
            ExpertAssignment(
                need_id=need.id,
                expert_id=expert.id,
                assigned_by=expert.id,
                scores={"industry_impact": 80, "research_basis": 70, "technical_indicators": 75, "financial_indicators": 60},
                submitted_at=dt.datetime.now(dt.UTC),
            )
        )
        experts.append(expert)
    session.flush()
    return experts


def expert(session: Session) -> User:
    """An expert of their own university (recused from nobody in the test world)."""
    return create_user(session, create_org(session, kind="university", industry=None), roles=["member", "expert"])


def recognition_to_notice(session: Session, bureau: User, rec_id: int, *, experts: int = 2, notes: str = "材料齐全") -> None:
    """Walk an application through the real services: 初审, ``experts`` experts assigned who score,
    专家评审 completed, 公示 from today (China Standard Time) for ten days."""
    from market.db import CST
    from market.recognitions import service
    from market.recognitions.models import Recognition
    from market.recognitions.schemas import ExpertScoreIn, NoticeIn, RecognitionReview

    rec = session.get(Recognition, rec_id)
    assert rec is not None
    if rec.status == "applied":
        service.review(session, bureau, rec_id, RecognitionReview(notes=notes))
    for _ in range(experts):
        e = expert(session)
        service.assign_expert(session, bureau, rec_id, e.id)
        service.submit_score(session, e, rec_id, ExpertScoreIn(score=85, comment="技术指标先进，材料真实。"))
    service.finish_review(session, bureau, rec_id)
    today = dt.datetime.now(CST).date()
    service.put_on_notice(session, bureau, rec_id, NoticeIn(notice_start=today, notice_end=today + dt.timedelta(days=9)))


def notice_served(session: Session, bureau: User, rec_id: int, **kw: Any) -> None:
    """``recognition_to_notice``, then the notice period has passed (the window moved into the past,
    as days going by would): the bureau may now recognise it."""
    from market.db import CST
    from market.recognitions.models import Recognition

    recognition_to_notice(session, bureau, rec_id, **kw)
    rec = session.get(Recognition, rec_id)
    assert rec is not None and rec.notice_start is not None and rec.notice_end is not None
    shift = (rec.notice_end - dt.datetime.now(CST).date()).days + 1
    rec.notice_start -= dt.timedelta(days=shift)
    rec.notice_end -= dt.timedelta(days=shift)
    session.flush()
