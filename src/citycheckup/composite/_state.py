"""Internal state passed between pipeline steps (numpy arrays, no DataFrames).

Steps never modify a state in place: each returns a new :class:`State` that shares
unchanged arrays with its input, which keeps a rebuild cheap and lets the
sensitivity engine memoise the state after any prefix of the pipeline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from citycheckup.composite._coin import Coin

__all__ = ["CoinArrays", "State", "arrays_of"]


class CoinArrays:
    """Arrays of a coin's data, computed once per coin."""

    def __init__(self, coin: Coin):
        self.coin = coin
        d = coin.data
        self.ucode = d["uCode"].to_numpy(dtype=object)
        self.time = d["Time"].to_numpy() if "Time" in d.columns else None
        self.X = (
            d[list(coin.indicators)].to_numpy(dtype=float)
            if coin.indicators
            else np.empty((len(d), 0))
        )
        self.groups = {g: d[g].to_numpy(dtype=object) for g in coin.group_columns}
        self.denoms = {c: d[c].to_numpy(dtype=float) for c in coin.denominator_columns}
        self.directions = coin.directions
        self.ind_index = {c: i for i, c in enumerate(coin.indicators)}

    @cached_property
    def levels(self) -> list[Any]:
        return self.coin.level_structures()


_ARRAYS: dict[int, CoinArrays] = {}


def arrays_of(coin: Coin) -> CoinArrays:
    """The cached :class:`CoinArrays` of ``coin``."""
    key = id(coin)
    arr = _ARRAYS.get(key)
    if arr is None or arr.coin is not coin:
        arr = CoinArrays(coin)
        if len(_ARRAYS) > 64:
            _ARRAYS.clear()
        _ARRAYS[key] = arr
    return arr


@dataclass(frozen=True, eq=False)
class State:
    """Data between steps.

    Attributes
    ----------
    coin
        The input coin.
    rows
        Row positions (into ``coin.data``) of the units still present.
    X
        Current indicator values, shape ``(len(rows), n_indicators)``.
    datasets
        Named data sets written so far: ``name -> (rows, values, codes)``.
    details
        Step outputs other than data (treatment table, screening summary …).
    scores
        Aggregate values, shape ``(len(rows), n_aggregates)``, once aggregated.
    """

    coin: Coin
    rows: np.ndarray
    X: np.ndarray
    datasets: dict[str, tuple[np.ndarray, np.ndarray, tuple[str, ...]]] = field(
        default_factory=dict
    )
    details: dict[str, Any] = field(default_factory=dict)
    scores: np.ndarray | None = None

    @classmethod
    def initial(cls, coin: Coin) -> State:
        arr = arrays_of(coin)
        rows = np.arange(len(arr.ucode))
        st = cls(coin=coin, rows=rows, X=arr.X)
        return st.with_dataset("Raw", arr.X, rows=rows)

    @property
    def arrays(self) -> CoinArrays:
        return arrays_of(self.coin)

    @property
    def time(self) -> np.ndarray | None:
        """Years of the current rows; ``None`` unless the coin is a panel."""
        t = self.arrays.time
        return None if t is None or not self.coin.is_panel else t[self.rows]

    @property
    def ucode(self) -> np.ndarray:
        return self.arrays.ucode[self.rows]

    def group(self, name: str) -> np.ndarray:
        return self.arrays.groups[name][self.rows]

    def with_dataset(
        self,
        name: str,
        X: np.ndarray,
        *,
        rows: np.ndarray | None = None,
        details: dict[str, Any] | None = None,
        scores: np.ndarray | None = None,
    ) -> State:
        """A new state whose current data are ``X`` (written as data set ``name``)."""
        rows = self.rows if rows is None else rows
        ds = dict(self.datasets)
        codes = self.coin.indicators
        full = X
        if scores is not None:
            full = np.hstack([X, scores])
            codes = codes + self.coin.aggregates
        ds[name] = (rows, full, codes)
        det = dict(self.details)
        if details:
            det.update(details)
        return replace(self, rows=rows, X=X, datasets=ds, details=det, scores=scores)

    def per_time(self, func: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
        """Apply ``func(X_block, row_positions)`` to each time point separately.

        Cross-sectional data form one block. ``row_positions`` index into the
        current rows (not ``coin.data``).
        """
        t = self.time
        if t is None or len(np.unique(t)) <= 1:
            return func(self.X, np.arange(len(self.rows)))
        out = np.empty_like(self.X)
        for tt in np.unique(t):
            pos = np.flatnonzero(t == tt)
            out[pos] = func(self.X[pos], pos)
        return out

    def frame(self, name: str) -> pd.DataFrame:
        """Data set ``name`` as a DataFrame: ``uCode``, (``Time``), then one column per code."""
        rows, values, codes = self.datasets[name]
        arr = self.arrays
        df = pd.DataFrame(values, columns=list(codes))
        head = {"uCode": arr.ucode[rows]}
        if arr.time is not None and self.coin.is_panel:
            head["Time"] = arr.time[rows]
        return pd.concat([pd.DataFrame(head), df], axis=1)
