"""Message schemas. A message names its side (发榜企业 / 揭榜方), never a person or an
organisation, so an anonymous need stays anonymous in its thread."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from market.actions import Action

SIDE_LABELS = {"enterprise": "发榜企业", "provider": "揭榜方"}


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    body: str = Field(min_length=1, max_length=2000, examples=["方案中的余热回收设备能否适配 24 台海天注塑机？"])


class MessageAttachmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    filename: str
    content_type: str
    size: int


class MessageOut(BaseModel):
    id: int
    side: str
    side_label: str
    mine: bool = Field(description="本方发出的消息")
    body: str
    created_at: dt.datetime
    read_at: dt.datetime | None = Field(description="对方首次阅读的时间（已读回执）")
    attachments: list[MessageAttachmentOut]


class ThreadActions(BaseModel):
    post: Action


class ThreadOut(BaseModel):
    response_id: int
    need_id: int
    need_title: str
    items: list[MessageOut]
    actions: ThreadActions
