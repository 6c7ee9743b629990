"""Awards API: price a hypothetical case from the policy table (no login, nothing stored), publish
the policy tables themselves, and let the bureau add policy versions as data (drafted by one staff
member, reviewed and published by another)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, status

from market.recognitions import policy_versions, service
from market.recognitions.policy import policy_for_year
from market.recognitions.schemas import AwardQuoteIn, AwardQuoteOut
from web.deps import BureauUser, SessionDep
from web.errors import RESPONSES_WRITE, responses

router = APIRouter(prefix="/awards", tags=["奖励 awards"])


@router.post("/quote", response_model=AwardQuoteOut, responses=responses(422))
def quote(quote_in: AwardQuoteIn, session: SessionDep) -> AwardQuoteOut:
    """按政策表试算奖励：认定奖励（就高不重复，升级补差）与保费补贴，每项给出规则与算式。不保存任何数据。
    所填年度不在任何政策版本有效期内时答 422，并列出现有版本及其有效期。"""
    return AwardQuoteOut.model_validate(service.quote_case(session, quote_in).as_dict())


@router.get("/policies", response_model=list[dict[str, Any]])
def list_policies(session: SessionDep) -> list[dict[str, Any]]:
    """全部政策版本（版本号、名称、生效日期、有效期至、状态）：随平台发布的与科技局发布的。"""
    return policy_versions.listing(session)


@router.post(
    "/policies", response_model=dict[str, Any], status_code=status.HTTP_201_CREATED, responses=RESPONSES_WRITE
)
def draft_policy(
    session: SessionDep,
    user: BureauUser,
    data: Annotated[dict[str, Any], Body(description="政策表（与随平台发布的政策表同一格式，含 version、effective_from、valid_until）")],
) -> dict[str, Any]:
    """科技局上传新的政策版本（待审核）；由另一名工作人员审核后发布，无需改动程序。"""
    row = policy_versions.draft(session, user, data)
    return {"id": row.id, "version": row.version, "status": row.status}


@router.post("/policies/{version_id}/publish", response_model=dict[str, Any], responses=RESPONSES_WRITE)
def publish_policy(
    version_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    session: SessionDep,
    user: BureauUser,
    note: Annotated[str, Body(embed=True, max_length=2000)] = "",
) -> dict[str, Any]:
    """审核并发布政策版本（起草人本人不能发布）；发布后按其有效期用于计算奖励。"""
    row = policy_versions.publish(session, user, version_id, note)
    return {"id": row.id, "version": row.version, "status": row.status}


@router.get("/policy", response_model=dict[str, Any], responses=responses(422))
def get_policy(
    session: SessionDep,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="适用年度；缺省为最新版本")] = None,
) -> dict[str, Any]:
    """某年度有效的政策表原文（奖励标准、就高不重复分组、保费补贴参数、有效期）；该年度无有效版本时答 422。"""
    return dict(policy_for_year(year, policy_versions.policies(session)).raw)
