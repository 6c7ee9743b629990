"""Reads of responses, always through the viewer's eyes."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market.attachments import queries as attachments
from market.attachments.models import Attachment
from market.needs.models import Need
from market.orgs.models import Organisation, User
from market.responses import access
from market.responses.models import Response, ResponseScore
from market.responses.schemas import PartnerOut, ResponseActions, ResponseOut, ResponseReviewView, ScoreOut
from market.responses.states import OPEN_STATUSES, ResponseStatus, response_machine
from market.vocab import REASON_LABELS, REVIEW_CRITERIA


def list_for_need(
    session: Session, need: Need, *, status: str | None = None, offset: int = 0, limit: int = 50
) -> tuple[Sequence[Response], int]:
    """The responses to one need, oldest first. Callers check the viewer may review them."""
    stmt = select(Response).where(Response.need_id == need.id)
    if status:
        stmt = stmt.where(Response.status == status)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Response.id).offset(offset).limit(limit)).all()
    return rows, total


def list_mine(
    session: Session, user: User, *, status: str | None = None, offset: int = 0, limit: int = 20
) -> tuple[Sequence[Response], int]:
    """Responses the user's organisation leads or is a team partner in, newest first."""
    # Team responses are few; partner membership lives in a JSON list, read portably in Python.
    team_ids = [
        rid
        for rid, partners in session.execute(select(Response.id, Response.partner_org_ids).where(Response.org_id != user.org_id))
        if user.org_id in (partners or [])
    ]
    stmt = select(Response).where((Response.org_id == user.org_id) | Response.id.in_(team_ids))
    if status:
        stmt = stmt.where(Response.status == status)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Response.id.desc()).offset(offset).limit(limit)).all()
    return rows, total


def _averages(scores: Sequence[ResponseScore]) -> tuple[dict[str, float], float | None]:
    done = [s.scores for s in scores if s.scores and s.submitted_at is not None]
    if not done:
        return {}, None
    avg = {c: round(sum(float(s[c]) for s in done) / len(done), 1) for c in REVIEW_CRITERIA}
    return avg, round(sum(avg.values()) / len(avg), 1)


def present(
    session: Session,
    user: User | None,
    response: Response,
    need: Need | None = None,
    *,
    deal_id: int | None = None,
    actions: ResponseActions | None = None,
) -> ResponseOut:
    """The read schema this viewer is entitled to: reviewers also see the experts' scores (by name).
    ``market.views`` adds the proposal's deal and the viewer's actions."""
    need = need or session.get(Need, response.need_id)
    assert need is not None
    partner_ids = [int(o) for o in response.partner_org_ids or []]
    names = dict(session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(partner_ids))).all())
    data = {
        **{k: getattr(response, k) for k in ResponseOut.model_fields if hasattr(response, k) and k != "partners"},
        "need_title": need.title,
        "org_name": response.org.name,
        "partners": [PartnerOut(id=o, name=names.get(o, "")) for o in partner_ids],
        "status_label": response_machine.label(response.status),
        "reason_label": REASON_LABELS.get(response.reason_code) if response.reason_code else None,
        "declined_reason": (
            "。".join(p for p in (REASON_LABELS.get(response.reason_code or "", ""), response.reason_text) if p)
            if response.status == ResponseStatus.declined
            else None
        ),
        "deal_id": deal_id,
        "actions": actions,
    }
    if access.can_review(session, user, response, need):
        scores = session.scalars(select(ResponseScore).where(ResponseScore.response_id == response.id).order_by(ResponseScore.id)).all()
        avg, total = _averages(scores)
        experts = dict(
            session.execute(select(User.id, User.display_name).where(User.id.in_([s.expert_id for s in scores]))).all()
        )
        return ResponseReviewView(
            **data,
            scores=[ScoreOut.model_validate(s).model_copy(update={"expert_name": experts.get(s.expert_id, "")}) for s in scores],
            average_scores=avg,
            average_total=total,
        )
    return ResponseOut(**data)


def list_attachments(session: Session, response: Response) -> Sequence[Attachment]:
    """A response's attachments for a listing, without the stored bytes. Callers check the viewer
    may see the response."""
    return attachments.list_for(session, "response", response.id)


def scores_by_expert(session: Session, expert: User, response_ids: Sequence[int]) -> dict[int, ResponseScore]:
    """The expert's own scores of these responses, by response id (one query for a whole list)."""
    if not response_ids:
        return {}
    rows = session.scalars(
        select(ResponseScore).where(ResponseScore.expert_id == expert.id, ResponseScore.response_id.in_(response_ids))
    )
    return {s.response_id: s for s in rows}


def open_counts_by_need(session: Session, need_ids: Sequence[int]) -> dict[int, int]:
    """How many proposals to each need are still under review (one query for a whole list)."""
    if not need_ids:
        return {}
    rows = session.execute(
        select(Response.need_id, func.count())
        .where(Response.need_id.in_(need_ids), Response.status.in_(list(OPEN_STATUSES)))
        .group_by(Response.need_id)
    ).all()
    return {int(need_id): int(n) for need_id, n in rows}


