"""The target editing page in Chromium at 1280 and 390 px: no horizontal overflow, an error shown
next to its field, an edit saved, no serious or critical axe-core violations. Screenshots go to
test-artifacts/screenshots/layout-targets-*.png."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from market.db import make_engine, make_sessionmaker, session_scope
from market.migrate import upgrade
from market.orgs.models import Role
from market.settings import Settings
from market.targets import service as targets
from market.targets.schemas import TargetCreate
from tests import factories
from tests.web.pages.test_e2e_story import ARGS, CHROMIUM, _free_port
from tests.web.pages.test_layout_browser import AXE, inspect_page

pytestmark = [pytest.mark.browser]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[dict[str, Any]]:
    import uvicorn

    from matching.embedders import load_embedder
    from web.app import create_app
    from web.runtime import Runtime

    settings = Settings()
    settings.paths.data_dir = tmp_path
    settings.database.url = f"sqlite:///{tmp_path / 'targets.db'}"
    settings.embedding.backend = "hash"
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    rt = Runtime(settings=settings, engine=engine, session_factory=make_sessionmaker(engine), meili=None, index_prefix="t")
    rt.set_embedder(load_embedder("hash"))
    with session_scope(rt.session_factory) as s:
        bureau = factories.create_org(s, kind="bureau", industry=None, name="嘉兴市科学技术局")
        user = factories.create_user(s, bureau, roles=[Role.bureau_admin.value, Role.bureau_reviewer.value])
        targets.seed_policy_targets(s, user.id)
        for county, value in (("南湖区", 40), ("海宁市", 30), ("桐乡市", 25)):
            targets.create(s, user, TargetCreate(metric="needs_published", year=2022, county=county, value=value,
                                                 note=f"{county}2022 年度分解任务"))  # fmt: skip
        email = user.email
    app = create_app(runtime=rt, start_worker=False)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="uvicorn-targets", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield {"base": f"http://127.0.0.1:{port}", "email": email}
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        rt.close()


def _problems(page: Any, name: str, width: int) -> list[str]:
    return inspect_page(page, f"targets-{name}", width)


@pytest.mark.parametrize("width", [1280, 390])
def test_target_page_at_both_widths(site: dict[str, Any], width: int) -> None:
    from playwright.sync_api import sync_playwright

    assert AXE.exists(), f"axe-core missing at {AXE}: run npm ci"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        ctx = browser.new_context(base_url=site["base"], locale="zh-CN", viewport={"width": width, "height": 900})
        page = ctx.new_page()
        page.goto("/login")
        page.get_by_label("邮箱").fill(site["email"])
        page.get_by_label("密码").fill(factories.PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state("networkidle")
        problems: list[str] = []
        page.goto("/bureau/targets?year=2022")
        assert "已分解到县（市、区）95 项，未分解 105 项" in page.content()
        problems += _problems(page, "list", width)
        # A split over what is left: the message sits under the 目标值 field, what was typed stays.
        page.get_by_role("link", name="新增目标").click()
        page.get_by_label("指标").select_option("needs_published")
        page.locator("#year").fill("2022")
        page.get_by_label("目标值").fill("200")
        page.get_by_label("县（市、区）").select_option("平湖市")
        page.get_by_role("button", name="保存目标").click()
        error = page.locator("#value-error")
        assert "最多可分解 105" in error.inner_text()
        field_box, error_box = page.locator("#value").bounding_box(), error.bounding_box()
        assert 0 <= error_box["y"] - field_box["y"] < 120 and abs(error_box["x"] - field_box["x"]) < 40
        assert page.locator("#value").input_value() == "200"
        problems += _problems(page, "error", width)
        # Edit the 2022 city-wide target's department.
        page.goto("/bureau/targets?year=2022")
        page.locator("section", has_text="发布技术需求（发榜） · 2022 年度").get_by_role("link", name="修改").first.click()
        page.get_by_label("责任部门").select_option("市经信局")
        page.get_by_role("button", name="保存修改").click()
        assert "目标已修改" in page.locator(".flash").first.inner_text()
        problems += _problems(page, "saved", width)
        page.goto("/bureau/targets/issues")
        problems += _problems(page, "issues", width)
        browser.close()
    assert not problems, "\n".join(problems)
