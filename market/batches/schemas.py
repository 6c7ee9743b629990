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


class ObjectionActions(BaseModel):
    resolve: Action


class ObjectionOut(BaseModel):
    """An objection as its author and the bureau see it (the public sees none)."""

    id: int
    need_id: int
    need_title: str = ""
    body: str
    at: dt.datetime
    resolved: bool
    resolution: str
    resolved_at: dt.datetime | None
    actions: ObjectionActions | None = None


class NoticeNeed(BaseModel):
    """A need of a batch on notice, showing only what its disclosure level allows the public."""

    id: int
    title: str
    industry: str
    track: str
    county: str
    disclosure: str
    disclosure_label: str
    summary: str | None = Field(None, description="需求概述；仅受邀方可见的需求不公开概述")
    budget_min_wan: float | None = None
    budget_max_wan: float | None = None
    cooperation_mode: str | None = None
    org_name: str | None = Field(None, description="发榜单位；匿名发布时为空")


class NoticeOut(BaseModel):
    """A batch on public notice (公示): its needs, the notice period, how to object."""

    batch_id: int
    title: str
    status: str
    status_label: str
    notice_start: dt.date | None
    notice_end: dt.date | None
    open_now: bool = Field(description="今天（中国标准时间）是否在公示期内")
    how_to_object: str
    needs: list[NoticeNeed]
    object: Action = Field(description="查看者能否提出异议，不能时给出原因")
    my_objections: list[ObjectionOut] = Field([], description="查看者本人提出的异议及答复")


class ScheduleIn(InputModel):
    model_config = ConfigDict(extra="forbid")
    publish_on: dt.date


class BatchActions(BaseModel):
    """What the viewer may do with the batch (market.batches.access)."""

    add_needs: Action
    remove_need: Action
    start_notice: Action
    withdraw_notice: Action
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
