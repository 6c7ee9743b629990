"""Errors of the search layer.

``MeiliUnavailable`` and friends describe the infrastructure (for logs, the CLI and health
checks); their messages carry Chinese and English so an operator reads them without a stack
trace. ``SearchUnavailable`` is what a user sees: a domain error that ``web`` renders as 503.
"""

from __future__ import annotations

from typing import Any

from market.errors import DomainError


class SearchError(Exception):
    """Base of the infrastructure errors raised by ``search``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class MeiliUnavailable(SearchError):
    """Meilisearch cannot be reached or did not start."""


class MeiliBinaryMissing(MeiliUnavailable):
    """The Meilisearch executable is not where the settings say."""


class MeiliTaskFailed(SearchError):
    """A Meilisearch task ended as ``failed`` or ``canceled``, or did not end in time."""

    def __init__(self, message: str, task: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.task = task or {}


class MeiliRequestError(SearchError):
    """Meilisearch answered a request with an error (4xx/5xx other than unavailability)."""

    def __init__(self, message: str, status_code: int, code: str = "") -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code


class SearchUnavailable(DomainError):
    status_code = 503
    code = "search_unavailable"

    def __init__(self, message: str = "搜索服务暂时不可用，请稍后再试") -> None:
        super().__init__(message)
