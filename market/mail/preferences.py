"""Mail preferences: per category of notification, immediately (default), in a daily digest, or
off; and the signed unsubscribe link every mail carries (no sign-in needed).

Account mails (password reset, invitation) have no category: they always go out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, Literal

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from market.db import utcnow
from market.errors import Invalid
from market.mail.models import MailPreference

Mode = Literal["immediate", "digest", "off"]
MODES: Final[dict[str, str]] = {"immediate": "即时发送", "digest": "每日汇总", "off": "不接收邮件"}
CATEGORIES: Final[dict[str, str]] = {
    "matching": "可能适合我的新需求",
    "responses": "方案、答疑与对接沟通",
    "decisions": "审核、评选与对接进展",
    "reminders": "截止与待办提醒",
    "bureau": "科技局待办",
}
ALL = "*"
_KINDS: Final[dict[str, str]] = {
    "subscription.match": "matching", "need.invited": "matching", "match.alert": "matching",
    "response.submitted": "responses", "question.asked": "responses", "question.answered": "responses",
    "message.new": "responses",
    "need.submitted": "bureau", "deal.opened": "bureau", "need.objection": "bureau", "expert.assigned": "bureau",
}
_SALT = "jiebang-unsubscribe"


def category_of(kind: str) -> str | None:
    """The category a notification kind belongs to; None for account mail (always sent)."""
    if kind.startswith("account."):
        return None
    if kind.startswith("reminder."):
        return "reminders"
    return _KINDS.get(kind, "decisions")


def modes_for(session: Session, user_ids: Iterable[int], category: str) -> dict[int, str]:
    ids = list(user_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(MailPreference.user_id, MailPreference.mode).where(
            MailPreference.user_id.in_(ids), MailPreference.category == category
        )
    ).all()
    return {uid: mode for uid, mode in rows}


def preferences_of(session: Session, user_id: int) -> dict[str, str]:
    found = dict(modes_for_user(session, user_id))
    return {c: found.get(c, "immediate") for c in CATEGORIES}


def modes_for_user(session: Session, user_id: int) -> list[tuple[str, str]]:
    return [
        (c, m) for c, m in session.execute(
            select(MailPreference.category, MailPreference.mode).where(MailPreference.user_id == user_id)
        ).all()
    ]


def set_mode(session: Session, user_id: int, category: str, mode: str) -> None:
    if category != ALL and category not in CATEGORIES:
        raise Invalid.field("category", "邮件类别不存在")
    if mode not in MODES:
        raise Invalid.field("mode", "请选择即时发送、每日汇总或不接收邮件")
    for cat in (CATEGORIES if category == ALL else [category]):
        row = session.scalar(select(MailPreference).where(MailPreference.user_id == user_id, MailPreference.category == cat))
        if row is None:
            session.add(MailPreference(user_id=user_id, category=cat, mode=mode))
        else:
            row.mode = mode
            row.updated_at = utcnow()
    session.flush()


def unsubscribe_token(secret: str, user_id: int, category: str) -> str:
    return str(URLSafeSerializer(secret, salt=_SALT).dumps({"u": user_id, "c": category}))


def read_unsubscribe_token(secret: str, token: str) -> tuple[int, str]:
    """The user and category of a signed unsubscribe link; Invalid when it was not signed by us."""
    try:
        data = URLSafeSerializer(secret, salt=_SALT).loads(token)
    except BadSignature:
        raise Invalid.field("token", "退订链接无效") from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or data.get("c") not in (*CATEGORIES, ALL):
        raise Invalid.field("token", "退订链接无效")
    return int(data["u"]), str(data["c"])


def unsubscribe_path(secret: str, user_id: int | None, kind: str) -> str:
    """The unsubscribe link of a mail: its category (a digest: every category); none for account mail."""
    if user_id is None:
        return ""
    category = ALL if kind == "digest" else category_of(kind)
    if category is None:
        return ""
    return f"/unsubscribe?token={unsubscribe_token(secret, user_id, category)}"
