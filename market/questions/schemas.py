"""Q&A schemas. No read schema carries the asker or their organisation: a question is public,
who asked it is not."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from market.actions import Action


class QuestionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    body: str = Field(min_length=5, max_length=1000, examples=["现有注塑机的型号和数量是多少？是否允许停机改造？"])


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    body: str = Field(min_length=2, max_length=2000, examples=["共 24 台海天注塑机，可在周末停机改造。"])


class HideIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: str = Field(min_length=2, max_length=200, examples=["含有与需求无关的广告内容"])


class QuestionActions(BaseModel):
    answer: Action
    hide: Action


class QuestionOut(BaseModel):
    id: int
    need_id: int
    body: str
    answer: str | None
    answered_as: str | None
    answered_at: dt.datetime | None
    created_at: dt.datetime
    mine: bool = Field(description="提问者本单位可见此标记；其他人看不到提问单位")
    hidden: bool
    hidden_reason: str | None = Field(None, description="仅科技局可见")
    actions: QuestionActions


class QuestionsOut(BaseModel):
    items: list[QuestionOut]
    ask: Action
