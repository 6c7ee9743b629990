"""奖补兑现 over HTTP: the bureau's list of recognised items with award, paid and still due (summed
in SQL, filtered, paginated), payouts refused when they over-pay or are dated in the future, the
public list of recognised products, and the exports that list exactly what the lists show."""

from __future__ import annotations

import datetime as dt
import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market.db import CST
from market.orgs.models import User
from market.recognitions import service as rs
from market.recognitions.models import Recognition, RecognitionPayout
from market.recognitions.schemas import PayoutIn, RecognitionCreate, RecognitionDecision
from tests import factories

PAY = {"amount_wan": 5, "paid_on": "2026-04-20", "payment_batch": "2026 年第一批奖补资金"}


def recognised(
    session: Session, bureau: User, user: User, product: str, *, level: str = "municipal", year: int = 2025,
    category: str = "equipment", code: str | None = None,
) -> Recognition:  # fmt: skip
    rec = rs.apply(session, user, RecognitionCreate.model_validate(
        {"product_name": product, "product_code": code, "category": category, "level": level, "year": year}
    ))  # fmt: skip
    factories.notice_served(session, bureau, rec.id)
    rs.recognise(session, bureau, rec.id, RecognitionDecision())
    session.flush()
    return rec


def pay(session: Session, bureau: User, rec: Recognition, amount: float, on: str = "2026-04-20") -> None:
    rs.record_payout(session, bureau, rec.id, PayoutIn(amount_wan=amount, paid_on=dt.date.fromisoformat(on), payment_batch="第一批"))
    session.flush()


def _rows(content: bytes) -> list[list[object]]:
    ws = load_workbook(io.BytesIO(content)).active
    return [[c.value for c in row] for row in ws.iter_rows()]


def _world(session: Session, bureau: User, enterprise_user: User) -> dict[str, Recognition]:
    """Three enterprises in two counties: one item fully paid, one partly, one not at all, one
    still under review (not on the payout list)."""
    haining = factories.create_org(session, county="海宁市", industry="纺织")
    h_user = factories.create_user(session, haining)
    full = recognised(session, bureau, enterprise_user, "全部兑现的压铸单元")  # 20 万元
    pay(session, bureau, full, 12)
    pay(session, bureau, full, 8, "2026-05-20")
    part = recognised(session, bureau, h_user, "部分兑现的经编机", level="provincial", year=2024)  # 50 万元
    pay(session, bureau, part, 30)
    none = recognised(session, bureau, h_user, "未兑现的新材料", category="material", level="municipal")
    open_one = rs.apply(session, h_user, RecognitionCreate.model_validate(
        {"product_name": "尚在初审的软件", "category": "software", "level": "municipal", "year": 2025}
    ))  # fmt: skip
    session.flush()
    return {"full": full, "part": part, "none": none, "open": open_one}


def test_the_payout_list_sums_award_paid_and_due_and_filters(
    client: TestClient, session: Session, bureau_user: User, enterprise_user: User, auth
) -> None:
    w = _world(session, bureau_user, enterprise_user)
    bur = auth(bureau_user)
    r = client.get("/api/v1/recognitions/payouts", headers=bur)
    assert r.status_code == 200, r.text
    body = r.json()
    by_id = {i["id"]: i for i in body["items"]}
    assert w["open"].id not in by_id  # recognised items only
    assert (by_id[w["full"].id]["paid_wan"], by_id[w["full"].id]["due_wan"], by_id[w["full"].id]["fully_paid"]) == (20, 0, True)
    assert (by_id[w["part"].id]["paid_wan"], by_id[w["part"].id]["due_wan"], by_id[w["part"].id]["payouts_count"]) == (30, 20, 1)
    assert by_id[w["full"].id]["last_paid_on"] == "2026-05-20"
    none_award = by_id[w["none"].id]["award_wan"]
    assert by_id[w["none"].id]["paid_wan"] == 0 and by_id[w["none"].id]["due_wan"] == none_award
    assert body["totals"] == {"count": 3, "award_wan": 70 + none_award, "paid_wan": 50, "due_wan": 20 + none_award}

    def ids(**params: object) -> list[int]:
        return [i["id"] for i in client.get("/api/v1/recognitions/payouts", params=params, headers=bur).json()["items"]]

    assert ids(paid="paid") == [w["full"].id]
    assert ids(paid="due") == [w["none"].id, w["part"].id]  # newest first
    assert ids(county="海宁市") == [w["none"].id, w["part"].id]
    assert ids(year=2024) == [w["part"].id]
    assert ids(category="material") == [w["none"].id]
    assert ids(county="海宁市", paid="due", year=2025) == [w["none"].id]
    page = client.get("/api/v1/recognitions/payouts", params={"per_page": 2, "page": 2}, headers=bur).json()
    assert [i["id"] for i in page["items"]] == [w["full"].id] and page["total"] == 3
    assert page["totals"]["count"] == 3  # the sums cover the whole filtered list, not the page
    assert client.get("/api/v1/recognitions/payouts", params={"per_page": 101}, headers=bur).status_code == 422
    assert client.get("/api/v1/recognitions/payouts", params={"paid": "some"}, headers=bur).status_code == 422
    assert client.get("/api/v1/recognitions/payouts", headers=auth(enterprise_user)).status_code == 403
    assert client.get("/api/v1/recognitions/payouts").status_code == 401


def test_a_payout_never_exceeds_what_is_due_nor_is_dated_in_the_future(
    client: TestClient, session: Session, bureau_user: User, enterprise_user: User, other_enterprise_user: User, auth
) -> None:
    rec = recognised(session, bureau_user, enterprise_user, "高速冲压模具在线监测系统")  # 20 万元
    bur = auth(bureau_user)
    url = f"/api/v1/recognitions/{rec.id}/payouts"
    assert client.post(url, json={**PAY, "amount_wan": 15}, headers=bur).status_code == 201
    over = client.post(url, json={**PAY, "amount_wan": 5.5}, headers=bur)
    assert over.status_code == 422
    err = over.json()["error"]
    assert err["details"][0]["field"] == "amount_wan"
    assert "超过待兑现金额（5 万元" in err["message"] and "不能超额兑现" in err["message"]
    tomorrow = (dt.datetime.now(CST).date() + dt.timedelta(days=1)).isoformat()
    future = client.post(url, json={**PAY, "paid_on": tomorrow}, headers=bur).json()["error"]
    assert [d["field"] for d in future["details"]] == ["paid_on"] and "不能晚于今天" in future["message"]
    fine = client.post(url, json={**PAY, "amount_wan": 1.00001}, headers=bur).json()["error"]
    assert fine["details"][0]["field"] == "amount_wan" and "精确到元" in fine["details"][0]["message"]
    assert client.post(url, json={**PAY, "amount_wan": 0}, headers=bur).status_code == 422
    hidden = client.post(url, json={**PAY, "payment_batch": "第一批\u202e"}, headers=bur).json()["error"]
    assert hidden["details"][0]["field"] == "payment_batch"  # the text rules of every input
    assert session.scalar(select(func.count()).select_from(RecognitionPayout)) == 1  # nothing refused was stored
    done = client.post(url, json=PAY, headers=bur)
    assert done.status_code == 201 and done.json()["due_wan"] == 0
    again = client.post(url, json={**PAY, "amount_wan": 1}, headers=bur)
    assert again.status_code == 409 and "已全部兑现" in again.json()["error"]["message"]
    listed = client.get(url, headers=auth(enterprise_user))
    assert [p["amount_wan"] for p in listed.json()] == [15, 5]
    assert client.get(url, headers=auth(other_enterprise_user)).status_code == 404
    assert client.get(url).status_code == 401


def test_a_zero_award_says_there_is_nothing_to_pay(client: TestClient, session: Session, bureau_user: User, enterprise_user: User, auth) -> None:
    first = recognised(session, bureau_user, enterprise_user, "同一产品", code="X-1", level="provincial")
    second = recognised(session, bureau_user, enterprise_user, "同一产品（更名）", code="X-1", level="municipal", year=2025)
    assert first.award_wan == 50 and second.award_wan == 0  # 就高不重复
    r = client.post(f"/api/v1/recognitions/{second.id}/payouts", json=PAY, headers=auth(bureau_user))
    assert r.status_code == 409 and "没有奖补资金" in r.json()["error"]["message"]


def test_the_public_list_filters_by_county_and_industry_and_bounds_the_page(
    client: TestClient, session: Session, bureau_user: User, enterprise_user: User
) -> None:
    w = _world(session, bureau_user, enterprise_user)
    r = client.get("/api/v1/recognitions/public", params={"county": "海宁市", "industry": "纺织"})
    assert r.status_code == 200
    assert [i["id"] for i in r.json()["items"]] == [w["none"].id, w["part"].id]
    assert "award_wan" not in r.text and "paid_wan" not in r.text
    assert client.get("/api/v1/recognitions/public", params={"industry": "造纸"}).json()["total"] == 0
    assert client.get("/api/v1/recognitions/public", params={"per_page": 1000}).status_code == 422
    assert client.get("/api/v1/recognitions/public", params={"county": "x" * 21}).status_code == 422


def test_the_recognitions_export_lists_the_filtered_list(
    client: TestClient, session: Session, bureau_user: User, enterprise_user: User, auth
) -> None:
    w = _world(session, bureau_user, enterprise_user)
    bur = auth(bureau_user)
    for params in ({}, {"paid": "due"}, {"county": "海宁市"}, {"paid": "paid"}, {"year": 2025, "category": "material"}):
        listed = client.get("/api/v1/recognitions/payouts", params={**params, "per_page": 100}, headers=bur).json()["items"]
        r = client.get("/api/v1/exports/recognitions.xlsx", params={**params, "status": "recognised"}, headers=bur)
        assert r.status_code == 200, r.text
        rows = _rows(r.content)
        assert rows[0][:3] == ["序号", "申报编号", "产品 / 项目"] and rows[0][10:13] == ["奖补（万元）", "已兑现（万元）", "待兑现（万元）"]
        assert [row[1] for row in rows[1:]] == [i["id"] for i in listed], params
        assert [(row[11], row[12]) for row in rows[1:]] == [(i["paid_wan"], i["due_wan"]) for i in listed]
    # the recognitions list (every status) and its filters
    listed = client.get("/api/v1/recognitions", params={"status": "applied", "per_page": 100}, headers=bur).json()["items"]
    rows = _rows(client.get("/api/v1/exports/recognitions.xlsx", params={"status": "applied"}, headers=bur).content)
    assert [row[1] for row in rows[1:]] == [i["id"] for i in listed] == [w["open"].id]
    assert rows[1][9] == "已申报" and rows[1][11] is None  # nothing paid or due before recognition
    # an enterprise exports its own only
    own = _rows(client.get("/api/v1/exports/recognitions.xlsx", headers=auth(enterprise_user)).content)
    assert [row[1] for row in own[1:]] == [w["full"].id]
    assert client.get("/api/v1/exports/recognitions.xlsx").status_code == 401
    assert client.get("/api/v1/exports/recognitions.xlsx", params={"paid": "x"}, headers=bur).status_code == 422


def test_the_orgs_export_follows_the_orgs_list(
    client: TestClient, session: Session, bureau_user: User, enterprise_user: User, auth
) -> None:
    pending = factories.create_org(session, verified=False, name="待认证的测试企业")
    session.flush()
    bur = auth(bureau_user)
    for params in ({}, {"verification": "pending"}, {"kind": "enterprise", "verification": "verified"}):
        listed = client.get("/api/v1/orgs", params={**params, "per_page": 100}, headers=bur).json()
        rows = _rows(client.get("/api/v1/exports/orgs.xlsx", params=params, headers=bur).content)
        assert [row[1] for row in rows[1:]] == [o["id"] for o in listed["items"]], params
    rows = _rows(client.get("/api/v1/exports/orgs.xlsx", params={"verification": "pending"}, headers=bur).content)
    assert rows[0][2] == "单位名称" and pending.name in {row[2] for row in rows[1:]}
    assert enterprise_user.org.name not in {row[2] for row in rows[1:]}
    assert client.get("/api/v1/exports/orgs.xlsx", headers=auth(enterprise_user)).status_code == 403
