"""Uncertainty and sensitivity analysis: analytic oracles, reproducibility, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from citycheckup.composite import Coin
from citycheckup.composite.sensitivity import SensitivitySpec, run_sensitivity, sobol_indices
from citycheckup.errors import PipelineError


@pytest.fixture(scope="module")
def coin() -> Coin:
    rng = np.random.default_rng(0)
    n, p = 25, 6
    meta = pd.DataFrame(
        {
            "Level": [1] * p + [2, 2, 3],
            "iCode": [f"i{k}" for k in range(p)] + ["A", "B", "Index"],
            "Direction": [1] * p + [1, 1, 1],
            "Weight": [1.0] * (p + 3),
            "Parent": ["A"] * 3 + ["B"] * 3 + ["Index", "Index", None],
            "Type": ["Indicator"] * p + ["Aggregate"] * 3,
        }
    )
    data = pd.DataFrame(rng.lognormal(size=(n, p)), columns=[f"i{k}" for k in range(p)])
    data.insert(0, "uCode", [f"U{k:02d}" for k in range(n)])
    return Coin(data=data, meta=meta)


PIPE = [
    {"treat": {"winmax": 3}},
    {"normalise": {"method": "minmax", "lower": 1, "upper": 100}},
    {"aggregate": {"method": "arithmetic"}},
]


def test_zero_effect_factor_gets_zero_indices(coin: Coin) -> None:
    spec = {
        "n": 64,
        "seed": 2,
        "factors": [
            {
                "name": "dummy",
                "step": "aggregate",
                "parameter": "method",
                "values": ["arithmetic", "arithmetic"],
            },
            {"name": "weights", "step": "aggregate", "noise": {1: 0.5}},
            {"name": "norm", "step": "normalise", "parameter": "upper", "values": [100, 100.0]},
        ],
    }
    res = run_sensitivity(coin, PIPE, spec)
    ind = res.indices.set_index("factor")
    for f in ("dummy", "norm"):
        assert (
            ind.loc[f, ["Si", "STi", "Si_q5", "Si_q95", "STi_q5", "STi_q95"]].tolist() == [0.0] * 6
        )
    assert ind.loc["weights", "STi"] > 0
    assert len(res.runs) == 64 * (3 + 2)


def test_only_factor_explains_everything(coin: Coin) -> None:
    # a single effective factor: first-order and total indices are 1 (Jansen/Saltelli exact for d = 1)
    spec = {
        "n": 128,
        "seed": 5,
        "factors": [
            {
                "name": "agg",
                "step": "aggregate",
                "parameter": "method",
                "values": ["arithmetic", "geometric"],
            }
        ],
    }
    ind = run_sensitivity(coin, PIPE, spec).indices.iloc[0]
    assert ind["STi"] == pytest.approx(1.0, abs=0.15) and ind["Si"] == pytest.approx(1.0, abs=0.3)


def test_reproducible_and_sobol(coin: Coin) -> None:
    spec = {
        "n": 32,
        "seed": 9,
        "sampling": "sobol",
        "factors": [
            {"name": "w", "step": "treat", "parameter": "winmax", "range": [0, 5], "integer": True},
            {
                "name": "n",
                "step": "normalise",
                "alternatives": [
                    {"method": "minmax", "lower": 1, "upper": 100},
                    {"method": "zscore", "mean": 10, "sd": 2},
                ],
            },
        ],
    }
    a = run_sensitivity(coin, PIPE, spec)
    b = run_sensitivity(coin, PIPE, spec)
    pd.testing.assert_frame_equal(a.indices, b.indices)
    pd.testing.assert_frame_equal(a.rank_stats, b.rank_stats)
    rs = a.rank_stats
    assert (rs["q5"] <= rs["median"]).all() and (rs["median"] <= rs["q95"]).all()
    assert set(a.runs["w"]) <= {0, 1, 2, 3, 4, 5}


def test_uncertainty_only_and_per_unit(coin: Coin) -> None:
    ua = run_sensitivity(
        coin,
        PIPE,
        {
            "n": 20,
            "sensitivity": False,
            "factors": [{"name": "weights", "step": "aggregate", "noise": {2: 0.25}}],
        },
    )
    assert len(ua.runs) == 20 and ua.indices.empty
    # the same columns as when the indices are estimated (so writers and plots can rely on them)
    assert ua.indices.columns.tolist() == [
        "factor",
        "Si",
        "Si_q5",
        "Si_q95",
        "STi",
        "STi_q5",
        "STi_q95",
    ]
    nominal = ua.rank_stats.set_index("uCode")["nominal"]
    assert sorted(nominal.astype(int)) == list(range(1, 26))
    pu = run_sensitivity(
        coin,
        PIPE,
        {
            "n": 16,
            "per_unit": True,
            "factors": [{"name": "weights", "step": "aggregate", "noise": {2: 0.25}}],
        },
    )
    assert set(pu.unit_indices.columns) == {"uCode", "factor", "Si", "STi"}
    assert len(pu.unit_indices) == 25


def test_failed_runs_are_missing_not_fatal(coin: Coin) -> None:
    # z-scores are partly negative: the geometric mean fails for those runs (as COINr's NA runs)
    spec = {
        "n": 16,
        "seed": 1,
        "factors": [
            {
                "name": "n",
                "step": "normalise",
                "alternatives": [
                    {"method": "minmax", "lower": 1, "upper": 100},
                    {"method": "zscore"},
                ],
            },
            {
                "name": "a",
                "step": "aggregate",
                "parameter": "method",
                "values": ["arithmetic", "geometric"],
            },
        ],
    }
    res = run_sensitivity(coin, PIPE, spec)
    assert 0 < res.n_failed < len(res.runs)


def test_spec_errors_are_collected(coin: Coin) -> None:
    with pytest.raises(PipelineError) as exc:
        SensitivitySpec.from_dict(
            {"n": 1, "factors": [{"name": "x", "step": "treat", "values": [1]}, {"step": "a"}]}
        )
    msg = str(exc.value)
    assert (
        "n must be an integer >= 2" in msg
        and "needs 'parameter'" in msg
        and "exactly one of" in msg
    )
    with pytest.raises(
        PipelineError,
        match=r"^sensitivity specification does not fit the pipeline:\n  - factor i: the pipeline has no 'impute' step; it has: treat, normalise, aggregate$",
    ):
        run_sensitivity(
            coin,
            PIPE,
            {
                "n": 4,
                "factors": [
                    {"name": "i", "step": "impute", "parameter": "method", "values": ["mean"]}
                ],
            },
        )


def test_sobol_estimators_on_additive_function() -> None:
    # y = x1 + 2 x2 on U(0,1)^2: S1 = 1/5, S2 = 4/5 analytically
    rng = np.random.default_rng(3)
    N = 20000
    A, B = rng.random((N, 2)), rng.random((N, 2))
    f = lambda X: X[:, 0] + 2 * X[:, 1]  # noqa: E731
    yAB = np.vstack(
        [f(np.column_stack([B[:, 0], A[:, 1]])), f(np.column_stack([A[:, 0], B[:, 1]]))]
    )
    ind = sobol_indices(f(A), f(B), yAB, n_boot=10)
    np.testing.assert_allclose(ind["Si"], [0.2, 0.8], atol=0.03)
    np.testing.assert_allclose(ind["STi"], [0.2, 0.8], atol=0.03)


def test_asem_four_factor_analysis(shared_data: Path) -> None:
    d = shared_data / "coinr_asem"
    coin = Coin(data=pd.read_csv(d / "ASEM_iData.csv"), meta=pd.read_csv(d / "ASEM_iMeta.csv"))
    pipe = [
        {"denominate": {}},
        {"impute": {"method": "mean_group", "group": "EurAsia_group"}},
        {"screen": {"by": "na", "min_availability": 0.9}},
        {"treat": {"winmax": 5}},
        {"normalise": {"method": "minmax", "lower": 0, "upper": 100}},
        {"aggregate": {"method": "arithmetic"}},
    ]
    spec = {
        "target": "Index",
        "n": 100,
        "seed": 1,
        "factors": [
            {"name": "winmax", "step": "treat", "parameter": "winmax", "values": [1, 2, 3, 4, 5]},
            {
                "name": "normalisation",
                "step": "normalise",
                "alternatives": [
                    {"method": "minmax", "lower": 1, "upper": 100},
                    {"method": "zscore", "mean": 10, "sd": 2},
                ],
            },
            {"name": "weights", "step": "aggregate", "noise": {2: 0.25, 3: 0.25}},
            {
                "name": "aggregation",
                "step": "aggregate",
                "parameter": "method",
                "values": ["arithmetic", "geometric"],
            },
        ],
    }
    res = run_sensitivity(coin, pipe, spec)
    assert len(res.runs) == 600 and res.n_failed == 0
    ind = res.indices.set_index("factor")
    assert list(res.indices.columns) == [
        "factor",
        "Si",
        "Si_q5",
        "Si_q95",
        "STi",
        "STi_q5",
        "STi_q95",
    ]
    # as in COINr's vignette, aggregation and normalisation dominate winmax in total effect
    assert ind.loc["aggregation", "STi"] > ind.loc["winmax", "STi"]
    assert ind.loc["normalisation", "STi"] > ind.loc["winmax", "STi"]


def test_weights_as_discrete_factor(coin: Coin) -> None:
    # alternative weight sets through the aggregate step's 'weights' parameter
    heavy = {"A": 10.0}
    spec = {
        "n": 16,
        "seed": 4,
        "sensitivity": False,
        "factors": [
            {"name": "w", "step": "aggregate", "parameter": "weights", "values": [None, heavy]}
        ],
    }
    res = run_sensitivity(coin, PIPE, spec)
    from citycheckup.composite import run_pipeline

    ref = run_pipeline(coin, [*PIPE[:-1], {"aggregate": {"weights": heavy}}]).datasets["Aggregated"]
    heavy_runs = res.runs.index[res.runs["w"].apply(lambda v: v == heavy)]
    assert len(heavy_runs) > 0
    np.testing.assert_allclose(res.scores.iloc[heavy_runs[0]].to_numpy(), ref["Index"].to_numpy())


def test_default_pipeline_and_spec(shared_data: Path) -> None:
    from citycheckup.composite import Pipeline

    d = shared_data / "coinr_asem"
    coin = Coin(data=pd.read_csv(d / "ASEM_iData.csv"), meta=pd.read_csv(d / "ASEM_iMeta.csv"))
    pipe = Pipeline.default(group="EurAsia_group", min_availability=0.9)
    spec = SensitivitySpec.default(pipe, n=20, seed=3)
    assert [f.name for f in spec.factors] == ["winmax", "normalisation", "weights", "aggregation"]
    res = run_sensitivity(coin, pipe, spec)
    rs = res.rank_stats
    assert sorted(rs["nominal"].astype(int)) == list(range(1, 52))
    assert (rs["q5"] <= rs["median"]).all() and (rs["median"] <= rs["q95"]).all()


def test_uncertainty_ranks_for_the_checkup(coin: Coin) -> None:
    from citycheckup.composite.sensitivity import uncertainty_ranks

    data = coin.data.copy()
    data["i5"] = np.nan  # an indicator without any value this year: no warning, no failure
    rs = uncertainty_ranks(data, coin.meta, n=30, seed=1, target="Index")
    assert list(rs.columns) == ["uCode", "nominal", "mean", "median", "q5", "q95"]
    assert sorted(rs["nominal"].astype(int)) == list(range(1, 26))
    again = uncertainty_ranks(data, coin.meta, n=30, seed=1, target="Index")
    pd.testing.assert_frame_equal(rs, again)
