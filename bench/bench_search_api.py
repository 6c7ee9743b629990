"""Search through the HTTP API: indexing rate, query latency and freshness (issue 5).

Run:  python bench/bench_search_api.py [--docs 100000] [--queries 200] [--clients 1,16] [--fresh-trials 30]
                                         [--vector-store stable|experimental]

* A temporary Meilisearch and a temporary data directory (SQLite database, migrated by the
  server at start). The web service runs as it does in production: ``jiebang serve`` in its own
  process (one uvicorn process, embedded outbox worker, the default e5-small embedder), pointed
  at that Meilisearch with ``MEILI_URL``/``MEILI_MASTER_KEY``. This script is only the client.
* ``--vector-store`` picks Meilisearch's vector store for the indexes (and is handed to the
  server as ``JIEBANG_MEILI__VECTOR_STORE``, so its start does not convert them); the default is
  the configured one.
* Corpus: ``--docs`` synthetic published needs (bench_search.py's generator) written straight
  into the public needs index with precomputed *hash* vectors (dimension 384). Meilisearch's
  work does not depend on vector content, so this is fine for latency and indexing rate.
* Latency: p50/p95/p99 of keyword, hybrid and faceted ``GET /api/v1/search/needs`` calls with
  httpx at each ``--clients`` level. Hybrid requests each use a distinct query phrase, so the
  server's query-vector cache never hides the e5 query embedding. The e5 query embedding is also
  timed on its own (in this process, server idle), and the server's own ``elapsed_ms`` and
  Meilisearch's ``processing_ms`` are reported from the responses.
* Freshness: an enterprise user creates a need and submits it, a bureau user approves it, puts
  it in a new batch and publishes the batch, all through the API; the figure is the time from
  the publish response to ``GET /api/v1/search/needs?q=<unique token>&mode=keyword`` finding it.
  The worker writes fields first and vectors in later rounds (docs/operations.md); the summary
  splits Meilisearch's task times into the two phases and counts the vector rounds it cancelled.
  ``--dump-tasks FILE`` keeps every task (with its batch's progress trace) and each trial's
  publish time, to see what a slow trial waited for.

Bounded: each latency case stops after ``--queries`` requests or ``--case-seconds``; each
freshness trial gives up after 30 s. Everything lives in a temporary directory, removed at exit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import httpx  # noqa: E402
import numpy as np  # noqa: E402
from bench_search import ACTIONS, GOALS, OBJECTS, attach_vectors, index_all, make_corpus  # noqa: E402

from market.settings import get_settings  # noqa: E402
from market.vocab import COUNTIES, TRACKS  # noqa: E402
from matching.embedders import load_embedder  # noqa: E402
from search.client import MeiliClient  # noqa: E402
from search.indexes import NEEDS, VECTOR_STORES, ensure_indexes, index_uid  # noqa: E402
from search.process import LocalMeilisearch, free_port  # noqa: E402

PREFIX = "jiebang_"  # the server's default index prefix
ID_OFFSET = 10_000_000  # synthetic documents never collide with needs created through the API
TEMPLATES = ("{o}{a}", "{o}{a}，{g}", "希望通过{a}{g}", "{o}{a}方案", "{a}：{o}如何{g}", "寻求{o}{a}技术合作")


def query_phrases(seed: int = 5) -> list[str]:
    """Realistic, distinct need-search phrases composed from the corpus word lists."""
    phrases = {t.format(o=o, a=a, g=g) for t in TEMPLATES for o in OBJECTS for a in ACTIONS for g in GOALS}
    out = sorted(phrases)
    random.Random(seed).shuffle(out)
    return out


def pct(values: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(values), p)) if values else float("nan")


# -- the server ------------------------------------------------------------------------------------


class Server:
    """``jiebang serve`` in a child process, with its data under ``data_dir``."""

    def __init__(self, data_dir: Path, meili_url: str, meili_key: str, vector_store: str) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data_dir / "server.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JIEBANG_", "MEILI_"))}
        env.update(
            JIEBANG_DATA_DIR=str(data_dir),
            MEILI_URL=meili_url,
            MEILI_MASTER_KEY=meili_key,
            PYTHONPATH=str(REPO),
            PORT=str(self.port),
            JIEBANG_MEILI__VECTOR_STORE=vector_store,
        )
        data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log, "wb") as fh:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", "from web.cli import app; app()", "serve", "--port", str(self.port)],
                cwd=data_dir,
                env=env,
                stdout=fh,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 180) -> float:
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < timeout:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return time.perf_counter() - t0
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise SystemExit(f"server not ready after {timeout:.0f}s:\n{self.tail()}")

    def tail(self, n: int = 3000) -> str:
        try:
            return self.log.read_bytes()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


# -- latency ---------------------------------------------------------------------------------------


class Case:
    def __init__(self, name: str, params: Callable[[int], dict[str, Any]]) -> None:
        self.name = name
        self.params = params


def measure(
    http: httpx.Client, case: Case, n: int, concurrency: int, max_seconds: float, counter: Iterator[int]
) -> dict[str, Any]:
    """``n`` requests (or until ``max_seconds``) at ``concurrency``; ``counter`` hands out query numbers."""
    lat: list[float] = []
    elapsed: list[float] = []
    processing: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + max_seconds

    def one(_: int) -> None:
        if time.perf_counter() > deadline:
            return
        with lock:
            i = next(counter)
        params = case.params(i)
        t0 = time.perf_counter()
        r = http.get("/api/v1/search/needs", params=params)
        dt_ms = (time.perf_counter() - t0) * 1000
        if r.status_code != 200:
            raise SystemExit(f"{case.name}: HTTP {r.status_code} {r.text[:300]}")
        body = r.json()
        with lock:
            lat.append(dt_ms)
            elapsed.append(float(body.get("elapsed_ms", 0.0)))
            processing.append(float(body.get("processing_ms", 0)))

    for _ in range(min(10, n)):  # warm-up (own queries, not counted)
        with lock:
            i = next(counter)
        http.get("/api/v1/search/needs", params=case.params(i))
    t0 = time.perf_counter()
    if concurrency == 1:
        for k in range(n):
            one(k)
    else:
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(one, range(n)))
    wall = time.perf_counter() - t0
    return {
        "n": len(lat),
        "p50": pct(lat, 50),
        "p95": pct(lat, 95),
        "p99": pct(lat, 99),
        "mean": statistics.mean(lat) if lat else float("nan"),
        "qps": len(lat) / wall if wall else 0.0,
        "server_p50": pct(elapsed, 50),
        "meili_p50": pct(processing, 50),
    }


# -- freshness -------------------------------------------------------------------------------------


def iso_seconds(duration: str | None) -> float:
    """Meilisearch task durations look like ``PT0.123456S`` (or ``PT1M2.5S``)."""
    if not duration or not duration.startswith("PT"):
        return float("nan")
    rest, total = duration[2:], 0.0
    for unit, factor in (("H", 3600.0), ("M", 60.0), ("S", 1.0)):
        if unit in rest:
            value, rest = rest.split(unit, 1)
            total += float(value) * factor
    return total


def trace_seconds(value: str) -> float:
    """Progress-trace durations look like ``1.63s``, ``476.69ms``, ``40.1µs``."""
    for suffix, factor in (("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9), ("s", 1.0)):
        if value.endswith(suffix):
            try:
                return float(value.removesuffix(suffix)) * factor
            except ValueError:
                return 0.0
    return 0.0


def _trace_steps(trace: dict[str, Any], floor: float = 0.05) -> str:
    return "; ".join(
        f"{k.removeprefix('processing tasks > ')}: {v}" for k, v in trace.items() if trace_seconds(str(v)) >= floor
    ) or "no step >= 50 ms"


def meili_task_summary(client: MeiliClient, after_uid: int) -> str:
    """Processing times of the document tasks the worker sent during the freshness trials, split
    into field writes (phase 1, what a keyword search waits for) and vector writes (phase 2), told
    apart by their batch's progress trace: only a vector write updates the vector store's trees."""
    found = client.get_tasks(
        indexUids=f"{index_uid(PREFIX, NEEDS)},{index_uid(PREFIX, 'needs_all')}",
        types="documentAdditionOrUpdate",
        afterEnqueuedAt="1970-01-01T00:00:00Z",
        limit=1000,
    )
    seen = [t for t in found.get("results", []) if int(t["uid"]) > after_uid and t.get("duration")]
    tasks = [t for t in seen if t.get("status") == "succeeded"]
    if not tasks:
        return "no worker tasks seen"
    cancelled = [t for t in seen if t.get("status") == "canceled"]
    traces: dict[int, dict[str, Any]] = {}
    for t in tasks:
        b = t.get("batchUid")
        if b is not None and int(b) not in traces:
            traces[int(b)] = client.get_batch(int(b)).get("stats", {}).get("progressTrace", {})
    lines = []
    for label, is_vector in (("field writes (phase 1)", False), ("vector writes (phase 2)", True)):
        group = []
        for t in tasks:
            trace = traces.get(int(t["batchUid"]), {}) if t.get("batchUid") is not None else {}
            vector = any("trees" in k and trace_seconds(str(v)) >= 5e-3 for k, v in trace.items())
            if vector == is_vector:
                group.append(t)
        if not group:
            lines.append(f"{label}: none")
            continue
        for name in (NEEDS, "needs_all"):
            durations = [iso_seconds(t.get("duration")) for t in group if t["indexUid"] == index_uid(PREFIX, name)]
            if durations:
                lines.append(
                    f"{label}, {name}: {len(durations)} tasks, processing p50 {pct(durations, 50):.3f}s  "
                    f"p95 {pct(durations, 95):.3f}s  max {max(durations):.3f}s"
                )
        slowest = max(group, key=lambda t: iso_seconds(t.get("duration")))
        trace = traces.get(int(slowest["batchUid"]), {}) if slowest.get("batchUid") is not None else {}
        lines.append(f"  slowest ({slowest['indexUid']}): {_trace_steps(trace)}")
    if cancelled:
        lines.append(
            f"cancelled to let field writes through: {len(cancelled)} tasks (ran "
            f"p50 {pct([iso_seconds(t.get('duration')) for t in cancelled], 50):.3f}s before the cancel)"
        )
    return "\n  ".join(lines)


TRIAL_LOG: list[dict[str, Any]] = []


def outbox_pending(db_file: Path) -> int:
    """Pending outbox entries in the server's SQLite database (read-only look)."""
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(f"file:{db_file}?mode=ro", uri=True, timeout=5)) as conn:
        return int(conn.execute("SELECT count(*) FROM outbox_entries WHERE status = 'pending'").fetchone()[0])


def dump_tasks(client: MeiliClient, after_uid: int, path: Path) -> None:
    """Every task after the corpus load, each with its batch's progress trace, and the trials."""
    tasks = [t for t in client.get_tasks(limit=1000).get("results", []) if int(t["uid"]) > after_uid]
    batches: dict[int, Any] = {}
    for t in tasks:
        b = t.get("batchUid")
        if b is not None and int(b) not in batches:
            batches[int(b)] = client.get_batch(int(b)).get("stats", {}).get("progressTrace", {})
    path.write_text(json.dumps({"tasks": tasks, "batches": batches, "trials": TRIAL_LOG}, ensure_ascii=False, indent=1))
    print(f"  tasks and trials written to {path}")


def make_people(db_url: str) -> tuple[dict[str, str], dict[str, str]]:
    """A verified enterprise with a user, the bureau with a reviewer; bearer headers for both."""
    from market.db import make_engine, make_sessionmaker, session_scope
    from market.orgs.models import Role
    from market.orgs.service import issue_token
    from tests import factories

    engine = make_engine(db_url)
    try:
        with session_scope(make_sessionmaker(engine)) as s:
            bureau_org = factories.create_org(
                s, kind="bureau", industry=None, name="嘉兴市科学技术局（压测）"
            )
            bureau = factories.create_user(
                s, bureau_org, roles=[Role.bureau_admin.value, Role.bureau_reviewer.value]
            )
            ent_org = factories.create_org(s, kind="enterprise", name="压测企业有限公司")
            ent = factories.create_user(s, ent_org)
            ent_token, _ = issue_token(s, ent, 24)
            bureau_token, _ = issue_token(s, bureau, 24)
            # The trial measures search freshness, not the expert review: no scores required.
            from market.office.models import OfficeSetting

            s.add(OfficeSetting(key="min_expert_scores", value=0))
    finally:
        engine.dispose()
    return {"Authorization": f"Bearer {ent_token}"}, {"Authorization": f"Bearer {bureau_token}"}


def token_word(rnd: random.Random) -> str:
    return "zq" + "".join(rnd.choice("bcdfghjkmnpqrstvwxz") for _ in range(9))


APP_DB: list[Path] = []  # the served app's SQLite file, set once the server is up


def _notice_ended(batch_id: int) -> None:
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(str(APP_DB[0]), timeout=10)) as conn:
        conn.execute(
            "UPDATE batches SET notice_start = date(notice_start, '-20 days'), notice_end = date(notice_end, '-20 days') WHERE id = ?",
            (batch_id,),
        )
        conn.commit()


def freshness_trial(
    http: httpx.Client, ent: dict[str, str], bureau: dict[str, str], word: str, timeout: float = 30.0
) -> tuple[float, float]:
    """Returns (seconds from publish response to found, seconds the API workflow took)."""
    from tests.factories import need_fields

    def ok(r: httpx.Response) -> dict[str, Any]:
        if r.status_code >= 300:
            raise SystemExit(f"{r.request.method} {r.request.url.path}: HTTP {r.status_code} {r.text[:300]}")
        return r.json()  # type: ignore[no-any-return]

    w0 = time.perf_counter()
    fields = need_fields(
        title=f"余热回收节能改造需求 {word}", summary=f"压测新鲜度需求 {word}：锅炉余热回收。"
    )
    need_id = ok(http.post("/api/v1/needs", json=fields, headers=ent))["need"]["id"]
    ok(http.post(f"/api/v1/needs/{need_id}/submit", headers=ent))
    ok(http.post(f"/api/v1/needs/{need_id}/approve", headers=bureau))
    batch_id = ok(http.post("/api/v1/batches", json={"year": dt.date.today().year}, headers=bureau))["id"]
    ok(http.post(f"/api/v1/batches/{batch_id}/needs", json={"need_ids": [need_id]}, headers=bureau))
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    notice = {"notice_start": today.isoformat(), "notice_end": (today + dt.timedelta(days=9)).isoformat()}
    ok(http.post(f"/api/v1/batches/{batch_id}/notice", json=notice, headers=bureau))
    _notice_ended(batch_id)  # no batch skips the 公示; the trial lets its period pass at once
    ok(http.post(f"/api/v1/batches/{batch_id}/publish", headers=bureau))
    t0 = time.perf_counter()
    published_at = dt.datetime.now(dt.UTC).isoformat()
    workflow = t0 - w0
    params = {"q": word, "mode": "keyword", "per_page": 5}
    while True:
        body = ok(http.get("/api/v1/search/needs", params=params))
        if any(h["id"] == need_id for h in body["hits"]):
            seconds = time.perf_counter() - t0
            TRIAL_LOG.append({"need_id": need_id, "published_at": published_at, "seconds": seconds})
            return seconds, workflow
        if time.perf_counter() - t0 > timeout:
            raise SystemExit(f"need {need_id} not searchable {timeout:.0f}s after publishing")
        time.sleep(0.01)


# -- main ------------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=100_000, help="synthetic published needs in the index")
    ap.add_argument("--queries", type=int, default=200, help="requests per latency case and client level")
    ap.add_argument("--clients", default="1,16", help="comma-separated concurrency levels")
    ap.add_argument("--fresh-trials", type=int, default=30)
    ap.add_argument("--case-seconds", type=float, default=90.0, help="time cap per latency case")
    ap.add_argument("--gap", type=float, default=0.3, help="seconds between freshness trials")
    ap.add_argument(
        "--dump-tasks", type=Path, default=None,
        help="write the worker's Meilisearch tasks (with batch traces) and the trials' timestamps here (JSON)",
    )
    settings = get_settings()
    ap.add_argument(
        "--vector-store", choices=VECTOR_STORES, default=settings.meili.vector_store,
        help="Meilisearch vector store of the indexes (default: the configured one, %(default)s)",
    )
    args = ap.parse_args()
    levels = [int(c) for c in args.clients.split(",") if c.strip()]
    started = time.perf_counter()

    print(f"vector store: {args.vector_store}")
    print(f"corpus: {args.docs} synthetic published needs, precomputed hash vectors (dim 384);")
    print(
        "  Meilisearch's work does not depend on vector content, so latency/indexing figures hold for e5 vectors"
    )
    docs = make_corpus(args.docs)
    for d in docs:
        d["id"] += ID_OFFSET
    emb_s = attach_vectors(docs, load_embedder("hash"))
    print(f"  (hash vectors computed in {emb_s:.1f}s, not part of the indexing figure)")

    with tempfile.TemporaryDirectory(prefix="jiebang-bench-api-") as tmp_name:
        tmp = Path(tmp_name)
        # Started as the app starts its managed instance (same indexing memory setting).
        memory = settings.meili.max_indexing_memory or None
        print(f"meilisearch: --max-indexing-memory {memory or 'default (2/3 of RAM)'}")
        with LocalMeilisearch(tmp / "meili", settings.meili.binary, max_indexing_memory=memory) as meili:
            client = MeiliClient(meili.url, meili.master_key, timeout=60)
            # What the server does at start; its own call is then a no-op.
            ensure_indexes(client, PREFIX, vector_store=args.vector_store)
            idx_s = index_all(client, index_uid(PREFIX, NEEDS), docs)
            corpus_last_uid = int(client.get_tasks(limit=1)["results"][0]["uid"])
            print(
                f"indexing {args.docs} docs (batches of 5000, precomputed vectors): {args.docs / idx_s:,.0f} docs/s ({idx_s:.1f}s)"
            )
            del docs

            server = Server(tmp / "app", meili.url, meili.master_key, args.vector_store)
            try:
                ready_s = server.wait_ready()
                print(
                    f"server: jiebang serve (1 uvicorn process, embedded worker, e5-small) ready in {ready_s:.1f}s at {server.url}"
                )
                ent, bureau = make_people(f"sqlite:///{tmp / 'app' / 'jiebang.db'}")
                db_file = tmp / "app" / "jiebang.db"
                APP_DB.append(db_file)
                run_benchmarks(
                    args, levels, server.url, ent, bureau, lambda: meili_task_summary(client, corpus_last_uid),
                    lambda: outbox_pending(db_file),
                )
                if args.dump_tasks is not None:
                    dump_tasks(client, corpus_last_uid, args.dump_tasks)
            except BaseException:
                print("--- server log tail ---\n" + server.tail(), file=sys.stderr)
                raise
            finally:
                server.stop()
                client.close()
    print(f"\ntotal {time.perf_counter() - started:.0f}s; temporary data removed")


def run_benchmarks(
    args: argparse.Namespace,
    levels: list[int],
    url: str,
    ent: dict[str, str],
    bureau: dict[str, str],
    task_summary: Callable[[], str],
    pending: Callable[[], int] = lambda: 0,
) -> None:
    phrases = query_phrases()
    tracks = list(TRACKS)
    counter = itertools.count()  # shared: no phrase repeats across cases, so hybrid never hits the cache

    def phrase(i: int) -> str:
        return phrases[i % len(phrases)]

    cases = [
        Case("keyword (+5 facets)", lambda i: {"q": phrase(i), "mode": "keyword"}),
        Case("hybrid (e5 query embedding, +5 facets)", lambda i: {"q": phrase(i), "mode": "hybrid"}),
        Case(
            "faceted (keyword + county,track + 5 facets)",
            lambda i: {
                "q": phrase(i),
                "mode": "keyword",
                "county": COUNTIES[i % len(COUNTIES)],
                "track": tracks[i % len(tracks)],
            },
        ),
    ]
    needed = (len(cases) * len(levels)) * (args.queries + 10)
    if needed > len(phrases):
        print(
            f"note: {needed} requests, {len(phrases)} distinct phrases: some hybrid queries may hit the vector cache"
        )

    # The e5 query embedding alone, on the same kind of distinct phrases (this process, server idle).
    e5 = load_embedder("e5")
    e5.embed_queries(["预热"])
    embed_ms = []
    for k in range(min(100, args.queries)):
        t0 = time.perf_counter()
        e5.embed_queries([phrases[-1 - k]])
        embed_ms.append((time.perf_counter() - t0) * 1000)

    results: dict[tuple[int, str], dict[str, Any]] = {}
    limits = httpx.Limits(max_connections=max(levels) * 2, max_keepalive_connections=max(levels) * 2)
    with httpx.Client(base_url=url, timeout=60, limits=limits) as http:
        for conc in levels:
            for case in cases:
                results[(conc, case.name)] = measure(
                    http, case, args.queries, conc, args.case_seconds, counter
                )

        print(
            f"\nlatency through GET /api/v1/search/needs ({args.docs} docs, up to {args.queries} requests per row, "
            "distinct queries; ms)"
        )
        print(
            f"  {'clients':>7}  {'case':<44} {'n':>4} {'p50':>7} {'p95':>7} {'p99':>7} {'mean':>7} {'q/s':>6}"
            f"  {'server p50':>10} {'meili p50':>9}"
        )
        for conc in levels:
            for case in cases:
                r = results[(conc, case.name)]
                print(
                    f"  {conc:>7}  {case.name:<44} {r['n']:>4} {r['p50']:7.1f} {r['p95']:7.1f} {r['p99']:7.1f} "
                    f"{r['mean']:7.1f} {r['qps']:6.1f}  {r['server_p50']:10.1f} {r['meili_p50']:9.0f}"
                )
        print(
            "  (server p50: the route's own search call incl. query embedding; meili p50: Meilisearch processingTimeMs)"
        )
        print(
            f"  e5 query embedding alone (embed_queries, 1 text, idle): p50 {pct(embed_ms, 50):.1f}  "
            f"p95 {pct(embed_ms, 95):.1f} ms"
        )
        if 1 in levels:
            hy = results[(1, cases[1].name)]
            kw = results[(1, cases[0].name)]
            print(
                f"  at 1 client, hybrid p50 {hy['p50']:.1f} ms = keyword p50 {kw['p50']:.1f} + "
                f"{hy['p50'] - kw['p50']:.1f} ms, of which e5 embedding ~{pct(embed_ms, 50):.1f} ms "
                f"({pct(embed_ms, 50) / hy['p50'] * 100:.0f}% of hybrid p50)"
            )

        fresh: list[float] = []
        flows: list[float] = []
        rnd = random.Random(11)
        for _ in range(args.fresh_trials):
            seconds, flow = freshness_trial(http, ent, bureau, token_word(rnd))
            fresh.append(seconds)
            flows.append(flow)
            time.sleep(args.gap)
        # The vectors of the trial needs come in later rounds: wait until the worker has written
        # them (no outbox entry pending), to show they land and when.
        last_publish = time.perf_counter()
        while pending() and time.perf_counter() - last_publish < 300:
            time.sleep(0.2)
        left = pending()
        drained_s = time.perf_counter() - last_publish
    if fresh:
        arr = np.asarray(fresh)
        print(
            f"\nfreshness through the API ({len(fresh)} trials; create, submit, approve, batch, publish, then keyword search):"
        )
        print(
            f"  publish response -> found: p50 {np.percentile(arr, 50):.3f}s  p95 {np.percentile(arr, 95):.3f}s  "
            f"max {arr.max():.3f}s   (API workflow itself: p50 {pct(flows, 50):.2f}s)"
        )
        print("  slowest trials (trial number: seconds): " + ", ".join(
            f"{i + 1}: {fresh[i]:.2f}" for i in sorted(range(len(fresh)), key=lambda i: -fresh[i])[:5]
        ))
        print(
            f"  outbox drained (every vector written) {drained_s:.1f}s after the last trial"
            if not left
            else f"  {left} outbox entries still pending {drained_s:.0f}s after the last trial"
        )
        print("  meilisearch: " + task_summary())

    print(f"\ntargets ({args.docs} docs, vector store {args.vector_store}):")
    if 1 in levels:
        p95 = results[(1, cases[1].name)]["p95"]
        print(
            f"  hybrid p95 < 100 ms at 1 client through the API: {p95:.1f} ms  {'PASS' if p95 < 100 else 'FAIL'}"
        )
    if fresh:
        fp95 = float(np.percentile(np.asarray(fresh), 95))
        print(f"  freshness p95 < 2 s: {fp95:.3f} s  {'PASS' if fp95 < 2 else 'FAIL'}")


if __name__ == "__main__":
    main()
