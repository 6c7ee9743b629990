"""Batch errors."""

from __future__ import annotations

from market.errors import NotFound


class BatchNotFound(NotFound):
    def __init__(self, message: str = "榜单不存在") -> None:
        super().__init__(message)
