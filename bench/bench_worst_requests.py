"""The worst request of each kind that issue 14 found expensive, through the HTTP app (issue 14, findings 1-4).

Run:  python bench/bench_worst_requests.py [--repeat 3]

* A temporary data directory: SQLite database (migrated), a managed local Meilisearch, the default
  e5-small embedder, the demo data set loaded and its need indexes built (the providers' index is not read by any case). The app is
  the production app (``web.app.create_app``) driven in-process through Starlette's TestClient, so
  every middleware, validator and limit is on the path.
* Each case sends the largest request the API accepts today (the caps of docs/security.md, API4),
  and times the answer. Goal: each ≤ 1 s on this machine. A case over its goal is printed with its
  figure; nothing is hidden.
* The cases: the duplicate check of an unverified, self-registered account with a 5,000-character
  problem (API and the page's hint), the provider's recommended needs after saving the largest
  profile the API accepts (20 items, 60 + 1,000 characters each; ``limit=50``), anonymous hybrid
  search with a new random 200-character query and ``per_page=100``, registration (one argon2 hash),
  and an Excel import of a small file that unpacks to 200,000 empty rows.
* Each row also gives the CPU seconds this process spent on the best warm request and the load
  average: on a shared machine the wall time is the CPU time stretched by the load.
* The first timing of each case is a cold one (jieba's dictionary, the model and caches warm up in
  the first request of a fresh process); the table gives the cold time and the best of the
  ``--repeat`` later ones (each later one with a new random text, so no cache hides the work).
  Per-client limits are lifted for the bench (they would answer 429, which is their job, not the
  cost this bench measures).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from fastapi.testclient import TestClient  # noqa: E402

from market.orgs.schemas import ITEM_DESCRIPTION_MAX, ITEM_TITLE_MAX, ITEMS_MAX  # noqa: E402
from market.settings import CallLimit, Settings  # noqa: E402
from web.app import create_app  # noqa: E402
from web.runtime import open_runtime  # noqa: E402

API = "/api/v1"
WORDS = "冲压 模具 磨损 在线 监测 寿命 预测 视觉 检测 光伏 隐裂 能耗 优化 余热 回收 数字孪生 产线 排产 质量 追溯 焊接 缺陷 电机 能效 污水 处理 膜 分离 涂装 废气 治理".split()
PASSWORD = "Bench-Passw0rd!2026"
DEMO_PROVIDER = ("jiebang@demo.jiebang.cn", "Demo@2026")


def chinese_text(rng: random.Random, chars: int) -> str:
    out = ""
    while len(out) < chars:
        out += "".join(rng.sample(WORDS, 6)) + "，"
    return out[:chars]


def need_body(rng: random.Random, problem_chars: int) -> dict[str, object]:
    return {
        "title": chinese_text(rng, 30), "summary": chinese_text(rng, 200), "industry": "汽车制造", "track": "digital",
        "county": "南湖区", "cooperation_mode": "技术开发", "problem": chinese_text(rng, problem_chars),
    }


def empty_rows_workbook(rows: int) -> bytes:
    """A valid .xlsx whose one sheet has a header and ``rows`` empty rows: a few KB zipped."""
    from market.needs.importer import COLUMNS

    header = "".join(f'<c t="inlineStr"><is><t>{name}</t></is></c>' for name in COLUMNS)
    body = '<row r="1">' + header + "</row>" + "".join(f'<row r="{i}"/>' for i in range(2, rows + 2))
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{body}</sheetData></worksheet>"
    )
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>",
        "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>",
        "xl/workbook.xml": '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="需求" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>",
        "xl/worksheets/sheet1.xml": sheet,
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, text in parts.items():
            z.writestr(name, text)
    return buf.getvalue()


def token(client: TestClient, email: str, password: str) -> dict[str, str]:
    r = client.post(f"{API}/auth/token", json={"email": email, "password": password})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def timed(send: Callable[[], object]) -> tuple[float, float, int]:
    """Wall seconds, this process's CPU seconds (every thread: the app runs in the TestClient's;
    Meilisearch, a process of its own, is not counted) and the status."""
    start, cpu = time.perf_counter(), time.process_time()
    r = send()
    return time.perf_counter() - start, time.process_time() - cpu, int(getattr(r, "status_code", 0))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cases", default="", help="comma-separated case names to run (default all), e.g. 'duplicates (API),recommended needs'")
    args = ap.parse_args()
    wanted = {c.strip() for c in args.cases.split(",") if c.strip()}
    rng = random.Random(14)
    with tempfile.TemporaryDirectory(prefix="jiebang-worst-") as tmp:
        settings = Settings(JIEBANG_DATA_DIR=tmp)  # type: ignore[call-arg]
        lifted = CallLimit(calls=1_000_000, window_s=60)
        settings.limits.registration = settings.limits.anonymous_search = settings.limits.unverified_duplicates = lifted
        settings.auth.login_attempts_per_address = 1_000_000
        print(f"data directory {tmp}; loading and indexing the demo data …", flush=True)
        with open_runtime(settings) as rt:
            from demo.corpus import generate_corpus
            from demo.seed import seed_demo
            from market.db import session_scope
            from search.reindex import reindex

            with session_scope(rt.session_factory) as session:
                seed_demo(session, generate_corpus(2026))
            assert rt.meili is not None
            # The need indexes are what the cases search; the providers' index (minutes of
            # embedding on a small machine) is not read by any case, so it stays empty.
            for name in ("needs", "needs_all"):
                reindex(rt.session_factory, rt.meili, rt.embedder, rt.index_prefix, name, progress=False)
            app = create_app(runtime=rt, start_worker=False)
            with TestClient(app) as client:
                rows: list[tuple[str, str, float, float, float, int, float]] = []

                # An unverified, self-registered account (finding 1).
                email = "worst-case@example.com"
                reg = {"org_name": "嘉兴最坏请求测试有限公司", "org_kind": "enterprise", "email": email, "display_name": "测试", "password": PASSWORD}
                assert client.post(f"{API}/auth/register", json=reg).status_code == 202
                unverified = token(client, email, PASSWORD)

                def run(name: str, what: str, send: Callable[[], object]) -> None:
                    if wanted and name not in wanted:
                        return
                    cold, _, status = timed(send)
                    warm, cpu, _ = min(timed(send) for _ in range(args.repeat))
                    load = os.getloadavg()[0]
                    rows.append((name, what, cold, warm, cpu, status, load))
                    print(f"  {name}: {status} cold {cold:.3f} s, warm {warm:.3f} s (CPU {cpu:.3f} s), load {load:.1f}", flush=True)

                run(
                    "duplicates (API)", "unverified account, problem 5,000 chars",
                    lambda: client.post(f"{API}/needs/duplicates", json=need_body(rng, 5000), headers=unverified),
                )
                # The page's duplicate hint, signed in through cookies as a browser is.
                client.cookies.set("jiebang_session", unverified["Authorization"].removeprefix("Bearer "))
                client.get("/enterprise")
                csrf = client.cookies.get("jiebang_csrf") or ""

                def page_hint() -> object:
                    body = need_body(rng, 5000)
                    return client.post(
                        "/enterprise/needs/duplicates", data={**body, "csrf_token": csrf}, headers={"HX-Request": "true"}
                    )

                run("duplicates (page hint)", "unverified account, problem 5,000 chars", page_hint)
                client.cookies.clear()

                # The largest profile the API accepts, then its recommendations (finding 2).
                provider = token(client, *DEMO_PROVIDER)
                me = client.get(f"{API}/auth/me", headers=provider).json()
                org_id = me["org"]["id"]

                def big_profile_then_recommend() -> object:
                    items = [
                        {"kind": "project", "title": chinese_text(rng, ITEM_TITLE_MAX), "description": chinese_text(rng, ITEM_DESCRIPTION_MAX)}
                        for _ in range(ITEMS_MAX)
                    ]
                    r = client.put(f"{API}/providers/{org_id}", json={"summary": chinese_text(rng, 500), "items": items}, headers=provider)
                    assert r.status_code == 200, r.text
                    return client.get(f"{API}/providers/{org_id}/recommended-needs", params={"limit": 50}, headers=provider)

                # The PUT is a write (timed with it: it is what defeats any cache).
                run("recommended needs", f"after PUT of {ITEMS_MAX} items × {ITEM_TITLE_MAX}+{ITEM_DESCRIPTION_MAX} chars, limit=50", big_profile_then_recommend)

                # Anonymous hybrid search with a new random query (finding 3).
                run(
                    "hybrid search (anonymous)", "new random 200-char q, per_page=100",
                    lambda: client.get(f"{API}/search/needs", params={"q": chinese_text(rng, 200), "mode": "hybrid", "per_page": 100}),
                )
                counter = iter(range(1_000_000))

                def register() -> object:
                    n = next(counter)
                    body = {**reg, "org_name": f"嘉兴注册压测{n}号有限公司", "email": f"reg{n}@example.com"}
                    return client.post(f"{API}/auth/register", json=body)

                run("register", "one argon2 hash", register)

                # An Excel import of a few KB that unpacks to 200,000 empty rows (finding 4).
                bureau = token(client, "kejiju@demo.jiebang.cn", "Demo@2026")
                bomb = empty_rows_workbook(200_000)
                xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                run(
                    "Excel import", f"{len(bomb) // 1024} KB unpacking to 200,000 empty rows",
                    lambda: client.post(f"{API}/imports/needs", files={"file": ("needs.xlsx", bomb, xlsx)}, headers=bureau),
                )

    print()
    print(f"| request | worst case | status | cold (s) | warm, best of {args.repeat} (s) | its CPU (s) | load | goal ≤ 1 s |")
    print("|---|---|---|---|---|---|---|---|")
    for name, what, cold, warm, cpu, status, load in rows:
        print(f"| {name} | {what} | {status} | {cold:.3f} | {warm:.3f} | {cpu:.3f} | {load:.1f} | {'met' if warm <= 1.0 else 'NOT met'} |")
    print("its CPU: this process's CPU seconds during the best warm request (all threads; not Meilisearch's);")
    print("load: the 1-minute load average when the case ended (2 cores: above 2 the request waits for a core).")


if __name__ == "__main__":
    main()
