import numpy as np
import pytest

from matching.bm25 import BM25Index
from matching.providers import Profile, ProfileIndex, QueryInput


def test_bm25_prefers_documents_with_rare_query_terms() -> None:
    idx = BM25Index([["光伏", "组件", "检测"], ["光伏", "电站"], ["污水", "处理"]])
    s = idx.score(["组件", "检测"])
    assert s[0] > 0 and s[1] == 0 and s[2] == 0
    assert idx.score(["不存在"]).tolist() == [0.0, 0.0, 0.0]
    assert idx.idf_of("组件") > idx.idf_of("光伏")


def _index() -> ProfileIndex:
    profiles = [
        Profile("a", "x", items=("i1", "i2", "i3")),
        Profile("b", "y", items=("j1",)),
    ]
    # four items in 2-d: profile a has one very close and two far items, b one medium item
    items = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [0.8, 0.6]], dtype=np.float32)
    owner = np.array([0, 0, 0, 1])
    from matching.providers import centroid_vectors

    return ProfileIndex(profiles, centroid_vectors(items, owner, 2), items, owner)


def test_item_aggregates_per_profile() -> None:
    idx = _index()
    q = QueryInput(text="i1", vectors=np.array([1.0, 0.0], dtype=np.float32), tokens=["i1"])
    f = idx.features(q)
    assert f["vec_item_max"].tolist() == pytest.approx([1.0, 0.8])
    assert f["vec_item_top3"].tolist() == pytest.approx([1 / 3, 0.8])
    assert f["vec_item_softmax"][0] > f["vec_item_softmax"][1]
    assert f["knn_vote"][0] > f["knn_vote"][1]
    assert f["prior"][0] > f["prior"][1]  # more items, more track record


def test_several_query_vectors_take_the_best_match() -> None:
    idx = _index()
    q = QueryInput(text="", vectors=np.array([[0.0, 1.0], [0.8, 0.6]], dtype=np.float32), tokens=["x"])
    assert idx.item_similarities(q).tolist() == pytest.approx([0.8, 1.0, 1.0, 1.0])


def test_prf_scores_neighbours_of_the_best_hits() -> None:
    idx = _index()
    prf = idx.prf(np.array([1.0, 0.0]), m=1)
    assert prf[0] == pytest.approx(1.0)


def _labelled_index() -> ProfileIndex:
    labels = [
        ("discipline:材料",),
        ("discipline:材料",),
        ("discipline:农学",),
        ("discipline:材料", "category:工学"),
        (),
    ]
    profiles = [Profile(str(i), f"t{i}", labels=lb) for i, lb in enumerate(labels)]
    vecs = np.eye(5, dtype=np.float32)
    return ProfileIndex(profiles, vecs, vecs, np.arange(5))


def test_label_vote_rewards_the_field_of_the_best_hits() -> None:
    idx = _labelled_index()
    # best hits: 0 (材料), then 2 (农学); 1 and 3 share 0's discipline without being near the query
    vote = idx.label_vote(np.array([1.0, 0.0, 0.5, 0.0, 0.0]), m=2)
    w0, w1 = 1.0, 1.0 / np.log2(3)
    assert vote.tolist() == pytest.approx(
        [w0 / (w0 + w1), w0 / (w0 + w1), w1 / (w0 + w1), w0 / (w0 + w1), 0.0]
    )
    # the unlabelled profile gets nothing; with the field of the top hit changed, the vote follows
    flipped = idx.label_vote(np.array([0.0, 0.0, 1.0, 0.0, 0.0]), m=1)
    assert flipped.tolist() == pytest.approx([0.0, 0.0, 1.0, 0.0, 0.0])


def test_label_vote_is_zero_without_labels() -> None:
    assert _index().label_vote(np.array([1.0, 0.0]), m=1).tolist() == [0.0, 0.0]


def test_char_language_model_matches_without_word_segmentation() -> None:
    from matching.langmodel import CharLanguageModel, char_grams

    assert char_grams("光伏组件，检测") == ["光", "伏", "组", "件", "光伏", "伏组", "组件", "检", "测", "检测"]
    lm = CharLanguageModel(["光伏组件隐裂检测设备", "印染废水中水回用", "工业机器人焊接工作站"])
    s = lm.score("组件隐裂")
    assert int(np.argmax(s)) == 0 and s[0] > s[1] and s[0] > s[2]
    # A query with nothing in common still scores (the length penalty alone), and no NaN
    assert np.isfinite(lm.score("量子通信")).all()
    assert lm.score("").tolist() == [0.0, 0.0, 0.0]
    assert CharLanguageModel([]).score("光伏").shape == (0,)
