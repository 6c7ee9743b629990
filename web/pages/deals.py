"""Deals (对接→签约→转化): the deal page for both parties and the bureau, recording stages and milestones; the bureau's deals board."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from market import flows
from market.db import DbId
from market.deals import queries as dq
from market.deals import service as ds
from market.deals.schemas import DOCUMENT_KINDS, DealAdvance, MilestoneDoneIn, MilestoneIn
from market.deals.states import LABELS, ORDER, DealStage, deal_machine
from market.errors import DomainError
from market.orgs.models import User
from web.deps import RuntimeDep, SessionDep
from web.downloads import attachment_download
from web.pages.common import BureauPage, Form, SignedIn, soft_refusal, store_upload
from web.pages.render import field_errors, form_dict, redirect, render

router = APIRouter(tags=["页面 pages"], include_in_schema=False)


DEAL_FIELDS = ("contract_amount_wan", "signed_on", "accepted_on", "converted_on", "outcome", "failure_reason")


def _back_link(user: User, deal: Any) -> tuple[str, str]:
    """Where the breadcrumb leads back to, by the viewer's side of this deal."""
    if user.is_bureau_staff:
        return "/bureau/deals", "对接跟踪"
    if user.org_id == deal.enterprise_org_id:
        return "/enterprise", "我的需求"
    return "/provider", "揭榜工作台"


def _deal_page(
    request: Request,
    session: Session,
    user: User,
    deal_id: DbId,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    m_form: dict[str, Any] | None = None,
    m_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The deal page. ``errors``/``form`` belong to the progress form, ``m_errors``/``m_form`` to
    the milestone forms (keys ``m_title``, ``m_due_on``, ``m_note``; per milestone ``done_on_<id>``,
    ``kind_<id>``, ``file_<id>``), so each error sits next to its own field."""
    deal = ds.deal_for_viewer(session, user, deal_id)
    detail = dq.present_detail(session, deal, user)
    assert detail.actions is not None
    nexts = detail.actions.next_stages
    return render(
        request,
        "deals/deal.html",
        {
            "deal": detail,
            "back": _back_link(user, deal),
            "STAGES": {str(k): v for k, v in LABELS.items()},
            "ORDER": [str(s) for s in ORDER],
            "REQUIRED": {str(k): v for k, v in ds.REQUIRED.items()},
            # which fields each stage takes: the form shows only the chosen stage's (app.js)
            "STAGE_FIELDS": {str(k): v for k, v in ds.ALLOWED.items()},
            "form": form or {"stage": nexts[0] if nexts else ""},
            "errors": errors or {},
            "FIELD_LABELS": ds.FIELD_LABELS,
            "m_form": m_form or {},
            "m_errors": m_errors or {},
            "DOCUMENT_KINDS": DOCUMENT_KINDS,
            "max_upload_mb": max(1, request.app.state.runtime.settings.limits.max_upload_bytes // (1024 * 1024)),
            "today": ds.today_local(),
        },
        user=user,
        status_code=status_code,
    )


@router.get("/deals/{deal_id}")
def deal_page(deal_id: DbId, request: Request, session: SessionDep, user: SignedIn) -> Response:
    return _deal_page(request, session, user, deal_id)


@router.post("/deals/{deal_id}/advance")
def deal_advance(deal_id: DbId, request: Request, form: Form, session: SessionDep, user: SignedIn) -> Response:
    data = form_dict(form, numbers=DEAL_FIELDS)
    stage = str(data.get("stage", ""))
    allowed = ds.ALLOWED.get(stage, ())
    payload = {"stage": stage, "note": data.get("note", "") or ""}
    for k in DEAL_FIELDS:
        if k in allowed and data.get(k) not in (None, ""):
            payload[k] = data[k]
    try:
        flows.advance_deal(session, user, deal_id, DealAdvance.model_validate(payload))
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status_code not in (409, 422):
            raise
        return _deal_page(request, session, user, deal_id, form=data, errors=field_errors(exc), status_code=422)
    return redirect(f"/deals/{deal_id}", f"已记录：{deal_machine.label(stage)}")


def _refused(exc: ValidationError | DomainError) -> dict[str, str]:
    """The form's errors by field; a refusal that is not the user's input (403/404) is raised."""
    if isinstance(exc, DomainError) and exc.status_code not in (409, 422):
        raise exc
    return field_errors(exc)


@router.post("/deals/{deal_id}/milestones")
def milestone_add(deal_id: DbId, request: Request, form: Form, session: SessionDep, user: SignedIn) -> Response:
    """A party plans a milestone (title, due date); errors next to the fields, the input kept."""
    data = {k: str(form.get(k, "")).strip() for k in ("m_title", "m_due_on", "m_note")}
    try:
        milestone_in = MilestoneIn.model_validate(
            {"title": data["m_title"], "due_on": data["m_due_on"] or None, "note": data["m_note"]}
        )
        ds.add_milestone(session, user, deal_id, milestone_in)
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and not exc.details:
            return soft_refusal(exc, f"/deals/{deal_id}#milestones")  # not about a field (the deal has ended)
        errs = _refused(exc)
        messages = {"title": "请填写里程碑名称（2–200 字）", "due_on": "请选择有效的计划完成日期（2000–2100 年）", "note": "说明不超过 2000 字"}
        out = {f"m_{k}": messages[k] for k in messages if k in errs}
        if not out:
            out["m_title"] = errs.get("__all__", "无法添加里程碑")
        return _deal_page(request, session, user, deal_id, m_form=data, m_errors=out, status_code=422)
    return redirect(f"/deals/{deal_id}#milestones", f"已添加里程碑：{milestone_in.title}")


@router.post("/deals/{deal_id}/milestones/{milestone_id}/complete")
def milestone_complete(
    deal_id: DbId, milestone_id: DbId, request: Request, form: Form, session: SessionDep, user: SignedIn
) -> Response:
    key = f"done_on_{milestone_id}"
    raw = str(form.get("done_on", "")).strip()
    try:
        done_in = MilestoneDoneIn.model_validate({"done_on": raw or None})
        ds.complete_milestone(session, user, deal_id, milestone_id, done_in)
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and not exc.details:
            return soft_refusal(exc, f"/deals/{deal_id}#milestone-{milestone_id}")  # done already, or the deal has ended
        errs = _refused(exc)
        message = errs.get("done_on") or errs.get("__all__", "无法标记完成")
        if isinstance(exc, ValidationError):
            message = "请选择有效的完成日期"
        return _deal_page(request, session, user, deal_id, m_form={key: raw}, m_errors={key: message}, status_code=422)
    return redirect(f"/deals/{deal_id}#milestone-{milestone_id}", "里程碑已完成")


@router.post("/deals/{deal_id}/milestones/{milestone_id}/documents")
def milestone_document(
    deal_id: DbId, milestone_id: DbId, request: Request, form: Form, session: SessionDep, runtime: RuntimeDep, user: SignedIn
) -> Response:
    """A party attaches a document (合同, 验收报告, other) to a milestone; a refused file is not
    stored and the page says why next to the file field."""
    kind = str(form.get("kind", ""))
    limit = runtime.settings.limits.max_upload_bytes
    if kind not in DOCUMENT_KINDS:
        errs = {f"kind_{milestone_id}": "请选择文件类型"}
        return _deal_page(request, session, user, deal_id, m_errors=errs, status_code=422)
    doc, errors, status_code = store_upload(
        form, limit,
        lambda name, data: _stored(ds.attach_document(
            session, user, deal_id, milestone_id, kind=kind, filename=name, data=data, max_bytes=limit,
            quota_bytes=runtime.settings.limits.org_upload_quota_bytes,
        ), session),
    )  # fmt: skip
    if doc is None:
        errs = {f"file_{milestone_id}": errors.get("file", "文件未能上传")}
        return _deal_page(request, session, user, deal_id, m_form={f"kind_{milestone_id}": kind}, m_errors=errs, status_code=status_code)
    return redirect(f"/deals/{deal_id}#milestone-{milestone_id}", f"{DOCUMENT_KINDS[kind]}「{doc.filename}」已上传")


def _stored(doc: Any, session: Session) -> Any:
    """The attachment of a stored document (what ``store_upload`` hands back)."""
    from market.attachments.models import Attachment

    att = session.get(Attachment, doc.attachment_id)
    assert att is not None
    return att


@router.get("/deals/{deal_id}/documents/{document_id}")
def milestone_document_download(deal_id: DbId, document_id: DbId, session: SessionDep, user: SignedIn) -> Response:
    """Downloads go through the deal's viewing rule: anyone else gets the 404 page."""
    return attachment_download(ds.document_for_viewer(session, user, deal_id, document_id))


@router.get("/bureau/deals")
def deals_board(
    request: Request, session: SessionDep, user: BureauPage, county: str = "", industry: str = ""
) -> Response:
    rows, total = dq.list_deals(
        session, user, dq.DealFilter(county=county or None, industry=industry or None), limit=500
    )
    deals = dq.present_many(session, rows)
    columns = [(str(s), LABELS[s], [d for d in deals if d.stage == s]) for s in (*ORDER, DealStage.failed)]
    return render(
        request,
        "deals/board.html",
        {"columns": columns, "total": total, "county": county, "industry": industry},
        user=user,
    )


@router.get("/bureau/deals/{deal_id}")
def bureau_deal(deal_id: DbId, user: BureauPage) -> Response:
    return redirect(f"/deals/{deal_id}")
