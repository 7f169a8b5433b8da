"""Raking: convergence, exact margins, the odds-ratio oracle, trimming, and every degenerate case."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from citycheckup.survey import RakingConvergenceError, WeightingError, kish_effective_n, rake
from tests.survey.synthetic import Draw, Population


def test_raking_converges_and_recovers_the_population_margins(
    population: Population, draw: Draw
) -> None:
    m = population.margins()
    rk = rake(draw.responses.data, m, base_weights=draw.base_weights)
    assert rk.max_error < 1e-10 and rk.iterations < 100
    for v, spec in m.items():
        got = rk.weights.groupby(draw.responses.data[v]).sum()
        np.testing.assert_allclose(got.reindex(spec.index).to_numpy(), spec.to_numpy(), rtol=1e-9)
    assert rk.weights.sum() == pytest.approx(len(population.frame), rel=1e-12)
    # the sample is skewed (older residents answer more), so the weights differ from the base weights
    young = draw.responses.data["age_group"] == "18-29"
    assert (rk.weights[young] / draw.base_weights[young.to_numpy()]).mean() > 1.5
    assert 1.0 < rk.deff < 3.0


def test_multiplicative_response_recovers_the_joint_table_exactly() -> None:
    """Oracle: raking keeps the sample's odds ratios (Deming & Stephan 1940), so when response
    is a product of a row and a column factor the raked cell totals equal the population's."""
    ages, sexes = ["y", "m", "o"], ["f", "m"]
    pop = pd.DataFrame(
        [
            (a, s, n)
            for (a, s), n in zip(
                itertools.product(ages, sexes), [1000, 1100, 2000, 1900, 1500, 1200], strict=True
            )
        ],
        columns=["age", "sex", "N"],
    )
    ra, rs = {"y": 0.05, "m": 0.1, "o": 0.2}, {"f": 1.0, "m": 0.6}
    rows = []
    for rec in pop.itertuples(index=False):
        # expected counts, so the sample table has exactly the multiplicative structure
        rows += [(rec.age, rec.sex)] * round(rec.N * ra[rec.age] * rs[rec.sex])
    sample = pd.DataFrame(rows, columns=["age", "sex"])
    rk = rake(
        sample,
        {"age": pop.groupby("age")["N"].sum(), "sex": pop.groupby("sex")["N"].sum()},
        tol=1e-13,
    )
    cell = rk.weights.groupby([sample["age"], sample["sex"]]).sum()
    want = pop.set_index(["age", "sex"])["N"]
    np.testing.assert_allclose(cell.reindex(want.index).to_numpy(), want.to_numpy(), rtol=1e-3)


def _small() -> pd.DataFrame:
    return pd.DataFrame(
        {"age": ["y", "y", "o", "o", "o", "y"], "sex": ["f", "m", "f", "m", "f", "f"]}
    )


def test_a_category_with_no_respondents_is_a_clear_error() -> None:
    with pytest.raises(WeightingError) as ei:
        rake(_small(), {"age": {"y": 50, "o": 40, "mid": 10}, "sex": {"f": 60, "m": 40}})
    assert "category 'mid' of age has a population of 10 but no respondents" in str(ei.value)
    assert "merge it with a neighbouring category" in str(ei.value)


def test_margins_that_sum_to_zero_and_other_problems_are_listed_together() -> None:
    df = _small()
    df.loc[0, "sex"] = None
    df.loc[1, "age"] = "unknown"
    with pytest.raises(WeightingError) as ei:
        rake(df, {"age": {"y": 0, "o": 0}, "sex": {"f": 60, "m": 40}})
    assert "the population margins of age sum to 0" in str(ei.value)
    with pytest.raises(WeightingError) as ei:
        rake(df, {"age": {"y": 50, "o": 50}, "sex": {"f": 60, "m": 40}})
    msg = str(ei.value)
    assert "1 respondent(s) have no sex (e.g. data rows [1])" in msg
    assert "categories the margins do not have: 'unknown' (1)" in msg


def test_margin_totals_must_agree_unless_rescaled() -> None:
    margins = {"age": {"y": 50, "o": 50}, "sex": {"f": 66, "m": 44}}
    with pytest.raises(WeightingError, match="sum to 110 but those of age to 100"):
        rake(_small(), margins)
    rk = rake(_small(), margins, margin_totals="rescale")
    assert rk.weights.sum() == pytest.approx(100)
    assert rk.weights.groupby(_small()["sex"]).sum()["f"] == pytest.approx(60)


def test_a_category_with_one_respondent_gets_the_whole_category() -> None:
    df = pd.DataFrame({"age": ["y", "o", "o", "o"], "sex": ["f", "f", "m", "f"]})
    rk = rake(df, {"age": {"y": 30, "o": 70}, "sex": {"f": 55, "m": 45}})
    assert rk.weights.iloc[0] == pytest.approx(
        30, rel=1e-9
    )  # the only young respondent carries all 30
    assert rk.weights.iloc[2] == pytest.approx(45, rel=1e-9)  # the only man carries all 45
    assert rk.max_error < 1e-10


def test_trimming_keeps_weights_within_bounds_and_margins_exact(
    population: Population, draw: Draw
) -> None:
    m = population.margins()
    rk = rake(draw.responses.data, m, base_weights=draw.base_weights, trim=(0.3, 3.0))
    mean = rk.weights.mean()
    assert rk.weights.max() <= 3.0 * mean * (1 + 1e-9) and rk.weights.min() >= 0.3 * mean * (
        1 - 1e-9
    )
    assert rk.max_error < 1e-10 and rk.n_trimmed > 0
    free = rake(draw.responses.data, m, base_weights=draw.base_weights)
    assert rk.n_eff > free.n_eff  # trimming buys precision


def test_infeasible_trim_does_not_converge() -> None:
    df = pd.DataFrame({"age": ["y"] + ["o"] * 9, "sex": ["f", "m"] * 5})
    with pytest.raises(RakingConvergenceError, match="trim bounds may be too tight"):
        rake(
            df,
            {"age": {"y": 50, "o": 50}, "sex": {"f": 50, "m": 50}},
            trim=(None, 2.0),
            max_iter=200,
        )


def test_kish_effective_n() -> None:
    assert kish_effective_n([1, 1, 1, 1]) == 4
    assert kish_effective_n([1, 3]) == pytest.approx(16 / 10)
