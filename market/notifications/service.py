"""Sending in-app notifications. Callers pass ids; recipients are resolved here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from market.actions import Action, allow, deny
from market.audit import service as audit
from market.db import utcnow
from market.errors import Conflict, NotFound
from market.mail import service as mail
from market.notifications.models import Notification, SavedSearch
from market.notifications.schemas import SavedSearchIn
from market.orgs.models import PROVIDER_KINDS, Organisation, OrgKind, Role, User

# Broadcasts to every provider stay in the app: a new batch would otherwise mail every user of
# every verified provider (160 mails per batch on the demo data; bench/bench_mail.py), and the
# providers a need concerns hear of it by mail through their saved searches.
IN_APP_ONLY: frozenset[str] = frozenset({"batch.published"})


def notify_users(session: Session, user_ids: Iterable[int], kind: str, title: str, body: str = "", link: str = "") -> int:
    """An in-app notification for each user and, unless the kind is ``IN_APP_ONLY``, its mail
    job, both in the caller's transaction."""
    ids = sorted(set(user_ids))
    for uid in ids:
        session.add(Notification(user_id=uid, kind=kind, title=title, body=body, link=link))
    if kind not in IN_APP_ONLY:
        mail.queue_for_users(session, ids, kind, title, body, link)
    return len(ids)


def notify_org(session: Session, org_id: int, kind: str, title: str, body: str = "", link: str = "") -> int:
    ids = session.scalars(select(User.id).where(User.org_id == org_id, User.is_active.is_(True))).all()
    return notify_users(session, ids, kind, title, body, link)


def notify_bureau(session: Session, kind: str, title: str, body: str = "", link: str = "") -> int:
    users = session.scalars(
        select(User).join(Organisation).where(Organisation.kind == OrgKind.bureau, User.is_active.is_(True))
    ).all()
    ids = [u.id for u in users if u.has_role(Role.bureau_reviewer, Role.bureau_admin)]
    return notify_users(session, ids, kind, title, body, link)


# --- reading and marking ----------------------------------------------------------------------


def list_for(
    session: Session, user: User, *, unread_only: bool = False, offset: int = 0, limit: int = 20
) -> tuple[Sequence[Notification], int]:
    """A user's own notifications, newest first."""
    stmt = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Notification.id.desc()).offset(offset).limit(limit)).all()
    return rows, total


def unread_count(session: Session, user: User) -> int:
    return session.scalar(
        select(func.count(Notification.id)).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ) or 0


def mark_read(session: Session, user: User, notification_id: int) -> Notification:
    """A user marks only their own notifications; anyone else's do not exist for them."""
    note = session.get(Notification, notification_id)
    if note is None or note.user_id != user.id:
        raise NotFound("通知不存在")
    if note.read_at is None:
        note.read_at = utcnow()
        session.flush()
    return note


def mark_all_read(session: Session, user: User) -> int:
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- saved searches (subscriptions) -----------------------------------------------------------


class PublishedNeed(Protocol):
    """What a saved search is matched against (a need, without this package depending on needs)."""

    id: int
    org_id: int
    title: str
    summary: str
    industry: str
    county: str
    track: str

MAX_SAVED_SEARCHES = 20


def save_search_action(user: User | None) -> Action:
    """Who may keep a search as a subscription (需求订阅): providers' users."""
    if user is None:
        return deny("请先登录")
    if not user.org.is_provider:
        return deny("只有高校、科研院所和服务商可以订阅需求")
    return allow()


def _require_provider(user: User) -> None:
    save_search_action(user).require()


def list_saved_searches(session: Session, user: User) -> Sequence[SavedSearch]:
    return session.scalars(select(SavedSearch).where(SavedSearch.user_id == user.id).order_by(SavedSearch.id)).all()


def get_saved_search(session: Session, user: User, search_id: int) -> SavedSearch:
    saved = session.get(SavedSearch, search_id)
    if saved is None or saved.user_id != user.id:
        raise NotFound("订阅不存在")
    return saved


def create_saved_search(session: Session, user: User, search_in: SavedSearchIn) -> SavedSearch:
    """Providers subscribe to new needs by keyword and industry / county / track."""
    _require_provider(user)
    count = session.scalar(select(func.count(SavedSearch.id)).where(SavedSearch.user_id == user.id)) or 0
    if count >= MAX_SAVED_SEARCHES:
        raise Conflict(f"每位用户最多保存 {MAX_SAVED_SEARCHES} 个订阅")
    saved = SavedSearch(
        user_id=user.id, name=search_in.name, query=search_in.query,
        filters=search_in.filters.model_dump(exclude_none=True), notify=search_in.notify,
    )
    session.add(saved)
    session.flush()
    audit.record(session, user.id, "saved_search.created", "saved_search", saved.id, {"name": saved.name})
    return saved


def update_saved_search(session: Session, user: User, search_id: int, search_in: SavedSearchIn) -> SavedSearch:
    saved = get_saved_search(session, user, search_id)
    saved.name = search_in.name
    saved.query = search_in.query
    saved.filters = search_in.filters.model_dump(exclude_none=True)
    saved.notify = search_in.notify
    session.flush()
    audit.record(session, user.id, "saved_search.updated", "saved_search", saved.id, {"name": saved.name})
    return saved


def delete_saved_search(session: Session, user: User, search_id: int) -> None:
    saved = get_saved_search(session, user, search_id)
    audit.record(session, user.id, "saved_search.deleted", "saved_search", saved.id, {"name": saved.name})
    session.delete(saved)
    session.flush()


def search_matches(saved: SavedSearch, need: PublishedNeed) -> bool:
    """Every keyword appears in the title or summary, and every filter set agrees with the need
    (a digital or green subscription also matches needs that are both)."""
    text = f"{need.title} {need.summary}".lower()
    if any(term not in text for term in saved.query.lower().split()):
        return False
    return filters_match(saved, need)


def filters_match(saved: SavedSearch, need: PublishedNeed) -> bool:
    """Every filter a saved search sets agrees with the need (the part semantic matching keeps)."""
    filters = saved.filters or {}
    if filters.get("industry") and filters["industry"] != need.industry:
        return False
    if filters.get("county") and filters["county"] != need.county:
        return False
    track = filters.get("track")
    if track and not (need.track == track or (track != "both" and need.track == "both")):
        return False
    return True


def notify_matching_subscriptions(session: Session, need: PublishedNeed) -> int:
    """When a need is published (the worker's ``saved_search`` job, market.flows.SavedSearchHandler),
    each provider user whose subscription matches it hears once."""
    rows = session.execute(
        select(SavedSearch, User)
        .join(User, User.id == SavedSearch.user_id)
        .join(Organisation, Organisation.id == User.org_id)
        .where(
            SavedSearch.notify.is_(True),
            User.is_active.is_(True),
            Organisation.kind.in_([k.value for k in PROVIDER_KINDS]),
            Organisation.id != need.org_id,
        )
        .order_by(SavedSearch.id)
    ).all()
    # Told once, even when the job runs again (a lease that lapsed mid-way).
    told = set(session.scalars(
        select(Notification.user_id).where(Notification.kind == "subscription.match", Notification.link == f"/needs/{need.id}")
    ))
    names: dict[int, str] = {}
    for saved, user in rows:
        if user.id not in names and user.id not in told and search_matches(saved, need):
            names[user.id] = saved.name
    for user_id, name in names.items():
        notify_users(session, [user_id], "subscription.match", f"订阅「{name}」有新需求：{need.title}", need.summary[:200], f"/needs/{need.id}")
    return len(names)
