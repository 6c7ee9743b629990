"""Query likelihood under each profile's character language model (Dirichlet smoothing).

A profile (a provider's capability items, a need, a paper) is a bag of Chinese characters and
character bigrams; a query scores by the log probability each profile's smoothed model gives
it. Characters and bigrams need no word segmentation, so a term jieba splits differently in the
query and in the profile (组件隐裂 / 隐裂检测) still matches; heavy smoothing (a Dirichlet prior
``mu`` of several average profile lengths) turns the model into a robust evidence count that
is complementary to BM25 over words. Measured on the tuning sets (see bench/): on ``nsfc``
this feature alone is nDCG@10 0.23 vs BM25's 0.18; on ``csl`` known-item nDCG@10 0.986.

Scoring uses the standard rewriting of the Dirichlet-smoothed log likelihood,

    log P(q|d) = sum_w c(w,q) * log(1 + c(w,d) / (mu * P(w|C)))  -  |q| * log(|d| + mu)  + const(q)

so one sparse matrix-vector product scores every profile for a query.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from scipy import sparse

from matching.bm25 import term_counts

__all__ = ["CharLanguageModel", "char_grams"]

_SEPARATORS = re.compile(r"[\W_]+")
MU_FACTOR = 10.0  # Dirichlet prior in average profile lengths (tuned on nsfc and csl)


@lru_cache(maxsize=200_000)
def _grams(text: str) -> tuple[str, ...]:
    out: list[str] = []
    for run in _SEPARATORS.split(text.lower()):
        out.extend(run)
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return tuple(out)


def char_grams(text: str) -> list[str]:
    """Characters and character bigrams of each run of word characters (punctuation splits)."""
    return list(_grams(text))


class CharLanguageModel:
    """Dirichlet-smoothed character uni+bigram language models of a set of profile texts."""

    def __init__(self, texts: Sequence[str], mu_factor: float = MU_FACTOR) -> None:
        self.n_docs = len(texts)
        vocab, counts, lengths = term_counts([_grams(t) for t in texts])
        self.vocab = vocab
        total = float(lengths.sum())
        # Collection model with add-one smoothing, so no probability is zero.
        collection = (np.asarray(counts.sum(axis=0)).ravel() + 1.0) / (total + len(vocab) + 1.0)
        self.mu = mu_factor * (float(lengths.mean()) if self.n_docs and total else 1.0)
        coo = counts.tocoo()
        weights = np.log1p(coo.data / (self.mu * collection[coo.col]))
        self._matrix = sparse.csc_matrix((weights, (coo.row, coo.col)), shape=counts.shape)
        self._length_penalty = np.log(lengths + self.mu)

    def score(self, query: str) -> np.ndarray:
        """Log likelihood of ``query`` under every profile's model, up to a per-query constant."""
        grams = _grams(query)
        if not grams or self.n_docs == 0:
            return np.zeros(self.n_docs, dtype=np.float64)
        counts = Counter(self.vocab[g] for g in grams if g in self.vocab)
        base = -float(len(grams)) * self._length_penalty
        if not counts:
            return base
        ids = sorted(counts)
        matched = self._matrix[:, ids] @ np.array([counts[j] for j in ids], dtype=np.float64)
        return np.asarray(matched).ravel() + base
