"""The relevance floor of hybrid search: what ``rankingScoreThreshold`` does to quality.

Indexes a sample of each tuning set into a throwaway Meilisearch (title, text and the e5 vector,
the way the app indexes needs and providers), then runs every query as the app's hybrid search
(``semanticRatio`` as configured) with no floor and with each candidate floor, and prints
nDCG@10 / Recall@10 per floor, plus how many nonsense queries still return hits.

    python bench/bench_relevance_floor.py [--sets csl nsfc] [--csl-docs 2000] [--queries 300]

Embeddings are cached under ``data/cache`` (the first run embeds the sample once).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from market.settings import get_settings  # noqa: E402
from matching.cache import cached_embeddings  # noqa: E402
from matching.embedders import load_embedder  # noqa: E402
from matching.evaluation import Dataset, evaluate_run, load_dataset  # noqa: E402
from search.client import MeiliClient  # noqa: E402
from search.indexes import EMBEDDER  # noqa: E402
from search.process import LocalMeilisearch  # noqa: E402

DATA = Path("/work/shared/data")
# Keyboard mash, made-up words and unrelated everyday phrases: none has a relevant document.
NONSENSE_EXAMPLES = (
    "asdfqwer乱码zzz",
    "zzzqqq",
    "qwertyuiop",
    "xkcd pqwz lmnb",
    "啊啊啊啊",
    "乱码乱码乱码",
    "哈哈哈哈哈",
    "asdf",
    "今天中午吃什么",
    "周末去哪里看电影",
    "我的猫喜欢睡觉",
    "生日快乐歌词",
    "lorem ipsum dolor",
    "jjjjjj kkkk",
    "呜呜呜嘿嘿嘿",
    "123456789",
)
FLOORS: tuple[float | None, ...] = (None, 0.9, 0.92, 0.93, 0.94, 0.95)
# (floor, floor when no word of the query matches any document): the app's rule, see
# search.queries.run_search.
TIERED: tuple[tuple[float, float], ...] = ((0.92, 0.94), (0.93, 0.94))


def sample_by_docs(ds: Dataset, n_docs: int, n_queries: int, seed: int = 7) -> tuple[Dataset, list[str]]:
    """``n_docs`` random documents and the queries all of whose judged documents are among them
    (nsfc: few documents, many queries each)."""
    rng = random.Random(seed)
    ids = [d.id for d in ds.docs]
    rng.shuffle(ids)
    keep = set(ids[:n_docs])
    chosen = [q for q in ds.queries if ds.qrels.get(q.id) and set(ds.qrels[q.id]) <= keep][:n_queries]
    docs = [d for d in ds.docs if d.id in keep]
    return Dataset(name=ds.name, docs=docs, queries=chosen, qrels=ds.qrels, qrels_graded=ds.qrels_graded), [
        q.id for q in chosen
    ]


def sample(ds: Dataset, n_docs: int, n_queries: int, seed: int = 7) -> tuple[Dataset, list[str]]:
    """Queries whose judged documents all lie in a doc sample of about ``n_docs``."""
    rng = random.Random(seed)
    judged = [q for q in ds.queries if ds.qrels.get(q.id)]
    rng.shuffle(judged)
    chosen = judged[:n_queries]
    keep = {d for q in chosen for d in ds.qrels[q.id]}
    others = [d.id for d in ds.docs if d.id not in keep]
    rng.shuffle(others)
    keep.update(others[: max(0, n_docs - len(keep))])
    docs = [d for d in ds.docs if d.id in keep]
    return Dataset(name=ds.name, docs=docs, queries=chosen, qrels=ds.qrels, qrels_graded=ds.qrels_graded), [
        q.id for q in chosen
    ]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", nargs="+", default=["csl", "nsfc"])
    ap.add_argument("--csl-docs", type=int, default=250)
    ap.add_argument("--nsfc-docs", type=int, default=60)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--cache", type=Path, default=Path("data/cache"))
    args = ap.parse_args()
    settings = get_settings()
    ratio = settings.meili.semantic_ratio
    embedder = load_embedder("e5")
    report: dict[str, Any] = {"semantic_ratio": ratio, "chosen_floor": settings.meili.relevance_floor, "sets": {}}
    with tempfile.TemporaryDirectory() as tmp:
        server = LocalMeilisearch(Path(tmp), settings.meili.binary, max_indexing_threads=2).start()
        try:
            with MeiliClient(server.url, server.master_key, timeout=60, task_timeout=600) as client:
                for name in args.sets:
                    full = load_dataset(DATA / name)
                    if name == "csl":
                        ds, qids = sample(full, args.csl_docs, args.queries)
                    else:
                        ds, qids = sample_by_docs(full, args.nsfc_docs, args.queries)
                    started = time.perf_counter()
                    dvec = cached_embeddings(embedder, [d.full_text for d in ds.docs], "passage", args.cache)
                    qtexts = [q.text for q in ds.queries] + list(NONSENSE_EXAMPLES)
                    qvec = cached_embeddings(embedder, qtexts, "query", args.cache)
                    uid = f"floor_{name}"
                    client.wait_task(client.create_index(uid, primary_key="id"))
                    client.wait_task(
                        client.update_settings(
                            uid,
                            {
                                "searchableAttributes": ["title", "text"],
                                "localizedAttributes": [{"attributePatterns": ["*"], "locales": ["zho"]}],
                                "embedders": {EMBEDDER: {"source": "userProvided", "dimensions": int(dvec.shape[1])}},
                            },
                        ),
                        timeout=120,
                    )
                    ids = {f"d{i}": d.id for i, d in enumerate(ds.docs)}
                    docs = [
                        {"id": f"d{i}", "title": d.title, "text": d.text, "_vectors": {EMBEDDER: dvec[i].tolist()}}
                        for i, d in enumerate(ds.docs)
                    ]
                    for start in range(0, len(docs), 500):
                        client.wait_task(client.add_documents(uid, docs[start : start + 500]), timeout=600)
                    rows: dict[str, Any] = {}
                    for floor in [*FLOORS, *TIERED]:
                        run: dict[str, list[tuple[str, float]]] = {}
                        nonsense_with_hits = 0
                        for qi, text in enumerate(qtexts):
                            body: dict[str, Any] = {
                                "indexUid": uid,
                                "q": text,
                                "limit": 10,
                                "attributesToRetrieve": ["id"],
                                "showRankingScore": True,
                                "vector": qvec[qi].tolist(),
                                "hybrid": {"embedder": EMBEDDER, "semanticRatio": ratio},
                            }
                            if isinstance(floor, tuple):
                                probe = {"indexUid": uid, "q": text, "limit": 1, "attributesToRetrieve": ["id"]}
                                kw = client.multi_search([probe])["results"][0]
                                body["rankingScoreThreshold"] = floor[0] if kw["hits"] else floor[1]
                            elif floor is not None:
                                body["rankingScoreThreshold"] = floor
                            res = client.multi_search([body])["results"][0]
                            if qi < len(ds.queries):
                                run[ds.queries[qi].id] = [(ids[h["id"]], h["_rankingScore"]) for h in res["hits"]]
                            elif res["hits"]:
                                nonsense_with_hits += 1
                        m = evaluate_run(run, ds.qrels, ds.qrels_graded, query_ids=qids)
                        m["nonsense_with_hits"] = f"{nonsense_with_hits}/{len(NONSENSE_EXAMPLES)}"
                        m["mean_hits"] = round(sum(len(v) for v in run.values()) / max(1, len(run)), 2)
                        key = "none" if floor is None else (f"{floor[0]}/{floor[1]}" if isinstance(floor, tuple) else str(floor))
                        rows[key] = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in m.items()}
                        print(name, key, rows[key], flush=True)
                    report["sets"][name] = {
                        "docs": len(ds.docs),
                        "queries": len(ds.queries),
                        "seconds": round(time.perf_counter() - started, 1),
                        "floors": rows,
                    }
        finally:
            server.stop()
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
