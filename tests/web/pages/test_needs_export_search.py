"""The needs list's export with the search index up: the file lists the needs the list page shows,
in the order the search ranked them (relevance included), with the page's filters."""

from __future__ import annotations

import io
import re

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.web.pages.test_search_pages import needs, search_runtime  # noqa: F401 - fixtures

pytestmark = pytest.mark.meili


def test_the_export_lists_what_the_searched_list_shows(client: TestClient, needs: dict[str, int]) -> None:  # noqa: F811
    for params in ({"q": "数控机床"}, {"q": "数控机床", "sort": "relevance"}, {"sort": "deadline"}, {"industry": "装备制造", "sort": "newest"}):
        html = client.get("/needs", params=params).text
        shown = list(dict.fromkeys(int(i) for i in re.findall(r'<h3><a href="/needs/(\d+)">', html)))
        link = re.search(r'href="(/api/v1/exports/needs\.xlsx[^"]*)"', html).group(1).replace("&amp;", "&")
        assert "scope=public" in link
        ws = load_workbook(io.BytesIO(client.get(link).content)).active
        exported = [row[1] for row in ws.iter_rows(min_row=2, values_only=True)]
        assert exported == shown and shown, (params, exported, shown)
    assert exported == [needs["cnc"], needs["done"]]
