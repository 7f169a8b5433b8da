"""``composite/normalise.py`` step options, expected values by hand (COINr ``Normalise``,
bluefoxr/COINr at commit b968203, ``R/normalise.R``: ``n_minmax``, ``n_zscore``,
``n_dist2targ``, ``n_dist2ref``; ``individual`` per-indicator overrides).

Synthetic coin: a = 1, 2, 3 and b = 10, 20, 30 for U1..U3, both direction +1; a's
iMeta Target is 3.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from citycheckup.composite import Coin, run_pipeline
from citycheckup.errors import PipelineError


def _coin(c: list[float] | None = None, target: bool = True) -> Coin:
    codes = ["a", "b"] + (["c"] if c is not None else [])
    meta = pd.DataFrame(
        {
            "Level": [1] * len(codes) + [2],
            "iCode": [*codes, "Index"],
            "Direction": [1] * (len(codes) + 1),
            "Weight": [1] * (len(codes) + 1),
            "Parent": ["Index"] * len(codes) + [None],
            "Type": ["Indicator"] * len(codes) + ["Aggregate"],
        }
    )
    if target:
        meta["Target"] = [3.0] + [float("nan")] * len(codes)
    data = pd.DataFrame({"uCode": ["U1", "U2", "U3"], "a": [1.0, 2.0, 3.0], "b": [10.0, 20, 30]})
    if c is not None:
        data["c"] = c
    return Coin(data=data, meta=meta)


def _norm(coin: Coin, **params: object) -> pd.DataFrame:
    return run_pipeline(coin, [{"normalise": params}]).datasets["Normalised"]


def test_individual_method_per_indicator() -> None:
    """a by min-max 0-100: 0, 50, 100; b by z-score (mean 20, sd 10): -1, 0, 1."""
    out = _norm(_coin(), individual={"b": {"method": "zscore"}})
    assert out["a"].tolist() == [0.0, 50.0, 100.0]
    assert out["b"].tolist() == pytest.approx([-1.0, 0.0, 1.0], abs=1e-12)


def test_individual_with_an_unknown_code() -> None:
    with pytest.raises(PipelineError) as info:
        _norm(_coin(), individual={"zz": {"method": "zscore"}})
    assert [(p.where, p.message) for p in info.value.problems] == [
        ("normalise.individual.zz", "not an indicator code")
    ]


def test_zscore_constant_indicator_to_the_mean_with_midpoint() -> None:
    """z-score mean 10, sd 2: a (m 2, s 1) -> 8, 10, 12; the constant c (5, 5, NaN) has no
    spread: with constant = midpoint every available value becomes the mean 10."""
    out = _norm(_coin(c=[5.0, 5.0, math.nan]), method="zscore", mean=10, sd=2, constant="midpoint")
    assert out["a"].tolist() == pytest.approx([8.0, 10.0, 12.0], abs=1e-12)
    assert out["c"].tolist()[:2] == [10.0, 10.0] and math.isnan(out["c"].iloc[2])


def test_distance_to_the_target_from_the_indicator_table() -> None:
    """a: (x - min)/(Target - min) = (x - 1)/2 -> 0, 0.5, 1 (b's target given as 40:
    (x - 10)/30 -> 0, 1/3, 2/3)."""
    out = _norm(
        _coin(), method="dist2targ", individual={"b": {"method": "dist2targ", "target": 40}}
    )
    assert out["a"].tolist() == [0.0, 0.5, 1.0]
    assert out["b"].tolist() == pytest.approx([0.0, 1 / 3, 2 / 3], rel=1e-12)


def test_distance_to_the_target_needs_one_for_every_indicator() -> None:
    with pytest.raises(
        PipelineError,
        match=r"^step 0 \(normalise\) failed: dist2targ needs a target for every indicator: give 'target' or a Target column in the indicator table \(use_meta: true\)$",
    ):
        _norm(_coin(target=False), method="dist2targ")


def test_distance_to_a_reference_unit_named_by_its_code() -> None:
    """ref U2: 1 - (x_ref - x)/(x_ref - min): a (2, min 1) -> 0, 1, 2; b likewise."""
    out = _norm(_coin(), method="dist2ref", ref="U2")
    assert out["a"].tolist() == [0.0, 1.0, 2.0] and out["b"].tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(
        PipelineError,
        match=r"^step 0 \(normalise\) failed: dist2ref reference unit 'U9' not found among the units; give a uCode present in the data$",
    ):
        _norm(_coin(), method="dist2ref", ref="U9")
