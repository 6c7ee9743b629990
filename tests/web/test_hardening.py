"""Issue 14 (hardening, second round): each finding's defence as a client would meet it.

Findings 5 and 7 are in tests/web/api/test_exports.py and tests/web/test_security.py; the cost
bounds of findings 1-4 are measured by bench/bench_worst_requests.py.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from market.orgs.models import User
from tests import factories

API = "/api/v1"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SECURITY_HEADERS = ("X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy")


def _field_messages(r) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {d["field"]: d["message"] for d in r.json()["error"]["details"]}


# --- 14, 16: text sanitised at the edge --------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "words"),
    [
        ("冲压模具\x01磨损监测需求", "控制字符"),
        ("冲压模具\u202e磨损监测需求", "方向控制"),
        ("\u200b\u200b\u200b\u200b\u200b\u200b", "不可见"),
    ],
)
def test_refused_characters_in_a_title_are_a_chinese_field_message(
    client: TestClient, enterprise_user: User, auth, title: str, words: str
) -> None:
    r = client.post(f"{API}/needs", json=factories.need_fields(title=title), headers=auth(enterprise_user))
    assert r.status_code == 422
    assert words in _field_messages(r)["title"]


def test_private_use_characters_and_carriage_returns_are_stripped(
    client: TestClient, enterprise_user: User, auth
) -> None:
    """Finding 16: U+E000/U+E001 are the highlighter's own markers; they never get stored."""
    body = factories.need_fields(title="冲压\ue000模具\ue001磨损监测", description="第一行\r\n第二行")
    r = client.post(f"{API}/needs", json=body, headers=auth(enterprise_user))
    assert r.status_code == 201, r.text
    need = r.json()["need"]
    assert need["title"] == "冲压模具磨损监测" and need["description"] == "第一行\n第二行"


def test_a_stored_control_character_does_not_break_the_bureaus_export(
    client: TestClient, session: Session, enterprise_user: User, bureau_user: User, auth
) -> None:
    """Finding 14: a draft with U+0001 in its title (stored before these rules) made the export 500."""
    factories.create_need(session, org=enterprise_user.org, status="submitted", title="旧数据\x01里的标题")
    session.flush()
    r = client.get(f"{API}/exports/needs.xlsx", headers=auth(bureau_user))
    assert r.status_code == 200
    assert b"PK" == r.content[:2]


def test_a_file_name_with_a_bidi_override_is_refused(
    client: TestClient, session: Session, enterprise_user: User, auth
) -> None:
    need = factories.create_need(session, org=enterprise_user.org, status="draft")
    r = client.post(
        f"{API}/needs/{need.id}/attachments",
        files={"file": ("report\u202etxt.exe.pdf", PDF, "application/pdf")},
        headers=auth(enterprise_user),
    )
    assert r.status_code == 422
    assert "方向控制" in _field_messages(r)["file"]


# --- 13: integers too big for the database are 404/422, never 500 ------------------------------


def _routes_with_int_params() -> list[tuple[str, str]]:
    from fastapi.routing import APIRoute

    from web.app import API_ROUTERS, PAGE_ROUTERS

    found = []
    for prefix, routers in (("/api/v1", API_ROUTERS), ("", PAGE_ROUTERS)):
        for router in routers:
            for route in router.routes:
                if isinstance(route, APIRoute) and "{" in route.path:
                    for method in sorted(route.methods - {"HEAD"}):
                        found.append((method, prefix + route.path))
    return found


def test_integers_of_2_63_and_more_are_refused_not_500(
    client: TestClient, session: Session, bureau_user: User, auth
) -> None:
    """Finding 13: any integer path parameter >= 2^63 answered 500 and reset the connection."""
    import re

    from web.deps import SESSION_COOKIE

    big = str(2**63)
    token = auth(bureau_user)["Authorization"].removeprefix("Bearer ")
    client.cookies.set(SESSION_COOKIE, token)
    routes = _routes_with_int_params()
    assert len(routes) > 40
    seen = []
    for method, path in routes:
        url = re.sub(r"\{[^}]+\}", big, path)
        is_api = path.startswith("/api")
        headers = auth(bureau_user) if is_api else {}
        if not is_api and method != "GET":
            continue  # page writes stop at the CSRF check first
        r = client.request(method, url, headers=headers, json={} if method != "GET" else None)
        seen.append((method, path, r.status_code))
        # A page for another audience refuses the bureau before it reads the id (403).
        allowed = (404, 422) if is_api else (403, 404, 422)
        assert r.status_code in allowed, (method, path, r.status_code, r.text[:200])
    for query in ("/api/v1/needs?batch_id=" + big, "/api/v1/search/needs?batch_id=" + big, "/needs?batch_id=" + big):
        r = client.get(query, headers=auth(bureau_user))
        assert r.status_code in (200, 404, 422), (query, r.status_code)
    body = {"expert_id": 2**63}
    need = factories.create_need(session, org=bureau_user.org, status="submitted")
    r = client.post(f"{API}/needs/{need.id}/experts", json=body, headers=auth(bureau_user))
    assert r.status_code == 422 and "expert_id" in _field_messages(r)


# --- 15, 19: body limit on the bytes received; headers on 413 and 500 ---------------------------


def _chunks(data: bytes, size: int = 64 * 1024):  # type: ignore[no-untyped-def]
    for i in range(0, len(data), size):
        yield data[i : i + size]


def test_a_chunked_body_over_the_limit_is_413(client: TestClient, enterprise_user: User, auth, runtime) -> None:  # type: ignore[no-untyped-def]
    """Finding 15: with no Content-Length a 3 MB JSON body created a need (201)."""
    import json

    body = factories.need_fields(description="很长的描述" * 10)
    body["description"] = "长" * 1000
    raw = json.dumps(body).encode()
    padded = raw[:-1] + b"," + b'"pad": "' + b"x" * (runtime.settings.limits.max_body_bytes + 10) + b'"}'
    r = client.post(
        f"{API}/needs", content=_chunks(padded), headers={**auth(enterprise_user), "content-type": "application/json"}
    )
    assert r.status_code == 413, r.text[:200]
    assert r.json()["error"]["code"] == "payload_too_large"
    for name in SECURITY_HEADERS:
        assert name in r.headers


def test_a_chunked_upload_over_the_limit_is_413(
    client: TestClient, session: Session, enterprise_user: User, auth, runtime  # type: ignore[no-untyped-def]
) -> None:
    need = factories.create_need(session, org=enterprise_user.org, status="draft")
    boundary = "jiebangboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    data = head + PDF + b"0" * (runtime.settings.limits.max_upload_bytes + 200 * 1024) + f"\r\n--{boundary}--\r\n".encode()
    r = client.post(
        f"{API}/needs/{need.id}/attachments",
        content=_chunks(data),
        headers={**auth(enterprise_user), "content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert r.status_code == 413


def test_413_and_500_carry_the_security_headers(client: TestClient, app, runtime) -> None:  # type: ignore[no-untyped-def]
    big = b"x" * (runtime.settings.limits.max_body_bytes + 1)
    r = client.post(f"{API}/needs", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert all(name in r.headers for name in SECURITY_HEADERS)

    @app.get("/api/v1/_boom")
    def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/api/v1/_boom")
    assert r.status_code == 500 and "boom" not in r.text
    assert all(name in r.headers for name in SECURITY_HEADERS)


def test_the_meilisearch_key_is_not_on_the_command_line(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Finding 19: ``ps`` showed the master key."""
    import subprocess

    from search import process
    from search.errors import MeiliUnavailable

    seen: dict[str, object] = {}

    def fake_popen(args, **kw):  # type: ignore[no-untyped-def]
        seen["args"], seen["env"] = args, kw.get("env")
        raise OSError("not started in this test")

    monkeypatch.setattr(subprocess, "Popen", fake_popen)
    meili = process.LocalMeilisearch(data_dir=tmp_path, binary=tmp_path / "meilisearch")
    (tmp_path / "meilisearch").write_bytes(b"#!/bin/sh\n")
    (tmp_path / "meilisearch").chmod(0o755)
    with pytest.raises(MeiliUnavailable):
        meili.start()
    assert not any(meili.master_key in str(a) for a in seen["args"])  # type: ignore[attr-defined]
    assert seen["env"]["MEILI_MASTER_KEY"] == meili.master_key  # type: ignore[index]
    assert (tmp_path / "master_key").stat().st_mode & 0o777 == 0o600


def test_the_sqlite_file_is_private(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from market.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'jiebang.db'}")
    with engine.begin() as conn:
        conn.execute(text("create table t (x int)"))
    engine.dispose()
    assert (tmp_path / "jiebang.db").stat().st_mode & 0o777 == 0o600


# --- 18: every message Chinese, naming the field ------------------------------------------------


def _all_chinese(r) -> None:  # type: ignore[no-untyped-def]
    err = r.json()["error"]
    assert not err["message"].isascii(), err
    for d in err["details"]:
        assert d["field"] and not d["message"].isascii(), err


def test_bad_input_is_answered_in_chinese_naming_the_field(
    client: TestClient, session: Session, enterprise_user: User, auth
) -> None:
    headers = {**auth(enterprise_user), "content-type": "application/json"}
    # A list where an object is expected.
    r = client.post(f"{API}/needs", content=b"[1, 2]", headers=headers)
    assert r.status_code == 422
    _all_chinese(r)
    # Malformed JSON is not reported as field "1".
    r = client.post(f"{API}/needs", content=b'{"title": ', headers=headers)
    assert r.status_code == 422
    _all_chinese(r)
    assert all(not d["field"].isdigit() for d in r.json()["error"]["details"])
    # Bytes that are not UTF-8.
    r = client.post(f"{API}/needs", content=b'{"title": "\xff\xfe"}', headers=headers)
    assert r.status_code == 422
    _all_chinese(r)
    # NaN is not "数值过大".
    body = factories.need_fields()
    raw = __import__("json").dumps(body)[:-1] + ', "budget_min_wan": NaN}'
    r = client.post(f"{API}/needs", content=raw.encode(), headers=headers)
    assert r.status_code == 422
    assert _field_messages(r)["budget_min_wan"] == "须为有限数字"
    # A text field where a file is expected.
    need = factories.create_need(session, org=enterprise_user.org, status="draft")
    r = client.post(f"{API}/needs/{need.id}/attachments", data={"file": "not a file"}, headers=auth(enterprise_user))
    assert r.status_code == 422
    _all_chinese(r)
    assert "file" in _field_messages(r)


def test_an_illegal_transition_says_it_in_chinese(client: TestClient, session: Session, enterprise_user: User, auth) -> None:
    need = factories.create_need(session, org=enterprise_user.org, status="withdrawn")
    r = client.post(f"{API}/needs/{need.id}/withdraw", json={"reason_text": ""}, headers=auth(enterprise_user))
    assert r.status_code == 409
    assert "withdrawn" not in r.text
    _all_chinese(r)
