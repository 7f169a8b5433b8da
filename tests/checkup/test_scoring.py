"""Absolute scoring (goalposts), trend-true relative scoring, one city alone (issue 10).

Panels here are SYNTHETIC (random numbers drawn by hypothesis or numpy with a fixed seed)
unless they come from the embedded city-macro-data package.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citycheckup.checkup import (
    CheckupOptions,
    GoalpostInfo,
    goalposts_of,
    run_checkup,
    score_values,
)
from citycheckup.checkup._scores import band_distance
from citycheckup.data import Dataset, load_city_macro
from citycheckup.framework import load_framework


@pytest.fixture(scope="module")
def fw():
    return load_framework("people-city-2025")


# -- the scoring formula at its boundaries (values derived by hand) -------------------------------
LIN = GoalpostInfo("x", "higher", 10.0, 30.0, "linear", "project", "-", "-")
LOW = GoalpostInfo("x", "lower", 20.0, 5.0, "linear", "project", "-", "-")
LOG = GoalpostInfo("x", "higher", 100.0, 10000.0, "log", "project", "-", "-")
BAND = GoalpostInfo("x", "band", (0.3, 3.0), (0.87, 1.5), "linear", "project", "-", "-")


@pytest.mark.parametrize(
    ("info", "x", "want"),
    [
        (LIN, 9.999, 0.0),
        (LIN, 10.0, 0.0),
        (LIN, 10.001, 0.005),  # (10.001−10)/20·100
        (LIN, 20.0, 50.0),
        (LIN, 29.999, 99.995),
        (LIN, 30.0, 100.0),
        (LIN, 30.001, 100.0),
        (LOW, 20.001, 0.0),
        (LOW, 20.0, 0.0),
        (LOW, 12.5, 50.0),
        (LOW, 5.0, 100.0),
        (LOW, 4.999, 100.0),
        (LOG, 100.0, 0.0),
        (LOG, 1000.0, 50.0),
        (LOG, 10000.0, 100.0),  # log10: 2 → 0, 3 → 50, 4 → 100
        (LOG, 0.0, 0.0),
        (LOG, -5.0, 0.0),  # non-positive: below any goalpost
        (BAND, 0.87, 100.0),
        (BAND, 1.5, 100.0),
        (BAND, 1.2, 100.0),
        (BAND, 0.3, 0.0),
        (BAND, 0.585, 50.0),  # halfway between 0.3 and 0.87
        (BAND, 2.25, 50.0),
        (BAND, 3.0, 0.0),
        (BAND, 3.5, 0.0),
        (BAND, 0.1, 0.0),
    ],
)
def test_score_values_at_and_around_goalposts(info: GoalpostInfo, x: float, want: float) -> None:
    assert score_values(np.array([x]), info)[0] == pytest.approx(want, abs=1e-9)


def test_missing_stays_missing() -> None:
    assert np.isnan(score_values(np.array([np.nan]), LIN)[0])


def test_band_distance() -> None:
    np.testing.assert_allclose(
        band_distance(np.array([0.5, 0.87, 1.0, 1.5, 2.0]), (0.87, 1.5)),
        [-0.37, 0.0, 0.0, 0.0, -0.5],
    )


def test_density_is_a_band_never_higher_is_better(fw) -> None:
    info = goalposts_of(fw.indicator("builtup_population_density"))
    assert info is not None and info.kind == "band"
    over, ok, under = score_values(np.array([2.9, 1.0, 0.35]), info)
    assert ok == 100.0 and over < 10 and under < 10  # over-density does not get the top score


def test_context_and_share_goalposts(fw) -> None:
    assert goalposts_of(fw.indicator("urbanisation_rate")) is None  # context: never scored
    share = goalposts_of(fw.indicator("hotline_response_rate"))
    assert share is not None and (share.worst, share.best) == (0.0, 100.0)


# -- one city alone, or among 300 ------------------------------------------------------------------
@pytest.fixture(scope="module")
def panel():
    return load_city_macro()


def test_one_city_alone_scores_exactly_as_among_300(fw, panel) -> None:
    opts = CheckupOptions(invalid="missing", years=[2023, 2024])
    full = run_checkup(panel, fw, opts)
    one = Dataset(
        data=panel.data[panel.data["unit_code"] == "420500"].reset_index(drop=True),
        source="宜昌",
        units=panel.units,
        groups=panel.groups,
    )
    alone = run_checkup(one, fw, opts)
    cols = ["index", "innovation", "livable", "smart"]
    a = alone.scores.set_index("year")[cols]
    b = full.scores[full.scores["unit_code"] == "420500"].set_index("year")[cols]
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert alone.scores["rank_index"].isna().all()  # ranks need at least two cities
    assert alone.changes["index_change"].iloc[0] == pytest.approx(
        b.loc[2024, "index"] - b.loc[2023, "index"]
    )


def test_relative_scoring_depends_on_the_others_and_says_so(fw, panel) -> None:
    sub = Dataset(
        data=panel.data[panel.data["year"] == 2024].reset_index(drop=True),
        source="x",
        units=panel.units,
        groups=panel.groups,
    )
    few = Dataset(
        data=sub.data[sub.data["province"].isin(["湖北省"])].reset_index(drop=True),
        source="y",
        units=panel.units,
        groups=panel.groups,
    )
    opts = CheckupOptions(scoring="relative", invalid="missing")
    a = run_checkup(sub, fw, opts).scores.set_index("unit_code")["index"]
    b = run_checkup(few, fw, opts).scores.set_index("unit_code")["index"]
    assert abs(a["420500"] - b["420500"]) > 1  # relative: the comparison set matters


# -- the monotone-trend property on the whole check-up ---------------------------------------------
CODES = ["gdp_per_capita", "tertiary_share", "st_expenditure_share", "education_expenditure_share"]


def _synthetic_panel(seed: int, n_units: int, n_years: int) -> pd.DataFrame:
    """SYNTHETIC indicator values (lognormal, skewed: treatment kicks in) for a random panel."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_units):
        for y in range(n_years):
            rows.append(
                {
                    "unit_code": f"u{u:02d}",
                    "unit_name": f"u{u:02d}",
                    "year": 2010 + y,
                    "gdp_per_capita": float(min(rng.lognormal(10.5, 0.8), 400_000.0)),
                    "tertiary_share": float(rng.uniform(30, 70)),
                    "st_expenditure_share": float(rng.lognormal(0.0, 1.0)),
                    "education_expenditure_share": float(rng.uniform(8, 25)),
                }
            )
    return pd.DataFrame(rows)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n_units=st.integers(6, 14),
    n_years=st.integers(3, 6),
    code=st.sampled_from(CODES),
    scoring=st.sampled_from(["absolute", "relative"]),
)
def test_a_rising_indicator_never_lowers_the_city_score(
    seed: int, n_units: int, n_years: int, code: str, scoring: str
) -> None:
    """A city whose indicator rises every year (all else fixed) never loses normalised value or score."""
    fw = load_framework("people-city-2025")
    df = _synthetic_panel(seed, n_units, n_years)
    rng = np.random.default_rng(seed + 1)
    mine = df["unit_code"] == "u00"
    others = [c for c in CODES if c != code]
    df.loc[mine, others] = df.loc[mine, others].iloc[0].to_numpy()  # all else fixed over time
    start = float(df.loc[mine, code].iloc[0])
    # strictly rising, staying below the indicator's maximum (above it a value is impossible)
    ind = fw.indicator(code)
    hi = ind.max if ind.max is not None else (100.0 if ind.unit == "%" else None)
    room = 3 * start if hi is None else min(3 * start, 0.95 * hi - start)
    steps = rng.dirichlet(np.ones(n_years))[: n_years - 1] * room
    df.loc[mine, code] = start + np.concatenate([[0.0], np.cumsum(steps)])
    res = run_checkup(
        Dataset(data=df, source="synthetic"),
        fw,
        CheckupOptions(scoring=scoring, treatment_scope="panel", min_unit_availability=0.5),
    )
    dim = fw.top_dimension_of()[code]
    n = res.normalised[res.normalised["unit_code"] == "u00"].sort_values("year")[code].to_numpy()
    s = res.scores[res.scores["unit_code"] == "u00"].sort_values("year")
    assert (np.diff(n) >= -1e-9).all(), n
    assert (np.diff(s[dim].to_numpy()) >= -1e-9).all()
    assert (np.diff(s["index"].to_numpy()) >= -1e-9).all()


def test_per_year_treatment_stays_available_and_is_labelled(fw) -> None:
    df = _synthetic_panel(3, 10, 4)
    res = run_checkup(
        Dataset(data=df, source="synthetic"),
        fw,
        CheckupOptions(scoring="relative", treatment_scope="year"),
    )
    treat = next(st_ for st_ in res.pipeline if "treat" in st_)["treat"]
    assert treat["global"] is False
    res2 = run_checkup(Dataset(data=df, source="synthetic"), fw, CheckupOptions(scoring="relative"))
    assert next(st_ for st_ in res2.pipeline if "treat" in st_)["treat"]["global"] is True
