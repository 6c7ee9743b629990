"""Concurrent query embeddings are micro-batched: one model call at a time, the ones that arrive
meanwhile together, each caller gets exactly its own rows."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import numpy as np
import pytest

from matching.embedders import BatchingEmbedder, HashEmbedder


class SlowEmbedder(HashEmbedder):
    def __init__(self, delay_s: float = 0.2, fail: bool = False) -> None:
        super().__init__(64)
        self.delay_s, self.fail = delay_s, fail
        self.calls: list[list[str]] = []
        self.lock = threading.Lock()
        self.active = 0
        self.most_active = 0

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        with self.lock:
            self.calls.append(list(texts))
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        time.sleep(self.delay_s)
        with self.lock:
            self.active -= 1
        if self.fail:
            raise RuntimeError("model failed")
        return super().embed_queries(texts)


def _concurrently(embedder: BatchingEmbedder, texts: list[list[str]]) -> list[np.ndarray | BaseException]:
    out: list[np.ndarray | BaseException] = [np.zeros(0)] * len(texts)
    start = threading.Barrier(len(texts))

    def call(i: int) -> None:
        start.wait()
        if i:
            time.sleep(0.02)  # the first one is in the model by now
        try:
            out[i] = embedder.embed_queries(texts[i])
        except BaseException as exc:  # noqa: BLE001 - compared below
            out[i] = exc

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return out


def test_sixteen_concurrent_queries_take_two_model_calls_and_get_their_own_rows() -> None:
    inner = SlowEmbedder()
    batching = BatchingEmbedder(inner)
    texts = [[f"查询{i}", "共同的查询"] if i % 2 else [f"查询{i}"] for i in range(16)]
    results = _concurrently(batching, texts)
    reference = HashEmbedder(64)
    for got, asked in zip(results, texts, strict=True):
        assert isinstance(got, np.ndarray)
        np.testing.assert_allclose(got, reference.embed_queries(asked), atol=1e-6)
    assert len(inner.calls) == 2 and inner.most_active == 1
    # the second call carried the other fifteen callers' texts, the shared one once
    assert sorted(inner.calls[1]) == sorted({t for asked in texts[1:] for t in asked})


def test_one_caller_is_not_held_back() -> None:
    inner = SlowEmbedder(delay_s=0.0)
    batching = BatchingEmbedder(inner)
    np.testing.assert_allclose(batching.embed_queries(["单独的查询"]), HashEmbedder(64).embed_queries(["单独的查询"]), atol=1e-6)
    assert inner.calls == [["单独的查询"]]
    assert batching.embed_queries([]).shape == (0, 64)


def test_a_failed_call_fails_each_of_its_callers_and_the_next_call_runs() -> None:
    inner = SlowEmbedder(fail=True)
    batching = BatchingEmbedder(inner)
    results = _concurrently(batching, [[f"q{i}"] for i in range(4)])
    assert all(isinstance(r, RuntimeError) for r in results)
    inner.fail = False
    assert batching.embed_queries(["q"]).shape == (1, 64)


@pytest.mark.parametrize("max_batch", [1, 3])
def test_batches_are_bounded(max_batch: int) -> None:
    inner = SlowEmbedder(delay_s=0.05)
    batching = BatchingEmbedder(inner, max_batch=max_batch)
    results = _concurrently(batching, [[f"q{i}"] for i in range(7)])
    assert all(isinstance(r, np.ndarray) and r.shape == (1, 64) for r in results)
    assert all(len(c) <= max_batch for c in inner.calls)
