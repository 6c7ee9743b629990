"""Steps that cross concepts (market/flows.py), each as its people notice it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from market import flows, views
from market.deals.models import Deal
from market.deals.schemas import DealAdvance
from market.needs import service as needs
from market.needs.models import Need
from market.needs.schemas import NeedOwnerView, NeedUpdate
from market.notifications.models import Notification
from market.orgs.models import User
from market.responses import service as responses
from market.responses.models import Response
from market.responses.schemas import ResponseCreate
from tests import factories

PROPOSAL = ResponseCreate(approach="基于声发射与电流信号融合的模具磨损在线识别方案。", price_wan=60)


def _notes(session: Session, user: User, kind: str) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)))


def test_withdrawing_after_a_partner_was_selected_ends_the_deal_and_tells_the_partner(
    session: Session, enterprise_user: User, provider_user: User, other_provider_user: User
) -> None:
    need = factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="published")
    chosen = flows.submit_response(session, provider_user, need.id, PROPOSAL)
    flows.submit_response(session, other_provider_user, need.id, PROPOSAL)
    _, deal = flows.select_response(session, enterprise_user, chosen.id)
    assert need.status == "selected" and deal.stage == "matched"
    flows.withdraw_need(session, enterprise_user, need.id, "公司调整技改计划")
    assert need.status == "withdrawn"
    assert deal.stage == "failed" and "公司调整技改计划" in deal.failure_reason
    told = _notes(session, provider_user, "deal.stage")
    assert told and "未成交" in told[-1].title and "公司调整技改计划" in told[-1].body


def test_selecting_a_partner_gives_every_other_proposal_its_decision(
    session: Session, enterprise_user: User, provider_user: User, other_provider_user: User
) -> None:
    need = factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="published")
    chosen = flows.submit_response(session, provider_user, need.id, PROPOSAL)
    other = flows.submit_response(session, other_provider_user, need.id, PROPOSAL)
    responses.shortlist(session, enterprise_user, other.id)
    flows.select_response(session, enterprise_user, chosen.id, others_reason="贵单位方案很好，本次选择了现场经验更多的团队。")
    assert other.status == "declined" and other.reason_code == "partner_selected"
    [note] = _notes(session, other_provider_user, "response.declined")
    assert "已选定其他揭榜方" in note.body and "现场经验更多" in note.body
    view = views.response_view(session, other_provider_user, other)
    assert view.declined_reason is not None and view.declined_reason.startswith("已选定其他揭榜方")


def test_a_failed_deal_reopens_the_need_and_set_aside_proposals_can_be_reconsidered(
    session: Session, enterprise_user: User, provider_user: User, other_provider_user: User
) -> None:
    need = factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="published")
    chosen = flows.submit_response(session, provider_user, need.id, PROPOSAL)
    other = flows.submit_response(session, other_provider_user, need.id, PROPOSAL)
    _, deal = flows.select_response(session, enterprise_user, chosen.id)
    actions = views.response_view(session, enterprise_user, other).actions
    assert actions is not None and not actions.reconsider.allowed  # the need has a partner
    flows.advance_deal(session, enterprise_user, deal.id, DealAdvance.model_validate({"stage": "failed", "failure_reason": "试点未达标"}))
    assert need.status == "taken_up"
    responses.reconsider(session, enterprise_user, other.id)
    assert other.status == "shortlisted" and other.reason_code is None
    _, second = flows.select_response(session, enterprise_user, other.id)
    assert need.status == "selected" and second.provider_org_id == other_provider_user.org_id


def test_expiry_and_withdrawal_decide_the_open_proposals(
    session: Session, enterprise_user: User, provider_user: User, other_provider_user: User
) -> None:
    overdue = factories.create_need(session, org=enterprise_user.org, status="published", deadline="2026-01-31")
    late = flows.submit_response(session, provider_user, overdue.id, PROPOSAL, today=dt.date(2026, 1, 10))
    assert flows.expire_overdue(session, dt.date(2026, 6, 1)) == 1
    assert overdue.status == "expired" and late.status == "declined" and late.reason_code == "need_expired"
    withdrawn = factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="published")
    r = flows.submit_response(session, other_provider_user, withdrawn.id, PROPOSAL)
    flows.withdraw_need(session, enterprise_user, withdrawn.id)
    assert r.status == "declined" and r.reason_code == "need_withdrawn"


def test_editing_a_published_need_keeps_the_reviewed_version_public_until_the_bureau_decides(
    session: Session, enterprise_user: User, provider_user: User, bureau_user: User
) -> None:
    need = factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="published")
    original = need.title
    flows.submit_response(session, provider_user, need.id, PROPOSAL)
    edited = NeedUpdate.model_validate(
        factories.need_fields(title="冲压模具在线磨损监测与寿命预测（第二期）", contact_phone="0573-86666666")
    )
    outcome = needs.update_need(session, enterprise_user, need.id, edited)
    assert outcome.applied == ("contact_phone",) and outcome.proposed == ("title",)
    # Public: the reviewed title, still published; the contact correction applies at once.
    assert need.status == "taken_up" and need.title == original and need.contact_phone == "0573-86666666"
    assert views.need_view(session, provider_user, need).title == original
    owner_view = views.need_view(session, enterprise_user, need)
    assert isinstance(owner_view, NeedOwnerView) and owner_view.pending_revision is not None
    assert owner_view.pending_revision.changes == {"title": "冲压模具在线磨损监测与寿命预测（第二期）"}
    assert [r.kind for r in owner_view.revisions] == ["revision", "correction"]
    assert _notes(session, bureau_user, "need.revision")
    # A second edit replaces the pending one rather than queueing a second review.
    again = NeedUpdate.model_validate(factories.need_fields(title="冲压模具在线磨损监测与寿命预测（二期）", contact_phone="0573-86666666"))
    needs.update_need(session, enterprise_user, need.id, again)
    owner_view = views.need_view(session, enterprise_user, need)
    assert isinstance(owner_view, NeedOwnerView) and owner_view.pending_revision is not None
    assert [r.status for r in owner_view.revisions if r.kind == "revision"] == ["pending", "superseded"]
    version = need.version
    flows.approve_revision(session, bureau_user, need.id, "修改合理")
    assert need.title == "冲压模具在线磨损监测与寿命预测（二期）" and need.version == version + 1
    assert _notes(session, provider_user, "need.revised") and _notes(session, enterprise_user, "need.revision_approved")


def test_a_returned_revision_leaves_the_public_need_as_it_was(session: Session, enterprise_user: User, bureau_user: User) -> None:
    need = factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="published")
    before = (need.title, need.summary, need.version)
    needs.update_need(session, enterprise_user, need.id, NeedUpdate.model_validate(factories.need_fields(summary="一个完全不同的新需求摘要，范围扩大到整条产线。")))
    needs.return_revision(session, bureau_user, need.id, "out_of_scope", "修改后超出原需求范围，请另行发布")
    assert (need.title, need.summary, need.version) == before and need.status == "published"
    [note] = _notes(session, enterprise_user, "need.revision_returned")
    assert "超出范围" in note.body and "另行发布" in note.body


def test_an_anonymous_need_shows_its_contact_only_once_the_enterprise_chooses_to_talk(
    session: Session, enterprise_user: User, provider_user: User
) -> None:
    """Issue 14, finding 8: responding alone no longer reveals the contact; shortlisting does."""
    from market.responses import service as response_service

    need = factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="published", anonymous=True)
    before = views.need_view(session, provider_user, need)
    assert before.can_view_details and before.org_name is None
    assert (before.contact_name, before.contact_phone) == ("", "")
    r = flows.submit_response(session, provider_user, need.id, PROPOSAL)
    responded = views.need_view(session, provider_user, need)
    assert (responded.contact_name, responded.contact_phone) == ("", "")
    response_service.shortlist(session, enterprise_user, r.id)
    after = views.need_view(session, provider_user, need)
    assert after.contact_name == need.contact_name and after.org_name is None


def test_deal_stages_move_the_need(session: Session, enterprise_user: User, provider_user: User) -> None:
    need = factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="published")
    r = flows.submit_response(session, provider_user, need.id, PROPOSAL)
    _, deal = flows.select_response(session, enterprise_user, r.id)
    today = dt.date.today()
    for payload in (
        {"stage": "intent"},
        {"stage": "signed", "contract_amount_wan": 80, "signed_on": today},
        {"stage": "in_progress"},
        {"stage": "accepted", "accepted_on": today, "outcome": "达标"},
        {"stage": "converted", "converted_on": today},
    ):
        flows.advance_deal(session, enterprise_user, deal.id, DealAdvance.model_validate(payload))
        if payload["stage"] == "signed":
            assert need.status == "contracted"
    assert need.status == "converted"
    assert session.get(Deal, deal.id) is deal and session.get(Need, need.id) is need
    assert session.scalar(select(Response.status).where(Response.id == r.id)) == "selected"
