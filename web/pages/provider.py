"""Provider pages (高校、科研院所、服务商): the capability profile editor, recommended needs with
the reason for each match, saved searches, responding with a proposal and following responses."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup, escape
from pydantic import ValidationError

from market.errors import DomainError
from market.needs import queries as need_queries
from market.needs import service as need_service
from market.notifications import service as notify
from market.notifications.schemas import SavedSearchIn
from market.orgs import service as orgs
from market.orgs.schemas import ProfileIn
from market.vocab import INDUSTRIES
from web.deps import RuntimeDep, SessionDep
from web.downloads import attachment_download
from web.pages.common import Form, ProviderPage, SignedIn, int_or_none, store_upload
from web.pages.render import CAPABILITY_KINDS, field_errors, form_dict, redirect, render

log = logging.getLogger("jiebang.pages")
router = APIRouter(tags=["页面 pages"], include_in_schema=False)

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
RESPONSE_LABELS_ZH = {
    "approach": "技术方案",
    "team": "团队",
    "track_record": "相关业绩",
    "timeline": "进度安排",
    "price_wan": "报价",
    "partner_org_ids": "联合揭榜单位",
}


def highlight(text: str, terms: list[str]) -> Markup:
    """Escape the text and mark the shared key terms (longest first, so terms do not nest)."""
    out = str(escape(text))
    terms = sorted({t for t in terms if t and len(t) <= 30}, key=len, reverse=True)
    if not terms:
        return Markup(out)
    pattern = re.compile("|".join(re.escape(str(escape(t))) for t in terms))
    return Markup(pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", out))


@router.get("/provider")
def provider_home(request: Request, session: SessionDep, runtime: RuntimeDep, user: ProviderPage) -> Response:
    from market.responses import queries as rq

    recs: list[dict[str, Any]] = []
    rec_error = None
    if not user.org.is_verified:
        rec_error = "贵单位尚未通过科技局认证，认证后即可获得推荐并揭榜。"
    elif runtime.meili is None:
        rec_error = "推荐服务暂时不可用（搜索服务未启动）。"
    else:
        try:
            from search.recommend import recommend_needs

            for r in recommend_needs(
                runtime.meili, session, user.org_id, runtime.embedder, prefix=runtime.index_prefix, limit=10
            ):
                d = r.document
                recs.append(
                    {
                        "id": r.id,
                        "title": highlight(d.get("title", ""), r.shared_terms),
                        "summary": highlight(d.get("summary", ""), r.shared_terms),
                        "reason": r.reason,
                        "shared_terms": r.shared_terms,
                        "similarity": r.semantic_similarity,
                        "score": r.score,
                        "signals": [s for s in r.signals if s.text],
                        "industry": d.get("industry"),
                        "county": d.get("county"),
                        "track": d.get("track"),
                        "budget_min_wan": d.get("budget_min_wan"),
                        "budget_max_wan": d.get("budget_max_wan"),
                        "org_name": d.get("org_name"),
                        "deadline": d.get("deadline"),
                        "best_item": r.best_item,
                    }
                )
        except DomainError as exc:
            rec_error = exc.message if exc.status_code == 404 else "推荐服务暂时不可用，请稍后再试。"
        except Exception:  # noqa: BLE001 - recommendations never break the page
            log.exception("recommendations failed")
            rec_error = "推荐服务暂时不可用，请稍后再试。"
    rows, _ = rq.list_mine(session, user, limit=50)
    mine = [rq.present(session, user, r) for r in rows]
    saved = notify.list_saved_searches(session, user)
    return render(
        request,
        "provider/home.html",
        {"recs": recs, "rec_error": rec_error, "mine": mine, "saved": saved},
        user=user,
    )


# --- profile ------------------------------------------------------------------------------------


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
        "provider/profile.html",
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
            "provider/profile.html",
            {"form": shown, "errors": field_errors(exc), "labels": PROFILE_LABELS},
            user=user,
            status_code=422,
        )
    return redirect("/provider/profile", "能力画像已保存，推荐结果将随之更新")


# --- saved searches -----------------------------------------------------------------------------


@router.get("/provider/saved-searches")
def saved_searches(request: Request, session: SessionDep, user: ProviderPage) -> Response:
    return render(
        request,
        "provider/saved.html",
        {"saved": notify.list_saved_searches(session, user), "form": {}, "errors": {}},
        user=user,
    )


@router.post("/provider/saved-searches")
def saved_create(request: Request, form: Form, session: SessionDep, user: ProviderPage) -> Response:
    data = form_dict(form, bools=("notify",))
    filters = {k: data.get(k) or None for k in ("industry", "county", "track")}
    try:
        notify.create_saved_search(
            session,
            user,
            SavedSearchIn.model_validate(
                {
                    "name": data.get("name", ""),
                    "query": data.get("query", ""),
                    "filters": filters,
                    "notify": data.get("notify", False),
                }
            ),
        )
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status_code not in (409, 422):
            raise
        errs = field_errors(exc)
        return render(
            request,
            "provider/saved.html",
            {"saved": notify.list_saved_searches(session, user), "form": data, "errors": errs},
            user=user,
            status_code=422,
        )
    return redirect("/provider/saved-searches", "订阅已保存，有匹配的新需求发榜时将通知您")


@router.post("/provider/saved-searches/{search_id}/delete")
def saved_delete(search_id: int, request: Request, session: SessionDep, user: ProviderPage) -> Response:
    notify.delete_saved_search(session, user, search_id)
    return redirect("/provider/saved-searches", "订阅已删除")


# --- responses ------------------------------------------------------------------------------------


def _respond_page(
    request: Request,
    session: Any,
    user: Any,
    need_id: int,
    *,
    form: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    need = need_service.need_for_viewer(session, user, need_id)
    view = need_queries.present(session, user, need)
    from market.orgs import queries as oq

    partners, _ = oq.list_provider_profiles(session, limit=500)
    partner_orgs = [p.org for p in partners if p.org_id != user.org_id]
    return render(
        request,
        "provider/respond.html",
        {
            "need": view,
            "form": form,
            "errors": errors,
            "partner_orgs": partner_orgs,
            "labels": RESPONSE_LABELS_ZH,
        },
        user=user,
        status_code=status_code,
    )


@router.get("/provider/needs/{need_id}/respond")
def respond_page(need_id: int, request: Request, session: SessionDep, user: ProviderPage) -> Response:
    return _respond_page(request, session, user, need_id, form={}, errors={})


@router.post("/provider/needs/{need_id}/respond")
def respond(need_id: int, request: Request, form: Form, session: SessionDep, user: ProviderPage) -> Response:
    from market.responses import service as rs
    from market.responses.schemas import ResponseCreate

    data = form_dict(form, lists=("partner_org_ids",), numbers=("price_wan",))
    payload = {
        k: data.get(k) for k in ("approach", "team", "track_record", "timeline", "price_wan") if k in data
    }
    payload["partner_org_ids"] = [int(i) for i in data["partner_org_ids"] if str(i).isdigit()]
    try:
        response = rs.submit(session, user, need_id, ResponseCreate.model_validate(payload))
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status_code not in (403, 409, 422):
            raise
        errs = field_errors(exc)
        if "approach" in errs and "内容过短" in errs["approach"]:
            errs["approach"] = "技术方案至少 10 个字"
        return _respond_page(
            request,
            session,
            user,
            need_id,
            form=data,
            errors=errs,
            status_code=422 if isinstance(exc, ValidationError) else exc.status_code,
        )
    return redirect(f"/provider/responses/{response.id}", "揭榜方案已提交，发榜企业将收到通知")


@router.get("/responses/{response_id}")
def response_link(response_id: int) -> Response:
    return redirect(f"/provider/responses/{response_id}")


def _response_page(
    request: Request,
    session: Any,
    user: Any,
    response_id: int,
    *,
    max_upload_bytes: int,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    from market.needs import access as need_access
    from market.responses import queries as rq
    from market.responses import service as rs
    from market.responses.access import is_need_owner, is_responder
    from market.responses.states import OPEN_STATUSES

    response, need = rs.response_for_viewer(session, user, response_id)
    view = rq.present(session, user, response, need)
    is_open = response.status in OPEN_STATUSES
    if is_need_owner(user, need):
        back = (f"/enterprise/needs/{need.id}/responses", "揭榜方案对比")
    elif need_access.is_assigned_expert(session, user, need):
        back = (f"/expert/needs/{need.id}", "评审任务")
    elif user.is_bureau_staff:
        back = (f"/needs/{need.id}", "需求详情")
    else:
        back = ("/provider", "揭榜工作台")
    return render(
        request,
        "provider/response.html",
        {
            "r": view,
            "need": need,
            "back": back,
            "can_withdraw": is_responder(user, response) and is_open,
            "can_upload": is_responder(user, response) and is_open,
            "attachments": rq.list_attachments(session, response),
            "max_upload_mb": max(1, max_upload_bytes // (1024 * 1024)),
            "errors": errors or {},
        },
        user=user,
        status_code=status_code,
    )


@router.get("/provider/responses/{response_id}")
def response_page(
    response_id: int, request: Request, session: SessionDep, runtime: RuntimeDep, user: SignedIn
) -> Response:
    limit = runtime.settings.limits.max_upload_bytes
    return _response_page(request, session, user, response_id, max_upload_bytes=limit)


@router.post("/provider/responses/{response_id}/attachments")
def response_upload(
    response_id: int, request: Request, form: Form, session: SessionDep, runtime: RuntimeDep, user: ProviderPage
) -> Response:
    """Only the responding organisation uploads, while its proposal is open; a refused file is not
    stored and the page says why."""
    from market.responses import service as rs

    limit = runtime.settings.limits.max_upload_bytes
    att, errors, status_code = store_upload(
        form,
        limit,
        lambda name, data: rs.add_attachment(session, user, response_id, filename=name, data=data, max_bytes=limit),
    )
    if att is None:
        return _response_page(
            request, session, user, response_id, max_upload_bytes=limit, errors=errors, status_code=status_code
        )
    return redirect(f"/provider/responses/{response_id}#attachments", f"附件「{att.filename}」已上传")


@router.get("/responses/{response_id}/attachments/{attachment_id}")
def response_attachment(response_id: int, attachment_id: int, session: SessionDep, user: SignedIn) -> Response:
    """Downloads go through the response's viewing rule: anyone else gets the 404 page."""
    from market.responses import service as rs

    return attachment_download(rs.attachment_for_viewer(session, user, response_id, attachment_id))


@router.post("/provider/responses/{response_id}/withdraw")
def response_withdraw(
    response_id: int, request: Request, form: Form, session: SessionDep, user: ProviderPage
) -> Response:
    from market.responses import service as rs

    try:
        rs.withdraw(session, user, response_id, str(form.get("reason_text", "")).strip())
    except DomainError as exc:
        if exc.status_code == 409:
            return redirect(f"/provider/responses/{response_id}", exc.message, "error")
        raise
    return redirect(f"/provider/responses/{response_id}", "方案已撤回")


__all__ = ["router", "INDUSTRIES", "CAPABILITY_KINDS"]
