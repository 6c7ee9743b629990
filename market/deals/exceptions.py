"""Deal errors."""

from __future__ import annotations

from market.errors import NotFound


class DealNotFound(NotFound):
    def __init__(self, message: str = "对接项目不存在") -> None:
        super().__init__(message)
