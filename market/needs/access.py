"""Who may see and do what with a need. The single source of the disclosure rules; search
filters and every route ask here."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.needs.models import ExpertAssignment, Need, NeedAccessGrant
from market.needs.states import PUBLIC_STATUSES
from market.orgs.models import User


def is_owner(user: User | None, need: Need) -> bool:
    return user is not None and user.org_id == need.org_id


def is_assigned_expert(session: Session, user: User | None, need: Need) -> bool:
    if user is None or not user.is_expert:
        return False
    return (
        session.scalar(
            select(ExpertAssignment.id).where(ExpertAssignment.need_id == need.id, ExpertAssignment.expert_id == user.id)
        )
        is not None
    )


def has_grant(session: Session, user: User | None, need: Need) -> bool:
    if user is None:
        return False
    return (
        session.scalar(
            select(NeedAccessGrant.id).where(NeedAccessGrant.need_id == need.id, NeedAccessGrant.org_id == user.org_id)
        )
        is not None
    )


def can_view_summary(session: Session, user: User | None, need: Need) -> bool:
    """Published needs are public; unpublished ones only for the owner, the bureau and assigned experts."""
    if need.status in PUBLIC_STATUSES:
        return True
    if user is None:
        return False
    return is_owner(user, need) or user.is_bureau_staff or is_assigned_expert(session, user, need)


def can_view_details(session: Session, user: User | None, need: Need) -> bool:
    """Details: public disclosure → any signed-in verified organisation; nda → after accepting the
    terms; invite → invited organisations only. Owner, bureau and assigned experts always."""
    if user is None:
        return False
    if is_owner(user, need) or user.is_bureau_staff or is_assigned_expert(session, user, need):
        return True
    if need.status not in PUBLIC_STATUSES or not user.org.is_verified:
        return False
    if need.disclosure == "public":
        return True
    return has_grant(session, user, need)


def shows_org_name(session: Session, user: User | None, need: Need) -> bool:
    """An anonymous need hides its enterprise except from the owner, the bureau and invited/granted
    providers."""
    if not need.anonymous:
        return True
    if user is None:
        return False
    return is_owner(user, need) or user.is_bureau_staff or has_grant(session, user, need)
