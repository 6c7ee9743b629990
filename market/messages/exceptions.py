"""Message errors."""

from __future__ import annotations

from market.errors import NotFound


class ThreadNotFound(NotFound):
    def __init__(self, message: str = "沟通记录不存在") -> None:
        super().__init__(message)


class MessageNotFound(NotFound):
    def __init__(self, message: str = "消息不存在") -> None:
        super().__init__(message)
