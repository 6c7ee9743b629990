"""Responses (揭榜): a provider responds with a proposal, follows it, uploads documents and
withdraws it; the enterprise compares the proposals of its need and shortlists, declines or
selects; the assigned expert scores proposals."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from market.errors import DomainError
from market.needs import queries, service
from market.needs import queries as need_queries
from market.needs import service as need_service
from market.responses import queries as rq
from market.vocab import REASON_CODES
from web.deps import RuntimeDep, SessionDep
from web.downloads import attachment_download
from web.pages.common import (
    EnterprisePage,
    ExpertPage,
    Form,
    ProviderPage,
    SignedIn,
    store_upload,
)
from web.pages.render import field_errors, form_dict, redirect, render

router = APIRouter(tags=["页面 pages"], include_in_schema=False)


RESPONSE_LABELS_ZH = {
    "approach": "技术方案",
    "team": "团队",
    "track_record": "相关业绩",
    "timeline": "进度安排",
    "price_wan": "报价",
    "partner_org_ids": "联合揭榜单位",
}


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
        "responses/respond.html",
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
        "responses/response.html",
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
        "responses/compare.html",
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



def _proposal_page(
    request: Request,
    session: SessionDep,
    user: ExpertPage,
    response_id: int,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """Only an expert assigned to the proposal's need opens its scoring page."""
    from market.responses import service as rs
    from market.responses.states import OPEN_STATUSES

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
            "r": rq.present(session, user, response, need),
            "need": need,
            "mine": mine,
            "is_open": response.status in OPEN_STATUSES,
            "attachments": rq.list_attachments(session, response),
            "form": form,
            "errors": errors or {},
        },
        user=user,
        status_code=status_code,
    )


@router.get("/expert/responses/{response_id}")
def expert_proposal(response_id: int, request: Request, session: SessionDep, user: ExpertPage) -> Response:
    return _proposal_page(request, session, user, response_id)


@router.post("/expert/responses/{response_id}")
def expert_proposal_score(
    response_id: int, request: Request, form: Form, session: SessionDep, user: ExpertPage
) -> Response:
    """The service decides: recusal (same organisation as the responder) and closed proposals come
    back as its Chinese message on the form; a resubmission replaces the expert's scores."""
    from market.responses import service as rs
    from market.responses.schemas import ResponseScoresIn
    from market.vocab import REVIEW_CRITERIA

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
    return _proposal_page(
        request, session, user, response_id, form=shown, errors=errors, status_code=status_code
    )
