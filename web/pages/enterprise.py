"""Enterprise pages: post a need (with guidance, live validation and the near-duplicate hint),
edit it while the rules allow, attach its drawings and specifications, follow its status timeline,
discuss and adopt the bureau's refined wording, compare responses side by side and shortlist /
decline / select, and record the deal (contract, acceptance, conversion), and apply for
首台（套）/首批次/首版次 recognition and follow the application. Every rule is the services'; pages
only call and render."""

from __future__ import annotations

import datetime as dt
from itertools import zip_longest
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from market.db import CST
from market.errors import DomainError
from market.needs import queries, service
from market.needs.queries import NeedFilter
from market.needs.schemas import CommentIn, NeedCreate, NeedUpdate
from market.needs.states import EDITABLE_BY_OWNER
from market.needs.states import LABELS as NEED_STATUS_LABELS
from market.orgs.models import User
from market.recognitions import queries as rec_queries
from market.recognitions import service as rec_service
from market.recognitions.policy import policy_for_year
from market.recognitions.schemas import RecognitionCreate, RecognitionRead
from market.recognitions.states import LABELS as REC_STATUS_LABELS
from market.recognitions.states import OPEN_STATUSES as REC_OPEN
from market.vocab import REASON_CODES
from web.deps import RuntimeDep, SessionDep
from web.errors import validation_details
from web.pages.common import EnterprisePage, Form, SignedIn, int_or_none, store_upload
from web.pages.render import field_errors, form_dict, redirect, render, templates
from web.runtime import Runtime

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


def _manage_page(
    request: Request,
    session: Session,
    runtime: Runtime,
    user: User,
    need_id: int,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    need = service.need_for_owner(session, user, need_id)
    max_upload_bytes = runtime.settings.limits.max_upload_bytes
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
            "attachments": queries.list_attachments(session, user, need),
            "max_upload_mb": max(1, max_upload_bytes // (1024 * 1024)),
            "errors": errors or {},
        },
        user=user,
        status_code=status_code,
    )


@router.get("/enterprise/needs/{need_id}")
def need_manage(
    need_id: int, request: Request, session: SessionDep, runtime: RuntimeDep, user: EnterprisePage
) -> Response:
    return _manage_page(request, session, runtime, user, need_id)


@router.post("/enterprise/needs/{need_id}/attachments")
def need_upload(
    need_id: int, request: Request, form: Form, session: SessionDep, runtime: RuntimeDep, user: EnterprisePage
) -> Response:
    """Only the owning enterprise attaches files, in any status of its need (need_for_owner, as the
    API); a refused file is not stored and the page says why."""
    service.need_for_owner(session, user, need_id)  # a stranger gets 404/403 before the form is read
    limit = runtime.settings.limits.max_upload_bytes
    att, errors, status_code = store_upload(
        form,
        limit,
        lambda name, data: service.add_attachment(session, user, need_id, filename=name, data=data, max_bytes=limit),
    )
    if att is None:
        return _manage_page(request, session, runtime, user, need_id, errors=errors, status_code=status_code)
    return redirect(f"/enterprise/needs/{need_id}#attachments", f"附件「{att.filename}」已上传")


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


# --- recognitions: 首台（套）装备、首批次新材料、首版次软件 and the policy's other awards --------------


RECOGNITION_FIELD_LABELS = {
    "product_name": "产品（项目）名称",
    "category": "认定类别",
    "level": "申报级别",
    "year": "申报年度",
    "insured_value_wan": "投保金额",
    "premium_wan": "实际保费",
    "need_id": "来源需求",
    "deal_id": "来源对接项目",
    "evidence": "证明材料",
    "description": "申报说明",
    "org_id": "申报单位",
}
# org_id is the bureau's (registering on an enterprise's behalf); an enterprise never sets it.
RECOGNITION_FIELDS = tuple(k for k in RECOGNITION_FIELD_LABELS if k != "org_id")
RECOGNITION_NUMBERS = ("year", "insured_value_wan", "premium_wan", "need_id", "deal_id")
EVIDENCE_PARTS = {"title": "材料名称", "url": "链接", "note": "备注"}
EVIDENCE_ROWS = 3


def _this_year() -> int:
    return dt.datetime.now(CST).year


def recognition_input(form: Any) -> dict[str, Any]:
    """The form as typed (what a re-rendered form shows); evidence as the rows with any content."""
    columns = tuple(f"evidence_{k}" for k in EVIDENCE_PARTS)
    data = form_dict(form, numbers=RECOGNITION_NUMBERS, drop=("csrf_token", *columns))
    out: dict[str, Any] = {k: data.get(k) for k in RECOGNITION_FIELDS if k != "evidence"}
    values = zip_longest(*(form.getlist(c) for c in columns), fillvalue="")
    rows = [{k: str(v).strip() for k, v in zip(EVIDENCE_PARTS, row, strict=True)} for row in values]
    out["evidence"] = [r for r in rows if any(r.values())]
    return out


def _recognition_payload(data: dict[str, Any]) -> dict[str, Any]:
    """Schema input: blanks left out, so an empty required field reads 必填 and optional ones take
    the schema's defaults."""
    payload = {k: v for k, v in data.items() if k != "evidence" and v not in (None, "")}
    payload["evidence"] = [{k: v for k, v in row.items() if v} for row in data["evidence"]]
    return payload


def _recognition_errors(exc: ValidationError | DomainError) -> dict[str, str]:
    errors = field_errors(exc)
    if isinstance(exc, ValidationError):
        # Say which evidence row and which part of it, not just "证明材料".
        for err in exc.errors(include_url=False):
            loc = err.get("loc", ())
            if len(loc) >= 3 and loc[0] == "evidence":
                part = EVIDENCE_PARTS.get(str(loc[2]), str(loc[2]))
                message = validation_details([err])[0]["message"]
                errors["evidence"] = f"第 {int(loc[1]) + 1} 项的{part}：{message}"
                break
    return errors


def _policy_choices(year: int) -> dict[str, Any]:
    """Categories and levels of the policy table in force that year, for the selects and their help."""
    policy = policy_for_year(year)
    level_names: dict[str, list[str]] = {
        code: [lvl.label] for code, lvl in sorted(policy.levels.items(), key=lambda kv: -kv[1].rank)
    }
    for cat in policy.categories.values():
        for code, award in cat.awards.items():
            names = level_names.setdefault(code, [])
            if award.label not in names:
                names.append(award.label)
    return {
        "categories": {code: cat.label for code, cat in policy.categories.items()},
        "levels": {code: " / ".join(names) for code, names in level_names.items()},
        "level_help": "；".join(
            f"{cat.label}：{'、'.join(a.label for a in cat.awards.values())}"
            for cat in policy.categories.values()
        ),
        "insurance_categories": "、".join(c.label for c in policy.categories.values() if c.insurance),
        "policy_title": policy.title or policy.version,
    }


def _link_choices(session: Any, user: Any) -> tuple[dict[int, str], dict[int, str]]:
    """The enterprise's own needs and deals, for the optional 来源 selects."""
    from market.deals import queries as deal_queries

    needs, _ = queries.list_needs(session, user, NeedFilter(mine=True), limit=200, order="updated")
    rows, _ = deal_queries.list_deals(session, user, deal_queries.DealFilter(), limit=100)
    return (
        {n.id: f"{n.title}（{NEED_STATUS_LABELS.get(n.status, n.status)}）" for n in needs},
        {
            d.id: f"{d.need_title} — {d.provider_name}（{d.stage_label}）"
            for d in deal_queries.present_many(session, rows)
        },
    )


def _recognition_form(
    request: Request,
    session: Any,
    user: Any,
    *,
    form: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    year = int_or_none(form.get("year"))
    needs, deals = _link_choices(session, user)
    return render(
        request,
        "enterprise/recognition_form.html",
        {
            "form": form,
            "errors": errors,
            "needs": needs,
            "deals": deals,
            "choices": _policy_choices(year if year and 2000 <= year <= 2100 else _this_year()),
            "EVIDENCE_ROWS": EVIDENCE_ROWS,
            "FIELD_LABELS": RECOGNITION_FIELD_LABELS,
        },
        user=user,
        status_code=status_code,
    )


@router.get("/enterprise/recognitions")
def my_recognitions(request: Request, session: SessionDep, user: EnterprisePage) -> Response:
    rows, total = rec_queries.list_for(session, user, limit=200)
    return render(
        request,
        "enterprise/recognitions.html",
        {"items": [RecognitionRead.of(r) for r in rows], "total": total},
        user=user,
    )


@router.get("/enterprise/recognitions/new")
def new_recognition(request: Request, session: SessionDep, user: EnterprisePage) -> Response:
    return _recognition_form(request, session, user, form={"year": _this_year(), "evidence": []}, errors={})


@router.post("/enterprise/recognitions")
def apply_recognition(request: Request, form: Form, session: SessionDep, user: EnterprisePage) -> Response:
    data = recognition_input(form)
    try:
        rec_in = RecognitionCreate.model_validate(_recognition_payload(data))
        rec = rec_service.apply(session, user, rec_in)
    except (ValidationError, DomainError) as exc:
        return _recognition_form(
            request,
            session,
            user,
            form=data,
            errors=_recognition_errors(exc),
            status_code=422 if isinstance(exc, ValidationError) else exc.status_code,
        )
    return redirect(f"/enterprise/recognitions/{rec.id}", "认定申报已提交，请等待科技局初审")


@router.get("/enterprise/recognitions/{rec_id}")
def recognition_page(rec_id: int, request: Request, session: SessionDep, user: EnterprisePage) -> Response:
    from market.deals import queries as deal_queries
    from market.deals import service as deal_service

    rec = rec_service.get_for_view(session, user, rec_id)
    quote = None
    if rec.status in REC_OPEN:
        try:
            quote = rec_service.price(session, rec)
        except DomainError:
            quote = None  # a preview only; the bureau's decision prices it for real
    need_title = deal_title = None
    try:
        if rec.need_id is not None:
            need_title = service.need_for_owner(session, user, rec.need_id).title
        if rec.deal_id is not None:
            deal = deal_service.deal_for_viewer(session, user, rec.deal_id)
            deal_title = deal_queries.present_many(session, [deal])[0].need_title
    except DomainError:
        pass  # the link is shown by number only
    return render(
        request,
        "enterprise/recognition.html",
        {
            "rec": RecognitionRead.of(rec),
            "history": rec_queries.transitions_of(session, rec.id),
            "quote": quote,
            "need_title": need_title,
            "deal_title": deal_title,
            "STATUS": {str(k): v for k, v in REC_STATUS_LABELS.items()},
        },
        user=user,
    )
