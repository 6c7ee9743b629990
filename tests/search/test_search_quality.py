"""Search quality on a sample of ../shared/data/csl with the real e5 model and the app's search:
nonsense queries return no hits, real queries keep their recall under the relevance floor."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from market.settings import get_settings
from matching.embedders import load_embedder
from search.client import MeiliClient
from search.indexes import EMBEDDER, NEEDS, ensure_indexes, index_uid
from search.queries import NeedSearchParams, search_needs

pytestmark = [pytest.mark.meili, pytest.mark.realmodel, pytest.mark.slow]

CSL = Path(__file__).resolve().parents[3] / "shared" / "data" / "csl"
if not CSL.exists():
    CSL = Path("/work/shared/data/csl")

NONSENSE = ("asdfqwer乱码zzz", "zzzqqq", "qwertyuiop", "啊啊啊啊", "今天中午吃什么", "lorem ipsum dolor", "呜呜呜嘿嘿嘿")


def _sample(n_queries: int = 24, n_docs: int = 80) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    docs = {}
    for line in (CSL / "docs.jsonl").read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        docs[d["id"]] = d
    own: dict[str, str] = {}
    for line in (CSL / "qrels.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        qid, did, rel = line.split("\t")
        if float(rel) > 0:
            own[qid] = did
    queries = [json.loads(line) for line in (CSL / "queries.jsonl").read_text(encoding="utf-8").splitlines()]
    rng = random.Random(18)
    titles = [q for q in queries if q.get("qtype") == "title" and q["id"] in own]
    rng.shuffle(titles)
    chosen = [(q["text"], own[q["id"]]) for q in titles[:n_queries]]
    keep = {did for _, did in chosen}
    others = sorted(set(docs) - keep)
    rng.shuffle(others)
    keep.update(others[: n_docs - len(keep)])
    return [docs[d] for d in sorted(keep)], chosen


@pytest.mark.skipif(not CSL.exists(), reason="the csl tuning set is not here")
def test_nonsense_finds_nothing_and_real_queries_keep_their_recall(meili_client: MeiliClient, index_prefix: str) -> None:
    docs, queries = _sample()
    embedder = load_embedder("e5")
    ensure_indexes(meili_client, index_prefix, dimensions=embedder.dim, names=[NEEDS])
    vectors = embedder.embed_passages([f"{d.get('title', '')}\n{d['text']}".strip() for d in docs])
    ids = {i + 1: d["id"] for i, d in enumerate(docs)}
    rows = [
        {
            "id": i + 1, "title": d.get("title", ""), "summary": d["text"], "status": "published", "open_rank": 0,
            "_vectors": {EMBEDDER: vectors[i].tolist()},
        }
        for i, d in enumerate(docs)
    ]  # fmt: skip
    meili_client.wait_task(meili_client.add_documents(index_uid(index_prefix, NEEDS), rows), timeout=120)
    meili = get_settings().meili
    floors = (meili.relevance_floor, meili.relevance_floor_without_words)
    assert floors[0] > 0

    def found(q: str, floor: tuple[float, float]) -> list[str]:
        result = search_needs(
            meili_client, NeedSearchParams(q=q, per_page=10, facets=False), prefix=index_prefix,
            embedder=embedder, relevance_floor=floor[0], floor_without_words=floor[1],
        )  # fmt: skip
        assert result.mode == "hybrid"
        return [ids[h.id] for h in result.hits]

    for q in NONSENSE:
        assert found(q, (0.0, 0.0)), q  # without the floor, every document is some semantic neighbour
        assert found(q, floors) == [], q
    recall_without = sum(own in found(q, (0.0, 0.0)) for q, own in queries) / len(queries)
    recall_with = sum(own in found(q, floors) for q, own in queries) / len(queries)
    assert recall_with >= recall_without - 1 / len(queries)
    assert recall_with >= 0.9
