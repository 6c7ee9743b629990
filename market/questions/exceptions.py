"""Question errors."""

from __future__ import annotations

from market.errors import NotFound


class QuestionNotFound(NotFound):
    def __init__(self, message: str = "问题不存在") -> None:
        super().__init__(message)
