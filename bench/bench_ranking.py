"""Latency of the final ranking: one need against 1,000 candidate providers.

Providers carry precomputed vectors (as stored in the index), so the figure is the re-ranking
cost the app pays per request: features, fusion, structured signals and explanations.

    python bench/bench_ranking.py [--candidates 1000] [--items 8] [--repeat 20]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matching.embedders import load_embedder  # noqa: E402
from matching.ranking import Candidate, FusionWeights, NeedFeatures, ProviderFeatures, rank_providers_for_need  # noqa: E402
from matching.text import domain_terms, warm_up  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--candidates", type=int, default=1000)
    ap.add_argument("--items", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--backend", default="e5")
    args = ap.parse_args()
    warm_up()
    rng = random.Random(7)
    terms = sorted(domain_terms())
    emb = load_embedder("hash")  # vectors for synthetic providers; query embedding timed separately
    provs = []
    for i in range(args.candidates):
        items = tuple("".join(rng.sample(terms, 3)) + "项目" for _ in range(args.items))
        iv = emb.embed_passages(list(items))
        provs.append(
            ProviderFeatures(
                id=i,
                name=f"服务商{i}",
                items=items,
                industries=(rng.choice(["纺织", "光伏", "化纤", "汽车零部件"]),),
                tracks=(rng.choice(["数字化", "绿色化"]),),
                typical_deal_size=(10.0, 100.0),
                n_projects=len(items),
                vector=iv.mean(axis=0),
                item_vectors=iv,
            )
        )
    cands = [Candidate(id=i, keyword_score=rng.random()) for i in range(args.candidates)]
    need = NeedFeatures(
        id=0,
        title="经编车间MES系统与设备联网",
        description="能耗在线监测，余热回收",
        industry="纺织",
        track="数字化",
        budget=50.0,
    )
    need.vector = emb.embed_queries([need.text])[0]
    w = FusionWeights.load()
    lat = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        rank_providers_for_need(need, provs, emb, candidates=cands, weights=w, limit=20)
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    n_items = args.candidates * args.items
    print(
        f"rank 1 need vs {args.candidates} providers ({n_items} items, vectors given): "
        f"p50 {statistics.median(lat):.1f} ms  p95 {lat[int(0.95 * (len(lat) - 1))]:.1f} ms  "
        f"(includes indexing candidates: BM25 + {n_items}x{emb.dim} item matrix)"
    )
    real = load_embedder(args.backend)
    qlat = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        real.embed_queries([need.text])
        qlat.append((time.perf_counter() - t) * 1000)
    print(f"query embedding ({real.name}): p50 {statistics.median(qlat):.1f} ms")
    _ = np


if __name__ == "__main__":
    main()
