"""Deal errors."""

from __future__ import annotations

from market.errors import NotFound


class DealNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("对接项目不存在")
