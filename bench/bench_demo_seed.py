# ruff: noqa: E501  (Chinese text literals: ruff counts CJK characters as double width)
"""Seeding the demo into a fresh, migrated SQLite database: how long it takes, and what the
bureau's dashboard then shows per year against every target (read through the progress service).

    python -m bench.bench_demo_seed [--db PATH]

Search indexing (done by ``jiebang seed-demo`` after the rows are written) is not part of this
figure; it depends on the embedder and Meilisearch.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from demo.corpus import DEMO_TODAY, generate_corpus
from demo.seed import seed_demo
from market.db import make_engine, make_sessionmaker, session_scope
from market.migrate import upgrade
from market.targets.progress import progress_report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    path = args.db or Path(tempfile.mkdtemp()) / "demo.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    factory = make_sessionmaker(engine)
    t0 = time.perf_counter()
    corpus = generate_corpus(2026)
    t1 = time.perf_counter()
    with session_scope(factory) as session:
        report = seed_demo(session, corpus, progress=True)
    t2 = time.perf_counter()
    with session_scope(factory) as session:
        again = seed_demo(session, corpus, progress=False)
    t3 = time.perf_counter()
    print(report)
    print(f"generate_corpus: {t1 - t0:.1f} s; seed_demo (first, into an empty database): {t2 - t1:.1f} s; "
          f"second run: {t3 - t2:.2f} s ({again})")  # fmt: skip
    with session_scope(factory) as session:
        for year in range(2022, DEMO_TODAY.year + 1):
            as_of = min(DEMO_TODAY, dt.date(year, 12, 31))
            rep = progress_report(session, year, as_of=as_of)
            print(f"\n== {year} dashboard (as of {as_of}) ==")
            for t in rep.targets:
                period = f"{t.base_year}–{t.year} 累计" if t.cumulative else f"{t.year} 年度"
                ranks = sorted((c for c in t.by_county if c.completion_rate is not None), key=lambda c: c.rank_by_rate or 99)
                race = " ".join(f"{c.county}{c.completion_rate:.0%}" for c in ranks)
                proj = f" 预计{t.projected:.0f}" if t.projected is not None and t.as_of < t.period_end else ""
                print(f"  {t.label:<22} {period:<12} 目标 {t.target:>4}  实际 {t.actual:>4}  完成率 {t.completion_rate or 0:>5.0%}{proj}  {t.status}  | {race}")


if __name__ == "__main__":
    main()
