"""The bureau's office settings (minimum expert scores before approval, minimum notice) and the
holiday calendar that working days are counted by."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from market.office import service
from web.deps import BureauUser, SessionDep
from web.errors import RESPONSES_WRITE, responses

router = APIRouter(prefix="/office", tags=["办公设置 office"])


class SettingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: int = Field(ge=0, le=1000)


@router.get("/settings", response_model=list[dict[str, Any]], responses=responses(401, 403))
def list_settings(session: SessionDep, user: BureauUser) -> list[dict[str, Any]]:
    """办公设置：每项的当前值、缺省值与允许范围。"""
    return service.all_settings(session)


@router.put("/settings/{key}", response_model=dict[str, Any], responses=RESPONSES_WRITE)
def set_setting(key: str, setting_in: SettingIn, session: SessionDep, user: BureauUser) -> dict[str, Any]:
    """修改一项办公设置（留痕）。"""
    return {"key": key, "value": service.set_value(session, user, key, setting_in.value)}


class CalendarIO(BaseModel):
    model_config = ConfigDict(extra="forbid")
    holidays: list[dt.date] = Field([], max_length=service.MAX_CALENDAR_DAYS, description="法定节假日（放假的日期）")
    workdays: list[dt.date] = Field([], max_length=service.MAX_CALENDAR_DAYS, description="调休上班日（上班的周六、周日）")


@router.get("/calendar", response_model=CalendarIO, responses=responses(401, 403))
def get_calendar(session: SessionDep, user: BureauUser) -> CalendarIO:
    """节假日安排：法定节假日与调休上班日（公示期等按工作日计的期限据此计算）。"""
    holidays, workdays = service.calendar_lists(session)
    return CalendarIO(holidays=holidays, workdays=workdays)


@router.put("/calendar", response_model=CalendarIO, responses=RESPONSES_WRITE)
def set_calendar(calendar_in: CalendarIO, session: SessionDep, user: BureauUser) -> CalendarIO:
    """以两张清单替换节假日安排（留痕）。调休上班日须为周六或周日，同一天不能两者皆是。"""
    cal = service.set_calendar(session, user, calendar_in.holidays, calendar_in.workdays)
    return CalendarIO(holidays=sorted(cal.holidays), workdays=sorted(cal.workdays))
