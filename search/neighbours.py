"""Near-duplicate candidates from the index: the live needs nearest to a new need's text.

``market.needs.queries.near_duplicates`` asks a ``CandidateFinder`` (wired in by web/) for the
top K neighbours and re-scores them; this is the finder. The text is embedded once, as a passage
(the stored vectors are passages of the same form), and the neighbours come back with their
stored vectors, so nothing else is embedded. Any failure answers None: the caller falls back to
a bounded read.
"""

from __future__ import annotations

import logging

import numpy as np

from market.needs.queries import LIVE_STATUSES, DuplicateCandidates
from matching.embedders import Embedder
from search.client import MeiliClient
from search.errors import SearchError
from search.indexes import EMBEDDER, NEEDS_ALL, index_uid
from search.queries import any_of

log = logging.getLogger(__name__)

# Meilisearch reads the first 10 words of ``q``; the title carries the keyword part.
_MAX_Q_CHARS = 100
SEMANTIC_RATIO = 0.7


def _stored(doc: dict[str, object]) -> np.ndarray | None:
    vectors = doc.get("_vectors")
    entry = vectors.get(EMBEDDER) if isinstance(vectors, dict) else None
    embeddings = entry.get("embeddings") if isinstance(entry, dict) else None
    if not embeddings or not isinstance(embeddings, list):
        return None
    first = embeddings[0]
    return np.asarray(first, dtype=np.float32) if isinstance(first, list) and first else None


class NeedNeighbours:
    """``CandidateFinder`` over the bureau's needs index (every need that left the draft stage;
    the caller keeps only those its viewer may see)."""

    def __init__(self, client: MeiliClient, prefix: str, embedder: Embedder | None) -> None:
        self.client, self.prefix, self.embedder = client, prefix, embedder

    def __call__(self, title: str, text: str, limit: int) -> DuplicateCandidates | None:
        body: dict[str, object] = {
            "q": title[:_MAX_Q_CHARS],
            "limit": limit,
            "filter": any_of("status", list(LIVE_STATUSES)),
            "attributesToRetrieve": ["id"],
        }
        query_vector: np.ndarray | None = None
        try:
            if self.embedder is not None and text.strip():
                query_vector = self.embedder.embed_passages([text])[0]
                body["vector"] = [float(x) for x in query_vector]
                body["hybrid"] = {"embedder": EMBEDDER, "semanticRatio": SEMANTIC_RATIO}
                body["retrieveVectors"] = True
            raw = self.client.search(index_uid(self.prefix, NEEDS_ALL), body)
        except (SearchError, OSError) as exc:
            log.warning("duplicate candidates from the index unavailable: %s", exc)
            return None
        ids: list[int] = []
        vectors: dict[int, np.ndarray] = {}
        for hit in raw.get("hits", []):
            need_id = int(hit["id"])
            ids.append(need_id)
            vec = _stored(hit)
            if vec is not None and query_vector is not None and vec.shape == query_vector.shape:
                vectors[need_id] = vec
        return DuplicateCandidates(ids=ids, vectors=vectors, query_vector=query_vector)
