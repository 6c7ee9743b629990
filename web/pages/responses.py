"""Responses (揭榜): a provider responds with a proposal, follows it, uploads documents and
withdraws it; the enterprise compares the proposals of its need and shortlists, declines, selects
or reconsiders; the assigned expert scores proposals. What a viewer may do is the proposal's
``actions`` (market.responses.access); these pages call the services and show the answers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from market import flows, views
from market.db import DbId
from market.errors import DomainError
from market.messages import service as messages
from market.needs import access as need_access
from market.needs import queries as need_queries
from market.needs import service as need_service
from market.orgs import queries as org_queries
from market.orgs.models import User
from market.responses import queries as rq
from market.responses import service as rs
from market.responses.schemas import DeclineIn, ResponseCreate, ResponseScoresIn
from market.vocab import REVIEW_CRITERIA
from web.deps import RuntimeDep, SessionDep
from web.downloads import attachment_download
from web.pages.common import (
    EnterprisePage,
    ExpertPage,
    Form,
    ResponderPage,
    SignedIn,
    soft_refusal,
    store_upload,
)
from web.pages.render import field_errors, form_dict, redirect, render

router = APIRouter(tags=["页面 pages"], include_in_schema=False)

RESPONSE_FIELD_LABELS = {
    "approach": "技术方案",
    "team": "团队",
    "track_record": "相关业绩",
    "timeline": "进度安排",
    "price_wan": "报价",
    "partner_org_ids": "联合揭榜单位",
}


# --- responding ---------------------------------------------------------------------------------


def _respond_page(
    request: Request,
    session: Session,
    user: User,
    need_id: DbId,
    *,
    form: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    need = need_service.need_for_viewer(session, user, need_id)
    partners, _ = org_queries.list_provider_profiles(session, limit=500)
    return render(
        request,
        "responses/respond.html",
        {
            "need": views.need_view(session, user, need),
            "form": form,
            "errors": errors,
            "partner_orgs": [p.org for p in partners if p.org_id != user.org_id],
            "labels": RESPONSE_FIELD_LABELS,
            "FIELD_LABELS": RESPONSE_FIELD_LABELS,
        },
        user=user,
        status_code=status_code,
    )


@router.get("/provider/needs/{need_id}/respond")
def respond_page(need_id: DbId, request: Request, session: SessionDep, user: ResponderPage) -> Response:
    return _respond_page(request, session, user, need_id, form={}, errors={})


@router.post("/provider/needs/{need_id}/respond")
def respond(need_id: DbId, request: Request, form: Form, session: SessionDep, user: ResponderPage) -> Response:
    data = form_dict(form, lists=("partner_org_ids",), numbers=("price_wan",))
    payload = {k: data.get(k) for k in ("approach", "team", "track_record", "timeline", "price_wan") if k in data}
    payload["partner_org_ids"] = [int(i) for i in data["partner_org_ids"] if str(i).isdigit()]
    try:
        response = flows.submit_response(session, user, need_id, ResponseCreate.model_validate(payload))
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status_code not in (403, 409, 422):
            raise
        errs = field_errors(exc)
        if "approach" in errs and "内容过短" in errs["approach"]:
            errs["approach"] = "技术方案至少 10 个字"
        return _respond_page(
            request, session, user, need_id, form=data, errors=errs,
            status_code=422 if isinstance(exc, ValidationError) else exc.status_code,
        )
    return redirect(f"/provider/responses/{response.id}", "揭榜方案已提交，发榜企业将收到通知")


# --- one proposal ---------------------------------------------------------------------------------


@router.get("/responses/{response_id}")
def response_link(response_id: DbId) -> Response:
    return redirect(f"/provider/responses/{response_id}")


def _back_link(session: Session, user: User, need: Any) -> tuple[str, str]:
    """Where the breadcrumb leads back to, for the viewer's role in this proposal."""
    facts = need_access.Facts.read(session, user, need)
    if facts.owner:
        return f"/enterprise/needs/{need.id}/responses", "揭榜方案对比"
    if facts.assigned:
        return f"/expert/needs/{need.id}", "评审任务"
    if facts.bureau:
        return f"/needs/{need.id}", "需求详情"
    return "/provider", "揭榜工作台"


def _response_page(
    request: Request,
    session: Session,
    user: User,
    response_id: DbId,
    *,
    max_upload_bytes: int,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    response, need = rs.response_for_viewer(session, user, response_id)
    return render(
        request,
        "responses/response.html",
        {
            "r": views.response_view(session, user, response, need),
            "need": need,
            "back": _back_link(session, user, need),
            "attachments": rq.list_attachments(session, response),
            "thread": messages.thread_if_readable(session, user, response.id),
            "max_upload_mb": max(1, max_upload_bytes // (1024 * 1024)),
            "errors": errors or {},
        },
        user=user,
        status_code=status_code,
    )


@router.get("/provider/responses/{response_id}")
def response_page(response_id: DbId, request: Request, session: SessionDep, runtime: RuntimeDep, user: SignedIn) -> Response:
    limit = runtime.settings.limits.max_upload_bytes
    return _response_page(request, session, user, response_id, max_upload_bytes=limit)


@router.post("/provider/responses/{response_id}/attachments")
def response_upload(
    response_id: DbId, request: Request, form: Form, session: SessionDep, runtime: RuntimeDep, user: ResponderPage
) -> Response:
    """Only the responding organisation uploads, while its proposal is open; a refused file is not
    stored and the page says why."""
    limit = runtime.settings.limits.max_upload_bytes
    att, errors, status_code = store_upload(
        form,
        limit,
        lambda name, data: rs.add_attachment(session, user, response_id, filename=name, data=data, max_bytes=limit,
            quota_bytes=runtime.settings.limits.org_upload_quota_bytes),
    )
    if att is None:
        return _response_page(request, session, user, response_id, max_upload_bytes=limit, errors=errors, status_code=status_code)
    return redirect(f"/provider/responses/{response_id}#attachments", f"附件「{att.filename}」已上传")


@router.get("/responses/{response_id}/attachments/{attachment_id}")
def response_attachment(response_id: DbId, attachment_id: DbId, session: SessionDep, user: SignedIn) -> Response:
    """Downloads go through the response's viewing rule: anyone else gets the 404 page."""
    return attachment_download(rs.attachment_for_viewer(session, user, response_id, attachment_id))


@router.post("/provider/responses/{response_id}/withdraw")
def response_withdraw(response_id: DbId, request: Request, form: Form, session: SessionDep, user: ResponderPage) -> Response:
    try:
        rs.withdraw(session, user, response_id, str(form.get("reason_text", "")).strip())
    except DomainError as exc:
        return soft_refusal(exc, f"/provider/responses/{response_id}")
    return redirect(f"/provider/responses/{response_id}", "方案已撤回")


# --- the enterprise decides ------------------------------------------------------------------------


@router.get("/enterprise/needs/{need_id}/responses")
def compare_responses(need_id: DbId, request: Request, session: SessionDep, user: EnterprisePage) -> Response:
    need = rs.need_for_reviewer(session, user, need_id)
    need_service.need_for_owner(session, user, need_id)
    rows, _ = rq.list_for_need(session, need)
    return render(
        request,
        "responses/compare.html",
        {"need": views.need_view(session, user, need), "items": views.response_list(session, user, rows, need, with_actions=True)},
        user=user,
    )


def _decided(request: Request, session: Session, user: User, response_id: DbId, action: str, form: Any) -> Response:
    response, need = rs.response_for_viewer(session, user, response_id)
    back = f"/enterprise/needs/{need.id}/responses"
    name = response.org.name
    try:
        if action == "shortlist":
            rs.shortlist(session, user, response_id, str(form.get("note", "")).strip())
            return redirect(back + f"#r{response_id}", f"已将「{name}」列入入围名单")
        if action == "reconsider":
            rs.reconsider(session, user, response_id)
            return redirect(back + f"#r{response_id}", f"「{name}」的方案已重新列入入围名单")
        if action == "decline":
            try:
                d = DeclineIn(reason_code=str(form.get("reason_code", "")), reason_text=str(form.get("reason_text", "")).strip())
            except ValidationError as exc:
                return redirect(back + f"#r{response_id}", "未入选须说明原因：" + "；".join(field_errors(exc).values()), "error")
            rs.decline(session, user, response_id, d.reason_code, d.reason_text)
            return redirect(back, f"已告知「{name}」未入选及原因")
        others = str(form.get("others_reason", "")).strip()
        _, deal = flows.select_response(session, user, response_id, str(form.get("note", "")).strip(), others)
        return redirect(f"/deals/{deal.id}", f"已选定「{name}」为揭榜方，对接项目已建立；其他方案已告知未入选")
    except DomainError as exc:
        return soft_refusal(exc, back)


@router.post("/enterprise/responses/{response_id}/shortlist")
def shortlist(response_id: DbId, request: Request, form: Form, session: SessionDep, user: EnterprisePage) -> Response:
    return _decided(request, session, user, response_id, "shortlist", form)


@router.post("/enterprise/responses/{response_id}/decline")
def decline(response_id: DbId, request: Request, form: Form, session: SessionDep, user: EnterprisePage) -> Response:
    return _decided(request, session, user, response_id, "decline", form)


@router.post("/enterprise/responses/{response_id}/select")
def select(response_id: DbId, request: Request, form: Form, session: SessionDep, user: EnterprisePage) -> Response:
    return _decided(request, session, user, response_id, "select", form)


@router.post("/enterprise/responses/{response_id}/reconsider")
def reconsider(response_id: DbId, request: Request, form: Form, session: SessionDep, user: EnterprisePage) -> Response:
    return _decided(request, session, user, response_id, "reconsider", form)


# --- experts score proposals (揭榜方案评审) ---------------------------------------------------


def _proposal_page(
    request: Request,
    session: Session,
    user: User,
    response_id: DbId,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """Only an expert assigned to the proposal's need opens its scoring page."""
    response, need = rs.response_for_viewer(session, user, response_id)
    need_queries.assignment_of(session, user, need.id)
    mine = rq.scores_by_expert(session, user, [response.id]).get(response.id)
    if form is None:
        form = {f"score_{k}": v for k, v in ((mine.scores if mine else None) or {}).items()}
        form["comment"] = mine.comment if mine else ""
    return render(
        request,
        "responses/expert_score.html",
        {
            "r": views.response_view(session, user, response, need),
            "need": need,
            "mine": mine,
            "attachments": rq.list_attachments(session, response),
            "form": form,
            "errors": errors or {},
        },
        user=user,
        status_code=status_code,
    )


@router.get("/expert/responses/{response_id}")
def expert_proposal(response_id: DbId, request: Request, session: SessionDep, user: ExpertPage) -> Response:
    return _proposal_page(request, session, user, response_id)


@router.post("/expert/responses/{response_id}")
def expert_proposal_score(response_id: DbId, request: Request, form: Form, session: SessionDep, user: ExpertPage) -> Response:
    """The service decides: recusal (same organisation as the responder) and closed proposals come
    back as its Chinese message on the form; a resubmission replaces the expert's scores."""
    raw = {k: str(form.get(f"score_{k}", "")).strip() for k in REVIEW_CRITERIA}
    comment = str(form.get("comment", ""))
    errors = {f"score_{k}": "请填写 0–100 的整数" for k, v in raw.items() if not v.isdigit()}
    status_code = 422
    if not errors:
        try:
            scores_in = ResponseScoresIn(scores={k: int(v) for k, v in raw.items()}, comment=comment)
            score = rs.submit_scores(session, user, response_id, scores_in)
        except (ValidationError, DomainError) as exc:
            if isinstance(exc, DomainError) and exc.status_code not in (409, 422):
                raise
            errors = field_errors(exc)
            if "scores" in errors:
                errors["__all__"] = errors.pop("scores")
            if isinstance(exc, DomainError):
                status_code = exc.status_code
        else:
            response = rs.get_response(session, score.response_id)
            return redirect(f"/expert/needs/{response.need_id}#proposals", "方案评分已提交")
    shown = {f"score_{k}": v for k, v in raw.items()} | {"comment": comment}
    return _proposal_page(request, session, user, response_id, form=shown, errors=errors, status_code=status_code)
