"""Security properties a user (or an attacker) would notice, one test per claim in docs/security.md.

Object-level authorisation for needs, responses and deals is in tests/web/api/test_access_matrix.py;
this file covers organisations, provider profiles, recognitions, attachments and notifications.
"""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from market.audit import service as audit
from market.audit.models import AuditEntry
from market.errors import Forbidden
from market.orgs.models import User
from market.settings import Settings
from tests import factories
from web.deps import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE
from web.runtime import Runtime

API = "/api/v1"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _published_need(session: Session, user: User, **kw: object):  # type: ignore[no-untyped-def]
    return factories.create_need(session, org=user.org, user=user, status="published", **kw)


# --- API1 object-level authorisation ----------------------------------------------------------


def test_org_listing_and_verification_are_bureau_only(
    client: TestClient, enterprise_user: User, other_enterprise_user: User, bureau_user: User, auth
) -> None:
    ent = auth(enterprise_user)
    assert client.get(f"{API}/orgs", headers=ent).status_code == 403
    r = client.post(
        f"{API}/orgs/{other_enterprise_user.org_id}/verification", json={"decision": "rejected"}, headers=ent
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    # Even on its own organisation an enterprise cannot verify itself.
    r = client.post(
        f"{API}/orgs/{enterprise_user.org_id}/verification", json={"decision": "verified"}, headers=ent
    )
    assert r.status_code == 403
    assert client.get(f"{API}/orgs", headers=auth(bureau_user)).status_code == 200
    # The public view of another organisation carries no contact or credit data.
    public = client.get(f"{API}/orgs/{other_enterprise_user.org_id}", headers=ent).json()
    assert not {"credit_code", "users", "email"} & set(public)


def test_provider_profile_only_by_its_own_members(
    client: TestClient, provider_user: User, other_provider_user: User, enterprise_user: User, auth
) -> None:
    body = {"summary": "篡改的能力画像", "fields": ["篡改"]}
    for intruder in (other_provider_user, enterprise_user):
        r = client.put(f"{API}/providers/{provider_user.org_id}", json=body, headers=auth(intruder))
        assert r.status_code == 403, r.text
        assert "篡改" not in r.text
    own = client.put(
        f"{API}/providers/{provider_user.org_id}",
        json={"summary": "工业视觉检测"},
        headers=auth(provider_user),
    )
    assert own.status_code == 200, own.text
    assert client.get(f"{API}/providers/{provider_user.org_id}").json()["summary"] == "工业视觉检测"


def test_an_unverified_providers_profile_exists_only_for_its_members_and_the_bureau(
    client: TestClient, session: Session, bureau_user: User, enterprise_user: User, auth
) -> None:
    """Issue 14, finding 7: the API follows the page's rule (一处规则)."""
    org = factories.create_org(session, kind="provider", verified=False, industry=None, name="尚未认证的某服务商")
    member = factories.create_user(session, org)
    for path in (f"{API}/providers/{org.id}", f"{API}/orgs/{org.id}"):
        assert client.get(path).status_code == 404
        assert client.get(path, headers=auth(enterprise_user)).status_code == 404
        assert client.get(path, headers=auth(member)).status_code == 200
        assert client.get(path, headers=auth(bureau_user)).status_code == 200
    page = client.get(f"/providers/{org.id}")
    assert page.status_code == 404 and "尚未认证的某服务商" not in page.text


def test_recognitions_of_another_org_do_not_exist(
    client: TestClient, enterprise_user: User, other_enterprise_user: User, auth
) -> None:
    body = {
        "product_name": "高速压铸单元",
        "category": "equipment",
        "level": "provincial",
        "year": 2024,
        "insured_value_wan": 800,
        "premium_wan": 20,
        "evidence": [{"title": "认定文件", "url": "https://example.gov.cn/a"}],
    }
    rec = client.post(f"{API}/recognitions", json=body, headers=auth(enterprise_user)).json()
    other = auth(other_enterprise_user)
    for path in (f"/recognitions/{rec['id']}", f"/recognitions/{rec['id']}/quote"):
        r = client.get(API + path, headers=other)
        assert r.status_code == 404, (path, r.text)
        assert "高速压铸单元" not in r.text
    assert client.post(f"{API}/recognitions/{rec['id']}/review", json={}, headers=other).status_code in (
        403,
        404,
    )
    assert client.get(f"{API}/recognitions", headers=other).json()["total"] == 0


def test_attachments_are_bound_to_their_owner_object(
    client: TestClient, session: Session, enterprise_user: User, other_enterprise_user: User, auth
) -> None:
    mine = _published_need(session, enterprise_user, disclosure="invite")
    theirs = _published_need(session, other_enterprise_user, disclosure="invite")
    up = client.post(
        f"{API}/needs/{mine.id}/attachments",
        files={"file": ("方案.pdf", PDF, "application/pdf")},
        headers=auth(enterprise_user),
    )
    assert up.status_code == 201, up.text
    att = up.json()["id"]
    other = auth(other_enterprise_user)
    # The other organisation cannot list, download, or reach it through its own need's URL.
    assert client.get(f"{API}/needs/{mine.id}/attachments", headers=other).status_code == 404
    r = client.get(f"{API}/needs/{mine.id}/attachments/{att}", headers=other)
    assert r.status_code == 404 and PDF not in r.content
    r = client.get(f"{API}/needs/{theirs.id}/attachments/{att}", headers=other)
    assert r.status_code == 404 and PDF not in r.content
    # Nor upload to someone else's need.
    r = client.post(
        f"{API}/needs/{mine.id}/attachments", files={"file": ("x.pdf", PDF, "application/pdf")}, headers=other
    )
    assert r.status_code in (403, 404)
    assert (
        client.get(f"{API}/needs/{mine.id}/attachments/{att}", headers=auth(enterprise_user)).content == PDF
    )


def test_notifications_and_saved_searches_are_per_user(
    client: TestClient,
    session: Session,
    enterprise_user: User,
    other_enterprise_user: User,
    provider_user: User,
    auth,
) -> None:
    from market.notifications import service as notifications
    from market.notifications.models import Notification

    notifications.notify_users(session, [enterprise_user.id], "test", "仅本人可见的通知")
    session.flush()
    note = session.scalar(select(Notification).where(Notification.user_id == enterprise_user.id))
    assert note is not None
    other = auth(other_enterprise_user)
    assert "仅本人可见" not in client.get(f"{API}/notifications", headers=other).text
    r = client.post(f"{API}/notifications/{note.id}/read", headers=other)
    assert r.status_code == 404 and "仅本人可见" not in r.text
    session.refresh(note)
    assert note.read_at is None
    saved = client.post(
        f"{API}/saved-searches",
        json={"name": "余热回收订阅", "query": "余热回收"},
        headers=auth(provider_user),
    )
    assert saved.status_code == 201, saved.text
    sid = saved.json()["id"]
    for method in ("GET", "DELETE"):
        r = client.request(method, f"{API}/saved-searches/{sid}", headers=other)
        assert r.status_code in (403, 404), (method, r.text)
        assert "余热回收订阅" not in r.text
    r = client.put(f"{API}/saved-searches/{sid}", json={"name": "篡改", "query": "x"}, headers=other)
    assert r.status_code in (403, 404)
    assert (
        client.get(f"{API}/saved-searches/{sid}", headers=auth(provider_user)).json()["name"]
        == "余热回收订阅"
    )


# --- API3 mass assignment -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        {"org_id": 999},
        {"status": "published"},
        {"id": 1},
        {"created_by": 1},
        {"published_at": "2026-01-01T00:00:00"},
    ],
)
def test_need_create_refuses_server_owned_fields(
    client: TestClient, enterprise_user: User, auth, extra: dict[str, object]
) -> None:
    r = client.post(f"{API}/needs", json={**factories.need_fields(), **extra}, headers=auth(enterprise_user))
    assert r.status_code == 422, r.text
    field = next(iter(extra))
    assert any(d["field"] == field for d in r.json()["error"]["details"])


def test_update_and_registration_refuse_server_owned_fields(
    client: TestClient, session: Session, enterprise_user: User, provider_user: User, auth
) -> None:
    need = factories.create_need(session, org=enterprise_user.org, user=enterprise_user)
    r = client.put(
        f"{API}/needs/{need.id}",
        json={"title": "新标题需求", "status": "approved"},
        headers=auth(enterprise_user),
    )
    assert r.status_code == 422
    r = client.put(f"{API}/providers/{provider_user.org_id}", json={"org_id": 1}, headers=auth(provider_user))
    assert r.status_code == 422
    reg = {
        "org_name": "嘉兴越权测试有限公司",
        "org_kind": "enterprise",
        "email": "mass@test.jiebang.cn",
        "display_name": "张工",
        "password": "Passw0rd!2026",
    }
    for extra in ({"verification": "verified"}, {"roles": ["bureau_admin"]}):
        r = client.post(f"{API}/auth/register", json={**reg, **extra})
        assert r.status_code == 422, r.text
    # A plain org admin cannot hand out bureau roles.
    r = client.post(
        f"{API}/auth/users",
        json={
            "email": "x@test.jiebang.cn",
            "display_name": "x",
            "password": "Passw0rd!2026",
            "roles": ["bureau_admin"],
        },
        headers=auth(enterprise_user),
    )
    assert r.status_code == 403


# --- API2 authentication: rate limit and lockout ------------------------------------------------


def test_lockout_after_wrong_passwords_refuses_even_the_right_one(
    client: TestClient, session: Session, enterprise_user: User, runtime: Runtime
) -> None:
    """From the address that made the wrong guesses (issue 14, finding 11: per e-mail and address,
    tests/web/test_hardening.py)."""
    limit = runtime.settings.auth.max_failed_logins
    email = enterprise_user.email
    for _ in range(limit):
        r = client.post(f"{API}/auth/token", json={"email": email, "password": "wrong-password"})
        assert r.status_code == 401
        assert r.json()["error"]["message"] == "邮箱或密码错误"
    r = client.post(f"{API}/auth/token", json={"email": email, "password": factories.PASSWORD})
    assert r.status_code == 429, r.text
    assert "登录失败次数过多" in r.json()["error"]["message"]
    assert 1 <= int(r.headers["retry-after"]) <= 30
    assert session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "user.locked", AuditEntry.object_id == enterprise_user.id
        )
    )


def test_unknown_email_gets_the_same_answer(client: TestClient) -> None:
    r = client.post(
        f"{API}/auth/token", json={"email": "nobody@test.jiebang.cn", "password": "wrong-password"}
    )
    assert r.status_code == 401 and r.json()["error"]["message"] == "邮箱或密码错误"


def test_login_rate_limit_per_address(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # Pinned clock: fixed windows, so the attempts must not straddle a window boundary. The rest
    # (shared across app instances, windows, cleanup) is in tests/web/api/test_login_rate_limit.py.
    from market.orgs import ratelimit

    now = ratelimit.window_start(ratelimit.utcnow(), 60)
    monkeypatch.setattr(ratelimit, "utcnow", lambda: now)
    codes = [
        client.post(f"{API}/auth/token", json={"email": f"n{i}@test.jiebang.cn", "password": "x"}).status_code
        for i in range(25)
    ]
    assert codes[:20] == [401] * 20
    assert set(codes[20:]) == {429}


# --- API4 resource consumption: body and upload limits -----------------------------------------


def test_request_body_limit_is_413(client: TestClient, enterprise_user: User, auth, runtime: Runtime) -> None:
    big = b"x" * (runtime.settings.limits.max_body_bytes + 1)
    r = client.post(
        f"{API}/needs", content=big, headers={**auth(enterprise_user), "content-type": "application/json"}
    )
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "payload_too_large"


def test_page_upload_over_the_limit_gets_the_chinese_error_page(client: TestClient, runtime: Runtime) -> None:
    huge = b"0" * (runtime.settings.limits.max_upload_bytes + 128 * 1024)
    r = client.post("/provider/responses/1/attachments", files={"file": ("big.pdf", huge, "application/pdf")})
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("text/html")
    assert "上传的文件过大（上限 10 MB）" in r.text


def test_upload_limits(
    client: TestClient,
    session: Session,
    enterprise_user: User,
    auth,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    need = factories.create_need(session, org=enterprise_user.org, user=enterprise_user)
    headers = auth(enterprise_user)
    # Over the multipart envelope: refused before the body is read.
    huge = PDF + b"0" * (runtime.settings.limits.max_upload_bytes + 128 * 1024)
    r = client.post(
        f"{API}/needs/{need.id}/attachments",
        files={"file": ("big.pdf", huge, "application/pdf")},
        headers=headers,
    )
    assert r.status_code == 413
    # Under the envelope but over the per-file limit: refused by the store with a field message.
    monkeypatch.setattr(runtime.settings.limits, "max_upload_bytes", 1024)
    r = client.post(
        f"{API}/needs/{need.id}/attachments",
        files={"file": ("b.pdf", PDF + b"0" * 2048, "application/pdf")},
        headers=headers,
    )
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "file"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("报价.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64),  # a Windows executable
        ("报价.pdf", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
        ("报价.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32),  # a real PNG under a PDF name
        ("合同.docx", b"PK\x03\x04" + b"\x00" * 64),  # a zip that is not a Word file
        ("run.exe", b"MZ" + b"\x00" * 64),
    ],
)
def test_upload_type_is_decided_by_content(
    client: TestClient, session: Session, enterprise_user: User, auth, name: str, content: bytes
) -> None:
    need = factories.create_need(session, org=enterprise_user.org, user=enterprise_user)
    r = client.post(
        f"{API}/needs/{need.id}/attachments",
        files={"file": (name, content, "application/pdf")},
        headers=auth(enterprise_user),
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["details"][0]["field"] == "file"


# --- CSRF and cookies ---------------------------------------------------------------------------


def _page_login(client: TestClient, user: User) -> None:
    client.get("/login")
    csrf = client.cookies.get(CSRF_COOKIE)
    assert csrf
    r = client.post(
        "/login",
        data={"email": user.email, "password": factories.PASSWORD, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code in (302, 303), r.text


def test_cookie_session_writes_need_the_csrf_token(client: TestClient, enterprise_user: User) -> None:
    _page_login(client, enterprise_user)
    assert client.cookies.get(SESSION_COOKIE)
    body = factories.need_fields()
    r = client.post(f"{API}/needs", json=body)
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"
    r = client.post(f"{API}/needs", json=body, headers={CSRF_HEADER: "forged"})
    assert r.status_code == 403
    r = client.post(f"{API}/needs", json=body, headers={CSRF_HEADER: client.cookies.get(CSRF_COOKIE) or ""})
    assert r.status_code == 201, r.text
    # Reads need no token.
    assert client.get(f"{API}/auth/me").status_code == 200


def test_login_form_without_csrf_is_refused(client: TestClient, enterprise_user: User) -> None:
    r = client.post(
        "/login",
        data={"email": enterprise_user.email, "password": factories.PASSWORD},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert SESSION_COOKIE not in r.headers.get("set-cookie", "")


def _set_cookie_header(headers: object, name: str) -> str:
    for value in headers.get_list("set-cookie"):  # type: ignore[attr-defined]
        if value.startswith(f"{name}="):
            return value.lower()
    raise AssertionError(f"no Set-Cookie for {name}")


@pytest.mark.parametrize("secure", [False, True])
def test_session_cookie_flags(
    client: TestClient, enterprise_user: User, runtime: Runtime, monkeypatch: pytest.MonkeyPatch, secure: bool
) -> None:
    monkeypatch.setattr(runtime.settings.auth, "cookie_secure", secure)
    if secure:
        client.base_url = "https://testserver"  # type: ignore[assignment]  # Secure cookies only come back over https
    client.get("/login")
    csrf = client.cookies.get(CSRF_COOKIE)
    r = client.post(
        "/login",
        data={"email": enterprise_user.email, "password": factories.PASSWORD, "csrf_token": csrf},
        follow_redirects=False,
    )
    session_cookie = _set_cookie_header(r.headers, SESSION_COOKIE)
    assert "httponly" in session_cookie and "samesite=lax" in session_cookie
    assert ("secure" in session_cookie.split("; ")) is secure
    assert "samesite=lax" in _set_cookie_header(r.headers, CSRF_COOKIE)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_sign_in_never_redirects_off_site(client: TestClient, enterprise_user: User, target: str) -> None:
    client.get("/login")
    r = client.post(
        "/login",
        data={
            "email": enterprise_user.email,
            "password": factories.PASSWORD,
            "csrf_token": client.cookies.get(CSRF_COOKIE) or "",
            "next": target,
        },
        follow_redirects=False,
    )
    assert r.status_code in (302, 303)
    assert "evil.example" not in r.headers.get("location", "") + r.headers.get("hx-redirect", "")


def test_security_headers(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"


# --- secrets ------------------------------------------------------------------------------------


def test_passwords_never_reach_the_logs(
    client: TestClient,
    enterprise_user: User,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    secret = "Zz9-very-secret-Passw0rd"
    caplog.set_level(logging.DEBUG)
    client.post(
        f"{API}/auth/register",
        json={
            "org_name": "嘉兴日志测试有限公司",
            "org_kind": "enterprise",
            "email": "log@test.jiebang.cn",
            "display_name": "李工",
            "password": secret,
        },
    )
    client.post(f"{API}/auth/token", json={"email": "log@test.jiebang.cn", "password": secret})
    client.post(f"{API}/auth/token", json={"email": enterprise_user.email, "password": secret})
    client.post(
        f"{API}/auth/register",
        json={"org_name": "x", "org_kind": "bad", "email": "bad", "display_name": "", "password": secret},
    )
    client.get("/login")
    client.post(
        "/login",
        data={
            "email": enterprise_user.email,
            "password": secret,
            "csrf_token": client.cookies.get(CSRF_COOKIE) or "",
        },
    )
    out, err = capfd.readouterr()
    assert caplog.records, "expected some log output to inspect"
    assert secret not in caplog.text and secret not in out and secret not in err


def test_validation_errors_do_not_echo_passwords(client: TestClient) -> None:
    secret = "short7!"  # too short: a 422 about the password
    r = client.post(
        f"{API}/auth/register",
        json={
            "org_name": "嘉兴回显测试有限公司",
            "org_kind": "enterprise",
            "email": "echo@test.jiebang.cn",
            "display_name": "王工",
            "password": secret,
        },
    )
    assert r.status_code == 422 and secret not in r.text


def test_settings_keep_secrets_as_secretstr() -> None:
    s = Settings(auth={"secret_key": "s3cr3t-key-value"}, meili={"master_key": "m4ster-key-value"})  # type: ignore[arg-type]
    dumped = repr(s) + str(s.model_dump()) + s.model_dump_json()
    assert "s3cr3t-key-value" not in dumped and "m4ster-key-value" not in dumped
    assert s.secret_key() == "s3cr3t-key-value"


def test_tokens_are_stored_hashed(client: TestClient, session: Session, enterprise_user: User) -> None:
    token = client.post(
        f"{API}/auth/token", json={"email": enterprise_user.email, "password": factories.PASSWORD}
    ).json()["access_token"]
    stored = session.execute(text("SELECT token_hash FROM api_tokens")).scalars().all()
    assert token not in stored and all(len(h) == 64 for h in stored)
    users = session.execute(text("SELECT password_hash FROM users")).scalars().all()
    assert all(h.startswith("$argon2") for h in users)


# --- audit log is append-only -------------------------------------------------------------------


def test_audit_entries_cannot_be_changed_or_deleted(session: Session, enterprise_user: User) -> None:
    entry = audit.record(session, enterprise_user.id, "test.action", "user", enterprise_user.id, {"k": 1})
    session.flush()
    entry.action = "tampered"
    with pytest.raises(Forbidden):
        session.flush()
    session.rollback()
    entry = audit.record(session, enterprise_user.id, "test.action", "user", enterprise_user.id, {"k": 1})
    session.flush()
    session.delete(entry)
    with pytest.raises(Forbidden):
        session.flush()
    session.rollback()


def test_no_route_writes_the_audit_log(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if "audit" in p and set(paths[p]) & {"put", "patch", "delete", "post"}]
