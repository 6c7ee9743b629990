"""Sending in-app notifications. Callers pass ids; recipients are resolved here."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.notifications.models import Notification
from market.orgs.models import OrgKind, Organisation, Role, User


def notify_users(session: Session, user_ids: Iterable[int], kind: str, title: str, body: str = "", link: str = "") -> int:
    count = 0
    for uid in sorted(set(user_ids)):
        session.add(Notification(user_id=uid, kind=kind, title=title, body=body, link=link))
        count += 1
    return count


def notify_org(session: Session, org_id: int, kind: str, title: str, body: str = "", link: str = "") -> int:
    ids = session.scalars(select(User.id).where(User.org_id == org_id, User.is_active.is_(True))).all()
    return notify_users(session, ids, kind, title, body, link)


def notify_bureau(session: Session, kind: str, title: str, body: str = "", link: str = "") -> int:
    users = session.scalars(
        select(User).join(Organisation).where(Organisation.kind == OrgKind.bureau, User.is_active.is_(True))
    ).all()
    ids = [u.id for u in users if u.has_role(Role.bureau_reviewer, Role.bureau_admin)]
    return notify_users(session, ids, kind, title, body, link)
