"""Awards API: price a hypothetical case from the policy table (no login, nothing stored), and
publish the policy tables themselves."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from market.recognitions import service
from market.recognitions.policy import load_policies, policy_for_year
from market.recognitions.schemas import AwardQuoteIn, AwardQuoteOut
from web.errors import responses

router = APIRouter(prefix="/awards", tags=["奖励 awards"])


@router.post("/quote", response_model=AwardQuoteOut, responses=responses(422))
def quote(quote_in: AwardQuoteIn) -> AwardQuoteOut:
    """按政策表试算奖励：认定奖励（就高不重复，升级补差）与保费补贴，每项给出规则与算式。不保存任何数据。"""
    return AwardQuoteOut.model_validate(service.quote_case(quote_in).as_dict())


@router.get("/policies", response_model=list[dict[str, Any]])
def list_policies() -> list[dict[str, Any]]:
    """全部政策版本（版本号、名称、生效日期）。"""
    return [
        {"version": p.version, "title": p.title, "effective_from": p.effective_from.isoformat()}
        for p in load_policies()
    ]


@router.get("/policy", response_model=dict[str, Any], responses=responses(422))
def get_policy(
    year: Annotated[int | None, Query(ge=2000, le=2100, description="适用年度；缺省为最新版本")] = None,
) -> dict[str, Any]:
    """某年度适用的政策表原文（奖励标准、就高不重复分组、保费补贴参数）。"""
    return dict(policy_for_year(year).raw)
