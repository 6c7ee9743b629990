"""End to end in a real browser: one full story on the real app.

The app runs under uvicorn in a thread on a free loopback port, against a temporary SQLite
database built by the migrations, a real Meilisearch and the outbox worker (hash embedder for
speed). Chromium (Debian's, through Playwright) then drives: an enterprise registers and posts a
need → the bureau verifies it, reviews and publishes the need in a batch → a provider finds it by
search and by recommendation → asks a public question (答疑) → the enterprise answers → the
provider gets the mail in the Maildir, follows its link → responds → the two exchange messages on
the response (对接沟通) → the enterprise selects → the deal is recorded (signed →
converted) → the progress dashboard counts it. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import datetime as dt
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from market.db import make_engine, make_sessionmaker, session_scope
from market.migrate import upgrade
from market.office.models import OfficeSetting
from market.orgs import security
from market.orgs import service as orgs
from market.orgs.models import Organisation, ProviderProfile, Role, User
from market.orgs.schemas import CapabilityItemIn, ProfileIn
from market.settings import Settings

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[3]
SHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "Demo@2026"
CST = dt.timezone(dt.timedelta(hours=8))
NEED_TITLE = "高速冲压线模具在线磨损监测与寿命预测"


# What the live app's test needs besides its address (the Maildir the app delivers into).
LIVE_DATA: dict[str, Path] = {}


def _mail_to(address: str, subject_part: str) -> list[Any]:
    """The mails in the live app's Maildir to ``address`` whose subject contains ``subject_part``."""
    import email
    import email.policy
    import mailbox

    folder = LIVE_DATA["mail_dir"]
    if not folder.exists():
        return []
    found = []
    box = mailbox.Maildir(folder, create=False)
    for key in box.keys():
        msg = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
        if address in str(msg["To"]) and subject_part in str(msg["Subject"]):
            found.append(msg)
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _seed(session_factory: Any) -> None:
    """The bureau and one verified provider with a capability profile (the enterprise registers
    through the pages)."""
    with session_scope(session_factory) as s:
        bureau = Organisation(
            name="嘉兴市科学技术局", kind="bureau", county="南湖区", verification="verified"
        )
        uni = Organisation(
            name="嘉兴智能制造研究院",
            kind="institute",
            county="南湖区",
            verification="verified",
            verified_at=dt.datetime.now(dt.UTC),
        )
        s.add_all([bureau, uni])
        # This story does not walk the expert review (tests/web/pages/test_needs.py does): the
        # bureau has set the office's minimum of expert scores to none.
        s.add(OfficeSetting(key="min_expert_scores", value=0))
        s.flush()
        s.add(
            User(
                org_id=bureau.id,
                email="kejiju@e2e.jiebang.cn",
                display_name="科技局审核员",
                password_hash=security.hash_password(PASSWORD),
                roles=[Role.bureau_admin.value, Role.bureau_reviewer.value],
            )
        )
        provider = User(
            org_id=uni.id,
            email="jiebang@e2e.jiebang.cn",
            display_name="王研究员",
            password_hash=security.hash_password(PASSWORD),
            roles=[Role.org_admin.value, Role.member.value],
        )
        s.add_all([provider, ProviderProfile(org_id=uni.id)])
        s.flush()
        orgs.update_profile(
            s,
            provider,
            uni.id,
            ProfileIn(
                fields=["冲压模具", "磨损监测", "寿命预测", "机器视觉"],
                industries=["汽车制造", "装备制造"],
                tracks=["digital"],
                summary="长期从事冲压模具磨损在线监测、声发射与振动信号分析、模具寿命预测研究。",
                team="教授 2 名，博士 5 名。",
                typical_deal_min_wan=30,
                typical_deal_max_wan=200,
                track_record=12,
                items=[
                    CapabilityItemIn(
                        kind="project",
                        title="冲压模具磨损在线监测与寿命预测系统",
                        description="声发射与电流信号融合识别模具磨损，预测剩余寿命。",
                        year=2024,
                    ),
                    CapabilityItemIn(kind="patent", title="一种冲压模具磨损状态在线检测方法", year=2023),
                ],
            ),
        )


LIVE: dict[str, Any] = {}  # the running app's session factory, for "time passes" steps


def _notice_period_passes(batch_id: int) -> None:
    """Nine days later: the batch's notice period has ended (China Standard Time)."""
    from market.batches.models import Batch

    with session_scope(LIVE["session_factory"]) as s:
        batch = s.get(Batch, batch_id)
        assert batch is not None and batch.notice_start is not None and batch.notice_end is not None
        shift = (batch.notice_end - dt.datetime.now(CST).date()).days + 1
        batch.notice_start -= dt.timedelta(days=shift)
        batch.notice_end -= dt.timedelta(days=shift)


@pytest.fixture
def live_app(tmp_path: Path, meili_server: Any) -> Iterator[str]:
    import uvicorn

    from matching.embedders import load_embedder
    from search.indexes import ensure_indexes
    from tests.support.meili import client_for, drop_indexes, unique_prefix
    from web.app import create_app
    from web.runtime import Runtime

    settings = Settings()
    settings.paths.data_dir = tmp_path
    settings.database.url = f"sqlite:///{tmp_path / 'e2e.db'}"
    settings.embedding.backend = "hash"
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    client = client_for(meili_server)
    prefix = unique_prefix()
    embedder = load_embedder("hash")
    ensure_indexes(client, prefix, embedder.dim)
    rt = Runtime(
        settings=settings,
        engine=engine,
        session_factory=make_sessionmaker(engine),
        meili=client,
        index_prefix=prefix,
    )
    rt.set_embedder(embedder)
    _seed(rt.session_factory)
    LIVE["session_factory"] = rt.session_factory
    port = _free_port()
    settings.mail.base_url = f"http://127.0.0.1:{port}"  # links in the mails (Maildir under tmp_path/mail)
    app = create_app(runtime=rt, start_worker=True)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    LIVE_DATA["mail_dir"] = settings.paths.mail_dir
    thread = threading.Thread(target=server.run, name="uvicorn-e2e", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        LIVE_DATA.pop("mail_dir", None)
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


def _shot(page: Any, name: str, *, full: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full)


def _login(browser: Any, base: str, email: str, *, viewport: dict[str, int] | None = None) -> Any:
    ctx = browser.new_context(
        base_url=base, locale="zh-CN", viewport=viewport or {"width": 1366, "height": 900}
    )
    page = ctx.new_page()
    page.goto("/login")
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state("networkidle")
    assert "/login" not in page.url, page.content()[:2000]
    return page


def _flash(page: Any) -> str:
    return page.locator(".flash").first.inner_text()


def _wait_until(check: Any, timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def test_full_story_from_posting_to_the_dashboard(live_app: str, browser: Any) -> None:
    base = live_app
    today = dt.datetime.now(CST).date()

    # --- 1. The enterprise registers (with a mistake first: errors next to the fields) ----------
    ent_ctx = browser.new_context(base_url=base, locale="zh-CN", viewport={"width": 1366, "height": 900})
    ent = ent_ctx.new_page()
    ent.goto("/")
    _shot(ent, "01-home-empty")
    ent.goto("/register")
    ent.get_by_label("单位名称").fill("嘉兴精锻汽车零部件有限公司")
    ent.get_by_label("单位类型").select_option("enterprise")
    ent.get_by_label("所在县（市、区）").select_option("南湖区")
    ent.get_by_label("所属行业").select_option("汽车制造")
    ent.get_by_label("联系人姓名").fill("张工")
    ent.get_by_label("邮箱（登录名）").fill("zhang@jingduan")
    ent.locator("#password").fill("Demo@2026")
    ent.get_by_label("确认密码").fill("Demo@2026")
    ent.get_by_role("button", name="注册").click()
    assert ent.locator("#email-error").inner_text().endswith("邮箱格式不正确")
    _shot(ent, "02-register-field-error")
    ent.get_by_label("邮箱（登录名）").fill("zhang@jingduan.example.cn")
    ent.locator("#password").fill("Demo@2026")
    ent.get_by_label("确认密码").fill("Demo@2026")
    ent.get_by_role("button", name="注册").click()
    # The same answer whether or not the address has an account (issue 14, finding 9): no sign-in,
    # 已提交，请查收邮件 on the sign-in page; the new account signs in with its password.
    ent.wait_for_url(re.compile(r"/login$"))
    assert "已提交，请查收邮件" in _flash(ent)
    _shot(ent, "02b-register-submitted")
    ent.get_by_label("邮箱").fill("zhang@jingduan.example.cn")
    ent.get_by_label("密码").fill("Demo@2026")
    ent.get_by_role("button", name="登录").click()
    ent.wait_for_url(re.compile(r"/enterprise$"))
    assert "待认证" in ent.content()

    # --- 2. ... and posts a need, with live validation on blur --------------------------------
    ent.goto("/enterprise/needs/new")
    ent.get_by_label("需求名称").fill("模具")
    ent.get_by_label("需求摘要").click()  # blur → htmx validates the field
    ent.locator("#title-msg .field-error").wait_for()
    assert "内容过短" in ent.locator("#title-msg").inner_text()
    ent.get_by_label("需求名称").fill(NEED_TITLE)
    ent.get_by_label("需求摘要").fill(
        "在 12 条高速冲压线上在线监测模具磨损状态并预测剩余寿命，减少批量毛刺缺陷和非计划停机。"
    )
    ent.locator("#title-msg").get_by_text("内容过短").wait_for(state="detached")
    ent.get_by_label("所属行业").select_option("汽车制造")
    ent.get_by_label("改造方向").select_option("digital")
    ent.get_by_label("预算下限（万元）").fill("50")
    ent.get_by_label("预算上限（万元）").fill("120")
    ent.get_by_label("揭榜截止日期").fill((today + dt.timedelta(days=120)).isoformat())
    ent.get_by_label("合作方式").select_option("技术开发")
    ent.get_by_label("技术难题").fill(
        "模具磨损靠人工抽检，换模不及时导致批量毛刺；现有振动阈值报警误报率高。"
    )
    ent.get_by_label("指标要求").fill("磨损识别准确率≥95%，剩余寿命预测误差≤10%，接入 MES。")
    ent.get_by_label("联系人").fill("张工")
    ent.get_by_label("联系电话").fill("0573-82000000")
    _shot(ent, "03-need-form")
    ent.get_by_role("button", name="保存草稿").click()
    ent.wait_for_url(re.compile(r"/enterprise/needs/\d+$"))
    need_id = int(ent.url.rsplit("/", 1)[1])
    assert "草稿" in ent.content()

    # --- 3. The bureau verifies the organisation --------------------------------------------------
    bur = _login(browser, base, "kejiju@e2e.jiebang.cn")
    bur.goto("/bureau/orgs")
    bur.get_by_role("button", name="认证通过：嘉兴精锻汽车零部件有限公司").click()
    assert "已通过认证" in _flash(bur)

    # --- 4. The enterprise submits for review -----------------------------------------------------
    ent.reload()
    ent.get_by_role("button", name="提交审核").click()
    assert "已提交科技局审核" in _flash(ent)
    assert "待审核" in ent.locator(".page-head").inner_text()

    # --- 5. The bureau reviews, approves and publishes it in a batch -----------------------------
    bur.goto("/bureau")
    _shot(bur, "04-bureau-queue")
    bur.get_by_role("link", name=NEED_TITLE).click()
    _shot(bur, "05-bureau-review")
    bur.get_by_role("button", name="审核通过").click()
    assert "审核通过" in _flash(bur)
    bur.goto("/bureau/batches")
    bur.get_by_role("button", name="新建榜单").click()
    bur.wait_for_url(re.compile(r"/bureau/batches/\d+$"))
    batch_title = bur.locator("h1").inner_text()
    assert re.fullmatch(r"\d{4}年第\d+批", batch_title)
    bur.get_by_label(re.compile(NEED_TITLE)).check()
    bur.get_by_role("button", name="加入榜单").click()
    assert "已加入 1 项需求" in _flash(bur)
    batch_id = int(bur.url.rsplit("/", 1)[1])
    # Public notice (公示): at least five working days; publishing waits for its end.
    bur.get_by_label("公示开始").fill(today.isoformat())
    bur.get_by_label("公示结束").fill((today + dt.timedelta(days=9)).isoformat())
    bur.get_by_role("button", name="开始公示").click()
    assert "已开始公示" in _flash(bur)
    assert "公示期满后才能发布" in bur.locator("aside").inner_text()
    # A member of the public, not signed in, sees the batch on notice and how to object.
    pub = browser.new_context(base_url=base, locale="zh-CN").new_page()
    pub.goto("/notices")
    pub.get_by_role("link", name=batch_title).click()
    assert NEED_TITLE in pub.locator("main").inner_text()
    assert "请先登录后提出异议" in pub.locator("main").inner_text()
    _shot(pub, "06a-public-notice")
    # A signed-in provider objects; the bureau answers in writing and the objector is told.
    objector = _login(browser, base, "jiebang@e2e.jiebang.cn")
    objector.goto(f"/notices/{batch_id}")
    objector.get_by_label("对此需求提出异议（写明理由）").fill("该需求的验收指标与已发布的需求重复，请核实")
    objector.get_by_role("button", name="提交异议").click()
    assert "异议已提交" in _flash(objector)
    bur.reload()
    bur.get_by_label("书面答复（将通知异议人）").fill("经核查，两项需求的对象与指标不同，维持公示")
    bur.get_by_role("button", name="答复异议").click()
    assert "已通知异议人" in _flash(bur)
    objector.goto("/notifications")
    assert "公示异议已答复" in objector.locator("main").inner_text()
    objector.context.close()
    pub.context.close()
    _notice_period_passes(batch_id)
    bur.reload()
    bur.once("dialog", lambda d: d.accept())
    bur.get_by_role("button", name="发布榜单").click()
    assert "已发布" in _flash(bur)
    _shot(bur, "06-batch-published")

    # --- 6. The provider finds it by search (after the worker indexed it) and by recommendation --
    prov = _login(browser, base, "jiebang@e2e.jiebang.cn")

    def found() -> bool:
        prov.goto("/needs?q=" + "模具 磨损")
        return (
            NEED_TITLE in prov.locator(".need-list").inner_text()
            if prov.locator(".need-list").count()
            else False
        )

    _wait_until(found, what="the need in the search index")
    assert prov.locator(".need-list mark").count() > 0  # highlighted terms
    assert prov.locator(".facet").count() > 0 and "搜索服务暂时不可用" not in prov.content()
    _shot(prov, "07-search-results")
    prov.goto("/provider")
    rec = prov.locator(".need-item", has_text=NEED_TITLE)
    rec.wait_for()
    assert "推荐理由" in rec.inner_text() and "语义相似度" in rec.inner_text()
    _shot(prov, "08-provider-recommendations")

    # --- 7. ... asks a public question, which the enterprise answers; the mail brings the provider back
    rec.get_by_role("link", name=NEED_TITLE).click()
    assert "0573-82000000" in prov.content()  # details of a public-disclosure need
    _shot(prov, "09-need-detail-provider")
    prov.get_by_label("向发榜企业提问").fill("12 条冲压线的模具是否允许加装声发射传感器？可否停机安装？")
    prov.get_by_role("button", name="提交问题").click()
    assert "问题已提交" in _flash(prov)
    assert "本单位提问" in prov.locator("#qa").inner_text()
    ent.goto(f"/needs/{need_id}")
    assert "嘉兴智能制造研究院" not in ent.locator("#qa").inner_text()  # the asker's organisation is not shown
    ent.get_by_label("答复").fill("允许加装，可在每周日停机 4 小时安装调试。")
    ent.get_by_role("button", name="发布答复").click()
    assert "答复已发布" in _flash(ent)
    _shot(ent, "09a-qa-answered")
    _wait_until(lambda: bool(_mail_to("jiebang@e2e.jiebang.cn", "答疑有新答复")), what="the answer's mail in the Maildir")
    [mail] = _mail_to("jiebang@e2e.jiebang.cn", "答疑有新答复")
    assert mail["Subject"].startswith("【揭榜挂帅】需求「")
    text = mail.get_body(("plain",)).get_content()
    assert "允许加装" in text
    link = re.search(r"(http://127\.0\.0\.1:\d+/needs/\d+#qa)", text)
    assert link is not None and link.group(1) in mail.get_body(("html",)).get_content()
    prov.goto("/provider")  # the provider is elsewhere when the mail comes in
    prov.goto(link.group(1))
    assert "允许加装，可在每周日停机 4 小时安装调试。" in prov.locator("#qa").inner_text()
    assert "答（发榜企业）" in prov.locator("#qa").inner_text()

    # --- 8. ... and responds ---------------------------------------------------------------------------
    prov.get_by_role("link", name="我要揭榜").click()
    prov.get_by_label("技术方案").fill("短")
    prov.get_by_role("button", name="提交揭榜方案").click()
    assert "技术方案至少 10 个字" in prov.locator("#approach-msg").inner_text()
    prov.get_by_label("技术方案").fill(
        "声发射与主电机电流信号融合识别模具磨损，边缘端部署，剩余寿命用退化模型预测。"
    )
    prov.get_by_label("进度安排").fill("3 个月样机，6 个月上线验收。")
    prov.get_by_label("报价（万元）").fill("95")
    prov.get_by_role("button", name="提交揭榜方案").click()
    assert "揭榜方案已提交" in _flash(prov)

    # --- 9. The two talk on the response (对接沟通), with read receipts ----------------------------
    prov.goto(f"/needs/{need_id}")
    prov.get_by_role("link", name=re.compile("查看我的揭榜方案")).click()
    prov.wait_for_url(re.compile(r"/provider/responses/\d+"))
    response_id = int(re.search(r"/provider/responses/(\d+)", prov.url).group(1))  # type: ignore[union-attr]
    prov.get_by_label("发送消息").fill("您好，我们希望下周到现场调研冲压线，可否安排？")
    prov.get_by_role("button", name="发送").click()
    assert "消息已发送" in _flash(prov)
    ent.goto(f"/responses/{response_id}")
    thread = ent.locator("#messages")
    assert "我们希望下周到现场调研冲压线" in thread.inner_text() and "揭榜方" in thread.inner_text()
    ent.get_by_label("发送消息").fill("可以，下周二上午九点厂区门口见。")
    ent.get_by_role("button", name="发送").click()
    assert "消息已发送" in _flash(ent)
    prov.reload()
    assert "下周二上午九点厂区门口见" in prov.locator("#messages").inner_text()
    assert "对方已读" in prov.locator("#messages").inner_text()  # the enterprise opened the thread
    _shot(prov, "09b-messages")

    # --- 10. The enterprise compares and selects ----------------------------------------------------
    ent.goto(f"/enterprise/needs/{need_id}/responses")
    assert "嘉兴智能制造研究院" in ent.locator(".compare").inner_text()
    _shot(ent, "10-compare-responses")
    ent.once("dialog", lambda d: d.accept())
    ent.get_by_role("button", name="选定为揭榜方").click()
    ent.wait_for_url(re.compile(r"/deals/\d+$"))
    assert "对接中" in ent.locator(".page-head").inner_text()

    # --- 11. The deal is recorded: intent → signed → in progress → accepted → converted ------------
    ent.get_by_label("进入阶段").select_option("intent")
    ent.get_by_role("button", name="保存进展").click()
    assert "达成意向" in _flash(ent)
    ent.get_by_label("进入阶段").select_option("signed")
    ent.get_by_role("button", name="保存进展").click()  # without the contract facts
    assert "须填写合同金额" in ent.locator(".flash-error").inner_text()
    ent.get_by_label("进入阶段").select_option("signed")
    ent.get_by_label(re.compile("^合同金额")).fill("95")
    ent.get_by_label(re.compile("^签约日期")).fill(today.isoformat())
    ent.get_by_role("button", name="保存进展").click()
    assert "已签约" in _flash(ent)
    ent.get_by_label("进入阶段").select_option("in_progress")
    ent.get_by_role("button", name="保存进展").click()
    ent.get_by_label("进入阶段").select_option("accepted")
    ent.get_by_label(re.compile("^验收日期")).fill(today.isoformat())
    ent.get_by_label("验收结论 / 转化成效").fill("识别准确率 96.3%，寿命预测误差 8%，已接入 MES。")
    ent.get_by_role("button", name="保存进展").click()
    assert "已验收" in _flash(ent)
    ent.get_by_label("进入阶段").select_option("converted")
    ent.get_by_label(re.compile("^转化日期")).fill(today.isoformat())
    ent.get_by_role("button", name="保存进展").click()
    assert "已转化" in _flash(ent)
    _shot(ent, "11-deal-converted")
    deal_id = ent.url.rsplit("/", 1)[1]
    ent.goto("/enterprise/recognitions/new")  # ... and applies for 首版次软件 recognition
    ent.get_by_label("产品（项目）名称").fill("冲压模具磨损在线监测软件")
    ent.get_by_label("认定类别").select_option("software")
    ent.get_by_label("申报级别").select_option("municipal")
    ent.get_by_label("来源需求（发榜）").select_option(str(need_id))
    ent.get_by_label("来源对接项目").select_option(deal_id)
    ent.get_by_role("button", name="提交申报").click()
    if today.year > 2025:
        # The 2022 policy is valid to the end of 2025: a later year is not priced under it.
        assert "不在任何已发布政策版本的有效期内" in _flash(ent)
        ent.get_by_label("申报年度").fill("2025")
        ent.get_by_role("button", name="提交申报").click()
    assert "认定申报已提交" in _flash(ent) and "已申报" in ent.locator(".page-head").inner_text()
    ent.goto(f"/enterprise/needs/{need_id}")
    assert "已转化" in ent.locator(".page-head").inner_text()

    # --- 12. The dashboard counts it ------------------------------------------------------------------
    bur.goto("/bureau/deals")
    assert NEED_TITLE in bur.locator("#col-converted").locator("xpath=..").inner_text()
    _shot(bur, "12-deals-board")
    bur.goto(f"/bureau/targets/new?year={today.year}")
    bur.get_by_label("指标").select_option("deals_signed")
    bur.get_by_label("目标值").fill("10")
    bur.get_by_role("button", name="保存目标").click()
    assert "目标已保存" in _flash(bur)
    bur.goto(f"/bureau/targets/new?year={today.year}")
    bur.get_by_label("指标").select_option("needs_published")
    bur.get_by_label("目标值").fill("5")
    bur.get_by_role("button", name="保存目标").click()
    bur.goto(f"/dashboard?year={today.year}")
    assert bur.locator('td[data-metric="deals_signed"]').inner_text() == "1"
    assert bur.locator('td[data-metric="needs_published"]').inner_text() == "1"
    bur.locator("[data-chart] svg").first.wait_for()  # ECharts drew
    _shot(bur, "13-dashboard")
    # The same figures as the API (one computation).
    api = bur.request.get(f"/api/v1/progress?year={today.year}").json()
    assert {t["metric"]: t["actual"] for t in api["targets"]} == {"needs_published": 1, "deals_signed": 1}
    bur.goto(f"/dashboard/report?year={today.year}")
    assert "晾晒通报" in bur.locator("h1").inner_text()
    bur.locator("[data-chart] svg").first.wait_for()
    _shot(bur, "14-report-printable")

    # --- Phone-sized pages ------------------------------------------------------------------------------
    phone = browser.new_context(
        base_url=base, locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    m = phone.new_page()
    m.goto("/")
    assert batch_title in m.content()
    _shot(m, "15-phone-home")
    m.get_by_role("button", name="菜单").click()
    m.get_by_role("navigation", name="主导航").get_by_role("link", name="需求榜单").click()
    m.wait_for_url(re.compile(r"/needs"))
    _shot(m, "16-phone-needs")
    m.goto(f"/needs/{need_id}")
    assert m.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), (
        "horizontal overflow on phone"
    )
    _shot(m, "17-phone-need")
    m.goto("/no-such-page")
    assert "页面不存在" in m.content()
    _shot(m, "18-phone-404")
    for ctx in (phone, ent_ctx, bur.context, prov.context):
        ctx.close()


def _recognition_notice_passes(rec_id: int) -> None:
    """Ten days later: the recognition's notice period has ended (China Standard Time)."""
    from market.recognitions.models import Recognition

    with session_scope(LIVE["session_factory"]) as s:
        rec = s.get(Recognition, rec_id)
        assert rec is not None and rec.notice_start is not None and rec.notice_end is not None
        shift = (rec.notice_end - dt.datetime.now(CST).date()).days + 1
        rec.notice_start -= dt.timedelta(days=shift)
        rec.notice_end -= dt.timedelta(days=shift)


def _seed_recognition_people() -> None:
    """An enterprise, two experts of their own institutes, a member of the public who objects;
    the office asks for two experts' scores again."""
    with session_scope(LIVE["session_factory"]) as s:
        s.merge(OfficeSetting(key="min_expert_scores", value=2))
        people = [
            ("嘉兴恒创智能装备有限公司", "enterprise", "li@hengchuang.e2e.cn", "李经理", [Role.org_admin.value, Role.member.value]),
            ("浙江清华长三角研究院", "institute", "zhou@e2e.jiebang.cn", "周教授", [Role.member.value, Role.expert.value]),
            ("嘉兴学院", "university", "wu@e2e.jiebang.cn", "吴教授", [Role.member.value, Role.expert.value]),
            ("海宁某经编有限公司", "enterprise", "chen@e2e.jiebang.cn", "陈先生", [Role.org_admin.value, Role.member.value]),
        ]
        for org_name, kind, email, name, roles in people:
            org = Organisation(name=org_name, kind=kind, county="南湖区", verification="verified", verified_at=dt.datetime.now(dt.UTC))
            s.add(org)
            s.flush()
            s.add(User(org_id=org.id, email=email, display_name=name, password_hash=security.hash_password(PASSWORD), roles=roles))


def test_a_recognition_from_application_through_notice_to_recognition(live_app: str, browser: Any, tmp_path: Path) -> None:
    """申报 with an evidence file → 初审 → two experts score → 公示 on the public page → an
    objection, answered in writing → the notice ends → 认定."""
    base = live_app
    _seed_recognition_people()
    product = "高速精密冲压模具在线监测系统"
    evidence = tmp_path / "首台套认定证明.pdf"
    evidence.write_bytes(b"%PDF-1.4 e2e\n%%EOF\n")

    ent = _login(browser, base, "li@hengchuang.e2e.cn")
    ent.goto("/enterprise/recognitions/new")
    ent.get_by_label("产品（项目）名称").fill(product)
    ent.get_by_label("认定类别").select_option("equipment")
    ent.get_by_label("申报级别").select_option("provincial")
    ent.get_by_label("申报年度").fill("2024")
    ent.locator("#evidence_file").set_input_files(str(evidence))
    ent.get_by_role("button", name="提交申报").click()
    ent.wait_for_url(re.compile(r"/enterprise/recognitions/\d+$"))
    assert "已上传 1 个证明材料文件" in _flash(ent)
    assert ent.get_by_role("link", name="首台套认定证明.pdf").count() == 1
    rec_id = int(ent.url.rsplit("/", 1)[1])
    _shot(ent, "r1-recognition-applied")

    bur = _login(browser, base, "kejiju@e2e.jiebang.cn")
    bur.goto(f"/bureau/recognitions/{rec_id}")
    bur.get_by_role("button", name="通过初审").click()
    assert "已通过初审" in _flash(bur)
    for expert in ("周教授", "吴教授"):
        bur.get_by_label("安排评审专家").select_option(label=next(
            o for o in bur.locator("#expert_id option").all_inner_texts() if o.startswith(expert)
        ))  # fmt: skip
        bur.get_by_role("button", name="安排专家").click()
        assert "已安排专家评审" in _flash(bur)

    for email, score in (("zhou@e2e.jiebang.cn", "88"), ("wu@e2e.jiebang.cn", "82")):
        exp = _login(browser, base, email)
        exp.goto("/expert")
        exp.locator(f'a[href="/expert/recognitions/{rec_id}"]').click()
        assert exp.get_by_role("link", name="首台套认定证明.pdf").count() == 1  # the assigned expert reads the files
        exp.get_by_label("评分（0–100）").fill(score)
        exp.get_by_label("评审意见").fill("技术指标国内领先，应用案例充分。")
        exp.get_by_role("button", name="提交评分").click()
        assert "评分已提交" in _flash(exp)
        _shot(exp, "r2-expert-scored")
        exp.context.close()

    bur.goto(f"/bureau/recognitions/{rec_id}")
    bur.get_by_role("button", name="完成专家评审").click()
    assert "专家评审已完成" in _flash(bur)
    bur.get_by_role("button", name="开始公示").click()  # the window is prefilled: today and nine days on
    assert "已开始公示" in _flash(bur)

    public = browser.new_context(base_url=base, locale="zh-CN").new_page()
    public.goto("/recognition-notices")
    assert product in public.content() and "嘉兴恒创智能装备有限公司" in public.content() and "如何提出异议" in public.content()
    _shot(public, "r3-recognition-public-notice")

    objector = _login(browser, base, "chen@e2e.jiebang.cn")
    objector.goto("/recognition-notices")
    objector.get_by_label("对此项提出异议（写明理由）").fill("同类产品 2021 年已在省内销售，请核实首台（套）性质。")
    objector.get_by_role("button", name="提交异议").click()
    assert "异议已提交" in _flash(objector)

    _recognition_notice_passes(rec_id)
    bur.goto(f"/bureau/recognitions/{rec_id}")
    assert bur.get_by_role("button", name="认定").count() == 0  # the objection is still open
    bur.get_by_label("书面答复").fill("经核实，2021 年销售的为进口同类产品，首台（套）性质成立，异议不成立。")
    bur.get_by_role("button", name="答复异议").click()
    assert "已书面答复" in _flash(bur)
    bur.get_by_role("button", name="认定", exact=True).click()
    assert "已认定" in _flash(bur)
    _shot(bur, "r4-recognition-recognised")

    objector.goto("/notifications")
    assert "认定公示的异议已答复" in objector.content()
    ent.goto(f"/enterprise/recognitions/{rec_id}")
    assert "已认定" in ent.content() and "公示中" in ent.content()  # the status and its history

    # --- 奖补兑现: an over-payment is refused next to its field, then the first payout ------------
    from market.recognitions.models import Recognition

    with session_scope(LIVE["session_factory"]) as s:
        rec = s.get(Recognition, rec_id)
        assert rec is not None and rec.award_wan
        award = float(rec.award_wan)
    first = round(award / 2, 4)
    bur.goto(f"/bureau/recognitions/{rec_id}")
    bur.get_by_label("兑现金额（万元）").fill(f"{award + 1:g}")
    bur.get_by_label("资金批次").fill("2026 年第一批奖补资金")
    bur.get_by_role("button", name="登记兑现").click()
    bur.wait_for_load_state("networkidle")
    assert "超过待兑现金额" in bur.locator("#field-amount_wan .field-error").inner_text()
    assert bur.get_by_label("资金批次").input_value() == "2026 年第一批奖补资金"  # nothing typed is lost
    _shot(bur, "r5-payout-refused")
    bur.get_by_label("兑现金额（万元）").fill(f"{first:g}")
    bur.get_by_role("button", name="登记兑现").click()
    bur.wait_for_load_state("networkidle")
    assert f"已登记兑现 {first:g} 万元" in bur.content()
    assert bur.locator("#payouts tbody tr").count() == 1
    _shot(bur, "r6-payout-recorded")

    for width in (1280, 390):
        page = ent if width == 1280 else _login(browser, base, "li@hengchuang.e2e.cn", viewport={"width": 390, "height": 844})
        page.goto(f"/enterprise/recognitions/{rec_id}")
        paid = page.locator("#payouts").inner_text()
        assert f"{first:g} 万元" in paid and f"{award - first:g} 万元" in paid  # paid and still due
        _shot(page, f"r7-enterprise-payout-{width}")
        view = browser.new_context(base_url=base, locale="zh-CN", viewport={"width": width, "height": 900}).new_page()
        view.goto("/recognitions")  # the public list of recognised products
        assert product in view.content() and "嘉兴恒创智能装备有限公司" in view.content()
        _shot(view, f"r8-public-recognitions-{width}")
        view.context.close()


def test_the_bureau_imports_a_county_list_of_needs_on_the_import_page(live_app: str, browser: Any, tmp_path: Path) -> None:
    """A county's Excel list (built here with openpyxl): one invalid row → the row-by-row report in
    the page and nothing stored; the fixed sheet → every row stored (1280 and 390 px)."""
    from types import SimpleNamespace

    from sqlalchemy import func, select

    from market.needs.models import Need
    from tests.web.api.test_imports import _book, _row

    base = live_app
    _seed_recognition_people()
    org = SimpleNamespace(name="嘉兴恒创智能装备有限公司")
    good = _row(org)  # type: ignore[arg-type]
    second = _row(org, 需求名称="注塑车间能耗在线监测与优化")  # type: ignore[arg-type]
    bad_file = tmp_path / "南湖区需求清单.xlsx"
    bad_file.write_bytes(_book([good, {**second, "行业": "不存在的行业", "联系人": ""}]))
    fixed_file = tmp_path / "南湖区需求清单（修改后）.xlsx"
    fixed_file.write_bytes(_book([good, second]))

    def needs() -> int:
        with session_scope(LIVE["session_factory"]) as s:
            return int(s.scalar(select(func.count(Need.id))) or 0)

    before = needs()
    for width in (1280, 390):
        bur = _login(browser, base, "kejiju@e2e.jiebang.cn", viewport={"width": width, "height": 900})
        bur.goto("/bureau/import")
        assert "下载导入模板" in bur.content()
        bur.locator("#file").set_input_files(str(bad_file))
        bur.get_by_role("button", name="上传并校验").click()
        bur.wait_for_load_state("networkidle")
        report = bur.locator("#report-title").locator("xpath=..").inner_text()
        assert "第 3 行" in report and "整表未导入" in report, report
        assert needs() == before  # nothing stored
        _shot(bur, f"i1-import-rejected-{width}")
        if width == 1280:
            bur.locator("#file").set_input_files(str(fixed_file))
            bur.get_by_role("button", name="上传并校验").click()
            bur.wait_for_load_state("networkidle")
            assert "已全部导入 2 项需求" in bur.content()
            for title in ("印染废水深度处理与中水回用", "注塑车间能耗在线监测与优化"):  # named, never by number
                assert bur.get_by_role("link", name=title).count() == 1
            assert "需求 #" not in bur.content()
            assert needs() == before + 2
            before += 2
            _shot(bur, f"i2-import-stored-{width}")
        bur.context.close()
