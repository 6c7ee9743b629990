"""Offline evaluation: load a data folder, run ranking methods, compute metrics.

A data folder holds ``docs.jsonl`` (``id``, ``text``, optional ``title``, ``items``,
``n_projects``...), ``queries.jsonl`` (``id``, ``text``, ``qtype``), ``qrels.tsv``
(``query_id  doc_id  relevance`` with a header) and optionally ``qrels_graded.tsv``.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matching import metrics

__all__ = [
    "Dataset",
    "Doc",
    "Query",
    "QueryFeatures",
    "Run",
    "build_index",
    "collect_features",
    "evaluate_run",
    "load_dataset",
    "split_queries",
    "write_run",
]

Run = dict[str, list[tuple[str, float]]]
# Optional document fields read as structured labels (a paper's discipline, a need's industry).
LABEL_FIELDS: tuple[str, ...] = ("discipline", "category", "industry")


@dataclass(frozen=True)
class Doc:
    id: str
    text: str
    title: str = ""
    items: tuple[str, ...] = ()
    n_projects: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def full_text(self) -> str:
        """Title and text, the way documents are indexed and embedded as one passage."""
        return f"{self.title}\n{self.text}".strip() if self.title else self.text

    @property
    def capability_items(self) -> tuple[str, ...]:
        """Items scored one by one; a document without items is its own single item."""
        return self.items if self.items else (self.full_text,)

    @property
    def labels(self) -> tuple[str, ...]:
        """Structured categories carried by the document (``field:value``), see LABEL_FIELDS."""
        out: list[str] = []
        for name in LABEL_FIELDS:
            value = self.extra.get(name)
            values = value if isinstance(value, list) else [value]
            out.extend(f"{name}:{v}" for v in values if v not in (None, ""))
        return tuple(out)


@dataclass(frozen=True)
class Query:
    id: str
    text: str
    qtype: str = ""


@dataclass
class Dataset:
    name: str
    docs: list[Doc]
    queries: list[Query]
    qrels: dict[str, dict[str, float]]
    qrels_graded: dict[str, dict[str, float]] | None = None

    @property
    def doc_ids(self) -> list[str]:
        return [d.id for d in self.docs]

    def judged_queries(self) -> list[Query]:
        return [q for q in self.queries if self.qrels.get(q.id)]


def _read_qrels(path: Path) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    with path.open(encoding="utf-8") as fh:
        reader = csv.reader(fh, delimiter="\t")
        for row in reader:
            if len(row) < 3 or row[0] == "query_id":
                continue
            try:
                rel = float(row[2])
            except ValueError:
                continue
            out.setdefault(row[0], {})[row[1]] = rel
    return out


def load_dataset(folder: Path | str) -> Dataset:
    folder = Path(folder)
    docs: list[Doc] = []
    with (folder / "docs.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            raw = json.loads(line)
            known = {"id", "text", "title", "items", "n_projects"}
            docs.append(
                Doc(
                    id=str(raw["id"]),
                    text=str(raw.get("text") or ""),
                    title=str(raw.get("title") or ""),
                    items=tuple(str(i) for i in raw.get("items") or () if str(i).strip()),
                    n_projects=int(raw["n_projects"]) if raw.get("n_projects") is not None else None,
                    extra={k: v for k, v in raw.items() if k not in known},
                )
            )
    queries: list[Query] = []
    with (folder / "queries.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                raw = json.loads(line)
                queries.append(
                    Query(id=str(raw["id"]), text=str(raw["text"]), qtype=str(raw.get("qtype", "")))
                )
    qrels = _read_qrels(folder / "qrels.tsv")
    graded_path = folder / "qrels_graded.tsv"
    graded = _read_qrels(graded_path) if graded_path.exists() else None
    return Dataset(name=folder.name, docs=docs, queries=queries, qrels=qrels, qrels_graded=graded)


def split_queries(
    queries: Sequence[Query], tune_fraction: float = 0.5, salt: str = "jiebang"
) -> tuple[list[Query], list[Query]]:
    """Deterministic split by a hash of the query id (stable across runs and machines)."""
    tune: list[Query] = []
    test: list[Query] = []
    for q in queries:
        h = int(hashlib.sha1(f"{salt}:{q.id}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        (tune if h < tune_fraction else test).append(q)
    return tune, test


def evaluate_run(
    run: Mapping[str, Sequence[tuple[str, float]]],
    qrels: Mapping[str, Mapping[str, float]],
    qrels_graded: Mapping[str, Mapping[str, float]] | None = None,
    k: int = 10,
    query_ids: Sequence[str] | None = None,
) -> dict[str, float]:
    """Mean metrics over judged queries (a judged query missing from ``run`` scores 0).

    With graded judgements also reports ``graded_ndcg@k`` and ``field_ndcg@k`` (nDCG of grade-1
    documents only, the grade-2 known item removed from both ranking and judgements).
    """
    ids = [q for q in (query_ids if query_ids is not None else list(qrels)) if qrels.get(q)]
    rec, nd, mrr = [], [], []
    g_nd, f_nd = [], []
    for qid in ids:
        ranked = [d for d, _ in run.get(qid, [])]
        rel = qrels[qid]
        rec.append(metrics.recall_at_k(ranked, rel, k))
        nd.append(metrics.ndcg_at_k(ranked, rel, k, graded=False))
        mrr.append(metrics.mrr_at_k(ranked, rel, k))
        if qrels_graded is not None and qrels_graded.get(qid):
            g = qrels_graded[qid]
            g_nd.append(metrics.ndcg_at_k(ranked, g, k, graded=True))
            own = {d for d, v in g.items() if v >= 2}
            field_rel = {d: 1.0 for d, v in g.items() if 0 < v < 2}
            f_nd.append(metrics.ndcg_at_k([d for d in ranked if d not in own], field_rel, k, graded=False))
    out = {
        f"ndcg@{k}": metrics.mean(nd),
        f"recall@{k}": metrics.mean(rec),
        f"mrr@{k}": metrics.mean(mrr),
        "queries": float(len(ids)),
    }
    if g_nd:
        out[f"graded_ndcg@{k}"] = metrics.mean(g_nd)
        out[f"field_ndcg@{k}"] = metrics.mean(f_nd)
    return out


def write_run(run: Mapping[str, Sequence[tuple[str, float]]], path: Path, top: int = 100) -> None:
    """Lines ``query_id<TAB>doc_id<TAB>score``, best first, ``top`` per query."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for qid, ranked in run.items():
            for doc_id, score in list(ranked)[:top]:
                fh.write(f"{qid}\t{doc_id}\t{score:.6f}\n")


def run_method(
    queries: Sequence[Query], method: Callable[[Query], Sequence[tuple[str, float]]], top: int = 100
) -> Run:
    return {q.id: list(method(q))[:top] for q in queries}


# -- offline pipeline (BM25 stand-in for the keyword engine) ---------------------------------
@dataclass
class QueryFeatures:
    query: Query
    candidates: Any  # np.ndarray of profile positions
    features: dict[str, Any]  # name -> np.ndarray over candidates


def build_index(ds: Dataset, embedder: Any, cache_dir: Path | None = None) -> Any:
    from matching.providers import Profile, ProfileIndex

    profiles = [
        Profile(id=d.id, text=d.full_text, items=d.items, n_projects=d.n_projects, labels=d.labels)
        for d in ds.docs
    ]
    return ProfileIndex.build(profiles, embedder, cache_dir=cache_dir)


def collect_features(
    ds: Dataset,
    index: Any,
    query_vectors: Any,
    pool: int = 100,
    keyword_runs: Mapping[str, Sequence[tuple[str, float]]] | None = None,
    vector_runs: Mapping[str, Sequence[tuple[str, float]]] | None = None,
    progress: bool = False,
) -> list[QueryFeatures]:
    """Candidate pool per query (top ``pool`` by keyword and by vector, united) and its features.

    ``keyword_runs``/``vector_runs`` (e.g. from Meilisearch) define the pool and, for keyword,
    replace the offline BM25 profile score; without them the offline BM25 and the profile vector
    stand in.
    """
    import numpy as np
    from tqdm import tqdm

    from matching.providers import QueryInput

    out: list[QueryFeatures] = []
    queries = ds.queries
    it = tqdm(list(enumerate(queries)), desc=f"features {ds.name}", disable=not progress)
    for qi, q in it:
        qin = QueryInput(text=q.text, vectors=query_vectors[qi])
        if keyword_runs is not None:
            kw = {index.position[d]: s for d, s in keyword_runs.get(q.id, []) if d in index.position}
        else:
            bm = index.bm25_profile.score(qin.tokens)
            top = np.argsort(-bm)[:pool]
            kw = {int(i): float(bm[i]) for i in top if bm[i] > 0}
        if vector_runs is not None:
            vec = {index.position[d]: s for d, s in vector_runs.get(q.id, []) if d in index.position}
        else:
            vs = index.profile_vectors @ qin.vectors[0]
            top = np.argsort(-vs)[:pool]
            vec = {int(i): float(vs[i]) for i in top}
        # Items matter for providers: also pool the owners of the nearest items.
        sims = index.item_similarities(qin)
        near = np.argsort(-sims)[: 3 * pool]
        cand = np.array(sorted(set(kw) | set(vec) | {int(index.item_owner[i]) for i in near}), dtype=np.int64)
        feats = index.features(qin, cand)
        if keyword_runs is not None:
            feats["keyword"] = np.array([kw.get(int(c), 0.0) for c in cand])
        if vector_runs is not None:
            feats["vector"] = np.array([vec.get(int(c), 0.0) for c in cand])
        out.append(QueryFeatures(query=q, candidates=cand, features=feats))
    return out
