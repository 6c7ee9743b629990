"""Ranking metrics, pure functions over a ranked id list and relevance judgements.

``relevant`` is either a set/collection of relevant ids (binary) or a mapping id -> grade
(graded; grades <= 0 count as not relevant). Conventions follow trec_eval: recall divides by
the number of relevant ids; nDCG uses the grade itself as gain (``gain="linear"``, as
scikit-learn's ``ndcg_score``; ``gain="exponential"`` gives ``2**rel - 1``) with a
log2(rank + 1) discount; binary judgements have gain 1; a query with no relevant id scores 0.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence

__all__ = ["as_grades", "dcg", "mean", "mrr_at_k", "ndcg_at_k", "precision_at_k", "recall_at_k"]

Judgements = Collection[str] | Mapping[str, float]


def as_grades(relevant: Judgements) -> dict[str, float]:
    if isinstance(relevant, Mapping):
        return {str(k): float(v) for k, v in relevant.items() if float(v) > 0}
    return {str(k): 1.0 for k in relevant}


def recall_at_k(ranked: Sequence[str], relevant: Judgements, k: int) -> float:
    grades = as_grades(relevant)
    if not grades:
        return 0.0
    hits = sum(1 for d in _dedup(ranked)[:k] if d in grades)
    return hits / len(grades)


def precision_at_k(ranked: Sequence[str], relevant: Judgements, k: int) -> float:
    grades = as_grades(relevant)
    if k <= 0:
        return 0.0
    return sum(1 for d in _dedup(ranked)[:k] if d in grades) / k


def mrr_at_k(ranked: Sequence[str], relevant: Judgements, k: int) -> float:
    grades = as_grades(relevant)
    for i, d in enumerate(_dedup(ranked)[:k], start=1):
        if d in grades:
            return 1.0 / i
    return 0.0


def dcg(gains: Iterable[float]) -> float:
    return sum(g / math.log2(i + 1) for i, g in enumerate(gains, start=1))


def ndcg_at_k(
    ranked: Sequence[str], relevant: Judgements, k: int, graded: bool | None = None, gain: str = "linear"
) -> float:
    """nDCG@k. ``graded`` defaults to True for a mapping with any grade other than 1."""
    grades = as_grades(relevant)
    if not grades or k <= 0:
        return 0.0
    if graded is None:
        graded = any(g != 1.0 for g in grades.values())

    exponential = gain == "exponential"

    def gain_of(g: float) -> float:
        if not graded:
            return 1.0
        return (2.0**g - 1.0) if exponential else g

    actual = dcg(gain_of(grades[d]) if d in grades else 0.0 for d in _dedup(ranked)[:k])
    ideal = dcg(gain_of(g) for g in sorted(grades.values(), reverse=True)[:k])
    return actual / ideal if ideal > 0 else 0.0


def mean(values: Iterable[float]) -> float:
    vals = list(values)
    return sum(vals) / len(vals) if vals else 0.0


def _dedup(ranked: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for d in ranked:
        d = str(d)
        if d not in seen:
            seen.add(d)
            out.append(d)
    return out
