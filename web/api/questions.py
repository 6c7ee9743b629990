"""答疑 API: public questions on a published need and their answers."""

from __future__ import annotations

from fastapi import APIRouter, status

from market.db import DbId
from market.questions import service
from market.questions.schemas import AnswerIn, HideIn, QuestionIn, QuestionOut, QuestionsOut
from web.deps import CurrentUser, OptionalUser, SessionDep
from web.errors import RESPONSES_PUBLIC, RESPONSES_WRITE

router = APIRouter(tags=["答疑 questions"])


@router.get("/needs/{need_id}/questions", response_model=QuestionsOut, responses=RESPONSES_PUBLIC)
def list_questions(need_id: DbId, session: SessionDep, user: OptionalUser) -> QuestionsOut:
    """需求的答疑：能查看需求详情的人都能看到问题与答复；提问单位不公开。"""
    return service.list_questions(session, user, need_id)


@router.post(
    "/needs/{need_id}/questions", response_model=QuestionOut, status_code=status.HTTP_201_CREATED,
    responses=RESPONSES_WRITE,
)
def ask(need_id: DbId, question_in: QuestionIn, session: SessionDep, user: CurrentUser) -> QuestionOut:
    """已认证的高校、科研院所和服务商在揭榜期内就需求提问；发榜企业会收到通知。"""
    question = service.ask(session, user, need_id, question_in)
    need = service.readable_need(session, user, need_id)
    return service.present(user, need, question)


@router.post("/questions/{question_id}/answer", response_model=QuestionOut, responses=RESPONSES_WRITE)
def answer(question_id: DbId, answer_in: AnswerIn, session: SessionDep, user: CurrentUser) -> QuestionOut:
    """发榜企业（或科技局代为）答复；提问者、已揭榜和提过问的单位会收到通知。"""
    question = service.answer(session, user, question_id, answer_in)
    return service.present(user, service.readable_need(session, user, question.need_id), question)


@router.post("/questions/{question_id}/hide", response_model=QuestionOut, responses=RESPONSES_WRITE)
def hide(question_id: DbId, hide_in: HideIn, session: SessionDep, user: CurrentUser) -> QuestionOut:
    """科技局隐藏不当问题（须填原因，记入审计日志）。"""
    question = service.hide(session, user, question_id, hide_in)
    return service.present(user, service.readable_need(session, user, question.need_id), question)
