"""答疑 on a need's page: ask, answer, hide. The list itself is part of the need's page
(web/pages/needs.py); the rules are market/questions'."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import ValidationError

from market.db import DbId
from market.questions import service
from market.questions.schemas import AnswerIn, HideIn, QuestionIn
from web.deps import SessionDep
from web.pages.common import Form, SignedIn
from web.pages.render import field_errors, redirect

router = APIRouter(tags=["页面 pages"], include_in_schema=False)


def _text(form: Form, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _invalid(exc: ValidationError, back: str) -> Response:
    return redirect(back, next(iter(field_errors(exc).values()), "内容不符合要求"), "error")


@router.post("/needs/{need_id}/questions")
def ask(need_id: DbId, form: Form, session: SessionDep, user: SignedIn) -> Response:
    back = f"/needs/{need_id}#qa"
    try:
        question_in = QuestionIn(body=_text(form, "body"))
    except ValidationError as exc:
        return _invalid(exc, back)
    service.ask(session, user, need_id, question_in)
    return redirect(back, "问题已提交，发榜企业答复后会通知您")


@router.post("/questions/{question_id}/answer")
def answer(question_id: DbId, form: Form, session: SessionDep, user: SignedIn) -> Response:
    question_need = service.question_need_id(session, user, question_id)
    back = f"/needs/{question_need}#qa"
    try:
        answer_in = AnswerIn(body=_text(form, "body"))
    except ValidationError as exc:
        return _invalid(exc, back)
    service.answer(session, user, question_id, answer_in)
    return redirect(back, "答复已发布，提问者和已揭榜的单位会收到通知")


@router.post("/questions/{question_id}/hide")
def hide(question_id: DbId, form: Form, session: SessionDep, user: SignedIn) -> Response:
    back = f"/needs/{service.question_need_id(session, user, question_id)}#qa"
    try:
        hide_in = HideIn(reason=_text(form, "reason"))
    except ValidationError as exc:
        return _invalid(exc, back)
    service.hide(session, user, question_id, hide_in)
    return redirect(back, "问题已隐藏，原因已记录")
