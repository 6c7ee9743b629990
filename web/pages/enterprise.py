"""Enterprise pages: post a need (with guidance, live validation and the near-duplicate hint),
edit it while the rules allow, follow its status timeline, discuss and adopt the bureau's refined
wording, compare responses side by side and shortlist / decline / select, and record the deal
(contract, acceptance, conversion). Every rule is the services'; pages only call and render."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from market.errors import DomainError
from market.needs import queries, service
from market.needs.queries import NeedFilter
from market.needs.schemas import CommentIn, NeedCreate, NeedUpdate
from market.needs.states import EDITABLE_BY_OWNER
from market.vocab import REASON_CODES
from web.deps import RuntimeDep, SessionDep
from web.pages.common import EnterprisePage, Form, SignedIn
from web.pages.render import field_errors, form_dict, redirect, render, templates

router = APIRouter(tags=["页面 pages"], include_in_schema=False)

NEED_FIELD_LABELS = {
    "title": "需求名称",
    "summary": "需求摘要",
    "industry": "所属行业",
    "track": "改造方向",
    "county": "所在县（市、区）",
    "budget_min_wan": "预算下限",
    "budget_max_wan": "预算上限",
    "deadline": "揭榜截止日期",
    "cooperation_mode": "合作方式",
    "anonymous": "匿名发布",
    "description": "需求描述",
    "problem": "技术难题",
    "indicators": "指标要求",
    "tried": "已尝试方案",
    "current_state": "现状",
    "expected_outcome": "预期成果",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
    "disclosure": "详情公开方式",
    "confidentiality_terms": "保密条款",
}
NEED_FIELDS = tuple(NEED_FIELD_LABELS)
DRAFT_ONLY = ("draft", "returned")


def need_input(form: Any) -> dict[str, Any]:
    data = form_dict(form, bools=("anonymous",), numbers=("budget_min_wan", "budget_max_wan", "deadline"))
    return {k: data.get(k) for k in NEED_FIELDS if k in data or k == "anonymous"}


def _validate(data: dict[str, Any]) -> dict[str, str]:
    try:
        NeedCreate.model_validate(data)
    except ValidationError as exc:
        errors = field_errors(exc)
        if "__all__" in errors and "预算" in errors["__all__"]:
            errors["budget_max_wan"] = errors.pop("__all__")
        return errors
    return {}


def _form_page(
    request: Request,
    user: Any,
    *,
    form: dict[str, Any],
    errors: dict[str, str],
    need: Any = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "enterprise/need_form.html",
        {"form": form, "errors": errors, "need": need, "FIELD_LABELS": NEED_FIELD_LABELS},
        user=user,
        status_code=status_code,
    )


@router.get("/enterprise")
def my_needs(request: Request, session: SessionDep, user: EnterprisePage) -> Response:
    needs, total = queries.list_needs(session, user, NeedFilter(mine=True), limit=100, order="updated")
    deals: list[Any] = []
    try:
        from market.deals import queries as deal_queries

        rows, _ = deal_queries.list_deals(session, user, deal_queries.DealFilter(), limit=50)
        deals = deal_queries.present_many(session, rows)
    except ImportError:
        pass
    return render(
        request, "enterprise/home.html", {"needs": needs, "total": total, "deals": deals}, user=user
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
    errors = _validate(need_input(form))
    message = errors.get(name)
    html = f'<p class="field-error" id="{name}-error">{message}</p>' if message else ""
    return HTMLResponse(html)


@router.post("/enterprise/needs/duplicates")
def duplicates(request: Request, form: Form, session: SessionDep, user: EnterprisePage) -> HTMLResponse:
    """htmx: needs already on the list or under review that read nearly the same."""
    title = str(form.get("title", "")).strip()
    text = f"{form.get('summary', '')}。{form.get('problem', '')}"
    exclude = form.get("need_id")
    dups = (
        queries.near_duplicates(
            session, title, text, exclude_id=int(exclude) if str(exclude or "").isdigit() else None
        )
        if len(title) >= 4
        else []
    )
    return templates.TemplateResponse(request, "enterprise/_duplicates.html", {"dups": dups})


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
            return redirect(f"/enterprise/needs/{need.id}", "需求已保存并提交科技局审核")
        except DomainError as exc:
            return redirect(
                f"/enterprise/needs/{need.id}", f"需求已保存为草稿，但未能提交：{exc.message}", "error"
            )
    return redirect(f"/enterprise/needs/{need.id}", "需求已保存为草稿。检查无误后请提交审核。")


@router.get("/enterprise/needs/{need_id}")
def need_manage(
    need_id: int, request: Request, session: SessionDep, runtime: RuntimeDep, user: EnterprisePage
) -> Response:
    need = service.need_for_owner(session, user, need_id)
    view = queries.present(session, user, need)
    comments = service.list_comments(session, user, need_id)
    # The duplicate hint matters while the enterprise can still reword the need.
    dups = (
        queries.near_duplicates(session, need.title, f"{need.summary}。{need.problem}", exclude_id=need.id)
        if need.status in DRAFT_ONLY
        else []
    )
    responses: list[Any] = []
    try:
        from market.responses import queries as rq

        rows, _ = rq.list_for_need(session, need)
        responses = [rq.present(session, user, r, need) for r in rows]
    except ImportError:
        pass
    recs: list[Any] = []
    if runtime.meili is not None and need.status != "draft":
        try:
            from search.recommend import recommend_providers

            recs = recommend_providers(
                runtime.meili, session, need.id, runtime.embedder, prefix=runtime.index_prefix, limit=5
            )
        except Exception:  # noqa: BLE001 - recommendations are a hint, never a failure
            recs = []
    return render(
        request,
        "enterprise/need_manage.html",
        {
            "need": view,
            "comments": comments,
            "dups": dups,
            "responses": responses,
            "recs": recs,
            "can_edit": need.status in EDITABLE_BY_OWNER,
            "can_submit": need.status in DRAFT_ONLY,
            "can_withdraw": need.status
            in ("draft", "submitted", "returned", "approved", "published", "taken_up"),
            "FIELD_LABELS": NEED_FIELD_LABELS,
        },
        user=user,
    )


@router.get("/enterprise/needs/{need_id}/edit")
def edit_need(need_id: int, request: Request, session: SessionDep, user: EnterprisePage) -> Response:
    need = service.need_for_owner(session, user, need_id)
    form = {k: getattr(need, k) for k in NEED_FIELDS}
    return _form_page(request, user, form=form, errors={}, need=need)


@router.post("/enterprise/needs/{need_id}/edit")
def save_need(
    need_id: int, request: Request, form: Form, session: SessionDep, user: EnterprisePage
) -> Response:
    need = service.need_for_owner(session, user, need_id)
    data = need_input(form)
    try:
        need_in = NeedUpdate.model_validate(data)
        was = need.status
        service.update_need(session, user, need_id, need_in)
    except (ValidationError, DomainError) as exc:
        errors = _validate(data) if isinstance(exc, ValidationError) else field_errors(exc)
        return _form_page(
            request,
            user,
            form=data,
            errors=errors,
            need=need,
            status_code=422 if isinstance(exc, ValidationError) else exc.status_code,
        )
    msg = "修改已保存" + ("，需求已重新进入审核" if was in ("approved", "published", "taken_up") else "")
    if form.get("then") == "submit" and need.status in DRAFT_ONLY:
        try:
            service.submit(session, user, need_id)
            msg = "修改已保存并提交审核"
        except DomainError as exc:
            return redirect(f"/enterprise/needs/{need_id}", f"修改已保存，但未能提交：{exc.message}", "error")
    return redirect(f"/enterprise/needs/{need_id}", msg)


@router.post("/enterprise/needs/{need_id}/submit")
def submit_need(need_id: int, request: Request, session: SessionDep, user: EnterprisePage) -> Response:
    try:
        service.submit(session, user, need_id)
    except DomainError as exc:
        if exc.status_code in (403, 409, 422):
            return redirect(f"/enterprise/needs/{need_id}", exc.message, "error")
        raise
    return redirect(f"/enterprise/needs/{need_id}", "已提交科技局审核")


@router.post("/enterprise/needs/{need_id}/withdraw")
def withdraw_need(
    need_id: int, request: Request, form: Form, session: SessionDep, user: EnterprisePage
) -> Response:
    service.withdraw(session, user, need_id, str(form.get("reason_text", "")).strip())
    return redirect(f"/enterprise/needs/{need_id}", "需求已撤回")


@router.post("/enterprise/needs/{need_id}/comments")
def reply(need_id: int, request: Request, form: Form, session: SessionDep, user: EnterprisePage) -> Response:
    try:
        service.add_comment(session, user, need_id, CommentIn(body=str(form.get("body", "")).strip()))
    except ValidationError:
        return redirect(f"/enterprise/needs/{need_id}#comments", "请填写回复内容", "error")
    return redirect(f"/enterprise/needs/{need_id}#comments", "回复已发送给科技局")


@router.post("/enterprise/needs/{need_id}/comments/{comment_id}/accept")
def accept_suggestion(
    need_id: int, comment_id: int, request: Request, session: SessionDep, user: EnterprisePage
) -> Response:
    try:
        service.accept_suggestion(session, user, need_id, comment_id)
    except DomainError as exc:
        if exc.status_code == 409:
            return redirect(f"/enterprise/needs/{need_id}", exc.message, "error")
        raise
    return redirect(f"/enterprise/needs/{need_id}", "已采纳凝练建议，需求内容已更新")


# --- responses: compare, shortlist, decline, select ----------------------------------------------


@router.get("/enterprise/needs/{need_id}/responses")
def compare_responses(need_id: int, request: Request, session: SessionDep, user: EnterprisePage) -> Response:
    from market.responses import queries as rq
    from market.responses import service as rs

    need = rs.need_for_reviewer(session, user, need_id)
    service.need_for_owner(session, user, need_id)
    rows, _ = rq.list_for_need(session, need)
    items = [rq.present(session, user, r, need) for r in rows]
    return render(
        request,
        "enterprise/responses.html",
        {"need": queries.present(session, user, need), "items": items, "REASONS": REASON_CODES},
        user=user,
    )


def _response_action(
    request: Request, session: Any, user: Any, response_id: int, action: str, form: Any
) -> Response:
    from market.responses import service as rs

    response, need = rs.response_for_viewer(session, user, response_id)
    back = f"/enterprise/needs/{need.id}/responses"
    try:
        if action == "shortlist":
            rs.shortlist(session, user, response_id, str(form.get("note", "")).strip())
            return redirect(back + f"#r{response_id}", f"已将「{response.org.name}」列入入围名单")
        if action == "decline":
            from market.responses.schemas import DeclineIn

            try:
                d = DeclineIn(
                    reason_code=str(form.get("reason_code", "")),
                    reason_text=str(form.get("reason_text", "")).strip(),
                )
            except ValidationError as exc:
                errs = field_errors(exc)
                return redirect(
                    back + f"#r{response_id}", "未选中须说明原因：" + "；".join(errs.values()), "error"
                )
            rs.decline(session, user, response_id, d.reason_code, d.reason_text)
            return redirect(back, f"已告知「{response.org.name}」未选中及原因")
        _, deal = rs.select_response(session, user, response_id, str(form.get("note", "")).strip())
        return redirect(f"/deals/{deal.id}", f"已选定「{response.org.name}」为揭榜方，对接项目已建立")
    except DomainError as exc:
        if exc.status_code in (409, 422):
            return redirect(back, exc.message, "error")
        raise


@router.post("/enterprise/responses/{response_id}/shortlist")
def shortlist(
    response_id: int, request: Request, form: Form, session: SessionDep, user: EnterprisePage
) -> Response:
    return _response_action(request, session, user, response_id, "shortlist", form)


@router.post("/enterprise/responses/{response_id}/decline")
def decline(
    response_id: int, request: Request, form: Form, session: SessionDep, user: EnterprisePage
) -> Response:
    return _response_action(request, session, user, response_id, "decline", form)


@router.post("/enterprise/responses/{response_id}/select")
def select(
    response_id: int, request: Request, form: Form, session: SessionDep, user: EnterprisePage
) -> Response:
    return _response_action(request, session, user, response_id, "select", form)


# --- deals (both parties and the bureau) -----------------------------------------------------------


DEAL_FIELDS = ("contract_amount_wan", "signed_on", "accepted_on", "converted_on", "outcome", "failure_reason")


def _deal_page(
    request: Request,
    session: Any,
    user: Any,
    deal_id: int,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    from market.deals import queries as dq
    from market.deals import service as ds
    from market.deals.states import FINAL, LABELS, ORDER, deal_machine

    deal = ds.deal_for_viewer(session, user, deal_id)
    detail = dq.present_detail(session, deal)
    nexts = [s for s in ORDER if deal_machine.can(deal.stage, s)] if deal.stage not in FINAL else []
    can_fail = deal.stage not in FINAL
    return render(
        request,
        "enterprise/deal.html",
        {
            "deal": detail,
            "nexts": nexts,
            "can_fail": can_fail,
            "STAGES": {str(k): v for k, v in LABELS.items()},
            "ORDER": [str(s) for s in ORDER],
            "REQUIRED": {str(k): v for k, v in ds.REQUIRED.items()},
            "form": form or {"stage": str(nexts[0]) if nexts else ""},
            "errors": errors or {},
            "FIELD_LABELS": ds.FIELD_LABELS,
        },
        user=user,
        status_code=status_code,
    )


@router.get("/deals/{deal_id}")
def deal_page(deal_id: int, request: Request, session: SessionDep, user: SignedIn) -> Response:
    return _deal_page(request, session, user, deal_id)


@router.post("/deals/{deal_id}/advance")
def deal_advance(deal_id: int, request: Request, form: Form, session: SessionDep, user: SignedIn) -> Response:
    from market.deals import service as ds
    from market.deals.schemas import DealAdvance
    from market.deals.service import ALLOWED

    data = form_dict(form, numbers=DEAL_FIELDS)
    stage = str(data.get("stage", ""))
    allowed = ALLOWED.get(stage, ())
    payload = {"stage": stage, "note": data.get("note", "") or ""}
    for k in DEAL_FIELDS:
        if k in allowed and data.get(k) not in (None, ""):
            payload[k] = data[k]
    try:
        ds.advance(session, user, deal_id, DealAdvance.model_validate(payload))
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status_code not in (409, 422):
            raise
        return _deal_page(
            request, session, user, deal_id, form=data, errors=field_errors(exc), status_code=422
        )
    from market.deals.states import LABELS

    return redirect(f"/deals/{deal_id}", f"已记录：{LABELS.get(stage, stage)}")  # type: ignore[call-overload]
