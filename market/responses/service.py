"""Responses (揭榜): the rules for proposing, reviewing and deciding.

A verified provider (高校、科研院所、服务商), alone or leading a team, proposes once per need while
the need is open for responses and its details are visible to it. The enterprise that posted the
need shortlists, declines (always with a structured reason) or selects; selection opens a deal.
Every change writes an audit entry in the caller's transaction; services never commit.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from market.attachments import queries as attachment_queries
from market.attachments import service as attachments
from market.attachments.models import Attachment
from market.audit import service as audit
from market.db import CST, utcnow
from market.deals import service as deals
from market.deals.models import Deal
from market.errors import Conflict, Forbidden, Invalid, NotFound
from market.needs import access as need_access
from market.needs import service as needs
from market.needs.models import Need
from market.needs.states import OPEN_FOR_RESPONSES, NeedStatus, need_machine
from market.notifications import service as notify
from market.orgs.models import Organisation, User
from market.responses import access
from market.responses.exceptions import DuplicateResponse, NotOpenForResponses, ResponseNotFound
from market.responses.models import Response, ResponseScore
from market.responses.schemas import ResponseCreate, ResponseScoresIn
from market.responses.states import OPEN_STATUSES, ResponseStatus, response_machine
from market.vocab import REASON_CODES

S = ResponseStatus


def get_response(session: Session, response_id: int) -> Response:
    response = session.get(Response, response_id)
    if response is None:
        raise ResponseNotFound()
    return response


def response_for_viewer(session: Session, user: User | None, response_id: int) -> tuple[Response, Need]:
    """A response the viewer may see, with its need; for anyone else it does not exist."""
    response = get_response(session, response_id)
    need = needs.get_need(session, response.need_id)
    if not access.can_view(session, user, response, need):
        raise ResponseNotFound()
    return response, need


def need_for_reviewer(session: Session, user: User, need_id: int) -> Need:
    """The responses to a need are read by its enterprise, its assigned experts and the bureau."""
    need = needs.need_for_viewer(session, user, need_id)
    if not (user.is_bureau_staff or access.is_need_owner(user, need) or need_access.is_assigned_expert(session, user, need)):
        raise NotFound("需求不存在或无权查看其揭榜方案")
    return need


def _for_need_owner(session: Session, actor: User, response_id: int) -> tuple[Response, Need]:
    response, need = response_for_viewer(session, actor, response_id)
    if not access.is_need_owner(actor, need):
        raise Forbidden("只有发榜企业可以评选揭榜方案")
    return response, need


def _recipients(response: Response) -> list[int]:
    return [response.org_id, *[int(o) for o in response.partner_org_ids or []]]


def _tell_provider(session: Session, response: Response, kind: str, title: str, body: str = "") -> None:
    for org_id in _recipients(response):
        notify.notify_org(session, org_id, kind, title, body, f"/responses/{response.id}")


def _move(
    session: Session, response: Response, actor: User, target: str, *, reason_code: str | None = None, reason_text: str = ""
) -> None:
    response_machine.check(response.status, target)
    old = response.status
    response.status = target
    response.updated_at = utcnow()
    if reason_code is not None or reason_text:
        response.reason_code = reason_code
        response.reason_text = reason_text
    audit.record(
        session, actor.id, "response.transition", "response", response.id,
        {"from": old, "to": target, "reason_code": reason_code, "reason_text": reason_text, "need_id": response.need_id},
    )


def _check_partners(session: Session, actor: User, partner_ids: list[int]) -> None:
    """Team partners are other verified providers (联合揭榜 is among 高校、院所、服务商)."""
    for org_id in partner_ids:
        if org_id == actor.org_id:
            raise Invalid.field("partner_org_ids", "合作单位不能是本单位")
        org = session.get(Organisation, org_id)
        if org is None or not org.is_provider:
            raise Invalid.field("partner_org_ids", f"合作单位 #{org_id} 不存在或不是高校、科研院所、服务商")
        if not org.is_verified:
            raise Invalid.field("partner_org_ids", f"合作单位「{org.name}」尚未通过科技局认证")


def submit(session: Session, actor: User, need_id: int, response_in: ResponseCreate, today: dt.date | None = None) -> Response:
    """Only a verified provider that may read the need's details responds, once per need, while the
    need is open (已发榜/已揭榜) and before its deadline. The first response moves the need to 已揭榜."""
    if not actor.org.is_provider:
        raise Forbidden("只有高校、科研院所和服务商可以揭榜")
    if not actor.org.is_verified:
        raise Forbidden("单位尚未通过科技局认证，暂不能揭榜")
    need = needs.need_for_viewer(session, actor, need_id)
    if not need_access.can_view_details(session, actor, need):
        raise Forbidden("请先接受保密条款或获得发榜企业邀请，查看需求详情后再揭榜")
    if need.status not in OPEN_FOR_RESPONSES:
        raise NotOpenForResponses(f"需求当前状态为「{need_machine.label(need.status)}」，不接受揭榜")
    today = today or dt.datetime.now(CST).date()
    if need.deadline is not None and need.deadline < today:
        raise NotOpenForResponses(f"已过揭榜截止日期（{need.deadline.isoformat()}）")
    if session.scalar(select(Response.id).where(Response.need_id == need.id, Response.org_id == actor.org_id)):
        raise DuplicateResponse()
    _check_partners(session, actor, response_in.partner_org_ids)
    response = Response(need_id=need.id, org_id=actor.org_id, created_by=actor.id, status=S.submitted, **response_in.model_dump())
    session.add(response)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent response by the same organisation; the unit of work rolls back
        raise DuplicateResponse() from exc
    audit.record(
        session, actor.id, "response.submitted", "response", response.id,
        {"need_id": need.id, "partner_org_ids": list(response_in.partner_org_ids)},
    )
    needs.mark_taken_up(session, need, actor)
    notify.notify_org(
        session, need.org_id, "response.submitted", f"收到新的揭榜方案：{need.title}",
        f"揭榜单位：{actor.org.name}", f"/enterprise/needs/{need.id}/responses",
    )
    session.flush()
    return response


def shortlist(session: Session, actor: User, response_id: int, note: str = "") -> Response:
    """The enterprise shortlists a response while its need is still open."""
    response, need = _for_need_owner(session, actor, response_id)
    if need.status not in OPEN_FOR_RESPONSES:
        raise Conflict(f"需求当前状态为「{need_machine.label(need.status)}」，不能再评选方案")
    _move(session, response, actor, S.shortlisted, reason_text=note)
    _tell_provider(session, response, "response.shortlisted", f"您的揭榜方案已入围：{need.title}", note)
    session.flush()
    return response


def decline(session: Session, actor: User, response_id: int, reason_code: str, reason_text: str) -> Response:
    """Declining always tells the provider why: a structured reason and an explanation."""
    if reason_code not in REASON_CODES:
        raise Invalid.field("reason_code", "原因代码不存在")
    if not reason_text.strip():
        raise Invalid.field("reason_text", "请说明未选中的具体原因")
    response, need = _for_need_owner(session, actor, response_id)
    _move(session, response, actor, S.declined, reason_code=reason_code, reason_text=reason_text)
    _tell_provider(
        session, response, "response.declined", f"您的揭榜方案未被选中：{need.title}",
        f"{REASON_CODES[reason_code]}。{reason_text}",
    )
    session.flush()
    return response


def select_response(session: Session, actor: User, response_id: int, note: str = "") -> tuple[Response, Deal]:
    """Selecting a partner opens the deal (对接) and moves the need to 已选定揭榜方. A need has one
    selected partner at a time: another may be chosen only after that deal fails."""
    response, need = _for_need_owner(session, actor, response_id)
    response_machine.check(response.status, S.selected)
    if not need_machine.can(need.status, NeedStatus.selected):
        raise Conflict(f"需求当前状态为「{need_machine.label(need.status)}」，不能选定揭榜方")
    _move(session, response, actor, S.selected, reason_text=note)
    needs.move_with_deal(session, need, actor, NeedStatus.selected)
    deal = deals.open_deal(session, actor, response, need)
    _tell_provider(session, response, "response.selected", f"您的揭榜方案已被选定：{need.title}", note or "请与发榜企业开展对接。")
    session.flush()
    return response, deal


def withdraw(session: Session, actor: User, response_id: int, reason_text: str = "") -> Response:
    """The responding organisation withdraws its own proposal while it is still under review."""
    response, need = response_for_viewer(session, actor, response_id)
    if not access.is_responder(actor, response):
        raise Forbidden("只有揭榜单位可以撤回方案")
    _move(session, response, actor, S.withdrawn, reason_code="other", reason_text=reason_text or "揭榜方撤回")
    notify.notify_org(
        session, need.org_id, "response.withdrawn", f"揭榜方撤回了方案：{need.title}",
        f"{response.org.name}。{reason_text}".rstrip("。"), f"/enterprise/needs/{need.id}/responses",
    )
    session.flush()
    return response


def submit_scores(session: Session, actor: User, response_id: int, scores_in: ResponseScoresIn) -> ResponseScore:
    """Experts assigned to the need score its responses on the review criteria; an expert from a
    responding organisation is recused. A resubmission replaces the expert's scores."""
    response, need = response_for_viewer(session, actor, response_id)
    if not (actor.is_expert and need_access.is_assigned_expert(session, actor, need)):
        raise Forbidden("只有该需求的评审专家可以为揭榜方案打分")
    if actor.org_id in _recipients(response):
        raise Conflict("专家与揭榜单位属于同一单位，须回避", code="expert_recused")
    if response.status not in OPEN_STATUSES:
        raise Conflict(f"揭榜方案当前状态为「{response_machine.label(response.status)}」，不能再打分")
    score = session.scalar(
        select(ResponseScore).where(ResponseScore.response_id == response.id, ResponseScore.expert_id == actor.id)
    )
    if score is None:
        score = ResponseScore(response_id=response.id, expert_id=actor.id)
        session.add(score)
    score.scores = dict(scores_in.scores)
    score.comment = scores_in.comment
    score.submitted_at = utcnow()
    session.flush()
    audit.record(session, actor.id, "response.scored", "response", response.id, {"scores": score.scores})
    return score


def add_attachment(
    session: Session, actor: User, response_id: int, *, filename: str, data: bytes, max_bytes: int
) -> Attachment:
    """The responding organisation attaches documents to its proposal while it is under review."""
    response, _ = response_for_viewer(session, actor, response_id)
    if not access.is_responder(actor, response):
        raise Forbidden("只有揭榜单位可以上传方案附件")
    if response.status not in OPEN_STATUSES:
        raise Conflict(f"揭榜方案当前状态为「{response_machine.label(response.status)}」，不能再上传附件")
    return attachments.store(
        session, owner_type="response", owner_id=response.id, filename=filename, data=data, max_bytes=max_bytes, uploaded_by=actor.id
    )


def attachment_for_viewer(session: Session, user: User, response_id: int, attachment_id: int) -> Attachment:
    response, _ = response_for_viewer(session, user, response_id)
    att = attachment_queries.get(session, attachment_id)
    if att.owner_type != "response" or att.owner_id != response.id:
        raise ResponseNotFound()
    return att
