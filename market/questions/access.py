"""Who may read, ask, answer and hide questions on a need. The API, the pages and the services
ask here.

- questions and answers are read by everyone who may read the need's details;
- a verified provider that may read the details asks, while the need takes responses;
- the enterprise that posted the need, or the bureau on its behalf, answers;
- the bureau hides an improper question with a reason; a hidden question is gone for everyone
  else (its asker included) and stays visible to the bureau with the reason.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from market.actions import Action, allow, deny, first, refuse_state
from market.needs import access as need_access
from market.needs.models import Need
from market.needs.states import OPEN_FOR_RESPONSES
from market.orgs.models import User
from market.questions.models import NeedQuestion
from market.questions.schemas import QuestionActions


def can_read(session: Session, user: User | None, need: Need) -> bool:
    return need_access.can_view_details(session, user, need)


def can_see(user: User | None, question: NeedQuestion) -> bool:
    return question.hidden_at is None or (user is not None and user.is_bureau_staff)


def is_answerer(user: User | None, need: Need) -> bool:
    return user is not None and (need_access.is_owner(user, need) or user.is_bureau_staff)


def ask(session: Session, user: User | None, need: Need) -> Action:
    if user is None:
        return deny("请先登录；已认证的高校、科研院所和服务商可以提问")
    if not user.org.is_provider:
        return deny("只有高校、科研院所和服务商可以提问")
    return first(
        need_access.details_refusal(session, user, need),
        allow() if need.status in OPEN_FOR_RESPONSES else refuse_state("需求已不在揭榜期内，不能再提问"),
    )


def answer(user: User | None, need: Need, question: NeedQuestion) -> Action:
    if not is_answerer(user, need):
        return deny("只有发榜企业或科技局可以答复")
    if question.hidden_at is not None:
        return refuse_state("该问题已被隐藏")
    if question.answer is not None:
        return refuse_state("该问题已答复")
    return allow()


def hide(user: User | None, question: NeedQuestion) -> Action:
    if user is None or not user.is_bureau_staff:
        return deny("只有科技局可以隐藏问题")
    if question.hidden_at is not None:
        return refuse_state("该问题已被隐藏")
    return allow()


def question_actions(user: User | None, need: Need, question: NeedQuestion) -> QuestionActions:
    return QuestionActions(answer=answer(user, need, question), hide=hide(user, question))
