"""Near-duplicate needs: warn an enterprise that a similar need already exists when it saves one.

The score mixes an IDF-weighted word overlap (robust for short titles, language-agnostic to the
model) with the cosine of the two passage embeddings (catches rewording). Both lie in [0, 1];
without an embedder the lexical part alone is used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from matching.embedders import Embedder
from matching.text import segment, shared_terms, term_idf

__all__ = [
    "DEFAULT_THRESHOLD",
    "MAX_EMBED_CHARS",
    "MAX_LEXICAL_CHARS",
    "NearDuplicate",
    "find_near_duplicates",
    "lexical_similarity",
    "vector_text",
]

DEFAULT_THRESHOLD = 0.6
SEMANTIC_SHARE = 0.5
# Cosine of unrelated texts is far from 0 for e5-like models; this floor maps it towards 0.
COSINE_FLOOR = 0.7
# multilingual-e5-small reads 512 tokens (about one per Chinese character): a longer text costs
# more to embed and changes nothing. The lexical part reads a bounded prefix as well.
MAX_EMBED_CHARS = 512
MAX_LEXICAL_CHARS = 2000


def vector_text(title: str, summary: str) -> str:
    """The text a need's vector is computed from (the same as the search index's), truncated to
    what the model reads."""
    return "\n".join(part for part in (title, summary) if part)[:MAX_EMBED_CHARS]


@dataclass(frozen=True)
class NearDuplicate:
    id: int
    score: float
    shared_terms: list[str]


@lru_cache(maxsize=1024)
def _words(text: str) -> frozenset[str]:
    """The words of a text's lexical prefix. Cached: the same candidate needs come back for many
    checks, and jieba is the costly part of the lexical score."""
    return frozenset(segment(text[:MAX_LEXICAL_CHARS]))


def lexical_similarity(a: str, b: str) -> float:
    """IDF-weighted Jaccard overlap of the two texts' words."""
    return _overlap(_words(a[:MAX_LEXICAL_CHARS]), _words(b[:MAX_LEXICAL_CHARS]))


def _overlap(ta: frozenset[str], tb: frozenset[str]) -> float:
    union = ta | tb
    if not union:
        return 0.0
    inter = sum(term_idf(t) for t in ta & tb)
    return float(inter / sum(term_idf(t) for t in union))


def _semantic(cos: np.ndarray, embedder: Embedder) -> np.ndarray:
    scaled = cos if embedder.name == "hash" else (cos - COSINE_FLOOR) / (1.0 - COSINE_FLOOR)
    out: np.ndarray = np.clip(scaled, 0.0, 1.0)
    return out


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    out: np.ndarray = matrix / np.where(norms == 0, 1.0, norms)
    return out


def find_near_duplicates(
    text: str,
    candidates: Sequence[tuple[int, str]],
    embedder: Embedder | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    limit: int = 5,
    *,
    query_vector: np.ndarray | None = None,
    vectors: Mapping[int, np.ndarray] | None = None,
    vector_texts: Mapping[int, str] | None = None,
) -> list[NearDuplicate]:
    """Existing needs (``(id, title + description)``) that look like ``text``, best first.

    The semantic part compares passage vectors. ``query_vector`` is ``text``'s own (embedded
    once by whoever found the candidates), ``vectors`` the candidates' stored ones; a candidate
    without a stored vector is embedded from ``vector_texts`` (else its text), all in one call.
    """
    if not text.strip() or not candidates:
        return []
    # The new text is segmented once (before: once per candidate, issue 14), the candidates
    # from the cache when they were seen recently.
    words = _words(text[:MAX_LEXICAL_CHARS])
    lexical = np.array([_overlap(words, _words(c[:MAX_LEXICAL_CHARS])) for _, c in candidates])
    if embedder is not None:
        stored = vectors or {}
        texts = vector_texts or {}
        missing = [(i, texts.get(cid, ctext)[:MAX_EMBED_CHARS]) for i, (cid, ctext) in enumerate(candidates) if cid not in stored]
        to_embed = ([] if query_vector is not None else [text[:MAX_EMBED_CHARS]]) + [t for _, t in missing]
        embedded = embedder.embed_passages(to_embed) if to_embed else np.zeros((0, embedder.dim), dtype=np.float32)
        if query_vector is None:
            query_vector, embedded = embedded[0], embedded[1:]
        rows = np.zeros((len(candidates), len(query_vector)), dtype=np.float32)
        for i, (cid, _) in enumerate(candidates):
            if cid in stored:
                rows[i] = stored[cid]
        for (i, _), row in zip(missing, embedded, strict=True):
            rows[i] = row
        cos = _unit(rows) @ _unit(np.asarray(query_vector, dtype=np.float32))
        scores = SEMANTIC_SHARE * _semantic(cos, embedder) + (1 - SEMANTIC_SHARE) * lexical
    else:
        scores = lexical
    order = np.argsort(-scores, kind="stable")
    out: list[NearDuplicate] = []
    text_terms: list[str] | None = None
    for i in order:
        if scores[i] < threshold or len(out) >= limit:
            break
        cid, ctext = candidates[int(i)]
        if text_terms is None:
            text_terms = segment(text)
        out.append(
            NearDuplicate(id=cid, score=round(float(scores[i]), 4), shared_terms=shared_terms(text_terms, ctext))
        )
    return out
