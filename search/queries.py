"""Searching needs and providers: keyword or hybrid, filters, facets, sorting, highlighting.

Visibility is not decided here. The caller passes ``viewer_filter`` (a Meilisearch filter built
from ``market`` rules) and a scope: ``public`` searches the ``needs`` index, which only ever holds
published needs and their public fields; ``bureau`` searches ``needs_all`` and is for bureau
staff only — the route checks that before choosing it.

``formatted`` values are safe HTML: the text is escaped and only our ``<mark>`` tags remain.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from market.errors import Invalid
from matching.embedders import Embedder
from search.client import MeiliClient
from search.documents import date_ts
from search.errors import MeiliRequestError, MeiliUnavailable, SearchUnavailable
from search.indexes import EMBEDDER, NEEDS, NEEDS_ALL, PROVIDERS, index_uid

Mode = Literal["keyword", "hybrid"]
NeedSort = Literal["relevance", "newest", "deadline", "budget"]

NEED_FACETS = ("industry", "county", "track", "cooperation_mode", "status")
PROVIDER_FACETS = ("kind", "county", "industries", "tracks", "capability_types")
# Needs open for responses come first in every order, closed ones after (``open_rank`` 0 / 1;
# the needs indexes rank by ``sort`` first, search/indexes.py).
_SORTS: dict[str, list[str]] = {
    "relevance": ["open_rank:asc"],
    "newest": ["open_rank:asc", "published_ts:desc"],
    "deadline": ["open_rank:asc", "deadline_ts:asc"],
    "budget": ["open_rank:asc", "budget_max_wan:desc"],
}
# Private-use characters as highlight tags: they survive Meilisearch untouched and cannot occur
# in user text, so escaping the text and then turning them into <mark> is safe.
_PRE, _POST = "\ue000", "\ue001"


class NeedSearchParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str = Field("", max_length=200)
    mode: Mode = "hybrid"
    industry: list[str] = []
    county: list[str] = []
    track: list[str] = []
    status: list[str] = []
    cooperation_mode: list[str] = []
    budget_min: float | None = Field(None, ge=0, description="预算区间下限（万元），与需求预算有交集即命中")
    budget_max: float | None = Field(None, ge=0)
    deadline_from: dt.date | None = None
    deadline_to: dt.date | None = None
    batch_id: int | None = None
    sort: NeedSort = "relevance"
    page: int = Field(1, ge=1, le=1000)
    per_page: int = Field(20, ge=1, le=100)
    facets: bool = True


class ProviderSearchParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str = Field("", max_length=200)
    mode: Mode = "hybrid"
    kind: list[str] = []
    county: list[str] = []
    industries: list[str] = []
    tracks: list[str] = []
    capability_types: list[str] = []
    page: int = Field(1, ge=1, le=1000)
    per_page: int = Field(20, ge=1, le=100)
    facets: bool = True


class SearchHit(BaseModel):
    id: int
    document: dict[str, Any]
    formatted: dict[str, Any] = {}
    score: float | None = None


class SearchResult(BaseModel):
    query: str
    mode: Mode
    hits: list[SearchHit]
    total: int
    page: int
    per_page: int
    total_pages: int
    facets: dict[str, dict[str, int]] = {}
    processing_ms: int = 0  # inside Meilisearch
    elapsed_ms: float = 0.0  # whole call, embedding included
    semantic_hits: int | None = None


# -- filters ---------------------------------------------------------------------------------------


def quote(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def any_of(attribute: str, values: Sequence[str | int]) -> str | None:
    if not values:
        return None
    return f"{attribute} IN [{', '.join(quote(v) for v in values)}]"


def and_all(*parts: str | None) -> str | None:
    present = [p for p in parts if p]
    if not present:
        return None
    return " AND ".join(f"({p})" for p in present)


def need_filter(params: NeedSearchParams) -> str | None:
    parts: list[str | None] = [
        any_of("industry", params.industry),
        any_of("county", params.county),
        any_of("track", params.track),
        any_of("status", params.status),
        any_of("cooperation_mode", params.cooperation_mode),
    ]
    # Budget: the need's range overlaps the wanted range.
    if params.budget_min is not None:
        parts.append(f"budget_max_wan >= {quote(params.budget_min)}")
    if params.budget_max is not None:
        parts.append(f"budget_min_wan <= {quote(params.budget_max)}")
    if params.deadline_from is not None:
        parts.append(f"deadline_ts >= {date_ts(params.deadline_from)}")
    if params.deadline_to is not None:
        parts.append(f"deadline_ts <= {date_ts(params.deadline_to)}")
    if params.batch_id is not None:
        parts.append(f"batch_id = {params.batch_id}")
    return and_all(*parts)


def provider_filter(params: ProviderSearchParams) -> str | None:
    return and_all(
        any_of("kind", params.kind),
        any_of("county", params.county),
        any_of("industries", params.industries),
        any_of("tracks", params.tracks),
        any_of("capability_types", params.capability_types),
    )


# -- query vectors ---------------------------------------------------------------------------------


class _VectorCache:
    """Recent query vectors: the same query typed by many users is embedded once."""

    def __init__(self, size: int = 2048) -> None:
        self._size = size
        self._data: OrderedDict[tuple[str, str], list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, embedder: Embedder, text: str) -> list[float]:
        key = (f"{embedder.name}:{embedder.dim}", text)
        with self._lock:
            found = self._data.get(key)
            if found is not None:
                self._data.move_to_end(key)
                return found
        vector: list[float] = embedder.embed_queries([text])[0].astype(float).tolist()
        self._put(key, vector)
        return vector

    def get_many(self, embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
        """Vectors for several query texts, embedding only the ones not seen recently (one batch)."""
        tag = f"{embedder.name}:{embedder.dim}"
        with self._lock:
            known = {t: self._data.get((tag, t)) for t in texts}
        missing = [t for t, v in known.items() if v is None]
        if missing:
            for text, row in zip(missing, embedder.embed_queries(missing), strict=True):
                known[text] = row.astype(float).tolist()
                self._put((tag, text), known[text])  # type: ignore[arg-type]
        return np.asarray([known[t] for t in texts], dtype=np.float32)

    def known(self, embedder: Embedder, texts: Sequence[str]) -> list[list[float] | None]:
        """The cached vector of each text, or None where it was not embedded yet (embeds nothing)."""
        tag = f"{embedder.name}:{embedder.dim}"
        with self._lock:
            return [self._data.get((tag, t)) for t in texts]

    def _put(self, key: tuple[str, str], vector: list[float]) -> None:
        with self._lock:
            self._data[key] = vector
            while len(self._data) > self._size:
                self._data.popitem(last=False)


query_vectors = _VectorCache()


# -- running ---------------------------------------------------------------------------------------


def _safe_html(value: Any) -> Any:
    if isinstance(value, str):
        return html.escape(value).replace(_PRE, "<mark>").replace(_POST, "</mark>")
    if isinstance(value, list):
        return [_safe_html(v) for v in value]
    if isinstance(value, dict):
        return {k: _safe_html(v) for k, v in value.items()}
    return value


def _strip_tags(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace(_PRE, "").replace(_POST, "")
    return value


def run_search(
    client: MeiliClient,
    index: str,
    *,
    q: str,
    mode: Mode,
    filter_expr: str | None,
    sort: list[str],
    page: int,
    per_page: int,
    facets: Sequence[str],
    highlight: Sequence[str],
    crop: Sequence[str] = (),
    embedder: Embedder | None = None,
    semantic_ratio: float = 0.5,
    relevance_floor: float = 0.0,
    floor_without_words: float = 0.0,
) -> SearchResult:
    """One search call with the house conventions; Meilisearch errors become domain errors.

    A typed query shows and counts only hits scoring at least ``relevance_floor`` (Meilisearch's
    ``rankingScoreThreshold``, which also bounds ``totalHits`` and the facet counts): without it
    a hybrid search returns every document as some semantic neighbour. When no word of the
    query occurs in any document, semantic hits must reach ``floor_without_words``."""
    started = time.perf_counter()
    body: dict[str, Any] = {
        "q": q,
        "page": page,
        "hitsPerPage": per_page,
        "attributesToHighlight": list(highlight),
        "highlightPreTag": _PRE,
        "highlightPostTag": _POST,
        "showRankingScore": True,
    }
    if crop:
        body["attributesToCrop"] = list(crop)
        body["cropLength"] = 40
    if filter_expr:
        body["filter"] = filter_expr
    if sort:
        body["sort"] = sort
    if facets:
        body["facets"] = list(facets)
    if q.strip() and relevance_floor > 0:
        body["rankingScoreThreshold"] = relevance_floor
    used_mode: Mode = "keyword"
    if mode == "hybrid" and q.strip() and embedder is not None:
        body["vector"] = query_vectors.get(embedder, q.strip())
        body["hybrid"] = {"embedder": EMBEDDER, "semanticRatio": semantic_ratio}
        used_mode = "hybrid"
    try:
        if used_mode == "hybrid" and floor_without_words > relevance_floor > 0:
            # A query none of whose words occurs in any document (within the filters) is shown
            # only semantic matches that are close indeed: keyboard mash and unrelated phrases
            # sit just under this second floor with e5 (bench/bench_relevance_floor.py).
            probe: dict[str, Any] = {"q": q, "limit": 1, "attributesToRetrieve": ["id"]}
            if filter_expr:
                probe["filter"] = filter_expr
            if not client.search(index, probe).get("hits"):
                body["rankingScoreThreshold"] = floor_without_words
        raw = client.search(index, body)
    except MeiliUnavailable:
        raise SearchUnavailable() from None
    except MeiliRequestError as exc:
        if exc.code in ("invalid_search_filter", "invalid_search_sort", "invalid_search_q"):
            raise Invalid("搜索条件无效，请检查筛选项") from None
        raise SearchUnavailable() from None
    hits = []
    for hit in raw.get("hits", []):
        formatted = hit.pop("_formatted", {}) or {}
        score = hit.pop("_rankingScore", None)
        hit.pop("_vectors", None)
        hits.append(
            SearchHit(
                id=int(hit["id"]),
                document=hit,
                formatted={k: _safe_html(v) for k, v in formatted.items() if k in highlight or k in _cropped(crop)},
                score=score,
            )
        )
    # Page-based searches report totalHits; offset-based ones only an estimate.
    total = int(raw["totalHits"] if "totalHits" in raw else raw.get("estimatedTotalHits", len(hits)))
    return SearchResult(
        query=q,
        mode=used_mode,
        hits=hits,
        total=total,
        page=page,
        per_page=per_page,
        total_pages=int(raw.get("totalPages", math.ceil(total / per_page) if per_page else 0)),
        facets={k: dict(v) for k, v in (raw.get("facetDistribution") or {}).items()},
        processing_ms=int(raw.get("processingTimeMs", 0)),
        elapsed_ms=(time.perf_counter() - started) * 1000,
        semantic_hits=raw.get("semanticHitCount"),
    )


def _cropped(crop: Sequence[str]) -> set[str]:
    return {c.split(":", 1)[0] for c in crop}


def search_needs(
    client: MeiliClient,
    params: NeedSearchParams,
    viewer_filter: str | None = None,
    *,
    prefix: str = "jiebang_",
    scope: Literal["public", "bureau"] = "public",
    embedder: Embedder | None = None,
    semantic_ratio: float = 0.5,
    relevance_floor: float = 0.0,
    floor_without_words: float = 0.0,
) -> SearchResult:
    """Search needs. ``scope="bureau"`` reads the bureau index: only for bureau staff."""
    name = NEEDS if scope == "public" else NEEDS_ALL
    return run_search(
        client,
        index_uid(prefix, name),
        q=params.q,
        mode=params.mode,
        filter_expr=and_all(need_filter(params), viewer_filter),
        sort=_SORTS[params.sort],
        page=params.page,
        per_page=params.per_page,
        facets=NEED_FACETS if params.facets else (),
        highlight=("title", "summary"),
        crop=("summary:60",),
        embedder=embedder,
        semantic_ratio=semantic_ratio,
        relevance_floor=relevance_floor,
        floor_without_words=floor_without_words,
    )


def search_providers(
    client: MeiliClient,
    params: ProviderSearchParams,
    viewer_filter: str | None = None,
    *,
    prefix: str = "jiebang_",
    embedder: Embedder | None = None,
    semantic_ratio: float = 0.5,
    relevance_floor: float = 0.0,
    floor_without_words: float = 0.0,
) -> SearchResult:
    return run_search(
        client,
        index_uid(prefix, PROVIDERS),
        q=params.q,
        mode=params.mode,
        filter_expr=and_all(provider_filter(params), viewer_filter),
        sort=[],
        page=params.page,
        per_page=params.per_page,
        facets=PROVIDER_FACETS if params.facets else (),
        highlight=("name", "summary", "capability_names"),
        crop=("summary:60",),
        embedder=embedder,
        semantic_ratio=semantic_ratio,
        relevance_floor=relevance_floor,
        floor_without_words=floor_without_words,
    )
