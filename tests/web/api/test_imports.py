from __future__ import annotations

import datetime as dt
import io

from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market.audit.models import AuditEntry
from market.needs.importer import COLUMNS
from market.needs.models import Need
from market.orgs.models import Organisation, User

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _row(org: Organisation, **over: object) -> dict[str, object]:
    row: dict[str, object] = {
        "需求名称": "印染废水深度处理与中水回用",
        "需求摘要": "印染废水 COD 高、色度大，需要深度处理后回用，降低新鲜水消耗。",
        "行业": "纺织服装",
        "改造方向": "绿色化改造",
        "所在县（市、区）": "桐乡市",
        "预算下限（万元）": 100,
        "预算上限（万元）": 300,
        "截止日期": dt.datetime(2027, 6, 30),
        "合作方式": "技术开发",
        "技术难题": "现有生化工艺出水色度不稳定。",
        "指标要求": "回用率≥60%，COD≤50mg/L",
        "已尝试方案": "",
        "预期成果": "中水回用示范线一条",
        "联系人": "李工",
        "联系电话": 57388886666,
        "发榜企业": org.name,
        "公开方式": "公开",
    }
    row.update(over)
    return row


def _book(rows: list[dict[str, object]], headers: list[str] | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    headers = headers or list(COLUMNS)
    ws.append(headers)
    for row in rows:
        ws.append([row.get(h) for h in headers])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _upload(client: TestClient, headers: dict[str, str], data: bytes, name: str = "needs.xlsx"):
    return client.post("/api/v1/imports/needs", files={"file": (name, data, XLSX)}, headers=headers)


def test_valid_sheet_imports_all_rows_as_submitted(
    client: TestClient, session: Session, bureau_user: User, enterprise_user: User, other_enterprise_user: User, auth
) -> None:
    rows = [_row(enterprise_user.org), _row(other_enterprise_user.org, 需求名称="光伏组件隐裂在线检测", 改造方向="数字化改造", 行业="光伏", 公开方式="签署保密承诺后可见")]
    r = _upload(client, auth(bureau_user), _book(rows))
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["ok"] is True and report["created"] == 2 and report["problems"] == []
    needs = [session.get(Need, i) for i in report["need_ids"]]
    assert {n.org_id for n in needs} == {enterprise_user.org_id, other_enterprise_user.org_id}
    assert all(n.status == "submitted" and n.created_by == bureau_user.id for n in needs)
    assert needs[0].track == "green" and needs[0].deadline == dt.date(2027, 6, 30) and needs[0].contact_phone == "57388886666"
    assert needs[1].disclosure == "nda"
    assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "need.imported", AuditEntry.object_id.in_(report["need_ids"]))) == 2


def test_any_bad_row_stores_nothing_and_reports_every_problem(
    client: TestClient, session: Session, bureau_user: User, enterprise_user: User, provider_user: User, auth
) -> None:
    before = session.scalar(select(func.count(Need.id)))
    rows = [
        _row(enterprise_user.org),
        _row(enterprise_user.org, **{"需求名称": "秸秆造纸黑液资源化", "所在县（市、区）": "杭州市"}),
        _row(enterprise_user.org, 需求名称="某某需求一项", 发榜企业="不存在的公司"),
        _row(provider_user.org, 需求名称="高校不能发榜的需求", 指标要求=""),
        _row(enterprise_user.org),  # duplicate of row 2
        _row(enterprise_user.org, 需求名称="日期格式错误的需求", 截止日期="明年六月", 改造方向="智能化"),
        _row(enterprise_user.org, **{"需求名称": "预算颠倒的一项需求", "预算下限（万元）": 500}),
    ]
    r = _upload(client, auth(bureau_user), _book(rows))
    report = r.json()
    assert r.status_code == 200 and report["ok"] is False and report["created"] == 0 and report["rows"] == 7
    found = {(p["row"], p["column"]) for p in report["problems"]}
    assert {(3, "所在县（市、区）"), (4, "发榜企业"), (5, "发榜企业"), (5, "指标要求"), (6, "需求名称"), (7, "截止日期"), (7, "改造方向"), (8, "预算上限（万元）")} <= found
    assert (2, "需求名称") not in found
    messages = {(p["row"], p["column"]): p["message"] for p in report["problems"]}
    assert "县" in messages[(3, "所在县（市、区）")] and "不存在的公司" in messages[(4, "发榜企业")]
    assert "不是企业" in messages[(5, "发榜企业")] and "第 2 行" in messages[(6, "需求名称")]
    assert session.scalar(select(func.count(Need.id))) == before


def test_missing_columns_and_empty_sheet(client: TestClient, bureau_user: User, enterprise_user: User, auth) -> None:
    headers = [h for h in COLUMNS if h not in ("行业", "发榜企业")]
    report = _upload(client, auth(bureau_user), _book([_row(enterprise_user.org)], headers)).json()
    assert report["ok"] is False and {p["column"] for p in report["problems"]} == {"行业", "发榜企业"}
    report = _upload(client, auth(bureau_user), _book([])).json()
    assert report["ok"] is False and report["created"] == 0


def test_upload_is_content_checked_and_bureau_only(
    client: TestClient, session: Session, bureau_user: User, enterprise_user: User, auth
) -> None:
    data = _book([_row(enterprise_user.org)])
    assert _upload(client, auth(enterprise_user), data).status_code == 403
    assert _upload(client, {}, data).status_code == 401
    r = _upload(client, auth(bureau_user), b"%PDF-1.4 not a sheet", "needs.xlsx")
    assert r.status_code == 422
    r = _upload(client, auth(bureau_user), b"%PDF-1.4 not a sheet", "needs.pdf")
    assert r.status_code == 422 and "xlsx" in r.json()["error"]["message"]
    r = _upload(client, auth(bureau_user), b"PK\x03\x04 xl/ broken zip", "needs.xlsx")
    assert r.status_code == 422 and "无法读取" in r.json()["error"]["message"]


def test_template_downloads_and_round_trips(client: TestClient, bureau_user: User, enterprise_user: User, auth) -> None:
    assert client.get("/api/v1/imports/needs/template", headers=auth(enterprise_user)).status_code == 403
    r = client.get("/api/v1/imports/needs/template", headers=auth(bureau_user))
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    wb = load_workbook(io.BytesIO(r.content))
    ws = wb["需求"]
    assert [c.value for c in ws[1]] == list(COLUMNS) and ws.freeze_panes == "A2"
    assert "可选值" in wb.sheetnames and "填写说明" in wb.sheetnames
    # Fill the template's first data row and import it.
    for col, header in enumerate(COLUMNS, start=1):
        ws.cell(row=2, column=col, value=_row(enterprise_user.org).get(header))
    buf = io.BytesIO()
    wb.save(buf)
    report = _upload(client, auth(bureau_user), buf.getvalue()).json()
    assert report["ok"] is True and report["created"] == 1
