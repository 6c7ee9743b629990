"""Reviewers read the need's attachments (需求附件): the bureau on its review page, an expert assigned
to the need on the scoring page, whatever the need's disclosure (an assigned expert sees an nda or
invite need's details without accepting terms or being invited, by access.can_view_details). An
expert not assigned to the need gets neither the list nor the file, through the page or the API."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from market.attachments.models import Attachment
from market.needs.models import Need
from market.orgs.models import Role, User
from tests import factories
from tests.web.pages.conftest import post_form

Login = Callable[[User], TestClient]
Auth = Callable[[User], dict[str, str]]
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
FILE = "模具零件图纸.pdf"


def _need_with_file(login: Login, session: Session, owner: User, **overrides: object) -> tuple[Need, str]:
    """A submitted need (awaiting review) whose owner uploaded one drawing on its page; returns
    the need and the file's download link."""
    need = factories.create_need(session, org=owner.org, user=owner, status="submitted", **overrides)
    r = post_form(
        login(owner),
        f"/enterprise/needs/{need.id}/attachments",
        files={"file": (FILE, PDF, "application/pdf")},
    )
    assert r.status_code == 303
    session.expire_all()
    att = session.scalar(
        select(Attachment).where(Attachment.owner_type == "need", Attachment.owner_id == need.id)
    )
    assert att is not None
    return need, f"/needs/{need.id}/attachments/{att.id}"


def _assign(login: Login, bureau: User, need: Need, expert: User) -> None:
    r = post_form(login(bureau), f"/bureau/review/{need.id}/experts", {"expert_id": str(expert.id)})
    assert r.status_code == 303 and "error" not in r.headers.get("location", "")


@pytest.fixture
def other_expert(session: Session) -> User:
    org = factories.create_org(session, kind="institute", industry=None)
    return factories.create_user(session, org, roles=[Role.member.value, Role.expert.value])


def test_bureau_review_page_lists_and_downloads_the_needs_files(
    login: Login, session: Session, enterprise_user: User, bureau_user: User
) -> None:
    need, link = _need_with_file(login, session, enterprise_user)
    c = login(bureau_user)
    page = c.get(f"/bureau/review/{need.id}")
    assert page.status_code == 200
    assert "需求附件（1）" in page.text and FILE in page.text and link in page.text
    got = c.get(link)
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-disposition"].startswith("attachment;")

    # A need without files says so instead of an empty list.
    bare = factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="submitted")
    page = c.get(f"/bureau/review/{bare.id}").text
    assert "需求附件（0）" in page and "暂无附件" in page


@pytest.mark.parametrize("disclosure", ["public", "nda", "invite"])
def test_assigned_expert_sees_and_downloads_the_needs_files(
    login: Login,
    session: Session,
    enterprise_user: User,
    bureau_user: User,
    expert_user: User,
    disclosure: str,
) -> None:
    extra = {"confidentiality_terms": "图纸不得外传"} if disclosure == "nda" else {}
    need, link = _need_with_file(login, session, enterprise_user, disclosure=disclosure, **extra)
    _assign(login, bureau_user, need, expert_user)

    c = login(expert_user)
    page = c.get(f"/expert/needs/{need.id}")
    assert page.status_code == 200
    assert "需求附件（1）" in page.text and FILE in page.text and link in page.text
    got = c.get(link)
    assert got.status_code == 200 and got.content == PDF
    # A refused score re-renders the page with the files still listed.
    r = post_form(c, f"/expert/needs/{need.id}", {"score_industry_impact": "x"})
    assert r.status_code == 422 and link in r.text

    # Still readable once the need is on the list, without accepting terms or an invitation.
    need.status = "published"
    session.flush()
    assert link in c.get(f"/expert/needs/{need.id}").text
    assert c.get(link).content == PDF


@pytest.mark.parametrize("disclosure", ["nda", "invite"])
def test_unassigned_expert_gets_neither_the_list_nor_the_file(
    login: Login,
    session: Session,
    auth: Auth,
    enterprise_user: User,
    bureau_user: User,
    expert_user: User,
    other_expert: User,
    disclosure: str,
) -> None:
    extra = {"confidentiality_terms": "图纸不得外传"} if disclosure == "nda" else {}
    need, link = _need_with_file(login, session, enterprise_user, disclosure=disclosure, **extra)
    _assign(login, bureau_user, need, expert_user)

    c = login(other_expert)
    page = c.get(f"/expert/needs/{need.id}")
    assert page.status_code == 404 and FILE not in page.text and link not in page.text
    got = c.get(link)
    assert got.status_code == 404 and PDF not in got.content

    # Published: the need page shows no files to this expert (no terms accepted, not invited).
    need.status = "published"
    session.flush()
    c = login(other_expert)
    assert c.get(f"/expert/needs/{need.id}").status_code == 404
    page = c.get(f"/needs/{need.id}")
    assert page.status_code == 200 and FILE not in page.text and link not in page.text
    got = c.get(link)
    assert got.status_code == 404 and PDF not in got.content

    # The API answers by the same rule: the assigned expert reads the file, the other does not.
    c.cookies.clear()
    api = f"/api/v1{link}"
    assert c.get(f"/api/v1/needs/{need.id}/attachments", headers=auth(other_expert)).status_code == 404
    assert c.get(api, headers=auth(other_expert)).status_code == 404
    listed = c.get(f"/api/v1/needs/{need.id}/attachments", headers=auth(expert_user))
    assert listed.status_code == 200 and [a["filename"] for a in listed.json()] == [FILE]
    got = c.get(api, headers=auth(expert_user))
    assert got.status_code == 200 and got.content == PDF
