"""Scale bench: how each user-facing endpoint's cost grows with the data (issue 15).

For each database (SQLite file, PostgreSQL) and each N in ``--sizes`` it builds, in bulk and
deterministically (``--seed``), a database with N needs and N/10 providers (each with capability
items), N/20 enterprises and a bureau; builds the search indexes with the product's reindex and
embedder (vectors of a text computed once for all runs of the bench); starts the real app
(``uvicorn web.asgi:app --workers 2``) and ``jiebang worker``; measures every endpoint with one
client (``--repeat`` requests each), then under ``--users`` concurrent locust users
(bench/load/scale_locustfile.py: mostly reads, some writes) for ``--duration``.

It prints one table: p50/p95 per endpoint and N (single client, then under load), req/s and
errors of each load run, the growth ratio p50(largest N) / p50(smallest N) per endpoint (single
client), and as its last line ``worst growth: <endpoint> <ratio>``.

    python bench/bench_scale.py --sizes 1000,10000            # both databases
    python bench/bench_scale.py --sizes 1000,100000 --db sqlite
    python bench/bench_scale.py --embedder hash --sizes 1000   # quick check of the bench itself

PostgreSQL: ``--pg-url`` (default postgresql://postgres@127.0.0.1:5432/test_scale); its public
schema is dropped and rebuilt for each N.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_load import _free_port, _seconds, _stop, _wait_http  # noqa: E402

API = "/api/v1"
BASE_TIME = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
DEADLINE_BASE = dt.date(2027, 6, 30)

PROBLEMS = [
    ("冲压模具", "在线磨损监测与寿命预测", "减少批量毛刺缺陷"), ("注塑车间", "余热回收与能耗在线监测", "降低单位产品能耗"),
    ("印染废水", "深度处理与中水回用", "降低新鲜水用量"), ("经编车间", "设备联网与MES建设", "实时采集生产数据"),
    ("光伏组件", "隐裂缺陷机器视觉检测", "替代人工目检"), ("造纸车间", "蒸汽节能改造", "降低吨纸汽耗"),
    ("锂电池极片", "涂布厚度在线检测", "提高一致性"), ("化纤纺丝", "断头自动检测", "减少停机时间"),
    ("电机系统", "变频节能改造", "综合节电率提高"), ("锅炉烟气", "余热回收利用", "提高热效率"),
    ("仓储物流", "自动识别与数字化管理", "缩短盘点时间"), ("VOCs废气", "治理与在线监测", "达标排放"),
    ("数控机床", "预测性维护", "减少非计划停机"), ("焊接产线", "焊缝质量视觉检测", "降低返修率"),
    ("空压站", "群控节能", "降低空压能耗"), ("铸造车间", "砂型3D打印工艺", "缩短试制周期"),
]
PLACES = ["一号", "二号", "三号", "新建", "老旧", "智能", "连续", "高速", "精密", "大型"]
FIELDS = ["机器视觉", "工业互联网", "节能技术", "环境工程", "材料科学", "自动化控制", "数据分析", "新能源"]


PROVIDER_KINDS = 64


class DigitBlindEmbedder:
    """The index build's embedder: a text is embedded without its digits (the generated records
    differ in numbers: "（1234）", "年产值约12亿元", "压测揭榜方56号"), each distinct text once.

    With e5 the build embedded 4 passages/s on the loaded 2-core machine: 12,100 distinct texts at
    N = 10,000 (every title carries its number) would take about 50 minutes before anything is
    measured. Without digits there are at most len(PLACES) × len(PROBLEMS) = 160 need texts and
    PROVIDER_KINDS provider texts, whatever N. The stored vectors are e5 vectors of real text
    (the index holds N of them, as at that scale); requests embed their own text as they do in
    production."""

    def __init__(self, inner: Any) -> None:
        import re

        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self._digits = re.compile(r"[0-9]+")

    def _blind(self, texts: Any) -> list[str]:
        return [self._digits.sub("", t) for t in texts]

    def embed_passages(self, texts: Any) -> Any:
        return self.inner.embed_passages(self._blind(texts))

    def embed_queries(self, texts: Any) -> Any:
        return self.inner.embed_queries(self._blind(texts))


def _need_rows(n: int, enterprises: list[tuple[int, int]], rng: random.Random) -> list[dict[str, Any]]:
    from market.vocab import COOPERATION_MODES, COUNTIES, INDUSTRIES

    rows = []
    for i in range(1, n + 1):
        obj, task, goal = PROBLEMS[rng.randrange(len(PROBLEMS))]
        place = PLACES[rng.randrange(len(PLACES))]
        org_id, user_id = enterprises[rng.randrange(len(enterprises))]
        roll = rng.random()
        status = "published" if roll < 0.8 else "submitted" if roll < 0.9 else "taken_up" if roll < 0.95 else "draft"
        created = BASE_TIME + dt.timedelta(minutes=i)
        lo = float(rng.randrange(10, 200))
        rows.append(
            {
                "id": i, "org_id": org_id, "created_by": user_id,
                "title": f"{place}{obj}{task}（{i}）",
                "summary": f"我司{place}{obj}需要{task}，希望{goal}，年产值约{rng.randrange(1, 50)}亿元。",
                "industry": INDUSTRIES[rng.randrange(len(INDUSTRIES))],
                "track": ("digital", "green", "both")[rng.randrange(3)],
                "county": COUNTIES[rng.randrange(len(COUNTIES))],
                "budget_min_wan": lo, "budget_max_wan": lo + rng.randrange(10, 200),
                "deadline": DEADLINE_BASE + dt.timedelta(days=rng.randrange(0, 365)),
                "cooperation_mode": COOPERATION_MODES[rng.randrange(len(COOPERATION_MODES))],
                "anonymous": rng.random() < 0.1,
                "description": f"{obj}现状：设备{rng.randrange(5, 80)}台。", "problem": f"{obj}{task}依靠人工。",
                "indicators": f"{goal}≥{rng.randrange(5, 30)}%", "tried": "", "current_state": "", "expected_outcome": "",
                "contact_name": "王工", "contact_phone": "0573-88888888", "disclosure": "public",
                "confidentiality_terms": "", "status": status,
                "published_at": created if status in ("published", "taken_up") else None,
                "version": 1, "created_at": created, "updated_at": created,
            }
        )
    return rows


def build(url: str, n: int, seed: int) -> dict[str, Any]:
    """Migrate and fill the database in bulk: N needs, N/10 providers with items, N/20 enterprises."""
    from sqlalchemy import insert, text

    from market.db import make_engine
    from market.migrate import upgrade
    from market.needs.models import Need
    from market.orgs import security
    from market.orgs.models import CapabilityItem, Organisation, ProviderProfile, User

    engine = make_engine(url)
    upgrade(engine)
    rng = random.Random(seed)
    pw = security.hash_password("Passw0rd!2026")
    n_ent, n_prov = max(10, n // 20), max(10, n // 10)
    orgs, users, profiles, items = [], [], [], []
    org_id = 0

    def org(kind: str, name: str) -> int:
        nonlocal org_id
        org_id += 1
        orgs.append({"id": org_id, "name": name, "kind": kind, "county": "南湖区", "industry": None, "description": "",
                     "verification": "verified", "created_at": BASE_TIME})
        users.append({"id": org_id, "org_id": org_id, "email": f"u{org_id}@scale.jiebang.cn", "display_name": f"用户{org_id}",
                      "password_hash": pw, "is_active": True, "created_at": BASE_TIME,
                      "roles": ["bureau_admin", "bureau_reviewer"] if kind == "bureau" else ["org_admin", "member"]})
        return org_id

    bureau = org("bureau", "嘉兴市科学技术局（压测）")
    enterprises = [(org("enterprise", f"压测企业{i}号"), 0) for i in range(n_ent)]
    enterprises = [(o, o) for o, _ in enterprises]
    item_id = 0
    providers = []
    for i in range(n_prov):
        pid = org(("university", "institute", "provider")[i % 3], f"压测揭榜方{i}号")
        providers.append(pid)
        # Fields and items from one of PROVIDER_KINDS archetypes (numbers aside): a bounded set of
        # distinct profile texts to embed, whatever N (see DigitBlindEmbedder).
        kind_rng = random.Random(seed * 1000 + i % PROVIDER_KINDS)
        fields = kind_rng.sample(FIELDS, 2)
        profiles.append({"id": len(profiles) + 1, "org_id": pid, "fields": fields, "industries": [], "tracks": ["digital", "green"],
                         "summary": f"长期从事{'、'.join(fields)}研究与产业化。", "team": "", "track_record": rng.randrange(0, 20),
                         "updated_at": BASE_TIME})
        for _ in range(kind_rng.randrange(3, 8)):
            item_id += 1
            obj, task, _goal = PROBLEMS[kind_rng.randrange(len(PROBLEMS))]
            items.append({"id": item_id, "profile_id": len(profiles), "kind": "project", "title": f"{obj}{task}项目",
                          "description": f"为{rng.randrange(2, 30)}家企业实施{task}。", "year": 2020 + rng.randrange(6)})
    needs = _need_rows(n, enterprises, rng)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        for model, rows in ((Organisation, orgs), (User, users), (ProviderProfile, profiles), (CapabilityItem, items), (Need, needs)):
            for i in range(0, len(rows), 2000):
                conn.execute(insert(model), rows[i : i + 2000])
        if engine.dialect.name == "postgresql":
            for table in ("organisations", "users", "provider_profiles", "capability_items", "needs"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    engine.dispose()
    return {
        "built_s": time.perf_counter() - t0, "bureau_user": bureau, "enterprise_users": [u for _, u in enterprises[:20]],
        "provider_users": providers[:20], "providers": providers,
        "published": [r["id"] for r in needs if r["status"] in ("published", "taken_up")],
    }


def index(url: str, meili_url: str, key: str, prefix: str, embedder: Any) -> float:
    from market.db import make_engine, make_sessionmaker
    from search.client import MeiliClient
    from search.indexes import ensure_indexes
    from search.reindex import reindex

    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    client = MeiliClient(meili_url, key, timeout=120)
    ensure_indexes(client, prefix, embedder.dim, timeout=600)
    t0 = time.perf_counter()
    for name in ("needs", "needs_all", "providers"):
        reindex(factory, client, embedder, prefix, name, progress=False)
    client.close()
    engine.dispose()
    return time.perf_counter() - t0


def tokens(url: str, user_ids: list[int]) -> dict[int, str]:
    from market.db import make_engine, make_sessionmaker, session_scope
    from market.orgs import service
    from market.orgs.models import User

    engine = make_engine(url)
    out = {}
    with session_scope(make_sessionmaker(engine)) as s:
        for uid in user_ids:
            user = s.get(User, uid)
            assert user is not None
            out[uid] = service.issue_token(s, user, 24)[0]
    engine.dispose()
    return out


NEW_NEED = {
    "title": "压测需求：产线能耗在线监测与节能改造", "summary": "希望对注塑车间进行能耗在线监测，识别高耗能设备并给出节能改造方案。",
    "industry": "汽车制造", "track": "green", "county": "南湖区", "budget_min_wan": 20.0, "budget_max_wan": 80.0,
    "deadline": "2027-12-31", "cooperation_mode": "技术开发", "anonymous": False, "description": "注塑机 40 台。",
    "problem": "缺少分项计量。", "indicators": "节能率≥10%", "tried": "", "current_state": "", "expected_outcome": "",
    "contact_name": "王工", "contact_phone": "0573-88888888", "disclosure": "public", "confidentiality_terms": "",
}
RESPONSE = {"approach": "基于多源传感数据融合的在线监测方案，边缘端部署。", "team": "教授 1 名。", "timeline": "6 个月。", "price_wan": 60}


def endpoints(info: dict[str, Any], tok: dict[int, str], rng: random.Random) -> list[tuple[str, Any]]:
    """(name, callable(client, i)) for every user-facing endpoint; the same names the locustfile uses."""
    bureau = {"Authorization": f"Bearer {tok[info['bureau_user']]}"}
    ent = {"Authorization": f"Bearer {tok[info['enterprise_users'][0]]}"}
    provs = info["provider_users"]
    pub, deep = info["published"], max(1, len(info["published"]) // 20 - 5)
    seen: set[tuple[int, int]] = set()

    def respond(c: httpx.Client, i: int) -> httpx.Response:
        while True:
            p, need = provs[rng.randrange(len(provs))], pub[rng.randrange(len(pub))]
            if (p, need) not in seen:
                seen.add((p, need))
                return c.post(f"{API}/needs/{need}/responses", json=RESPONSE, headers={"Authorization": f"Bearer {tok[p]}"})

    deep_after: list[str] = []

    def deep_page(c: httpx.Client, i: int) -> httpx.Response:
        # The page at offset (deep - 1) * 20 reached as a client does: by the keyset cursor
        # (``after``), walked once in pages of 100 (offsets beyond MAX_OFFSET are refused).
        if not deep_after:
            after, rows = None, 0
            while rows < (deep - 1) * 20:
                params: dict[str, Any] = {"per_page": min(100, (deep - 1) * 20 - rows)}
                if after:
                    params["after"] = after
                body = c.get(f"{API}/needs", params=params).json()
                rows += len(body["items"])
                after = body.get("next_after")
                if not after:
                    break
            deep_after.append(after or "")
        params = {"per_page": 20, **({"after": deep_after[0]} if deep_after[0] else {})}
        return c.get(f"{API}/needs", params=params)

    def post_need(c: httpx.Client, i: int) -> httpx.Response:
        return c.post(f"{API}/needs", json={**NEW_NEED, "title": f"压测需求{rng.randrange(10**9)}：产线能耗在线监测"}, headers=ent)

    return [
        ("needs list", lambda c, i: c.get(f"{API}/needs", params={"per_page": 20, "page": 1 + i % 5})),
        ("needs list filtered", lambda c, i: c.get(f"{API}/needs", params={"industry": "汽车制造", "county": "南湖区", "order": "deadline"})),
        ("needs list deep page", deep_page),
        ("need page (API)", lambda c, i: c.get(f"{API}/needs/{pub[rng.randrange(len(pub))]}")),
        ("need page (HTML)", lambda c, i: c.get(f"/needs/{pub[rng.randrange(len(pub))]}")),
        ("search keyword", lambda c, i: c.get(f"{API}/search/needs", params={"q": PROBLEMS[i % len(PROBLEMS)][1], "mode": "keyword"})),
        ("search hybrid", lambda c, i: c.get(f"{API}/search/needs", params={"q": f"想做{PROBLEMS[i % len(PROBLEMS)][1]}", "mode": "hybrid"})),
        ("search faceted", lambda c, i: c.get(f"{API}/search/needs", params={"q": PROBLEMS[i % len(PROBLEMS)][0], "mode": "keyword", "industry": ["汽车制造"], "county": ["南湖区"]})),
        ("search providers", lambda c, i: c.get(f"{API}/search/providers", params={"q": FIELDS[i % len(FIELDS)], "mode": "hybrid"})),
        ("recommend providers", lambda c, i: c.get(f"{API}/needs/{pub[rng.randrange(len(pub))]}/recommended-providers", headers=bureau)),
        ("recommend needs", lambda c, i: c.get(f"{API}/providers/{provs[i % len(provs)]}/recommended-needs", headers={"Authorization": f"Bearer {tok[provs[i % len(provs)]]}"})),
        ("duplicate check", lambda c, i: c.post(f"{API}/needs/duplicates", json={**NEW_NEED, "title": f"{PLACES[i % len(PLACES)]}{PROBLEMS[i % len(PROBLEMS)][0]}{PROBLEMS[i % len(PROBLEMS)][1]}"}, headers=ent)),
        ("post need", post_need),
        ("respond", respond),
        ("progress dashboard", lambda c, i: c.get(f"{API}/progress")),
        ("progress Excel", lambda c, i: c.get(f"{API}/progress/report.xlsx")),
        ("review queue", lambda c, i: c.get(f"{API}/needs/review-queue", headers=bureau)),
        ("export needs", lambda c, i: c.get(f"{API}/exports/needs.xlsx", params={"industry": "汽车制造", "county": "南湖区"})),
    ]


def single_client(base: str, eps: list[tuple[str, Any]], repeat: int) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    with httpx.Client(base_url=base, timeout=120) as c:
        for name, call in eps:
            times, errors = [], 0
            for i in range(repeat + 2):
                t0 = time.perf_counter()
                r = call(c, i)
                ms = (time.perf_counter() - t0) * 1000
                if r.status_code >= 400:
                    errors += 1
                    if errors == 1:
                        print(f"    {name}: HTTP {r.status_code} {r.text[:200]}")
                if i >= 2:  # two warm-up calls
                    times.append(ms)
            times.sort()
            out[name] = {"p50": statistics.median(times), "p95": times[min(len(times) - 1, int(0.95 * len(times)))], "errors": errors}
    return out


def under_load(base: str, info: dict[str, Any], tok: dict[int, str], args: argparse.Namespace, work: Path) -> dict[str, Any]:
    data = work / "scale_tokens.json"
    data.write_text(json.dumps({
        "bureau": tok[info["bureau_user"]], "enterprises": [tok[u] for u in info["enterprise_users"]],
        "providers": {str(p): tok[p] for p in info["provider_users"]}, "published": info["published"],
        "new_need": NEW_NEED, "response": RESPONSE, "problems": PROBLEMS, "fields": FIELDS,
    }, ensure_ascii=False))
    prefix = work / "locust"
    cmd = [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "load" / "scale_locustfile.py"), "--headless",
           "-u", str(args.users), "-r", str(max(1, args.users // 2)), "-t", args.duration, "--host", base,
           "--csv", str(prefix), "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING"]
    subprocess.run(cmd, cwd=ROOT, env={**os.environ, "JIEBANG_SCALE_DATA": str(data)}, check=False,
                   timeout=_seconds(args.duration) + 120, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = {r["Name"]: r for r in csv.DictReader(open(f"{prefix}_stats.csv", encoding="utf-8"))}  # noqa: SIM115
    agg = rows.pop("Aggregated", {})
    return {
        "rows": {k: {"p50": float(v["50%"]), "p95": float(v["95%"]), "errors": int(v["Failure Count"]), "n": int(v["Request Count"])} for k, v in rows.items()},
        "rps": float(agg.get("Requests/s", 0) or 0), "errors": int(agg.get("Failure Count", 0) or 0), "requests": int(agg.get("Request Count", 0) or 0),
    }


def reset_pg(url: str) -> None:
    from sqlalchemy import create_engine, text

    eng = create_engine(url, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    eng.dispose()


def run(db: str, n: int, args: argparse.Namespace, embedder: Any, meili: Any) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix=f"jiebang-scale-{db}-{n}-"))
    if db == "sqlite":
        url = f"sqlite:///{work / 'jiebang.db'}"
    else:
        url = args.pg_url.replace("postgresql://", "postgresql+psycopg://", 1)
        reset_pg(url)
    prefix = f"scale{n}{db[:2]}{int(time.time()) % 100000}_"
    info = build(url, n, args.seed)
    indexed_s = index(url, meili.url, meili.master_key, prefix, embedder)
    print(f"[{db} N={n}] built in {info['built_s']:.1f}s, indexed in {indexed_s:.1f}s", flush=True)
    tok = tokens(url, [info["bureau_user"], *info["enterprise_users"], *info["provider_users"]])
    env = {**os.environ, "DATABASE_URL": url, "MEILI_URL": meili.url, "MEILI_MASTER_KEY": meili.master_key,
           "JIEBANG_DATA_DIR": str(work), "JIEBANG_MEILI__INDEX_PREFIX": prefix, "JIEBANG_EMBEDDING__BACKEND": args.embedder,
           "JIEBANG_EMBEDDED_WORKER": "false", "JIEBANG_AUTH__SECRET_KEY": "scale-secret", "PYTHONPATH": str(ROOT)}
    log = open(work / "server.log", "wb")  # noqa: SIM115 - closed with the processes
    port = _free_port()
    procs = [
        subprocess.Popen([sys.executable, "-m", "uvicorn", "web.asgi:app", "--host", "127.0.0.1", "--port", str(port), "--workers",
                          str(args.workers), "--log-level", "warning", "--no-access-log"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT),
        subprocess.Popen([sys.executable, "-c", "from web.cli import main; main()", "worker", "--poll-interval", "0.5"],
                         cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT),
    ]
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_http(f"{base}/healthz", timeout=300)
        eps = endpoints(info, tok, random.Random(args.seed))
        single = single_client(base, eps, args.repeat)
        load = under_load(base, info, tok, args, work) if args.users > 0 else {"rows": {}, "rps": 0.0, "errors": 0, "requests": 0}
        print(f"[{db} N={n}] measured; load: {load['requests']} requests, {load['rps']:.1f} req/s, {load['errors']} errors", flush=True)
        return {"single": single, "load": load}
    finally:
        for p in procs:
            _stop(p)
        log.close()


def table(results: dict[tuple[str, int], dict[str, Any]], sizes: list[int], dbs: list[str]) -> tuple[str, float]:
    worst = ("", 0.0)
    for db in dbs:
        names = list(results[(db, sizes[0])]["single"])
        head = "".join(f" | N={n:>6} 1c p50/p95 | 50u p50/p95" for n in sizes)
        print(f"\n=== {db} === (ms)\n{'endpoint':24s}{head} | growth")
        for name in names:
            cells = ""
            for n in sizes:
                s = results[(db, n)]["single"][name]
                ld = results[(db, n)]["load"]["rows"].get(name)
                lc = f"{ld['p50']:>6.0f}/{ld['p95']:<6.0f}" if ld else f"{'-':>6}/{'-':<6}"
                err = f" E{int(s['errors'])}" if s["errors"] else ""
                cells += f" | {s['p50']:>8.1f}/{s['p95']:<8.1f}{err:4s} | {lc}"
            growth = results[(db, sizes[-1])]["single"][name]["p50"] / max(results[(db, sizes[0])]["single"][name]["p50"], 0.1)
            if growth > worst[1]:
                worst = (f"{db}:{name}", growth)
            print(f"{name:24s}{cells} | {growth:5.2f}")
        for n in sizes:
            ld = results[(db, n)]["load"]
            errs = sum(int(v["errors"]) for v in results[(db, n)]["single"].values())
            print(f"N={n}: 50-user mix {ld['rps']:.1f} req/s, {ld['requests']} requests, {ld['errors']} errors; single-client errors {errs}")
    return worst


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--pg-url", default=os.environ.get("JIEBANG_SCALE_PG_URL", "postgresql://postgres@127.0.0.1:5432/test_scale"))
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--repeat", type=int, default=10, help="single-client requests per endpoint (after 2 warm-ups)")
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--duration", default="30s")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--embedder", default="e5", choices=["e5", "hash"])
    args = ap.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]

    from market.settings import get_settings
    from matching.embedders import CachedEmbedder, load_embedder
    from search.process import LocalMeilisearch

    # One cache for the whole bench: the same deterministic texts are embedded once for all runs.
    embedder = DigitBlindEmbedder(CachedEmbedder(load_embedder(args.embedder), max_entries=10**7))
    meili = LocalMeilisearch(Path(tempfile.mkdtemp(prefix="jiebang-scale-meili-")), get_settings().meili.binary).start()
    started = time.perf_counter()
    results: dict[tuple[str, int], dict[str, Any]] = {}
    try:
        for n in sizes:
            for db in dbs:
                results[(db, n)] = run(db, n, args, embedder, meili)
    finally:
        meili.stop()
    print(f"\nbench_scale --sizes {args.sizes} --db {args.db} --embedder {args.embedder} --users {args.users} "
          f"--duration {args.duration}: {time.perf_counter() - started:.0f} s")
    worst = table(results, sizes, dbs)
    print(f"worst growth: {worst[0]} {worst[1]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
