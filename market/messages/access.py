"""Who may read and write the thread of a response.

- the enterprise that posted the need and the organisation that responded write and read it;
- the bureau's staff (its deal officers) read it for the record, and do not write;
- for everyone else — other providers, team partners, experts, other enterprises — the thread
  does not exist (404).
"""

from __future__ import annotations

from market.actions import Action, allow, deny, refuse_state
from market.messages.schemas import ThreadActions
from market.needs.models import Need
from market.orgs.models import User
from market.responses.models import Response
from market.responses.states import ResponseStatus


def side_of(user: User | None, response: Response, need: Need) -> str | None:
    """"enterprise" or "provider" for a party of the thread, None for anyone else."""
    if user is None:
        return None
    if user.org_id == need.org_id:
        return "enterprise"
    if user.org_id == response.org_id:
        return "provider"
    return None


def can_read(user: User | None, response: Response, need: Need) -> bool:
    return side_of(user, response, need) is not None or (user is not None and user.is_bureau_staff)


def post(user: User | None, response: Response, need: Need) -> Action:
    if side_of(user, response, need) is None:
        return deny("只有发榜企业和揭榜单位可以在此沟通；科技局可查阅记录")
    if response.status == ResponseStatus.withdrawn:
        return refuse_state("方案已撤回，沟通已结束")
    return allow()


def thread_actions(user: User | None, response: Response, need: Need) -> ThreadActions:
    return ThreadActions(post=post(user, response, need))
