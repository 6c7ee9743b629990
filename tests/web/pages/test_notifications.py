"""The notifications page."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.orgs.models import User
from tests.web.pages.conftest import post_form


def test_notifications_list_and_open(login, session: Session, enterprise_user: User) -> None:
    from market.notifications import service as notify

    notify.notify_users(session, [enterprise_user.id], "test", "测试通知标题", "正文", "/enterprise")
    session.flush()
    c = login(enterprise_user)
    page = c.get("/notifications").text
    assert "测试通知标题" in page
    assert "badge-alert" in c.get("/").text
    from market.notifications.models import Notification

    n = session.scalar(select(Notification).where(Notification.user_id == enterprise_user.id))
    assert n is not None
    r = post_form(c, f"/notifications/{n.id}/open")
    assert r.status_code == 303 and r.headers["location"] == "/enterprise"
