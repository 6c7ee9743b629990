"""Response errors: the domain errors of ``market.errors`` with this concept's codes."""

from __future__ import annotations

from market.errors import Conflict, NotFound


class ResponseNotFound(NotFound):
    def __init__(self, message: str = "揭榜方案不存在") -> None:
        super().__init__(message)


class DuplicateResponse(Conflict):
    code = "duplicate_response"

    def __init__(self, message: str = "本单位已对该需求提交过揭榜方案，每个单位每项需求只能揭榜一次") -> None:
        super().__init__(message)


class NotOpenForResponses(Conflict):
    code = "not_open_for_responses"


class ExpertRecused(Conflict):
    code = "expert_recused"
