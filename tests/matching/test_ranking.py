import re

import numpy as np
import pytest

from matching.embedders import load_embedder
from matching.ranking import (
    DIVERSITY_CAP,
    Candidate,
    FusionWeights,
    NeedFeatures,
    ProviderFeatures,
    diversify,
    rank_needs_for_provider,
    rank_providers_for_need,
    structured_signals,
)

CJK = re.compile(r"[\u4e00-\u9fff]")

PROVIDERS = [
    ProviderFeatures(
        id=1,
        name="嘉兴智造科技",
        items=("经编车间MES系统实施", "设备联网与生产数据采集", "订单排产优化"),
        industries=("纺织",),
        tracks=("数字化",),
        counties=("海宁",),
        typical_deal_size=(30.0, 120.0),
        n_projects=12,
        n_deals_completed=5,
    ),
    ProviderFeatures(
        id=2,
        name="绿源环保工程",
        items=("印染废水中水回用", "余热回收改造", "污水处理站提标"),
        industries=("纺织", "化工"),
        tracks=("绿色化",),
        counties=("桐乡",),
        typical_deal_size=(50.0, 300.0),
        n_projects=20,
    ),
    ProviderFeatures(
        id=3,
        name="光明视觉",
        items=("光伏组件机器视觉缺陷检测", "视觉引导机器人上下料"),
        industries=("光伏",),
        tracks=("数字化",),
        counties=("嘉善",),
        typical_deal_size=(20.0, 80.0),
        n_projects=6,
    ),
]

NEED = NeedFeatures(
    id=100,
    title="经编车间MES系统建设",
    description="希望实现设备联网、生产数据实时采集和订单自动排产",
    industry="纺织",
    track="数字化",
    county="海宁",
    budget=60.0,
)


@pytest.fixture()
def emb():  # type: ignore[no-untyped-def]
    return load_embedder("hash")


def test_need_to_providers_ranks_the_fitting_provider_first_with_chinese_explanation(emb) -> None:  # type: ignore[no-untyped-def]
    matches = rank_providers_for_need(NEED, PROVIDERS, emb, weights=FusionWeights())
    assert [m.id for m in matches][0] == 1
    assert matches[0].score > matches[-1].score
    exp = matches[0].explanation
    assert "mes" in exp.shared_terms or "经编" in exp.shared_terms
    summary = exp.summary_zh()
    assert CJK.search(summary) and "共同关键词" in summary
    assert any(t in summary for t in exp.shared_terms)
    assert "行业匹配：纺织" in summary and "预算与典型合作规模相符" in summary
    assert "方向匹配：数字化" in summary
    assert 0.0 <= exp.semantic_similarity <= 1.0


def test_provider_to_needs_works_the_other_way(emb) -> None:  # type: ignore[no-untyped-def]
    needs = [
        NEED,
        NeedFeatures(
            id=101, title="印染废水中水回用", description="降低新鲜水用量", industry="纺织", track="绿色化"
        ),
        NeedFeatures(id=102, title="光伏组件缺陷检测", description="机器视觉替代人工目检", industry="光伏"),
    ]
    matches = rank_needs_for_provider(PROVIDERS[1], needs, emb, weights=FusionWeights())
    assert matches[0].id == 101
    assert "中水回用" in matches[0].explanation.shared_terms


def test_structured_signals_are_signed(emb) -> None:  # type: ignore[no-untyped-def]
    w = FusionWeights()
    green_need = NeedFeatures(id=1, title="余热回收", industry="光伏", track="绿色化", budget=5.0)
    sig = {s.name: s for s in structured_signals(green_need, PROVIDERS[0], w)}
    assert sig["industry"].effect < 0 and sig["track"].effect < 0 and sig["budget"].effect < 0
    assert "方向不符" in sig["track"].text and "低于" in sig["budget"].text
    both = NeedFeatures(id=2, title="x", track="both")
    sig2 = {s.name: s for s in structured_signals(both, PROVIDERS[0], w)}
    assert 0 < sig2["track"].effect < w.track


def test_keyword_scores_from_the_engine_are_used(emb) -> None:  # type: ignore[no-untyped-def]
    w = FusionWeights(features={"bm25_profile": 1.0}, industry=0, track=0, county=0, budget=0, track_record=0)
    cands = [
        Candidate(id=3, keyword_score=0.9),
        Candidate(id=1, keyword_score=0.1),
        Candidate(id=2, keyword_score=0.0),
    ]
    matches = rank_providers_for_need(NEED, PROVIDERS, emb, candidates=cands, weights=w)
    assert [m.id for m in matches] == [3, 1, 2]


def test_precomputed_vectors_are_used_without_embedding(emb) -> None:  # type: ignore[no-untyped-def]
    class Boom:
        name = "boom"
        dim = 384

        def embed_passages(self, texts):  # type: ignore[no-untyped-def]
            raise AssertionError("should not embed")

        embed_queries = embed_passages

    provs = []
    for p in PROVIDERS:
        iv = emb.embed_passages(list(p.items))
        provs.append(
            ProviderFeatures(
                id=p.id, name=p.name, items=p.items, vector=emb.embed_passages([p.text])[0], item_vectors=iv
            )
        )
    need = NeedFeatures(
        id=1, title=NEED.title, description=NEED.description, vector=emb.embed_queries([NEED.text])[0]
    )
    matches = rank_providers_for_need(need, provs, Boom(), weights=FusionWeights())
    assert matches[0].id == 1


def test_weights_roundtrip_json(tmp_path) -> None:  # type: ignore[no-untyped-def]
    w = FusionWeights(features={"knn_vote": 2.0, "prior": 0.1}, industry=1.5)
    path = tmp_path / "w.json"
    w.save(path)
    back = FusionWeights.load(path)
    assert back.features["knn_vote"] == 2.0 and back.industry == 1.5
    assert back.features == w.features
    assert FusionWeights.from_json('{"industry": 0.1}').features == FusionWeights().features
    with pytest.raises(FileNotFoundError):
        FusionWeights.load(tmp_path / "missing.json")


def test_empty_provider_list(emb) -> None:  # type: ignore[no-untyped-def]
    assert rank_providers_for_need(NEED, [], emb) == []
    assert np.isfinite(FusionWeights().features["prior"])


def test_label_feedback_lifts_needs_of_the_best_hits_industry(emb) -> None:  # type: ignore[no-untyped-def]
    from matching.providers import Profile, ProfileIndex, QueryInput
    from matching.ranking import rank_profiles

    texts = ["光伏组件 检测 设备", "电池片 产线 良率", "经编 面料 染整", "光伏电站 运维", "纺织 印染 废水"]
    industry = ["光伏", "光伏", "经编", "光伏", "经编"]
    profiles = [
        Profile(str(i), t, labels=(f"industry:{ind}",))
        for i, (t, ind) in enumerate(zip(texts, industry, strict=True))
    ]
    vecs = emb.embed_passages(texts)
    index = ProfileIndex(profiles, vecs, vecs, np.arange(len(texts)))
    query = QueryInput(text="光伏组件 检测", vectors=emb.embed_queries(["光伏组件 检测"])[0])
    only_label = FusionWeights(features={"bm25_profile": 1.0, "label_prf": 5.0}, label_depth=1)
    _, scores, feats = rank_profiles(query, index, only_label)
    # "电池片 产线 良率" shares no word with the query, yet its industry is that of the best hit
    assert feats["label_prf"].tolist() == [1.0, 1.0, 0.0, 1.0, 0.0]
    assert scores[1] > scores[2] and scores[1] > scores[4]
    without = FusionWeights(features={"bm25_profile": 1.0}, label_depth=1)
    _, plain, feats_plain = rank_profiles(query, index, without)
    assert "label_prf" not in feats_plain and plain[1] == pytest.approx(plain[2])


def test_keep_first_holds_the_first_stage_leader_against_feedback() -> None:
    from matching.providers import Profile, ProfileIndex
    from matching.ranking import rerank_with_feedback

    # First stage: doc 0 (经编) is the clear leader, docs 1-3 (光伏) follow, 4-15 trail (纺织).
    fields = ["经编"] + ["光伏"] * 3 + ["纺织"] * 12
    profiles = [Profile(str(i), f"t{i}", labels=(f"industry:{f}",)) for i, f in enumerate(fields)]
    vecs = np.eye(16, dtype=np.float32)
    index = ProfileIndex(profiles, vecs, vecs, np.arange(16))
    first = np.array([5.0, 2.0, 1.9, 1.8] + [0.0] * 12)
    cand = np.arange(16)
    features = {"bm25_profile": 1.0, "label_prf": 10.0}
    pushed = rerank_with_feedback(index, cand, first, {}, FusionWeights(features=features, label_depth=4))
    assert int(np.argmax(pushed)) == 1  # the field vote of hits 2-4 outweighs the exact match
    feats: dict[str, np.ndarray] = {}
    kept = rerank_with_feedback(
        index, cand, first, feats, FusionWeights(features=features, label_depth=4, keep_first=1)
    )
    order = np.argsort(-kept, kind="stable").tolist()
    assert order[:4] == [0, 1, 2, 3]  # the leader stays first; feedback still orders the rest
    assert feats["label_prf"][1] > feats["label_prf"][0] > feats["label_prf"][4] == 0.0


def test_diversify_caps_a_group_in_the_window_unless_nothing_else_qualifies() -> None:
    groups = ["A"] * 8 + ["B", "C", "B", None, "A"]
    out = diversify(list(range(13)), groups, cap=4, window=10)
    assert sorted(out) == list(range(13))  # nothing lost
    assert out[:10] == [0, 1, 2, 3, 8, 9, 10, 11, 4, 5]  # A waits; B, C and ungrouped come up
    assert [groups[o] for o in out[:10]].count("A") == 6  # filled with A only when nothing else is left
    assert out[10:] == [6, 7, 12]
    # Two groups both over the cap share what is left of the window, the best of each first.
    assert diversify(list(range(8)), ["A"] * 6 + ["B"] * 2, cap=2, window=6) == [0, 1, 6, 7, 2, 3, 4, 5]
    two = ["A"] * 5 + ["B"] * 5
    assert [two[o] for o in diversify(list(range(10)), two, cap=1, window=4)] == ["A", "B", "A", "B"] + ["A"] * 3 + ["B"] * 3
    assert diversify([2, 0, 1], ["A", "A", "A"], cap=1, window=10) == [2, 0, 1]  # one group: order kept
    assert diversify([0, 1, 2], [None, None, None], cap=1, window=2) == [0, 1, 2]


PAPER = ["造纸废水深度处理回用", "造纸机烘缸节能改造", "纸浆洗涤废水回用", "造纸污泥干化处置",
         "造纸白水回收利用", "造纸黑液综合利用", "造纸车间蒸汽节能", "造纸废水厌氧处理"]  # fmt: skip
CHEM = ["化工园区废水处理", "化工反应釜余热回收", "化工母液回收", "化工废气治理", "化工循环水节水",
        "化工装置能耗监测"]  # fmt: skip


def test_one_capability_item_does_not_fill_the_top_ten_with_one_industry(emb) -> None:  # type: ignore[no-untyped-def]
    """Both directions spread the final list: at most DIVERSITY_CAP of the top 10 from one
    industry while fitting needs of another are left; a mismatch is never lifted by it."""
    # Stored vectors: the 造纸 item lies close to every 造纸 need, the other item less close to
    # the 化工 ones, so by relevance alone 造纸 would take eight of the ten places.
    rng = np.random.default_rng(3)
    paper_axis, chem_axis = np.eye(emb.dim, dtype=np.float32)[:2]

    def near(axis: np.ndarray, closeness: float) -> np.ndarray:
        v = closeness * axis + (1 - closeness) * rng.normal(0, 0.05, emb.dim).astype(np.float32)
        return v / np.linalg.norm(v)

    provider = ProviderFeatures(
        id=9, name="清源环境", items=("造纸废水处理与回用", "化工废水处理"), industries=("造纸", "化工"),
        item_vectors=np.stack([paper_axis, chem_axis]),
    )  # fmt: skip
    needs = [NeedFeatures(id=i, title=t, industry="造纸", vector=near(paper_axis, 0.95)) for i, t in enumerate(PAPER)]
    needs += [NeedFeatures(id=100 + i, title=t, industry="化工", vector=near(chem_axis, 0.5)) for i, t in enumerate(CHEM)]
    needs += [
        NeedFeatures(id=200 + i, title=f"印染{t}", industry="纺织", vector=near(paper_axis, 0.95))
        for i, t in enumerate(PAPER[:3])
    ]
    top = rank_needs_for_provider(provider, needs, emb, weights=FusionWeights(), limit=10)
    industry = {n.id: n.industry for n in needs}
    shown = [industry[m.id] for m in top]
    # both industries over the cap share the ten places (by relevance alone 造纸 takes eight)
    assert len(top) == 10 and shown.count("造纸") == 5 and shown.count("化工") == 5 and "纺织" not in shown
    assert shown[0] == "造纸"
    everything = rank_needs_for_provider(provider, needs, emb, weights=FusionWeights(), limit=len(needs))
    assert [industry[m.id] for m in everything][-3:] == ["纺织"] * 3  # mismatches still last
    # A provider of one industry: nothing else qualifies, so its own industry fills the list.
    single = ProviderFeatures(
        id=10, name="纸业科技", items=("造纸废水处理与回用",), industries=("造纸",), item_vectors=paper_axis[None, :]
    )
    top = rank_needs_for_provider(single, needs, emb, weights=FusionWeights(), limit=10)
    assert [industry[m.id] for m in top[:8]] == ["造纸"] * 8


def test_providers_for_a_need_are_spread_over_kinds_of_provider(emb) -> None:  # type: ignore[no-untyped-def]
    need = NeedFeatures(id=1, title="造纸废水深度处理回用", industry="造纸")
    same = [ProviderFeatures(id=i, name=f"纸业环保{i}", items=(t,), industries=("造纸",)) for i, t in enumerate(PAPER)]
    seconds = ("化工", "纺织", "印染", "化纤", "皮革", "食品")
    other = [
        ProviderFeatures(id=100 + i, name=f"综合环保{i}", items=(t,), industries=("造纸", second))
        for i, (t, second) in enumerate(zip(CHEM, seconds, strict=True))
    ]
    top = rank_providers_for_need(need, same + other, emb, weights=FusionWeights(), limit=10)
    assert sum(1 for m in top if m.id < 100) == DIVERSITY_CAP  # the best four of one kind, then others
    assert top[0].id < 100  # the best of them keeps its place
