"""Who may see and act on a response. Routes and queries ask here, nowhere else.

- the responding organisation (and its team partners, read-only) sees its own responses;
- the enterprise that posted the need sees the responses to it and decides on them;
- the need's assigned experts see them to score them;
- the bureau sees all;
- for everyone else a response does not exist (404).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from market.needs import access as need_access
from market.needs.models import Need
from market.orgs.models import User
from market.responses.models import Response


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
