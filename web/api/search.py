"""Search and recommendations: the public contract others build on.

``GET /search/needs`` and ``GET /search/providers`` (keyword or hybrid, filters, facets, sort,
pagination, highlights); ``GET /needs/{id}/recommended-providers`` and
``GET /providers/{id}/recommended-needs`` (ranked, scored, explained).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from market.db import DB_INT_MAX, DbId
from market.errors import Forbidden
from market.needs import access
from market.needs import service as need_service
from market.needs.exceptions import NeedNotFound
from market.orgs.exceptions import ProfileNotFound
from market.orgs.models import User
from search.errors import SearchUnavailable
from search.queries import (
    NeedSearchParams,
    ProviderSearchParams,
    SearchResult,
    search_needs,
    search_providers,
)
from search.recommend import Recommendation, recommend_needs, recommend_providers
from web.deps import CurrentUser, OptionalUser, RuntimeDep, SessionDep
from web.errors import responses
from web.ratelimit import limit_expensive
from web.runtime import Runtime

router = APIRouter(tags=["搜索与推荐 search"])

ListQ = Annotated[list[str], Query(max_length=20)]


def _limit_anonymous_embedding(request: Request, runtime: Runtime, user: User | None, mode: str, q: str) -> None:
    """A hybrid search embeds its query (the costly part): anonymous clients get a limited number per
    window (issue 14, finding 3); signed-in users are known and accountable."""
    if mode == "hybrid" and q.strip() and user is None:
        limit_expensive(request, runtime, "anonymous_search")


@router.get("/search/needs", response_model=SearchResult, responses=responses(403, 422, 429, 503))
def search_needs_route(
    request: Request,
    runtime: RuntimeDep,
    user: OptionalUser,
    q: Annotated[str, Query(max_length=200, description="关键词，可为自然语言描述")] = "",
    mode: Literal["keyword", "hybrid"] = "hybrid",
    industry: ListQ = [],  # noqa: B006 - FastAPI copies defaults
    county: ListQ = [],  # noqa: B006
    track: ListQ = [],  # noqa: B006
    status: ListQ = [],  # noqa: B006
    cooperation_mode: ListQ = [],  # noqa: B006
    budget_min: Annotated[float | None, Query(ge=0, le=1e6)] = None,
    budget_max: Annotated[float | None, Query(ge=0, le=1e6)] = None,
    deadline_from: dt.date | None = None,
    deadline_to: dt.date | None = None,
    batch_id: Annotated[int | None, Query(ge=1, le=DB_INT_MAX)] = None,
    sort: Literal["relevance", "newest", "deadline", "budget"] = "relevance",
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
    scope: Literal["public", "bureau"] = "public",
) -> SearchResult:
    """搜索已发榜需求（关键词或混合语义检索），返回命中、分面计数、总数与耗时。scope=bureau 仅限科技局（含未发布需求）。"""
    if scope == "bureau" and not (user is not None and user.is_bureau_staff):
        raise Forbidden("仅科技局工作人员可检索未发布需求")
    _limit_anonymous_embedding(request, runtime, user, mode, q)
    if runtime.meili is None:
        raise SearchUnavailable()
    params = NeedSearchParams(
        q=q, mode=mode, industry=industry, county=county, track=track, status=status, cooperation_mode=cooperation_mode,
        budget_min=budget_min, budget_max=budget_max, deadline_from=deadline_from, deadline_to=deadline_to,
        batch_id=batch_id, sort=sort, page=page, per_page=per_page,
    )
    return search_needs(
        runtime.meili, params, prefix=runtime.index_prefix, scope=scope,
        embedder=runtime.embedder if mode == "hybrid" else None, semantic_ratio=runtime.settings.meili.semantic_ratio,
        relevance_floor=runtime.settings.meili.relevance_floor,
        floor_without_words=runtime.settings.meili.relevance_floor_without_words,
    )


@router.get("/search/providers", response_model=SearchResult, responses=responses(422, 429, 503))
def search_providers_route(
    request: Request,
    runtime: RuntimeDep,
    user: OptionalUser,
    q: Annotated[str, Query(max_length=200)] = "",
    mode: Literal["keyword", "hybrid"] = "hybrid",
    kind: ListQ = [],  # noqa: B006
    county: ListQ = [],  # noqa: B006
    industries: ListQ = [],  # noqa: B006
    tracks: ListQ = [],  # noqa: B006
    capability_types: ListQ = [],  # noqa: B006
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SearchResult:
    """搜索已认证揭榜方（高校、院所、服务商）的能力画像。"""
    _limit_anonymous_embedding(request, runtime, user, mode, q)
    if runtime.meili is None:
        raise SearchUnavailable()
    params = ProviderSearchParams(
        q=q, mode=mode, kind=kind, county=county, industries=industries, tracks=tracks,
        capability_types=capability_types, page=page, per_page=per_page,
    )
    return search_providers(
        runtime.meili, params, prefix=runtime.index_prefix,
        embedder=runtime.embedder if mode == "hybrid" else None, semantic_ratio=runtime.settings.meili.semantic_ratio,
        relevance_floor=runtime.settings.meili.relevance_floor,
        floor_without_words=runtime.settings.meili.relevance_floor_without_words,
    )


@router.get(
    "/needs/{need_id}/recommended-providers", response_model=list[Recommendation], responses=responses(401, 404, 409, 422, 503)
)
def recommended_providers(
    need_id: DbId,
    session: SessionDep,
    user: CurrentUser,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[Recommendation]:
    """为需求推荐揭榜方（仅发榜企业与科技局）：混合检索候选 + 结构化匹配重排，并给出推荐理由。"""
    need = need_service.need_for_viewer(session, user, need_id)
    answer = access.recommend(access.Facts.read(session, user, need))
    if not answer.allowed and not answer.by_state:
        raise NeedNotFound()
    answer.require()
    if runtime.meili is None:
        raise SearchUnavailable()
    return recommend_providers(
        runtime.meili, session, need.id, runtime.embedder, prefix=runtime.index_prefix, limit=limit,
        semantic_ratio=runtime.settings.meili.semantic_ratio,
    )


@router.get(
    "/providers/{org_id}/recommended-needs", response_model=list[Recommendation], responses=responses(401, 404, 422, 503)
)
def recommended_needs(
    org_id: DbId,
    session: SessionDep,
    user: CurrentUser,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[Recommendation]:
    """为揭榜方推荐在榜需求（本单位成员与科技局可见），每条附匹配理由。"""
    if user.org_id != org_id and not user.is_bureau_staff:
        raise ProfileNotFound()
    if runtime.meili is None:
        raise SearchUnavailable()
    return recommend_needs(
        runtime.meili, session, org_id, runtime.embedder, prefix=runtime.index_prefix, limit=limit,
        semantic_ratio=runtime.settings.meili.semantic_ratio,
        # the provider's own members see what they could take up; the bureau sees the candidates
        viewer=user if user.org_id == org_id else None,
    )
