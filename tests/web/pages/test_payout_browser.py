"""The 奖补兑现 pages in Chromium at 1280 and 390 px: the bureau's payout list and a recognition's
page with its payout form fit without horizontal overflow and pass axe (serious / critical); an
over-payment typed into the form is refused next to its field, a correct one is recorded, and the
enterprise sees it. Screenshots: test-artifacts/screenshots/payout-*.png."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from market.db import make_engine, make_sessionmaker, session_scope
from market.migrate import upgrade
from market.orgs.models import Role
from market.recognitions import service as rs
from market.recognitions.schemas import PayoutIn, RecognitionCreate, RecognitionDecision
from market.settings import Settings
from tests import factories
from tests.web.pages.test_e2e_story import ARGS, CHROMIUM, SHOTS, _free_port
from tests.web.pages.test_layout_browser import AXE

pytestmark = pytest.mark.browser

WIDTHS = (1280, 390)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[dict[str, Any]]:
    import uvicorn

    from web.app import create_app
    from web.runtime import Runtime

    settings = Settings()
    settings.paths.data_dir = tmp_path
    settings.database.url = f"sqlite:///{tmp_path / 'payout.db'}"
    settings.embedding.backend = "hash"
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    rt = Runtime(settings=settings, engine=engine, session_factory=make_sessionmaker(engine))
    with session_scope(rt.session_factory) as s:
        bureau = factories.create_org(s, kind="bureau", industry=None, name="嘉兴市科学技术局")
        b_user = factories.create_user(s, bureau, roles=[Role.bureau_admin.value, Role.bureau_reviewer.value])
        ent = factories.create_org(s, kind="enterprise", name="嘉兴某精密机械有限公司", county="海宁市")
        e_user = factories.create_user(s, ent)
        recs = []
        for i, (name, level) in enumerate((
            ("新能源汽车电机壳高速压铸单元（9000 吨级一体化）", "provincial"), ("经编机电子送经系统", "municipal"),
            ("高速冲压模具在线监测系统", "national"),
        )):  # fmt: skip
            rec = rs.apply(s, e_user, RecognitionCreate.model_validate(
                {"product_name": name, "product_code": f"JX-{i}", "category": "equipment", "level": level, "year": 2025}
            ))  # fmt: skip
            factories.notice_served(s, b_user, rec.id)
            rs.recognise(s, b_user, rec.id, RecognitionDecision())
            recs.append(rec)
        rs.record_payout(s, b_user, recs[1].id, PayoutIn(amount_wan=20, paid_on=dt.date(2026, 4, 20), payment_batch="2026 年第一批奖补资金"))
        rs.record_payout(s, b_user, recs[2].id, PayoutIn(amount_wan=40, paid_on=dt.date(2026, 4, 20), payment_batch="2026 年第一批奖补资金"))
        info = {"bureau": b_user.email, "enterprise": e_user.email, "rec": recs[0].id, "award": recs[0].award_wan}
    app = create_app(runtime=rt, start_worker=False)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="uvicorn-payout", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield {"base": f"http://127.0.0.1:{port}", "session_factory": rt.session_factory, **info}
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        rt.close()


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def _page(browser: Any, base: str, width: int, email: str) -> Any:
    ctx = browser.new_context(base_url=base, locale="zh-CN", viewport={"width": width, "height": 900})
    page = ctx.new_page()
    page.goto("/login")
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("密码").fill(factories.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state("networkidle")
    assert "/login" not in page.url
    return page


def _problems(page: Any, name: str, width: int) -> list[str]:
    page.wait_for_load_state("networkidle")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"payout-{name}-{width}.png"), full_page=True)
    out = []
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        out.append(f"{name}@{width}: {overflow}px horizontal overflow")
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    for v in result["violations"]:
        if v.get("impact") in ("serious", "critical"):
            out.append(f"{name}@{width}: axe {v['id']} ({v['impact']}): {[', '.join(n['target']) for n in v['nodes'][:3]]}")
    return out


def test_the_payout_pages_fit_both_widths_and_record_a_payout(site: dict[str, Any], browser: Any) -> None:
    assert AXE.exists(), f"axe-core missing at {AXE}: run npm ci (package.json pins it)"
    problems: list[str] = []
    rec, award = site["rec"], site["award"]
    for width in WIDTHS:
        bur = _page(browser, site["base"], width, site["bureau"])
        bur.goto("/bureau/payouts")
        assert bur.get_by_role("link", name="登记兑现：新能源汽车电机壳高速压铸单元（9000 吨级一体化）").is_visible()
        problems += _problems(bur, "list", width)
        bur.goto("/bureau/payouts?paid=due")
        assert bur.locator("tbody tr").count() == 2  # the one fully paid is left out
        bur.goto(f"/bureau/recognitions/{rec}")
        if width == 1280:
            bur.get_by_label("兑现金额（万元）").fill(str(award + 1))
            bur.get_by_label("资金批次").fill("2026 年第二批奖补资金")
            bur.get_by_role("button", name="登记兑现").click()
            bur.wait_for_load_state("networkidle")
            error = bur.locator("#field-amount_wan .field-error")
            assert "超过待兑现金额" in error.inner_text()
            assert bur.get_by_label("资金批次").input_value() == "2026 年第二批奖补资金"
            problems += _problems(bur, "form-error", width)
            bur.get_by_label("兑现金额（万元）").fill("30")
            bur.get_by_role("button", name="登记兑现").click()
            bur.wait_for_load_state("networkidle")
            assert "已登记兑现 30 万元" in bur.content()
        assert bur.locator("#payouts tbody tr").count() == 1
        problems += _problems(bur, "detail", width)
        ent = _page(browser, site["base"], width, site["enterprise"])
        ent.goto(f"/enterprise/recognitions/{rec}")
        assert f"{award - 30:g} 万元" in ent.locator("#payouts").inner_text()
        problems += _problems(ent, "enterprise-detail", width)
        ent.goto("/recognitions")
        problems += _problems(ent, "public", width)
    assert not problems, "\n".join(problems)


def test_what_was_typed_comes_back_only_after_a_sign_in_that_interrupted_the_form(site: dict[str, Any], browser: Any) -> None:
    """app.js keeps a form's fields on submit; a successful submit that lands on the same address
    puts nothing back, a submit answered by the sign-in page (the session ran out) does, once
    signed in again."""
    from sqlalchemy import update

    from market.orgs.models import ApiToken, User

    rec = site["rec"]
    note = "已恢复您登录过期前填写的内容"
    bur = _page(browser, site["base"], 1280, site["bureau"])
    bur.goto(f"/bureau/recognitions/{rec}")
    bur.get_by_label("兑现金额（万元）").fill("10")
    bur.get_by_label("资金批次").fill("2026 年第二批奖补资金")
    bur.get_by_role("button", name="登记兑现").click()
    bur.wait_for_load_state("networkidle")
    assert bur.url.endswith(f"/bureau/recognitions/{rec}") and "已登记兑现 10 万元" in bur.content()
    assert note not in bur.content()
    assert bur.get_by_label("资金批次").input_value() == ""  # the success is not refilled

    bur.get_by_label("兑现金额（万元）").fill("5")
    bur.get_by_label("资金批次").fill("2026 年第三批奖补资金")
    with session_scope(site["session_factory"]) as s:  # the session runs out while typing
        user_id = s.scalar(select(User.id).where(User.email == site["bureau"]))
        s.execute(update(ApiToken).where(ApiToken.user_id == user_id).values(expires_at=dt.datetime(2020, 1, 1)))
    bur.get_by_role("button", name="登记兑现").click()
    bur.wait_for_url("**/login**")
    assert "登录已过期" in bur.content()
    bur.get_by_label("邮箱").fill(site["bureau"])
    bur.get_by_label("密码").fill(factories.PASSWORD)
    bur.get_by_role("button", name="登录").click()
    bur.wait_for_url(f"**/bureau/recognitions/{rec}")
    bur.wait_for_load_state("networkidle")
    assert note in bur.content()
    assert bur.get_by_label("资金批次").input_value() == "2026 年第三批奖补资金"
    assert bur.get_by_label("兑现金额（万元）").input_value() == "5"
    assert bur.locator("#payouts tbody tr").count() == 1  # nothing was stored by the refused submit
    bur.reload()
    assert note not in bur.content()  # put back once only
