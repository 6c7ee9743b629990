"""Recognition pages for the enterprise: its own applications only, applying through the form
(errors in Chinese next to the field, everything typed kept, nothing saved), and the detail with
status history, decision reason and award."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market import flows
from market.orgs.models import User
from market.recognitions import service as rs
from market.recognitions.models import Recognition
from market.recognitions.schemas import (
    RecognitionCreate,
    RecognitionDecision,
    RecognitionRejection,
)
from tests import factories
from tests.web.pages.conftest import post_form

PRODUCT = "新能源汽车电机壳高速压铸单元"


def _form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "product_name": PRODUCT,
        "category": "equipment",
        "level": "provincial",
        "year": "2024",
        "insured_value_wan": "800",
        "premium_wan": "20",
        "need_id": "",
        "deal_id": "",
        "evidence_title": ["省经信厅首台（套）认定文件", ""],
        "evidence_url": ["https://example.gov.cn/notice/123", ""],
        "evidence_note": ["2024 年第二批", ""],
        "description": "国内首套 9000 吨级一体化压铸单元。",
    }
    data.update(overrides)
    return data


def _apply(session: Session, user: User, product: str = PRODUCT, **overrides: object) -> Recognition:
    fields: dict[str, object] = {
        "product_name": product,
        "category": "equipment",
        "level": "provincial",
        "year": 2024,
        "insured_value_wan": 800,
        "premium_wan": 20,
    }
    fields.update(overrides)
    rec = rs.apply(session, user, RecognitionCreate.model_validate(fields))
    session.flush()
    return rec


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Recognition)) or 0


def test_list_shows_only_own_applications(
    login, session: Session, enterprise_user: User, other_enterprise_user: User
) -> None:
    mine = _apply(session, enterprise_user, "本企业的智能压铸单元")
    theirs = _apply(session, other_enterprise_user, "别家企业的五轴加工中心")
    c = login(enterprise_user)
    page = c.get("/enterprise/recognitions")
    assert page.status_code == 200
    assert "本企业的智能压铸单元" in page.text and "别家企业的五轴加工中心" not in page.text
    assert "首台（套）装备" in page.text and "省内" in page.text and "已申报" in page.text
    assert f'href="/enterprise/recognitions/{mine.id}"' in page.text
    # Another enterprise's application does not exist for this one.
    r = c.get(f"/enterprise/recognitions/{theirs.id}")
    assert r.status_code == 404 and "认定申报不存在" in r.text
    # The way there: the navigation and the enterprise home page.
    home = c.get("/enterprise").text
    assert home.count('href="/enterprise/recognitions"') >= 2


def test_other_roles_are_refused_and_visitors_sent_to_login(
    client: TestClient, login, session: Session, enterprise_user: User, provider_user: User
) -> None:
    rec = _apply(session, enterprise_user)
    for url in (
        "/enterprise/recognitions",
        "/enterprise/recognitions/new",
        f"/enterprise/recognitions/{rec.id}",
    ):
        r = client.get(url, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), url
    c = login(provider_user)
    for url in (
        "/enterprise/recognitions",
        "/enterprise/recognitions/new",
        f"/enterprise/recognitions/{rec.id}",
    ):
        r = c.get(url)
        assert r.status_code == 403 and "仅限企业用户" in r.text, url
    before = _count(session)
    assert post_form(c, "/enterprise/recognitions", _form()).status_code == 403
    assert _count(session) == before


def test_apply_through_the_form_creates_and_redirects(
    login, session: Session, enterprise_user: User, provider_user: User
) -> None:
    from market.responses.schemas import ResponseCreate

    need = factories.create_need(
        session,
        org=enterprise_user.org,
        user=enterprise_user,
        status="published",
        title="一体化压铸单元工艺攻关",
    )
    resp = flows.submit_response(
        session, provider_user, need.id, ResponseCreate(approach="真空压铸与模温闭环控制的一体化方案")
    )
    _, deal = flows.select_response(session, enterprise_user, resp.id)
    session.flush()
    c = login(enterprise_user)
    page = c.get("/enterprise/recognitions/new")
    assert page.status_code == 200
    assert "首台（套）装备" in page.text and "首版次软件" in page.text  # categories from the policy table
    assert f'<option value="{need.id}"' in page.text and f'<option value="{deal.id}"' in page.text
    assert 'name="csrf_token"' in page.text

    r = post_form(c, "/enterprise/recognitions", _form(need_id=str(need.id), deal_id=str(deal.id)))
    assert r.status_code == 303
    rec = session.scalar(select(Recognition).where(Recognition.org_id == enterprise_user.org_id))
    assert rec is not None and r.headers["location"] == f"/enterprise/recognitions/{rec.id}"
    assert (rec.status, rec.product_name, rec.level, rec.year) == ("applied", PRODUCT, "provincial", 2024)
    assert (rec.insured_value_wan, rec.premium_wan, rec.need_id, rec.deal_id) == (800, 20, need.id, deal.id)
    assert rec.evidence == [
        {
            "title": "省经信厅首台（套）认定文件",
            "url": "https://example.gov.cn/notice/123",
            "note": "2024 年第二批",
        }
    ]
    detail = c.get(r.headers["location"]).text
    assert "认定申报已提交" in detail and "已申报" in detail
    assert "一体化压铸单元工艺攻关" in detail  # the linked need, by title
    assert "测算合计：61.2 万元" in detail  # 50 + min(20, 800×2%)×70% = 61.2, the service's quote
    assert PRODUCT in c.get("/enterprise/recognitions").text


def test_csrf_is_required(login, session: Session, enterprise_user: User) -> None:
    c = login(enterprise_user)
    before = _count(session)
    r = post_form(c, "/enterprise/recognitions", _form(), csrf=False)
    assert r.status_code == 403 and "CSRF" in r.text
    assert _count(session) == before


def test_insurance_without_premium_shows_the_error_keeps_input_and_saves_nothing(
    login, session: Session, enterprise_user: User
) -> None:
    c = login(enterprise_user)
    before = _count(session)
    r = post_form(c, "/enterprise/recognitions", _form(premium_wan=""))
    assert r.status_code == 422
    assert 'id="premium_wan-error"' in r.text and "投保金额和保费须同时填写或同时留空" in r.text
    # Everything typed stays.
    assert f'value="{PRODUCT}"' in r.text and 'value="800"' in r.text and 'value="2024"' in r.text
    assert '<option value="equipment" selected' in r.text and '<option value="provincial" selected' in r.text
    assert (
        'value="省经信厅首台（套）认定文件"' in r.text
        and 'value="https://example.gov.cn/notice/123"' in r.text
    )
    assert "国内首套 9000 吨级一体化压铸单元。" in r.text
    assert _count(session) == before


def test_empty_product_name_and_bad_evidence_are_named_in_chinese(
    login, session: Session, enterprise_user: User
) -> None:
    c = login(enterprise_user)
    before = _count(session)
    r = post_form(
        c,
        "/enterprise/recognitions",
        _form(product_name="", evidence_title=["", ""], evidence_url=["https://example.gov.cn/a", ""]),
    )
    assert r.status_code == 422
    assert 'id="product_name-error"' in r.text and "请填写产品（项目）名称" in r.text
    assert 'id="evidence-error"' in r.text and "第 1 项的材料名称：必填" in r.text
    assert "产品（项目）名称" in r.text and 'value="https://example.gov.cn/a"' in r.text
    assert 'value="800"' in r.text and 'value="20"' in r.text
    assert _count(session) == before


def _field_error(html: str, field: str) -> str:
    import re

    m = re.search(rf'id="{field}-error"[^>]*>(.*?)</', html, re.S)
    return m.group(1) if m else ""


def test_every_error_of_the_form_is_reported_at_once_next_to_its_field(
    login, session: Session, enterprise_user: User
) -> None:
    """Schema problems (empty, too long) and the rules across fields (insurance in pairs, the
    policy's categories) in one submit, not one group per submit."""
    c = login(enterprise_user)
    before = _count(session)
    r = post_form(
        c,
        "/enterprise/recognitions",
        _form(product_name="", level="", premium_wan="", description="长" * 5001),
    )
    assert r.status_code == 422
    assert _field_error(r.text, "product_name") == "请填写产品（项目）名称"
    assert _field_error(r.text, "level") == "请选择申报级别"
    assert _field_error(r.text, "description") == "内容过长（上限 5000 字）"
    assert _field_error(r.text, "premium_wan") == "投保金额和保费须同时填写或同时留空"
    r = post_form(
        c,
        "/enterprise/recognitions",
        _form(product_name="长" * 201, category="innovation_center", level="municipal"),
    )
    assert r.status_code == 422
    assert _field_error(r.text, "product_name") == "内容过长（上限 200 字）"
    assert "请选择制造业创新中心的级别" in _field_error(r.text, "level")
    assert _field_error(r.text, "premium_wan") == "制造业创新中心不适用保费补贴"
    assert _count(session) == before


def test_policy_and_ownership_errors_sit_next_to_their_field(
    login, session: Session, enterprise_user: User, other_enterprise_user: User
) -> None:
    c = login(enterprise_user)
    before = _count(session)
    r = post_form(
        c,
        "/enterprise/recognitions",
        _form(category="innovation_center", level="municipal", insured_value_wan="", premium_wan=""),
    )
    assert r.status_code == 422
    import re

    message = re.search(r'id="level-error"[^>]*>(.*?)</', r.text, re.S)
    assert message is not None and "请选择制造业创新中心的级别" in message.group(1)
    assert not re.search(r"[a-z]{4,}", message.group(1))  # words, not identifiers
    foreign = factories.create_need(session, org=other_enterprise_user.org, status="published")
    r = post_form(c, "/enterprise/recognitions", _form(need_id=str(foreign.id)))
    assert r.status_code == 422
    assert 'id="need_id-error"' in r.text and "关联的需求不存在或不属于该企业" in r.text
    # A field an enterprise never sets is not taken from the form.
    r = post_form(c, "/enterprise/recognitions", _form(org_id=str(other_enterprise_user.org_id)))
    assert r.status_code == 303
    assert _count(session) == before + 1
    rec = session.scalar(select(Recognition).order_by(Recognition.id.desc()))
    assert rec is not None and rec.org_id == enterprise_user.org_id


def test_detail_shows_history_award_and_rejection_reason(
    login, session: Session, enterprise_user: User, bureau_user: User
) -> None:
    won = _apply(session, enterprise_user)
    factories.notice_served(session, bureau_user, won.id)
    rs.recognise(session, bureau_user, won.id, RecognitionDecision())
    lost = _apply(session, enterprise_user, "另一台样机", insured_value_wan=None, premium_wan=None)
    rs.reject(session, bureau_user, lost.id, RecognitionRejection(reason="证明材料不足"))
    session.flush()
    c = login(enterprise_user)
    page = c.get(f"/enterprise/recognitions/{won.id}").text
    assert "已认定" in page and "奖励明细" in page and "合计：61.2 万元" in page
    assert "11.2 万元" in page  # the premium subsidy line's arithmetic
    assert "状态记录" in page and "已申报 → <strong>已初审</strong>" in page and "材料齐全" in page
    assert "测算" not in page  # a decided award is shown, not a preview
    listing = c.get("/enterprise/recognitions").text
    assert "61.2" in listing and "未通过" in listing
    page = c.get(f"/enterprise/recognitions/{lost.id}").text
    assert "未通过" in page and "未通过原因" in page and "证明材料不足" in page
    assert "奖励明细" not in page and "测算" not in page


def test_award_rules_and_policy_are_words_not_identifiers(
    login, session: Session, enterprise_user: User, bureau_user: User
) -> None:
    """The bureau's 规则 column and both pages' policy line name the policy, category and level in
    words; the rule id (``jiaxing-2022.1:equipment.provincial``) reaches no page."""
    import re

    open_rec = _apply(session, enterprise_user, "待审样机")
    won = _apply(session, enterprise_user)
    factories.notice_served(session, bureau_user, won.id)
    rs.recognise(session, bureau_user, won.id, RecognitionDecision())
    session.flush()
    bureau = login(bureau_user)
    pages = [
        bureau.get(f"/bureau/recognitions/{won.id}").text,
        bureau.get(f"/bureau/recognitions/{open_rec.id}").text,  # the preview's lines
    ]
    c = login(enterprise_user)
    pages += [c.get(f"/enterprise/recognitions/{won.id}").text, c.get(f"/enterprise/recognitions/{open_rec.id}").text]
    for page in pages:
        assert "jiaxing-2022" not in page and "insurance_subsidy" not in page and "equipment" not in page
        assert not re.search(r'class="breadcrumb".*/ #\d+</p>', page)  # the product, not its number
    for page in pages[:2]:
        cells = re.findall(r"<tr><td>(.*?)</td>", page)
        assert "嘉兴市首台（套）装备、首批次新材料、首版次软件及创新平台奖励政策（2022 年版） · 首台（套）装备 · " in cells[0]
        assert any("保费补贴" in cell for cell in cells[1:])
    assert "依据：嘉兴市首台（套）装备" in pages[0] and "依据：嘉兴市首台（套）装备" in pages[3]
