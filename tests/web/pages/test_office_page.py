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


def test_the_holiday_calendar_is_kept_on_the_settings_page_with_errors_next_to_the_field(
    login, session: Session, bureau_user: User
) -> None:
    import datetime as dt

    c = login(bureau_user)
    page = c.get("/bureau/settings").text
    assert 'id="holidays"' in page and 'id="workdays"' in page and "调休上班日" in page
    base = {"min_expert_scores": "2", "notice_min_working_days": "5"}
    bad = post_form(c, "/bureau/settings", {**base, "min_expert_scores": "4", "holidays": "2026-10-01 至 2026-10-07", "workdays": "2026-09-20\n2026-10-08"})
    assert bad.status_code == 422
    field = bad.text[bad.text.index('id="workdays"'):]
    assert field.index("调休上班日须为周六或周日：2026-10-08 是周四") < field.index("</fieldset>")  # next to its field
    assert 'id="workdays-error"' in bad.text and "2026-10-01 至 2026-10-07" in bad.text  # the input is kept
    assert service.calendar_lists(session) == ([], []) and service.get(session, service.MIN_EXPERT_SCORES) == 2  # nothing saved
    bad = post_form(c, "/bureau/settings", {**base, "holidays": "2026-13-01", "workdays": ""})
    assert bad.status_code == 422 and 'id="holidays-error"' in bad.text and "「2026-13-01」不是有效日期" in bad.text
    ok = post_form(c, "/bureau/settings", {**base, "holidays": "2026-10-01 至 2026-10-07", "workdays": "2026-09-20, 2026-10-10"})
    assert ok.status_code == 303
    holidays, workdays = service.calendar_lists(session)
    assert len(holidays) == 7 and workdays == [dt.date(2026, 9, 20), dt.date(2026, 10, 10)]
    shown = c.get("/bureau/settings").text
    assert "2026-10-01 至 2026-10-07" in shown and "2026-09-20\n2026-10-10" in shown
