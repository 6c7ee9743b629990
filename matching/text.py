"""Chinese text: segmentation with the domain dictionary, stop words, key terms.

A dedicated ``jieba.Tokenizer`` (not jieba's global one) is built lazily once per process under
a lock, with ``matching/data/domain_dict.txt`` loaded so that terms such as 数控机床, 光伏组件 or
中水回用 stay whole. Call :func:`warm_up` before forking workers to share the loaded dictionary.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

import jieba

__all__ = [
    "DATA_DIR",
    "domain_terms",
    "keyterms",
    "segment",
    "shared_terms",
    "stopwords",
    "term_idf",
    "warm_up",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
DOMAIN_BOOST = 1.6

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None
_SPLIT_ASCII_WS = re.compile(r"\s+")
_MEANINGLESS = re.compile(r"^[\W_]+$|^\d+(\.\d+)?%?$", re.UNICODE)
_ASCII_TERM = re.compile(r"^[A-Za-z][A-Za-z0-9+\-]*$")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    lines = (DATA_DIR / "stopwords.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip())


@lru_cache(maxsize=1)
def domain_terms() -> frozenset[str]:
    """Terms of the domain dictionary, lower-cased (ASCII terms such as MES become ``mes``)."""
    out = set()
    for line in (DATA_DIR / "domain_dict.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if parts:
            out.add(parts[0].lower())
    return frozenset(out)


def _get_tokenizer() -> jieba.Tokenizer:
    global _tokenizer
    if _tokenizer is not None:
        return _tokenizer
    with _lock:
        if _tokenizer is None:
            jieba.setLogLevel(logging.WARNING)
            tok = jieba.Tokenizer()
            tok.initialize()
            tok.load_userdict(str(DATA_DIR / "domain_dict.txt"))
            _tokenizer = tok
    return _tokenizer


def warm_up() -> None:
    """Load the dictionary now (before forking workers, or at app start)."""
    _get_tokenizer()
    stopwords()
    _jieba_idf()


def segment(text: str, for_search: bool = False, keep_single: bool = True) -> list[str]:
    """Words of ``text`` in order: domain terms kept whole, stop words and punctuation dropped.

    ASCII words are lower-cased. ``for_search`` also emits the shorter words inside long ones
    (jieba's search mode), which raises keyword recall. ``keep_single=False`` drops one-character
    words.
    """
    if not text:
        return []
    tok = _get_tokenizer()
    stop = stopwords()
    pieces = tok.cut_for_search(text, HMM=True) if for_search else tok.cut(text, HMM=True)
    out: list[str] = []
    for piece in pieces:
        word = piece.strip().lower()
        if not word or word in stop or _MEANINGLESS.match(word):
            continue
        if not keep_single and len(word) == 1:
            continue
        out.append(word)
    return out


@lru_cache(maxsize=1)
def _jieba_idf() -> tuple[dict[str, float], float]:
    """jieba's general-corpus IDF table (shipped with jieba) and its median as the default."""
    path = Path(jieba.__file__).resolve().parent / "analyse" / "idf.txt"
    idf: dict[str, float] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 2:
                idf[parts[0]] = float(parts[1])
    values = sorted(idf.values())
    median = values[len(values) // 2] if values else 10.0
    return idf, median


def term_idf(term: str, corpus_idf: Mapping[str, float] | None = None) -> float:
    """IDF of ``term``: from ``corpus_idf`` when given and known, else jieba's general table."""
    if corpus_idf is not None and term in corpus_idf:
        return corpus_idf[term]
    idf, median = _jieba_idf()
    return idf.get(term, median)


def _is_keyterm_candidate(word: str) -> bool:
    if len(word) >= 2:
        return True
    return bool(_ASCII_TERM.match(word)) and len(word) > 1


def keyterms(
    text: str, k: int = 10, corpus_idf: Mapping[str, float] | None = None
) -> list[tuple[str, float]]:
    """Top ``k`` key terms of ``text`` with weights summing to 1 (TF-IDF, domain terms boosted).

    IDF comes from ``corpus_idf`` when given (e.g. built over all needs), otherwise from jieba's
    general table; domain-dictionary terms are multiplied by ``DOMAIN_BOOST`` so that 光伏组件
    outranks a generic word of similar rarity.
    """
    words = [w for w in segment(text) if _is_keyterm_candidate(w)]
    if not words:
        return []
    counts = Counter(words)
    domain = domain_terms()
    scored: dict[str, float] = {}
    for word, tf in counts.items():
        weight = (1.0 + math.log(tf)) * term_idf(word, corpus_idf)
        if word in domain:
            weight *= DOMAIN_BOOST
        scored[word] = weight
    top = sorted(scored.items(), key=lambda kv: (-kv[1], words.index(kv[0])))[:k]
    total = sum(w for _, w in top) or 1.0
    return [(w, s / total) for w, s in top]


def shared_terms(
    a: str | Iterable[str],
    b: str | Iterable[str],
    k: int = 5,
    corpus_idf: Mapping[str, float] | None = None,
) -> list[str]:
    """Words present in both texts (or token lists), rarest first: the evidence a user can read."""
    ta = set(segment(a) if isinstance(a, str) else a)
    tb = set(segment(b) if isinstance(b, str) else b)
    common = [w for w in ta & tb if _is_keyterm_candidate(w)]
    domain = domain_terms()
    common.sort(key=lambda w: (-(term_idf(w, corpus_idf) * (DOMAIN_BOOST if w in domain else 1.0)), w))
    return common[:k]
