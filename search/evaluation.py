"""`jiebang evaluate`: measure keyword, vector, hybrid and the final ranking on a data folder.

The folder's documents go into a scratch Meilisearch index (text, title and the embedder's
vector as ``_vectors.default``); every query is run as Meilisearch keyword search, vector
search, hybrid search, and through the final ranking of :mod:`matching` (item-level features,
tuned fusion) over the candidates that Meilisearch returned. Writes ``metrics.json`` and one
``<method>.tsv`` run file per method (``query_id<TAB>doc_id<TAB>score``, top 100 per query).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from matching.cache import cached_embeddings
from matching.embedders import Embedder
from matching.evaluation import Dataset, build_index, collect_features, evaluate_run, load_dataset, write_run
from matching.ranking import FusionWeights, first_stage_weights, fuse, rerank_with_feedback
from search.client import MeiliClient
from search.indexes import EMBEDDER

__all__ = ["METHODS", "run_evaluation"]

METHODS = ("keyword", "vector", "hybrid", "final")
TOP = 100
HYBRID_RATIO = 0.5
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,511}$")


def _settings(dim: int) -> dict[str, Any]:
    return {
        "searchableAttributes": ["title", "text"],
        "displayedAttributes": ["id"],
        "localizedAttributes": [{"attributePatterns": ["*"], "locales": ["zho"]}],
        "embedders": {EMBEDDER: {"source": "userProvided", "dimensions": dim}},
        "pagination": {"maxTotalHits": 1000},
    }


def _index_docs(client: MeiliClient, index_uid: str, ds: Dataset, vectors: np.ndarray) -> dict[str, str]:
    """Fill the scratch index; returns Meilisearch id -> dataset id (ids are made safe)."""
    if client.get_index(index_uid) is not None:
        client.wait_task(client.delete_index(index_uid))
    client.wait_task(client.create_index(index_uid, primary_key="id"))
    client.wait_task(client.update_settings(index_uid, _settings(int(vectors.shape[1]))), timeout=120)
    mapping: dict[str, str] = {}
    batch: list[dict[str, Any]] = []
    tasks: list[int] = []
    for i, doc in enumerate(ds.docs):
        mid = doc.id if _SAFE_ID.match(doc.id) else f"d{i}"
        mapping[mid] = doc.id
        batch.append(
            {"id": mid, "title": doc.title, "text": doc.text, "_vectors": {EMBEDDER: vectors[i].tolist()}}
        )
        if len(batch) >= 500:
            tasks.append(client.add_documents(index_uid, batch))
            batch = []
    if batch:
        tasks.append(client.add_documents(index_uid, batch))
    for uid in tasks:
        client.wait_task(uid, timeout=600)
    return mapping


def _hits(answer: dict[str, Any], mapping: dict[str, str]) -> list[tuple[str, float]]:
    return [
        (mapping[h["id"]], float(h.get("_rankingScore", 0.0)))
        for h in answer.get("hits", [])
        if h["id"] in mapping
    ]


def run_evaluation(
    data_dir: Path,
    out_dir: Path,
    client: MeiliClient,
    embedder: Embedder,
    index_uid: str,
    *,
    weights: FusionWeights | None = None,
    cache_dir: Path | None = None,
    keep_index: bool = False,
    progress: bool = True,
) -> dict[str, Any]:
    """Index ``data_dir`` into ``index_uid``, run all methods, write runs and metrics to ``out_dir``.

    Returns the metrics dict that is also written to ``out_dir/metrics.json``: per method
    nDCG@10, Recall@10, MRR@10 (and graded/field nDCG@10 where graded judgements exist).
    """
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    ds = load_dataset(data_dir)
    weights = weights or FusionWeights.load(kind="itemised" if any(d.items for d in ds.docs) else "single")
    index = build_index(ds, embedder, cache_dir)
    qvecs = cached_embeddings(embedder, [q.text for q in ds.queries], "query", cache_dir)
    mapping = _index_docs(client, index_uid, ds, index.profile_vectors)
    try:
        runs: dict[str, dict[str, list[tuple[str, float]]]] = {m: {} for m in METHODS}
        for qi, q in enumerate(tqdm(ds.queries, desc=f"evaluate {ds.name}", disable=not progress)):
            vec = qvecs[qi].tolist()
            base = {
                "indexUid": index_uid,
                "limit": TOP,
                "showRankingScore": True,
                "attributesToRetrieve": ["id"],
            }
            answer = client.multi_search(
                [
                    {**base, "q": q.text},
                    {**base, "vector": vec, "hybrid": {"embedder": EMBEDDER, "semanticRatio": 1.0}},
                    {
                        **base,
                        "q": q.text,
                        "vector": vec,
                        "hybrid": {"embedder": EMBEDDER, "semanticRatio": HYBRID_RATIO},
                    },
                ]
            )
            results = answer["results"]
            for name, res in zip(("keyword", "vector", "hybrid"), results, strict=True):
                runs[name][q.id] = _hits(res, mapping)
        qfs = collect_features(
            ds, index, qvecs, pool=TOP, keyword_runs=runs["keyword"], vector_runs=runs["vector"]
        )
        feature_w = first_stage_weights(weights)
        for qf in qfs:
            first = fuse(qf.features, feature_w)
            scores = rerank_with_feedback(index, qf.candidates, first, qf.features, weights)
            order = np.argsort(-scores, kind="stable")[:TOP]
            runs["final"][qf.query.id] = [(index.ids[int(qf.candidates[o])], float(scores[o])) for o in order]
        metrics: dict[str, Any] = {
            "data_dir": str(data_dir),
            "embedder": embedder.name,
            "queries": len(ds.queries),
            "docs": len(ds.docs),
            "methods": {},
        }
        for name in METHODS:
            write_run(runs[name], out_dir / f"{name}.tsv", top=TOP)
            metrics["methods"][name] = evaluate_run(runs[name], ds.qrels, ds.qrels_graded)
        metrics["seconds"] = round(time.perf_counter() - started, 1)
        (out_dir / "metrics.json").write_text(
            json.dumps(metrics, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        return metrics
    finally:
        if not keep_index:
            try:
                client.wait_task(client.delete_index(index_uid))
            except Exception:  # noqa: BLE001 - cleanup must not hide the evaluation's own error
                pass
