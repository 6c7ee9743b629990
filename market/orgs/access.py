"""Who may see an organisation and its capability profile: one rule for the API, the pages, the
directory and the search index (which holds verified providers only)."""

from __future__ import annotations

from market.orgs.models import Organisation, User


def can_view_org(user: User | None, org: Organisation) -> bool:
    """A verified organisation is public; an unverified (or refused) one exists only for its own
    members and the bureau, which decides on it."""
    if org.is_verified:
        return True
    return user is not None and (user.org_id == org.id or user.is_bureau_staff)
