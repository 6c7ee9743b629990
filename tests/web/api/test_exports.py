from __future__ import annotations

import datetime as dt
import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from market.batches.models import Batch
from market.orgs.models import User
from tests import factories

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sheet(content: bytes):  # type: ignore[no-untyped-def]
    return load_workbook(io.BytesIO(content)).active


def _values(ws) -> list[list[object]]:  # type: ignore[no-untyped-def]
    return [[c.value for c in row] for row in ws.iter_rows()]


def _batch(session: Session, status: str, *needs) -> Batch:  # type: ignore[no-untyped-def]
    seq = session.query(Batch).filter(Batch.year == 2031).count() + 1
    batch = Batch(year=2031, seq=seq, status=status)
    session.add(batch)
    session.flush()
    for n in needs:
        n.batch_id = batch.id
    session.flush()
    return batch


def test_published_batch_exports_public_fields_numbered(
    client: TestClient, session: Session, enterprise_user: User, bureau_user: User, auth
) -> None:
    a = factories.create_need(session, org=enterprise_user.org, status="published", title="冲压模具在线磨损监测")
    b = factories.create_need(session, org=enterprise_user.org, status="published", title="匿名发布的光伏隐裂检测", anonymous=True, contact_phone="13900001111")
    batch = _batch(session, "published", a, b)
    r = client.get(f"/api/v1/batches/{batch.id}/export.xlsx")
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    assert "attachment" in r.headers["content-disposition"]
    ws = _sheet(r.content)
    rows = _values(ws)
    assert rows[0][:4] == ["序号", "需求编号", "需求名称", "发榜企业"] and ws.freeze_panes == "A2"
    assert ws.column_dimensions["C"].width > 20
    assert [row[0] for row in rows[1:]] == [1, 2]
    assert rows[1][3] == enterprise_user.org.name and rows[2][3] == "（匿名）"
    flat = str(rows)
    assert "13900001111" not in flat and "技术难题" not in flat
    draft = _batch(session, "draft", factories.create_need(session, org=enterprise_user.org, status="approved"))
    assert client.get(f"/api/v1/batches/{draft.id}/export.xlsx").status_code == 404
    assert client.get(f"/api/v1/batches/{draft.id}/export.xlsx", headers=auth(enterprise_user)).status_code == 404
    assert client.get(f"/api/v1/batches/{draft.id}/export.xlsx", headers=auth(bureau_user)).status_code == 200


def test_needs_export_follows_list_visibility(
    client: TestClient, session: Session, enterprise_user: User, other_enterprise_user: User, bureau_user: User, auth
) -> None:
    public = factories.create_need(session, org=enterprise_user.org, status="published", title="公开的在榜需求一项", industry="造纸")
    draft = factories.create_need(session, org=enterprise_user.org, status="draft", title="尚未提交的草稿需求", industry="造纸")
    titles = lambda r: {row[2] for row in _values(_sheet(r.content))[1:]}  # noqa: E731
    anon = client.get("/api/v1/exports/needs.xlsx?industry=造纸")
    assert anon.status_code == 200
    assert public.title in titles(anon) and draft.title not in titles(anon)
    assert draft.title not in titles(client.get("/api/v1/exports/needs.xlsx?industry=造纸", headers=auth(other_enterprise_user)))
    assert draft.title in titles(client.get("/api/v1/exports/needs.xlsx?industry=造纸&mine=true", headers=auth(enterprise_user)))
    staff = client.get("/api/v1/exports/needs.xlsx?industry=造纸", headers=auth(bureau_user))
    header = _values(_sheet(staff.content))[0]
    assert "联系电话" in header and draft.title in titles(staff)
    assert "联系电话" not in _values(_sheet(anon.content))[0]
    assert client.get("/api/v1/exports/needs.xlsx?track=bad").status_code == 422


def test_responses_and_deals_exports_are_scoped(
    client: TestClient, session: Session, enterprise_user: User, provider_user: User, other_enterprise_user: User, bureau_user: User, auth
) -> None:
    need = factories.create_need(session, org=enterprise_user.org, status="published")
    resp = client.post(
        f"/api/v1/needs/{need.id}/responses", json={"approach": "=HYPERLINK(\"http://evil\") 方案内容足够长", "price_wan": 60},
        headers=auth(provider_user),
    ).json()
    r = client.get(f"/api/v1/exports/needs/{need.id}/responses.xlsx", headers=auth(enterprise_user))
    assert r.status_code == 200
    rows = _values(_sheet(r.content))
    assert rows[0][2] == "揭榜单位" and rows[1][2] == provider_user.org.name
    ws = _sheet(r.content)
    assert ws.cell(row=2, column=7).data_type == "s" and rows[1][6].startswith("=HYPERLINK")  # stays text, never a formula
    assert client.get(f"/api/v1/exports/needs/{need.id}/responses.xlsx", headers=auth(provider_user)).status_code == 404
    assert client.get(f"/api/v1/exports/needs/{need.id}/responses.xlsx", headers=auth(other_enterprise_user)).status_code == 404
    client.post(f"/api/v1/responses/{resp['id']}/select", headers=auth(enterprise_user))
    assert client.get("/api/v1/exports/deals.xlsx", headers=auth(enterprise_user)).status_code == 403
    assert client.get("/api/v1/exports/deals.xlsx").status_code == 401
    r = client.get(f"/api/v1/exports/deals.xlsx?year={dt.date.today().year}&county=南湖区", headers=auth(bureau_user))
    assert r.status_code == 200
    rows = _values(_sheet(r.content))
    assert rows[0][:3] == ["序号", "项目编号", "需求名称"]
    assert any(row[2] == need.title and row[7] == "对接中" for row in rows[1:])


def test_a_batch_export_shows_what_the_public_pages_show_in_their_reviewed_form(
    client: TestClient, session: Session, enterprise_user: User, auth
) -> None:
    """Issue 14, finding 5: no expired need the need page hides, and no unreviewed edit."""
    from market.needs.schemas import NeedUpdate
    from market.needs.service import update_need

    shown = factories.create_need(session, org=enterprise_user.org, status="published", title="在榜的冲压模具监测需求")
    expired = factories.create_need(session, org=enterprise_user.org, status="expired", title="已过期不应公开的需求")
    batch = _batch(session, "published", shown, expired)
    assert client.get(f"/api/v1/needs/{expired.id}").status_code == 404
    update_need(
        session, enterprise_user, shown.id,
        NeedUpdate.model_validate(factories.need_fields(title="未经审核的新标题一项", summary="未经审核的新摘要，不能出现在公开榜单里。")),
    )
    session.flush()
    rows = _values(_sheet(client.get(f"/api/v1/batches/{batch.id}/export.xlsx").content))
    text = repr(rows)
    assert [r[1] for r in rows[1:]] == [shown.id]
    assert "已过期不应公开的需求" not in text and "未经审核" not in text and "在榜的冲压模具监测需求" in text
    assert "待审核" not in text
