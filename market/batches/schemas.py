from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, model_validator

from market.actions import Action
from market.db import DbId
from market.text import InputModel


class BatchCreate(InputModel):
    model_config = ConfigDict(extra="forbid")
    year: int = Field(ge=2020, le=2100, examples=[2026])
    publish_on: dt.date | None = Field(None, examples=["2026-12-15"])


class BatchNeedsIn(InputModel):
    model_config = ConfigDict(extra="forbid")
    need_ids: list[DbId] = Field(min_length=1, max_length=500)


class NoticeIn(InputModel):
    """Start the public notice (公示) with its objection window."""

    model_config = ConfigDict(extra="forbid")
    notice_start: dt.date
    notice_end: dt.date

    @model_validator(mode="after")
    def _window(self) -> NoticeIn:
        if self.notice_end < self.notice_start:
            raise ValueError("公示结束日期不能早于开始日期")
        return self


class ScheduleIn(InputModel):
    model_config = ConfigDict(extra="forbid")
    publish_on: dt.date


class BatchActions(BaseModel):
    """What the viewer may do with the batch (market.batches.access)."""

    add_needs: Action
    remove_need: Action
    start_notice: Action
    schedule: Action
    publish: Action


class BatchOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    year: int
    seq: int
    title: str
    status: str
    notice_start: dt.date | None
    notice_end: dt.date | None
    publish_on: dt.date | None
    published_at: dt.datetime | None
    status_label: str = ""
    need_count: int = 0
    actions: BatchActions | None = None
