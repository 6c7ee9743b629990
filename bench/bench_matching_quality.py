"""Offline matching quality on a data folder (BM25 stand-in for Meilisearch).

Tunes fusion weights by coordinate ascent on a hash split of the queries (tune half) and reports
keyword / vector / hybrid / final, plus ablations, on the tune half, the held-out half and all.

    python bench/bench_matching_quality.py /work/shared/data/nsfc [--save matching/data/fusion_weights.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matching.cache import cached_embeddings  # noqa: E402
from matching.embedders import load_embedder  # noqa: E402
from matching.evaluation import (  # noqa: E402
    build_index,
    collect_features,
    evaluate_run,
    load_dataset,
    split_queries,
)
from matching.providers import FEATURE_NAMES, FEEDBACK_FEATURES  # noqa: E402
from matching.ranking import FusionWeights, first_stage_weights, fuse, rerank_with_feedback, zscore  # noqa: E402
from matching.tuning import coordinate_ascent, make_sample  # noqa: E402

BASE = [n for n in FEATURE_NAMES if n not in FEEDBACK_FEATURES]
PRF_DEPTH = 5
LABEL_DEPTH = 10


def run_from(qf_list, index, score_fn, top=100):
    run = {}
    for qf in qf_list:
        s = score_fn(qf)
        order = np.argsort(-s, kind="stable")[:top]
        run[qf.query.id] = [(index.ids[int(qf.candidates[o])], float(s[o])) for o in order]
    return run


def with_prf(qf, index, w: dict[str, float], depth: int, label_depth: int = LABEL_DEPTH, keep_first: int = 0):
    """Both stages with weights ``w``; the feedback features land in ``qf.features``."""
    fw = FusionWeights(features=dict(w), prf_depth=depth, label_depth=label_depth, keep_first=keep_first)
    first = fuse(qf.features, first_stage_weights(fw))
    return rerank_with_feedback(index, qf.candidates, first, qf.features, fw)


def fit_logistic(qfs, index, judgements, tune_ids) -> dict[str, float]:
    """Pointwise logistic regression on the candidates' z-scored features (relevant or not).

    Two stages like the ranking: first-stage features, then the feedback features computed from
    that first stage and a second fit over all features. Coefficients become fusion weights
    (scaled so the largest is 2, as the ascent grid's top value).
    """
    from sklearn.linear_model import LogisticRegression

    def fit(names: list[str]) -> dict[str, float]:
        xs, ys, ws = [], [], []
        for qf in qfs:
            rel = judgements.get(qf.query.id)
            if qf.query.id not in tune_ids or not rel:
                continue
            xs.append(np.column_stack([zscore(qf.features.get(n, np.zeros(len(qf.candidates)))) for n in names]))
            gains = np.array([rel.get(index.ids[int(c)], 0.0) for c in qf.candidates])
            ys.append((gains > 0).astype(int))
            ws.append(np.maximum(gains, 1.0))  # graded: the known item (grade 2) counts double
        model = LogisticRegression(C=1.0, max_iter=5000)
        model.fit(np.vstack(xs), np.concatenate(ys), sample_weight=np.concatenate(ws))
        coef = model.coef_[0]
        scale = 2.0 / max(abs(coef).max(), 1e-9)
        return {n: round(float(c * scale), 4) for n, c in zip(names, coef, strict=True)}

    first = fit(BASE)
    placeholder = {**first, **{n: 1.0 for n in FEEDBACK_FEATURES}}
    for qf in qfs:
        with_prf(qf, index, placeholder, PRF_DEPTH)  # fills the feedback features
    return fit(list(FEATURE_NAMES))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--cache", type=Path, default=Path("data/cache"))
    ap.add_argument("--pool", type=int, default=100)
    ap.add_argument("--backend", default="e5", help="embedder backend (e5 | sentence-transformers | hash)")
    ap.add_argument("--save", type=Path)
    ap.add_argument("--objective", choices=["binary", "graded"], default=None)
    ap.add_argument(
        "--learner",
        choices=["ascent", "logistic"],
        default="logistic",
        help="what --save keeps: coordinate ascent on nDCG@10, or pointwise logistic regression",
    )
    args = ap.parse_args()

    ds = load_dataset(args.data_dir)
    emb = load_embedder(args.backend)
    t0 = time.time()
    index = build_index(ds, emb, args.cache)
    qv = cached_embeddings(emb, [q.text for q in ds.queries], "query", args.cache)
    print(f"index+embeddings {time.time() - t0:.1f}s", flush=True)
    t0 = time.time()
    qfs = collect_features(ds, index, qv, pool=args.pool, progress=True)
    print(f"features {time.time() - t0:.1f}s; mean pool {np.mean([len(q.candidates) for q in qfs]):.0f}")

    objective = args.objective or ("graded" if ds.qrels_graded else "binary")
    judgements = ds.qrels_graded if objective == "graded" else ds.qrels
    tune_q, test_q = split_queries(ds.queries)
    tune_ids = {q.id for q in tune_q}

    def samples(prf_w=None, depth=10):
        out = []
        for qf in qfs:
            if qf.query.id not in tune_ids or not judgements.get(qf.query.id):
                continue
            rel = judgements[qf.query.id]
            if prf_w is not None:
                with_prf(qf, index, prf_w, PRF_DEPTH)
            gains = np.array([rel.get(index.ids[int(c)], 0.0) for c in qf.candidates])
            out.append(make_sample(qf.features, FEATURE_NAMES, gains, list(rel.values())))
        return out

    defaults = FusionWeights()
    init = np.array([0.0 if n in FEEDBACK_FEATURES else defaults.features.get(n, 0.0) for n in FEATURE_NAMES])
    feedback_j = tuple(FEATURE_NAMES.index(n) for n in FEEDBACK_FEATURES)
    t0 = time.time()
    w, score = coordinate_ascent(samples(), init, frozen=feedback_j)
    print(f"stage 1 tune nDCG@10 {score:.4f}")
    for _ in range(2):
        wd = dict(zip(FEATURE_NAMES, w, strict=True))
        for n in FEEDBACK_FEATURES:  # compute the feedback features from the current first stage
            wd[n] = 1.0
        w, score = coordinate_ascent(samples(wd), w)
        print(f"stage 2 tune nDCG@10 {score:.4f} " + " ".join(f"{n}={w[j]}" for n, j in zip(FEEDBACK_FEATURES, feedback_j, strict=True)))
    print(f"tuning {time.time() - t0:.1f}s")
    ascent = dict(zip(FEATURE_NAMES, (float(x) for x in w), strict=True))
    print("ascent weights", json.dumps(ascent))
    logistic = fit_logistic(qfs, index, judgements, tune_ids)
    print("logistic weights", json.dumps(logistic))
    tuned = logistic if args.learner == "logistic" else ascent

    # Feedback may reorder a query's field but must keep the known item found by the first stage:
    # the smallest keep_first whose tune known-item Recall@10 is within 0.005 of the first stage's.
    def tune_recall(fn) -> float:
        run = run_from([qf for qf in qfs if qf.query.id in tune_ids], index, fn)
        return evaluate_run(run, ds.qrels, None, query_ids=sorted(tune_ids))["recall@10"]

    base_recall = tune_recall(lambda qf: fuse(qf.features, first_stage_weights(FusionWeights(features=tuned))))
    keep_first = 0
    for keep_first in range(0, 6):
        r = tune_recall(lambda qf, k=keep_first: with_prf(qf, index, tuned, PRF_DEPTH, keep_first=k))
        print(f"keep_first={keep_first}: tune Recall@10 {r:.4f} (first stage {base_recall:.4f})")
        if r >= base_recall - 0.005:
            break

    methods = {
        "keyword": lambda qf: qf.features["bm25_profile"],
        "vector": lambda qf: qf.features["vec_profile"],
        "hybrid": lambda qf: zscore(qf.features["bm25_profile"]) + zscore(qf.features["vec_profile"]),
        "item_top3": lambda qf: qf.features["vec_item_top3"],
        "bm25+items(z)": lambda qf: (
            zscore(qf.features["bm25_profile"]) + zscore(qf.features["vec_item_top3"])
        ),
        "final-ascent": lambda qf: with_prf(qf, index, ascent, PRF_DEPTH),
        "final-logistic": lambda qf: with_prf(qf, index, logistic, PRF_DEPTH),
        "final": lambda qf: with_prf(qf, index, tuned, PRF_DEPTH, keep_first=keep_first),
        "final-no-feedback": lambda qf: fuse(qf.features, {k: v for k, v in tuned.items() if k not in FEEDBACK_FEATURES}),
    }
    rows = []
    for name, fn in methods.items():
        run = run_from(qfs, index, fn)
        for part, qs in (("tune", tune_q), ("heldout", test_q), ("all", ds.queries)):
            m = evaluate_run(run, ds.qrels, ds.qrels_graded, query_ids=[q.id for q in qs])
            rows.append((name, part, m))
    keys = ["ndcg@10", "recall@10", "mrr@10", "graded_ndcg@10", "field_ndcg@10"]
    print(f"{'method':16s} {'part':8s} " + " ".join(f"{k:>15s}" for k in keys))
    for name, part, m in rows:
        print(f"{name:16s} {part:8s} " + " ".join(f"{m.get(k, float('nan')):15.4f}" for k in keys))
    if args.save:
        fw = FusionWeights(features=tuned, prf_depth=PRF_DEPTH, label_depth=LABEL_DEPTH, keep_first=keep_first)
        fw.save(args.save)
        print("saved", args.save)


if __name__ == "__main__":
    main()
