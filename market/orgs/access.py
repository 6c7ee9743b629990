"""Who may see an organisation and its capability profile: one rule for the API, the pages, the
directory and the search index (which holds verified providers only)."""

from __future__ import annotations

from market.actions import Action, allow, deny
from market.errors import Invalid
from market.orgs.models import Organisation, OrgKind, User


def can_view_org(user: User | None, org: Organisation) -> bool:
    """A verified organisation is public; an unverified (or refused) one exists only for its own
    members and the bureau, which decides on it."""
    if org.is_verified:
        return True
    return user is not None and (user.org_id == org.id or user.is_bureau_staff)


def set_leading(user: User | None, org: Organisation) -> Action:
    """Bureau staff mark (or unmark) an enterprise as 龙头企业."""
    if user is None or not user.is_bureau_staff:
        return deny("只有科技局工作人员可以认定龙头企业")
    if org.kind != OrgKind.enterprise:
        return deny("只有企业可以认定为龙头企业", Invalid)
    return allow()
