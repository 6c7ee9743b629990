"""Registration over the API refuses a 统一社会信用代码 with a wrong check digit, field-named."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from market.orgs.models import Organisation

API = "/api/v1"
REG = {
    "org_name": "嘉兴接口校验测试有限公司",
    "org_kind": "enterprise",
    "email": "uscc-api@test.jiebang.cn",
    "display_name": "王工",
    "password": "Passw0rd!2026",
}


def test_register_refuses_wrong_check_digit(client: TestClient, session: Session) -> None:
    r = client.post(f"{API}/auth/register", json={**REG, "credit_code": "91350100M000100Y44"})
    assert r.status_code == 422, r.text
    details = r.json()["error"]["details"]
    assert [d["field"] for d in details] == ["credit_code"]
    assert "校验位不正确" in details[0]["message"]
    assert session.scalar(select(Organisation).where(Organisation.name == REG["org_name"])) is None


def test_register_stores_a_valid_code_upper_case(client: TestClient, session: Session) -> None:
    r = client.post(f"{API}/auth/register", json={**REG, "credit_code": "91350100m000100y43"})
    assert r.status_code == 202, r.text  # 已提交: the same answer whether or not the e-mail exists
    org = session.scalar(select(Organisation).where(Organisation.name == REG["org_name"]))
    assert org is not None and org.credit_code == "91350100M000100Y43"
