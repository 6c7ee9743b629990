"""Recommendations both ways with the search machinery: need → providers, provider → needs.

Stage one asks Meilisearch for a pool of hybrid candidates (keyword on the record's key terms +
its vector); stage two re-ranks the pool with ``matching.ranking``, which fuses keyword score,
vector similarity and structured fit (industry, track, county, budget, track record) and explains
each match in Chinese.

Disclosure: provider → needs reads only the public ``needs`` index, so explanations shown to a
provider are built from public text. Need → providers uses the need's full text and is meant for
its owner and the bureau (the route checks that).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from market.errors import NotFound
from market.needs.models import Need
from market.needs.states import OPEN_FOR_RESPONSES
from market.orgs.models import User
from market.responses.access import could_respond, today_local
from matching.embedders import Embedder
from matching.ranking import (
    Candidate,
    FusionWeights,
    Match,
    NeedFeatures,
    ProviderFeatures,
    rank_needs_for_provider,
    rank_providers_for_need,
)
from search.client import MeiliClient
from search.documents import date_ts, load_needs, load_providers, need_full_text, provider_doc, provider_text
from search.errors import MeiliRequestError, MeiliUnavailable, SearchUnavailable
from search.indexes import EMBEDDER, NEEDS, PROVIDERS, index_uid
from search.queries import and_all, any_of, query_vectors

log = logging.getLogger(__name__)

# Item vectors are embedded off the request path: one background thread, each (model, text) queued
# once at a time. A request uses the vectors already in ``query_vectors`` and never waits for these.
_warmer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="item-vectors")
_queued: set[tuple[str, str]] = set()
_queued_lock = threading.Lock()


def _embed_items(embedder: Embedder, texts: list[str]) -> None:
    try:
        query_vectors.get_many(embedder, texts)
    except Exception:  # a failed warm-up leaves the lexical score; the next request queues it again
        log.exception("embedding %d capability items failed", len(texts))
    finally:
        with _queued_lock:
            _queued.difference_update((embedder.name, t) for t in texts)


def warm_item_vectors(embedder: Embedder, texts: Sequence[str]) -> Future[None] | None:
    """Queue the embedding of the capability item titles that have no cached vector yet."""
    missing = [t for t, v in zip(texts, query_vectors.known(embedder, texts), strict=True) if v is None]
    with _queued_lock:
        todo = [t for t in dict.fromkeys(missing) if (embedder.name, t) not in _queued]
        _queued.update((embedder.name, t) for t in todo)
    return _warmer.submit(_embed_items, embedder, todo) if todo else None


def warm_profile_items(get_embedder: Callable[[], Embedder], titles: Sequence[str]) -> Future[None]:
    """After a profile is saved: embed its item titles in the background thread (the embedder is
    resolved there too, so a model not loaded yet is not loaded by the saving request)."""
    texts = list(titles)

    def run() -> None:
        try:
            query_vectors.get_many(get_embedder(), texts)
        except Exception:  # the recommendation request queues them again and ranks without meanwhile
            log.exception("embedding %d capability items failed", len(texts))

    return _warmer.submit(run)


class SignalOut(BaseModel):
    name: str
    effect: float
    text: str


class Recommendation(BaseModel):
    id: int
    score: float
    reason: str  # one Chinese sentence a user can read
    shared_terms: list[str]
    semantic_similarity: float
    signals: list[SignalOut]
    best_item: str | None = None
    document: dict[str, Any]


def _vector(doc: dict[str, Any]) -> np.ndarray | None:
    vec = ((doc.get("_vectors") or {}).get(EMBEDDER) or {})
    emb = vec.get("embeddings") if isinstance(vec, dict) else vec
    if not emb:
        return None
    arr = np.asarray(emb[0] if isinstance(emb[0], list) else emb, dtype=np.float32)
    return arr


def _candidates(
    client: MeiliClient, index: str, q: str, vector: Sequence[float] | None, filter_expr: str | None, pool: int, ratio: float
) -> list[dict[str, Any]]:
    body: dict[str, Any] = {
        "q": q,
        "limit": pool,
        "showRankingScore": True,
        "retrieveVectors": True,
        "matchingStrategy": "last",
    }
    if vector is not None:  # without one (no item vector ready yet) the pool is keyword-only
        body["vector"] = list(vector)
        body["hybrid"] = {"embedder": EMBEDDER, "semanticRatio": ratio}
    if filter_expr:
        body["filter"] = filter_expr
    try:
        return list(client.search(index, body).get("hits", []))
    except (MeiliUnavailable, MeiliRequestError):
        raise SearchUnavailable() from None


def _out(match: Match, docs: dict[int, dict[str, Any]]) -> Recommendation:
    exp = match.explanation
    doc = dict(docs[int(match.id)])
    doc.pop("_vectors", None)
    doc.pop("_rankingScore", None)
    return Recommendation(
        id=int(match.id),
        score=round(float(match.score), 4),
        reason=exp.summary_zh(),
        shared_terms=list(exp.shared_terms),
        semantic_similarity=float(exp.semantic_similarity),
        signals=[SignalOut(name=s.name, effect=round(float(s.effect), 4), text=s.text) for s in exp.signals],
        best_item=exp.best_item,
        document=doc,
    )


def provider_features(doc: dict[str, Any]) -> ProviderFeatures:
    lo, hi = doc.get("typical_deal_min_wan"), doc.get("typical_deal_max_wan")
    return ProviderFeatures(
        id=int(doc["id"]),
        name=str(doc.get("name", "")),
        description=str(doc.get("summary", "")),
        items=tuple(doc.get("capability_names") or ()),
        industries=tuple(doc.get("industries") or ()),
        tracks=tuple(doc.get("tracks") or ()),
        counties=(doc["county"],) if doc.get("county") else (),
        typical_deal_size=(float(lo), float(hi)) if lo is not None and hi is not None else None,
        n_deals_completed=int(doc.get("track_record") or 0),
        vector=_vector(doc),
    )


def need_features(doc: dict[str, Any]) -> NeedFeatures:
    return NeedFeatures(
        id=int(doc["id"]),
        title=str(doc.get("title", "")),
        description=str(doc.get("summary", "")),
        industry=doc.get("industry"),
        track=doc.get("track"),
        county=doc.get("county"),
        budget=doc.get("budget_max_wan"),
        vector=_vector(doc),
    )


def recommend_providers(
    client: MeiliClient,
    session: Session,
    need_id: int,
    embedder: Embedder,
    *,
    prefix: str = "jiebang_",
    limit: int = 10,
    pool: int = 40,
    semantic_ratio: float = 0.5,
    weights: FusionWeights | None = None,
) -> list[Recommendation]:
    """Providers for a need, best first, each with its reasons. For the need's owner and the bureau."""
    need = load_needs(session, [need_id]).get(need_id)
    if need is None:
        raise NotFound("需求不存在")
    text = need_full_text(need)
    qvec = np.asarray(query_vectors.get(embedder, text), dtype=np.float32)
    hits = _candidates(
        client, index_uid(prefix, PROVIDERS), need.title, qvec.astype(float).tolist(), None, pool, semantic_ratio
    )
    if not hits:
        return []
    docs = {int(h["id"]): h for h in hits}
    features = NeedFeatures(
        id=need.id, title=need.title, description="\n".join(p for p in (need.summary, need.problem) if p),
        industry=need.industry, track=need.track, county=need.county,
        budget=need.budget_max_wan if need.budget_max_wan is not None else need.budget_min_wan, vector=qvec,
    )  # fmt: skip
    matches = rank_providers_for_need(
        features,
        [provider_features(h) for h in hits],
        embedder,
        candidates=[Candidate(id=int(h["id"]), keyword_score=h.get("_rankingScore")) for h in hits],
        weights=weights,
        limit=limit,
    )
    return [_out(m, docs) for m in matches]


def recommend_needs(
    client: MeiliClient,
    session: Session,
    provider_org_id: int,
    embedder: Embedder,
    *,
    prefix: str = "jiebang_",
    limit: int = 10,
    pool: int = 60,
    semantic_ratio: float = 0.5,
    open_only: bool = True,
    viewer_filter: str | None = None,
    weights: FusionWeights | None = None,
    viewer: User | None = None,
    today: dt.date | None = None,
) -> list[Recommendation]:
    """Published needs for a provider, best first, explained from their public text only.

    Hard constraints filter before ranking: with ``open_only`` only needs open for responses and
    before their deadline, never the provider's own; with ``viewer`` only needs that viewer could
    take up now (``responses.access.could_respond``: it may open the details, perhaps by accepting
    NDA terms; the need is open, the deadline has not passed, not its own, not answered yet)."""
    pair = load_providers(session, [provider_org_id]).get(provider_org_id)
    if pair is None:
        raise NotFound("能力画像不存在")
    org, profile = pair
    if profile is None:
        raise NotFound("能力画像不存在")
    doc = provider_doc(org, profile) or {}
    items = [i.title for i in profile.items] or [provider_text(org, profile)]
    # A provider's items change rarely; their vectors are embedded in the background (after a
    # profile change, or on the first request that misses them) and cached across requests. Until
    # they are ready the request ranks with the vectors that exist (a missing item counts as no
    # semantic match) and the keyword score; with none at all the pool is keyword-only.
    known = query_vectors.known(embedder, items)
    if any(v is None for v in known):
        warm_item_vectors(embedder, items)
    present = [np.asarray(v, dtype=np.float32) for v in known if v is not None]
    qvecs = np.asarray(
        [v if v is not None else np.zeros(embedder.dim, dtype=np.float32) for v in known], dtype=np.float32
    )
    centroid = np.mean(present, axis=0) if present else None
    q = " ".join((doc.get("key_terms") or [])[:6]) if doc else " ".join(map(str, profile.fields))
    today = today or today_local()
    hard: list[str | None] = []
    if open_only:
        hard += [
            any_of("status", sorted(str(s) for s in OPEN_FOR_RESPONSES)),
            f"deadline_ts IS NULL OR deadline_ts >= {date_ts(today)}",
            f"org_id != {int(provider_org_id)}",
        ]
    vector = None if centroid is None else (centroid / (float(np.linalg.norm(centroid)) or 1.0)).astype(float).tolist()
    hits = _candidates(client, index_uid(prefix, NEEDS), q, vector, and_all(*hard, viewer_filter), pool, semantic_ratio)
    if viewer is not None and hits:
        # The index cannot know who may open an invite-only need or who answered already (nor an
        # anonymous need's organisation): the rule itself decides, before ranking.
        rows = {n.id: n for n in session.scalars(select(Need).where(Need.id.in_([int(h["id"]) for h in hits])))}
        hits = [
            h for h in hits
            if (n := rows.get(int(h["id"]))) is not None and could_respond(session, viewer, n, today)
        ]  # fmt: skip
    if not hits:
        return []
    docs = {int(h["id"]): h for h in hits}
    features = ProviderFeatures(
        id=org.id, name=org.name, description=profile.summary or "", items=tuple(i.title for i in profile.items),
        industries=tuple(profile.industries), tracks=tuple(profile.tracks),
        counties=(org.county,) if org.county else (),
        typical_deal_size=(
            (float(profile.typical_deal_min_wan), float(profile.typical_deal_max_wan))
            if profile.typical_deal_min_wan is not None and profile.typical_deal_max_wan is not None else None
        ),
        n_deals_completed=profile.track_record, item_vectors=qvecs,
    )  # fmt: skip
    matches = rank_needs_for_provider(
        features,
        [need_features(h) for h in hits],
        embedder,
        candidates=[Candidate(id=int(h["id"]), keyword_score=h.get("_rankingScore")) for h in hits],
        weights=weights,
        limit=limit,
    )
    return [_out(m, docs) for m in matches]
