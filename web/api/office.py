"""The bureau's office settings (minimum expert scores before approval, minimum notice)."""

from __future__ import annotations

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
