"""Organisations: the provider directory and a provider's public profile, the provider's own capability
profile editor, and the bureau's verification of organisations."""

from __future__ import annotations

import logging
import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup, escape
from pydantic import ValidationError

from market.db import DbId
from market.errors import DomainError
from market.notifications import service as notify
from market.orgs import access as org_access
from market.orgs import queries as org_queries
from market.orgs import service as orgs
from market.orgs.schemas import ProfileIn
from market.vocab import CAPABILITY_KINDS, ORG_KIND_LABELS, TRACKS, VERIFICATION_LABELS
from web.deps import RuntimeDep, SessionDep
from web.pages.common import (
    PER_PAGE,
    BureauPage,
    Form,
    PageUser,
    ProviderPage,
    facet_links,
    int_or_none,
    page_number,
)
from web.pages.render import field_errors, form_dict, redirect, render

router = APIRouter(tags=["页面 pages"], include_in_schema=False)
log = logging.getLogger("jiebang.pages")


PROVIDER_FACET_TITLES = {
    "kind": "单位类型",
    "county": "县（市、区）",
    "industries": "服务行业",
    "tracks": "改造方向",
    "capability_types": "成果类型",
}


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
    page: Annotated[str, Query(max_length=10)] = "1",
) -> Response:
    page_no = page_number(page)
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
                page=page_no,
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
                relevance_floor=runtime.settings.meili.relevance_floor,
                floor_without_words=runtime.settings.meili.relevance_floor_without_words,
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
            session, offset=(page_no - 1) * PER_PAGE, limit=PER_PAGE
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

    facet_groups = facet_links(
        params,
        facets,
        PROVIDER_FACET_TITLES,
        {"kind": ORG_KIND_LABELS, "tracks": dict(TRACKS), "capability_types": CAPABILITY_KINDS},
    )
    base_query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    total_pages = max(1, -(-total // PER_PAGE))
    if page_no > total_pages:
        return RedirectResponse(f"/providers?{base_query}&page={total_pages}".replace("?&", "?"), status_code=303)
    return render(
        request,
        "orgs/providers.html",
        {
            "items": items,
            "total": total,
            "page": page_no,
            "total_pages": total_pages,
            "params": params,
            "facets": facet_groups,
            "fallback": fallback,
            "base_query": base_query,
        },
        user=user,
    )


@router.get("/providers/{org_id}")
def provider_detail(org_id: DbId, request: Request, session: SessionDep, user: PageUser) -> Response:
    """The same rule as the API (``orgs.profile_for_viewer``): an unverified provider's profile
    exists only for its members and the bureau."""
    profile = orgs.profile_for_viewer(session, user, org_id)
    return render(request, "orgs/provider_detail.html", {"profile": profile, "org": profile.org}, user=user)



PROFILE_LABELS = {
    "fields": "研究/服务方向",
    "industries": "服务行业",
    "tracks": "改造方向",
    "summary": "能力概述",
    "team": "团队",
    "typical_deal_min_wan": "典型合作规模下限",
    "typical_deal_max_wan": "典型合作规模上限",
    "track_record": "已完成合作项目数",
    "items": "代表成果",
}


def _split(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"[,，、;；\n]+", text or "") if p.strip()]


def _profile_form(profile: Any) -> dict[str, Any]:
    return {
        "fields": "、".join(profile.fields),
        "industries": list(profile.industries),
        "tracks": list(profile.tracks),
        "summary": profile.summary,
        "team": profile.team,
        "typical_deal_min_wan": profile.typical_deal_min_wan,
        "typical_deal_max_wan": profile.typical_deal_max_wan,
        "track_record": profile.track_record,
        "items": [
            {"kind": i.kind, "title": i.title, "description": i.description, "year": i.year}
            for i in profile.items
        ],
    }


@router.get("/provider/profile")
def profile_page(request: Request, session: SessionDep, user: ProviderPage) -> Response:
    profile = orgs.get_profile(session, user.org_id)
    return render(
        request,
        "orgs/profile.html",
        {"form": _profile_form(profile), "errors": {}, "labels": PROFILE_LABELS},
        user=user,
    )


@router.post("/provider/profile")
def profile_save(request: Request, form: Form, session: SessionDep, user: ProviderPage) -> Response:
    raw = form_dict(
        form,
        lists=("industries", "tracks", "item_kind", "item_title", "item_description", "item_year"),
        numbers=("typical_deal_min_wan", "typical_deal_max_wan"),
    )
    items = []
    for kind, title, desc, year in zip(
        raw["item_kind"] or [],
        form.getlist("item_title"),
        form.getlist("item_description"),
        form.getlist("item_year"),
        strict=False,
    ):
        title = str(title).strip()
        if not title:
            continue
        items.append(
            {
                "kind": kind,
                "title": title,
                "description": str(desc).strip(),
                "year": int_or_none(str(year).strip()) if str(year).strip() else None,
            }
        )
    data = {
        "fields": _split(str(raw.get("fields", ""))),
        "industries": raw["industries"],
        "tracks": raw["tracks"],
        "summary": raw.get("summary", ""),
        "team": raw.get("team", ""),
        "typical_deal_min_wan": raw.get("typical_deal_min_wan"),
        "typical_deal_max_wan": raw.get("typical_deal_max_wan"),
        "track_record": raw.get("track_record") or 0,
        "items": items,
    }
    shown = {**data, "fields": str(raw.get("fields", ""))}
    try:
        orgs.update_profile(session, user, user.org_id, ProfileIn.model_validate(data))
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status_code not in (409, 422):
            raise
        return render(
            request,
            "orgs/profile.html",
            {"form": shown, "errors": field_errors(exc), "labels": PROFILE_LABELS},
            user=user,
            status_code=422,
        )
    return redirect("/provider/profile", "能力画像已保存，推荐结果将随之更新")



# The filters the organisations export accepts (an unknown value on the page lists nothing).
ORG_FILTER_VALUES = frozenset({*ORG_KIND_LABELS, *VERIFICATION_LABELS})


@router.get("/bureau/orgs")
def org_list(
    request: Request, session: SessionDep, user: BureauPage, verification: str = "pending", kind: str = ""
) -> Response:
    rows, total = org_queries.list_orgs(
        session, verification=verification or None, kind=kind or None, limit=200
    )
    return render(
        request,
        "orgs/verify.html",
        {
            "orgs": rows,
            "total": total,
            "verification": verification,
            "kind": kind,
            "export_query": urlencode(
                {k: v for k, v in {"verification": verification, "kind": kind}.items() if v in ORG_FILTER_VALUES}
            ),
            "leading_actions": {o.id: org_access.set_leading(user, o) for o in rows},
        },
        user=user,
    )


@router.post("/bureau/orgs/{org_id}/leading")
def org_leading(org_id: DbId, request: Request, form: Form, session: SessionDep, user: BureauPage) -> Response:
    leading = str(form.get("leading", "")) == "1"
    org = orgs.set_leading(session, user, org_id, leading, str(form.get("note", "")).strip()[:500])
    notify.notify_org(
        session,
        org.id,
        "org.leading",
        "已认定为龙头企业" if leading else "龙头企业认定已取消",
        "龙头企业可揭榜其他企业发布的技术需求" if leading else "",
        "/",
    )
    return redirect("/bureau/orgs", f"「{org.name}」{'已认定为龙头企业' if leading else '已取消龙头企业认定'}")


@router.post("/bureau/orgs/{org_id}/verify")
def org_verify(org_id: DbId, request: Request, form: Form, session: SessionDep, user: BureauPage) -> Response:
    decision = str(form.get("decision", ""))
    note = str(form.get("note", "")).strip()
    if decision == "rejected" and not note:
        return redirect("/bureau/orgs", "不通过认证须说明原因", "error")
    org = orgs.verify_org(session, user, org_id, decision, note)

    notify.notify_org(
        session,
        org.id,
        "org.verification",
        "单位认证已通过" if decision == "verified" else "单位认证未通过",
        note,
        "/",
    )
    return redirect(
        "/bureau/orgs", f"「{org.name}」{'已通过认证' if decision == 'verified' else '未通过认证'}"
    )
