"""Bulk import of needs from the bureau's Excel sheets (批量导入).

All or nothing: every row is validated (with ``NeedCreate``, the same rules as the form) before
anything is stored; if any row fails, nothing is stored and the report lists every problem with its
row number, column and a Chinese message. On success each row becomes a need of the named
enterprise, submitted for review, recorded as imported by the bureau.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from market import validation_messages
from market.audit import service as audit
from market.errors import Forbidden, Invalid
from market.needs import service
from market.needs.models import Need
from market.needs.schemas import FIELD_LABELS, NeedCreate
from market.needs.service import REQUIRED_FOR_REVIEW
from market.needs.states import NeedStatus
from market.notifications import service as notify
from market.orgs.models import Organisation, OrgKind, User
from market.vocab import COOPERATION_MODES, COUNTIES, DISCLOSURES, INDUSTRIES, TRACKS

MAX_ROWS = 1000
# What reading one workbook may cost (issue 14, finding 4: 10 KB that unpacked to 200,000 empty rows
# took 9.3 s). Rows are counted whether empty or not; the members' unpacked sizes are those the zip
# declares, which is also where Python's zip reader stops.
MAX_SHEET_ROWS = 2 * MAX_ROWS + 1
MAX_COLUMNS = 60
MAX_UNPACKED_BYTES = 20 * 1024 * 1024
MAX_MEMBERS = 100

# Column header → NeedCreate field: the fields' own labels ("发榜企业" names the organisation).
IMPORTED_FIELDS = (
    "title", "summary", "industry", "track", "county", "budget_min_wan", "budget_max_wan", "deadline",
    "cooperation_mode", "problem", "indicators", "tried", "expected_outcome", "contact_name", "contact_phone",
)
COLUMNS: dict[str, str] = {FIELD_LABELS[f]: f for f in IMPORTED_FIELDS} | {"发榜企业": "org_name", FIELD_LABELS["disclosure"]: "disclosure"}
REQUIRED_COLUMNS = ("需求名称", "需求摘要", "行业", "改造方向", "所在县（市、区）", "合作方式", "技术难题", "指标要求", "发榜企业")
FIELD_COLUMN = {v: k for k, v in COLUMNS.items()}

_TRACK_WORDS = {**{v: k for k, v in TRACKS.items()}, "数字化": "digital", "绿色化": "green", "数字化+绿色化": "both", "两者": "both"}
_DISCLOSURE_WORDS = {v: k for k, v in DISCLOSURES.items()}

class RowProblem(BaseModel):
    row: int
    column: str | None
    field: str | None
    message: str


class ImportReport(BaseModel):
    ok: bool
    rows: int
    created: int
    need_ids: list[int] = []
    # The imported needs' titles, in the order of need_ids (what the page lists).
    titles: list[str] = []
    problems: list[RowProblem] = []


@dataclass
class _Row:
    number: int
    org: Organisation | None
    need_in: NeedCreate | None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return str(value).strip()


def _normalise_header(value: Any) -> str:
    return _text(value).replace("(", "（").replace(")", "）").replace(" ", "")


def _date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date) or value is None:
        return value
    text = _text(value)
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", text)
    if match:
        try:
            return dt.date(*(int(g) for g in match.groups()))
        except ValueError:
            return text
    return text or None


def _number(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value.strip() if isinstance(value, str) else value


def _row_data(cells: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for header, field in COLUMNS.items():
        if field == "org_name" or header not in cells:
            continue
        value = cells[header]
        if field in ("budget_min_wan", "budget_max_wan"):
            data[field] = _number(value)
        elif field == "deadline":
            data[field] = _date(value)
        elif field == "track":
            text = _text(value)
            data[field] = _TRACK_WORDS.get(text, text)
        elif field == "disclosure":
            text = _text(value)
            data[field] = _DISCLOSURE_WORDS.get(text, text) or "public"
        else:
            data[field] = _text(value)
    return data


def _problems(number: int, exc: ValidationError) -> list[RowProblem]:
    out = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err.get("loc", ())) or None
        msg = validation_messages.message(err)  # Chinese for every type, bounds with their value
        if field is None and "预算" in msg:  # the model-level budget check names no field
            field = "budget_max_wan"
        out.append(RowProblem(row=number, column=FIELD_COLUMN.get(field or ""), field=field, message=msg))
    return out


def _too_many_rows_problem(row: int) -> RowProblem:
    return RowProblem(
        row=row, column=None, field=None,
        message=f"工作表行数过多（含空行，最多 {MAX_SHEET_ROWS} 行）：请删除多余的空行，或分批导入",
    )


def _check_container(workbook_bytes: bytes) -> None:
    """Refuse a workbook that would unpack to more than ``MAX_UNPACKED_BYTES`` before opening it."""
    try:
        with zipfile.ZipFile(io.BytesIO(workbook_bytes)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise Invalid.field("file", "无法读取 Excel 文件，请使用平台提供的模板（.xlsx）") from exc
    if len(members) > MAX_MEMBERS or sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
        raise Invalid.field("file", f"Excel 文件解压后过大（上限 {MAX_UNPACKED_BYTES // (1024 * 1024)} MB），请删除多余内容或分批导入")


def _too_many_rows(workbook_bytes: bytes) -> int | None:
    """The first row number past ``MAX_SHEET_ROWS`` in any worksheet, counted by streaming its XML
    and stopping there; None when every sheet is within. openpyxl would parse a whole sheet that
    lacks a ``<dimension>`` before yielding its first row (2.5 s for 200,000 empty rows)."""
    with zipfile.ZipFile(io.BytesIO(workbook_bytes)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        for name in sheets:
            rows = 0
            with archive.open(name) as part:
                for _, element in ElementTree.iterparse(part, events=("end",)):
                    if element.tag.endswith("}row") or element.tag == "row":
                        rows += 1
                        if rows > MAX_SHEET_ROWS:
                            return rows
                        element.clear()  # keep memory flat: a row's cells are not needed here
    return None


def _read(workbook_bytes: bytes) -> tuple[list[tuple[int, dict[str, Any]]], list[RowProblem]]:
    """The data rows (row number, header → value), or the problems that stop reading the sheet."""
    _check_container(workbook_bytes)
    try:
        over = _too_many_rows(workbook_bytes)
    except (zipfile.BadZipFile, ElementTree.ParseError, KeyError, OSError, ValueError) as exc:
        raise Invalid.field("file", "无法读取 Excel 文件，请使用平台提供的模板（.xlsx）") from exc
    if over is not None:
        return [], [_too_many_rows_problem(over)]
    try:
        wb = load_workbook(io.BytesIO(workbook_bytes), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise Invalid.field("file", "无法读取 Excel 文件，请使用平台提供的模板（.xlsx）") from exc
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True, max_col=MAX_COLUMNS)
    header = next(rows, None)
    if header is None:
        return [], [RowProblem(row=1, column=None, field=None, message="工作表为空")]
    names = [_normalise_header(h) for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        return [], [RowProblem(row=1, column=c, field=COLUMNS[c], message="缺少该列") for c in missing]
    out: list[tuple[int, dict[str, Any]]] = []
    for number, values in enumerate(rows, start=2):
        if number > MAX_SHEET_ROWS:
            wb.close()
            return [], [_too_many_rows_problem(number)]
        cells = {names[i]: v for i, v in enumerate(values) if i < len(names) and names[i] in COLUMNS}
        if all(_text(v) == "" for v in cells.values()):
            continue
        out.append((number, cells))
        if len(out) > MAX_ROWS:
            return [], [RowProblem(row=number, column=None, field=None, message=f"一次最多导入 {MAX_ROWS} 条需求，请分批导入")]
    wb.close()
    return out, []


def import_needs(session: Session, actor: User, workbook_bytes: bytes) -> ImportReport:
    """Only the bureau imports; every row must pass or nothing is stored."""
    if not actor.is_bureau_staff:
        raise Forbidden("只有科技局工作人员可以批量导入需求")
    parsed, sheet_problems = _read(workbook_bytes)
    if sheet_problems:
        return ImportReport(ok=False, rows=0, created=0, problems=sheet_problems)
    if not parsed:
        return ImportReport(ok=False, rows=0, created=0, problems=[RowProblem(row=2, column=None, field=None, message="没有可导入的数据行")])

    org_names = {_text(cells.get("发榜企业")) for _, cells in parsed}
    orgs = {o.name: o for o in session.scalars(select(Organisation).where(Organisation.name.in_(org_names)))}
    problems: list[RowProblem] = []
    good: list[_Row] = []
    seen: dict[tuple[int, str], int] = {}
    for number, cells in parsed:
        row_problems: list[RowProblem] = []
        name = _text(cells.get("发榜企业"))
        org = orgs.get(name)
        if not name:
            row_problems.append(RowProblem(row=number, column="发榜企业", field="org_name", message="必填"))
        elif org is None:
            row_problems.append(RowProblem(row=number, column="发榜企业", field="org_name", message=f"平台上没有名为「{name}」的单位"))
        elif org.kind != OrgKind.enterprise:
            row_problems.append(RowProblem(row=number, column="发榜企业", field="org_name", message=f"「{name}」不是企业，不能发榜"))
        need_in: NeedCreate | None = None
        try:
            need_in = NeedCreate.model_validate(_row_data(cells))
        except ValidationError as exc:
            row_problems.extend(_problems(number, exc))
        if need_in is not None:
            for field in REQUIRED_FOR_REVIEW:
                if not getattr(need_in, field):
                    row_problems.append(RowProblem(row=number, column=FIELD_COLUMN[field], field=field, message="必填"))
            if org is not None:
                key = (org.id, need_in.title)
                if key in seen:
                    row_problems.append(RowProblem(
                        row=number, column="需求名称", field="title", message=f"与第 {seen[key]} 行重复（同一企业同名需求）"
                    ))
                seen.setdefault(key, number)
        problems.extend(row_problems)
        if not row_problems:
            good.append(_Row(number, org, need_in))
    # Same title already on the platform for the same enterprise (not withdrawn or rejected).
    if good:
        existing = set(
            session.execute(
                select(Need.org_id, Need.title).where(
                    Need.org_id.in_({r.org.id for r in good if r.org}),
                    Need.status.not_in([NeedStatus.withdrawn, NeedStatus.rejected]),
                )
            ).all()
        )
        for r in good:
            assert r.org is not None and r.need_in is not None
            if (r.org.id, r.need_in.title) in existing:
                problems.append(RowProblem(row=r.number, column="需求名称", field="title", message="该企业已有同名需求"))
    if problems:
        problems.sort(key=lambda p: (p.row, p.column or ""))
        return ImportReport(ok=False, rows=len(parsed), created=0, problems=problems)

    # Every row passed: store them all in the caller's transaction (its rollback undoes all).
    ids: list[int] = []
    titles: list[str] = []
    for r in good:
        assert r.org is not None and r.need_in is not None
        need = Need(org_id=r.org.id, created_by=actor.id, status=NeedStatus.draft, **r.need_in.model_dump())
        session.add(need)
        session.flush()
        audit.record(session, actor.id, "need.imported", "need", need.id, {"row": r.number, "title": need.title})
        service._move(session, need, actor, NeedStatus.submitted, reason_text="科技局批量导入")
        notify.notify_org(
            session, r.org.id, "need.imported", f"科技局已代为录入需求：{need.title}", "需求已进入审核，请核对内容。",
            f"/enterprise/needs/{need.id}",
        )
        ids.append(need.id)
        titles.append(need.title)
    session.flush()
    return ImportReport(ok=True, rows=len(parsed), created=len(ids), need_ids=ids, titles=titles)


# --- template ---------------------------------------------------------------------------------

_EXAMPLE = {
    "需求名称": "冲压模具在线磨损监测与寿命预测",
    "需求摘要": "需要在高速冲压线上在线监测模具磨损并预测剩余寿命，减少批量毛刺缺陷。",
    "行业": "汽车制造",
    "改造方向": "数字化改造",
    "所在县（市、区）": "南湖区",
    "预算下限（万元）": 50,
    "预算上限（万元）": 120,
    "截止日期": "2027-06-30",
    "合作方式": "技术开发",
    "技术难题": "模具磨损靠人工抽检，换模不及时导致批量毛刺。",
    "指标要求": "磨损识别准确率≥95%，寿命预测误差≤10%",
    "已尝试方案": "振动传感器阈值报警，误报率高。",
    "预期成果": "在线监测系统一套，接入 MES。",
    "联系人": "王工",
    "联系电话": "0573-88888888",
    "发榜企业": "（填写平台上已注册的企业全称）",
    "公开方式": "公开",
}
_WIDTHS = {"需求名称": 30, "需求摘要": 40, "技术难题": 40, "指标要求": 30, "已尝试方案": 30, "预期成果": 30, "发榜企业": 30}


def template_workbook() -> bytes:
    """The import template: the header row, drop-down lists for the fixed vocabularies, and a
    second sheet with instructions and an example row (never imported)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "需求"
    lists = wb.create_sheet("可选值")
    vocab = {
        "行业": list(INDUSTRIES),
        "改造方向": list(TRACKS.values()),
        "所在县（市、区）": list(COUNTIES),
        "合作方式": list(COOPERATION_MODES),
        "公开方式": list(DISCLOSURES.values()),
    }
    headers = list(COLUMNS)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for col, header in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=col, value=header)
        cell.font = Font(bold=True, color="C00000" if header in REQUIRED_COLUMNS else "000000")
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(col)].width = _WIDTHS.get(header, 16)
    ws.freeze_panes = "A2"
    for i, (header, values) in enumerate(vocab.items(), start=1):
        letter = get_column_letter(i)
        lists.cell(row=1, column=i, value=header).font = Font(bold=True)
        for r, v in enumerate(values, start=2):
            lists.cell(row=r, column=i, value=v)
        lists.column_dimensions[letter].width = 22
        dv = DataValidation(type="list", formula1=f"'可选值'!${letter}$2:${letter}${len(values) + 1}", allow_blank=True)
        dv.error = "请从下拉列表中选择"
        dv.errorTitle = "取值不在可选范围内"
        target = get_column_letter(headers.index(header) + 1)
        dv.add(f"{target}2:{target}{MAX_ROWS + 1}")
        ws.add_data_validation(dv)
    help_ws = wb.create_sheet("填写说明")
    notes = [
        "1. 在「需求」工作表第 2 行起每行填写一项需求，不要修改表头。红色表头为必填列。",
        "2. 发榜企业须为平台上已注册的企业全称；导入后需求进入待审核状态。",
        "3. 行业、改造方向、所在县（市、区）、合作方式、公开方式请从下拉列表选择（见「可选值」）。",
        "4. 预算单位为万元；截止日期格式为 YYYY-MM-DD。",
        f"5. 任一行有误时整表不导入，系统会逐行列出问题；每次最多 {MAX_ROWS} 行。",
        "",
        "示例（此行不会被导入）：",
    ]
    for r, line in enumerate(notes, start=1):
        help_ws.cell(row=r, column=1, value=line)
    start = len(notes) + 1
    for col, header in enumerate(headers, start=1):
        help_ws.cell(row=start, column=col, value=header).font = Font(bold=True)
        help_ws.cell(row=start + 1, column=col, value=_EXAMPLE.get(header, ""))
    help_ws.column_dimensions["A"].width = 30
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
