"""The pages people use most, in Chromium at 1280 and 390 px: no horizontal overflow, filters at
the top on a phone, tables as cards, and no serious or critical axe-core violations. Screenshots
go to test-artifacts/screenshots/layout-*.png (issue 18)."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from market.db import make_engine, make_sessionmaker, session_scope
from market.migrate import upgrade
from market.orgs.models import Role
from market.outbox import service as outbox
from market.settings import Settings
from tests import factories
from tests.web.pages.test_e2e_story import ARGS, CHROMIUM, SHOTS, _free_port

pytestmark = [pytest.mark.browser, pytest.mark.meili]

REPO = Path(__file__).resolve().parents[3]
AXE = Path(os.environ.get("JIEBANG_AXE_JS", REPO / "node_modules" / "axe-core" / "axe.min.js"))
WIDTHS = (1280, 390)


@pytest.fixture
def site(tmp_path: Path, meili_server: Any) -> Iterator[dict[str, Any]]:
    import uvicorn

    from matching.embedders import load_embedder
    from search.indexes import ensure_indexes
    from tests.support.meili import client_for, drop_indexes, unique_prefix
    from web.app import create_app
    from web.runtime import Runtime

    settings = Settings()
    settings.paths.data_dir = tmp_path
    settings.database.url = f"sqlite:///{tmp_path / 'layout.db'}"
    settings.embedding.backend = "hash"
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    client = client_for(meili_server)
    prefix = unique_prefix()
    embedder = load_embedder("hash")
    ensure_indexes(client, prefix, embedder.dim)
    rt = Runtime(settings=settings, engine=engine, session_factory=make_sessionmaker(engine), meili=client, index_prefix=prefix)
    rt.set_embedder(embedder)
    with session_scope(rt.session_factory) as s:
        bureau = factories.create_org(s, kind="bureau", industry=None, name="嘉兴市科学技术局")
        b_user = factories.create_user(s, bureau, roles=[Role.bureau_admin.value, Role.bureau_reviewer.value])
        ent = factories.create_org(s, kind="enterprise", name="嘉兴某精密机械有限公司")
        e_user = factories.create_user(s, ent)
        titles = ("数控机床主轴热变形误差补偿", "印染废水深度处理与中水回用", "造纸车间余热回收与蒸汽节能改造", "冲压模具在线磨损监测与寿命预测")
        needs = [
            factories.create_need(s, org=ent, user=e_user, status="published", title=t, deadline=dt.date(2027, 9, 30))
            for t in titles
        ]
        factories.create_need(s, org=ent, user=e_user, status="submitted", title="注塑车间能耗在线监测平台")
        for n in needs:
            outbox.enqueue(s, "need", n.id)
        users = {"enterprise": e_user.email, "bureau": b_user.email}
        need_id = needs[0].id
    app = create_app(runtime=rt, start_worker=True)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="uvicorn-layout", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield {"base": f"http://127.0.0.1:{port}", "users": users, "need_id": need_id}
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        rt.close()
        drop_indexes(client_for(meili_server), prefix)


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def _context(browser: Any, base: str, width: int, email: str | None) -> Any:
    ctx = browser.new_context(base_url=base, locale="zh-CN", viewport={"width": width, "height": 900})
    page = ctx.new_page()
    if email:
        page.goto("/login")
        page.get_by_label("邮箱").fill(email)
        page.get_by_label("密码").fill(factories.PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state("networkidle")
        assert "/login" not in page.url
    return page


def _check(page: Any, url: str, name: str, width: int) -> list[str]:
    page.goto(url)
    return inspect_page(page, name, width)


def inspect_page(page: Any, name: str, width: int) -> list[str]:
    """The page as it stands: a screenshot, then its horizontal overflow and serious or critical
    axe-core violations, as messages (none when it is right)."""
    page.wait_for_load_state("networkidle")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"layout-{name}-{width}.png"), full_page=True)
    problems = []
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        problems.append(f"{name}@{width}: {overflow}px horizontal overflow")
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    for v in result["violations"]:
        if v.get("impact") in ("serious", "critical"):
            targets = [", ".join(n["target"]) for n in v["nodes"][:3]]
            problems.append(f"{name}@{width}: axe {v['id']} ({v['impact']}): {targets}")
    return problems


def test_main_pages_fit_both_widths_and_pass_axe(site: dict[str, Any], browser: Any) -> None:
    assert AXE.exists(), f"axe-core missing at {AXE}: run npm ci (package.json pins it)"
    base, users = site["base"], site["users"]
    problems: list[str] = []
    # the worker indexes the seeded needs first
    probe = _context(browser, base, 1280, None)
    deadline = time.monotonic() + 90
    while True:
        probe.goto("/needs")
        if probe.locator(".need-item").count() >= 4:
            break
        assert time.monotonic() < deadline, "the needs were not indexed"
        time.sleep(1)
    for width in WIDTHS:
        anon = _context(browser, base, width, None)
        problems += _check(anon, "/", "home", width)
        problems += _check(anon, "/needs?industry=汽车制造", "needs-list", width)
        problems += _check(anon, f"/needs/{site['need_id']}", "need", width)
        if width == 390:
            # the filters open from a button above the results
            anon.goto("/needs")
            summary = anon.locator("summary.facets-summary")
            assert summary.is_visible()
            first_result = anon.locator(".need-item").first.bounding_box()
            assert summary.bounding_box()["y"] < first_result["y"]
            assert not anon.locator("#facets-title").is_visible()
        ent = _context(browser, base, width, users["enterprise"])
        problems += _check(ent, "/enterprise", "enterprise-workbench", width)
        problems += _check(ent, "/needs/999999", "error-404", width)
        if width == 390:
            # a table becomes cards: each cell labelled by its column
            ent.goto("/enterprise")
            assert ent.locator("table.stack td[data-label='状态']").count() >= 1
            box = ent.locator("table.stack tbody tr").first.bounding_box()
            assert box["width"] <= 390
        bur = _context(browser, base, width, users["bureau"])
        problems += _check(bur, "/bureau", "review-queue", width)
        problems += _check(bur, "/dashboard", "dashboard", width)
        problems += _check(bur, "/bureau/deals", "deals-board", width)
    assert not problems, "\n".join(problems)
