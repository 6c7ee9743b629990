"""Organisations, verification by the bureau, provider capability profiles, experts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from market.db import DbId
from market.needs import service as need_service
from market.orgs import queries, service
from market.orgs.schemas import (
    ConflictIn,
    ConflictOut,
    LeadingIn,
    OrgDetail,
    OrgPublic,
    ProfileIn,
    ProfileOut,
    UserOut,
    VerificationIn,
)
from search.recommend import warm_profile_items
from web.api.common import Paginated
from web.deps import BureauUser, CurrentUser, OptionalUser, PageDep, RuntimeDep, SessionDep
from web.errors import RESPONSES_READ, RESPONSES_WRITE, responses

router = APIRouter(tags=["单位 organisations"])


@router.get("/orgs", response_model=Paginated[OrgDetail], responses=responses(401, 403, 422))
def list_orgs(
    session: SessionDep,
    user: BureauUser,
    page: PageDep,
    kind: Annotated[str | None, Query(pattern="^(enterprise|university|institute|provider|bureau)$")] = None,
    verification: Annotated[str | None, Query(pattern="^(pending|verified|rejected)$")] = None,
) -> Paginated[OrgDetail]:
    """单位列表（科技局），可按类型与认证状态筛选。"""
    rows, total = queries.list_orgs(session, kind=kind, verification=verification, offset=page.offset, limit=page.per_page)
    return Paginated(items=[OrgDetail.model_validate(o) for o in rows], total=total, page=page.page, per_page=page.per_page)


@router.get("/orgs/{org_id}", response_model=OrgPublic, responses=RESPONSES_READ)
def get_org(org_id: DbId, session: SessionDep, user: OptionalUser) -> OrgPublic:
    """单位公开信息：已认证单位公开；未认证的单位仅本单位成员和科技局可见。"""
    return OrgPublic.model_validate(service.org_for_viewer(session, user, org_id))


@router.post("/orgs/{org_id}/verification", response_model=OrgDetail, responses=RESPONSES_WRITE)
def verify_org(org_id: DbId, verification_in: VerificationIn, session: SessionDep, user: CurrentUser) -> OrgDetail:
    """科技局认证单位（verified / rejected）。"""
    return OrgDetail.model_validate(service.verify_org(session, user, org_id, verification_in.decision, verification_in.note))


@router.post("/orgs/{org_id}/leading", response_model=OrgDetail, responses=RESPONSES_WRITE)
def set_leading(org_id: DbId, leading_in: LeadingIn, session: SessionDep, user: CurrentUser) -> OrgDetail:
    """科技局认定（或取消）龙头企业：龙头企业可揭榜其他企业的需求，不能揭榜本单位的需求。"""
    return OrgDetail.model_validate(service.set_leading(session, user, org_id, leading_in.leading, leading_in.note))


@router.get("/providers", response_model=Paginated[ProfileOut], responses=responses(422))
def list_providers(session: SessionDep, page: PageDep) -> Paginated[ProfileOut]:
    """已认证揭榜方（高校、院所、服务商）名录。"""
    rows, total = queries.list_provider_profiles(session, offset=page.offset, limit=page.per_page)
    return Paginated(items=[ProfileOut.model_validate(p) for p in rows], total=total, page=page.page, per_page=page.per_page)


@router.get("/providers/{org_id}", response_model=ProfileOut, responses=RESPONSES_READ)
def get_provider(org_id: DbId, session: SessionDep, user: OptionalUser) -> ProfileOut:
    """揭榜方能力画像：与揭榜方页面同一规则，未认证的揭榜方仅本单位成员和科技局可见。"""
    return ProfileOut.model_validate(service.profile_for_viewer(session, user, org_id))


@router.put("/providers/{org_id}", response_model=ProfileOut, responses=RESPONSES_WRITE)
def update_provider(
    org_id: DbId, profile_in: ProfileIn, session: SessionDep, user: CurrentUser, runtime: RuntimeDep
) -> ProfileOut:
    """揭榜方维护本单位能力画像（研究方向、成果条目、团队、典型合作规模）。"""
    service.update_profile(session, user, org_id, profile_in)
    out = ProfileOut.model_validate(service.get_profile(session, org_id))
    if runtime.meili is not None and out.items:
        # The recommendations' item vectors, embedded off the request path (never inline there).
        warm_profile_items(lambda: runtime.embedder, [i.title for i in out.items])
    return out


@router.post("/users/{user_id}/expert", response_model=UserOut, responses=RESPONSES_WRITE)
def grant_expert(user_id: DbId, session: SessionDep, user: CurrentUser) -> UserOut:
    """科技局管理员聘任评审专家。"""
    return UserOut.model_validate(need_service.grant_expert_role(session, user, user_id))


@router.get("/experts/me/conflicts", response_model=list[ConflictOut], responses=RESPONSES_READ)
def my_conflicts(session: SessionDep, user: CurrentUser) -> list[ConflictOut]:
    """评审专家申报的利益冲突单位（评审时回避这些单位及本单位）。"""
    return [ConflictOut.model_validate(c) for c in service.list_conflicts(session, user)]


@router.post("/experts/me/conflicts", response_model=ConflictOut, status_code=201, responses=RESPONSES_WRITE)
def declare_conflict(conflict_in: ConflictIn, session: SessionDep, user: CurrentUser) -> ConflictOut:
    """评审专家申报与某单位存在利益冲突；此后不会被分配评审该单位的需求，也不能为其方案打分。"""
    return ConflictOut.model_validate(service.declare_conflict(session, user, conflict_in.org_id, conflict_in.note))
