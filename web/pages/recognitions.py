"""Recognitions (首台（套）/首批次/首版次…): the enterprise applies and follows its applications;
the bureau reviews, recognises or rejects."""

from __future__ import annotations

import datetime as dt
import json
from itertools import zip_longest
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from market.batches.access import today_local
from market.db import CST, DbId
from market.deals import queries as deal_queries
from market.deals import service as deal_service
from market.errors import DomainError, NotFound
from market.needs import queries, service
from market.needs.queries import NeedFilter
from market.needs.states import LABELS as NEED_STATUS_LABELS
from market.orgs.models import Organisation, Role, User
from market.recognitions import access as recognition_access
from market.recognitions import policy_versions
from market.recognitions import queries as rec_queries
from market.recognitions import service as rec_service
from market.recognitions.models import Recognition
from market.recognitions.policy import policy_for_labels
from market.recognitions.schemas import (
    ExpertScoreIn,
    NoticeIn,
    ObjectionIn,
    PayoutIn,
    RecognitionCreate,
    RecognitionDecision,
    RecognitionRead,
    RecognitionRejection,
    RecognitionReview,
)
from market.recognitions.states import LABELS as REC_STATUS_LABELS
from market.recognitions.states import OPEN_STATUSES as REC_OPEN
from market.recognitions.states import RecognitionStatus
from market.vocab import COUNTIES, INDUSTRIES
from web.deps import RuntimeDep, SessionDep
from web.downloads import attachment_download
from web.errors import validation_details
from web.pages.common import (
    BureauPage,
    EnterprisePage,
    ExpertPage,
    Form,
    PageUser,
    SignedIn,
    float_or_none,
    int_or_none,
    page_number,
    soft_refusal,
    store_upload,
)
from web.pages.render import field_errors, form_dict, form_errors, redirect, render

router = APIRouter(tags=["页面 pages"], include_in_schema=False)


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


RECOGNITION_CHOICES = ("category", "level", "need_id", "deal_id")


def _validate(session: Session, data: dict[str, Any]) -> dict[str, str]:
    """Every problem of the form at once: the schema's (请填写…/请选择…, limits) and the rules
    across fields that need no stored data (market.recognitions.service.application_problems),
    which pydantic and the service would otherwise report one group per submit."""
    errors: dict[str, str] = {}
    try:
        RecognitionCreate.model_validate(_recognition_payload(data))
    except ValidationError as exc:
        errors = _recognition_errors(exc, data)
    problems = rec_service.application_problems(
        int_or_none(data.get("year")),
        str(data.get("category") or "") or None,
        str(data.get("level") or "") or None,
        float_or_none(data.get("insured_value_wan")),
        float_or_none(data.get("premium_wan")),
        policies=policy_versions.policies(session),
    )
    for d in problems:
        errors.setdefault(d["field"], d["message"])
    return errors


def _recognition_errors(exc: ValidationError | DomainError, data: dict[str, Any] | None = None) -> dict[str, str]:
    if isinstance(exc, ValidationError):
        errors = form_errors(exc, data or {}, RECOGNITION_FIELD_LABELS, RECOGNITION_CHOICES)
    else:
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
    policy = policy_for_labels(year)
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


def _link_choices(session: Session, user: User) -> tuple[dict[int, str], dict[int, str]]:
    """The enterprise's own needs and deals, for the optional 来源 selects."""
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
    session: Session,
    user: User,
    *,
    form: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
    max_upload_bytes: int = 0,
) -> Response:
    year = int_or_none(form.get("year"))
    needs, deals = _link_choices(session, user)
    return render(
        request,
        "recognitions/form.html",
        {
            "form": form,
            "errors": errors,
            "needs": needs,
            "deals": deals,
            "choices": _policy_choices(year if year and 2000 <= year <= 2100 else _this_year()),
            "EVIDENCE_ROWS": EVIDENCE_ROWS,
            "FIELD_LABELS": RECOGNITION_FIELD_LABELS,
            "max_upload_mb": max(1, max_upload_bytes // (1024 * 1024)),
            "MAX_FORM_FILES": MAX_FORM_FILES,
        },
        user=user,
        status_code=status_code,
    )


@router.get("/enterprise/recognitions")
def my_recognitions(request: Request, session: SessionDep, user: EnterprisePage) -> Response:
    rows, total = rec_queries.list_for(session, user, limit=200)
    paid = rec_queries.payouts_for(session, [r.id for r in rows])
    return render(
        request,
        "recognitions/mine.html",
        {"items": [RecognitionRead.of(r, payouts=paid.get(r.id, [])) for r in rows], "total": total},
        user=user,
    )


# Evidence files sent with the application form (more on the detail page while it is open).
MAX_FORM_FILES = 10


def _form_files(form: Any, max_bytes: int) -> tuple[list[tuple[str, bytes]], str | None]:
    """The form's evidence files as (name, bytes), each read one byte past the limit so the store
    can say it is too large; an error when there are too many."""
    uploads = [u for u in form.getlist("evidence_file") if isinstance(u, UploadFile) and u.filename]
    if len(uploads) > MAX_FORM_FILES:
        return [], f"一次最多上传 {MAX_FORM_FILES} 个文件，其余可在申报详情页补充"
    return [(str(u.filename), u.file.read(max_bytes + 1)) for u in uploads], None


@router.get("/enterprise/recognitions/new")
def new_recognition(request: Request, session: SessionDep, runtime: RuntimeDep, user: EnterprisePage) -> Response:
    return _recognition_form(
        request, session, user, form={"year": _this_year(), "evidence": []}, errors={},
        max_upload_bytes=runtime.settings.limits.max_upload_bytes,
    )  # fmt: skip


@router.post("/enterprise/recognitions")
def apply_recognition(request: Request, form: Form, session: SessionDep, runtime: RuntimeDep, user: EnterprisePage) -> Response:
    """The application with its evidence files: every file is checked before anything is stored,
    so a refused file (type, size, quota) stores neither the application nor any file."""
    limit = runtime.settings.limits.max_upload_bytes
    data = recognition_input(form)
    errors = _validate(session, data)
    files, too_many = _form_files(form, limit)
    if too_many:
        errors["evidence_file"] = too_many
    else:
        problems = rec_service.check_evidence_files(session, user, files, limit, runtime.settings.limits.org_upload_quota_bytes)
        if problems:
            errors["evidence_file"] = "；".join(p["message"] for p in problems) + "。请重新选择文件"
    if errors:
        return _recognition_form(request, session, user, form=data, errors=errors, status_code=422, max_upload_bytes=limit)
    nested = session.begin_nested()
    try:
        rec_in = RecognitionCreate.model_validate(_recognition_payload(data))
        rec = rec_service.apply(session, user, rec_in)
        for name, content in files:
            rec_service.add_evidence_file(session, user, rec.id, filename=name, data=content, max_bytes=limit,
                                          quota_bytes=runtime.settings.limits.org_upload_quota_bytes)
        nested.commit()
    except (ValidationError, DomainError) as exc:
        nested.rollback()  # nothing of a refused application is kept
        return _recognition_form(
            request,
            session,
            user,
            form=data,
            errors=_recognition_errors(exc),
            status_code=422 if isinstance(exc, ValidationError) else exc.status_code,
            max_upload_bytes=limit,
        )
    note = f"，已上传 {len(files)} 个证明材料文件" if files else ""
    return redirect(f"/enterprise/recognitions/{rec.id}", f"认定申报已提交{note}，请等待科技局初审")


def _enterprise_page(
    request: Request, session: Session, runtime: Any, user: User, rec_id: int,
    errors: dict[str, str] | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
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
        "recognitions/detail.html",
        {
            "rec": RecognitionRead.of(
                rec, recognition_access.recognition_actions(session, user, rec), rec_service.payouts_of(session, rec.id)
            ),
            "files": rec_service.evidence_files(session, user, rec),
            "errors": errors or {},
            "max_upload_mb": max(1, runtime.settings.limits.max_upload_bytes // (1024 * 1024)),
            "history": rec_queries.transitions_of(session, rec.id),
            "quote": quote,
            "need_title": need_title,
            "deal_title": deal_title,
            "STATUS": {str(k): v for k, v in REC_STATUS_LABELS.items()},
        },
        user=user,
        status_code=status_code,
    )


@router.get("/enterprise/recognitions/{rec_id}")
def recognition_page(rec_id: DbId, request: Request, session: SessionDep, runtime: RuntimeDep, user: EnterprisePage) -> Response:
    return _enterprise_page(request, session, runtime, user, rec_id)


@router.post("/enterprise/recognitions/{rec_id}/files")
def recognition_upload(
    rec_id: DbId, request: Request, form: Form, session: SessionDep, runtime: RuntimeDep, user: EnterprisePage
) -> Response:
    """The applicant adds an evidence file while the application is open; a refused file is not
    stored and the page says why next to the field."""
    rec_service.get_for_view(session, user, rec_id)  # a stranger gets 404 before the form is read
    limit = runtime.settings.limits.max_upload_bytes
    att, errors, status_code = store_upload(
        form, limit, lambda name, data: rec_service.add_evidence_file(session, user, rec_id, filename=name, data=data, max_bytes=limit,
                                                         quota_bytes=runtime.settings.limits.org_upload_quota_bytes)
    )
    if att is None:
        return _enterprise_page(request, session, runtime, user, rec_id, errors=errors, status_code=status_code)
    return redirect(f"/enterprise/recognitions/{rec_id}#files", f"证明材料「{att.filename}」已上传")


@router.get("/recognitions/{rec_id}/files/{attachment_id}")
def recognition_file(rec_id: DbId, attachment_id: DbId, session: SessionDep, user: SignedIn) -> Response:
    """Evidence files for the applicant organisation, bureau staff and the assigned experts (as the
    API); anyone else gets the 404 page."""
    return attachment_download(rec_service.evidence_file_for_viewer(session, user, rec_id, attachment_id))


def _org_names(session: Session, ids: set[int]) -> dict[int, str]:
    return (
        dict(
            session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))).all()
        )
        if ids
        else {}
    )


@router.get("/bureau/recognitions")
def recognitions_list(
    request: Request, session: SessionDep, user: BureauPage, status: str = "", year: str = ""
) -> Response:
    rows, total = rec_queries.list_for(session, user, status=status or None, year=int_or_none(year), limit=200)
    names = _org_names(session, {r.org_id for r in rows})
    items = [(RecognitionRead.of(r), names.get(r.org_id, "")) for r in rows]
    return render(
        request,
        "recognitions/list.html",
        {
            "items": items,
            "total": total,
            "status": status,
            "year": year,
            "STATUS": {str(k): v for k, v in REC_STATUS_LABELS.items()},
            "export_query": urlencode(
                {k: v for k, v in {"status": status, "year": int_or_none(year) or ""}.items() if v and v != 0}
            ),
        },
        user=user,
    )


def _experts(session: Session, rec_org_id: int) -> dict[int, str]:
    """Active experts for the assignment select (at most 200), recusal shown in the label; the
    service refuses a recused one with its reason."""
    from market.orgs import access as org_access

    rows = session.execute(
        select(User, Organisation.name)
        .join(Organisation, Organisation.id == User.org_id)
        .where(User.is_active.is_(True))
        .order_by(User.id)
    ).all()
    out: dict[int, str] = {}
    for u, org in rows:
        if Role.expert not in (u.roles or []):
            continue
        recused = org_access.is_recused(session, u, rec_org_id)
        out[u.id] = f"{u.display_name}（{org}）" + ("（须回避）" if recused else "")
        if len(out) >= 200:
            break
    return out


def _review_page(
    request: Request, session: Session, user: User, rec_id: int,
    errors: dict[str, str] | None = None, form: dict[str, Any] | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    rec = rec_service.get_for_view(session, user, rec_id)
    view = _with_payouts(session, user, rec)
    quote = None
    try:
        quote = rec_service.price(session, rec) if rec.status in REC_OPEN else None
    except DomainError:
        quote = None
    policy = policy_for_labels(rec.year)
    cat = policy.categories.get(rec.category)
    levels = {k: a.label for k, a in cat.awards.items()} if cat else {}
    today = today_local()
    assert view.actions is not None
    return render(
        request,
        "recognitions/review.html",
        {
            "rec": view,
            "org_name": _org_names(session, {rec.org_id}).get(rec.org_id, ""),
            "quote": quote,
            "levels": levels,
            "payout": _payout_form_state(request),
            "files": rec_service.evidence_files(session, user, rec),
            "reviews": rec_service.expert_reviews(session, user, rec),
            "experts": _experts(session, rec.org_id) if view.actions.assign_expert.allowed else {},
            "objections": rec_service.objections_of(session, user, rec),
            "errors": errors or {},
            "form": form or {"notice_start": today.isoformat(), "notice_end": (today + dt.timedelta(days=9)).isoformat()},
            "min_scores": recognition_access.Facts.read(session, user, rec).min_scores,
        },
        user=user,
        status_code=status_code,
    )


@router.get("/bureau/recognitions/{rec_id}")
def recognition_detail(rec_id: DbId, request: Request, session: SessionDep, user: BureauPage) -> Response:
    return _review_page(request, session, user, rec_id)


@router.post("/bureau/recognitions/{rec_id}/decide")
def recognition_decide(
    rec_id: DbId, request: Request, form: Form, session: SessionDep, user: BureauPage
) -> Response:
    action = str(form.get("action", ""))
    notes = str(form.get("notes", "")).strip()
    back = f"/bureau/recognitions/{rec_id}"
    try:
        if action == "review":
            rec_service.review(session, user, rec_id, RecognitionReview(notes=notes))
            return redirect(back, "已通过初审，请安排专家评审")
        if action == "finish_review":
            rec_service.finish_review(session, user, rec_id)
            return redirect(back, "专家评审已完成，可以开始公示")
        if action == "recognise":
            level = str(form.get("level", "")).strip() or None
            rec = rec_service.recognise(session, user, rec_id, RecognitionDecision(level=level, notes=notes))
            return redirect(back, f"已认定，奖励 {rec.award_wan:g} 万元")
        if action == "reject":
            rec_service.reject(session, user, rec_id, RecognitionRejection(reason=notes))
            return redirect(back, "已驳回")
    except ValidationError:
        return redirect(back, "驳回须填写原因（至少 2 个字）", "error")
    except DomainError as exc:
        return soft_refusal(exc, back)
    return redirect(back, "未知操作", "error")


@router.post("/bureau/recognitions/{rec_id}/experts")
def recognition_assign(rec_id: DbId, request: Request, form: Form, session: SessionDep, user: BureauPage) -> Response:
    """Assign an expert; a recused one is refused with the reason next to the select."""
    expert_id = int_or_none(form.get("expert_id"))
    if expert_id is None:
        return _review_page(request, session, user, rec_id, errors={"expert_id": "请选择评审专家"}, status_code=422)
    try:
        rec_service.assign_expert(session, user, rec_id, expert_id)
    except DomainError as exc:
        if exc.status_code not in (409, 422):
            raise
        return _review_page(request, session, user, rec_id, errors={"expert_id": exc.message}, status_code=exc.status_code)
    return redirect(f"/bureau/recognitions/{rec_id}#experts", "已安排专家评审，专家将收到通知")


@router.post("/bureau/recognitions/{rec_id}/notice")
def recognition_notice(rec_id: DbId, request: Request, form: Form, session: SessionDep, user: BureauPage) -> Response:
    """公示: the window's errors sit next to their date fields, the dates as typed are kept."""
    shown = {k: str(form.get(k, "")).strip() for k in ("notice_start", "notice_end")}
    errors: dict[str, str] = {}
    dates: dict[str, dt.date] = {}
    for key, label in (("notice_start", "公示开始日期"), ("notice_end", "公示结束日期")):
        try:
            dates[key] = dt.date.fromisoformat(shown[key])
        except ValueError:
            errors[key] = f"请填写{label}（年-月-日）"
    if not errors:
        try:
            rec_service.put_on_notice(session, user, rec_id, NoticeIn(**dates))
        except DomainError as exc:
            if exc.status_code not in (409, 422):
                raise
            errors = field_errors(exc) if exc.details else {"notice_start": exc.message}
    if errors:
        return _review_page(request, session, user, rec_id, errors=errors, form=shown, status_code=422)
    return redirect(f"/bureau/recognitions/{rec_id}", "已开始公示，公示期满且异议答复后可以认定")


@router.post("/bureau/recognitions/objections/{objection_id}/resolve")
def recognition_resolve(objection_id: DbId, request: Request, form: Form, session: SessionDep, user: BureauPage) -> Response:
    from market.recognitions.models import RecognitionObjection

    row = session.get(RecognitionObjection, objection_id)
    if row is None:
        raise NotFound("异议不存在")
    resolution = str(form.get("resolution", "")).strip()
    name = f"resolution_{objection_id}"
    try:
        rec_service.resolve_objection(session, user, objection_id, resolution)
    except DomainError as exc:
        if exc.status_code not in (409, 422):
            raise
        return _review_page(request, session, user, row.recognition_id, errors={name: exc.message}, status_code=exc.status_code)
    return redirect(f"/bureau/recognitions/{row.recognition_id}#objections", "已书面答复，异议人和申报企业将收到通知")


# --- the expert's review ---------------------------------------------------------------------------


def _expert_page(
    request: Request, session: Session, user: User, rec_id: int,
    form: dict[str, Any] | None = None, errors: dict[str, str] | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    rec = rec_service.get_for_view(session, user, rec_id)
    mine = rec_service.expert_reviews(session, user, rec)
    if not mine:
        raise NotFound("没有分配给您的评审任务")
    row = mine[0][0]
    return render(
        request,
        "recognitions/expert.html",
        {
            "rec": RecognitionRead.of(rec, recognition_access.recognition_actions(session, user, rec)),
            "org_name": _org_names(session, {rec.org_id}).get(rec.org_id, ""),
            "files": rec_service.evidence_files(session, user, rec),
            "review": row,
            "form": form or {"score": row.score if row.score is not None else "", "comment": row.comment},
            "errors": errors or {},
        },
        user=user,
        status_code=status_code,
    )


@router.get("/expert/recognitions/{rec_id}")
def expert_recognition(rec_id: DbId, request: Request, session: SessionDep, user: ExpertPage) -> Response:
    return _expert_page(request, session, user, rec_id)


@router.post("/expert/recognitions/{rec_id}")
def expert_recognition_score(rec_id: DbId, request: Request, form: Form, session: SessionDep, user: ExpertPage) -> Response:
    shown = {"score": str(form.get("score", "")).strip(), "comment": str(form.get("comment", "")).strip()}
    errors: dict[str, str] = {}
    score = int_or_none(shown["score"])
    if score is None or not 0 <= score <= 100:
        errors["score"] = "请填写 0–100 的整数评分"
    if len(shown["comment"]) < 2 or len(shown["comment"]) > 2000:
        errors["comment"] = "请填写评审意见（2–2000 字）"
    if not errors:
        assert score is not None
        try:
            rec_service.submit_score(session, user, rec_id, ExpertScoreIn(score=score, comment=shown["comment"]))
        except DomainError as exc:
            if exc.status_code not in (403, 409, 422):
                raise
            errors["score"] = exc.message
    if errors:
        return _expert_page(request, session, user, rec_id, form=shown, errors=errors, status_code=422)
    return redirect("/expert#recognitions", "评分已提交")


# --- 公示 (public) ----------------------------------------------------------------------------------


def _notices_page(
    request: Request, session: Session, user: User | None, page: int,
    errors: dict[str, str] | None = None, shown: dict[int, str] | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    per_page = 20
    page = max(1, min(page, 100))
    items, total = rec_queries.on_notice(session, today_local(), rec_service.HOW_TO_OBJECT, limit=per_page, offset=(page - 1) * per_page)
    return render(
        request,
        "recognitions/notices.html",
        {
            "items": items, "total": total, "page": page, "total_pages": max(1, -(-total // per_page)),
            "how_to_object": rec_service.HOW_TO_OBJECT, "errors": errors or {}, "shown": shown or {},
        },
        user=user,
        status_code=status_code,
    )  # fmt: skip


@router.get("/recognition-notices")
def recognition_notices(request: Request, session: SessionDep, user: PageUser, page: int = 1) -> Response:
    """Every recognition on public notice (公示), for anyone, no sign-in needed."""
    return _notices_page(request, session, user, page)


@router.post("/recognition-notices/{rec_id}/objections")
def recognition_object(rec_id: DbId, request: Request, form: Form, session: SessionDep, user: SignedIn) -> Response:
    """The objection form: signed in, with a reason; the error next to the field, the text kept."""
    body = str(form.get("body", "")).strip()
    name = f"body_{rec_id}"
    errors: dict[str, str] = {}
    try:
        objection_in = ObjectionIn(body=body)
    except ValidationError:
        errors[name] = "请写明异议理由（5–2000 字）"
    if not errors:
        try:
            rec_service.raise_objection(session, user, rec_id, objection_in)
        except DomainError as exc:
            if exc.status_code not in (409, 422):
                raise
            errors[name] = exc.message
    if errors:
        return _notices_page(request, session, user, 1, errors=errors, shown={rec_id: body}, status_code=422)
    return redirect("/recognition-notices", "异议已提交，科技局将书面答复并通过站内通知告知您")


@router.get("/bureau/policies")
def policy_versions_page(request: Request, session: SessionDep, user: BureauPage) -> Response:
    """The policy versions: shipped and the bureau's own, with validity; upload a new table as a
    draft, a second staff member publishes it."""
    return render(
        request,
        "recognitions/policies.html",
        {"versions": policy_versions.listing(session), "errors": {}, "shown": ""},
        user=user,
    )


@router.post("/bureau/policies")
def policy_versions_draft(request: Request, form: Form, session: SessionDep, user: BureauPage) -> Response:
    text = str(form.get("data", ""))[:200_000]
    errors: dict[str, str] = {}
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError
    except ValueError:
        errors["data"] = "请粘贴 JSON 格式的政策表（与随平台发布的政策表同一格式）"
    if not errors:
        try:
            row = policy_versions.draft(session, user, data)
        except DomainError as exc:
            if exc.status_code not in (409, 422):
                raise
            errors["data"] = exc.message
    if errors:
        return render(
            request,
            "recognitions/policies.html",
            {"versions": policy_versions.listing(session), "errors": errors, "shown": text},
            user=user,
            status_code=422,
        )
    return redirect("/bureau/policies", f"政策版本 {row.version} 已保存为待审核，请由另一名工作人员审核发布")


@router.post("/bureau/policies/{version_id}/publish")
def policy_versions_publish(version_id: DbId, request: Request, form: Form, session: SessionDep, user: BureauPage) -> Response:
    try:
        row = policy_versions.publish(session, user, version_id, str(form.get("note", "")).strip()[:2000])
    except DomainError as exc:
        return soft_refusal(exc, "/bureau/policies")
    return redirect("/bureau/policies", f"政策版本 {row.version} 已发布，按其有效期计算奖励")


# --- 奖补兑现 (the bureau records payouts; the enterprise sees paid and still due) ---------------

PAYOUT_FIELD_LABELS = {"amount_wan": "兑现金额", "paid_on": "兑现日期", "payment_batch": "资金批次", "note": "备注"}


LEDGER_PER_PAGE = 20


def _with_payouts(session: Session, user: User, rec: Recognition) -> RecognitionRead:
    """The recognition as its page shows it: its payouts, paid and due, and what the viewer may do."""
    payouts = rec_service.payouts_of(session, rec.id)
    paid = sum(p.amount_wan for p in payouts)
    return RecognitionRead.of(rec, recognition_access.recognition_actions(session, user, rec, paid), payouts)


def _payout_form_state(request: Request) -> dict[str, Any]:
    """The payout form of a recognition's page: empty (dated today), or as typed with its errors
    when a payout was refused (``recognition_payout`` re-renders the page)."""
    form, errors = getattr(request.state, "payout_form", None) or ({"paid_on": dt.datetime.now(CST).date().isoformat()}, {})
    return {"form": form, "errors": errors, "labels": PAYOUT_FIELD_LABELS}


@router.post("/bureau/recognitions/{rec_id}/payouts")
def recognition_payout(rec_id: DbId, request: Request, form: Form, session: SessionDep, user: BureauPage) -> Response:
    """Record a payout from the recognition's page; a refused one shows the page again with each
    error next to its field and everything typed kept (nothing is stored)."""
    data = {k: str(form.get(k, "")).strip() for k in PAYOUT_FIELD_LABELS}
    back = f"/bureau/recognitions/{rec_id}"
    errors: dict[str, str] = {}
    try:
        payout_in = PayoutIn.model_validate({k: v for k, v in data.items() if v != ""})
    except ValidationError as exc:
        errors = form_errors(exc, data, PAYOUT_FIELD_LABELS)
    else:
        try:
            row = rec_service.record_payout(session, user, rec_id, payout_in)
        except DomainError as exc:
            if exc.status_code != 422:
                return soft_refusal(exc, back)
            errors = field_errors(exc)
    if not errors:
        return redirect(back, f"已登记兑现 {row.amount_wan:g} 万元（{row.payment_batch}）")
    if len(errors) > 1:
        errors.pop("__all__", None)  # each message sits next to its field
    request.state.payout_form = (data, errors)
    page = recognition_detail(rec_id, request, session, user)
    page.status_code = 422
    return page


def _ledger_filter(year: str, category: str, county: str, paid: str) -> rec_queries.LedgerFilter:
    return rec_queries.LedgerFilter(
        status=RecognitionStatus.recognised,
        year=int_or_none(year) if (int_or_none(year) or 0) in range(2000, 2101) else None,
        category=category[:30] or None,
        county=county[:20] or None,
        paid=paid if paid in rec_queries.PAID_STATES else None,
    )


@router.get("/bureau/payouts")
def payouts_list(
    request: Request,
    session: SessionDep,
    user: BureauPage,
    year: Annotated[str, Query(max_length=10)] = "",
    category: Annotated[str, Query(max_length=30)] = "",
    county: Annotated[str, Query(max_length=20)] = "",
    paid: Annotated[str, Query(max_length=10)] = "",
    page: Annotated[str, Query(max_length=10)] = "1",
) -> Response:
    """奖补兑现: every recognised item with its award, paid and still due (summed in SQL), the
    sums of the whole filtered list, paginated; each row leads to the recognition's payout form."""
    f = _ledger_filter(year, category, county, paid)
    page_no = page_number(page)
    rows, total, totals = rec_queries.ledger(
        session, user, f, limit=LEDGER_PER_PAGE, offset=(page_no - 1) * LEDGER_PER_PAGE
    )
    params = {"year": f.year or "", "category": f.category or "", "county": f.county or "", "paid": f.paid or ""}
    query = urlencode({k: v for k, v in params.items() if v})
    return render(
        request,
        "recognitions/payouts.html",
        {
            "rows": rows,
            "total": total,
            "totals": totals,
            "params": params,
            "page": page_no,
            "total_pages": max(1, -(-total // LEDGER_PER_PAGE)),
            "base_query": query,
            "export_query": urlencode({**{k: v for k, v in params.items() if v}, "status": RecognitionStatus.recognised.value}),
            "categories": _policy_choices(f.year or _this_year())["categories"],
            "COUNTIES": COUNTIES,
            "PAID_STATES": rec_queries.PAID_STATES,
        },
        user=user,
    )


# --- the public list of recognised products ----------------------------------------------------

PUBLIC_PER_PAGE = 20


@router.get("/recognitions")
def public_recognitions(
    request: Request,
    session: SessionDep,
    user: PageUser,
    year: Annotated[str, Query(max_length=10)] = "",
    level: Annotated[str, Query(max_length=30)] = "",
    county: Annotated[str, Query(max_length=20)] = "",
    industry: Annotated[str, Query(max_length=40)] = "",
    category: Annotated[str, Query(max_length=30)] = "",
    page: Annotated[str, Query(max_length=10)] = "1",
) -> Response:
    """已认定产品名录 (public, no sign-in): 首台（套）装备、首批次新材料、首版次软件、绿色设计产品 and
    the other categories of the policy, filterable by year, level, county and industry; no amounts."""
    y = int_or_none(year)
    y = y if y is not None and 2000 <= y <= 2100 else None
    page_no = page_number(page)
    rows, total = rec_queries.recognised_public(
        session, year=y, level=level or None, county=county or None, industry=industry or None,
        category=category or None, limit=PUBLIC_PER_PAGE, offset=(page_no - 1) * PUBLIC_PER_PAGE,
    )  # fmt: skip
    params = {"year": y or "", "level": level, "county": county, "industry": industry, "category": category}
    choices = _policy_choices(y or _this_year())
    return render(
        request,
        "recognitions/public.html",
        {
            "rows": rows,
            "total": total,
            "params": params,
            "page": page_no,
            "total_pages": max(1, -(-total // PUBLIC_PER_PAGE)),
            "base_query": urlencode({k: v for k, v in params.items() if v}),
            "categories": choices["categories"],
            "levels": choices["levels"],
            "COUNTIES": COUNTIES,
            "INDUSTRIES": INDUSTRIES,
        },
        user=user,
    )
