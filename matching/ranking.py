"""Score fusion and match explanations, both ways: need -> providers and provider -> needs.

Relevance features (keyword score, item-level vector similarities, term overlap, track-record
prior, pseudo-relevance feedback; see :mod:`matching.providers`) are z-normalised over the
candidate set of one query and summed with :class:`FusionWeights`; structured fit (industry,
track 数字化/绿色化, county, budget vs typical deal size, track record) adds signed signals.
Every match carries an :class:`Explanation` in Chinese that names the evidence.
"""

from __future__ import annotations

import json
import math
from collections import Counter, deque
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from matching.embedders import Embedder
from matching.providers import FEEDBACK_FEATURES, Profile, ProfileIndex, QueryInput
from matching.text import segment, shared_terms

__all__ = [
    "Candidate",
    "Explanation",
    "FusionWeights",
    "Match",
    "NeedFeatures",
    "ProviderFeatures",
    "Signal",
    "diversify",
    "fuse",
    "rank_needs_for_provider",
    "rank_profiles",
    "rank_providers_for_need",
    "rerank_with_feedback",
    "structured_signals",
    "zscore",
]

TRACK_DIGITAL = "数字化"
TRACK_GREEN = "绿色化"
TRACK_BOTH = "both"
_TRACK_ALIASES = {
    "digital": {TRACK_DIGITAL},
    "数字化": {TRACK_DIGITAL},
    "green": {TRACK_GREEN},
    "绿色化": {TRACK_GREEN},
    "both": {TRACK_DIGITAL, TRACK_GREEN},
    "数字化+绿色化": {TRACK_DIGITAL, TRACK_GREEN},
    "数字化和绿色化": {TRACK_DIGITAL, TRACK_GREEN},
}
# Tuned weights per profile shape: "itemised" profiles (providers described by many capability
# items; need -> providers) and "single" profiles (one text each: needs, papers; provider -> needs).
WEIGHTS_PATHS = {
    "itemised": Path(__file__).resolve().parent / "data" / "fusion_weights_itemised.json",
    "single": Path(__file__).resolve().parent / "data" / "fusion_weights_single.json",
}


def _tracks(value: str | Sequence[str] | None) -> set[str]:
    if not value:
        return set()
    values = [value] if isinstance(value, str) else list(value)
    out: set[str] = set()
    for v in values:
        out |= _TRACK_ALIASES.get(v.strip().lower(), _TRACK_ALIASES.get(v.strip(), set()))
    return out


# -- plain inputs -----------------------------------------------------------------------------
@dataclass
class NeedFeatures:
    """What ranking needs to know about a need (发榜). Budget in 万元."""

    id: Any
    title: str
    description: str = ""
    items: tuple[str, ...] = ()
    industry: str | None = None
    track: str | None = None
    county: str | None = None
    budget: float | None = None
    vector: np.ndarray | None = None

    @property
    def text(self) -> str:
        return "\n".join(p for p in (self.title, self.description) if p)


@dataclass
class ProviderFeatures:
    """What ranking needs to know about a provider. Deal sizes in 万元."""

    id: Any
    name: str
    description: str = ""
    items: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    tracks: tuple[str, ...] = ()
    counties: tuple[str, ...] = ()
    typical_deal_size: tuple[float, float] | None = None
    n_projects: int | None = None
    n_deals_completed: int = 0
    vector: np.ndarray | None = None
    item_vectors: np.ndarray | None = None

    @property
    def text(self) -> str:
        body = "；".join(self.items) if self.items else self.description
        return "\n".join(p for p in (self.name, body if body else self.description) if p)


@dataclass
class Candidate:
    """A candidate from the first stage (e.g. Meilisearch): its scores there, when known."""

    id: Any
    keyword_score: float | None = None
    vector_score: float | None = None


# -- weights ------------------------------------------------------------------------------------
@dataclass
class FusionWeights:
    """Weights of z-normalised features, PRF parameters and structured-signal weights.

    The constructor defaults are a hand-set starting point for tuning. The shipped, tuned sets
    are ``data/fusion_weights_itemised.json`` (need -> providers; tuned on the nsfc tune split)
    and ``data/fusion_weights_single.json`` (one-text profiles; csl tune split), both written by
    ``bench/bench_matching_quality.py --save``; :meth:`load` reads them.
    """

    features: dict[str, float] = field(
        default_factory=lambda: {
            "bm25_profile": 0.3,
            "lm_profile": 0.3,
            "bm25_item_max": 0.3,
            "vec_profile": 0.1,
            "vec_item_max": 0.3,
            "vec_item_top3": 0.3,
            "vec_item_softmax": 0.5,
            "knn_vote": 0.5,
            "term_overlap": 0.2,
            "prior": 0.3,
            "prf": 0.0,
            "label_prf": 0.0,
        }
    )
    prf_depth: int = 10
    label_depth: int = 10
    keep_first: int = 0
    industry: float = 0.6
    track: float = 0.4
    county: float = 0.2
    budget: float = 0.3
    track_record: float = 0.2

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> FusionWeights:
        raw = json.loads(text)
        feats = dict(cls().features)
        if "features" in raw:  # a saved set is complete: a name left out has weight 0
            feats = {k: float(v) for k, v in raw["features"].items()}
        kwargs = {
            k: raw[k]
            for k in (
                "prf_depth",
                "label_depth",
                "keep_first",
                "industry",
                "track",
                "county",
                "budget",
                "track_record",
            )
            if k in raw
        }
        return cls(features=feats, **kwargs)

    @classmethod
    def load(cls, path: Path | str | None = None, kind: str = "itemised") -> FusionWeights:
        """Weights from ``path``, else the tuned set shipped for ``kind`` ("itemised"/"single")."""
        p = Path(path) if path else WEIGHTS_PATHS[kind]
        if p.exists():
            return cls.from_json(p.read_text(encoding="utf-8"))
        if path:
            raise FileNotFoundError(p)
        return cls()

    def save(self, path: Path | str) -> None:
        Path(path).write_text(self.to_json() + "\n", encoding="utf-8")


def zscore(values: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return v
    sd = v.std()
    return (v - v.mean()) / sd if sd > 1e-12 else np.zeros_like(v)


def fuse(features: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """Weighted sum of per-candidate z-scores of each feature present in both."""
    total: np.ndarray | None = None
    for name, w in weights.items():
        if w == 0 or name not in features:
            continue
        part = w * zscore(features[name])
        total = part if total is None else total + part
    if total is None:
        n = len(next(iter(features.values()))) if features else 0
        return np.zeros(n)
    return total


def prf_applies(corpus_size: int, depth: int) -> bool:
    """Pseudo-relevance feedback needs a corpus much larger than its feedback depth: on a handful
    of documents the centroid of the "top" hits is the whole corpus and rewards averageness."""
    return corpus_size >= 4 * depth


def first_stage_weights(weights: FusionWeights) -> dict[str, float]:
    """The feature weights of the first stage: all but the feedback features."""
    return {k: v for k, v in weights.features.items() if k not in FEEDBACK_FEATURES}


def rerank_with_feedback(
    index: ProfileIndex,
    candidates: np.ndarray,
    first: np.ndarray,
    features: dict[str, np.ndarray],
    weights: FusionWeights,
) -> np.ndarray:
    """Second stage: add the feedback features computed from the first stage's best candidates.

    ``prf`` (closeness to the centroid of the best hits' vectors) and ``label_prf`` (agreement
    with the best hits' labels) are added to ``features`` and to the scores when weighted. The
    first stage's ``keep_first`` leaders then stay on top in their order: feedback reorders the
    rest by field, but must not push out a clear match such as the item a query names exactly.
    """
    scores = np.asarray(first, dtype=np.float64)
    if len(candidates) <= 1:
        return scores
    w = weights.features
    full = np.full(len(index), -np.inf)
    full[candidates] = first
    if w.get("prf") and prf_applies(len(index), weights.prf_depth):
        features["prf"] = index.prf(full, m=weights.prf_depth)[candidates]
        scores = scores + w["prf"] * zscore(features["prf"])
    if w.get("label_prf") and prf_applies(len(index), weights.label_depth):
        features["label_prf"] = index.label_vote(full, m=weights.label_depth)[candidates]
        scores = scores + w["label_prf"] * zscore(features["label_prf"])
    keep = min(weights.keep_first, len(scores))
    if keep:
        leaders = np.argsort(-np.asarray(first), kind="stable")[:keep]
        top = float(scores.max())
        scores[leaders] = top + np.arange(keep, 0, -1, dtype=np.float64)
    return scores


def rank_profiles(
    query: QueryInput,
    index: ProfileIndex,
    weights: FusionWeights,
    candidates: Sequence[int] | None = None,
    keyword_scores: Mapping[int, float] | None = None,
    extra: Mapping[str, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Fused relevance for ``candidates`` (positions in ``index``; default all).

    ``keyword_scores`` (position -> score from the keyword engine) replace the offline BM25
    profile score when given. Returns (candidate positions, scores, features over candidates).
    """
    cand = np.arange(len(index)) if candidates is None else np.asarray(list(candidates), dtype=np.int64)
    feats = index.features(query, cand)
    if keyword_scores is not None:
        feats["bm25_profile"] = np.array([keyword_scores.get(int(c), 0.0) for c in cand], dtype=np.float64)
    if extra:
        feats.update({k: np.asarray(v, dtype=np.float64) for k, v in extra.items()})
    first = fuse(feats, first_stage_weights(weights))
    return cand, rerank_with_feedback(index, cand, first, feats, weights), feats


# -- structured fit and explanations ---------------------------------------------------------
# Signals whose negative answer is a mismatch of the record's kind, not a matter of degree.
MISMATCH_SIGNALS: tuple[str, ...] = ("industry", "track")

@dataclass(frozen=True)
class Signal:
    """One structured reason, e.g. ``Signal("industry", +1, "行业匹配：光伏")``."""

    name: str
    effect: float
    text: str

    @property
    def positive(self) -> bool:
        return self.effect > 0


@dataclass
class Explanation:
    shared_terms: list[str]
    semantic_similarity: float
    signals: list[Signal] = field(default_factory=list)
    best_item: str | None = None

    def summary_zh(self) -> str:
        parts: list[str] = []
        if self.shared_terms:
            parts.append("共同关键词：" + "、".join(self.shared_terms))
        parts.append(f"语义相似度 {self.semantic_similarity:.2f}")
        if self.best_item:
            parts.append(f"最相近的能力条目：「{self.best_item}」")
        parts.extend(s.text for s in self.signals)
        return "；".join(parts) + "。"


@dataclass
class Match:
    id: Any
    score: float
    explanation: Explanation


def structured_signals(
    need: NeedFeatures, provider: ProviderFeatures, weights: FusionWeights
) -> list[Signal]:
    """Structured fit of a provider for a need, signed and weighted, with Chinese wording."""
    out: list[Signal] = []
    if need.industry and provider.industries:
        if need.industry in provider.industries:
            out.append(Signal("industry", weights.industry, f"行业匹配：{need.industry}"))
        else:
            out.append(Signal("industry", -weights.industry / 2, f"服务行业不含{need.industry}"))
    need_tracks = _tracks(need.track)
    prov_tracks = _tracks(provider.tracks)
    if need_tracks and prov_tracks:
        common = need_tracks & prov_tracks
        if common == need_tracks:
            label = "、".join(sorted(common, key=[TRACK_DIGITAL, TRACK_GREEN].index))
            out.append(Signal("track", weights.track, f"方向匹配：{label}"))
        elif common:
            out.append(Signal("track", weights.track / 2, "方向部分匹配：" + "、".join(sorted(common))))
        else:
            out.append(Signal("track", -weights.track, "方向不符：需求为" + "、".join(sorted(need_tracks))))
    if need.county and provider.counties:
        if need.county in provider.counties:
            out.append(Signal("county", weights.county, f"同在{need.county}，便于现场服务"))
    if need.budget is not None and provider.typical_deal_size is not None:
        lo, hi = provider.typical_deal_size
        if lo <= need.budget <= hi:
            out.append(Signal("budget", weights.budget, "预算与典型合作规模相符"))
        elif need.budget < lo:
            ratio = lo / max(need.budget, 1e-6)
            effect = -weights.budget * min(1.0, math.log2(ratio) / 2)
            out.append(
                Signal(
                    "budget", effect, f"预算（{need.budget:g}万元）低于其典型合作规模（{lo:g}–{hi:g}万元）"
                )
            )
        else:
            out.append(Signal("budget", weights.budget / 3, f"预算高于其典型合作规模（{lo:g}–{hi:g}万元）"))
    if provider.n_deals_completed > 0:
        effect = weights.track_record * min(1.0, math.log1p(provider.n_deals_completed) / math.log(11))
        out.append(Signal("track_record", effect, f"已完成{provider.n_deals_completed}项对接合作"))
    return out


def _provider_profile(p: ProviderFeatures) -> Profile:
    labels = tuple(f"industry:{i}" for i in p.industries)
    return Profile(id=str(p.id), text=p.text, items=tuple(p.items), n_projects=p.n_projects, labels=labels)


def _need_profile(n: NeedFeatures) -> Profile:
    labels = (f"industry:{n.industry}",) if n.industry else ()
    return Profile(id=str(n.id), text=n.text, items=tuple(n.items), labels=labels)


def _index_for(
    profiles: Sequence[Profile],
    embedder: Embedder,
    vectors: Sequence[np.ndarray | None],
    item_vectors: Sequence[np.ndarray | None],
) -> ProfileIndex:
    """Index profiles, embedding only what the caller did not supply."""
    if not profiles:
        return ProfileIndex(
            [],
            np.zeros((0, embedder.dim), np.float32),
            np.zeros((0, embedder.dim), np.float32),
            np.zeros(0, np.int64),
        )
    need_items = [i for i, iv in enumerate(item_vectors) if iv is None]
    texts = [it for i in need_items for it in profiles[i].capability_items]
    embedded = embedder.embed_passages(texts) if texts else np.zeros((0, embedder.dim), np.float32)
    blocks: list[np.ndarray] = []
    cursor = 0
    for i, p in enumerate(profiles):
        iv = item_vectors[i]
        if iv is None:
            n = len(p.capability_items)
            blocks.append(embedded[cursor : cursor + n])
            cursor += n
        else:
            blocks.append(np.asarray(iv, dtype=np.float32).reshape(len(p.capability_items), -1))
    item_mat = np.vstack(blocks)
    owner = np.array([i for i, p in enumerate(profiles) for _ in p.capability_items], dtype=np.int64)
    missing = [i for i, v in enumerate(vectors) if v is None]
    prof = np.zeros((len(profiles), embedder.dim), dtype=np.float32)
    if missing:
        if all(not profiles[i].items for i in missing):
            for i in missing:
                prof[i] = item_mat[owner == i][0]
        else:
            prof[missing] = embedder.embed_passages([profiles[i].text for i in missing])
    for i, v in enumerate(vectors):
        if v is not None:
            prof[i] = np.asarray(v, dtype=np.float32).ravel()
    return ProfileIndex(profiles, prof, item_mat, owner)


def _explain(
    query_terms: Sequence[str],
    index: ProfileIndex,
    pos: int,
    query: QueryInput,
    signals: list[Signal],
) -> Explanation:
    profile = index.profiles[pos]
    lo, hi = index._starts[pos], index._starts[pos + 1]
    sims = index.item_vectors[lo:hi] @ query.vectors.T
    best = int(np.argmax(sims.max(axis=1))) if hi > lo else 0
    semantic = float(sims.max()) if hi > lo else 0.0
    items = profile.capability_items
    best_item = items[best] if profile.items and len(items) > 1 else None
    terms = shared_terms(query_terms, profile.text, k=5, corpus_idf=index.bm25_profile.idf)
    return Explanation(
        shared_terms=terms, semantic_similarity=round(semantic, 4), signals=signals, best_item=best_item
    )


# The final list is spread over groups (a need's industry; a provider's set of industries): at
# most DIVERSITY_CAP of the first DIVERSITY_WINDOW from one group, unless nothing else qualifies.
# So one capability item close to one industry's needs cannot fill the provider's top 10 with it.
DIVERSITY_WINDOW = 10
DIVERSITY_CAP = 4


def diversify(
    order: Sequence[int],
    groups: Sequence[Hashable | None],
    *,
    cap: int = DIVERSITY_CAP,
    window: int = DIVERSITY_WINDOW,
) -> list[int]:
    """Reorder ``order`` (positions, best first) so that no group holds more than ``cap`` of the
    first ``window`` places; a candidate over its group's cap waits, keeping its order, and fills
    the window only when no other candidate is left. ``groups[o]`` None: no group, never capped.
    Greedy and stable; O(len(order) + window × groups)."""
    head: list[int] = []
    deferred: list[int] = []
    counts: Counter[Hashable] = Counter()
    rest: list[int] = []
    for i, o in enumerate(order):
        if len(head) >= window:
            rest = list(order[i:])
            break
        g = groups[o]
        if g is not None and counts[g] >= cap:
            deferred.append(o)
            continue
        head.append(o)
        if g is not None:
            counts[g] += 1
    # Nothing under its cap is left: fill from the waiting ones, the least shown group first (the
    # best of it), so two groups share the window rather than the first taking the rest.
    if len(head) < window and deferred:
        waiting: dict[Hashable, deque[tuple[int, int]]] = {}
        for j, o in enumerate(deferred):
            waiting.setdefault(groups[o], deque()).append((j, o))
        picked: set[int] = set()
        while len(head) < window and waiting:
            g = min(waiting, key=lambda k: (counts[k], waiting[k][0][0]))
            j, o = waiting[g].popleft()
            if not waiting[g]:
                del waiting[g]
            head.append(o)
            picked.add(j)
            counts[g] += 1
        deferred = [o for j, o in enumerate(deferred) if j not in picked]
    return head + deferred + rest


def _rank(
    query_text: str,
    query_vectors: np.ndarray,
    index: ProfileIndex,
    ids: Sequence[Any],
    candidates: Sequence[Candidate] | None,
    weights: FusionWeights,
    signals_for: Sequence[list[Signal]],
    limit: int,
    groups: Sequence[Hashable | None] | None = None,
) -> list[Match]:
    if len(index) == 0:
        return []
    query = QueryInput(text=query_text, vectors=query_vectors)
    keyword: dict[int, float] | None = None
    if candidates is not None:
        by_id = {str(i): n for n, i in enumerate(ids)}
        keyword = {by_id[str(c.id)]: float(c.keyword_score or 0.0) for c in candidates if str(c.id) in by_id}
        if all(c.keyword_score is None for c in candidates):
            keyword = None
    cand, scores, _ = rank_profiles(query, index, weights, keyword_scores=keyword)
    structured = np.array([sum(s.effect for s in signals_for[int(c)]) for c in cand])
    total = scores + structured
    # A structured mismatch (the industry or direction does not fit) demotes: such candidates
    # follow every candidate without one, however close their text is.
    mismatch = np.array([any(s.name in MISMATCH_SIGNALS and s.effect < 0 for s in signals_for[int(c)]) for c in cand])
    ranked = np.lexsort((-total, mismatch)) if len(cand) else np.argsort(-total)
    if groups is not None and len(ranked):
        # Spread within each tier, so diversity never lifts a mismatch above a fitting candidate.
        fits = [int(o) for o in ranked if not mismatch[o]]
        misfits = [int(o) for o in ranked if mismatch[o]]
        by_pos = [groups[int(c)] for c in cand]
        spread = diversify(fits, by_pos)
        spread += diversify(misfits, by_pos, window=max(0, DIVERSITY_WINDOW - len(fits)))
        order = spread[:limit]
    else:
        order = [int(o) for o in ranked[:limit]]
    # The query's words once for every explanation (a provider's text segmented per match was
    # most of a 50-need recommendation: issue 14).
    query_terms = segment(query_text)
    return [
        Match(
            id=ids[int(cand[o])],
            score=float(total[o]),
            explanation=_explain(query_terms, index, int(cand[o]), query, signals_for[int(cand[o])]),
        )
        for o in order
    ]


def rank_providers_for_need(
    need: NeedFeatures,
    providers: Sequence[ProviderFeatures],
    embedder: Embedder,
    candidates: Sequence[Candidate] | None = None,
    weights: FusionWeights | None = None,
    limit: int = 20,
) -> list[Match]:
    """Rank ``providers`` (already narrowed by the search engine) for ``need``."""
    weights = weights or FusionWeights.load(kind="itemised")
    profiles = [_provider_profile(p) for p in providers]
    index = _index_for(profiles, embedder, [p.vector for p in providers], [p.item_vectors for p in providers])
    qvec = need.vector if need.vector is not None else embedder.embed_queries([need.text])[0]
    signals = [structured_signals(need, p, weights) for p in providers]
    groups = [frozenset(p.industries) or None for p in providers]
    return _rank(
        need.text, np.asarray(qvec), index, [p.id for p in providers], candidates, weights, signals, limit,
        groups=groups,
    )


def rank_needs_for_provider(
    provider: ProviderFeatures,
    needs: Sequence[NeedFeatures],
    embedder: Embedder,
    candidates: Sequence[Candidate] | None = None,
    weights: FusionWeights | None = None,
    limit: int = 20,
) -> list[Match]:
    """Rank ``needs`` for ``provider``: each of its capability items is a query vector."""
    weights = weights or FusionWeights.load(kind="single")
    profiles = [_need_profile(n) for n in needs]
    # A need without separate items is one item: its stored vector serves as the item vector, so
    # ranking candidates from the index embeds nothing.
    item_vectors = [
        np.asarray(n.vector, dtype=np.float32).reshape(1, -1)
        if n.vector is not None and not n.items
        else None
        for n in needs
    ]
    index = _index_for(profiles, embedder, [n.vector for n in needs], item_vectors)
    items = list(provider.items) or [provider.text]
    if provider.item_vectors is not None and len(provider.item_vectors) == len(items):
        qvecs = np.asarray(provider.item_vectors, dtype=np.float32)
    else:
        qvecs = embedder.embed_queries(items)
    signals = [structured_signals(n, provider, weights) for n in needs]
    groups = [n.industry or None for n in needs]
    return _rank(
        provider.text, qvecs, index, [n.id for n in needs], candidates, weights, signals, limit, groups=groups
    )
