"""Public pages: home with the current batch (榜单) and key figures, the need list with search,
facets, sorting and pagination, and the provider directory.

Search goes through ``search.queries`` (Meilisearch). When the search service is not available
the need list falls back to ``market.needs.queries.list_needs`` with database filters and says so.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from markupsafe import Markup, escape

from market.batches import service as batches
from market.needs import queries as need_queries
from market.needs.queries import NeedFilter
from market.needs.states import PUBLIC_STATUSES
from market.orgs import queries as org_queries
from market.orgs import service as orgs
from market.targets import metrics
from market.targets.progress import today_local
from market.vocab import COOPERATION_MODES, COUNTIES, INDUSTRIES, TRACKS
from web.deps import RuntimeDep, SessionDep
from web.pages.common import PageUser
from web.pages.render import NEED_LABELS, render

log = logging.getLogger("jiebang.pages")
router = APIRouter(tags=["页面 pages"], include_in_schema=False)

PER_PAGE = 10
SORTS = {"relevance": "相关度", "newest": "最新发布", "deadline": "截止日期最近", "budget": "预算最高"}
FACET_TITLES = {
    "industry": "行业",
    "county": "县（市、区）",
    "track": "改造方向",
    "cooperation_mode": "合作方式",
    "status": "状态",
}
PROVIDER_FACET_TITLES = {
    "kind": "单位类型",
    "county": "县（市、区）",
    "industries": "服务行业",
    "tracks": "改造方向",
    "capability_types": "成果类型",
}


@dataclass
class Row:
    """One need in a list, the same shape whether it came from Meilisearch or the database."""

    id: int
    title: Markup
    summary: Markup
    industry: str
    track: str
    county: str
    budget_min_wan: float | None
    budget_max_wan: float | None
    deadline: Any
    status: str
    org_name: str | None
    cooperation_mode: str
    disclosure: str = "public"
    extra: dict[str, Any] = field(default_factory=dict)


def row_from_hit(hit: Any) -> Row:
    d, f = hit.document, hit.formatted
    deadline = dt.date.fromisoformat(d["deadline"]) if d.get("deadline") else None
    return Row(
        id=int(d["id"]),
        title=Markup(f.get("title") or escape(d.get("title", ""))),
        summary=Markup(f.get("summary") or escape(d.get("summary", ""))),
        industry=d.get("industry", ""),
        track=d.get("track", ""),
        county=d.get("county", ""),
        budget_min_wan=d.get("budget_min_wan"),
        budget_max_wan=d.get("budget_max_wan"),
        deadline=deadline,
        status=d.get("status", ""),
        org_name=d.get("org_name"),
        cooperation_mode=d.get("cooperation_mode", ""),
        disclosure=d.get("disclosure", "public"),
    )


def row_from_view(view: Any) -> Row:
    return Row(
        id=view.id,
        title=escape(view.title),
        summary=escape(view.summary),
        industry=view.industry,
        track=view.track,
        county=view.county,
        budget_min_wan=view.budget_min_wan,
        budget_max_wan=view.budget_max_wan,
        deadline=view.deadline,
        status=view.status,
        org_name=view.org_name,
        cooperation_mode=view.cooperation_mode,
        disclosure=view.disclosure,
    )


def current_batch(session: Any) -> Any:
    published = batches.list_batches(session, published_only=True)
    return published[0] if published else None


@router.get("/")
def home(request: Request, session: SessionDep, user: PageUser) -> Response:
    batch = current_batch(session)
    rows: list[Row] = []
    batch_count = 0
    if batch is not None:
        needs, batch_count = need_queries.list_needs(session, None, NeedFilter(batch_id=batch.id), limit=6)
        rows = [row_from_view(need_queries.present(session, user, n)) for n in needs]
    else:
        needs, _ = need_queries.list_needs(session, None, NeedFilter(), limit=6)
        rows = [row_from_view(need_queries.present(session, user, n)) for n in needs]
    today = today_local()
    start = dt.date(today.year, 1, 1)
    _, open_total = need_queries.list_needs(session, None, NeedFilter(), limit=1)
    _, providers_total = org_queries.list_provider_profiles(session, limit=1)
    figures = [
        {"label": "在榜需求", "value": open_total, "sub": "已发榜及后续阶段"},
        {
            "label": f"{today.year}年发榜",
            "value": len(metrics.collect(session, "needs_published", start, today)),
            "sub": "按发布日期统计",
        },
        {
            "label": f"{today.year}年签约对接",
            "value": len(metrics.collect(session, "deals_signed", start, today)),
            "sub": "揭榜对接转化",
        },
        {"label": "已认证揭榜方", "value": providers_total, "sub": "高校、院所、服务商"},
    ]
    return render(
        request,
        "public/home.html",
        {"batch": batch, "batch_count": batch_count, "rows": rows, "figures": figures},
        user=user,
    )


def _facet_links(
    request: Request,
    params: dict[str, Any],
    facets: dict[str, dict[str, int]],
    titles: dict[str, str],
    labels: dict[str, dict[str, str]],
) -> list[dict[str, Any]]:
    out = []
    for name, title in titles.items():
        counts = facets.get(name)
        if counts is None:
            continue
        options = []
        for value, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            active = params.get(name) == value
            q = {k: v for k, v in params.items() if v not in (None, "") and k != "page"}
            if active:
                q.pop(name, None)
            else:
                q[name] = value
            options.append(
                {
                    "value": value,
                    "label": labels.get(name, {}).get(value, value),
                    "count": count,
                    "active": active,
                    "href": "?" + urlencode(q),
                }
            )
        out.append({"name": name, "title": title, "options": options})
    return out


@router.get("/needs")
def needs_list(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    user: PageUser,
    q: Annotated[str, Query(max_length=200)] = "",
    industry: Annotated[str | None, Query(max_length=40)] = None,
    county: Annotated[str | None, Query(max_length=20)] = None,
    track: Annotated[str | None, Query(max_length=10)] = None,
    cooperation_mode: Annotated[str | None, Query(max_length=20)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    batch_id: Annotated[int | None, Query(ge=1)] = None,
    sort: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
) -> Response:
    sort = sort if sort in SORTS else ("relevance" if q else "newest")
    params = {
        "q": q,
        "industry": industry,
        "county": county,
        "track": track,
        "cooperation_mode": cooperation_mode,
        "status": status,
        "batch_id": batch_id,
        "sort": sort,
    }
    labels = {"track": dict(TRACKS), "status": {str(k): v for k, v in NEED_LABELS.items()}}
    rows: list[Row] = []
    facets: dict[str, dict[str, int]] = {}
    fallback = False
    total = 0
    mode = "keyword"
    if runtime.meili is not None:
        try:
            from search.queries import NeedSearchParams, search_needs

            sp = NeedSearchParams(
                q=q,
                industry=[industry] if industry else [],
                county=[county] if county else [],
                track=[track] if track else [],
                cooperation_mode=[cooperation_mode] if cooperation_mode else [],
                status=[status] if status else [],
                batch_id=batch_id,
                sort=sort,
                page=page,
                per_page=PER_PAGE,  # type: ignore[arg-type]
            )
            embedder = None
            try:
                embedder = runtime.embedder
            except Exception:  # noqa: BLE001 - keyword search still works without the model
                log.warning("embedder unavailable; keyword search only")
            result = search_needs(
                runtime.meili,
                sp,
                prefix=runtime.index_prefix,
                embedder=embedder,
                semantic_ratio=runtime.settings.meili.semantic_ratio,
            )
            rows = [row_from_hit(h) for h in result.hits]
            facets = result.facets
            total = result.total
            mode = result.mode
        except Exception as exc:  # noqa: BLE001 - search down: fall back to the database
            log.warning("search unavailable, falling back to database: %s", exc)
            fallback = True
    else:
        fallback = True
    if fallback:
        order = {"newest": "newest", "deadline": "deadline", "budget": "budget"}.get(sort, "newest")
        f = NeedFilter(
            q=q or None, status=status, industry=industry, county=county, track=track, batch_id=batch_id
        )
        # The public list: published needs only, whoever looks.
        if status and status not in {str(s) for s in PUBLIC_STATUSES}:
            needs, total = [], 0
        else:
            needs, total = need_queries.list_needs(
                session, None, f, offset=(page - 1) * PER_PAGE, limit=PER_PAGE, order=order
            )
        rows = [row_from_view(need_queries.present(session, user, n)) for n in needs]
        facets = {
            "industry": {i: 0 for i in INDUSTRIES},
            "county": {c: 0 for c in COUNTIES},
            "track": {t: 0 for t in TRACKS},
            "cooperation_mode": {m: 0 for m in COOPERATION_MODES},
        }
    facet_groups = _facet_links(request, params, facets, FACET_TITLES, labels)
    base_query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    total_pages = max(1, -(-total // PER_PAGE))
    batch = batches.get_batch(session, batch_id) if batch_id else None
    return render(
        request,
        "public/needs.html",
        {
            "rows": rows,
            "total": total,
            "page": page,
            "total_pages": total_pages,
            "params": params,
            "facets": facet_groups,
            "fallback": fallback,
            "sorts": SORTS,
            "base_query": base_query,
            "mode": mode,
            "batch": batch,
        },
        user=user,
    )


@router.get("/providers")
def providers(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    user: PageUser,
    q: Annotated[str, Query(max_length=200)] = "",
    kind: Annotated[str | None, Query(max_length=20)] = None,
    county: Annotated[str | None, Query(max_length=20)] = None,
    industries: Annotated[str | None, Query(max_length=40)] = None,
    tracks: Annotated[str | None, Query(max_length=10)] = None,
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
) -> Response:
    params = {"q": q, "kind": kind, "county": county, "industries": industries, "tracks": tracks}
    items: list[dict[str, Any]] = []
    facets: dict[str, dict[str, int]] = {}
    fallback = False
    total = 0
    if runtime.meili is not None:
        try:
            from search.queries import ProviderSearchParams, search_providers

            sp = ProviderSearchParams(
                q=q,
                kind=[kind] if kind else [],
                county=[county] if county else [],
                industries=[industries] if industries else [],
                tracks=[tracks] if tracks else [],
                page=page,
                per_page=PER_PAGE,
            )
            embedder = None
            try:
                embedder = runtime.embedder
            except Exception:  # noqa: BLE001
                embedder = None
            result = search_providers(
                runtime.meili,
                sp,
                prefix=runtime.index_prefix,
                embedder=embedder,
                semantic_ratio=runtime.settings.meili.semantic_ratio,
            )
            for h in result.hits:
                d, f = h.document, h.formatted
                items.append(
                    {
                        "org_id": d.get("org_id", h.id),
                        "name": Markup(f.get("name") or escape(d.get("name", ""))),
                        "summary": Markup(f.get("summary") or escape(d.get("summary", ""))),
                        "kind": d.get("kind"),
                        "county": d.get("county"),
                        "fields": d.get("fields", []),
                        "industries": d.get("industries", []),
                        "tracks": d.get("tracks", []),
                        "capabilities": d.get("capability_names", [])[:4],
                        "track_record": d.get("track_record", 0),
                    }
                )
            facets, total = result.facets, result.total
        except Exception as exc:  # noqa: BLE001
            log.warning("provider search unavailable, falling back to database: %s", exc)
            fallback = True
    else:
        fallback = True
    if fallback:
        profiles, total = org_queries.list_provider_profiles(
            session, offset=(page - 1) * PER_PAGE, limit=PER_PAGE
        )
        for p in profiles:
            items.append(
                {
                    "org_id": p.org_id,
                    "name": escape(p.org.name),
                    "summary": escape(p.summary),
                    "kind": p.org.kind,
                    "county": p.org.county,
                    "fields": p.fields,
                    "industries": p.industries,
                    "tracks": p.tracks,
                    "capabilities": [i.title for i in p.items][:4],
                    "track_record": p.track_record,
                }
            )
    from market.vocab import ORG_KIND_LABELS
    from web.pages.render import CAPABILITY_KINDS

    facet_groups = _facet_links(
        request,
        params,
        facets,
        PROVIDER_FACET_TITLES,
        {"kind": ORG_KIND_LABELS, "tracks": dict(TRACKS), "capability_types": CAPABILITY_KINDS},
    )
    base_query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return render(
        request,
        "public/providers.html",
        {
            "items": items,
            "total": total,
            "page": page,
            "total_pages": max(1, -(-total // PER_PAGE)),
            "params": params,
            "facets": facet_groups,
            "fallback": fallback,
            "base_query": base_query,
        },
        user=user,
    )


@router.get("/providers/{org_id}")
def provider_detail(org_id: int, request: Request, session: SessionDep, user: PageUser) -> Response:
    from market.errors import NotFound

    profile = orgs.get_profile(session, org_id)
    viewer_is_member = user is not None and user.org_id == org_id
    if (
        not profile.org.is_verified
        and not viewer_is_member
        and not (user is not None and user.is_bureau_staff)
    ):
        raise NotFound("揭榜方不存在或尚未认证")
    return render(request, "public/provider_detail.html", {"profile": profile, "org": profile.org}, user=user)
