"""Issue 14 (hardening, second round): each finding's defence as a client would meet it.

Findings 5 and 7 are in tests/web/api/test_exports.py and tests/web/test_security.py; the cost
bounds of findings 1-4 are measured by bench/bench_worst_requests.py.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from market.mail.models import MailMessage
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


# --- 9, 11, 20: sign-in, lockout, passwords, sign-out -------------------------------------------


def test_wrong_guesses_slow_down_their_address_not_the_account(
    client: TestClient, app, session: Session, bureau_user: User, runtime  # type: ignore[no-untyped-def]
) -> None:
    """Finding 11: five wrong passwords locked the bureau's account for everyone for 15 minutes."""
    limit = runtime.settings.auth.max_failed_logins
    for _ in range(limit):
        assert client.post(f"{API}/auth/token", json={"email": bureau_user.email, "password": "wrong-one"}).status_code == 401
    r = client.post(f"{API}/auth/token", json={"email": bureau_user.email, "password": factories.PASSWORD})
    assert r.status_code == 429
    first = int(r.headers["retry-after"])
    # The bureau signs in from its own address all the same.
    with TestClient(app, client=("10.1.2.3", 40000)) as elsewhere:
        r = elsewhere.post(f"{API}/auth/token", json={"email": bureau_user.email, "password": factories.PASSWORD})
        assert r.status_code == 200, r.text
    # The delay grows with each further failure (after it has passed).
    from market.orgs import service as orgs

    delays = [orgs._delay_s(n, limit, runtime.settings.auth.lockout_minutes) for n in range(limit, limit + 8)]
    assert delays == sorted(delays) and delays[-1] <= runtime.settings.auth.lockout_minutes * 60
    assert 1 <= first <= delays[0] and first >= delays[0] - 10  # Retry-After counts down from the delay
    assert delays[1] > delays[0]


def test_unknown_and_known_e_mails_get_the_same_lockout_answer(client: TestClient, enterprise_user: User, runtime) -> None:  # type: ignore[no-untyped-def]
    """Finding 9: the lockout answered 429 only for existing accounts."""
    answers = {}
    for email in (enterprise_user.email, "nobody-here@test.jiebang.cn"):
        codes = [
            client.post(f"{API}/auth/token", json={"email": email, "password": "wrong-one"}).status_code
            for _ in range(runtime.settings.auth.max_failed_logins + 1)
        ]
        last = client.post(f"{API}/auth/token", json={"email": email, "password": "wrong-one"})
        answers[email] = (codes, last.status_code, last.json()["error"]["message"])
    assert len(set(map(repr, answers.values()))) == 1, answers


def test_an_unknown_e_mail_is_checked_against_a_hash_too(monkeypatch: pytest.MonkeyPatch, session: Session) -> None:
    """Finding 9: timing told whether an e-mail exists (27-55 ms vs 739-1,441 ms): both now verify one argon2 hash."""
    from market.errors import NotAuthenticated
    from market.orgs import security
    from market.orgs import service as orgs

    calls: list[str] = []
    real = security.verify_password
    monkeypatch.setattr(security, "verify_password", lambda h, p: calls.append(h) or real(h, p))
    with pytest.raises(NotAuthenticated):
        orgs.authenticate(session, "nobody-at-all@test.jiebang.cn", "whatever-password")
    assert calls == [security.dummy_hash()] and calls[0].startswith("$argon2")


@pytest.mark.parametrize(
    ("password", "words"),
    [("aaaaaaaa", "简单"), ("12345678", "简单"), ("password1", "简单"), ("zhangwei2026x", "邮箱")],
)
def test_weak_passwords_are_refused_at_registration(client: TestClient, password: str, words: str) -> None:
    body = {
        "org_name": "嘉兴某某测试科技有限公司", "org_kind": "enterprise", "email": "zhangwei2026x@example.com",
        "display_name": "张伟", "password": password,
    }
    r = client.post(f"{API}/auth/register", json=body)
    assert r.status_code == 422
    assert words in _field_messages(r)["password"]


def test_api_sign_out_revokes_the_token(client: TestClient, enterprise_user: User, auth) -> None:
    headers = auth(enterprise_user)
    assert client.get(f"{API}/auth/me", headers=headers).status_code == 200
    assert client.post(f"{API}/auth/logout", headers=headers).status_code == 204
    assert client.get(f"{API}/auth/me", headers=headers).status_code == 401
    # Everywhere at once.
    one, two = auth(enterprise_user), auth(enterprise_user)
    assert client.post(f"{API}/auth/logout?all_sessions=true", headers=one).status_code == 204
    assert client.get(f"{API}/auth/me", headers=two).status_code == 401


# --- 1-3: bounded inputs and per-client limits on expensive calls -------------------------------


def test_capability_profiles_are_bounded(client: TestClient, provider_user: User, auth) -> None:
    """Finding 2: 50 items of 300 characters, then recommended-needs, took 46.5 s."""
    from market.orgs.schemas import ITEM_TITLE_MAX, ITEMS_MAX

    item = {"kind": "project", "title": "工业视觉检测项目", "description": ""}
    headers = auth(provider_user)
    r = client.put(f"{API}/providers/{provider_user.org_id}", json={"items": [item] * (ITEMS_MAX + 1)}, headers=headers)
    assert r.status_code == 422 and "items" in _field_messages(r)
    long_title = {**item, "title": "长" * (ITEM_TITLE_MAX + 1)}
    r = client.put(f"{API}/providers/{provider_user.org_id}", json={"items": [long_title]}, headers=headers)
    assert r.status_code == 422
    assert client.put(f"{API}/providers/{provider_user.org_id}", json={"items": [item] * ITEMS_MAX}, headers=headers).status_code == 200


def test_registration_is_limited_per_address(client: TestClient, runtime, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Finding 3: POST /auth/register (argon2) was unlimited."""
    monkeypatch.setattr(runtime.settings.limits.registration, "calls", 3)
    codes = []
    for i in range(5):
        body = {
            "org_name": f"嘉兴限流测试{i}号有限公司", "org_kind": "enterprise", "email": f"limit{i}@example.com",
            "display_name": "张工", "password": factories.PASSWORD,
        }
        codes.append(client.post(f"{API}/auth/register", json=body).status_code)
    assert codes == [202, 202, 202, 429, 429]


def test_registration_answers_the_same_whether_the_e_mail_exists(client: TestClient, session: Session, enterprise_user: User) -> None:
    """Finding 9: registration answered 409 "该邮箱已注册"."""
    answers = []
    for email in (enterprise_user.email, "fresh-one@example.com"):
        body = {
            "org_name": f"嘉兴{email[:5]}有限公司", "org_kind": "enterprise", "email": email,
            "display_name": "张工", "password": factories.PASSWORD,
        }
        r = client.post(f"{API}/auth/register", json=body)
        answers.append((r.status_code, r.json()))
    assert answers[0] == answers[1] and answers[0][0] == 202 and "已提交，请查收邮件" in answers[0][1]["message"]
    # The mail says which it was: the owner of the taken address hears of the attempt.
    kinds = dict(session.execute(select(MailMessage.to_addr, MailMessage.kind)).all())
    assert kinds == {enterprise_user.email: "account.duplicate", "fresh-one@example.com": "account.registered"}


def test_anonymous_hybrid_search_is_limited_per_address(client: TestClient, runtime, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Finding 3: each new random query costs an embedding (0.9-2.1 s)."""
    from web.ratelimit import limit_expensive

    monkeypatch.setattr(runtime.settings.limits.anonymous_search, "calls", 2)
    # Counted before the search itself (which needs Meilisearch, absent here: 503).
    codes = [client.get(f"{API}/search/needs", params={"q": f"随机查询{i}"}).status_code for i in range(4)]
    assert codes[2:] == [429, 429] and 429 not in codes[:2]
    assert callable(limit_expensive)


def test_the_duplicate_check_of_an_unverified_account_is_limited(
    client: TestClient, session: Session, auth, runtime, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    """Finding 1: an unverified account's 5,000-character duplicate checks cost a core each."""
    monkeypatch.setattr(runtime.settings.limits.unverified_duplicates, "calls", 2)
    org = factories.create_org(session, kind="enterprise", verified=False, name="未认证的测试企业")
    user = factories.create_user(session, org)
    codes = [
        client.post(f"{API}/needs/duplicates", json=factories.need_fields(), headers=auth(user)).status_code for _ in range(4)
    ]
    assert codes == [200, 200, 429, 429]


# --- 6: duplicates only as the caller may see them ----------------------------------------------


def test_duplicates_show_only_needs_the_caller_may_see_and_only_public_terms(
    client: TestClient, session: Session, enterprise_user: User, other_enterprise_user: User, bureau_user: User, auth
) -> None:
    title = "冲压模具在线磨损监测系统需求"
    hidden = factories.create_need(
        session, org=other_enterprise_user.org, status="approved", title=title, problem="钛合金涡轮叶片激光熔覆修复工艺参数"
    )
    nda = factories.create_need(
        session, org=other_enterprise_user.org, status="published", title="冲压模具磨损在线监测", disclosure="nda",
        problem="保密难题：钛合金涡轮叶片激光熔覆修复工艺参数",
    )
    session.flush()
    body = factories.need_fields(title=title, problem="钛合金涡轮叶片激光熔覆修复工艺参数")
    mine = client.post(f"{API}/needs/duplicates", json=body, headers=auth(enterprise_user)).json()
    ids = [d["id"] for d in mine]
    assert hidden.id not in ids
    for d in mine:
        if d["id"] == nda.id:
            assert not {"钛合金", "涡轮", "叶片", "熔覆"} & set(d["shared_terms"]), d
    seen_by_bureau = client.post(f"{API}/needs/duplicates", json=body, headers=auth(bureau_user)).json()
    assert hidden.id in [d["id"] for d in seen_by_bureau], (seen_by_bureau, mine)


# --- 20: an expert's scores are locked once the decision is made ---------------------------------


SCORES = {"industry_impact": 80, "research_basis": 70, "technical_indicators": 85, "financial_indicators": 65}


def test_expert_scores_cannot_be_rewritten_after_the_decision(
    client: TestClient, session: Session, enterprise_user: User, expert_user: User, bureau_user: User, auth
) -> None:
    from market.needs.models import ExpertAssignment

    need = factories.create_need(session, org=enterprise_user.org, status="submitted")
    session.add(ExpertAssignment(need_id=need.id, expert_id=expert_user.id, assigned_by=bureau_user.id))
    session.flush()
    url = f"{API}/needs/{need.id}/scores"
    assert client.put(url, json={"scores": SCORES}, headers=auth(expert_user)).status_code == 200
    for decided in ("approved", "returned", "rejected", "published"):
        need.status = decided
        session.flush()
        r = client.put(url, json={"scores": {**SCORES, "industry_impact": 10}}, headers=auth(expert_user))
        assert r.status_code == 409, (decided, r.text)
    session.refresh(need)
    row = session.query(ExpertAssignment).filter_by(need_id=need.id).one()
    assert row.scores == SCORES


# --- 12: CSRF bound to the session, cross-origin writes refused ---------------------------------


def test_a_planted_csrf_cookie_does_not_pass(
    client: TestClient, session: Session, enterprise_user: User, auth
) -> None:
    """Finding 12: a planted jiebang_csrf cookie plus the same value in the form withdrew a need."""
    from web.deps import SESSION_COOKIE

    need = factories.create_need(session, org=enterprise_user.org, status="draft")
    token = auth(enterprise_user)["Authorization"].removeprefix("Bearer ")
    client.cookies.set(SESSION_COOKIE, token)
    client.cookies.set("jiebang_csrf", "planted-by-the-attacker")
    r = client.post(
        f"/enterprise/needs/{need.id}/withdraw", data={"csrf_token": "planted-by-the-attacker"}, follow_redirects=False
    )
    assert r.status_code == 403
    # A token issued for another session does not pass either.
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, token)
    page = client.get("/enterprise")
    assert page.status_code == 200
    issued = client.cookies.get("jiebang_csrf") or ""
    assert issued and issued != "planted-by-the-attacker"
    other = auth(enterprise_user)["Authorization"].removeprefix("Bearer ")
    client.cookies.set(SESSION_COOKIE, other)
    r = client.post(f"{API}/needs/{need.id}/submit", headers={"X-CSRF-Token": issued})
    assert r.status_code == 403


def test_a_cross_origin_write_is_refused_whatever_its_token(
    client: TestClient, session: Session, enterprise_user: User, auth
) -> None:
    from web.deps import SESSION_COOKIE

    need = factories.create_need(session, org=enterprise_user.org, status="draft")
    client.cookies.set(SESSION_COOKIE, auth(enterprise_user)["Authorization"].removeprefix("Bearer "))
    client.get("/enterprise")
    token = client.cookies.get("jiebang_csrf") or ""
    url = f"{API}/needs/{need.id}/submit"
    r = client.post(url, headers={"X-CSRF-Token": token, "Origin": "http://evil.example"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"
    r = client.post(url, headers={"X-CSRF-Token": token, "Referer": "http://evil.example/page"})
    assert r.status_code == 403
    r = client.post(url, headers={"X-CSRF-Token": token, "Origin": "http://testserver"})
    assert r.status_code == 200, r.text


# --- 10: X-Forwarded-For only from configured proxies -------------------------------------------


def _client_seen_by_app(options: dict, peer: str, forwarded: str) -> str:  # type: ignore[type-arg]
    """The client address the app sees behind uvicorn's proxy handling as ``jiebang serve`` configures it."""
    import asyncio

    import uvicorn

    seen: list[str] = []

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        seen.append(scope["client"][0])

    config = uvicorn.Config(app, **options)
    config.load()
    scope = {
        "type": "http", "client": (peer, 5000), "headers": [(b"x-forwarded-for", forwarded.encode())],
        "scheme": "http", "path": "/", "method": "GET", "query_string": b"",
    }
    asyncio.run(config.loaded_app(scope, None, None))  # type: ignore[arg-type]
    return seen[0]


def test_forwarded_headers_are_believed_only_from_configured_proxies(test_settings) -> None:  # type: ignore[no-untyped-def]
    """Finding 10: rotating X-Forwarded-For reset the per-address sign-in limit."""
    from web.proxies import uvicorn_proxy_options

    default = uvicorn_proxy_options(test_settings)
    assert _client_seen_by_app(default, "127.0.0.1", "203.0.113.9") == "127.0.0.1"
    behind = test_settings.model_copy(deep=True)
    behind.limits.trusted_proxies = ["10.0.0.5"]
    options = uvicorn_proxy_options(behind)
    assert _client_seen_by_app(options, "10.0.0.5", "203.0.113.9") == "203.0.113.9"
    assert _client_seen_by_app(options, "127.0.0.1", "203.0.113.9") == "127.0.0.1"


# --- 8: an anonymous need's contact only once the enterprise chooses to talk -------------------


def test_an_anonymous_needs_contact_waits_for_the_enterprise(
    client: TestClient, session: Session, enterprise_user: User, provider_user: User, other_provider_user: User, auth
) -> None:
    from market.responses.models import Response

    need = factories.create_need(
        session, org=enterprise_user.org, status="published", anonymous=True, contact_name="王经理", contact_phone="0573-12345678"
    )
    session.flush()
    url = f"{API}/needs/{need.id}"
    for viewer in (provider_user, other_provider_user):
        body = client.get(url, headers=auth(viewer)).json()
        assert body.get("contact_name", "") == "" and body.get("contact_phone", "") == "", body
    r = client.post(f"{API}/needs/{need.id}/responses", json={"approach": "我们有成熟的模具磨损监测方案，视觉加振动传感融合，可在三个月内交付试点。"}, headers=auth(provider_user))
    assert r.status_code in (200, 201), r.text
    # Responding alone does not reveal who is behind the need.
    assert client.get(url, headers=auth(provider_user)).json()["contact_name"] == ""
    response = session.query(Response).filter_by(need_id=need.id, org_id=provider_user.org_id).one()
    response.status = "shortlisted"
    session.flush()
    assert client.get(url, headers=auth(provider_user)).json()["contact_name"] == "王经理"
    assert client.get(url, headers=auth(other_provider_user)).json().get("contact_name", "") == ""


# --- 17: containers checked for real; an upload quota per organisation ---------------------------


def _zip(members: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("报告.docx", b"PK\x03\x04word/<script>alert(1)</script>"),
        ("报告.docx", _zip({"word/document.xml": b"<w/>", "index.html": b"<script>alert(1)</script>"})),
        ("报告.docx", _zip({"word/document.xml": b"<w/>"})),  # no [Content_Types].xml
        ("资料.zip", _zip({"readme.txt": b"hi", "page.html": b"<script>alert(1)</script>"})),
        ("方案.pdf", PDF + b"<html><script>alert(1)</script></html>"),
    ],
)
def test_disguised_files_are_refused(
    client: TestClient, session: Session, enterprise_user: User, auth, name: str, data: bytes
) -> None:
    need = factories.create_need(session, org=enterprise_user.org, status="draft")
    r = client.post(f"{API}/needs/{need.id}/attachments", files={"file": (name, data, "application/octet-stream")}, headers=auth(enterprise_user))
    assert r.status_code == 422, r.text
    assert "file" in _field_messages(r)


def test_a_real_office_file_is_accepted(client: TestClient, session: Session, enterprise_user: User, auth) -> None:
    need = factories.create_need(session, org=enterprise_user.org, status="draft")
    docx = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
    r = client.post(f"{API}/needs/{need.id}/attachments", files={"file": ("报告.docx", docx, "application/octet-stream")}, headers=auth(enterprise_user))
    assert r.status_code == 201, r.text


def test_an_organisation_has_an_upload_quota(
    client: TestClient, session: Session, enterprise_user: User, auth, runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The quota is the setting ``limits.org_upload_quota_bytes`` (JIEBANG_LIMITS__ORG_UPLOAD_QUOTA_BYTES).
    monkeypatch.setattr(runtime.settings.limits, "org_upload_quota_bytes", 2 * len(PDF))
    need = factories.create_need(session, org=enterprise_user.org, status="draft")
    codes = [
        client.post(f"{API}/needs/{need.id}/attachments", files={"file": (f"{i}.pdf", PDF, "application/pdf")}, headers=auth(enterprise_user)).status_code
        for i in range(3)
    ]
    assert codes == [201, 201, 422]


# --- 4: an Excel import's rows (empty ones too) and unpacked bytes are capped -------------------


def _import(client: TestClient, headers: dict[str, str], data: bytes):  # type: ignore[no-untyped-def]
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return client.post(f"{API}/imports/needs", files={"file": ("needs.xlsx", data, xlsx)}, headers=headers)


def test_an_import_full_of_empty_rows_stops_at_the_row_cap(client: TestClient, bureau_user: User, auth) -> None:
    import io

    from openpyxl import Workbook

    from market.needs.importer import COLUMNS, MAX_SHEET_ROWS

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(list(COLUMNS))
    for _ in range(MAX_SHEET_ROWS + 5):
        ws.append([" "])
    buf = io.BytesIO()
    wb.save(buf)
    r = _import(client, auth(bureau_user), buf.getvalue())
    assert r.status_code in (200, 422), r.text
    text = r.text
    assert "空行" in text


def test_an_import_that_unpacks_too_large_is_refused(client: TestClient, bureau_user: User, auth) -> None:
    from market.needs.importer import MAX_UNPACKED_BYTES

    bomb = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>", "xl/padding.xml": b"\x00" * (MAX_UNPACKED_BYTES + 1)})
    r = _import(client, auth(bureau_user), bomb)
    assert r.status_code == 422 and "解压后过大" in _field_messages(r)["file"]


# --- the schema declares the vocabularies that validation enforces ------------------------------


def test_the_openapi_declares_the_vocabularies(client: TestClient) -> None:
    """So that schemathesis (tests/web/test_fuzz_openapi.py) generates needs that validation does not
    mostly reject, and clients can read the allowed values."""
    from market.vocab import COOPERATION_MODES, COUNTIES, INDUSTRIES, TRACKS

    spec = client.get("/openapi.json").json()
    need = spec["components"]["schemas"]["NeedCreate"]["properties"]
    assert need["industry"]["enum"] == list(INDUSTRIES)
    assert need["county"]["enum"] == list(COUNTIES)
    assert need["track"]["enum"] == list(TRACKS)
    assert need["cooperation_mode"]["enum"] == list(COOPERATION_MODES)
    assert need["disclosure"]["enum"] == ["public", "nda", "invite"]
    for name, values in (("industry", INDUSTRIES), ("county", COUNTIES)):
        body = factories.need_fields(**{name: values[0]})
        assert client.post(f"{API}/needs/duplicates", json=body).status_code == 401  # valid shape, needs sign-in


def test_every_json_body_refuses_bad_unicode_and_big_integers(
    client: TestClient, session: Session, bureau_user: User, enterprise_user: User, auth
) -> None:
    """Findings 13, 14 over the whole API: every operation with a JSON body, every string property
    holding a control character and every integer 2^63, as the bureau and an enterprise: a 4xx
    (422, or 403/404/409 where the caller or the record refuses first), never a 5xx."""
    import re

    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]

    def resolve(node: dict) -> dict:  # type: ignore[type-arg]
        while "$ref" in node:
            node = schemas[node["$ref"].rsplit("/", 1)[1]]
        return node

    def kind(prop: dict) -> str:  # type: ignore[type-arg]
        prop = resolve(prop)
        types = {prop.get("type")} | {resolve(o).get("type") for o in prop.get("anyOf", [])}
        return "integer" if "integer" in types else "string" if "string" in types else "other"

    need = factories.create_need(session, org=enterprise_user.org, status="submitted")
    session.flush()
    sent = 0
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            body_schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if not body_schema:
                continue
            props = resolve(body_schema).get("properties", {})
            body = {}
            for name, prop in props.items():
                k = kind(prop)
                if k == "string":
                    body[name] = "坏\x01字\u202e"
                elif k == "integer":
                    body[name] = 2**63
            if not body:
                continue
            url = re.sub(r"\{[^}]+\}", str(need.id), path)
            for user in (bureau_user, enterprise_user):
                r = client.request(method.upper(), url, json=body, headers=auth(user))
                sent += 1
                assert 400 <= r.status_code < 500, (method, path, r.status_code, r.text[:300])
                if r.status_code == 422:
                    assert all(not d["message"].isascii() for d in r.json()["error"]["details"]), r.text[:300]
    assert sent > 30
