"""Export buttons where the bureau's lists are shown; each link answers with the Excel file."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from market.batches import service as batch_service
from market.batches.schemas import BatchCreate
from market.orgs.models import User
from tests import factories

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _export_links(html: str) -> list[str]:
    return [h.replace("&amp;", "&") for h in re.findall(r'href="(/api/v1/[^"]*\.xlsx[^"]*)"', html)]


def test_lists_offer_their_export_and_it_downloads(login, session: Session, bureau_user: User, enterprise_user: User) -> None:
    need = factories.create_need(session, org=enterprise_user.org, status="published", county="海宁市")
    batch = batch_service.create_batch(session, bureau_user, BatchCreate(year=2026))
    c = login(bureau_user)
    pages = {
        "/needs?county=海宁市": "/api/v1/exports/needs.xlsx?county=",
        "/bureau/deals": "/api/v1/exports/deals.xlsx",
        f"/bureau/batches/{batch.id}": f"/api/v1/batches/{batch.id}/export.xlsx",
        "/bureau/audit": "/api/v1/audit/export.xlsx",
        "/dashboard": "/api/v1/progress/report.xlsx",
        "/bureau/recognitions?status=applied&year=2025": "/api/v1/exports/recognitions.xlsx?status=applied&year=2025",
        "/bureau/payouts?paid=due": "/api/v1/exports/recognitions.xlsx?paid=due",
        "/bureau/orgs": "/api/v1/exports/orgs.xlsx?verification=pending",
    }
    for page, prefix in pages.items():
        links = [h for h in _export_links(c.get(page).text) if h.startswith(prefix)]
        assert links, f"{page} has no export button"
        r = c.get(links[0])
        assert r.status_code == 200 and r.headers["content-type"].startswith(XLSX), (page, r.status_code)
    ent = login(enterprise_user)
    # No proposals yet: nothing to export, no button.
    assert _export_links(ent.get(f"/enterprise/needs/{need.id}/responses").text) == []
