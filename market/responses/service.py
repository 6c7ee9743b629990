"""Responses (揭榜): the rules for proposing, reviewing and deciding.

A verified provider (高校、科研院所、服务商), alone or leading a team, proposes once per need while
the need is open for responses and its details are visible to it. The enterprise that posted the
need shortlists, declines (always with a structured reason) or selects. Who may do what is
``market.responses.access``; the steps that move the need and open the deal are in
``market.flows``. Every change writes an audit entry in the caller's transaction; services never
commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from market.attachments import queries as attachment_queries
from market.attachments import service as attachments
from market.attachments.models import Attachment
from market.audit import service as audit
from market.db import utcnow
from market.errors import Invalid
from market.needs import access as need_access
from market.needs import service as needs
from market.needs.models import Need
from market.notifications import service as notify
from market.orgs.models import Organisation, User
from market.responses import access
from market.responses.exceptions import DuplicateResponse, ResponseNotFound
from market.responses.models import Response, ResponseScore
from market.responses.schemas import ResponseCreate, ResponseScoresIn
from market.responses.states import OPEN_STATUSES, ResponseStatus, response_machine
from market.vocab import DECLINE_REASONS, SYSTEM_DECLINE_REASONS

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
    need_access.view_responses(need_access.Facts.read(session, user, need)).require()
    return need


def _recipients(response: Response) -> list[int]:
    return [response.org_id, *[int(o) for o in response.partner_org_ids or []]]


def _tell_provider(session: Session, response: Response, kind: str, title: str, body: str = "") -> None:
    for org_id in _recipients(response):
        notify.notify_org(session, org_id, kind, title, body, f"/responses/{response.id}")


def _move(
    session: Session, response: Response, actor: User | None, target: str, *, reason_code: str | None = None, reason_text: str = ""
) -> None:
    response_machine.check(response.status, target)
    old = response.status
    response.status = target
    response.updated_at = utcnow()
    if reason_code is not None or reason_text:
        response.reason_code = reason_code
        response.reason_text = reason_text
    audit.record(
        session, actor.id if actor else None, "response.transition", "response", response.id,
        {"from": old, "to": target, "reason_code": reason_code, "reason_text": reason_text, "need_id": response.need_id},
    )


def _check_partners(session: Session, actor: User, partner_ids: list[int]) -> None:
    """Team partners are other verified providers (联合揭榜 is among 高校、院所、服务商)."""
    for org_id in partner_ids:
        if org_id == actor.org_id:
            raise Invalid.field("partner_org_ids", "合作单位不能是本单位")
        org = session.get(Organisation, org_id)
        if org is None or not org.is_provider:
            raise Invalid.field("partner_org_ids", "所选合作单位不存在或不是高校、科研院所、服务商")
        if not org.is_verified:
            raise Invalid.field("partner_org_ids", f"合作单位「{org.name}」尚未通过科技局认证")


def submit(session: Session, actor: User, need_id: int, response_in: ResponseCreate, today: dt.date | None = None) -> Response:
    """A verified provider that may read the need's details responds once per need while it is open
    and before its deadline (``access.respond``); the enterprise is told."""
    need = needs.need_for_viewer(session, actor, need_id)
    access.respond(session, actor, need, today).require()
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
    notify.notify_org(
        session, need.org_id, "response.submitted", f"收到新的揭榜方案：{need.title}",
        f"揭榜单位：{actor.org.name}", f"/enterprise/needs/{need.id}/responses",
    )
    session.flush()
    return response


def _for_decision(session: Session, actor: User, response_id: int, action: str) -> tuple[Response, Need]:
    response, need = response_for_viewer(session, actor, response_id)
    access.require(session, actor, response, need, action)
    return response, need


def shortlist(session: Session, actor: User, response_id: int, note: str = "") -> Response:
    """The enterprise shortlists a response while its need is still open."""
    response, need = _for_decision(session, actor, response_id, "shortlist")
    _move(session, response, actor, S.shortlisted, reason_text=note)
    _tell_provider(session, response, "response.shortlisted", f"您的揭榜方案已入围：{need.title}", note)
    session.flush()
    return response


def decline(session: Session, actor: User, response_id: int, reason_code: str, reason_text: str) -> Response:
    """Declining always tells the provider why: a reason from the list and an explanation."""
    if reason_code not in DECLINE_REASONS or reason_code in SYSTEM_DECLINE_REASONS:
        raise Invalid.field("reason_code", "请从列表中选择未入选原因")
    if not reason_text.strip():
        raise Invalid.field("reason_text", "请说明未入选的具体原因")
    response, need = _for_decision(session, actor, response_id, "decline")
    _move(session, response, actor, S.declined, reason_code=reason_code, reason_text=reason_text)
    _tell_provider(
        session, response, "response.declined", f"您的揭榜方案未入选：{need.title}",
        f"{DECLINE_REASONS[reason_code]}。{reason_text}",
    )
    session.flush()
    return response


def decline_open(
    session: Session, need: Need, actor: User | None, reason_code: str, reason_text: str = "", *, keep: int | None = None
) -> int:
    """Every proposal still under review gets a decision when a partner is selected or the need
    closes (未入选, with the enterprise's words or the platform's reason); ``keep`` is spared."""
    assert reason_code in SYSTEM_DECLINE_REASONS
    text = reason_text or DECLINE_REASONS[reason_code]
    rows = session.scalars(
        select(Response).where(Response.need_id == need.id, Response.status.in_(list(OPEN_STATUSES))).order_by(Response.id)
    ).all()
    count = 0
    for response in rows:
        if response.id == keep:
            continue
        _move(session, response, actor, S.declined, reason_code=reason_code, reason_text=text)
        _tell_provider(
            session, response, "response.declined", f"您的揭榜方案未入选：{need.title}", f"{DECLINE_REASONS[reason_code]}。{text}"
        )
        count += 1
    session.flush()
    return count


def select_response(session: Session, actor: User, response_id: int, note: str = "") -> tuple[Response, Need]:
    """The enterprise selects its partner (``market.flows.select_response`` opens the deal)."""
    response, need = _for_decision(session, actor, response_id, "select")
    _move(session, response, actor, S.selected, reason_text=note)
    _tell_provider(session, response, "response.selected", f"您的揭榜方案已被选定：{need.title}", note or "请与发榜企业开展对接。")
    session.flush()
    return response, need


def reconsider(session: Session, actor: User, response_id: int) -> Response:
    """The enterprise takes a proposal set aside for another partner back into consideration."""
    response, need = _for_decision(session, actor, response_id, "reconsider")
    _move(session, response, actor, S.shortlisted, reason_code=None, reason_text="")
    response.reason_code, response.reason_text = None, ""
    _tell_provider(session, response, "response.shortlisted", f"您的揭榜方案重新进入评选：{need.title}")
    session.flush()
    return response


def withdraw(session: Session, actor: User, response_id: int, reason_text: str = "") -> Response:
    """The responding organisation withdraws its own proposal while it is still under review."""
    response, need = response_for_viewer(session, actor, response_id)
    access.require(session, actor, response, need, "withdraw")
    _move(session, response, actor, S.withdrawn, reason_code="other", reason_text=reason_text or "揭榜方撤回")
    notify.notify_org(
        session, need.org_id, "response.withdrawn", f"揭榜方撤回了方案：{need.title}",
        f"{response.org.name}。{reason_text}".rstrip("。"), f"/enterprise/needs/{need.id}/responses",
    )
    session.flush()
    return response


def submit_scores(session: Session, actor: User, response_id: int, scores_in: ResponseScoresIn) -> ResponseScore:
    """Experts assigned to the need score its open responses; an expert from a responding
    organisation is recused. A resubmission replaces the expert's scores."""
    response, need = response_for_viewer(session, actor, response_id)
    access.require(session, actor, response, need, "score")
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
    session: Session, actor: User, response_id: int, *, filename: str, data: bytes, max_bytes: int,
    quota_bytes: int | None = None,
) -> Attachment:
    """The responding organisation attaches documents to its proposal while it is under review."""
    response, need = response_for_viewer(session, actor, response_id)
    access.require(session, actor, response, need, "upload")
    return attachments.store(
        session, owner_type="response", owner_id=response.id, filename=filename, data=data, max_bytes=max_bytes, uploaded_by=actor.id, quota_bytes=quota_bytes
    )


def attachment_for_viewer(session: Session, user: User, response_id: int, attachment_id: int) -> Attachment:
    response, _ = response_for_viewer(session, user, response_id)
    att = attachment_queries.get(session, attachment_id)
    if att.owner_type != "response" or att.owner_id != response.id:
        raise ResponseNotFound("附件不存在或无权查看")
    return att


def responding_orgs(session: Session, need: Need) -> Sequence[int]:
    """Organisations (leads and team partners) with a proposal still under review on the need."""
    rows = session.scalars(
        select(Response).where(Response.need_id == need.id, Response.status.in_(list(OPEN_STATUSES)))
    ).all()
    return sorted({org for r in rows for org in _recipients(r)})
