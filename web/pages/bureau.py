"""Bureau (科技局) pages: the review queue with comments and the refine-together flow, expert
assignment, batch composition / notice / publication, organisation verification, the deals board
and the recognitions (首台（套）…) list and review."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import select

from market.batches import service as batches
from market.batches.schemas import BatchCreate, NoticeIn
from market.errors import DomainError
from market.needs import queries, service
from market.needs.queries import NeedFilter
from market.needs.schemas import CommentIn, ReasonIn
from market.orgs import queries as org_queries
from market.orgs import service as orgs
from market.orgs.models import User
from web.deps import SessionDep
from web.pages.common import BureauPage, Form, int_or_none
from web.pages.enterprise import NEED_FIELD_LABELS
from web.pages.render import field_errors, redirect, render

router = APIRouter(tags=["页面 pages"], include_in_schema=False)

SUGGESTABLE = ("title", "summary", "problem", "indicators", "expected_outcome")


def _soft(exc: DomainError, back: str) -> Response:
    """A business refusal the reviewer can act on goes back to the page as a message."""
    if exc.status_code in (403, 409, 422):
        return redirect(back, exc.message, "error")
    raise exc


@router.get("/bureau")
def overview(request: Request, session: SessionDep, user: BureauPage) -> Response:
    queue = queries.review_queue(session)
    pending, pending_total = org_queries.list_orgs(session, verification="pending", limit=5)
    approved, _ = queries.list_needs(session, user, NeedFilter(status="approved"), limit=200)
    unbatched = [n for n in approved if n.batch_id is None]
    return render(
        request,
        "bureau/overview.html",
        {
            "queue": queue,
            "pending": pending,
            "pending_total": pending_total,
            "unbatched": unbatched,
            "batches": batches.list_batches(session, published_only=False)[:5],
        },
        user=user,
    )


def experts(session: Any) -> list[User]:
    return [
        u
        for u in session.scalars(select(User).where(User.is_active.is_(True)).order_by(User.id)).all()
        if u.is_expert
    ]


def _review_page(
    request: Request,
    session: Any,
    user: User,
    need_id: int,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    need = service.get_need(session, need_id)
    view = queries.present(session, user, need)
    return render(
        request,
        "bureau/review.html",
        {
            "need": view,
            "comments": service.list_comments(session, user, need_id),
            "assignments": service.assignments_for(session, user, need_id),
            "experts": experts(session),
            "dups": queries.near_duplicates(
                session, need.title, f"{need.summary}。{need.problem}", exclude_id=need.id
            ),
            "attachments": queries.list_attachments(session, user, need),
            "FIELD_LABELS": NEED_FIELD_LABELS,
            "SUGGESTABLE": SUGGESTABLE,
            "errors": errors or {},
            "form": form or {},
        },
        user=user,
        status_code=status_code,
    )


@router.get("/bureau/review/{need_id}")
def review(need_id: int, request: Request, session: SessionDep, user: BureauPage) -> Response:
    return _review_page(request, session, user, need_id)


@router.post("/bureau/review/{need_id}/comment")
def comment(need_id: int, request: Request, form: Form, session: SessionDep, user: BureauPage) -> Response:
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
def decide(need_id: int, request: Request, form: Form, session: SessionDep, user: BureauPage) -> Response:
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
        return _soft(exc, back)
    return redirect(back, "未知操作", "error")


@router.post("/bureau/review/{need_id}/experts")
def assign(need_id: int, request: Request, form: Form, session: SessionDep, user: BureauPage) -> Response:
    expert_id = int_or_none(form.get("expert_id"))
    if expert_id is None:
        return redirect(f"/bureau/review/{need_id}#experts", "请选择专家", "error")
    try:
        service.assign_expert(session, user, need_id, expert_id)
    except DomainError as exc:
        return _soft(exc, f"/bureau/review/{need_id}#experts")
    return redirect(f"/bureau/review/{need_id}#experts", "已分配评审专家并通知")


# --- batches -----------------------------------------------------------------------------------


@router.get("/bureau/batches")
def batch_list(request: Request, session: SessionDep, user: BureauPage) -> Response:
    rows = batches.list_batches(session, published_only=False)
    counts = batches.need_counts(session)
    return render(
        request,
        "bureau/batches.html",
        {"batches": rows, "counts": counts, "year": dt.date.today().year},
        user=user,
    )


@router.post("/bureau/batches")
def batch_create(request: Request, form: Form, session: SessionDep, user: BureauPage) -> Response:
    try:
        b = batches.create_batch(
            session, user, BatchCreate(year=int_or_none(form.get("year")) or dt.date.today().year)
        )
    except ValidationError:
        return redirect("/bureau/batches", "年度须在 2020–2100 之间", "error")
    return redirect(f"/bureau/batches/{b.id}", f"已创建{b.title}，请加入审核通过的需求")


@router.get("/bureau/batches/{batch_id}")
def batch_detail(batch_id: int, request: Request, session: SessionDep, user: BureauPage) -> Response:
    batch = batches.get_batch(session, batch_id)
    in_batch, _ = queries.list_needs(session, user, NeedFilter(batch_id=batch.id), limit=500)
    approved, _ = queries.list_needs(session, user, NeedFilter(status="approved"), limit=500)
    candidates = [n for n in approved if n.batch_id is None]
    from market.needs.models import NeedObjection

    ids = [n.id for n in in_batch]
    objections = (
        session.scalars(
            select(NeedObjection).where(NeedObjection.need_id.in_(ids)).order_by(NeedObjection.id)
        ).all()
        if ids
        else []
    )
    return render(
        request,
        "bureau/batch.html",
        {
            "batch": batch,
            "needs": in_batch,
            "candidates": candidates,
            "objections": objections,
            "today": dt.date.today(),
        },
        user=user,
    )


@router.post("/bureau/batches/{batch_id}/needs")
def batch_add(batch_id: int, request: Request, form: Form, session: SessionDep, user: BureauPage) -> Response:
    ids = [i for i in (int_or_none(v) for v in form.getlist("need_ids")) if i is not None]
    back = f"/bureau/batches/{batch_id}"
    if not ids:
        return redirect(back, "请勾选要加入榜单的需求", "error")
    try:
        batches.add_needs(session, user, batch_id, ids)
    except DomainError as exc:
        return _soft(exc, back)
    return redirect(back, f"已加入 {len(ids)} 项需求")


@router.post("/bureau/batches/{batch_id}/needs/{need_id}/remove")
def batch_remove(
    batch_id: int, need_id: int, request: Request, session: SessionDep, user: BureauPage
) -> Response:
    try:
        batches.remove_need(session, user, batch_id, need_id)
    except DomainError as exc:
        return _soft(exc, f"/bureau/batches/{batch_id}")
    return redirect(f"/bureau/batches/{batch_id}", "已移出榜单")


@router.post("/bureau/batches/{batch_id}/notice")
def batch_notice(
    batch_id: int, request: Request, form: Form, session: SessionDep, user: BureauPage
) -> Response:
    back = f"/bureau/batches/{batch_id}"
    try:
        n = NoticeIn(notice_start=form.get("notice_start"), notice_end=form.get("notice_end"))  # type: ignore[arg-type]
        batches.start_notice(session, user, batch_id, n.notice_start, n.notice_end)
    except ValidationError as exc:
        return redirect(back, "公示日期：" + "；".join(field_errors(exc).values()), "error")
    except DomainError as exc:
        return _soft(exc, back)
    return redirect(back, "已开始公示")


@router.post("/bureau/batches/{batch_id}/publish")
def batch_publish(batch_id: int, request: Request, session: SessionDep, user: BureauPage) -> Response:
    try:
        b = batches.publish(session, user, batch_id)
    except DomainError as exc:
        return _soft(exc, f"/bureau/batches/{batch_id}")
    return redirect(f"/bureau/batches/{batch_id}", f"{b.title}已发布，已通知已认证的揭榜方")


@router.post("/bureau/objections/{objection_id}/resolve")
def resolve_objection(
    objection_id: int, request: Request, form: Form, session: SessionDep, user: BureauPage
) -> Response:
    resolution = str(form.get("resolution", "")).strip()
    back = str(form.get("back", "/bureau/batches"))
    back = back if back.startswith("/bureau/") else "/bureau/batches"
    if not resolution:
        return redirect(back, "请填写处理意见", "error")
    batches.resolve_objection(session, user, objection_id, resolution)
    return redirect(back, "异议已处理")


# --- organisations -----------------------------------------------------------------------------


@router.get("/bureau/orgs")
def org_list(
    request: Request, session: SessionDep, user: BureauPage, verification: str = "pending", kind: str = ""
) -> Response:
    rows, total = org_queries.list_orgs(
        session, verification=verification or None, kind=kind or None, limit=200
    )
    return render(
        request,
        "bureau/orgs.html",
        {"orgs": rows, "total": total, "verification": verification, "kind": kind},
        user=user,
    )


@router.post("/bureau/orgs/{org_id}/verify")
def org_verify(org_id: int, request: Request, form: Form, session: SessionDep, user: BureauPage) -> Response:
    decision = str(form.get("decision", ""))
    note = str(form.get("note", "")).strip()
    if decision == "rejected" and not note:
        return redirect("/bureau/orgs", "不通过认证须说明原因", "error")
    org = orgs.verify_org(session, user, org_id, decision, note)
    from market.notifications import service as notify

    notify.notify_org(
        session,
        org.id,
        "org.verification",
        "单位认证已通过" if decision == "verified" else "单位认证未通过",
        note,
        "/",
    )
    return redirect(
        "/bureau/orgs", f"「{org.name}」{'已通过认证' if decision == 'verified' else '未通过认证'}"
    )


# --- deals board -------------------------------------------------------------------------------


@router.get("/bureau/deals")
def deals_board(
    request: Request, session: SessionDep, user: BureauPage, county: str = "", industry: str = ""
) -> Response:
    from market.deals import queries as dq
    from market.deals.states import LABELS, ORDER, DealStage

    rows, total = dq.list_deals(
        session, user, dq.DealFilter(county=county or None, industry=industry or None), limit=500
    )
    deals = dq.present_many(session, rows)
    columns = [(str(s), LABELS[s], [d for d in deals if d.stage == s]) for s in (*ORDER, DealStage.failed)]
    return render(
        request,
        "bureau/deals.html",
        {"columns": columns, "total": total, "county": county, "industry": industry},
        user=user,
    )


@router.get("/bureau/deals/{deal_id}")
def bureau_deal(deal_id: int, user: BureauPage) -> Response:
    return redirect(f"/deals/{deal_id}")


# --- recognitions ------------------------------------------------------------------------------


def _org_names(session: Any, ids: set[int]) -> dict[int, str]:
    from market.orgs.models import Organisation

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
    from market.recognitions import queries as rq
    from market.recognitions.schemas import RecognitionRead
    from market.recognitions.states import LABELS

    rows, total = rq.list_for(session, user, status=status or None, year=int_or_none(year), limit=200)
    names = _org_names(session, {r.org_id for r in rows})
    items = [(RecognitionRead.of(r), names.get(r.org_id, "")) for r in rows]
    return render(
        request,
        "bureau/recognitions.html",
        {
            "items": items,
            "total": total,
            "status": status,
            "year": year,
            "STATUS": {str(k): v for k, v in LABELS.items()},
        },
        user=user,
    )


@router.get("/bureau/recognitions/{rec_id}")
def recognition_detail(rec_id: int, request: Request, session: SessionDep, user: BureauPage) -> Response:
    from market.recognitions import service as rs
    from market.recognitions.policy import policy_for_year
    from market.recognitions.schemas import RecognitionRead

    rec = rs.get_for_view(session, user, rec_id)
    view = RecognitionRead.of(rec)
    quote = None
    try:
        quote = rs.price(session, rec) if rec.status in ("applied", "reviewed") else None
    except DomainError:
        quote = None
    policy = policy_for_year(rec.year)
    cat = policy.categories.get(rec.category)
    levels = {k: a.label for k, a in cat.awards.items()} if cat else {}
    return render(
        request,
        "bureau/recognition.html",
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
    rec_id: int, request: Request, form: Form, session: SessionDep, user: BureauPage
) -> Response:
    from market.recognitions import service as rs
    from market.recognitions.schemas import RecognitionDecision, RecognitionRejection, RecognitionReview

    action = str(form.get("action", ""))
    notes = str(form.get("notes", "")).strip()
    back = f"/bureau/recognitions/{rec_id}"
    try:
        if action == "review":
            rs.review(session, user, rec_id, RecognitionReview(notes=notes))
            return redirect(back, "已通过初审")
        if action == "recognise":
            level = str(form.get("level", "")).strip() or None
            rec = rs.recognise(session, user, rec_id, RecognitionDecision(level=level, notes=notes))
            return redirect(back, f"已认定，奖励 {rec.award_wan:g} 万元")
        if action == "reject":
            rs.reject(session, user, rec_id, RecognitionRejection(reason=notes))
            return redirect(back, "已驳回")
    except ValidationError:
        return redirect(back, "驳回须填写原因（至少 2 个字）", "error")
    except DomainError as exc:
        return _soft(exc, back)
    return redirect(back, "未知操作", "error")
