"""Inviting a provider to an invite-only need from the enterprise's need page."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.needs.models import NeedAccessGrant
from market.notifications.models import Notification
from market.orgs.models import User
from tests import factories
from tests.web.pages.conftest import post_form


def test_enterprise_invites_a_provider_who_is_told_and_may_read_the_details(
    login, session: Session, enterprise_user: User, provider_user: User, other_enterprise_user: User
) -> None:
    need = factories.create_need(session, org=enterprise_user.org, user=enterprise_user, status="published", disclosure="invite")
    c = login(enterprise_user)
    r = post_form(c, f"/enterprise/needs/{need.id}/invite", {"org_id": str(provider_user.org_id)})
    assert r.status_code == 303 and "已发出邀请" in c.get(r.headers["location"]).text
    grant = session.scalars(select(NeedAccessGrant).where(NeedAccessGrant.need_id == need.id)).one()
    assert grant.org_id == provider_user.org_id and grant.kind == "invited"
    assert session.scalars(select(Notification.kind).where(Notification.user_id == provider_user.id)).all() == ["need.invited"]
    bad = post_form(c, f"/enterprise/needs/{need.id}/invite", {"org_id": str(other_enterprise_user.org_id)})
    assert "须为高校、科研院所或服务商" in c.get(bad.headers["location"]).text
    stranger = login(other_enterprise_user)
    other = factories.create_user(session, factories.create_org(session, kind="provider", industry=None))
    r = post_form(stranger, f"/enterprise/needs/{need.id}/invite", {"org_id": str(other.org_id)})
    assert r.status_code in (303, 403, 404)
    assert session.scalars(select(NeedAccessGrant.org_id).where(NeedAccessGrant.need_id == need.id)).all() == [provider_user.org_id]
