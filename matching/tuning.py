"""Learning fusion weights: coordinate ascent on mean nDCG@k over a tuning split.

Each tuning query contributes its candidates' raw features and their relevance grades. The
search changes one weight at a time over a grid and keeps a change only if the mean nDCG@k of
the tuning queries improves (Metzler & Croft's coordinate ascent, as in RankLib). The result is
a handful of readable weights, which keeps each match explainable.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["TuningSample", "coordinate_ascent", "mean_ndcg"]


@dataclass
class TuningSample:
    """One query: z-normalised features (n_candidates, n_features) and gains per candidate."""

    z: np.ndarray
    gains: np.ndarray
    ideal_dcg: float


def make_sample(
    features: Mapping[str, np.ndarray],
    names: Sequence[str],
    gains: np.ndarray,
    n_relevant_total: Sequence[float],
    k: int = 10,
) -> TuningSample:
    from matching.ranking import zscore

    z = np.column_stack([zscore(features[n]) if n in features else np.zeros(len(gains)) for n in names])
    ideal_gains = sorted(n_relevant_total, reverse=True)[:k]
    ideal = sum(g / math.log2(i + 2) for i, g in enumerate(ideal_gains))
    return TuningSample(z=z, gains=np.asarray(gains, dtype=np.float64), ideal_dcg=ideal)


def _ndcg(sample: TuningSample, w: np.ndarray, k: int, discounts: np.ndarray) -> float:
    if sample.ideal_dcg <= 0:
        return 0.0
    s = sample.z @ w
    kk = min(k, s.size)
    top = np.argpartition(-s, kk - 1)[:kk]
    top = top[np.argsort(-s[top], kind="stable")]
    return float((sample.gains[top] * discounts[:kk]).sum() / sample.ideal_dcg)


def mean_ndcg(samples: Sequence[TuningSample], w: np.ndarray, k: int = 10) -> float:
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    return float(np.mean([_ndcg(s, w, k, discounts) for s in samples])) if samples else 0.0


def coordinate_ascent(
    samples: Sequence[TuningSample],
    init: np.ndarray,
    k: int = 10,
    rounds: int = 3,
    grid: Sequence[float] = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0),
    frozen: Sequence[int] = (),
) -> tuple[np.ndarray, float]:
    """Non-negative weights maximising mean nDCG@k; returns (weights, best score)."""
    w = np.asarray(init, dtype=np.float64).copy()
    best = mean_ndcg(samples, w, k)
    for _ in range(rounds):
        improved = False
        for j in range(len(w)):
            if j in frozen:
                continue
            for value in grid:
                if value == w[j]:
                    continue
                trial = w.copy()
                trial[j] = value
                if not trial.any():
                    continue
                score = mean_ndcg(samples, trial, k)
                if score > best + 1e-6:
                    best, w, improved = score, trial, True
        if not improved:
            break
    return w, best
