"""How far apart a need's wording and its provider's wording are: the "bridge" matching must cross.

For each need with a known right provider (on the demo: the partner its deal was signed with; in
the nsfc evaluation set: the institution that actually received the grant), the share of the
need title's words (jieba, stop words and single characters dropped) that occur in that
provider's closest capability item. 1.0 means some item repeats the title's words; the lower,
the more the matching has to rely on meaning rather than shared words.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable
from pathlib import Path

from demo.corpus import DemoCorpus
from matching.text import segment


def words(text: str) -> frozenset[str]:
    return frozenset(segment(text, keep_single=False))


def best_item_share(query: str, items: Iterable[str]) -> float:
    q = words(query)
    if not q:
        return 0.0
    return max((len(q & words(item)) / len(q) for item in items), default=0.0)


def demo_bridge(corpus: DemoCorpus) -> float:
    """Mean share over the demo's deals (need title → the partner's closest item)."""
    items = {p.key: [f"{i.title}。{i.description}" for i in p.items] for p in corpus.providers}
    titles = {n.key: n.title for n in corpus.needs}
    return statistics.mean(best_item_share(titles[d.need_key], items[d.provider_key]) for d in corpus.deals)


def nsfc_bridge(folder: Path) -> float:
    """The same measure on the nsfc set (project title → the funded institution's closest project)."""
    docs: dict[str, list[str]] = {}
    with (folder / "docs.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            docs[d["id"]] = list(d.get("items") or d["text"].split("；"))
    queries: dict[str, str] = {}
    with (folder / "queries.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            q = json.loads(line)
            queries[q["id"]] = q["text"]
    rows = (folder / "qrels.tsv").read_text(encoding="utf-8").splitlines()[1:]
    pairs = [(r.split("\t")[0], r.split("\t")[1]) for r in rows if r.split("\t")[2].strip() != "0"]
    return statistics.mean(best_item_share(queries[q], docs[d]) for q, d in pairs if q in queries and d in docs)
