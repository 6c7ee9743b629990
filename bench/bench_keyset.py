"""Keyset vs offset pages of the needs list, in process, on a SQLite file of 10,000 published
needs (issue 15). Run from the repository root: python bench/bench_keyset.py"""

import datetime as dt
import random
import statistics
import time

from sqlalchemy import create_engine, insert
from sqlalchemy.orm import Session

from market.models import metadata
from market.needs import queries
from market.needs.models import Need
from market.needs.queries import NeedFilter
from tests.factories import need_fields

N, DEEP = 10_000, 9_880


def p50_ms(fn, n: int = 15) -> float:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(out), 2)


def main() -> None:
    e = create_engine("sqlite:////tmp/jiebang_bench_keyset.db")
    metadata.drop_all(e)
    metadata.create_all(e)
    rng = random.Random(1)
    base = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    fields = need_fields()
    fields.pop("deadline", None)
    rows = [
        {**fields, "org_id": 1, "created_by": 1, "status": rng.choice(["published", "published", "taken_up", "closed", "selected"]),
         "published_at": base + dt.timedelta(minutes=i)}
        for i in range(N)
    ]
    with e.begin() as c:
        c.execute(insert(Need), rows)
    with e.connect() as c:
        c.exec_driver_sql("ANALYZE")
    with Session(e) as s:
        walked: list[Need] = []
        cursor = None
        while len(walked) < DEEP:
            page, _ = queries.list_needs(s, None, NeedFilter(), limit=100, after=cursor)
            walked += page
            cursor = queries.Cursor.of(page[-1])
        deep = queries.Cursor.of(walked[DEEP - 1])
        s.expunge_all()
        print("newest page 1 (keyset path)            p50 ms", p50_ms(lambda: queries.list_needs(s, None, NeedFilter(), limit=20)))
        print(f"deep keyset page (after row {DEEP})     p50 ms", p50_ms(lambda: queries.list_needs(s, None, NeedFilter(), limit=20, after=deep)))
        print(f"deep offset page (offset {DEEP}, deadline) p50 ms",
              p50_ms(lambda: queries.list_needs(s, None, NeedFilter(), offset=DEEP, limit=20, order="deadline")))
        print("offset page (offset 1980, deadline)    p50 ms",
              p50_ms(lambda: queries.list_needs(s, None, NeedFilter(), offset=1980, limit=20, order="deadline")))


if __name__ == "__main__":
    main()
