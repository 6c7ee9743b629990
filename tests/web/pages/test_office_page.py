"""The office settings page: the bureau changes the minimum notice and expert scores; a bad value
is shown next to its field and nothing is saved for it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from market.office import service
from market.orgs.models import User
from tests.web.pages.conftest import post_form


def test_bureau_changes_the_settings_with_errors_next_to_the_field(login, session: Session, bureau_user: User, enterprise_user: User) -> None:
    c = login(bureau_user)
    assert "公示期最少工作日" in c.get("/bureau/settings").text
    bad = post_form(c, "/bureau/settings", {"min_expert_scores": "3", "notice_min_working_days": "99"})
    assert bad.status_code == 422 and "公示期最少工作日须在 1–30 之间" in bad.text and 'value="99"' in bad.text
    assert service.get(session, service.NOTICE_MIN_WORKING_DAYS) == 5
    assert service.get(session, service.MIN_EXPERT_SCORES) == 2  # nothing saved
    ok = post_form(c, "/bureau/settings", {"min_expert_scores": "3", "notice_min_working_days": "7"})
    assert ok.status_code == 303
    assert service.get(session, service.MIN_EXPERT_SCORES) == 3 and service.get(session, service.NOTICE_MIN_WORKING_DAYS) == 7
    assert login(enterprise_user).get("/bureau/settings").status_code == 403
