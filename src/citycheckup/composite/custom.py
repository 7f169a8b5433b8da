"""Custom pipeline steps: any user operation on the current data set (COINr ``Custom``).

A custom step receives the current data set as a DataFrame (``uCode``, ``Time`` for
panels, one column per indicator) and returns a DataFrame of the same layout. It may
change values, set values to missing and drop rows (units); it may not add units
or indicators. The result is written as a named data set (default ``Custom``) and
becomes the input of the next step, so it is part of the methodology and is re-run
in every rebuild of a sensitivity analysis.

In a YAML pipeline the function is named by its import path::

    steps:
      - custom: {function: "mypackage.cleaning:fix_outliers", params: {limit: 3}}

Naming a function runs its module's code: only use pipeline files you trust, as
with any script.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from citycheckup.composite._state import State
from citycheckup.errors import PipelineError, Problem

__all__ = ["custom", "resolve_function"]


def resolve_function(function: str | Callable[..., Any]) -> Callable[..., Any]:
    """The callable itself, or the one named ``"package.module:name"``."""
    if callable(function):
        return function
    if not isinstance(function, str) or ":" not in function:
        raise PipelineError(
            f"custom step: 'function' must be a callable or 'module:name', got {function!r}"
        )
    mod, _, attr = function.partition(":")
    try:
        obj: Any = importlib.import_module(mod)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise PipelineError(f"custom step: cannot import {function!r}: {exc}") from exc
    if not callable(obj):
        raise PipelineError(f"custom step: {function!r} is not callable")
    return obj  # type: ignore[no-any-return]


def custom(
    state: State,
    *,
    function: str | Callable[..., Any],
    params: Mapping[str, Any] | None = None,
    name: str = "Custom",
) -> State:
    """Pipeline step ``custom``: apply ``function(data, **params)`` to the current data set.

    Parameters
    ----------
    state
        Pipeline state.
    function
        A callable or its import path ``"module:name"``.
    params
        Keyword arguments for the function.
    name
        Name of the data set written.

    Raises
    ------
    PipelineError
        The function fails or returns something else than the same layout (every
        problem listed).
    """
    func = resolve_function(function)
    codes = list(state.coin.indicators)
    head: dict[str, Any] = {"uCode": state.ucode}
    t = state.time
    if t is not None:
        head["Time"] = t
    df = pd.concat([pd.DataFrame(head), pd.DataFrame(state.X, columns=codes)], axis=1)
    try:
        out = func(df.copy(), **dict(params or {}))
    except Exception as exc:  # the user's code: report which step failed and why
        raise PipelineError(
            f"custom step {name!r}: the function raised {type(exc).__name__}: {exc}"
        ) from exc
    where = f"custom step {name!r}"
    if not isinstance(out, pd.DataFrame):
        raise PipelineError(
            f"{where}: the function must return a DataFrame, got {type(out).__name__}"
        )
    problems: list[Problem] = []
    key = ["uCode", "Time"] if t is not None else ["uCode"]
    missing = [c for c in [*key, *codes] if c not in out.columns]
    if missing:
        problems.append(Problem(f"the returned table lacks column(s) {', '.join(missing)}", where))
    else:
        for c in codes:
            if not pd.api.types.is_numeric_dtype(out[c]):
                problems.append(Problem("values must be numeric", f"{where}, column {c}"))
        if out.duplicated(key).any():
            problems.append(Problem("the returned table has duplicate units", where))
    if problems:
        raise PipelineError(f"{where} returned an invalid table", problems=problems)
    index = (
        pd.MultiIndex.from_frame(df[key].astype(str))
        if t is not None
        else pd.Index(df["uCode"].astype(str))
    )
    got = (
        pd.MultiIndex.from_frame(out[key].astype(str))
        if t is not None
        else pd.Index(out["uCode"].astype(str))
    )
    pos = index.get_indexer(got)
    if (pos < 0).any():
        extra = [str(k) for k in np.asarray(got)[pos < 0][:5]]
        raise PipelineError(f"{where}: the returned table has unknown unit(s) {', '.join(extra)}")
    order = np.sort(pos)
    X = out[codes].to_numpy(dtype=float)[np.argsort(pos, kind="stable")]
    return state.with_dataset(name, X, rows=state.rows[order])
