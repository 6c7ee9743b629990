"""Need errors: the domain errors of ``market.errors`` with this concept's messages."""

from __future__ import annotations

from market.errors import NotFound


class NeedNotFound(NotFound):
    def __init__(self, message: str = "需求不存在") -> None:
        super().__init__(message)


class AssignmentNotFound(NotFound):
    def __init__(self, message: str = "没有分配给您的评审任务") -> None:
        super().__init__(message)


class RevisionNotFound(NotFound):
    def __init__(self, message: str = "需求修改记录不存在") -> None:
        super().__init__(message)


class SuggestionNotFound(NotFound):
    def __init__(self, message: str = "凝练建议不存在") -> None:
        super().__init__(message)
