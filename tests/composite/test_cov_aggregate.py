"""``composite/aggregate.py``: non-positive values, per-level settings, weights and every
error path, with the expected scores computed by hand (COINr ``Aggregate``, bluefoxr/COINr
at commit b968203, ``R/aggregate.R``: weighted arithmetic / geometric / harmonic means).

Synthetic coin: indicators a, b -> Index, equal weights.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from citycheckup.composite import Coin, run_pipeline
from citycheckup.composite.aggregate import (
    AGGREGATORS,
    aggregate_batch,
    outrank_matrix,
    resolve_weights,
)
from citycheckup.errors import PipelineError


def _coin(a: list[float], b: list[float]) -> Coin:
    meta = pd.DataFrame(
        {
            "Level": [1, 1, 2],
            "iCode": ["a", "b", "Index"],
            "Direction": [1, 1, 1],
            "Weight": [1, 1, 1],
            "Parent": ["Index", "Index", None],
            "Type": ["Indicator", "Indicator", "Aggregate"],
        }
    )
    data = pd.DataFrame({"uCode": [f"U{i + 1}" for i in range(len(a))], "a": a, "b": b})
    return Coin(data=data, meta=meta)


def _index(coin: Coin, **params: object) -> list[float]:
    res = run_pipeline(coin, [{"aggregate": params}])
    return res.datasets["Aggregated"]["Index"].tolist()


WITH_ZERO = ([1.0, 0.0, 2.0], [4.0, 9.0, 2.0])  # U2 has a 0


def test_geometric_with_shift() -> None:
    """shift adds 1 - min (min 0) to the level's input: U1 (2, 5), U2 (1, 10), U3 (3, 3);
    geometric means sqrt(10), sqrt(10), 3."""
    got = _index(_coin(*WITH_ZERO), method="geometric", nonpositive="shift")
    assert got == pytest.approx([math.sqrt(10), math.sqrt(10), 3.0], rel=1e-12)


def test_harmonic_with_omit() -> None:
    """omit treats U2's 0 as missing: harmonic of (9) = 9; U1 2/(1 + 1/4) = 1.6; U3 2."""
    got = _index(_coin(*WITH_ZERO), method="harmonic", nonpositive="omit")
    assert got == pytest.approx([1.6, 9.0, 2.0], rel=1e-12)


def test_a_misspelt_policy_is_an_error_even_without_non_positive_values() -> None:
    """All values positive: before the fix 'skip' passed silently (it was only read when a
    value <= 0 appeared)."""
    with pytest.raises(PipelineError) as info:
        _index(_coin([1.0, 2.0], [3.0, 4.0]), method="geometric", nonpositive="skip")
    (p,) = info.value.problems
    assert p.where == "aggregate.nonpositive"
    assert p.message == "unknown policy 'skip'; choose raise, omit or shift"


def test_the_mean_itself_rejects_an_unknown_policy_on_a_zero() -> None:
    C = np.array([[[0.0, 4.0]]])  # one weight set, one unit, two children
    W = np.ones((1, 2))
    G = np.ones((2, 1))
    with pytest.raises(
        PipelineError, match="^unknown nonpositive policy 'skip'; choose raise, omit or shift$"
    ):
        AGGREGATORS["geometric"](C, W, G, nonpositive="skip")


def test_power_mean_needs_p_and_p_zero_is_geometric() -> None:
    """p = 0: geometric mean; U1 (1, 4) -> 2, U2 (2, 8) -> 4."""
    coin = _coin([1.0, 2.0], [4.0, 8.0])
    with pytest.raises(
        PipelineError,
        match=r"^step 0 \(aggregate\) failed: aggregation 'power' needs the exponent p \(e\.g\. p: 2\)$",
    ):
        _index(coin, method="power")
    assert _index(coin, method="power", p=0) == pytest.approx([2.0, 4.0], rel=1e-12)


def test_per_level_settings_as_mapping_with_text_keys() -> None:
    """{'2': geometric} (keys as YAML may give them): U1 sqrt(1*4) = 2."""
    assert _index(_coin([1.0], [4.0]), method={"2": "geometric"}) == pytest.approx([2.0])


def test_every_problem_of_the_step_at_once() -> None:
    coin = _coin([1.0, 2.0], [3.0, 4.0])
    X = coin.data[["a", "b"]].to_numpy()
    W = resolve_weights(coin)
    with pytest.raises(PipelineError) as info:
        aggregate_batch(
            coin,
            X,
            W,
            method={3: "geometric"},
            min_availability=[0.5, 0.5],
            p="two",
            zero_weights="zero",  # type: ignore[arg-type]
            copeland={"na": "maybe"},
        )
    got = [(p.where, p.message) for p in info.value.problems]
    assert got == [
        ("aggregate.method", "no value for level 2; give one for each of [2]"),
        ("aggregate.min_availability", "give 1 values (levels [2]), got 2"),
        ("aggregate.zero_weights", "zero_weights must be 'raise' or 'nan'"),
        (
            "aggregate.copeland",
            "aggregate.copeland.na must be 'pairwise' or 'coinr', got 'maybe'",
        ),
    ]


def test_unknown_method_and_copeland_keys() -> None:
    coin = _coin([1.0, 2.0], [3.0, 4.0])
    X, W = coin.data[["a", "b"]].to_numpy(), resolve_weights(coin)
    with pytest.raises(PipelineError) as info:
        aggregate_batch(coin, X, W, method="median", copeland={"ties": 1})
    got = [(p.where, p.message) for p in info.value.problems]
    assert got[0][0] == "aggregate.method (level 2)"
    assert got[0][1].startswith("unknown aggregation 'median'; choose one of arithmetic, ")
    assert got[1] == (
        "aggregate.copeland",
        "aggregate.copeland takes {na: pairwise} or {na: coinr}, got {'ties': 1}",
    )


def test_weights_arguments() -> None:
    coin = _coin([1.0, 2.0], [3.0, 4.0])
    with pytest.raises(PipelineError) as info:
        resolve_weights(coin, {"a": 2.0, "zz": 1.0})
    assert [(p.where, p.message) for p in info.value.problems] == [
        ("aggregate.weights.zz", "not an indicator or aggregate code")
    ]
    with pytest.raises(
        PipelineError,
        match="^weights must be None, 'equal', a weight-set name or a mapping, got 5$",
    ):
        resolve_weights(coin, 5)
    # {a: 3}: U1 (3*1 + 3)/4 = 1.5, U2 (3*2 + 4)/4 = 2.5
    assert _index(coin, weights={"a": 3.0}) == pytest.approx([1.5, 2.5])


def test_outrank_matrix_arguments() -> None:
    X = np.array([[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(PipelineError, match="copeland na must be 'pairwise' or 'coinr', got 'x'"):
        outrank_matrix(X, na="x")  # type: ignore[arg-type]
    with pytest.raises(
        PipelineError, match=r"^X must be a units × indicators matrix, got shape \(2,\)$"
    ):
        outrank_matrix(np.array([1.0, 2.0]))
    with pytest.raises(PipelineError, match="give one weight per column \\(2\\), got 3"):
        outrank_matrix(X, w=[1.0, 1.0, 1.0])


def test_empty_policy_is_checked() -> None:
    with pytest.raises(
        PipelineError,
        match=r"^step 0 \(aggregate\) failed: aggregate\.empty must be 'report' or 'raise', got 'x'$",
    ):
        _index(_coin([1.0], [2.0]), empty="x")


def test_per_level_settings_as_a_list() -> None:
    """One value per aggregation level (here only level 2): ['geometric'] -> sqrt(1*4) = 2."""
    assert _index(_coin([1.0], [4.0]), method=["geometric"]) == pytest.approx([2.0])
