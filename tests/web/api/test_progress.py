"""GET /api/v1/progress, the 晾晒 Excel and page show the same figures; targets are the bureau's."""

from __future__ import annotations

import datetime as dt
import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from market.orgs.models import User
from market.targets import service as targets
from tests import factories


def _published(session: Session, org_county: str, day: str, n: int) -> None:
    org = factories.create_org(session, county=org_county)
    for _ in range(n):
        need = factories.create_need(session, org=org, status="published", county=org_county)
        need.published_at = dt.datetime.fromisoformat(day + "T02:00:00+00:00")
    session.flush()


def test_progress_api_excel_and_page_agree(
    client: TestClient, session: Session, bureau_user: User, auth
) -> None:
    bur = auth(bureau_user)
    assert client.post("/api/v1/targets/seed", headers=bur).status_code == 200
    r = client.post(
        "/api/v1/targets",
        json={"metric": "needs_published", "year": 2022, "county": "海宁市", "value": 10},
        headers=bur,
    )
    assert r.status_code == 201, r.text
    _published(session, "海宁市", "2022-03-15", 5)
    _published(session, "南湖区", "2022-08-01", 3)

    body = client.get("/api/v1/progress", params={"year": 2022, "as_of": "2022-12-31"}).json()
    needs = next(t for t in body["targets"] if t["metric"] == "needs_published" and t["year"] == 2022)
    assert (needs["target"], needs["actual"], needs["completion_rate"]) == (200, 8, 0.04)
    hn = next(c for c in needs["by_county"] if c["county"] == "海宁市")
    assert (hn["target"], hn["actual"], hn["completion_rate"], hn["rank_by_rate"], hn["rank_by_count"]) == (
        10,
        5,
        0.5,
        1,
        1,
    )
    assert needs["quarterly"][0] == {"period": "2022Q1", "count": 5, "cumulative": 5}
    assert needs["status"] == "未完成"

    x = client.get("/api/v1/progress/report.xlsx", params={"year": 2022, "as_of": "2022-12-31"})
    assert x.status_code == 200 and x.headers["content-type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(x.content))
    overview = wb["总览"]
    rows = [[c.value for c in row] for row in overview.iter_rows(min_row=5)]
    api_rows = [
        [t["label"], t["target"], t["actual"], t["completion_rate"], t["status"]] for t in body["targets"]
    ]
    assert [[r[0], r[3], r[4], r[5], r[8]] for r in rows] == api_rows
    race = [[c.value for c in row] for row in wb["县（市、区）赛马"].iter_rows() if row[0].value == "海宁市"][
        0
    ]
    assert race[1:6] == [10, 5, 0.5, 1, 1]

    page = client.get("/api/v1/progress/report.html", params={"year": 2022, "as_of": "2022-12-31"})
    assert page.status_code == 200 and "<svg" in page.text
    assert "晾晒通报" in page.text and "4.0%" in page.text and "50.0%" in page.text


def test_only_bureau_edits_targets(
    client: TestClient, session: Session, bureau_user: User, enterprise_user: User, auth
) -> None:
    targets.seed_policy_targets(session)
    listed = client.get("/api/v1/targets", params={"year": 2022}).json()
    tid = next(t["id"] for t in listed if t["metric"] == "deals_signed")
    assert (
        client.patch(f"/api/v1/targets/{tid}", json={"value": 1}, headers=auth(enterprise_user)).status_code
        == 403
    )
    r = client.patch(f"/api/v1/targets/{tid}", json={"value": 120}, headers=auth(bureau_user))
    assert r.status_code == 200 and r.json()["value"] == 120
    new = client.post(
        "/api/v1/targets",
        json={"metric": "deals_signed", "year": 2026, "value": 160},
        headers=auth(bureau_user),
    )
    assert new.status_code == 201
    dup = client.post(
        "/api/v1/targets",
        json={"metric": "deals_signed", "year": 2026, "value": 170},
        headers=auth(bureau_user),
    )
    assert dup.status_code == 409
    bad = client.post(
        "/api/v1/targets",
        json={"metric": "deals_signed", "year": 2026, "county": "杭州市", "value": 1},
        headers=auth(bureau_user),
    )
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "county"
    assert client.delete(f"/api/v1/targets/{new.json()['id']}", headers=auth(bureau_user)).status_code == 204
    assert client.post("/api/v1/targets/seed", headers=auth(enterprise_user)).status_code == 403


def test_progress_year_validated(client: TestClient) -> None:
    r = client.get("/api/v1/progress", params={"year": 1800})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "year"


def test_departments_edit_splits_and_the_department_race(
    client: TestClient, session: Session, bureau_user: User, auth
) -> None:
    bur = auth(bureau_user)
    deps = client.get("/api/v1/targets/departments").json()
    assert "市科技局" in deps and "市经信局" in deps
    city = client.post(
        "/api/v1/targets", json={"metric": "needs_published", "year": 2022, "value": 10, "department": "市科技局"}, headers=bur
    )
    assert city.status_code == 201 and city.json()["department"] == "市科技局"
    over = client.post(
        "/api/v1/targets", json={"metric": "needs_published", "year": 2022, "county": "海宁市", "value": 11}, headers=bur
    )
    assert over.status_code == 422 and over.json()["error"]["details"][0]["field"] == "value"
    r = client.patch(f"/api/v1/targets/{city.json()['id']}", json={"department": "不存在的局"}, headers=bur)
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "department"
    client.post(
        "/api/v1/targets", json={"metric": "deals_signed", "year": 2022, "value": 4, "department": "市经信局"}, headers=bur
    )
    _published(session, "海宁市", "2022-03-15", 5)
    body = client.get("/api/v1/progress", params={"year": 2022, "as_of": "2022-12-31"}).json()
    assert [(d["department"], d["rank"], d["mean_rate"]) for d in body["departments"]] == [
        ("市科技局", 1, 0.5), ("市经信局", 2, 0.0),
    ]  # fmt: skip
    wb = load_workbook(io.BytesIO(client.get("/api/v1/progress/report.xlsx", params={"year": 2022, "as_of": "2022-12-31"}).content))
    rows = [[c.value for c in row] for row in wb["部门赛马"].iter_rows(min_row=2, max_row=3)]
    assert [r[:3] + [r[5]] for r in rows] == [[1, "市科技局", 1, 0.5], [2, "市经信局", 1, 0.0]]


def test_issue_list_and_download_an_archived_report(
    client: TestClient, session: Session, bureau_user: User, enterprise_user: User, auth
) -> None:
    bur = auth(bureau_user)
    targets.seed_policy_targets(session)
    r = client.post("/api/v1/targets/issues", json={"year": 2022, "as_of": "2022-12-31"}, headers=bur)
    assert r.status_code == 201, r.text
    issue = r.json()
    assert issue["number"] == 1 and issue["as_of"] == "2022-12-31" and issue["issued_by"] == bureau_user.id
    future = client.post("/api/v1/targets/issues", json={"year": 2099, "as_of": "2099-06-30"}, headers=bur)
    assert future.status_code == 422 and future.json()["error"]["details"][0]["field"] == "as_of"
    listed = client.get("/api/v1/targets/issues", params={"year": 2022}, headers=bur).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == issue["id"] and "html" not in listed["items"][0]
    html = client.get(f"/api/v1/targets/issues/{issue['id']}/report.html", headers=bur)
    assert html.status_code == 200 and "2022 年第 1 期" in html.text and "晾晒通报" in html.text
    xlsx = client.get(f"/api/v1/targets/issues/{issue['id']}/report.xlsx", headers=bur)
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["content-disposition"]
    assert "总览" in load_workbook(io.BytesIO(xlsx.content)).sheetnames
    assert client.get(f"/api/v1/targets/issues/{issue['id'] + 99}/report.xlsx", headers=bur).status_code == 404
    ent = auth(enterprise_user)
    assert client.get("/api/v1/targets/issues", headers=ent).status_code == 403
    assert client.post("/api/v1/targets/issues", json={"year": 2022}, headers=ent).status_code == 403
    assert client.get(f"/api/v1/targets/issues/{issue['id']}/report.html", headers=ent).status_code == 403
