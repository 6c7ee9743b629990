"""Each audience's workbench: a thin home page that links into the concept pages (企业工作台,
揭榜方工作台, 科技局工作台, 评审专家)."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup, escape

from market import views
from market.batches import queries as batch_queries
from market.batches import service as batches
from market.deals import queries as deal_queries
from market.errors import DomainError
from market.needs import queries
from market.needs.queries import NeedFilter
from market.notifications import service as notify
from market.orgs import queries as org_queries
from market.recognitions import queries as rec_queries
from market.recognitions.schemas import RecognitionRead
from market.responses import queries as rq
from web.deps import RuntimeDep, SessionDep
from web.pages.common import (
    BureauPage,
    EnterprisePage,
    ExpertPage,
    ProviderPage,
)
from web.pages.render import render

router = APIRouter(tags=["页面 pages"], include_in_schema=False)
log = logging.getLogger("jiebang.pages")


@router.get("/enterprise")
def my_needs(request: Request, session: SessionDep, user: EnterprisePage) -> Response:
    needs, total = queries.list_needs(session, user, NeedFilter(mine=True), limit=100, order="updated")
    rows, _ = deal_queries.list_deals(session, user, deal_queries.DealFilter(), limit=50)
    deals = deal_queries.present_many(session, rows)
    needs = views.need_list(session, user, needs, with_actions=True)
    return render(
        request, "workbench/enterprise.html", {"needs": needs, "total": total, "deals": deals}, user=user
    )



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
                runtime.meili, session, user.org_id, runtime.embedder, prefix=runtime.index_prefix, limit=10,
                viewer=user,
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
    # What every card would say (your own track record, a shared industry) is said once above them;
    # each card lists only what sets it apart.
    common = set.intersection(*[{s.text for s in r["signals"]} for r in recs]) if len(recs) > 1 else set()
    common_signals = [s.text for s in recs[0]["signals"] if s.text in common] if common else []
    for r in recs:
        r["signals"] = [s for s in r["signals"] if s.text not in common]
    rows, _ = rq.list_mine(session, user, limit=50)
    mine = views.response_list(session, user, rows)
    saved = notify.list_saved_searches(session, user)
    return render(
        request,
        "workbench/provider.html",
        {"recs": recs, "rec_error": rec_error, "mine": mine, "saved": saved, "common_signals": common_signals},
        user=user,
    )



@router.get("/bureau")
def overview(request: Request, session: SessionDep, user: BureauPage) -> Response:
    queue = queries.review_queue(session)
    queue_total = queries.review_queue_size(session)
    pending, pending_total = org_queries.list_orgs(session, verification="pending", limit=5)
    approved, _ = queries.list_needs(session, user, NeedFilter(status="approved"), limit=200)
    unbatched = [n for n in approved if n.batch_id is None]
    return render(
        request,
        "workbench/bureau.html",
        {
            "queue": queue,
            "queue_total": queue_total,
            "pending": pending,
            "pending_total": pending_total,
            "unbatched": unbatched,
            "revisions": queries.revision_queue(session),
            "batches": [batch_queries.present(session, user, b) for b in batches.list_batches(session, user)[:5]],
        },
        user=user,
    )



@router.get("/expert")
def expert_home(request: Request, session: SessionDep, user: ExpertPage) -> Response:
    rows = queries.assignments_of_expert(session, user)
    return render(
        request,
        "workbench/expert.html",
        {
            "rows": rows,
            "open_counts": rq.open_counts_by_need(session, [n.id for _, n in rows]),
            "rec_rows": [(a, RecognitionRead.of(r)) for a, r in rec_queries.assignments_of_expert(session, user)],
        },
        user=user,
    )
