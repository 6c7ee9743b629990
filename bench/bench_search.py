"""Search benchmark: indexing throughput and query latency on a generated corpus.

Run:  python bench/bench_search.py [--docs 100000] [--e5-docs 1000] [--queries 200]

* A synthetic Chinese corpus of needs is generated from word lists (deterministic seed).
* Indexing: documents with precomputed hash-embedder vectors (Meilisearch work only), and the
  end-to-end rate including embedding: hash embedder over the whole corpus, e5-small over a
  smaller sample (then indexed).
* Latency: p50/p95/p99 of keyword, hybrid and faceted searches through ``search.queries``
  (the HTTP API has no search route yet), with 1 and 16 concurrent clients. Hybrid latency
  includes embedding the query (cache disabled).

Uses its own temporary Meilisearch; prints figures, writes nothing else.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from market.settings import get_settings  # noqa: E402
from market.vocab import COOPERATION_MODES, COUNTIES, INDUSTRIES, TRACKS  # noqa: E402
from matching.embedders import Embedder, load_embedder  # noqa: E402
from search import queries as q  # noqa: E402
from search.client import MeiliClient  # noqa: E402
from search.documents import vector_list  # noqa: E402
from search.indexes import NEEDS, ensure_indexes, index_uid  # noqa: E402
from search.process import LocalMeilisearch  # noqa: E402
from search.queries import NeedSearchParams, search_needs  # noqa: E402

OBJECTS = [
    "注塑机", "数控机床", "空压机", "锅炉", "印染机", "冲压线", "模具", "经编机", "光伏组件", "储能系统",
    "污水处理站", "涂装线", "焊接机器人", "AGV", "仓储系统", "电机", "变压器", "造纸机", "化纤纺丝", "玻璃窑炉",
]  # fmt: skip
ACTIONS = [
    "余热回收", "能耗在线监测", "故障预测", "视觉检测", "远程运维", "节能改造", "数字孪生建模", "MES系统建设",
    "VOCs治理", "碳排放核算", "智能排产", "质量追溯", "设备联网", "工艺优化", "废水回用", "预测性维护",
]  # fmt: skip
GOALS = [
    "降低单位产品能耗", "提升良品率", "减少停机时间", "实现无人化巡检", "满足排放标准", "降低人工成本",
    "缩短交付周期", "提高设备综合效率", "实现绿色工厂认证", "打通生产数据",
]  # fmt: skip
DETAILS = [
    "现有设备使用年限较长", "车间分布在两个厂区", "数据依靠人工抄表", "高峰期用电负荷大", "夏季车间温度高",
    "客户对质量追溯要求严格", "环保检查压力较大", "产线换型频繁", "原材料价格波动大", "缺少专业技术人员",
]  # fmt: skip
QUERIES = [f"{o}{a}" for o in OBJECTS for a in ACTIONS[:4]] + ACTIONS + OBJECTS + [
    "太阳能", "CNC机床", "制造执行系统", "余热利用", "废水处理 回用", "节能降耗 电机", "视觉质检 缺陷",
]


def make_corpus(n: int, seed: int = 2026) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    now = int(time.time())
    docs = []
    for i in range(1, n + 1):
        obj, act, goal = rnd.choice(OBJECTS), rnd.choice(ACTIONS), rnd.choice(GOALS)
        lo = rnd.choice([5, 10, 20, 50, 100, 200, 500])
        docs.append(
            {
                "id": i,
                "title": f"{obj}{act}项目{rnd.choice(['需求', '攻关', '改造', '升级'])}",
                "summary": f"{rnd.choice(DETAILS)}，希望通过{act}{goal}；涉及{rnd.choice(OBJECTS)}与{rnd.choice(ACTIONS)}。",
                "industry": rnd.choice(INDUSTRIES),
                "track": rnd.choice(list(TRACKS)),
                "county": rnd.choice(COUNTIES),
                "cooperation_mode": rnd.choice(COOPERATION_MODES),
                "status": rnd.choice(["published"] * 8 + ["taken_up", "closed"]),
                "budget_min_wan": lo,
                "budget_max_wan": lo * rnd.choice([2, 3, 5]),
                "deadline_ts": now + rnd.randint(10, 700) * 86400,
                "published_ts": (now - rnd.randint(0, 700) * 86400) * 1000,
                "updated_ts": now * 1000,
                "batch_id": rnd.randint(1, 20),
                "anonymous": False,
                "key_terms": [obj, act],
            }
        )
    return docs


def embed_text(doc: dict[str, Any]) -> str:
    return f"{doc['title']}\n{doc['summary']}"


def attach_vectors(docs: list[dict[str, Any]], embedder: Embedder, batch: int = 256) -> float:
    t0 = time.perf_counter()
    for start in range(0, len(docs), batch):
        chunk = docs[start : start + batch]
        mat = embedder.embed_passages([embed_text(d) for d in chunk])
        for d, row in zip(chunk, mat, strict=True):
            d["_vectors"] = {"default": vector_list(row)}
    return time.perf_counter() - t0


def index_all(client: MeiliClient, uid: str, docs: list[dict[str, Any]], batch: int = 5000) -> float:
    t0 = time.perf_counter()
    tasks = [client.add_documents(uid, docs[s : s + batch]) for s in range(0, len(docs), batch)]
    for t in tasks:
        client.wait_task(t, timeout=3600)
    return time.perf_counter() - t0


def pct(values: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(values), p))


def measure(fn: Callable[[int], None], n: int, concurrency: int) -> dict[str, float]:
    lat: list[float] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        t0 = time.perf_counter()
        fn(i)
        dt_ms = (time.perf_counter() - t0) * 1000
        with lock:
            lat.append(dt_ms)

    for i in range(min(10, n)):  # warm-up
        fn(i)
    t0 = time.perf_counter()
    if concurrency == 1:
        for i in range(n):
            one(i)
    else:
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(one, range(n)))
    wall = time.perf_counter() - t0
    return {"p50": pct(lat, 50), "p95": pct(lat, 95), "p99": pct(lat, 99), "mean": statistics.mean(lat), "qps": n / wall}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--e5-docs", type=int, default=1000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--skip-e5", action="store_true")
    args = ap.parse_args()
    settings = get_settings()
    hash_emb = load_embedder("hash")
    print(f"corpus: {args.docs} needs (synthetic)")
    docs = make_corpus(args.docs)
    emb_s = attach_vectors(docs, hash_emb)
    print(f"hash embedding: {args.docs / emb_s:,.0f} docs/s ({emb_s:.1f}s)")
    with tempfile.TemporaryDirectory() as tmp, LocalMeilisearch(Path(tmp), settings.meili.binary) as server:
        client = MeiliClient(server.url, server.master_key, timeout=30, max_connections=64)
        prefix = "bench_"
        ensure_indexes(client, prefix, names=[NEEDS])
        uid = index_uid(prefix, NEEDS)
        idx_s = index_all(client, uid, docs)
        print(f"indexing with precomputed vectors: {args.docs / idx_s:,.0f} docs/s ({idx_s:.1f}s)")
        print(f"end to end with hash embedder: {args.docs / (idx_s + emb_s):,.0f} docs/s")
        del docs

        e5: Embedder | None = None
        if not args.skip_e5:
            e5 = load_embedder("e5")
            sample = make_corpus(args.e5_docs, seed=7)
            for d in sample:
                d["id"] += 10_000_000
            e5_s = attach_vectors(sample, e5, batch=64)
            ensure_indexes(client, "e5_", names=[NEEDS])
            e5_idx_s = index_all(client, index_uid("e5_", NEEDS), sample)
            print(
                f"e5-small: embedding {args.e5_docs / e5_s:,.1f} docs/s; "
                f"end to end (embed + index {args.e5_docs} docs) {args.e5_docs / (e5_s + e5_idx_s):,.1f} docs/s"
            )

        rnd = random.Random(1)
        qs = [rnd.choice(QUERIES) for _ in range(args.queries)]
        ratio = settings.meili.semantic_ratio

        def keyword(i: int) -> None:
            search_needs(client, NeedSearchParams(q=qs[i], mode="keyword", facets=False), prefix=prefix)

        def faceted(i: int) -> None:
            search_needs(
                client,
                NeedSearchParams(q=qs[i], mode="keyword", county=[COUNTIES[i % 7]], track=["green"], budget_min=50),
                prefix=prefix,
            )

        def hybrid_with(embedder: Embedder) -> Callable[[int], None]:
            def run(i: int) -> None:
                q.query_vectors._data.clear()  # measure the query embedding every time
                search_needs(
                    client, NeedSearchParams(q=qs[i], mode="hybrid", facets=False), prefix=prefix,
                    embedder=embedder, semantic_ratio=ratio,
                )
            return run

        cases: list[tuple[str, Callable[[int], None]]] = [
            ("keyword", keyword),
            ("faceted (keyword + 3 filters + 5 facets)", faceted),
            ("hybrid (hash query vector)", hybrid_with(hash_emb)),
        ]
        if e5 is not None:
            cases.append(("hybrid (e5 query embedding incl.)", hybrid_with(e5)))
        print(f"\nlatency over {args.queries} queries, {args.docs} docs, through search.queries (ms):")
        for conc in (1, 16):
            for name, fn in cases:
                r = measure(fn, args.queries, conc)
                print(
                    f"  {conc:>2} client(s)  {name:<42} p50 {r['p50']:6.1f}  p95 {r['p95']:6.1f}  "
                    f"p99 {r['p99']:6.1f}  ({r['qps']:.0f} q/s)"
                )
        client.close()


if __name__ == "__main__":
    main()
