"""Excel exports (xlsx) of what a viewer may already read: a batch (榜单), a needs list, the
responses to a need, the deals, the recognitions with their payouts, the organisations. Chinese headers, sensible column widths, frozen header row.

Exports never widen visibility: each one is built from the same queries and read schemas as the
API lists, so a confidential field absent from the viewer's read schema is absent here too.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from market import text
from market.batches.models import Batch
from market.db import CST
from market.deals import queries as deal_queries
from market.deals.queries import DealFilter
from market.errors import Forbidden
from market.needs import access
from market.needs import queries as need_queries
from market.needs.models import Need
from market.needs.queries import NeedFilter
from market.needs.schemas import FIELD_LABELS, NeedDetail
from market.needs.states import need_machine
from market.orgs import queries as org_queries
from market.orgs.models import User
from market.recognitions import queries as rec_queries
from market.recognitions.queries import LedgerFilter
from market.responses import queries as response_queries
from market.responses.models import Response
from market.responses.schemas import ResponseReviewView
from market.vocab import DISCLOSURES, ORG_KIND_LABELS, REVIEW_CRITERIA, TRACKS, VERIFICATION_LABELS

MAX_EXPORT_ROWS = 5000
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")

Column = tuple[str, int]  # (Chinese header, width)


def workbook(title: str, sheet: str, columns: Sequence[Column], rows: Iterable[Sequence[Any]], *, note: str = "") -> bytes:
    """One sheet whose first row is the header (bold, filled, frozen, with filters), so the file
    sorts, filters and re-reads cleanly; the title and note go into the print header and the
    workbook properties."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet[:31]
    generated = dt.datetime.now(CST).strftime("%Y-%m-%d %H:%M")
    wb.properties.title = text.for_export(title)
    wb.properties.creator = "揭榜平台"
    wb.properties.description = f"导出时间：{generated}。{note}"
    ws.oddHeader.center.text = text.for_export(title)
    ws.oddFooter.center.text = f"导出时间：{generated}　{note}　第 &P 页，共 &N 页"
    ws.print_title_rows = "1:1"
    for col, (name, width) in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=col, value=name)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(col)].width = width
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c, value=_cell(value))
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # text that looks like a formula stays text (no formula injection)
            cell.alignment = Alignment(vertical="top", wrap_text=isinstance(value, str) and len(value) > 20)
            if isinstance(value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A2"
    if columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(1, ws.max_row)}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(CST).replace(tzinfo=None)
    if isinstance(value, str):
        return text.for_export(value)
    return value


def _budget(lo: float | None, hi: float | None) -> str:
    if lo is None and hi is None:
        return "面议"
    if lo is not None and hi is not None:
        return f"{lo:g}–{hi:g}"
    return f"≥{lo:g}" if lo is not None else f"≤{hi:g}"


# --- batches and needs --------------------------------------------------------------------------

L = FIELD_LABELS
PUBLIC_COLUMNS: list[Column] = [
    ("序号", 6), ("需求编号", 10), (L["title"], 36), ("发榜企业", 30), (L["industry"], 12), (L["track"], 14),
    (L["county"], 14), ("预算（万元）", 14), (L["deadline"], 12), (L["cooperation_mode"], 12), (L["summary"], 50),
    (L["disclosure"], 16), ("状态", 12),
]
DETAIL_COLUMNS: list[Column] = [
    (L["problem"], 40), (L["indicators"], 36), (L["expected_outcome"], 36), (L["contact_name"], 10), (L["contact_phone"], 16)
]


def _need_row(n: int, session: Session, user: User | None, need: Need) -> list[Any]:
    org = need.org.name if access.shows_org_name(session, user, need) else "（匿名）"
    return [
        n, need.id, need.title, org, need.industry, TRACKS.get(need.track, need.track), need.county,
        _budget(need.budget_min_wan, need.budget_max_wan), need.deadline, need.cooperation_mode, need.summary,
        DISCLOSURES.get(need.disclosure, need.disclosure), need_machine.label(need.status),
    ]


def batch_export(session: Session, user: User | None, batch: Batch) -> bytes:
    """A batch as the public list (公开字段 only, numbered in batch order): exactly the needs of the
    batch the viewer may see (``visible_needs``), as their pages show them."""
    needs = session.scalars(
        select(Need)
        .where(Need.batch_id == batch.id, access.visible_needs(user))
        .options(selectinload(Need.org))
        .order_by(Need.id)
    ).all()
    rows = [_need_row(i, session, user, need) for i, need in enumerate(needs, start=1)]
    return workbook(f"嘉兴市技术需求榜单·{batch.title}", batch.title, PUBLIC_COLUMNS, rows, note=f"共 {len(rows)} 项需求")


NEED_SORTS = {"newest": "最新发布", "updated": "最近更新", "deadline": "截止日期最近", "budget": "预算最高"}


def needs_export(
    session: Session,
    user: User | None,
    f: NeedFilter,
    *,
    order: str = "newest",
    public: bool = False,
    ids: Sequence[int] | None = None,
) -> bytes:
    """The needs list as the viewer sees it, in its order; detail columns only for the bureau,
    filled where the viewer's read schema carries them. ``public``: the public list (/needs)
    whoever exports it — the published needs only, as that page lists them. ``ids``: the needs
    in the order a search ranked them (the list page's search), the visible ones only."""
    if ids is not None:
        wanted = list(dict.fromkeys(ids))[:MAX_EXPORT_ROWS]
        found = {
            n.id: n
            for n in session.scalars(
                select(Need)
                .where(Need.id.in_(wanted), access.visible_needs(None if public else user))
                .options(selectinload(Need.org))
            )
        }
        needs: Sequence[Need] = [found[i] for i in wanted if i in found]
        total = len(needs)
        ordered = "按检索相关度排序"
    else:
        needs, total = need_queries.list_needs(
            session, None if public else user, f, offset=0, limit=MAX_EXPORT_ROWS, order=order
        )
        ordered = f"按{NEED_SORTS.get(order, NEED_SORTS['newest'])}排序"
    staff = user is not None and user.is_bureau_staff
    columns = PUBLIC_COLUMNS + (DETAIL_COLUMNS if staff else [])
    rows = []
    for i, need in enumerate(needs, start=1):
        row = _need_row(i, session, user, need)
        if staff:
            view = need_queries.present(session, user, need)
            assert isinstance(view, NeedDetail)
            row += [view.problem, view.indicators, view.expected_outcome, view.contact_name, view.contact_phone]
        rows.append(row)
    note = f"共 {total} 项，{ordered}" + (f"，仅导出前 {MAX_EXPORT_ROWS} 项" if total > MAX_EXPORT_ROWS else "")
    return workbook("技术需求清单", "需求", columns, rows, note=note)


# --- responses and deals ------------------------------------------------------------------------


def responses_export(session: Session, user: User, need: Need) -> bytes:
    """The responses to one need, for its reviewers (the caller checks the viewer may review)."""
    responses = session.scalars(select(Response).where(Response.need_id == need.id).order_by(Response.id)).all()
    columns: list[Column] = [
        ("序号", 6), ("方案编号", 10), ("揭榜单位", 30), ("联合单位", 30), ("状态", 10), ("报价（万元）", 12),
        ("技术方案", 60), ("团队", 36), ("业绩", 36), ("进度安排", 30),
        *[(label, 12) for label in REVIEW_CRITERIA.values()], ("平均分", 10), ("未选原因", 30), ("提交时间", 18),
    ]
    rows = []
    for i, r in enumerate(responses, start=1):
        view = response_queries.present(session, user, r, need)
        avg = view.average_scores if isinstance(view, ResponseReviewView) else {}
        total = view.average_total if isinstance(view, ResponseReviewView) else None
        reason = f"{view.reason_label}：{view.reason_text}" if view.reason_label else ""
        rows.append([
            i, r.id, view.org_name, "、".join(p.name for p in view.partners), view.status_label, r.price_wan,
            r.approach, r.team, r.track_record, r.timeline, *[avg.get(c) for c in REVIEW_CRITERIA], total, reason,
            r.created_at,
        ])
    return workbook(f"揭榜方案汇总：{need.title}", "揭榜方案", columns, rows, note=f"共 {len(rows)} 份方案")


def deals_export(session: Session, user: User, f: DealFilter) -> bytes:
    deals, total = deal_queries.list_deals(session, user, f, offset=0, limit=MAX_EXPORT_ROWS)
    columns: list[Column] = [
        ("序号", 6), ("项目编号", 10), ("需求名称", 36), ("发榜企业", 30), ("揭榜单位", 30), ("所在县（市、区）", 14),
        ("行业", 12), ("阶段", 10), ("合同金额（万元）", 14), ("签约日期", 12), ("验收日期", 12), ("转化日期", 12),
        ("成效", 36), ("未成交原因", 30), ("对接开始", 18),
    ]
    rows = [
        [
            i, d.id, d.need_title, d.enterprise_name, d.provider_name, d.county, d.industry, d.stage_label,
            d.contract_amount_wan, d.signed_on, d.accepted_on, d.converted_on, d.outcome, d.failure_reason, d.created_at,
        ]
        for i, d in enumerate(deal_queries.present_many(session, deals), start=1)
    ]
    note = f"共 {total} 项" + (f"，仅导出前 {MAX_EXPORT_ROWS} 项" if total > MAX_EXPORT_ROWS else "")
    return workbook("揭榜对接项目清单", "对接项目", columns, rows, note=note)


def audit_export(session: Session, viewer: User, f: Any) -> bytes:
    """The audit log search as the bureau filtered it (at most MAX_EXPORT_ROWS entries)."""
    from market import views

    if not viewer.is_bureau_staff:
        raise Forbidden("只有科技局工作人员可以导出审计日志")
    rows, _ = views.audit_page(session, f, limit=MAX_EXPORT_ROWS)
    columns: list[Column] = [("编号", 8), ("时间", 18), ("操作人", 14), ("操作", 28), ("对象类型", 14), ("对象编号", 10), ("内容", 80)]
    data = (
        (
            e.id,
            e.at.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S"),
            name or ("系统" if e.actor_id is None else f"用户 {e.actor_id}"),
            e.action,
            e.object_type,
            e.object_id,
            json.dumps(e.data, ensure_ascii=False)[:2000],
        )
        for e, name in rows
    )
    return workbook("审计日志", "审计日志", columns, data, note="审计日志只能追加，不能修改或删除")


# --- recognitions and organisations -------------------------------------------------------------


def recognitions_export(session: Session, user: User, f: LedgerFilter) -> bytes:
    """Recognitions with award, paid and still due, with the list's filters and in its order
    (the bureau: every organisation's; an enterprise: its own)."""
    rows, total, totals = rec_queries.ledger(session, user, f, limit=MAX_EXPORT_ROWS)
    columns: list[Column] = [
        ("序号", 6), ("申报编号", 10), ("产品 / 项目", 36), ("型号或编码", 14), ("申报单位", 30), ("所在县（市、区）", 14),
        ("类别", 14), ("级别", 12), ("年度", 8), ("状态", 10), ("奖补（万元）", 12), ("已兑现（万元）", 14),
        ("待兑现（万元）", 14), ("兑现次数", 10), ("最近兑现日期", 14), ("申报时间", 18), ("认定时间", 18),
    ]
    data = [
        [
            i, r.id, r.product_name, r.product_code or "", r.org_name, r.county or "", r.category_label, r.level_label,
            r.year, r.status_label, r.award_wan, r.paid_wan if r.recognised else None, r.due_wan, r.payouts_count,
            r.last_paid_on, r.created_at, r.recognised_at,
        ]
        for i, r in enumerate(rows, start=1)
    ]
    note = (
        f"共 {total} 项；奖补合计 {totals.award_wan:g} 万元，已兑现 {totals.paid_wan:g} 万元，待兑现 {totals.due_wan:g} 万元"
        + (f"；仅导出前 {MAX_EXPORT_ROWS} 项" if total > MAX_EXPORT_ROWS else "")
    )
    return workbook("首台（套）等认定与奖补兑现清单", "认定", columns, data, note=note)


def orgs_export(session: Session, user: User, *, kind: str | None = None, verification: str | None = None) -> bytes:
    """The organisations the bureau manages, with the list's filters and in its order."""
    if not user.is_bureau_staff:
        raise Forbidden("只有科技局工作人员可以导出单位名录")
    orgs, total = org_queries.list_orgs(session, kind=kind, verification=verification, limit=MAX_EXPORT_ROWS)
    columns: list[Column] = [
        ("序号", 6), ("单位编号", 10), ("单位名称", 36), ("类型", 12), ("统一社会信用代码", 22), ("所在县（市、区）", 14),
        ("行业", 12), ("认证状态", 12), ("认证时间", 18), ("龙头企业", 10), ("注册时间", 18),
    ]
    data = [
        [
            i, o.id, o.name, ORG_KIND_LABELS.get(o.kind, o.kind), o.credit_code or "", o.county or "", o.industry or "",
            VERIFICATION_LABELS.get(o.verification, o.verification), o.verified_at, "是" if o.leading else "",
            o.created_at,
        ]
        for i, o in enumerate(orgs, start=1)
    ]
    note = f"共 {total} 家" + (f"，仅导出前 {MAX_EXPORT_ROWS} 家" if total > MAX_EXPORT_ROWS else "")
    return workbook("单位名录", "单位", columns, data, note=note)
