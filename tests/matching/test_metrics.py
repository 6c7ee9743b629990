import math

import pytest

from matching.metrics import mrr_at_k, ndcg_at_k, precision_at_k, recall_at_k


def test_recall_counts_relevant_in_top_k() -> None:
    assert recall_at_k(["a", "b", "c", "d"], {"b", "d", "z"}, 2) == pytest.approx(1 / 3)
    assert recall_at_k(["a", "b", "c", "d"], {"b", "d", "z"}, 4) == pytest.approx(2 / 3)
    assert recall_at_k(["a"], set(), 10) == 0.0


def test_mrr_is_reciprocal_rank_of_first_hit_within_k() -> None:
    assert mrr_at_k(["a", "b", "c"], {"c"}, 10) == pytest.approx(1 / 3)
    assert mrr_at_k(["a", "b", "c"], {"c"}, 2) == 0.0
    assert mrr_at_k(["c", "c"], {"c"}, 1) == 1.0


def test_binary_ndcg_hand_computed() -> None:
    # hits at ranks 2 and 3 of two relevant: DCG = 1/log2(3) + 1/log2(4); IDCG = 1 + 1/log2(3)
    expected = (1 / math.log2(3) + 0.5) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(["x", "a", "b"], {"a", "b"}, 10) == pytest.approx(expected)
    assert ndcg_at_k(["a", "b"], {"a", "b"}, 10) == pytest.approx(1.0)


def test_graded_ndcg_linear_and_exponential_gain() -> None:
    grades = {"own": 2, "field1": 1, "field2": 1}
    ranked = ["field1", "own", "other"]
    dcg_lin = 1 + 2 / math.log2(3)
    idcg_lin = 2 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(ranked, grades, 10) == pytest.approx(dcg_lin / idcg_lin)
    dcg_exp = 1 + 3 / math.log2(3)
    idcg_exp = 3 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(ranked, grades, 10, gain="exponential") == pytest.approx(dcg_exp / idcg_exp)


def test_ndcg_cut_at_k_and_duplicates_ignored() -> None:
    assert ndcg_at_k(["x", "a"], {"a"}, 1) == 0.0
    assert ndcg_at_k(["a", "a", "b"], {"a", "b"}, 2) == pytest.approx(
        (1 + 1 / math.log2(3)) / (1 + 1 / math.log2(3))
    )
    assert precision_at_k(["a", "x"], {"a"}, 2) == 0.5
