import json
from pathlib import Path

import pytest

from matching.embedders import load_embedder
from search.client import MeiliClient
from search.evaluation import METHODS, run_evaluation
from tests.matching.test_evaluation import make_folder


@pytest.mark.meili
def test_run_evaluation_writes_runs_and_metrics(meili_client: MeiliClient, tmp_path: Path) -> None:
    data = make_folder(tmp_path / "data", graded=True)
    out = tmp_path / "out"
    uid = f"evaltest_{tmp_path.name}"[:60].replace(".", "_")
    metrics = run_evaluation(data, out, meili_client, load_embedder("hash"), uid, progress=False)
    assert set(metrics["methods"]) == set(METHODS)
    saved = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert saved["methods"]["final"]["ndcg@10"] == metrics["methods"]["final"]["ndcg@10"]
    for name in METHODS:
        lines = (out / f"{name}.tsv").read_text(encoding="utf-8").splitlines()
        assert lines, name
        qid, doc_id, score = lines[0].split("\t")
        assert qid in {"q1", "q2", "q3"} and doc_id in {"p1", "p2", "p3"}
        float(score)
    # every method sees the relevant provider for these unambiguous queries
    assert metrics["methods"]["keyword"]["recall@10"] == 1.0
    assert metrics["methods"]["final"]["mrr@10"] == 1.0
    assert "graded_ndcg@10" in metrics["methods"]["final"]
    assert meili_client.get_index(uid) is None  # the scratch index is dropped
