"""Adjusting an index: adding or dropping indicators, and removing components one at a time.

COINr's ``change_ind`` and ``remove_elements``. Comparisons of the resulting
alternatives are in :mod:`citycheckup.composite.results` (``compare_multi``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from citycheckup.composite._coin import Coin
from citycheckup.composite._util import rank_desc
from citycheckup.composite.aggregate import aggregate_batch, resolve_weights, structure_codes
from citycheckup.composite.pipeline import Pipeline, run_states
from citycheckup.errors import FrameworkError, PipelineError, Problem

__all__ = ["RemovalResult", "change_ind", "remove_elements"]


def change_ind(coin: Coin, *, drop: Sequence[str] = (), add: Sequence[str] = ()) -> Coin:
    """A coin with indicators dropped or added back (COINr ``change_ind``).

    Parameters
    ----------
    coin
        The coin.
    drop
        Indicators of the coin to leave out.
    add
        Indicators that the coin excludes (present in its full indicator table,
        :attr:`Coin.source_meta`) to bring back.

    Returns
    -------
    Coin
        A new coin; run the same pipeline on it to regenerate the index.

    Raises
    ------
    FrameworkError
        Unknown codes, a code both added and dropped, or an aggregate left without
        indicators (all listed).
    """
    problems: list[Problem] = []
    current = set(coin.indicators)
    every = set(coin.source_meta.loc[coin.source_meta["Type"] == "Indicator", "iCode"].astype(str))
    for c in drop:
        if c not in current:
            problems.append(Problem("not an indicator of the coin", f"drop {c}"))
    for c in add:
        if c not in every:
            problems.append(Problem("not an indicator of the coin's full table", f"add {c}"))
        elif c in current:
            problems.append(Problem("already in the coin", f"add {c}"))
    for c in set(drop) & set(add):
        problems.append(Problem("both added and dropped", f"code {c}"))
    if problems:
        raise FrameworkError("cannot change the indicators", problems=problems)
    keep = (current | set(add)) - set(drop)
    exclude = tuple(
        c for c in coin.source_meta["iCode"].astype(str) if c in every and c not in keep
    )
    return coin.extra(exclude=exclude)


@dataclass
class RemovalResult:
    """Effect of removing each component of a level (COINr ``remove_elements``).

    Attributes
    ----------
    scores
        ``uCode``, ``Nominal`` and one column per removed code: the target's scores.
    ranks
        The same as ranks (1 = best).
    rank_diffs
        ``Nominal`` rank minus the rank without the code (negative: the unit ranks
        worse without the code, i.e. the code helped it).
    abs_rank_diffs
        Absolute values of ``rank_diffs``.
    mean_abs_diff
        Mean absolute rank change per removed code (``Nominal`` = 0).
    """

    scores: pd.DataFrame
    ranks: pd.DataFrame
    rank_diffs: pd.DataFrame
    abs_rank_diffs: pd.DataFrame
    mean_abs_diff: pd.Series


def remove_elements(
    coin: Coin,
    pipeline: Pipeline | Sequence[Mapping[str, Any]],
    level: int,
    *,
    target: str | None = None,
    time: Any = None,
) -> RemovalResult:
    """Remove each code of ``level`` in turn (weight 0) and compare the target's ranks.

    Parameters
    ----------
    coin
        Input data and metadata.
    pipeline
        The nominal pipeline; it must contain an ``aggregate`` step. Steps before it
        are run once, the aggregation once per removed code (results are identical
        to rebuilding the whole index, since weights act only in the aggregation).
    level
        Level whose codes are removed (1 = indicators, up to the level below the top).
    target
        Aggregate whose ranks are compared (default: the index).
    time
        Panels: the year compared (default the latest).

    Notes
    -----
    "Removing" means setting the code's weight to 0, as COINr does; removing the only
    child of an aggregate leaves that aggregate missing, and the level above skips it.
    """
    pipe = pipeline if isinstance(pipeline, Pipeline) else Pipeline.from_steps(pipeline)
    if not 1 <= level < coin.max_level:
        raise PipelineError(f"level must be between 1 and {coin.max_level - 1}, got {level}")
    target = target or coin.index_code
    if target not in coin.aggregates:
        raise PipelineError(
            f"target {target!r} is not an aggregate; choose one of {', '.join(coin.aggregates)}"
        )
    agg_i = pipe.index_of("aggregate")
    state = run_states(coin, Pipeline(pipe.steps[:agg_i]))
    params = {k: v for k, v in pipe.steps[agg_i].params.items() if k not in ("weights", "empty")}
    base = resolve_weights(coin, pipe.steps[agg_i].params.get("weights"))
    codes = list(coin.levels[level])
    allc = structure_codes(coin)
    W = np.tile(base, (len(codes) + 1, 1))
    for k, c in enumerate(codes):
        W[k + 1, allc.index(c)] = 0.0
    S = aggregate_batch(coin, state.X, W, zero_weights="nan", **params)
    tpos = coin.aggregates.index(target)
    uc = state.ucode
    t = state.time
    sel = np.arange(len(uc))
    if t is not None:
        tsel = t.max() if time is None else time
        sel = np.flatnonzero(t == tsel)
        if sel.size == 0:
            raise PipelineError(f"no data for time {tsel!r}")
    scores = pd.DataFrame(S[:, sel, tpos].T, columns=["Nominal", *codes])
    scores.insert(0, "uCode", uc[sel])
    R = rank_desc(scores[["Nominal", *codes]].to_numpy(dtype=float), axis=0)
    ranks = scores[["uCode"]].copy()
    for j, c in enumerate(["Nominal", *codes]):
        ranks[c] = R[:, j]
    diffs = ranks.copy()
    for c in ["Nominal", *codes]:
        diffs[c] = ranks["Nominal"] - ranks[c]
    absd = diffs.copy()
    absd[["Nominal", *codes]] = diffs[["Nominal", *codes]].abs()
    mean = absd[["Nominal", *codes]].mean(axis=0, skipna=True)
    return RemovalResult(scores, ranks, diffs, absd, mean)
