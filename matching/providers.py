"""Item-level representation of capability profiles and the relevance features built on it.

A provider (institution, service company) is described by many capability items (past
projects, products, cases). One vector for the whole profile blurs them; here each item is
embedded and indexed on its own, and a query is compared with every item. Per profile the item
similarities are aggregated (max, top-3 mean, soft-max pooling, nearest-neighbour votes), next
to BM25 over the profile and over single items, a character language model of the profile
(:mod:`matching.langmodel`), an IDF-weighted term overlap and a track-record prior. A second
stage adds feedback from the first stage's best hits: closeness to their centroid (``prf``) and
agreement with their labels (``label_prf``). The same index serves the other direction (provider -> needs): there each need is a
profile with one item, and the query may carry several vectors (the provider's items).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from matching.bm25 import BM25Index, tokenize_for_bm25
from matching.cache import cached_embeddings
from matching.embedders import Embedder, normalise_rows
from matching.langmodel import CharLanguageModel

__all__ = ["FEATURE_NAMES", "FEEDBACK_FEATURES", "Profile", "ProfileIndex", "QueryInput"]

FEATURE_NAMES: tuple[str, ...] = (
    "bm25_profile",
    "lm_profile",
    "bm25_item_max",
    "vec_profile",
    "vec_item_max",
    "vec_item_top3",
    "vec_item_softmax",
    "knn_vote",
    "term_overlap",
    "prior",
    "prf",
    "label_prf",
)
# Features of the second stage: computed from the first stage's best hits, not from the query.
FEEDBACK_FEATURES: tuple[str, ...] = ("prf", "label_prf")

SOFTMAX_TAU = 0.02
KNN_K = 300
KNN_TAU = 0.01
# A profile made of many items is long because it holds more evidence (more projects), not
# because it is verbose: weak length normalisation for BM25 over such profiles.
BM25_B_ITEMISED = 0.3


@dataclass(frozen=True)
class Profile:
    """A searchable profile: a provider with capability items, or a need (one item).

    ``labels`` are its structured categories, each ``field:value`` (``industry:光伏``,
    ``discipline:材料科学与工程``); a profile may carry several (a provider's industries).
    """

    id: str
    text: str
    items: tuple[str, ...] = ()
    n_projects: int | None = None
    labels: tuple[str, ...] = ()

    @property
    def capability_items(self) -> tuple[str, ...]:
        return self.items if self.items else (self.text,)


@dataclass
class QueryInput:
    """One query: its text, and one or more vectors (a need has one; a provider its items)."""

    text: str
    vectors: np.ndarray
    tokens: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        v = np.asarray(self.vectors, dtype=np.float32)
        self.vectors = v[None, :] if v.ndim == 1 else v
        if not self.tokens:
            self.tokens = tokenize_for_bm25(self.text)


def centroid_vectors(item_vectors: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """One vector per profile: the normalised mean of its item vectors.

    Embedding a long profile as one passage truncates it (512 tokens) and costs seconds per
    profile; the centroid of the items uses every item and costs nothing extra.
    """
    dim = item_vectors.shape[1] if item_vectors.ndim == 2 else 0
    out = np.zeros((n, dim), dtype=np.float64)
    np.add.at(out, owner, item_vectors.astype(np.float64))
    return normalise_rows(out)


class ProfileIndex:
    """Vectors and term statistics of a set of profiles, and the per-query features over them."""

    def __init__(
        self,
        profiles: Sequence[Profile],
        profile_vectors: np.ndarray,
        item_vectors: np.ndarray,
        item_owner: np.ndarray,
    ) -> None:
        self.profiles = list(profiles)
        self.ids = [p.id for p in self.profiles]
        self.position = {pid: i for i, pid in enumerate(self.ids)}
        self.profile_vectors = normalise_rows(profile_vectors) if len(self.profiles) else profile_vectors
        self.item_vectors = normalise_rows(item_vectors) if len(item_owner) else item_vectors
        self.item_owner = np.asarray(item_owner, dtype=np.int64)
        n = len(self.profiles)
        self.n_items = np.bincount(self.item_owner, minlength=n).astype(np.float64)
        itemised = any(len(p.items) > 1 for p in self.profiles)
        self.bm25_profile = BM25Index(
            [tokenize_for_bm25(p.text) for p in self.profiles], b=BM25_B_ITEMISED if itemised else 0.75
        )
        self.char_lm = CharLanguageModel([p.text for p in self.profiles])
        item_texts = [it for p in self.profiles for it in p.capability_items]
        self.bm25_items = BM25Index([tokenize_for_bm25(t) for t in item_texts])
        self.profile_terms = [set(tokenize_for_bm25(p.text)) for p in self.profiles]
        sizes = np.array(
            [p.n_projects if p.n_projects is not None else len(p.capability_items) for p in self.profiles],
            dtype=np.float64,
        )
        self.prior = np.log1p(sizes)
        self.labels = [p.labels for p in self.profiles]
        # Item order: items of each profile contiguous, so segment reductions are cheap.
        self._starts = np.concatenate([[0], np.cumsum(self.n_items)]).astype(np.int64)

    @classmethod
    def build(
        cls, profiles: Sequence[Profile], embedder: Embedder, cache_dir: Path | None = None
    ) -> ProfileIndex:
        items = [it for p in profiles for it in p.capability_items]
        owner = np.array([i for i, p in enumerate(profiles) for _ in p.capability_items], dtype=np.int64)
        item_vecs = cached_embeddings(embedder, items, "passage", cache_dir)
        return cls(profiles, centroid_vectors(item_vecs, owner, len(profiles)), item_vecs, owner)

    def __len__(self) -> int:
        return len(self.profiles)

    # -- per-item aggregation -------------------------------------------------------------
    def _segment_max(self, values: np.ndarray) -> np.ndarray:
        out = np.full(len(self.profiles), -np.inf)
        np.maximum.at(out, self.item_owner, values)
        out[~np.isfinite(out)] = 0.0
        return out

    def _segment_topk_mean(self, values: np.ndarray, k: int) -> np.ndarray:
        n = len(self.profiles)
        if values.size == 0:
            return np.zeros(n)
        order = np.lexsort((-values, self.item_owner))  # by owner, then best first
        owners = self.item_owner[order]
        rank = np.arange(values.size) - self._starts[owners]
        keep = rank < k
        sums = np.bincount(owners[keep], weights=values[order][keep], minlength=n)
        counts = np.minimum(self.n_items, k)
        counts[counts == 0] = 1
        return sums / counts

    def _segment_softmax_pool(self, values: np.ndarray, tau: float) -> np.ndarray:
        """tau * log(sum(exp(sim/tau))): near the max, plus a bonus for several close items."""
        m = float(values.max()) if values.size else 0.0
        e = np.exp((values - m) / tau)
        sums = np.bincount(self.item_owner, weights=e, minlength=len(self.profiles))
        with np.errstate(divide="ignore"):
            out = m + tau * np.log(sums)
        out[~np.isfinite(out)] = m - 1.0
        return out

    def _knn_vote(self, values: np.ndarray, k: int, tau: float) -> np.ndarray:
        """Votes of the query's k nearest items overall, each weighted by its closeness."""
        k = min(k, values.size)
        if k == 0:
            return np.zeros(len(self.profiles))
        top = np.argpartition(-values, k - 1)[:k]
        w = np.exp((values[top] - values[top].max()) / tau)
        return np.bincount(self.item_owner[top], weights=w, minlength=len(self.profiles))

    def item_similarities(self, query: QueryInput) -> np.ndarray:
        sims = self.item_vectors @ query.vectors.T
        best: np.ndarray = sims.max(axis=1).astype(np.float64)
        return best

    def term_overlap(self, query: QueryInput, candidates: np.ndarray | None = None) -> np.ndarray:
        """Share of the query's IDF mass found in each profile (each query word counted once)."""
        cand = np.arange(len(self.profiles)) if candidates is None else candidates
        terms = set(query.tokens)
        if not terms:
            return np.zeros(len(cand))
        weights = {t: self.bm25_profile.idf_of(t) for t in terms}
        total = sum(weights.values()) or 1.0
        pts = self.profile_terms
        return np.array([sum(w for t, w in weights.items() if t in pts[int(c)]) / total for c in cand])

    def features(self, query: QueryInput, candidates: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Every feature of ``FEATURE_NAMES`` except ``prf`` (second stage), for ``candidates``
        (profile positions; default all profiles)."""
        sims = self.item_similarities(query)
        item_bm25 = self.bm25_items.score(query.tokens)
        cand = np.arange(len(self.profiles)) if candidates is None else np.asarray(candidates, dtype=np.int64)
        top3 = self._segment_topk_mean(sims, 3)
        return {
            "bm25_profile": self.bm25_profile.score(query.tokens)[cand],
            "lm_profile": self.char_lm.score(query.text)[cand],
            "bm25_item_max": self._segment_max(item_bm25)[cand],
            "vec_profile": (self.profile_vectors[cand] @ query.vectors.T).max(axis=1).astype(np.float64),
            "vec_item_max": self._segment_max(sims)[cand],
            "vec_item_top3": top3[cand],
            "vec_item_softmax": self._segment_softmax_pool(sims, SOFTMAX_TAU)[cand],
            "knn_vote": np.log1p(self._knn_vote(sims, KNN_K, KNN_TAU))[cand],
            "term_overlap": self.term_overlap(query, cand),
            "prior": self.prior[cand],
        }

    def prf(self, first_stage: np.ndarray, m: int = 10, exclude_top: int = 0) -> np.ndarray:
        """Pseudo-relevance feedback: similarity to the centroid of the ``m`` best profiles.

        Documents of the query's field sit near the centroid of its best hits even when they
        share no word with the query; this carries the "right field" signal.
        """
        n = len(self.profiles)
        if n == 0:
            return np.zeros(0)
        m = min(m, n)
        top = np.argsort(-first_stage)[exclude_top : exclude_top + m]
        centroid = self.profile_vectors[top].mean(axis=0)
        norm = np.linalg.norm(centroid)
        if norm == 0:
            return np.zeros(n)
        similarity: np.ndarray = (self.profile_vectors @ (centroid / norm)).astype(np.float64)
        return similarity

    def label_vote(self, first_stage: np.ndarray, m: int = 10) -> np.ndarray:
        """Label feedback: how strongly the ``m`` best profiles agree on each profile's labels.

        Each of the ``m`` best hits votes for its labels with weight 1/log2(rank + 2); a profile
        scores the vote share of its labels (summed when it has several). When the best hits are
        mostly of one field (discipline, industry), other profiles of that field rise even when
        they share no word with the query: the structured counterpart of :meth:`prf`.
        """
        n = len(self.profiles)
        if n == 0 or not any(self.labels):
            return np.zeros(n)
        m = min(m, n)
        top = np.argsort(-first_stage, kind="stable")[:m]
        votes: dict[str, float] = {}
        total = 0.0
        for rank, pos in enumerate(top):
            w = 1.0 / float(np.log2(rank + 2))
            total += w
            for label in self.labels[int(pos)]:
                votes[label] = votes.get(label, 0.0) + w
        if not votes:
            return np.zeros(n)
        return np.array([sum(votes.get(lb, 0.0) for lb in labels) / total for labels in self.labels])
