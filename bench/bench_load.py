"""Load test: the real app (2 uvicorn workers) on a seeded database and a real Meilisearch.

For each database (a SQLite file, then a fresh PostgreSQL database on the local server) this
script seeds the demo corpus, builds the search indexes, starts a Meilisearch, the outbox
worker and ``uvicorn web.asgi:app --workers 2`` on a loopback port, signs users in through
``POST /api/v1/auth/token``, runs locust headless (bench/load/locustfile.py: browse, search
keyword/hybrid, recommend, post a need, respond to a need) and prints throughput, p50/p95/p99
per endpoint and the error count. Everything it starts is stopped before it returns.

    python bench/bench_load.py                      # both databases, 50 users, 2 minutes each
    python bench/bench_load.py --db sqlite --users 20 --duration 30s
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "jiebang_bench"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _fresh_pg() -> str:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {PG_BENCH_DB}"))
    admin.dispose()
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_BENCH_DB}"


def _drop_pg() -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)"))
    admin.dispose()


def _seed(url: str, meili_url: str, meili_key: str, prefix: str, backend: str) -> dict[str, Any]:
    """Migrate, seed the demo corpus, build the indexes; return what the load needs to know."""
    from sqlalchemy import select

    from demo.corpus import generate_corpus
    from demo.seed import seed_demo
    from market.db import make_engine, make_sessionmaker, session_scope
    from market.migrate import upgrade
    from market.needs.models import Need
    from market.orgs.models import Organisation
    from market.outbox.models import OutboxEntry
    from market.responses.models import Response
    from matching.embedders import load_embedder
    from search.client import MeiliClient
    from search.indexes import ensure_indexes
    from search.reindex import reindex

    engine = make_engine(url)
    upgrade(engine)
    factory = make_sessionmaker(engine)
    corpus = generate_corpus(2026)
    t0 = time.perf_counter()
    with session_scope(factory) as s:
        report = seed_demo(s, corpus, progress=False)
    print(f"  seeded in {time.perf_counter() - t0:.1f}s: {report}")
    embedder = load_embedder(backend)
    client = MeiliClient(meili_url, meili_key, timeout=60)
    ensure_indexes(client, prefix, embedder.dim, timeout=120)
    t0 = time.perf_counter()
    for name in ("needs", "needs_all", "providers"):
        reindex(factory, client, embedder, prefix, name, progress=False)
    with session_scope(factory) as s:  # the reindex covered what the seed queued
        s.query(OutboxEntry).update({"status": "done"})
    print(f"  indexed in {time.perf_counter() - t0:.1f}s")
    client.close()

    today = dt.date.today()
    with session_scope(factory) as s:
        open_needs = list(
            s.scalars(
                select(Need.id).where(
                    Need.status.in_(["published", "taken_up"]),
                    Need.disclosure == "public",
                    Need.deadline >= today,
                )
            )
        )
        published = list(
            s.scalars(
                select(Need.id).where(
                    Need.status.in_(["published", "taken_up", "selected", "contracted", "converted"])
                )
            )
        )
        providers = list(
            s.scalars(
                select(Organisation.id).where(
                    Organisation.kind.in_(["university", "institute", "provider"]),
                    Organisation.verification == "verified",
                )
            )
        )
        responded = {(o, n) for o, n in s.execute(select(Response.org_id, Response.need_id))}
    engine.dispose()
    return {
        "corpus": corpus,
        "open_needs": open_needs,
        "published": published or open_needs,
        "providers": providers,
        "responded": responded,
    }


def _users(corpus: Any, n_ent: int, n_prov: int) -> tuple[list[Any], list[Any]]:
    verified = {o.key for o in corpus.enterprises} | {p.key for p in corpus.providers}
    kinds = {o.key: "enterprise" for o in corpus.enterprises} | {p.key: "provider" for p in corpus.providers}
    ents, provs, seen = [], [], set()
    for u in corpus.users:
        if u.org_key not in verified or u.org_key in seen or u.role != "org_admin":
            continue
        seen.add(u.org_key)
        (ents if kinds[u.org_key] == "enterprise" else provs).append(u)
    return ents[:n_ent], provs[:n_prov]


def _wait_http(url: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up")


def _login(base: str, users: list[Any]) -> tuple[list[str], dict[str, int]]:
    tokens, org_of = [], {}
    with httpx.Client(base_url=base, timeout=30) as c:
        for u in users:
            r = c.post("/api/v1/auth/token", json={"email": u.email, "password": u.password})
            if r.status_code == 429:  # the per-address sign-in limit: wait for the window
                time.sleep(61)
                r = c.post("/api/v1/auth/token", json={"email": u.email, "password": u.password})
            r.raise_for_status()
            tok = r.json()["access_token"]
            me = c.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {tok}"}).json()
            tokens.append(tok)
            org_of[tok] = me["org"]["id"]
    return tokens, org_of


def _stop(proc: subprocess.Popen[bytes] | None, grace: float = 15.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def run_one(db: str, args: argparse.Namespace, out_dir: Path) -> dict[str, Any]:
    from market.settings import get_settings
    from search.process import LocalMeilisearch

    work = Path(tempfile.mkdtemp(prefix=f"jiebang-load-{db}-"))
    url = f"sqlite:///{work / 'jiebang.db'}" if db == "sqlite" else _fresh_pg()
    meili = LocalMeilisearch(work / "meili", get_settings().meili.binary).start()
    prefix = f"load{int(time.time())}_"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        print(f"[{db}] seeding {url.split('@')[-1]}")
        seeded = _seed(url, meili.url, meili.master_key, prefix, args.index_embedder or args.embedder)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "MEILI_URL": meili.url,
            "MEILI_MASTER_KEY": meili.master_key,
            "JIEBANG_DATA_DIR": str(work),
            "JIEBANG_MEILI__INDEX_PREFIX": prefix,
            "JIEBANG_EMBEDDING__BACKEND": args.embedder,
            "JIEBANG_EMBEDDED_WORKER": "false",
            "JIEBANG_AUTH__SECRET_KEY": "load-test-secret",
            "PYTHONPATH": str(ROOT),
        }
        log = open(work / "server.log", "wb")  # noqa: SIM115 - closed with the processes
        port = _free_port()
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "web.asgi:app",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--workers",
                    str(args.workers),
                    "--log-level",
                    "warning",
                    "--no-access-log",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "from web.cli import main; main()",
                    "worker",
                    "--poll-interval",
                    "0.5",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        base = f"http://127.0.0.1:{port}"
        _wait_http(f"{base}/healthz")
        ents, provs = _users(seeded["corpus"], args.enterprises, args.providers)
        ent_tokens, _ = _login(base, ents)
        prov_tokens, org_of = _login(base, provs)
        respondable = {
            tok: [n for n in seeded["open_needs"] if (org_of[tok], n) not in seeded["responded"]]
            for tok in prov_tokens
        }
        paths = httpx.get(f"{base}/openapi.json").json()["paths"]
        rec = next((p for p in paths if "recommended-needs" in p), None)
        tokens_file = work / "tokens.json"
        tokens_file.write_text(
            json.dumps(
                {
                    "enterprise_tokens": ent_tokens,
                    "provider_tokens": prov_tokens,
                    "respondable": respondable,
                    "published_need_ids": seeded["published"],
                    "provider_org_ids": seeded["providers"],
                    "deadline": (dt.date.today() + dt.timedelta(days=180)).isoformat(),
                    "recommend_path": rec.replace("{org_id}", "{id}") if rec else None,
                    "provider_org_of": org_of,
                },
                ensure_ascii=False,
            )
        )
        print(
            f"[{db}] {len(ent_tokens)} enterprise + {len(prov_tokens)} provider sign-ins; "
            f"{len(seeded['open_needs'])} open needs; recommend route: {rec or 'absent'}"
        )
        csv_prefix = out_dir / db
        cmd = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(ROOT / "bench" / "load" / "locustfile.py"),
            "--headless",
            "-u",
            str(args.users),
            "-r",
            str(args.spawn_rate),
            "-t",
            args.duration,
            "--host",
            base,
            "--csv",
            str(csv_prefix),
            "--only-summary",
            "--stop-timeout",
            "10",
            "--loglevel",
            "WARNING",
        ]
        print(f"[{db}] locust: {args.users} users for {args.duration}")
        subprocess.run(
            cmd,
            cwd=ROOT,
            env={**os.environ, "JIEBANG_LOAD_TOKENS": str(tokens_file)},
            check=False,
            timeout=_seconds(args.duration) + 120,
            stdout=subprocess.DEVNULL,
        )
        try:
            health = httpx.get(f"{base}/healthz", timeout=60).json()
        except httpx.HTTPError as exc:
            health = {"error": repr(exc)}
        stats = _read_stats(csv_prefix)
        stats["healthz"] = health
        stats["server_errors_logged"] = (work / "server.log").read_text(errors="replace").count("Traceback")
        return stats
    finally:
        for p in procs:
            _stop(p)
        meili.stop()
        if db == "postgresql":
            _drop_pg()


def _seconds(duration: str) -> int:
    unit = duration[-1]
    n = int(duration[:-1]) if unit in "smh" else int(duration)
    return n * {"s": 1, "m": 60, "h": 3600}.get(unit, 1)


def _read_stats(prefix: Path) -> dict[str, Any]:
    rows = list(csv.DictReader(open(f"{prefix}_stats.csv", encoding="utf-8")))  # noqa: SIM115
    failures = list(csv.DictReader(open(f"{prefix}_failures.csv", encoding="utf-8")))  # noqa: SIM115
    return {"rows": rows, "failures": failures}


def _print_table(db: str, stats: dict[str, Any]) -> None:
    print(f"\n=== {db} ===")
    print(
        f"{'endpoint':40s} {'reqs':>7s} {'fails':>6s} {'req/s':>7s} {'p50':>6s} {'p95':>6s} {'p99':>6s}  (ms)"
    )
    for r in stats["rows"]:
        name = r["Name"] if r["Name"] != "Aggregated" else "TOTAL"
        print(
            f"{name:40s} {r['Request Count']:>7s} {r['Failure Count']:>6s} {float(r['Requests/s']):7.1f} "
            f"{r['50%']:>6s} {r['95%']:>6s} {r['99%']:>6s}"
        )
    for f in stats["failures"]:
        print(f"  FAILURE {f['Method']} {f['Name']}: {f['Occurrences']}× {f['Error'][:200]}")
    print(
        f"server tracebacks logged: {stats['server_errors_logged']}; healthz after run: {json.dumps(stats['healthz'], ensure_ascii=False)[:300]}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--spawn-rate", type=int, default=10)
    ap.add_argument("--duration", default="2m")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--enterprises", type=int, default=10)
    ap.add_argument("--providers", type=int, default=10)
    ap.add_argument(
        "--embedder",
        default="e5",
        choices=["e5", "hash"],
        help="embedder of the servers and the worker (query and new-need vectors)",
    )
    ap.add_argument(
        "--index-embedder",
        default=None,
        choices=["e5", "hash"],
        help="embedder for the initial reindex (default: --embedder; 'hash' saves minutes of CPU on small machines)",
    )
    ap.add_argument("--out", type=Path, default=None, help="folder for the locust CSV files")
    args = ap.parse_args()
    out_dir = args.out or Path(tempfile.mkdtemp(prefix="jiebang-load-out-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    total_errors = 0
    results = {}
    for db in dbs:
        results[db] = run_one(db, args, out_dir)
        _print_table(db, results[db])
        agg = next(r for r in results[db]["rows"] if r["Name"] == "Aggregated")
        total_errors += int(agg["Failure Count"])
    (out_dir / "summary.json").write_text(
        json.dumps({k: v["rows"] for k, v in results.items()}, ensure_ascii=False, indent=1)
    )
    print(f"\nCSV and summary in {out_dir}; errors in total: {total_errors}")
    return 1 if total_errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
