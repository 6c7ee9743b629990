"""Every record's page shows its audit history (who, what, when) to bureau staff only, the latest
50 with a link to the audit search filtered to that record for the rest."""

from __future__ import annotations

from sqlalchemy.orm import Session

from market import flows
from market.audit import service as audit
from market.batches import service as batch_service
from market.batches.schemas import BatchCreate
from market.orgs.models import User
from market.recognitions import service as rec_service
from market.recognitions.schemas import RecognitionCreate
from market.responses.schemas import ResponseCreate
from tests import factories

PROPOSAL = ResponseCreate(approach="基于声发射的模具磨损在线识别方案，边缘端部署，接入 MES。", price_wan=70)  # type: ignore[call-arg]
SECTION = 'id="history-title"'


def _shown(c, url: str) -> str:  # type: ignore[no-untyped-def]
    page = c.get(url)
    assert page.status_code == 200, (url, page.status_code)
    return page.text


def test_each_record_page_shows_its_history_to_the_bureau_only(
    login, session: Session, bureau_user: User, enterprise_user: User, provider_user: User
) -> None:
    need = factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="published", title="带操作记录的需求")
    audit.record(session, enterprise_user.id, "need.created", "need", need.id, {"title": need.title})
    response = flows.submit_response(session, provider_user, need.id, PROPOSAL)
    _, deal = flows.select_response(session, enterprise_user, response.id)
    batch = batch_service.create_batch(session, bureau_user, BatchCreate(year=2026))
    rec = rec_service.apply(  # its data holds codes (category, level): the page shows none of them
        session, enterprise_user,
        RecognitionCreate.model_validate({"product_name": "高速压铸单元", "category": "equipment", "level": "provincial", "year": 2024}),
    )  # fmt: skip
    audit.record(session, bureau_user.id, "org.verification", "organisation", provider_user.org_id, {"from": "pending", "to": "verified"})
    session.flush()
    pages = {
        "need": (f"/bureau/review/{need.id}", "创建需求"),
        "need (public page)": (f"/needs/{need.id}", "创建需求"),
        "response": (f"/provider/responses/{response.id}", "提交揭榜方案"),
        "deal": (f"/deals/{deal.id}", "对接阶段变更"),
        "batch": (f"/bureau/batches/{batch.id}", "创建榜单"),
        "organisation": (f"/providers/{provider_user.org_id}", "认证审核"),
        "recognition": (f"/bureau/recognitions/{rec.id}", "提交认定申报"),
    }
    c = login(bureau_user)
    for kind, (url, label) in pages.items():
        text = _shown(c, url)
        assert SECTION in text, kind
        section = text[text.index(SECTION):]
        assert label in section, kind
        assert "equipment" not in section and "org_id" not in section, kind
        assert bureau_user.display_name in section or enterprise_user.display_name in section or provider_user.display_name in section, kind
    # The parties see their own records, never the log.
    for user, urls in (
        (enterprise_user, [f"/needs/{need.id}", f"/deals/{deal.id}", f"/enterprise/recognitions/{rec.id}"]),
        (provider_user, [f"/needs/{need.id}", f"/provider/responses/{response.id}", f"/deals/{deal.id}", f"/providers/{provider_user.org_id}"]),
    ):
        c = login(user)
        for url in urls:
            assert SECTION not in _shown(c, url), (user.display_name, url)
    c.cookies.clear()
    assert SECTION not in _shown(c, f"/needs/{need.id}")


def test_history_shows_the_latest_fifty_and_links_to_the_search_for_the_rest(
    login, session: Session, bureau_user: User, enterprise_user: User
) -> None:
    batch = batch_service.create_batch(session, bureau_user, BatchCreate(year=2026))
    for i in range(60):
        audit.record(session, bureau_user.id, "batch.needs_added", "batch", batch.id, {"note": f"记录{i:03d}"})
    audit.record(session, bureau_user.id, "batch.needs_added", "batch", batch.id + 1, {"note": "别的榜单"})  # another batch
    session.flush()
    text = _shown(login(bureau_user), f"/bureau/batches/{batch.id}")
    section = text[text.index(SECTION):]
    assert "记录059" in section and "记录010" in section  # the latest fifty, newest first
    assert "记录009" not in section and "创建榜单" not in section and "别的榜单" not in section
    assert section.index("记录059") < section.index("记录010")
    assert "最近 50 条" in section and "查看全部操作记录" in section
    assert f"/bureau/audit?object_type=batch&amp;object_id={batch.id}" in section
