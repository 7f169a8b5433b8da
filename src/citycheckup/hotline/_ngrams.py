"""A vectorised character n-gram TF-IDF transformer.

scikit-learn's ``TfidfVectorizer(analyzer="char")`` builds every n-gram as a
Python string, which caps throughput at about 1,500 messages of 300 characters
per second on one core. Here a text is turned into an array of Unicode code
points and every n-gram (n ≤ 3) into one 63-bit integer key
(``c1 << 42 | c2 << 21 | c3``), so a whole batch is counted with numpy and
looked up in the vocabulary with one ``searchsorted``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import scipy.sparse as sp

__all__ = ["CharNgramTfidf"]

_SPACE = re.compile(r"\s+")
# whitespace next to a CJK character carries no meaning (segmenter output, line breaks)
_CJK_SPACE = re.compile(
    r"(?<=[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef])\s+|\s+(?=[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef])"
)
_BITS = 21  # Unicode code points are < 2**21


def _normalise(text: str) -> str:
    return _CJK_SPACE.sub("", _SPACE.sub(" ", text.lower())).strip()


_WS = np.array(
    [
        0,  # NUL would make the bigram (0, c) collide with the unigram c
        9,
        10,
        11,
        12,
        13,
        32,
        0x85,
        0xA0,
        0x1680,
        0x2028,
        0x2029,
        0x202F,
        0x205F,
        0x3000,
        *range(0x2000, 0x200B),
    ],
    dtype=np.int64,
)


def _is_cjk(c: np.ndarray) -> np.ndarray:
    return (
        ((c >= 0x2E80) & (c <= 0x9FFF))
        | ((c >= 0xF900) & (c <= 0xFAFF))
        | ((c >= 0xFF00) & (c <= 0xFFEF))
    )


def _codes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate ``texts`` into one code-point array; return it and the row starts.

    Same result as :func:`_normalise` on each text, done on the whole batch with numpy:
    lower case, whitespace runs → one space, no space next to a CJK character, and
    none at either end of a text.
    """
    lowered = [t.lower() for t in texts]
    lengths = np.fromiter((len(t) for t in lowered), dtype=np.int64, count=len(lowered))
    codes = np.frombuffer("".join(lowered).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    row = np.repeat(np.arange(len(lowered), dtype=np.int64), lengths)
    ws = np.isin(codes, _WS)
    if ws.any():
        # neighbours within the same text (a text's ends count as "space")
        same_prev = np.zeros(len(codes), dtype=bool)
        same_prev[1:] = row[1:] == row[:-1]
        same_next = np.zeros(len(codes), dtype=bool)
        same_next[:-1] = same_prev[1:]
        # position of the nearest non-space character to the left / right
        idx = np.arange(len(codes))
        left = np.maximum.accumulate(np.where(~ws, idx, -1))
        right = np.minimum.accumulate(np.where(~ws, idx, len(codes))[::-1])[::-1]
        cjk = _is_cjk(codes)
        lrow_ok = (left >= 0) & (row[np.clip(left, 0, None)] == row)
        rrow_ok = (right < len(codes)) & (row[np.clip(right, None, len(codes) - 1)] == row)
        left_cjk = lrow_ok & cjk[np.clip(left, 0, None)]
        right_cjk = rrow_ok & cjk[np.clip(right, None, len(codes) - 1)]
        prev_ws = np.zeros(len(codes), dtype=bool)
        prev_ws[1:] = ws[:-1]
        drop = ws & ((prev_ws & same_prev) | ~lrow_ok | ~rrow_ok | left_cjk | right_cjk)
        keep = ~drop
        codes = np.where(ws, 32, codes)[keep]
        lengths = np.bincount(row[keep], minlength=len(lowered)).astype(np.int64)
    starts = np.zeros(len(lowered) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    return codes, starts


def _ngram_keys(
    codes: np.ndarray, starts: np.ndarray, ngram_range: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Every n-gram key of every row, with the row it belongs to."""
    n_rows = len(starts) - 1
    row_of = np.repeat(np.arange(n_rows, dtype=np.int64), np.diff(starts))
    keys_parts: list[np.ndarray] = []
    rows_parts: list[np.ndarray] = []
    lo, hi = ngram_range
    for n in range(lo, hi + 1):
        if len(codes) < n:
            continue
        m = len(codes) - n + 1
        key = codes[:m].copy()
        for k in range(1, n):
            key = (key << _BITS) | codes[k : k + m]
        # an n-gram is kept only when it does not cross a row boundary
        ok = row_of[:m] == row_of[n - 1 : n - 1 + m]
        keys_parts.append(key[ok])
        rows_parts.append(row_of[:m][ok])
    if not keys_parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(keys_parts), np.concatenate(rows_parts)


_MULT = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing


class _KeyTable:
    """An open-addressing hash table from int64 n-gram keys to column numbers, in numpy.

    ``np.searchsorted`` into a vocabulary of 500k keys costs ~20 cache misses per
    lookup; a hash table at load factor ≤ 0.5 costs one or two.
    """

    def __init__(self, keys: np.ndarray) -> None:
        # unigrams (keys < 2**21) are looked up in a direct array: a third of all lookups,
        # over a few thousand distinct characters, so it stays in cache
        uni = keys < (1 << _BITS)
        top = int(keys[uni].max()) + 1 if uni.any() else 1
        self.direct = np.full(top, -1, dtype=np.int64)
        self.direct[keys[uni]] = np.flatnonzero(uni)
        column = np.flatnonzero(~uni)  # vocabulary column of each hashed key
        keys = keys[~uni]
        bits = max(4, int(np.ceil(np.log2(max(len(keys), 1) * 2 + 1))))
        self.shift = np.uint64(64 - bits)
        self.mask = (1 << bits) - 1
        size = 1 << bits
        # key and value side by side: one cache line per probe
        self.table = np.full((size, 2), -1, dtype=np.int64)
        pending = np.arange(len(keys), dtype=np.int64)
        slot = self._hash(keys)
        while len(pending):
            cand = slot[pending]
            # one key per free slot wins this round; the others probe the next slot
            free = self.table[cand, 0] == -1
            order = np.flatnonzero(free)
            _, first = np.unique(cand[order], return_index=True)
            won = order[first]
            self.table[cand[won], 0] = keys[pending[won]]
            self.table[cand[won], 1] = column[pending[won]]
            lost = np.ones(len(pending), dtype=bool)
            lost[won] = False
            pending = pending[lost]
            slot[pending] = (slot[pending] + 1) & self.mask

    def _hash(self, keys: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return ((keys.astype(np.uint64) * _MULT) >> self.shift).astype(np.int64)

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """Column of each key, or -1 when it is not in the table."""
        out = np.full(len(keys), -1, dtype=np.int64)
        uni = keys < len(self.direct)
        out[uni] = self.direct[keys[uni]]
        # the remaining unigrams (code points beyond every known one) are absent
        rest = np.flatnonzero(~uni & (keys >= (1 << _BITS)))
        if not len(rest):
            return out
        slot = np.empty(len(keys), dtype=np.int64)
        slot[rest] = self._hash(keys[rest])
        todo = rest
        while len(todo):
            pairs = self.table[slot[todo]]
            found = pairs[:, 0]
            hit = found == keys[todo]
            out[todo[hit]] = pairs[hit, 1]
            go_on = ~hit & (found != -1)
            todo = todo[go_on]
            slot[todo] = (slot[todo] + 1) & self.mask
        return out


class CharNgramTfidf:
    """Character n-gram TF-IDF with sublinear tf and l2 row norms.

    Parameters
    ----------
    ngram_range
        Smallest and largest n (1 ≤ n ≤ 3).
    min_df
        Keep an n-gram only when it occurs in at least this many training texts.
    max_features
        Keep at most this many n-grams (the most frequent); ``None`` keeps all.

    Notes
    -----
    Same weighting as ``TfidfVectorizer(sublinear_tf=True, smooth_idf=True)``:
    ``tf = 1 + log(count)``, ``idf = ln((1 + N) / (1 + df)) + 1``, rows scaled to unit l2 norm.
    """

    def __init__(
        self,
        ngram_range: tuple[int, int] = (1, 3),
        *,
        min_df: int = 2,
        max_features: int | None = None,
    ) -> None:
        if not 1 <= ngram_range[0] <= ngram_range[1] <= 3:
            raise ValueError(f"ngram_range must satisfy 1 <= lo <= hi <= 3, got {ngram_range}")
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.vocabulary_: np.ndarray = np.zeros(0, dtype=np.int64)
        self.idf_: np.ndarray = np.zeros(0, dtype=np.float64)
        self._table = _KeyTable(self.vocabulary_)

    def __getstate__(self) -> dict[str, object]:
        # the lookup table is derived data (tens of MB): rebuilt on load, not pickled
        state = self.__dict__.copy()
        state.pop("_table", None)
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._table = _KeyTable(self.vocabulary_)

    def fit(self, texts: Iterable[str]) -> CharNgramTfidf:
        """Learn the vocabulary and idf weights from ``texts``."""
        texts = list(texts)
        codes, starts = _codes(texts)
        keys, rows = _ngram_keys(codes, starts, self.ngram_range)
        # document frequency: count each (row, n-gram) pair once
        uniq, inverse = np.unique(keys, return_inverse=True)
        pairs = sp.csr_matrix(
            (np.ones(len(keys), dtype=np.int8), (rows, inverse.ravel())),
            shape=(len(texts), len(uniq)),
        )
        pairs.sum_duplicates()
        df = np.bincount(pairs.indices, minlength=len(uniq))
        keep = df >= self.min_df
        uniq, df = uniq[keep], df[keep]
        if self.max_features is not None and len(uniq) > self.max_features:
            top = np.argsort(-df, kind="stable")[: self.max_features]
            top.sort()
            uniq, df = uniq[top], df[top]
        n = len(texts)
        self.vocabulary_ = uniq
        self.idf_ = np.log((1.0 + n) / (1.0 + df)) + 1.0
        self._table = _KeyTable(uniq)
        return self

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Return the (n_texts × n_features) TF-IDF matrix."""
        texts = list(texts)
        n_rows = len(texts)
        codes, starts = _codes(texts)
        keys, rows = _ngram_keys(codes, starts, self.ngram_range)
        vocab = self.vocabulary_
        if len(vocab) and len(keys):
            pos = self._table.lookup(keys)
            hit = pos >= 0
            cols, rows = pos[hit], rows[hit]
        else:
            cols = rows = np.zeros(0, dtype=np.int64)
        # scipy's C++ coo → csr conversion and per-row duplicate summing beat one global sort
        mat = sp.coo_matrix(
            (np.ones(len(cols), dtype=np.float64), (rows, cols)), shape=(n_rows, len(vocab))
        ).tocsr()
        mat.sum_duplicates()
        data = mat.data
        np.log(data, out=data)
        data += 1.0
        data *= self.idf_[mat.indices]
        r = np.repeat(np.arange(n_rows), np.diff(mat.indptr))
        norms = np.sqrt(np.bincount(r, weights=data * data, minlength=n_rows))
        norms[norms == 0] = 1.0
        data /= norms[r]
        return mat

    def fit_transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Fit, then transform the same texts."""
        texts = list(texts)
        return self.fit(texts).transform(texts)
