from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from matching.embedders import CachedEmbedder, load_embedder


class CountingEmbedder:
    def __init__(self) -> None:
        self.inner = load_embedder("hash")
        self.name, self.dim = "counting", self.inner.dim
        self.seen: list[str] = []

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.seen += list(texts)
        return self.inner.embed_passages(texts)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.seen += [f"q:{t}" for t in texts]
        return self.inner.embed_queries(texts)


def test_recurring_texts_are_embedded_once_and_vectors_stay_the_same() -> None:
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner)
    first = cached.embed_passages(["光伏组件隐裂检测", "余热回收", "光伏组件隐裂检测"])
    second = cached.embed_passages(["余热回收", "数控机床热变形"])
    assert inner.seen == ["光伏组件隐裂检测", "余热回收", "数控机床热变形"]
    assert np.allclose(first[1], second[0])
    assert np.allclose(first, inner.inner.embed_passages(["光伏组件隐裂检测", "余热回收", "光伏组件隐裂检测"]))
    # Queries and passages are different vectors and are cached apart.
    cached.embed_queries(["余热回收"])
    assert inner.seen[-1] == "q:余热回收"


def test_the_cache_is_bounded() -> None:
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner, max_entries=3)
    for text in ["a1", "a2", "a3", "a4", "a5"]:
        cached.embed_passages([text])
    assert len(cached._cache) <= 3
