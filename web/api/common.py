from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class Paginated(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int
    # Lists that page by keyset: pass as ``after`` for the next page (None on the last page).
    next_after: str | None = None
