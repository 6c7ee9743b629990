"""A need's page (public summary; details and attachments when the viewer may see them; the
confidentiality terms for nda needs), attachment downloads, and the expert's scoring pages."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from market.errors import DomainError
from market.needs import access, queries, service
from market.needs.models import Need
from market.needs.schemas import ScoresIn
from market.needs.states import OPEN_FOR_RESPONSES
from market.responses import queries as rq
from web.deps import SessionDep
from web.downloads import attachment_download
from web.pages.common import ExpertPage, Form, PageUser, SignedIn
from web.pages.render import field_errors, redirect, render

router = APIRouter(tags=["页面 pages"], include_in_schema=False)


@router.get("/needs/{need_id}")
def need_page(need_id: int, request: Request, session: SessionDep, user: PageUser) -> Response:
    need = service.need_for_viewer(session, user, need_id)
    view = queries.present(session, user, need)
    is_owner = access.is_owner(user, need)
    is_provider = user is not None and user.org.is_provider
    can_accept_terms = (
        is_provider
        and not view.can_view_details
        and need.disclosure == "nda"
        and user is not None
        and user.org.is_verified
    )
    my_response = None
    if is_provider and user is not None:
        my_response = rq.response_of_org(session, need, user.org_id)
    can_respond = (
        is_provider
        and need.status in OPEN_FOR_RESPONSES
        and view.can_view_details
        and my_response is None
    )
    batch = None
    if need.batch_id:
        from market.batches.service import get_batch

        batch = get_batch(session, need.batch_id)
    return render(
        request,
        "needs/detail.html",
        {
            "need": view,
            "is_owner": is_owner,
            "can_accept_terms": can_accept_terms,
            "can_respond": can_respond,
            "my_response": my_response,
            "batch": batch,
            "is_provider": is_provider,
            "attachments": queries.list_attachments(session, user, need),
        },
        user=user,
    )


@router.get("/needs/{need_id}/attachments/{attachment_id}")
def need_attachment(need_id: int, attachment_id: int, session: SessionDep, user: SignedIn) -> Response:
    """Downloads follow the need's disclosure of its details, as the API: anyone else gets the 404
    page."""
    need = service.need_for_viewer(session, user, need_id)
    return attachment_download(queries.attachment_for_viewer(session, user, need, attachment_id))


@router.post("/needs/{need_id}/accept-terms")
def accept_terms(need_id: int, request: Request, form: Form, session: SessionDep, user: SignedIn) -> Response:
    if form.get("agree") != "on":
        return redirect(f"/needs/{need_id}#terms", "请先勾选“我已阅读并同意保密承诺”", "error")
    service.accept_terms(session, user, need_id)
    return redirect(f"/needs/{need_id}", "已记录您的保密承诺，现在可以查看需求详情")


# --- experts ---------------------------------------------------------------------------------


@router.get("/expert")
def expert_home(request: Request, session: SessionDep, user: ExpertPage) -> Response:
    rows = queries.assignments_of_expert(session, user)
    return render(
        request,
        "needs/expert_home.html",
        {"rows": rows, "open_counts": rq.open_counts_by_need(session, [n.id for _, n in rows])},
        user=user,
    )


def _open_proposals(session: SessionDep, user: ExpertPage, need: Need) -> list[tuple[Any, Any]]:
    """The need's proposals still under review, each with this expert's own score (or None)."""
    from market.responses.states import OPEN_STATUSES

    open_rows = sorted(
        (r for status in OPEN_STATUSES for r in rq.list_for_need(session, need, status=status, limit=500)[0]),
        key=lambda r: r.id,
    )
    mine = rq.scores_by_expert(session, user, [r.id for r in open_rows])
    return [(r, mine.get(r.id)) for r in open_rows]


def _assignment(session: SessionDep, user: ExpertPage, need_id: int):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from market.errors import NotFound
    from market.needs.models import ExpertAssignment

    a = session.scalar(
        select(ExpertAssignment).where(
            ExpertAssignment.need_id == need_id, ExpertAssignment.expert_id == user.id
        )
    )
    if a is None:
        raise NotFound("没有分配给您的评审任务")
    return a


@router.get("/expert/needs/{need_id}")
def expert_need(need_id: int, request: Request, session: SessionDep, user: ExpertPage) -> Response:
    a = _assignment(session, user, need_id)
    need = service.need_for_viewer(session, user, need_id)
    form = {f"score_{k}": v for k, v in (a.scores or {}).items()} | {"comment": a.comment}
    return render(
        request,
        "needs/expert_score.html",
        {
            "need": queries.present(session, user, need),
            "a": a,
            "form": form,
            "attachments": queries.list_attachments(session, user, need),
            "proposals": _open_proposals(session, user, need),
        },
        user=user,
    )


@router.post("/expert/needs/{need_id}")
def expert_score(
    need_id: int, request: Request, form: Form, session: SessionDep, user: ExpertPage
) -> Response:
    a = _assignment(session, user, need_id)
    need = service.need_for_viewer(session, user, need_id)
    from market.vocab import REVIEW_CRITERIA

    raw = {k: str(form.get(f"score_{k}", "")).strip() for k in REVIEW_CRITERIA}
    errors = {f"score_{k}": "请填写 0–100 的整数" for k, v in raw.items() if not v.isdigit()}
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
            "need": queries.present(session, user, need),
            "a": a,
            "form": shown,
            "errors": errors,
            "attachments": queries.list_attachments(session, user, need),
            "proposals": _open_proposals(session, user, need),
        },
        user=user,
        status_code=422,
    )


# --- experts: scoring proposals (揭榜方案评审) ---------------------------------------------------


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
    _assignment(session, user, need.id)
    mine = rq.scores_by_expert(session, user, [response.id]).get(response.id)
    if form is None:
        form = {f"score_{k}": v for k, v in ((mine.scores if mine else None) or {}).items()}
        form["comment"] = mine.comment if mine else ""
    return render(
        request,
        "needs/expert_response.html",
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
