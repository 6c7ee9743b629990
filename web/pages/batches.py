"""Batches (榜单): the bureau composes a batch, puts it on public notice (公示), resolves objections and publishes it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from market import flows
from market.batches import queries as batch_queries
from market.batches import service as batches
from market.batches.schemas import BatchCreate, NoticeIn, ScheduleIn
from market.db import DbId
from market.errors import DomainError, NotFound
from market.needs import queries
from market.needs.models import Need
from market.needs.queries import NeedFilter
from market.needs.schemas import ObjectionIn
from market.office import service as office
from market.orgs.models import User
from market.targets.progress import today_local
from web.deps import SessionDep
from web.pages.common import BureauPage, Form, PageUser, SignedIn, int_or_none, soft_refusal
from web.pages.render import field_errors, redirect, render

router = APIRouter(tags=["页面 pages"], include_in_schema=False)


@router.get("/bureau/batches")
def batch_list(request: Request, session: SessionDep, user: BureauPage) -> Response:
    counts = batches.need_counts(session)
    rows = [batch_queries.present(session, user, b, counts.get(b.id, 0)) for b in batches.list_batches(session, user)]
    return render(
        request,
        "batches/list.html",
        {"batches": rows, "year": today_local().year},
        user=user,
    )


@router.post("/bureau/batches")
def batch_create(request: Request, form: Form, session: SessionDep, user: BureauPage) -> Response:
    try:
        b = batches.create_batch(
            session, user, BatchCreate(year=int_or_none(form.get("year")) or today_local().year)
        )
    except ValidationError:
        return redirect("/bureau/batches", "年度须在 2020–2100 之间", "error")
    return redirect(f"/bureau/batches/{b.id}", f"已创建{b.title}，请加入审核通过的需求")


def _batch_page(
    request: Request, session: Session, user: User, batch_id: int, *,
    form: dict[str, str] | None = None, errors: dict[str, str] | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    """The batch page; a refused notice or schedule form comes back with its input and each error
    next to its date field."""
    batch = batches.get_batch(session, batch_id)
    in_batch, _ = queries.list_needs(session, user, NeedFilter(batch_id=batch.id), limit=500)
    approved, _ = queries.list_needs(session, user, NeedFilter(status="approved"), limit=500)
    candidates = [n for n in approved if n.batch_id is None]
    titles = {n.id: n.title for n in in_batch}
    objections = [
        batch_queries.objection_out(session, user, o, titles.get(o.need_id, ""))
        for o in batches.objections_of_batch(session, batch.id)
    ]
    return render(
        request,
        "batches/batch.html",
        {
            "batch": batch_queries.present(session, user, batch, len(in_batch)),
            "needs": in_batch,
            "candidates": candidates,
            "objections": objections,
            "need_titles": {n.id: n.title for n in in_batch},
            "today": today_local(),
            "min_notice_days": office.get(session, office.NOTICE_MIN_WORKING_DAYS),
            "form": form or {},
            "errors": errors or {},
        },
        user=user,
        status_code=status_code,
    )


@router.get("/bureau/batches/{batch_id}")
def batch_detail(batch_id: DbId, request: Request, session: SessionDep, user: BureauPage) -> Response:
    return _batch_page(request, session, user, batch_id)


def _date_errors(exc: ValidationError | DomainError, shown: dict[str, str], fields: tuple[str, ...]) -> dict[str, str]:
    """Each date error next to its field: an empty or invalid date, the domain's own field errors,
    and a rule over the whole window (the end before the start) on the last date field. Empty when
    the refusal is not about a date (the page then shows it as a message, as before)."""
    if isinstance(exc, DomainError) and exc.status_code not in (409, 422):
        return {}
    errs = field_errors(exc)
    out = {k: ("请选择日期" if not shown.get(k, "").strip() else v) for k, v in errs.items() if k in fields}
    if not out and isinstance(exc, ValidationError):
        out[fields[-1]] = next((v for k, v in errs.items() if k != "__all__"), errs.get("__all__", "请检查日期"))
    return out


@router.get("/notices")
def notice_list(request: Request, session: SessionDep, user: PageUser) -> Response:
    """Every batch on public notice (公示), for anyone."""
    counts = batches.need_counts(session)
    rows = [batch_queries.present(session, user, b, counts.get(b.id, 0)) for b in batch_queries.notices(session)]
    return render(request, "batches/notices.html", {"batches": rows}, user=user)


@router.get("/notices/{batch_id}")
def notice_page(batch_id: DbId, request: Request, session: SessionDep, user: PageUser) -> Response:
    return render(request, "batches/notice.html", {"notice": batch_queries.notice(session, user, batch_id)}, user=user)


@router.post("/notices/{batch_id}/needs/{need_id}/objections")
def notice_object(
    batch_id: DbId, need_id: DbId, request: Request, form: Form, session: SessionDep, user: SignedIn
) -> Response:
    """The objection form: signed in, with a reason; the error is shown next to the field and the
    text kept."""
    body = str(form.get("body", "")).strip()
    errors: dict[str, str] = {}
    try:
        ObjectionIn(body=body)
    except ValidationError:
        errors[f"body_{need_id}"] = "请写明异议理由（5–2000 字）"
    if not errors:
        need = session.get(Need, need_id)
        if need is None or need.batch_id != batch_id:
            raise NotFound("该需求不在此榜单中")
        try:
            batches.raise_objection(session, user, need_id, body)
        except DomainError as exc:
            if exc.status_code not in (409, 422):
                raise
            errors[f"body_{need_id}"] = exc.message
    if errors:
        return render(
            request,
            "batches/notice.html",
            {"notice": batch_queries.notice(session, user, batch_id), "errors": errors, "shown": {need_id: body}},
            user=user,
            status_code=422,
        )
    return redirect(f"/notices/{batch_id}", "异议已提交，科技局将书面答复并通过站内通知告知您")


@router.post("/bureau/batches/{batch_id}/notice/withdraw")
def batch_withdraw_notice(batch_id: DbId, request: Request, session: SessionDep, user: BureauPage) -> Response:
    try:
        batches.withdraw_notice(session, user, batch_id)
    except DomainError as exc:
        return soft_refusal(exc, f"/bureau/batches/{batch_id}")
    return redirect(f"/bureau/batches/{batch_id}", "已撤回公示，调整后须重新公示")


@router.post("/bureau/batches/{batch_id}/schedule")
def batch_schedule(batch_id: DbId, request: Request, form: Form, session: SessionDep, user: BureauPage) -> Response:
    shown = {"publish_on": str(form.get("publish_on", ""))}
    try:
        s = ScheduleIn(publish_on=form.get("publish_on"))  # type: ignore[arg-type]
        b = batches.schedule(session, user, batch_id, s.publish_on)
    except (ValidationError, DomainError) as exc:
        errors = _date_errors(exc, shown, ("publish_on",))
        if not errors:
            assert isinstance(exc, DomainError)
            return soft_refusal(exc, f"/bureau/batches/{batch_id}")
        return _batch_page(request, session, user, batch_id, form=shown, errors=errors, status_code=422)
    return redirect(f"/bureau/batches/{batch_id}", f"{b.title}将于 {s.publish_on.isoformat()} 发布（异议须全部答复）")


@router.post("/bureau/batches/{batch_id}/needs")
def batch_add(batch_id: DbId, request: Request, form: Form, session: SessionDep, user: BureauPage) -> Response:
    ids = [i for i in (int_or_none(v) for v in form.getlist("need_ids")) if i is not None]
    back = f"/bureau/batches/{batch_id}"
    if not ids:
        return redirect(back, "请勾选要加入榜单的需求", "error")
    try:
        batches.add_needs(session, user, batch_id, ids)
    except DomainError as exc:
        return soft_refusal(exc, back)
    return redirect(back, f"已加入 {len(ids)} 项需求")


@router.post("/bureau/batches/{batch_id}/needs/{need_id}/remove")
def batch_remove(
    batch_id: DbId, need_id: DbId, request: Request, session: SessionDep, user: BureauPage
) -> Response:
    try:
        batches.remove_need(session, user, batch_id, need_id)
    except DomainError as exc:
        return soft_refusal(exc, f"/bureau/batches/{batch_id}")
    return redirect(f"/bureau/batches/{batch_id}", "已移出榜单")


@router.post("/bureau/batches/{batch_id}/notice")
def batch_notice(
    batch_id: DbId, request: Request, form: Form, session: SessionDep, user: BureauPage
) -> Response:
    shown = {k: str(form.get(k, "")) for k in ("notice_start", "notice_end")}
    try:
        n = NoticeIn(notice_start=form.get("notice_start"), notice_end=form.get("notice_end"))  # type: ignore[arg-type]
        batches.start_notice(session, user, batch_id, n.notice_start, n.notice_end)
    except (ValidationError, DomainError) as exc:
        errors = _date_errors(exc, shown, ("notice_start", "notice_end"))
        if not errors:
            assert isinstance(exc, DomainError)
            return soft_refusal(exc, f"/bureau/batches/{batch_id}")
        return _batch_page(request, session, user, batch_id, form=shown, errors=errors, status_code=422)
    return redirect(f"/bureau/batches/{batch_id}", "已开始公示")


@router.post("/bureau/batches/{batch_id}/publish")
def batch_publish(batch_id: DbId, request: Request, session: SessionDep, user: BureauPage) -> Response:
    try:
        b = flows.publish_batch(session, user, batch_id)
    except DomainError as exc:
        return soft_refusal(exc, f"/bureau/batches/{batch_id}")
    return redirect(f"/bureau/batches/{batch_id}", f"{b.title}已发布，已通知已认证的揭榜方")


@router.post("/bureau/objections/{objection_id}/resolve")
def resolve_objection(
    objection_id: DbId, request: Request, form: Form, session: SessionDep, user: BureauPage
) -> Response:
    resolution = str(form.get("resolution", "")).strip()
    back = str(form.get("back", "/bureau/batches"))
    back = back if back.startswith("/bureau/") else "/bureau/batches"
    if not resolution:
        return redirect(back, "请填写书面答复", "error")
    try:
        batches.resolve_objection(session, user, objection_id, resolution)
    except DomainError as exc:
        return soft_refusal(exc, back)
    return redirect(back, "异议已答复，已通知异议人")
