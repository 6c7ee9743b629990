"""Organisation errors."""

from __future__ import annotations

from market.errors import NotFound


class OrgNotFound(NotFound):
    def __init__(self, message: str = "单位不存在") -> None:
        super().__init__(message)


class ProfileNotFound(NotFound):
    def __init__(self, message: str = "能力画像不存在") -> None:
        super().__init__(message)
