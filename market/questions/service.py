"""Asking, answering and hiding questions on a need (rules in market/questions/access.py)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market.audit import service as audit
from market.db import utcnow
from market.errors import Conflict
from market.needs import access as need_access
from market.needs import service as need_service
from market.needs.exceptions import NeedNotFound
from market.needs.models import Need
from market.notifications import service as notify
from market.orgs.models import User
from market.questions import access
from market.questions.exceptions import QuestionNotFound
from market.questions.models import NeedQuestion
from market.questions.schemas import AnswerIn, HideIn, QuestionIn, QuestionOut, QuestionsOut
from market.responses.models import Response

# Bounded cost: a need's page lists at most this many questions, and one organisation keeps at
# most MAX_OPEN_PER_ORG unanswered questions on a need.
MAX_LISTED = 200
MAX_OPEN_PER_ORG = 5


def readable_need(session: Session, user: User | None, need_id: int) -> Need:
    """The need, if the viewer may read its questions (its details); otherwise it does not exist."""
    need = need_service.need_for_viewer(session, user, need_id)
    if not access.can_read(session, user, need):
        raise NeedNotFound()
    return need


def _question(session: Session, user: User | None, question_id: int) -> tuple[NeedQuestion, Need]:
    question = session.get(NeedQuestion, question_id)
    if question is None or not access.can_see(user, question):
        raise QuestionNotFound()
    try:
        need = readable_need(session, user, question.need_id)
    except NeedNotFound:
        raise QuestionNotFound() from None
    return question, need


def present(user: User | None, need: Need, question: NeedQuestion) -> QuestionOut:
    bureau = user is not None and user.is_bureau_staff
    return QuestionOut(
        id=question.id, need_id=question.need_id, body=question.body, answer=question.answer,
        answered_as=question.answered_as, answered_at=question.answered_at, created_at=question.created_at,
        mine=user is not None and user.org_id == question.asker_org_id,
        hidden=question.hidden_at is not None,
        hidden_reason=question.hidden_reason if bureau and question.hidden_at is not None else None,
        actions=access.question_actions(user, need, question),
    )


def list_questions(session: Session, user: User | None, need_id: int) -> QuestionsOut:
    """The need's questions for a viewer who may read its details; for one who sees only its
    summary, none, with the reason they may not ask."""
    need = need_service.need_for_viewer(session, user, need_id)
    if not access.can_read(session, user, need):
        return QuestionsOut(items=[], ask=access.ask(session, user, need))
    stmt = select(NeedQuestion).where(NeedQuestion.need_id == need.id)
    if user is None or not user.is_bureau_staff:
        stmt = stmt.where(NeedQuestion.hidden_at.is_(None))
    rows = session.scalars(stmt.order_by(NeedQuestion.created_at, NeedQuestion.id).limit(MAX_LISTED)).all()
    return QuestionsOut(items=[present(user, need, q) for q in rows], ask=access.ask(session, user, need))


def ask(session: Session, user: User, need_id: int, question_in: QuestionIn) -> NeedQuestion:
    """A verified provider that may read the need's details asks while the need takes responses."""
    need = need_service.need_for_viewer(session, user, need_id)
    access.ask(session, user, need).require()
    open_count = session.scalar(
        select(func.count(NeedQuestion.id)).where(
            NeedQuestion.need_id == need.id, NeedQuestion.asker_org_id == user.org_id,
            NeedQuestion.answer.is_(None), NeedQuestion.hidden_at.is_(None),
        )
    ) or 0
    if open_count >= MAX_OPEN_PER_ORG:
        raise Conflict(f"本单位在该需求下已有 {MAX_OPEN_PER_ORG} 个问题待答复，请等待答复后再提问")
    question = NeedQuestion(need_id=need.id, asker_id=user.id, asker_org_id=user.org_id, body=question_in.body)
    session.add(question)
    session.flush()
    audit.record(session, user.id, "question.asked", "need_question", question.id, {"need_id": need.id})
    notify.notify_org(
        session, need.org_id, "question.asked", f"您的需求收到新的答疑提问：{need.title}", question.body[:200],
        f"/needs/{need.id}#qa",
    )
    return question


def _told_of_answers(session: Session, need: Need, question: NeedQuestion) -> set[int]:
    """The asker, and every active user of an organisation that responded to the need or asked
    about it: they are told of a new answer."""
    org_ids = set(session.scalars(select(Response.org_id).where(Response.need_id == need.id)))
    org_ids |= set(session.scalars(select(NeedQuestion.asker_org_id).where(NeedQuestion.need_id == need.id)))
    org_ids.discard(need.org_id)
    users = set(session.scalars(select(User.id).where(User.org_id.in_(org_ids), User.is_active.is_(True)))) if org_ids else set()
    return users | {question.asker_id}


def answer(session: Session, user: User, question_id: int, answer_in: AnswerIn) -> NeedQuestion:
    """The enterprise that posted the need, or the bureau on its behalf, answers once."""
    question, need = _question(session, user, question_id)
    access.answer(user, need, question).require()
    question.answer = answer_in.body
    question.answered_by = user.id
    question.answered_as = "发榜企业" if need_access.is_owner(user, need) else "科技局"
    question.answered_at = utcnow()
    session.flush()
    audit.record(session, user.id, "question.answered", "need_question", question.id, {"need_id": need.id})
    recipients = _told_of_answers(session, need, question) - {user.id}
    notify.notify_users(
        session, recipients, "question.answered", f"需求「{need.title}」的答疑有新答复",
        f"问：{question.body[:100]}\n答：{question.answer[:300]}", f"/needs/{need.id}#qa",
    )
    return question


def hide(session: Session, user: User, question_id: int, hide_in: HideIn) -> NeedQuestion:
    """The bureau hides an improper question; the reason is kept and audited."""
    question, _need = _question(session, user, question_id)
    access.hide(user, question).require()
    question.hidden_at = utcnow()
    question.hidden_by = user.id
    question.hidden_reason = hide_in.reason
    session.flush()
    audit.record(session, user.id, "question.hidden", "need_question", question.id, {"reason": hide_in.reason})
    return question


def question_need_id(session: Session, user: User | None, question_id: int) -> int:
    """The need of a question the viewer may see (404 otherwise): where a page goes back to."""
    question, need = _question(session, user, question_id)
    return need.id
