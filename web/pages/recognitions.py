"""Recognitions (首台（套）/首批次/首版次…): the enterprise applies and follows its applications;
the bureau reviews, recognises or rejects."""

from __future__ import annotations

import datetime as dt
import json
from itertools import zip_longest
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from market.db import CST, DbId
from market.deals import queries as deal_queries
from market.deals import service as deal_service
from market.errors import DomainError
from market.needs import queries, service
from market.needs.queries import NeedFilter
from market.needs.states import LABELS as NEED_STATUS_LABELS
from market.orgs.models import Organisation, User
from market.recognitions import access as recognition_access
from market.recognitions import policy_versions
from market.recognitions import queries as rec_queries
from market.recognitions import service as rec_service
from market.recognitions.policy import policy_for_labels
from market.recognitions.schemas import (
    RecognitionCreate,
    RecognitionDecision,
    RecognitionRead,
    RecognitionRejection,
    RecognitionReview,
)
from market.recognitions.states import LABELS as REC_STATUS_LABELS
from market.recognitions.states import OPEN_STATUSES as REC_OPEN
from web.deps import SessionDep
from web.errors import validation_details
from web.pages.common import BureauPage, EnterprisePage, Form, float_or_none, int_or_none, soft_refusal
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
        },
        user=user,
        status_code=status_code,
    )


@router.get("/enterprise/recognitions")
def my_recognitions(request: Request, session: SessionDep, user: EnterprisePage) -> Response:
    rows, total = rec_queries.list_for(session, user, limit=200)
    return render(
        request,
        "recognitions/mine.html",
        {"items": [RecognitionRead.of(r) for r in rows], "total": total},
        user=user,
    )


@router.get("/enterprise/recognitions/new")
def new_recognition(request: Request, session: SessionDep, user: EnterprisePage) -> Response:
    return _recognition_form(request, session, user, form={"year": _this_year(), "evidence": []}, errors={})


@router.post("/enterprise/recognitions")
def apply_recognition(request: Request, form: Form, session: SessionDep, user: EnterprisePage) -> Response:
    data = recognition_input(form)
    errors = _validate(session, data)
    if errors:
        return _recognition_form(request, session, user, form=data, errors=errors, status_code=422)
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
def recognition_page(rec_id: DbId, request: Request, session: SessionDep, user: EnterprisePage) -> Response:
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
            "rec": RecognitionRead.of(rec),
            "history": rec_queries.transitions_of(session, rec.id),
            "quote": quote,
            "need_title": need_title,
            "deal_title": deal_title,
            "STATUS": {str(k): v for k, v in REC_STATUS_LABELS.items()},
        },
        user=user,
    )



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
        },
        user=user,
    )


@router.get("/bureau/recognitions/{rec_id}")
def recognition_detail(rec_id: DbId, request: Request, session: SessionDep, user: BureauPage) -> Response:
    rec = rec_service.get_for_view(session, user, rec_id)
    view = RecognitionRead.of(rec, recognition_access.recognition_actions(session, user, rec))
    quote = None
    try:
        quote = rec_service.price(session, rec) if rec.status in REC_OPEN else None
    except DomainError:
        quote = None
    policy = policy_for_labels(rec.year)
    cat = policy.categories.get(rec.category)
    levels = {k: a.label for k, a in cat.awards.items()} if cat else {}
    return render(
        request,
        "recognitions/review.html",
        {
            "rec": view,
            "org_name": _org_names(session, {rec.org_id}).get(rec.org_id, ""),
            "quote": quote,
            "levels": levels,
        },
        user=user,
    )


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
            return redirect(back, "已通过初审")
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
