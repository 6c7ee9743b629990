"""The ``jiebang`` command line, run as a user would (a subprocess with its own data directory)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.meili


def _jiebang(args: list[str], data_dir: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "JIEBANG_DATA_DIR": str(data_dir),
        "JIEBANG_EMBEDDING__BACKEND": "hash",
    }
    env.pop("MEILI_URL", None)
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "web.cli", *args], env=env, capture_output=True, text=True, timeout=timeout,
        cwd=Path(__file__).resolve().parents[2],
    )


def _tiny_dataset(folder: Path) -> None:
    docs = [
        {"id": "d1", "title": "光伏组件缺陷检测", "text": "光伏组件EL图像隐裂缺陷的机器视觉检测方法"},
        {"id": "d2", "title": "余热回收", "text": "造纸烘缸蒸汽余热回收与热泵节能改造"},
        {"id": "d3", "title": "数控机床", "text": "数控机床主轴热变形误差建模与补偿"},
    ]
    queries = [
        {"id": "q1", "text": "光伏隐裂检测", "qtype": "title"},
        {"id": "q2", "text": "烘缸余热节能", "qtype": "title"},
    ]
    folder.mkdir(parents=True)
    (folder / "docs.jsonl").write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in docs), encoding="utf-8")
    (folder / "queries.jsonl").write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in queries), encoding="utf-8")
    (folder / "qrels.tsv").write_text("query_id\tdoc_id\trelevance\nq1\td1\t1\nq2\td2\t1\n", encoding="utf-8")


def test_evaluate_writes_metrics_and_one_ranked_list_per_method(tmp_path: Path) -> None:
    data = tmp_path / "set"
    _tiny_dataset(data)
    out = tmp_path / "out"
    result = _jiebang(["evaluate", str(data), "--out", str(out)], tmp_path / "home")
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics
    for method in ("keyword", "vector", "hybrid", "final"):
        lines = (out / f"{method}.tsv").read_text(encoding="utf-8").strip().splitlines()
        assert lines, method
        qid, doc, score = lines[0].split("\t")
        assert qid in {"q1", "q2"} and doc in {"d1", "d2", "d3"}
        float(score)
    final = [line.split("\t") for line in (out / "final.tsv").read_text(encoding="utf-8").splitlines()]
    top = {q: d for q, d, _ in reversed(final)}  # first line per query wins
    assert top == {"q1": "d1", "q2": "d2"}


def test_evaluate_never_starts_a_second_meilisearch_on_a_running_services_data(tmp_path: Path) -> None:
    """With the service's managed Meilisearch running on the data directory, evaluate uses it (in
    an index of its own); with none running, a throwaway one outside the service's data. It says
    which either way."""
    from market.settings import get_settings
    from search.process import LocalMeilisearch, find_running

    data = tmp_path / "set"
    _tiny_dataset(data)
    home = tmp_path / "home"
    alone = _jiebang(["evaluate", str(data), "--out", str(tmp_path / "out1")], home)
    assert alone.returncode == 0, alone.stderr[-3000:]
    assert "临时 Meilisearch" in alone.stdout and "meili-scratch" in alone.stdout
    assert find_running(home / "meili") is None  # nothing left behind on the service's directory
    with LocalMeilisearch(home / "meili", get_settings().meili.binary) as service_meili:
        running = find_running(home / "meili")
        assert running is not None and running.url == service_meili.url
        shared = _jiebang(["evaluate", str(data), "--out", str(tmp_path / "out2")], home)
        assert shared.returncode == 0, shared.stderr[-3000:]
        assert "正在运行的托管 Meilisearch" in shared.stdout and service_meili.url in shared.stdout
        assert service_meili.is_running()
    assert find_running(home / "meili") is None


def test_check_reports_every_component_and_a_missing_binary_clearly(tmp_path: Path) -> None:
    ok = _jiebang(["check"], tmp_path / "a")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    for component in ("database", "meilisearch", "embedder", "outbox"):
        assert component in ok.stdout
    env_binary = {"JIEBANG_MEILI__BINARY": str(tmp_path / "nope")}
    os.environ.update(env_binary)
    try:
        bad = _jiebang(["check"], tmp_path / "b")
    finally:
        os.environ.pop("JIEBANG_MEILI__BINARY")
    assert bad.returncode == 1
    assert "Traceback" not in bad.stderr
    assert "找不到 Meilisearch" in bad.stderr
