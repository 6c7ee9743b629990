"""Needs (发榜): the public list with search, facets, sorting and pagination; a need's page
(summary, details and attachments as its disclosure allows); the enterprise's pages to post, edit,
submit, withdraw and discuss its need; the bureau's review (comments, refine-together
suggestions, expert assignment, decision); the assigned expert's scoring. Every rule is the
services'; pages call them and show what ``need_actions`` allows."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from market import flows, views
from market.batches import service as batches
from market.db import CST, DB_INT_MAX, DbId
from market.errors import DomainError
from market.needs import queries, service
from market.needs import queries as need_queries
from market.needs.models import Need
from market.needs.queries import NeedFilter
from market.needs.schemas import (
    FIELD_LABELS,
    CommentIn,
    NeedCreate,
    NeedOwnerView,
    NeedUpdate,
    ReasonIn,
    ScoresIn,
)
from market.needs.states import PUBLIC_STATUSES, SUBMITTABLE
from market.notifications import service as notify
from market.orgs.models import User
from market.questions import service as questions
from market.responses import access as response_access
from market.responses import queries as rq
from market.responses.states import OPEN_STATUSES
from market.vocab import COOPERATION_MODES, COUNTIES, INDUSTRIES, REVIEW_CRITERIA, TRACKS
from web.deps import RuntimeDep, SessionDep
from web.downloads import attachment_download
from web.hints import duplicate_hints, end_unit_of_work
from web.pages.common import (
    PER_PAGE,
    BureauPage,
    EnterprisePage,
    ExpertPage,
    Form,
    PageUser,
    SignedIn,
    facet_links,
    float_or_none,
    int_or_none,
    page_number,
    soft_refusal,
    store_upload,
)
from web.pages.render import NEED_LABELS, field_errors, form_dict, form_errors, redirect, render, templates
from web.ratelimit import limit_expensive
from web.runtime import Runtime

router = APIRouter(tags=["页面 pages"], include_in_schema=False)
log = logging.getLogger("jiebang.pages")




def no_match_suggestions(params: dict[str, Any]) -> list[dict[str, str]]:
    """What to try when a query matched nothing: each word alone, the query without filters."""
    out: list[dict[str, str]] = []
    words = str(params.get("q") or "").split()
    filters = {k: v for k, v in params.items() if k not in ("q", "sort", "match") and v not in (None, "")}
    if len(words) > 1:
        for word in words[:4]:
            out.append({"label": f"只搜“{word}”", "href": "/needs?" + urlencode({**filters, "q": word})})
    if filters:
        out.append({"label": "去掉筛选条件，只按关键词搜索", "href": "/needs?" + urlencode({"q": params.get("q") or ""})})
    out.append({"label": "浏览全部需求", "href": "/needs"})
    return out


SORTS = {"relevance": "相关度", "newest": "最新发布", "deadline": "截止日期最近", "budget": "预算最高"}


FACET_TITLES = {
    "industry": "行业",
    "county": "县（市、区）",
    "track": "改造方向",
    "cooperation_mode": "合作方式",
    "status": "状态",
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


# The deepest page of the needs list (the index's pagination stops at its total-hits limit too).
MAX_LIST_PAGES = 100


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
    batch_id: Annotated[int | None, Query(ge=1, le=DB_INT_MAX)] = None,
    sort: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[str, Query(max_length=10)] = "1",
    match: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    page_no = page_number(page)
    sort = sort if sort in SORTS else ("relevance" if q else "newest")
    # match=all: a saved search's results — every word in the title or summary, as promised.
    match_all = match == "all" and bool(q.strip())
    params = {
        "q": q,
        "industry": industry,
        "county": county,
        "track": track,
        "cooperation_mode": cooperation_mode,
        "status": status,
        "batch_id": batch_id,
        "sort": sort,
        "match": "all" if match_all else None,
    }
    labels = {"track": dict(TRACKS), "status": {str(k): v for k, v in NEED_LABELS.items()}}
    # Deep offsets cost what they skip (and the index stops at its total-hits limit): the list goes
    # as deep as MAX_LIST_PAGES pages; a deeper number is read as the last of them and sent on to
    # the last page there is (one redirect, below).
    requested = page_no
    page_no = min(page_no, MAX_LIST_PAGES)
    rows: list[Row] = []
    facets: dict[str, dict[str, int]] = {}
    fallback = False
    total = 0
    mode = "keyword"
    if runtime.meili is not None and not match_all:
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
                page=page_no,
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
                relevance_floor=runtime.settings.meili.relevance_floor,
                floor_without_words=runtime.settings.meili.relevance_floor_without_words,
            )
            rows = [row_from_hit(h) for h in result.hits]
            facets = result.facets
            total = result.total
            mode = result.mode
        except Exception as exc:  # noqa: BLE001 - search down: fall back to the database
            log.warning("search unavailable, falling back to database: %s", exc)
            fallback = True
    elif not match_all:
        fallback = True
    if fallback or match_all:
        order = {"newest": "newest", "deadline": "deadline", "budget": "budget"}.get(sort, "newest")
        f = NeedFilter(
            q=q or None,
            status=status,
            industry=industry,
            county=county,
            track=track,
            cooperation_mode=cooperation_mode,
            batch_id=batch_id,
            all_terms=match_all,
        )
        # The public list: published needs only, whoever looks.
        if status and status not in {str(s) for s in PUBLIC_STATUSES}:
            needs, total = [], 0
        else:
            needs, total = need_queries.list_needs(
                session, None, f, offset=(page_no - 1) * PER_PAGE, limit=PER_PAGE, order=order
            )
        rows = [row_from_view(need_queries.present(session, user, n)) for n in needs]
        facets = {
            "industry": {i: 0 for i in INDUSTRIES},
            "county": {c: 0 for c in COUNTIES},
            "track": {t: 0 for t in TRACKS},
            "cooperation_mode": {m: 0 for m in COOPERATION_MODES},
        }
        if match_all:
            facets = {}
    facet_groups = facet_links(params, facets, FACET_TITLES, labels)
    base_query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    total_pages = max(1, min(-(-total // PER_PAGE), MAX_LIST_PAGES))
    if requested > total_pages:
        # A page beyond the last (an old link, a hand-typed number) shows the last one.
        return RedirectResponse(f"/needs?{base_query}&page={total_pages}".replace("?&", "?"), status_code=303)
    batch = batches.get_batch(session, batch_id) if batch_id else None
    return render(
        request,
        "needs/list.html",
        {
            "rows": rows,
            "total": total,
            "page": page_no,
            "total_pages": total_pages,
            "pages_capped": total > MAX_LIST_PAGES * PER_PAGE,
            "listed_max": MAX_LIST_PAGES * PER_PAGE,
            "params": params,
            "facets": facet_groups,
            "fallback": fallback,
            "match_all": match_all,
            "sorts": SORTS,
            "base_query": base_query,
            "mode": mode,
            "batch": batch,
            "suggestions": no_match_suggestions(params) if not rows and q.strip() else [],
            "save_search": notify.save_search_action(user) if (q.strip() or industry or county or track) else None,
        },
        user=user,
    )



@router.get("/needs/{need_id}")
def need_page(need_id: DbId, request: Request, session: SessionDep, user: PageUser) -> Response:
    need = service.need_for_viewer(session, user, need_id)
    my_response = response_access.response_of_org(session, need, user.org_id) if user is not None else None
    return render(
        request,
        "needs/detail.html",
        {
            "need": views.need_view(session, user, need),
            "my_response": my_response,
            "attachments": queries.list_attachments(session, user, need),
            "qa": questions.list_questions(session, user, need.id),
        },
        user=user,
    )


@router.get("/needs/{need_id}/attachments/{attachment_id}")
def need_attachment(need_id: DbId, attachment_id: DbId, session: SessionDep, user: SignedIn) -> Response:
    """Downloads follow the need's disclosure of its details, as the API: anyone else gets the 404
    page."""
    need = service.need_for_viewer(session, user, need_id)
    return attachment_download(queries.attachment_for_viewer(session, user, need, attachment_id))


@router.post("/needs/{need_id}/accept-terms")
def accept_terms(need_id: DbId, request: Request, form: Form, session: SessionDep, user: SignedIn) -> Response:
    if form.get("agree") != "on":
        return redirect(f"/needs/{need_id}#terms", "请先勾选“我已阅读并同意保密承诺”", "error")
    service.accept_terms(session, user, need_id)
    return redirect(f"/needs/{need_id}", "已记录您的保密承诺，现在可以查看需求详情")



NEED_FIELDS = tuple(FIELD_LABELS)


def need_input(form: Any) -> dict[str, Any]:
    data = form_dict(form, bools=("anonymous",), numbers=("budget_min_wan", "budget_max_wan", "deadline"))
    return {k: data.get(k) for k in NEED_FIELDS if k in data or k == "anonymous"}


def _validate(data: dict[str, Any], model: type[NeedCreate] | type[NeedUpdate] = NeedCreate) -> dict[str, str]:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        errors = form_errors(exc, data, FIELD_LABELS, NEED_CHOICES)
        if "__all__" in errors and "预算" in errors["__all__"]:
            errors["budget_max_wan"] = errors.pop("__all__")
        # The budget check belongs to the whole form and pydantic skips it while any field fails:
        # report it with the rest, in one go.
        lo, hi = float_or_none(data.get("budget_min_wan")), float_or_none(data.get("budget_max_wan"))
        if lo is not None and hi is not None and lo > hi and "budget_max_wan" not in errors:
            errors["budget_max_wan"] = "预算上限不能小于下限"
        return errors
    return {}


NEED_CHOICES = ("industry", "track", "county", "cooperation_mode", "disclosure")


def _form_page(
    request: Request,
    user: User,
    *,
    form: dict[str, Any],
    errors: dict[str, str],
    need: Any = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "needs/form.html",
        {
            "form": form,
            "errors": errors,
            "need": need,
            "FIELD_LABELS": FIELD_LABELS,
            "today_iso": dt.datetime.now(CST).date().isoformat(),
        },
        user=user,
        status_code=status_code,
    )


@router.get("/enterprise/needs/new")
def new_need(request: Request, user: EnterprisePage) -> Response:
    form = {
        "county": user.org.county or "",
        "industry": user.org.industry or "",
        "disclosure": "public",
        "track": "digital",
    }
    return _form_page(request, user, form=form, errors={})


@router.post("/enterprise/needs/validate")
def validate_field(request: Request, form: Form, user: EnterprisePage) -> HTMLResponse:
    """htmx, on blur: run the schema over the whole form and answer with this field's message."""
    name = str(form.get("_field", ""))
    # an edit (the form carries the need's id) may keep its deadline; a new need's lies ahead
    errors = _validate(need_input(form), NeedUpdate if str(form.get("need_id") or "").isdigit() else NeedCreate)
    message = errors.get(name)
    html = f'<p class="field-error" id="{name}-error">{message}</p>' if message else ""
    return HTMLResponse(html)


@router.post("/enterprise/needs/duplicates")
def duplicates(
    request: Request, form: Form, session: SessionDep, runtime: RuntimeDep, user: EnterprisePage
) -> HTMLResponse:
    """htmx: needs already on the list or under review that read nearly the same."""
    if not user.org.is_verified:
        limit_expensive(request, runtime, "unverified_duplicates")
    title = str(form.get("title", "")).strip()
    exclude = form.get("need_id")
    dups = (
        duplicate_hints(
            runtime, session, user, title, str(form.get("summary", "")), str(form.get("problem", "")),
            exclude_id=int(exclude) if str(exclude or "").isdigit() and len(str(exclude)) < 19 else None,
        )
        if len(title) >= 4
        else []
    )
    return templates.TemplateResponse(request, "needs/_duplicates.html", {"dups": dups})


@router.post("/enterprise/needs")
def create_need(request: Request, form: Form, session: SessionDep, user: EnterprisePage) -> Response:
    data = need_input(form)
    try:
        need_in = NeedCreate.model_validate(data)
        need = service.create_need(session, user, need_in)
    except (ValidationError, DomainError) as exc:
        errors = _validate(data) if isinstance(exc, ValidationError) else field_errors(exc)
        return _form_page(
            request,
            user,
            form=data,
            errors=errors,
            status_code=422 if isinstance(exc, ValidationError) else exc.status_code,
        )
    if form.get("then") == "submit":
        try:
            service.submit(session, user, need.id)
            return redirect(f"/enterprise/needs/{need.id}", "需求已保存并提交科技局审核。" + what_happens_next(session))
        except DomainError as exc:
            return redirect(
                f"/enterprise/needs/{need.id}", f"需求已保存为草稿，但未能提交：{exc.message}", "error"
            )
    return redirect(f"/enterprise/needs/{need.id}", "需求已保存为草稿。检查无误后请提交审核。")


def _end_before_hints(runtime: Runtime, session: Session, status_code: int) -> None:
    """Nothing after this writes, and the hints embed and ask Meilisearch: end the transaction
    first (SQLite has one writer). A page shown for a refused action keeps nothing of it."""
    if status_code >= 400:
        session.rollback()
    else:
        end_unit_of_work(runtime, session)


def _manage_page(
    request: Request,
    session: Session,
    runtime: Runtime,
    user: User,
    need_id: DbId,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    need = service.need_for_owner(session, user, need_id)
    max_upload_bytes = runtime.settings.limits.max_upload_bytes
    view = views.need_view(session, user, need)
    assert view.actions is not None
    _end_before_hints(runtime, session, status_code)
    # The duplicate hint matters while the enterprise can still reword the need before review.
    dups = (
        duplicate_hints(runtime, session, user, need.title, need.summary, need.problem, exclude_id=need.id)
        if need.status in SUBMITTABLE
        else []
    )
    responses = []
    if view.actions.view_responses.allowed:
        rows, _ = rq.list_for_need(session, need)
        responses = views.response_list(session, user, rows, need)
    recs: list[Any] = []
    if runtime.meili is not None and view.actions.recommend.allowed:
        try:
            from search.recommend import recommend_providers

            recs = recommend_providers(
                runtime.meili, session, need.id, runtime.embedder, prefix=runtime.index_prefix, limit=5
            )
        except Exception:  # noqa: BLE001 - recommendations are a hint, never a failure
            recs = []
    return render(
        request,
        "needs/manage.html",
        {
            "need": view,
            "comments": service.list_comments(session, user, need_id),
            "dups": dups,
            "responses": responses,
            "recs": recs,
            "FIELD_LABELS": FIELD_LABELS,
            "attachments": queries.list_attachments(session, user, need),
            "max_upload_mb": max(1, max_upload_bytes // (1024 * 1024)),
            "errors": errors or {},
        },
        user=user,
        status_code=status_code,
    )


@router.post("/enterprise/needs/{need_id}/invite")
def need_invite(need_id: DbId, request: Request, form: Form, session: SessionDep, user: EnterprisePage) -> Response:
    """Invite a recommended provider to the need (it may then read the details and respond)."""
    org_id = int_or_none(form.get("org_id"))
    back = f"/enterprise/needs/{need_id}"
    if org_id is None:
        return redirect(back, "请选择要邀请的揭榜方", "error")
    try:
        service.invite(session, user, need_id, org_id)
    except DomainError as exc:
        return soft_refusal(exc, back)
    return redirect(back, "已发出邀请，对方将收到通知")


@router.get("/enterprise/needs/{need_id}")
def need_manage(
    need_id: DbId, request: Request, session: SessionDep, runtime: RuntimeDep, user: EnterprisePage
) -> Response:
    return _manage_page(request, session, runtime, user, need_id)


@router.post("/enterprise/needs/{need_id}/attachments")
def need_upload(
    need_id: DbId, request: Request, form: Form, session: SessionDep, runtime: RuntimeDep, user: EnterprisePage
) -> Response:
    """Only the owning enterprise attaches files, in any status of its need (need_for_owner, as the
    API); a refused file is not stored and the page says why."""
    service.need_for_owner(session, user, need_id)  # a stranger gets 404/403 before the form is read
    limit = runtime.settings.limits.max_upload_bytes
    att, errors, status_code = store_upload(
        form,
        limit,
        lambda name, data: service.add_attachment(session, user, need_id, filename=name, data=data, max_bytes=limit,
            quota_bytes=runtime.settings.limits.org_upload_quota_bytes),
    )
    if att is None:
        return _manage_page(request, session, runtime, user, need_id, errors=errors, status_code=status_code)
    return redirect(f"/enterprise/needs/{need_id}#attachments", f"附件「{att.filename}」已上传")


@router.get("/enterprise/needs/{need_id}/edit")
def edit_need(need_id: DbId, request: Request, session: SessionDep, user: EnterprisePage) -> Response:
    need = service.need_for_owner(session, user, need_id)
    view = views.need_view(session, user, need)
    form = {k: getattr(need, k) for k in NEED_FIELDS}
    if isinstance(view, NeedOwnerView) and view.pending_revision is not None:
        form |= view.pending_revision.changes  # go on from the edit under review
    return _form_page(request, user, form=form, errors={}, need=view)


@router.post("/enterprise/needs/{need_id}/edit")
def save_need(
    need_id: DbId, request: Request, form: Form, session: SessionDep, user: EnterprisePage
) -> Response:
    need = service.need_for_owner(session, user, need_id)
    data = need_input(form)
    try:
        need_in = NeedUpdate.model_validate(data)
        outcome = service.update_need(session, user, need_id, need_in)
    except (ValidationError, DomainError) as exc:
        errors = _validate(data, NeedUpdate) if isinstance(exc, ValidationError) else field_errors(exc)
        return _form_page(
            request,
            user,
            form=data,
            errors=errors,
            need=views.need_view(session, user, need),
            status_code=422 if isinstance(exc, ValidationError) else exc.status_code,
        )
    msg = edit_message(outcome)
    after = views.need_view(session, user, need)
    if form.get("then") == "submit" and after.actions is not None and after.actions.submit.allowed:
        try:
            service.submit(session, user, need_id)
            msg = "修改已保存并提交审核"
        except DomainError as exc:
            return redirect(f"/enterprise/needs/{need_id}", f"修改已保存，但未能提交：{exc.message}", "error")
    return redirect(f"/enterprise/needs/{need_id}", msg)


def what_happens_next(session: Session) -> str:
    """Told after a need is submitted: the steps ahead and how long review took lately."""
    said = "接下来由科技局审核：通过后编入榜单统一发布，需要修改会退回并说明原因，结果以站内通知告知您。"
    days = need_queries.median_review_days(session)
    if days is not None:
        said += f"近期需求从提交到审核结果的用时中位数为 {max(days, 0.1):.1f} 天。" if days < 10 else f"近期需求从提交到审核结果的用时中位数为 {days:.0f} 天。"
    return said


def edit_message(outcome: service.EditOutcome) -> str:
    """What the enterprise is told after saving: what changed now and what waits for review."""
    if outcome.proposed:
        said = "修改已提交科技局审核，审核通过前公开页面仍显示当前版本"
        if outcome.applied:
            said = "、".join(FIELD_LABELS[f] for f in outcome.applied) + "的更正已生效；其余" + said
        return said
    if outcome.back_to_review and outcome.applied:
        return "修改已保存，需求已重新进入审核"
    if outcome.applied:
        return "修改已保存"
    return "内容没有变化"


@router.post("/enterprise/needs/{need_id}/submit")
def submit_need(need_id: DbId, request: Request, session: SessionDep, user: EnterprisePage) -> Response:
    try:
        service.submit(session, user, need_id)
    except DomainError as exc:
        if exc.status_code in (403, 409, 422):
            return redirect(f"/enterprise/needs/{need_id}", exc.message, "error")
        raise
    return redirect(f"/enterprise/needs/{need_id}", "已提交科技局审核。" + what_happens_next(session))


@router.post("/enterprise/needs/{need_id}/withdraw")
def withdraw_need(
    need_id: DbId, request: Request, form: Form, session: SessionDep, user: EnterprisePage
) -> Response:
    try:
        flows.withdraw_need(session, user, need_id, str(form.get("reason_text", "")).strip())
    except DomainError as exc:
        return soft_refusal(exc, f"/enterprise/needs/{need_id}")
    return redirect(f"/enterprise/needs/{need_id}", "需求已撤回，已告知所有揭榜单位")


@router.post("/enterprise/needs/{need_id}/comments")
def reply(need_id: DbId, request: Request, form: Form, session: SessionDep, user: EnterprisePage) -> Response:
    try:
        service.add_comment(session, user, need_id, CommentIn(body=str(form.get("body", "")).strip()))
    except ValidationError:
        return redirect(f"/enterprise/needs/{need_id}#comments", "请填写回复内容", "error")
    return redirect(f"/enterprise/needs/{need_id}#comments", "回复已发送给科技局")


@router.post("/enterprise/needs/{need_id}/comments/{comment_id}/accept")
def accept_suggestion(
    need_id: DbId, comment_id: DbId, request: Request, session: SessionDep, user: EnterprisePage
) -> Response:
    try:
        service.accept_suggestion(session, user, need_id, comment_id)
    except DomainError as exc:
        if exc.status_code == 409:
            return redirect(f"/enterprise/needs/{need_id}", exc.message, "error")
        raise
    return redirect(f"/enterprise/needs/{need_id}", "已采纳凝练建议，需求内容已更新")



SUGGESTABLE = ("title", "summary", "problem", "indicators", "expected_outcome")


def experts(session: Session) -> list[User]:
    return [
        u
        for u in session.scalars(select(User).where(User.is_active.is_(True)).order_by(User.id)).all()
        if u.is_expert
    ]


def _review_page(
    request: Request,
    session: Session,
    user: User,
    need_id: DbId,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    need = service.get_need(session, need_id)
    view = views.need_view(session, user, need)
    runtime: Runtime = request.app.state.runtime
    _end_before_hints(runtime, session, status_code)
    return render(
        request,
        "needs/review.html",
        {
            "need": view,
            "comments": service.list_comments(session, user, need_id),
            "assignments": queries.assignments_with_experts(session, need),
            "experts": experts(session),
            "dups": duplicate_hints(
                runtime, session, user, need.title, need.summary, need.problem, exclude_id=need.id
            ),
            "attachments": queries.list_attachments(session, user, need),
            "FIELD_LABELS": FIELD_LABELS,
            "SUGGESTABLE": SUGGESTABLE,
            "errors": errors or {},
            "form": form or {},
        },
        user=user,
        status_code=status_code,
    )


@router.get("/bureau/review/{need_id}")
def review(need_id: DbId, request: Request, session: SessionDep, user: BureauPage) -> Response:
    return _review_page(request, session, user, need_id)


@router.post("/bureau/review/{need_id}/comment")
def comment(need_id: DbId, request: Request, form: Form, session: SessionDep, user: BureauPage) -> Response:
    suggested = {k: str(form.get(f"suggest_{k}", "")).strip() for k in SUGGESTABLE}
    suggested = {k: v for k, v in suggested.items() if v}
    try:
        comment_in = CommentIn(body=str(form.get("body", "")).strip(), suggested_changes=suggested or None)
        service.add_comment(session, user, need_id, comment_in)
    except ValidationError as exc:
        errs = field_errors(exc)
        if "body" in errs:
            errs["body"] = "请填写意见内容"
        shown = {"body": form.get("body", "")} | {f"suggest_{k}": v for k, v in suggested.items()}
        return _review_page(request, session, user, need_id, errors=errs, form=shown, status_code=422)
    return redirect(
        f"/bureau/review/{need_id}#comments",
        "意见已发送给企业" + ("（含凝练建议，企业可一键采纳）" if suggested else ""),
    )


@router.post("/bureau/review/{need_id}/decide")
def decide(need_id: DbId, request: Request, form: Form, session: SessionDep, user: BureauPage) -> Response:
    action = str(form.get("action", ""))
    back = f"/bureau/review/{need_id}"
    try:
        if action == "approve":
            service.approve(session, user, need_id, str(form.get("reason_text", "")).strip())
            return redirect("/bureau", "审核通过，可列入榜单")
        try:
            reason = ReasonIn(
                reason_code=str(form.get("reason_code", "")),
                reason_text=str(form.get("reason_text", "")).strip(),
            )
        except ValidationError as exc:
            return _review_page(
                request, session, user, need_id, errors=field_errors(exc), form=dict(form), status_code=422
            )
        if action == "return":
            service.return_for_changes(session, user, need_id, reason.reason_code, reason.reason_text)
            return redirect("/bureau", "已退回企业修改")
        if action == "reject":
            service.reject(session, user, need_id, reason.reason_code, reason.reason_text)
            return redirect("/bureau", "已驳回")
    except DomainError as exc:
        return soft_refusal(exc, back)
    return redirect(back, "未知操作", "error")


@router.post("/bureau/review/{need_id}/experts")
def assign(need_id: DbId, request: Request, form: Form, session: SessionDep, user: BureauPage) -> Response:
    expert_id = int_or_none(form.get("expert_id"))
    if expert_id is None:
        return redirect(f"/bureau/review/{need_id}#experts", "请选择专家", "error")
    try:
        service.assign_expert(session, user, need_id, expert_id)
    except DomainError as exc:
        return soft_refusal(exc, f"/bureau/review/{need_id}#experts")
    return redirect(f"/bureau/review/{need_id}#experts", "已分配评审专家并通知")


@router.post("/bureau/review/{need_id}/revision")
def decide_revision(need_id: DbId, request: Request, form: Form, session: SessionDep, user: BureauPage) -> Response:
    """The bureau accepts or returns an edit of a published need."""
    back = f"/bureau/review/{need_id}#revision"
    try:
        if form.get("action") == "approve":
            flows.approve_revision(session, user, need_id, str(form.get("reason_text", "")).strip())
            return redirect(f"/bureau/review/{need_id}", "修改已审核通过，公开内容已更新并通知已揭榜的单位")
        try:
            reason = ReasonIn(reason_code=str(form.get("reason_code", "")), reason_text=str(form.get("reason_text", "")).strip())
        except ValidationError as exc:
            return _review_page(request, session, user, need_id, errors=field_errors(exc), form=dict(form), status_code=422)
        service.return_revision(session, user, need_id, reason.reason_code, reason.reason_text)
    except DomainError as exc:
        return soft_refusal(exc, back)
    return redirect(f"/bureau/review/{need_id}", "修改已退回企业，公开内容保持不变")



def _open_proposals(session: SessionDep, user: ExpertPage, need: Need) -> list[tuple[Any, Any]]:
    """The need's proposals still under review, each with this expert's own score (or None)."""
    open_rows = sorted(
        (r for status in OPEN_STATUSES for r in rq.list_for_need(session, need, status=status, limit=500)[0]),
        key=lambda r: r.id,
    )
    mine = rq.scores_by_expert(session, user, [r.id for r in open_rows])
    return [(r, mine.get(r.id)) for r in open_rows]


SCORE_LABELS = {f"score_{k}": label for k, label in REVIEW_CRITERIA.items()} | {"comment": "评审意见"}


def _score_errors(raw: dict[str, str], comment: str) -> dict[str, str]:
    """Every problem of the scoring form at once, next to its field: each score a whole number
    0–100 (请填写… when empty), the comment within the schema's limit (form_errors)."""
    errors: dict[str, str] = {}
    for k, v in raw.items():
        if not v:
            errors[f"score_{k}"] = f"请填写{REVIEW_CRITERIA[k]}"
        elif not (v.isascii() and v.isdigit()) or int(v) > 100:
            errors[f"score_{k}"] = "请填写 0–100 的整数"
    # The comment against the schema, with every score standing in valid, so its message is
    # the schema's own whatever the scores are.
    try:
        ScoresIn(scores=dict.fromkeys(REVIEW_CRITERIA, 0), comment=comment)
    except ValidationError as exc:
        errors |= form_errors(exc, {"comment": comment}, SCORE_LABELS)
    return errors


@router.get("/expert/needs/{need_id}")
def expert_need(need_id: DbId, request: Request, session: SessionDep, user: ExpertPage) -> Response:
    a = queries.assignment_of(session, user, need_id)
    need = service.need_for_viewer(session, user, need_id)
    form = {f"score_{k}": v for k, v in (a.scores or {}).items()} | {"comment": a.comment}
    return render(
        request,
        "needs/expert_score.html",
        {
            "need": views.need_view(session, user, need),
            "a": a,
            "form": form,
            "attachments": queries.list_attachments(session, user, need),
            "proposals": _open_proposals(session, user, need),
        },
        user=user,
    )


@router.post("/expert/needs/{need_id}")
def expert_score(
    need_id: DbId, request: Request, form: Form, session: SessionDep, user: ExpertPage
) -> Response:
    a = queries.assignment_of(session, user, need_id)
    need = service.need_for_viewer(session, user, need_id)
    raw = {k: str(form.get(f"score_{k}", "")).strip() for k in REVIEW_CRITERIA}
    errors = _score_errors(raw, str(form.get("comment", "")))
    if not errors:
        try:
            scores_in = ScoresIn(
                scores={k: int(v) for k, v in raw.items()}, comment=str(form.get("comment", ""))
            )
            service.submit_scores(session, user, need_id, scores_in)
            return redirect("/expert", "评分已提交")
        except (ValidationError, DomainError) as exc:
            errors = field_errors(exc)
            if "scores" in errors:
                errors["__all__"] = errors.pop("scores")
    shown = {f"score_{k}": v for k, v in raw.items()} | {"comment": form.get("comment", "")}
    return render(
        request,
        "needs/expert_score.html",
        {
            "need": views.need_view(session, user, need),
            "a": a,
            "form": shown,
            "errors": errors,
            "attachments": queries.list_attachments(session, user, need),
            "proposals": _open_proposals(session, user, need),
        },
        user=user,
        status_code=422,
    )
