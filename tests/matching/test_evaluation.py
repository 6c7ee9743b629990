import json
from pathlib import Path

import numpy as np
import pytest

from matching.embedders import load_embedder
from matching.evaluation import (
    build_index,
    collect_features,
    evaluate_run,
    load_dataset,
    split_queries,
    write_run,
)
from matching.ranking import FusionWeights, fuse

PROVIDERS = {
    "p1": ("嘉兴智造", ["经编车间MES系统实施", "设备联网与生产数据采集", "订单排产优化"]),
    "p2": ("绿源环保", ["印染废水中水回用", "余热回收改造", "污水处理站提标改造"]),
    "p3": ("光明视觉", ["光伏组件机器视觉缺陷检测", "视觉引导机器人上下料"]),
}
QUERIES = {
    "q1": ("MES系统与设备联网", "p1"),
    "q2": ("中水回用与余热回收", "p2"),
    "q3": ("光伏组件缺陷检测", "p3"),
}


def make_folder(root: Path, graded: bool = False) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    with (root / "docs.jsonl").open("w", encoding="utf-8") as fh:
        for pid, (name, items) in PROVIDERS.items():
            row = {
                "id": pid,
                "title": name,
                "text": "；".join(items),
                "items": items,
                "n_projects": len(items),
            }
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    with (root / "queries.jsonl").open("w", encoding="utf-8") as fh:
        for qid, (text, _) in QUERIES.items():
            fh.write(json.dumps({"id": qid, "text": text, "qtype": "t"}, ensure_ascii=False) + "\n")
    (root / "qrels.tsv").write_text(
        "query_id\tdoc_id\trelevance\n" + "".join(f"{q}\t{d}\t1\n" for q, (_, d) in QUERIES.items()),
        encoding="utf-8",
    )
    if graded:
        (root / "qrels_graded.tsv").write_text(
            "query_id\tdoc_id\trelevance\nq1\tp1\t2\nq1\tp2\t1\n", encoding="utf-8"
        )
    return root


def test_load_dataset_reads_every_file(tmp_path: Path) -> None:
    ds = load_dataset(make_folder(tmp_path / "d", graded=True))
    assert ds.doc_ids == ["p1", "p2", "p3"]
    assert ds.docs[0].items[0] == "经编车间MES系统实施" and ds.docs[0].n_projects == 3
    assert ds.docs[0].full_text.startswith("嘉兴智造\n")
    assert ds.qrels["q2"] == {"p2": 1.0}
    assert ds.qrels_graded == {"q1": {"p1": 2.0, "p2": 1.0}}


def test_evaluate_run_and_field_ndcg() -> None:
    run = {"q1": [("p2", 1.0), ("p1", 0.5)], "q2": [("p2", 1.0)]}
    qrels = {"q1": {"p1": 1.0}, "q2": {"p2": 1.0}, "q3": {"p3": 1.0}}
    m = evaluate_run(run, qrels, {"q1": {"p1": 2.0, "p2": 1.0}})
    assert m["recall@10"] == pytest.approx(2 / 3)
    assert m["mrr@10"] == pytest.approx((0.5 + 1.0 + 0) / 3)
    assert m["field_ndcg@10"] == pytest.approx(1.0)  # own paper removed, p2 first
    assert m["queries"] == 3


def test_offline_pipeline_ranks_the_right_provider_first(tmp_path: Path) -> None:
    ds = load_dataset(make_folder(tmp_path / "d"))
    emb = load_embedder("hash")
    index = build_index(ds, emb)
    qv = emb.embed_queries([q.text for q in ds.queries])
    qfs = collect_features(ds, index, qv, pool=10)
    w = FusionWeights()
    run = {}
    for qf in qfs:
        s = fuse(qf.features, {k: v for k, v in w.features.items() if k != "prf"})
        order = np.argsort(-s)
        run[qf.query.id] = [(index.ids[int(qf.candidates[o])], float(s[o])) for o in order]
    assert evaluate_run(run, ds.qrels)["mrr@10"] == 1.0
    write_run(run, tmp_path / "out" / "final.tsv")
    lines = (tmp_path / "out" / "final.tsv").read_text(encoding="utf-8").splitlines()
    assert lines[0].split("\t")[:2] == ["q1", "p1"]


def test_split_is_deterministic_and_disjoint(tmp_path: Path) -> None:
    ds = load_dataset(make_folder(tmp_path / "d"))
    a, b = split_queries(ds.queries)
    a2, b2 = split_queries(ds.queries)
    assert [q.id for q in a] == [q.id for q in a2] and not {q.id for q in a} & {q.id for q in b}
    assert len(a) + len(b) == 3
