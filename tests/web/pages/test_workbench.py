"""Each audience's workbench."""

from __future__ import annotations

from sqlalchemy.orm import Session

from market.orgs.models import User


def test_bureau_pages_render_and_are_forbidden_to_others(
    login, session: Session, bureau_user: User, enterprise_user: User
) -> None:
    c = login(bureau_user)
    for url in (
        "/bureau",
        "/bureau/batches",
        "/bureau/orgs",
        "/bureau/deals",
        "/bureau/recognitions",
        "/dashboard",
        "/dashboard/report",
    ):
        r = c.get(url)
        assert r.status_code == 200, (url, r.text[:500])
    c = login(enterprise_user)
    for url in ("/bureau", "/bureau/batches", "/bureau/orgs", "/dashboard"):
        r = c.get(url)
        assert r.status_code == 403 and "仅限科技局" in r.text, url
