"""Run search.evaluation.run_evaluation against a throwaway local Meilisearch (until the CLI exists).

python bench/run_evaluation.py DATA_DIR OUT_DIR [--cache data/cache]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from market.settings import get_settings  # noqa: E402
from matching.embedders import load_embedder  # noqa: E402
from search.client import MeiliClient  # noqa: E402
from search.evaluation import run_evaluation  # noqa: E402
from search.process import LocalMeilisearch  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--cache", type=Path, default=Path("data/cache"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = LocalMeilisearch(Path(tmp), get_settings().meili.binary, max_indexing_threads=2).start()
        try:
            with MeiliClient(server.url, server.master_key, timeout=60, task_timeout=600) as client:
                m = run_evaluation(
                    args.data_dir,
                    args.out_dir,
                    client,
                    load_embedder("e5"),
                    "eval_scratch",
                    cache_dir=args.cache,
                )
        finally:
            server.stop()
    print(json.dumps(m, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
