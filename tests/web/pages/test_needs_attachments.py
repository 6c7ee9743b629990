"""Need attachment pages (需求附件): the owning enterprise uploads on its need page (multipart, CSRF,
limits.max_upload_bytes as in the API, the type checked by the attachment store); the files are
listed and downloaded only by viewers who may see the need's details (public / nda after the terms /
invite), through the same rule as the API."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market.attachments.models import Attachment
from market.needs import service as ns
from market.needs.models import Need
from market.orgs.models import User
from tests import factories
from tests.web.pages.conftest import post_form
from web.runtime import Runtime

Login = Callable[[User], TestClient]
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _need(session: Session, owner: User, *, status: str = "published", **overrides: object) -> Need:
    return factories.create_need(session, org=owner.org, user=owner, status=status, **overrides)


def _upload(c: TestClient, need: Need, name: str, data: bytes, ctype: str = "application/pdf"):  # type: ignore[no-untyped-def]
    return post_form(c, f"/enterprise/needs/{need.id}/attachments", files={"file": (name, data, ctype)})


def _attachments(session: Session, need: Need) -> list[Attachment]:
    session.expire_all()
    return list(
        session.scalars(
            select(Attachment).where(Attachment.owner_type == "need", Attachment.owner_id == need.id).order_by(Attachment.id)
        )
    )


def _stored(session: Session, need: Need) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(Attachment).where(Attachment.owner_type == "need", Attachment.owner_id == need.id)
        )
        or 0
    )


def _no_attachments(page: str, link: str) -> bool:
    return link not in page and "需求附件" not in page


def _with_file(login: Login, session: Session, need: Need, owner: User, name: str = "零件图纸.pdf") -> str:
    """Upload a file as the owner (reading the page, so its flash is shown) and return the link."""
    c = login(owner)
    assert _upload(c, need, name, PDF).status_code == 303
    assert name in c.get(f"/enterprise/needs/{need.id}").text
    [att] = _attachments(session, need)
    return f"/needs/{need.id}/attachments/{att.id}"


def test_owner_uploads_and_downloads_the_same_bytes(login: Login, session: Session, enterprise_user: User) -> None:
    need = _need(session, enterprise_user, status="draft")
    c = login(enterprise_user)
    page = c.get(f"/enterprise/needs/{need.id}").text
    assert "需求附件（0）" in page and "暂无附件" in page
    assert 'enctype="multipart/form-data"' in page and "上传附件" in page and "PDF、PNG、JPEG" in page

    r = _upload(c, need, "冲压模具零件图.pdf", PDF)
    assert r.status_code == 303 and r.headers["location"] == f"/enterprise/needs/{need.id}#attachments"
    [att] = _attachments(session, need)
    assert att.filename == "冲压模具零件图.pdf" and att.size == len(PDF) and att.uploaded_by == enterprise_user.id
    link = f"/needs/{need.id}/attachments/{att.id}"
    page = c.get(f"/enterprise/needs/{need.id}").text
    assert "需求附件（1）" in page and "冲压模具零件图.pdf" in page and link in page
    assert f"{len(PDF) / 1024:.1f} KB" in page and "附件「冲压模具零件图.pdf」已上传" in page

    got = c.get(link)
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E5%86%B2" in got.headers["content-disposition"]
    assert got.headers["x-content-type-options"] == "nosniff" and "no-store" in got.headers["cache-control"]


def test_provider_downloads_a_public_published_needs_file(
    login: Login, session: Session, enterprise_user: User, provider_user: User, bureau_user: User
) -> None:
    need = _need(session, enterprise_user)
    link = _with_file(login, session, need, enterprise_user)
    for viewer in (provider_user, bureau_user):
        c = login(viewer)
        page = c.get(f"/needs/{need.id}").text
        assert "需求附件（1）" in page and link in page and "零件图纸.pdf" in page
        got = c.get(link)
        assert got.status_code == 200 and got.content == PDF
    # Signed-out visitors see neither the list nor the file; the link sends them to sign in.
    c = login(provider_user)
    c.cookies.clear()
    assert _no_attachments(c.get(f"/needs/{need.id}").text, link)
    r = c.get(link, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_nda_need_files_only_after_the_provider_accepts_the_terms(
    login: Login, session: Session, enterprise_user: User, provider_user: User
) -> None:
    need = _need(session, enterprise_user, disclosure="nda", confidentiality_terms="图纸不得外传")
    link = _with_file(login, session, need, enterprise_user)

    c = login(provider_user)
    page = c.get(f"/needs/{need.id}").text
    assert "接受保密承诺并查看详情" in page and link not in page and "零件图纸.pdf" not in page
    got = c.get(link)
    assert got.status_code == 404 and PDF not in got.content and "页面不存在" in got.text

    assert post_form(c, f"/needs/{need.id}/accept-terms", {"agree": "on"}).status_code == 303
    page = c.get(f"/needs/{need.id}").text
    assert "需求附件（1）" in page and link in page
    got = c.get(link)
    assert got.status_code == 200 and got.content == PDF


def test_invite_and_unpublished_needs_keep_their_files(
    login: Login, session: Session, enterprise_user: User, provider_user: User, other_provider_user: User
) -> None:
    invited = _need(session, enterprise_user, disclosure="invite")
    invite_link = _with_file(login, session, invited, enterprise_user)
    ns.invite(session, enterprise_user, invited.id, provider_user.org_id)
    session.flush()
    assert login(provider_user).get(invite_link).content == PDF
    c = login(other_provider_user)
    assert _no_attachments(c.get(f"/needs/{invited.id}").text, invite_link)
    assert c.get(invite_link).status_code == 404

    draft = _need(session, enterprise_user, status="draft")
    draft_link = _with_file(login, session, draft, enterprise_user)
    got = login(provider_user).get(draft_link)
    assert got.status_code == 404 and PDF not in got.content
    # An attachment of one need does not open through another need's link.
    [att] = _attachments(session, draft)
    assert login(provider_user).get(f"/needs/{invited.id}/attachments/{att.id}").status_code == 404


def test_another_enterprise_cannot_upload(
    login: Login, session: Session, enterprise_user: User, other_enterprise_user: User, provider_user: User
) -> None:
    published = _need(session, enterprise_user)
    draft = _need(session, enterprise_user, status="draft")
    c = login(other_enterprise_user)
    r = _upload(c, published, "冒名.pdf", PDF)
    assert r.status_code == 403 and "只有发榜企业可以执行此操作" in r.text
    assert _upload(c, draft, "冒名.pdf", PDF).status_code == 404
    assert c.get(f"/enterprise/needs/{published.id}").status_code == 403
    # A provider is not an enterprise at all.
    assert _upload(login(provider_user), published, "揭榜方.pdf", PDF).status_code == 403
    assert _stored(session, published) == 0 and _stored(session, draft) == 0


def test_refused_uploads_show_the_chinese_reason_and_store_nothing(
    login: Login, session: Session, enterprise_user: User, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    need = _need(session, enterprise_user)
    c = login(enterprise_user)
    monkeypatch.setattr(runtime.settings.limits, "max_upload_bytes", 1024)

    r = _upload(c, need, "大图纸.pdf", PDF + b"0" * 2048)
    assert r.status_code == 422 and "文件过大" in r.text and 'id="file-error"' in r.text
    assert "需求附件（0）" in r.text and 'enctype="multipart/form-data"' in r.text  # the page, re-rendered
    r = _upload(c, need, "run.exe", b"MZ\x90\x00" + b"\x00" * 64, "application/octet-stream")
    assert r.status_code == 422 and "不支持的文件类型" in r.text
    r = _upload(c, need, "规格书.pdf", PNG)
    assert r.status_code == 422 and "文件内容与扩展名不符" in r.text
    r = _upload(c, need, "空文件.pdf", b"")
    assert r.status_code == 422 and "文件为空" in r.text
    r = post_form(c, f"/enterprise/needs/{need.id}/attachments")
    assert r.status_code == 422 and "请选择要上传的文件" in r.text
    assert _stored(session, need) == 0


def test_upload_without_csrf_is_refused(login: Login, session: Session, enterprise_user: User) -> None:
    need = _need(session, enterprise_user)
    c = login(enterprise_user)
    r = c.post(
        f"/enterprise/needs/{need.id}/attachments",
        files={"file": ("图纸.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert r.status_code == 403 and "CSRF" in r.text
    assert _stored(session, need) == 0
