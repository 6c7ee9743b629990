"""Recognitions over HTTP: apply, review, recognise with the computed award, who may do what."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from market.audit.models import AuditEntry
from market.db import CST
from market.orgs.models import User
from market.recognitions.models import Recognition
from tests import factories

BODY = {
    "product_name": "新能源汽车电机壳高速压铸单元",
    "category": "equipment",
    "level": "provincial",
    "year": 2024,
    "insured_value_wan": 800,
    "premium_wan": 20,
    "evidence": [{"title": "省经信厅首台（套）认定文件", "url": "https://example.gov.cn/notice/123"}],
}


def test_apply_review_recognise(
    client: TestClient, session: Session, enterprise_user: User, bureau_user: User, auth
) -> None:
    ent, bur = auth(enterprise_user), auth(bureau_user)
    r = client.post("/api/v1/recognitions", json=BODY, headers=ent)
    assert r.status_code == 201, r.text
    rec = r.json()
    assert rec["status"] == "applied" and rec["org_id"] == enterprise_user.org_id and rec["award_wan"] is None
    assert rec["category_label"] == "首台（套）装备"

    preview = client.get(f"/api/v1/recognitions/{rec['id']}/quote", headers=ent).json()
    assert preview["total_wan"] == 61.2  # 50 + min(20, 800×2%=16)×70% = 11.2

    assert client.post(f"/api/v1/recognitions/{rec['id']}/review", json={}, headers=ent).status_code == 403
    assert client.post(f"/api/v1/recognitions/{rec['id']}/recognise", json={}, headers=bur).status_code == 409
    assert (
        client.post(
            f"/api/v1/recognitions/{rec['id']}/review", json={"notes": "材料齐全"}, headers=bur
        ).status_code
        == 200
    )
    # 专家评审: two experts (the office's minimum) score before the notice
    experts = [factories.expert(session), factories.expert(session)]
    for e in experts:
        r = client.post(f"/api/v1/recognitions/{rec['id']}/experts", json={"expert_id": e.id}, headers=bur)
        assert r.status_code == 201, r.text
    first = client.put(f"/api/v1/recognitions/{rec['id']}/score", json={"score": 88, "comment": "国内首创"}, headers=auth(experts[0]))
    assert first.status_code == 200 and first.json()["score"] == 88
    r = client.post(f"/api/v1/recognitions/{rec['id']}/finish-review", headers=bur)
    assert r.status_code == 409 and "1 位专家未完成评分" in r.json()["error"]["message"]
    client.put(f"/api/v1/recognitions/{rec['id']}/score", json={"score": 80, "comment": "指标先进"}, headers=auth(experts[1]))
    assert client.post(f"/api/v1/recognitions/{rec['id']}/finish-review", headers=bur).json()["status"] == "scored"
    today = dt.datetime.now(CST).date()
    notice = {"notice_start": today.isoformat(), "notice_end": (today + dt.timedelta(days=9)).isoformat()}
    on = client.post(f"/api/v1/recognitions/{rec['id']}/notice", json=notice, headers=bur).json()
    assert on["status"] == "on_notice" and on["status_label"] == "公示中"
    r = client.post(f"/api/v1/recognitions/{rec['id']}/recognise", json={}, headers=bur)
    assert r.status_code == 409 and "公示期满后才能认定" in r.json()["error"]["message"]
    # the notice period passes
    row = session.get(Recognition, rec["id"])
    assert row is not None and row.notice_start and row.notice_end
    row.notice_start, row.notice_end = today - dt.timedelta(days=12), today - dt.timedelta(days=1)
    session.flush()
    done = client.post(f"/api/v1/recognitions/{rec['id']}/recognise", json={}, headers=bur).json()
    assert done["status"] == "recognised" and done["award_wan"] == 61.2
    assert done["policy_version"] == "jiaxing-2022.1"
    assert "11.2 万元" in done["award_lines"][1]["explanation"]
    assert session.scalars(
        select(AuditEntry.action).where(
            AuditEntry.object_type == "recognition", AuditEntry.object_id == rec["id"]
        )
    ).all() == [
        "recognition.applied", "recognition.reviewed", "recognition.expert_assigned", "recognition.expert_assigned",
        "recognition.expert_scored", "recognition.expert_scored", "recognition.scored", "recognition.on_notice",
        "recognition.recognised",
    ]  # fmt: skip

    # the upgrade the next year pays the difference only
    up = client.post(
        "/api/v1/recognitions",
        json={**BODY, "level": "national", "year": 2025, "insured_value_wan": None, "premium_wan": None},
        headers=ent,
    ).json()
    factories.notice_served(session, bureau_user, up["id"])
    up_done = client.post(f"/api/v1/recognitions/{up['id']}/recognise", json={}, headers=bur).json()
    assert up_done["award_wan"] == 100.0
    assert "补差额 = 150.0 − 50.0 = 100.0 万元" in up_done["award_lines"][0]["explanation"]


def test_reject_needs_a_reason(client: TestClient, enterprise_user: User, bureau_user: User, auth) -> None:
    rec = client.post("/api/v1/recognitions", json=BODY, headers=auth(enterprise_user)).json()
    r = client.post(f"/api/v1/recognitions/{rec['id']}/reject", json={}, headers=auth(bureau_user))
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "reason"
    r = client.post(
        f"/api/v1/recognitions/{rec['id']}/reject", json={"reason": "证明材料不足"}, headers=auth(bureau_user)
    )
    assert r.json()["status"] == "rejected" and r.json()["reason"] == "证明材料不足"


def test_visibility_and_ownership(
    client: TestClient, enterprise_user: User, other_enterprise_user: User, bureau_user: User, auth
) -> None:
    rec = client.post("/api/v1/recognitions", json=BODY, headers=auth(enterprise_user)).json()
    assert (
        client.get(f"/api/v1/recognitions/{rec['id']}", headers=auth(other_enterprise_user)).status_code
        == 404
    )
    assert client.get("/api/v1/recognitions", headers=auth(other_enterprise_user)).json()["total"] == 0
    assert client.get("/api/v1/recognitions", headers=auth(enterprise_user)).json()["total"] == 1
    assert client.get("/api/v1/recognitions?status=applied", headers=auth(bureau_user)).json()["total"] >= 1
    r = client.post(
        "/api/v1/recognitions",
        json={**BODY, "org_id": other_enterprise_user.org_id},
        headers=auth(enterprise_user),
    )
    assert r.status_code == 403
    assert client.get("/api/v1/recognitions").status_code == 401


def test_clients_cannot_set_status_or_award(client: TestClient, enterprise_user: User, auth) -> None:
    r = client.post(
        "/api/v1/recognitions",
        json={**BODY, "status": "recognised", "award_wan": 999},
        headers=auth(enterprise_user),
    )
    assert r.status_code == 422
    assert {d["field"] for d in r.json()["error"]["details"]} == {"status", "award_wan"}


def test_level_checked_against_policy_with_field(client: TestClient, enterprise_user: User, auth) -> None:
    r = client.post(
        "/api/v1/recognitions",
        json={
            **BODY,
            "category": "innovation_center",
            "level": "municipal",
            "premium_wan": None,
            "insured_value_wan": None,
        },
        headers=auth(enterprise_user),
    )
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "level"
    assert "制造业创新中心" in r.json()["error"]["message"]


def test_payout_api_and_the_public_list(client: TestClient, session: Session, bureau_user: User, enterprise_user: User, auth) -> None:  # type: ignore[no-untyped-def]
    ent, bur = auth(enterprise_user), auth(bureau_user)
    body = {"product_name": "高速冲压模具在线监测系统", "product_code": "PM-1", "category": "equipment", "level": "municipal", "year": 2025}
    rec = client.post("/api/v1/recognitions", json=body, headers=ent).json()
    factories.notice_served(session, bureau_user, rec["id"])
    client.post(f"/api/v1/recognitions/{rec['id']}/recognise", json={}, headers=bur)
    pay = {"amount_wan": 15, "paid_on": "2026-11-30", "payment_batch": "2026 年第二批奖补资金"}
    assert client.post(f"/api/v1/recognitions/{rec['id']}/payouts", json=pay, headers=ent).status_code == 403
    r = client.post(f"/api/v1/recognitions/{rec['id']}/payouts", json=pay, headers=bur)
    assert r.status_code == 201, r.text
    assert (r.json()["paid_wan"], r.json()["due_wan"]) == (15, 5)
    mine = client.get(f"/api/v1/recognitions/{rec['id']}", headers=ent).json()
    assert mine["due_wan"] == 5 and mine["payouts"][0]["payment_batch"] == "2026 年第二批奖补资金"
    public = client.get("/api/v1/recognitions/public", params={"year": 2025, "level": "municipal"}).json()
    assert [p["product_name"] for p in public["items"]] == ["高速冲压模具在线监测系统"]
    assert "award_wan" not in public["items"][0]
