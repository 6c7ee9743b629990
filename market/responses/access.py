"""Who may see and act on a response, and who may respond to a need. Services, routes and pages
ask here, nowhere else.

- the responding organisation (and its team partners, read-only) sees its own responses;
- the enterprise that posted the need sees the responses to it and decides on them;
- the need's assigned experts see them to score them;
- the bureau sees all;
- for everyone else a response does not exist (404).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.actions import Action, allow, deny, refuse_state
from market.db import CST
from market.needs import access as need_access
from market.needs.models import Need
from market.needs.states import OPEN_FOR_RESPONSES, NeedStatus, need_machine
from market.orgs import access as org_access
from market.orgs.models import User
from market.responses.exceptions import DuplicateResponse, ExpertRecused, NotOpenForResponses
from market.responses.models import Response
from market.responses.schemas import ResponseActions
from market.responses.states import OPEN_STATUSES, ResponseStatus, response_machine
from market.vocab import SYSTEM_DECLINE_REASONS

S = ResponseStatus


def is_responder(user: User | None, response: Response) -> bool:
    return user is not None and user.org_id == response.org_id


def is_partner(user: User | None, response: Response) -> bool:
    return user is not None and user.org_id in (response.partner_org_ids or [])


def is_need_owner(user: User | None, need: Need) -> bool:
    return need_access.is_owner(user, need)


def can_view(session: Session, user: User | None, response: Response, need: Need) -> bool:
    if user is None:
        return False
    if user.is_bureau_staff or is_responder(user, response) or is_partner(user, response):
        return True
    if is_need_owner(user, need):
        return True
    return need_access.is_assigned_expert(session, user, need)


def can_review(session: Session, user: User | None, response: Response, need: Need) -> bool:
    """Reviewers see the experts' scores: the need's owner, the bureau, the assigned experts."""
    if user is None:
        return False
    return user.is_bureau_staff or is_need_owner(user, need) or need_access.is_assigned_expert(session, user, need)


def today_local() -> dt.date:
    return dt.datetime.now(CST).date()


def response_of_org(session: Session, need: Need, org_id: int) -> Response | None:
    """The organisation's proposal to the need, if it responded (one per organisation and need)."""
    return session.scalar(select(Response).where(Response.need_id == need.id, Response.org_id == org_id))


def respond(session: Session, user: User | None, need: Need, today: dt.date | None = None) -> Action:
    """A verified provider (or an enterprise the bureau marked 龙头企业, seed task 10) that may read
    the need's details responds, once per need, while the need is open (已发榜/已揭榜) and before its
    deadline; never to its own organisation's needs."""
    if user is None:
        return deny("请先登录后揭榜")
    if not user.org.may_respond:
        return deny("只有高校、科研院所、服务商和科技局认定的龙头企业可以揭榜")
    if need_access.is_owner(user, need):
        return deny("不能对本单位发布的需求揭榜")
    if not user.org.is_verified:
        return deny("单位尚未通过科技局认证，暂不能揭榜")
    details = need_access.details_refusal(session, user, need)
    if not details.allowed:
        return deny(f"{details.reason}，查看需求详情后再揭榜")
    if need.status not in OPEN_FOR_RESPONSES:
        return deny(f"需求当前状态为「{need_machine.label(need.status)}」，不接受揭榜", NotOpenForResponses)
    today = today or today_local()
    if need.deadline is not None and need.deadline < today:
        return deny(f"已过揭榜截止日期（{need.deadline.isoformat()}）", NotOpenForResponses)
    if response_of_org(session, need, user.org_id) is not None:
        return deny(DuplicateResponse().message, DuplicateResponse)
    return allow()


def could_respond(session: Session, user: User | None, need: Need, today: dt.date | None = None) -> bool:
    """Whether the need is one this viewer could take up now, perhaps after one step of its own:
    the same rule as :func:`respond`, except that an NDA need whose terms are not yet accepted
    counts (accepting them opens the details). What recommendations offer."""
    answer = respond(session, user, need, today)
    if answer.allowed:
        return True
    if user is None or need.disclosure != "nda" or need_access.details_refusal(session, user, need).allowed:
        return False
    # Only the missing terms stand in the way: everything after the details check must pass.
    if need.status not in OPEN_FOR_RESPONSES or need_access.is_owner(user, need) or not user.org.is_provider:
        return False
    if not user.org.is_verified:
        return False
    today = today or today_local()
    if need.deadline is not None and need.deadline < today:
        return False
    return response_of_org(session, need, user.org_id) is None


@dataclass(frozen=True)
class Facts:
    user: User | None
    response: Response
    need: Need
    responder: bool
    need_owner: bool
    assigned: bool
    conflicted: bool = False  # an assigned expert declared a conflict with a responding organisation


def _facts(session: Session, user: User | None, response: Response, need: Need) -> Facts:
    assigned = need_access.is_assigned_expert(session, user, need)
    conflicted = (
        user is not None
        and assigned
        and org_access.is_recused(session, user, response.org_id, *(response.partner_org_ids or []))
    )
    return Facts(
        user=user,
        response=response,
        need=need,
        responder=is_responder(user, response),
        need_owner=is_need_owner(user, need),
        assigned=assigned,
        conflicted=conflicted,
    )


def _state(response: Response, verb: str) -> Action:
    return refuse_state(f"揭榜方案当前状态为「{response_machine.label(response.status)}」，{verb}")


def _decide(f: Facts, target: str, verb: str) -> Action:
    if not f.need_owner:
        return deny("只有发榜企业可以评选揭榜方案")
    if not response_machine.can(f.response.status, target):
        return _state(f.response, verb)
    return allow()


def shortlist(f: Facts) -> Action:
    """The enterprise shortlists a proposal while its need is still open."""
    answer = _decide(f, S.shortlisted, "不能列入入围")
    if answer.allowed and f.response.status == S.declined:
        return _state(f.response, "不能列入入围")
    if answer.allowed and f.need.status not in OPEN_FOR_RESPONSES:
        return refuse_state(f"需求当前状态为「{need_machine.label(f.need.status)}」，不能再评选方案")
    return answer


def decline(f: Facts) -> Action:
    """Declining always tells the provider why (a reason from the list and an explanation)."""
    return _decide(f, S.declined, "不能设为未入选")


def select_(f: Facts) -> Action:
    """Selecting a partner opens the deal; a need has one selected partner at a time: another may
    be chosen only after that deal fails."""
    answer = _decide(f, S.selected, "不能选定")
    if answer.allowed and not need_machine.can(f.need.status, NeedStatus.selected):
        return refuse_state(f"需求当前状态为「{need_machine.label(f.need.status)}」，不能选定揭榜方")
    return answer


def reconsider(f: Facts) -> Action:
    """A proposal set aside because another partner was selected is reconsidered once the need is
    open again (that deal failed)."""
    if not f.need_owner:
        return deny("只有发榜企业可以评选揭榜方案")
    if f.response.status != S.declined or f.response.reason_code not in SYSTEM_DECLINE_REASONS - {"need_withdrawn"}:
        return _state(f.response, "不能重新考虑")
    if f.need.status not in OPEN_FOR_RESPONSES:
        return refuse_state(f"需求当前状态为「{need_machine.label(f.need.status)}」，不能重新考虑方案")
    return allow()


def withdraw(f: Facts) -> Action:
    """The responding organisation withdraws its own proposal while it is under review."""
    if not f.responder:
        return deny("只有揭榜单位可以撤回方案")
    if not response_machine.can(f.response.status, S.withdrawn):
        return _state(f.response, "不能撤回")
    return allow()


def upload(f: Facts) -> Action:
    """The responding organisation attaches documents while its proposal is under review."""
    if not f.responder:
        return deny("只有揭榜单位可以上传方案附件")
    if f.response.status not in OPEN_STATUSES:
        return _state(f.response, "不能再上传附件")
    return allow()


def score(f: Facts) -> Action:
    """Experts assigned to the need score its open proposals; an expert from a responding
    organisation is recused."""
    user = f.user
    if user is None or not (user.is_expert and f.assigned):
        return deny("只有该需求的评审专家可以为揭榜方案打分")
    if user.org_id in [f.response.org_id, *(f.response.partner_org_ids or [])]:
        return deny("专家与揭榜单位属于同一单位，须回避", ExpertRecused)
    if f.conflicted:
        return deny("专家已申报与揭榜单位存在利益冲突，须回避", ExpertRecused)
    if f.response.status not in OPEN_STATUSES:
        return _state(f.response, "不能再打分")
    return allow()


RULES = {
    "shortlist": shortlist,
    "decline": decline,
    "select": select_,
    "reconsider": reconsider,
    "withdraw": withdraw,
    "upload": upload,
    "score": score,
}


def response_actions(session: Session, user: User | None, response: Response, need: Need) -> ResponseActions:
    """Every action of this viewer on this proposal, each allowed or refused with its reason."""
    f = _facts(session, user, response, need)
    return ResponseActions(**{name: rule(f) for name, rule in RULES.items()})


def require(session: Session, user: User | None, response: Response, need: Need, action: str) -> None:
    RULES[action](_facts(session, user, response, need)).require()
