"""Freshness: time from committing a need (row + outbox entry) to finding it in search.

Run:  python bench/bench_freshness.py [--needs 100] [--preload 20000] [--embedder hash|e5]
                                      [--vector-store stable|experimental]

A temporary SQLite database and Meilisearch; the outbox worker runs in a thread of this process
(the embedded default) with its normal poll interval, and is *not* notified, so the figure
includes the poll wait. The public index is preloaded with ``--preload`` synthetic documents so
each write lands in an index of realistic size. Prints p50/p95/max.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

import market.models  # noqa: E402,F401
from market.db import Base, make_engine, make_sessionmaker, session_scope  # noqa: E402
from market.settings import get_settings  # noqa: E402
from matching.embedders import load_embedder  # noqa: E402
from search.client import MeiliClient  # noqa: E402
from search.indexes import NEEDS, VECTOR_STORES, ensure_indexes, index_uid  # noqa: E402
from search.outbox import OutboxWorker, WorkerConfig  # noqa: E402
from search.process import LocalMeilisearch  # noqa: E402
from search.queries import NeedSearchParams, search_needs  # noqa: E402
from tests.factories import make_need, make_org  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--needs", type=int, default=100)
    ap.add_argument("--preload", type=int, default=20_000)
    ap.add_argument("--embedder", default="hash")
    ap.add_argument("--poll", type=float, default=0.2)
    ap.add_argument("--gap", type=float, default=0.3, help="seconds between saves")
    settings = get_settings()
    ap.add_argument("--vector-store", choices=VECTOR_STORES, default=settings.meili.vector_store)
    args = ap.parse_args()
    embedder = load_embedder(args.embedder)
    embedder.embed_passages(["预热"])
    with tempfile.TemporaryDirectory() as tmp, LocalMeilisearch(Path(tmp) / "meili", settings.meili.binary) as server:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'fresh.db'}")
        Base.metadata.create_all(engine)
        factory = make_sessionmaker(engine)
        client = MeiliClient(server.url, server.master_key)
        prefix = "fresh_"
        ensure_indexes(client, prefix, embedder.dim, vector_store=args.vector_store)
        if args.preload:
            from bench_search import attach_vectors, make_corpus

            docs = make_corpus(args.preload)
            for d in docs:
                d["id"] += 50_000_000
            attach_vectors(docs, load_embedder("hash", str(embedder.dim)))
            for s in range(0, len(docs), 5000):
                client.wait_task(client.add_documents(index_uid(prefix, NEEDS), docs[s : s + 5000]), timeout=1200)
            print(f"preloaded {args.preload} documents")
        with session_scope(factory) as s:
            org = make_org(s)
        lat: list[float] = []
        with OutboxWorker(factory, client, embedder, WorkerConfig(prefix=prefix, vector_store=args.vector_store), poll_interval=args.poll):
            for i in range(args.needs):
                with session_scope(factory) as s:
                    need = make_need(s, org, title=f"新鲜度测试需求{i}：余热回收")
                    need_id = need.id
                t0 = time.perf_counter()
                params = NeedSearchParams(q="余热回收", mode="keyword", facets=False, per_page=1)
                while True:
                    res = search_needs(client, params, f"id = {need_id}", prefix=prefix)
                    if res.total:
                        break
                    if time.perf_counter() - t0 > 30:
                        raise SystemExit(f"need {need_id} not searchable after 30 s")
                    time.sleep(0.005)
                lat.append(time.perf_counter() - t0)
                time.sleep(args.gap)
        arr = np.asarray(lat)
        print(
            f"freshness ({args.embedder} embedder, poll {args.poll}s, {args.needs} saves, "
            f"vector store {args.vector_store}): "
            f"p50 {np.percentile(arr, 50):.3f}s  p95 {np.percentile(arr, 95):.3f}s  max {arr.max():.3f}s"
        )
        client.close()
        engine.dispose()


if __name__ == "__main__":
    main()
