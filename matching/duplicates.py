"""Near-duplicate needs: warn an enterprise that a similar need already exists when it saves one.

The score mixes an IDF-weighted word overlap (robust for short titles, language-agnostic to the
model) with the cosine of the two passage embeddings (catches rewording). Both lie in [0, 1];
without an embedder the lexical part alone is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from matching.embedders import Embedder
from matching.text import segment, shared_terms, term_idf

__all__ = ["DEFAULT_THRESHOLD", "NearDuplicate", "find_near_duplicates", "lexical_similarity"]

DEFAULT_THRESHOLD = 0.6
SEMANTIC_SHARE = 0.5
# Cosine of unrelated texts is far from 0 for e5-like models; this floor maps it towards 0.
COSINE_FLOOR = 0.7


@dataclass(frozen=True)
class NearDuplicate:
    id: int
    score: float
    shared_terms: list[str]


def lexical_similarity(a: str, b: str) -> float:
    """IDF-weighted Jaccard overlap of the two texts' words."""
    ta, tb = set(segment(a)), set(segment(b))
    union = ta | tb
    if not union:
        return 0.0
    inter = sum(term_idf(t) for t in ta & tb)
    return float(inter / sum(term_idf(t) for t in union))


def _semantic(cos: np.ndarray, embedder: Embedder) -> np.ndarray:
    scaled = cos if embedder.name == "hash" else (cos - COSINE_FLOOR) / (1.0 - COSINE_FLOOR)
    out: np.ndarray = np.clip(scaled, 0.0, 1.0)
    return out


def find_near_duplicates(
    text: str,
    candidates: Sequence[tuple[int, str]],
    embedder: Embedder | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    limit: int = 5,
) -> list[NearDuplicate]:
    """Existing needs (``(id, title + description)``) that look like ``text``, best first."""
    if not text.strip() or not candidates:
        return []
    lexical = np.array([lexical_similarity(text, c) for _, c in candidates])
    if embedder is not None:
        vecs = embedder.embed_passages([text] + [c for _, c in candidates])
        cos = vecs[1:] @ vecs[0]
        scores = SEMANTIC_SHARE * _semantic(cos, embedder) + (1 - SEMANTIC_SHARE) * lexical
    else:
        scores = lexical
    order = np.argsort(-scores, kind="stable")
    out: list[NearDuplicate] = []
    for i in order:
        if scores[i] < threshold or len(out) >= limit:
            break
        cid, ctext = candidates[int(i)]
        out.append(
            NearDuplicate(id=cid, score=round(float(scores[i]), 4), shared_terms=shared_terms(text, ctext))
        )
    return out
