"""On-disk cache of embeddings for offline evaluation and re-indexing.

One ``.npy`` file per (embedder, kind, exact list of texts); the key is a hash of all three, so a
changed text or model never returns stale vectors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from matching.embedders import Embedder

__all__ = ["cached_embeddings"]


def _key(embedder: Embedder, kind: str, texts: Sequence[str]) -> str:
    h = hashlib.sha256()
    h.update(f"{embedder.name}\x00{embedder.dim}\x00{kind}\x00{len(texts)}\x00".encode())
    for t in texts:
        h.update(t.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:32]


def cached_embeddings(
    embedder: Embedder, texts: Sequence[str], kind: str = "passage", cache_dir: Path | None = None
) -> np.ndarray:
    """Embed ``texts`` as passages or queries, reading/writing ``cache_dir`` when given.

    The hash embedder is never cached (it is cheaper to recompute than to read).
    """
    if kind not in ("passage", "query"):
        raise ValueError("kind must be 'passage' or 'query'")
    fn = embedder.embed_passages if kind == "passage" else embedder.embed_queries
    if cache_dir is None or embedder.name == "hash":
        return fn(texts)
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in embedder.name)[:40]
    path = cache_dir / f"{safe}-{kind}-{_key(embedder, kind, texts)}.npy"
    if path.exists():
        arr = np.load(path)
        if arr.shape == (len(texts), embedder.dim):
            cached: np.ndarray = arr.astype(np.float32, copy=False)
            return cached
    arr = fn(texts)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, arr)
    tmp.replace(path)
    return arr
