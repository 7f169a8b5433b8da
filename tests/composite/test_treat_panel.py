"""Outlier treatment of panels: one decision per indicator for all years, inspectable and replayable.

References: COINr 1.1.14 ``Treat`` semantics (``../shared/reference/composite_methods.md`` §1.5),
re-implemented plainly in ``test_asem.ref_treat``; COINr's documented example
``x = c(1:10, 30, 100)`` (help page of ``winsorise``: one point, 100 -> 30).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from citycheckup.composite import Coin, run_pipeline
from citycheckup.composite.treat import (
    TRANSFORMS,
    TreatSpec,
    fit_vector,
    transforms_from_table,
    treat_vector,
)
from citycheckup.errors import ComputationError, PipelineError

from .test_asem import ref_treat

YEARS = [2020, 2021, 2022]


def panel_coin(values: dict[str, np.ndarray], n_units: int, years=YEARS) -> Coin:
    """Units U0.. over ``years``; each value array is year-major (all units of year 1 first)."""
    codes = list(values)
    meta = pd.DataFrame(
        {
            "Level": [1] * len(codes) + [2],
            "iCode": [*codes, "Index"],
            "Direction": [1] * (len(codes) + 1),
            "Weight": [1.0] * (len(codes) + 1),
            "Parent": ["Index"] * len(codes) + [None],
            "Type": ["Indicator"] * len(codes) + ["Aggregate"],
        }
    )
    data = pd.DataFrame(
        {
            "uCode": [f"U{i}" for _ in years for i in range(n_units)],
            "Time": np.repeat(years, n_units),
            **{c: np.asarray(v, dtype=float) for c, v in values.items()},
        }
    )
    return Coin(data=data, meta=meta)


# --------------------------------------------------------------------------- the decision
@pytest.fixture(scope="module")
def asem_panel(shared_data: Path) -> Coin:
    d = shared_data / "coinr_asem"
    return Coin(data=pd.read_csv(d / "ASEM_iData_p.csv"), meta=pd.read_csv(d / "ASEM_iMeta.csv"))


def test_global_treatment_decides_once_on_the_pooled_panel(asem_panel: Coin) -> None:
    res = run_pipeline(asem_panel, [{"treat": {"global": True, "winmax": 5}}])
    tab = res.treatment
    assert len(tab) == len(asem_panel.indicators) and set(tab["Scope"]) == {"panel"}
    assert "Time" not in tab.columns
    raw = res.datasets["Raw"]
    treated = res.datasets["Treated"]
    # the reference treatment of COINr's rules applied to each pooled column
    for code in asem_panel.indicators:
        expected = ref_treat(raw[code].reset_index(drop=True), winmax=5)
        np.testing.assert_allclose(treated[code], expected, rtol=0, atol=1e-12, err_msg=code)
    assert set(tab["Treatment"]) >= {"none", "winsorise"}
    # one function for all years: equal raw values give equal treated values in every year
    for code in tab.loc[tab["Treatment"] != "none", "iCode"]:
        pairs = pd.DataFrame({"raw": raw[code], "t": treated[code], "year": raw["Time"]}).dropna()
        assert (pairs.groupby("raw")["t"].nunique() == 1).all()
        lo, hi = tab.set_index("iCode").loc[code, ["LowerCap", "UpperCap"]]
        if tab.set_index("iCode").loc[code, "Treatment"] == "winsorise":
            np.testing.assert_array_equal(
                pairs["t"],
                pairs["raw"].clip(
                    lower=None if np.isnan(lo) else lo, upper=None if np.isnan(hi) else hi
                ),
            )


def test_per_year_treatment_stays_the_default(asem_panel: Coin) -> None:
    res = run_pipeline(asem_panel, [{"treat": {"winmax": 5}}])
    tab = res.treatment
    assert set(tab["Scope"]) == {"year"} and len(tab) == 5 * len(asem_panel.indicators)
    raw = res.datasets["Raw"]
    treated = res.datasets["Treated"]
    for year in (2018, 2022):
        sel = (raw["Time"] == year).to_numpy()
        for code in ("Flights", "Bord", "FDI"):
            expected = ref_treat(raw.loc[sel, code].reset_index(drop=True), winmax=5)
            np.testing.assert_allclose(treated.loc[sel, code], expected, atol=1e-12)


def test_treatment_table_says_what_was_applied() -> None:
    # COINr's help-page example for winsorise: x = c(1:10, 30, 100) -> 100 is capped at 30
    x = np.array([*range(1, 11), 30, 100.0])
    fitted, labels, row = fit_vector(x, TreatSpec())
    assert row["Treatment"] == "winsorise" and row["UpperCap"] == 30 and np.isnan(row["LowerCap"])
    assert row["Formula"] == "min(x, 30)"
    assert json.loads(row["Steps"]) == [["winsorise", {"lower": None, "upper": 30.0}]]
    assert list(labels).count("winhi") == 1 and labels[-1] == "winhi"
    # still failing after winsorising at most 2 points -> log_ct of the ORIGINAL values
    y = np.array([*range(1, 31), 300, 400, 500.0])
    fitted2, _, row2 = fit_vector(y, TreatSpec(winmax=2))
    assert row2["Treatment"] == "log_ct" and row2["Formula"] == "log(x + 3.99)"  # -1 + 0.01*499
    np.testing.assert_allclose(fitted2.apply(y), np.log(y - 1 + 0.01 * 499))


def test_replayed_decision_reproduces_the_run_exactly(asem_panel: Coin) -> None:
    pipe = [{"treat": {"global": True}}, {"normalise": {"global": True}}, {"aggregate": {}}]
    first = run_pipeline(asem_panel, pipe)
    steps = transforms_from_table(first.treatment)
    again = run_pipeline(asem_panel, [{"treat": {"transforms": steps}}, *pipe[1:]])
    pd.testing.assert_frame_equal(first.datasets["Treated"], again.datasets["Treated"])
    pd.testing.assert_frame_equal(first.datasets["Aggregated"], again.datasets["Aggregated"])
    # a per-year table cannot be replayed as one transform
    per_year = run_pipeline(asem_panel, [{"treat": {}}]).treatment
    with pytest.raises(
        PipelineError,
        match=r"^the treatment table holds one decision per year; only a single decision per indicator can be replayed\. Decide on the pooled panel with treat: \{global: true\}$",
    ):
        transforms_from_table(per_year)
    # nor can transforms be mixed with deciding parameters
    with pytest.raises(
        PipelineError,
        match=r"^step 0 \(treat\) failed: invalid treat step:\n  - treat: 'transforms' replays fixed decisions; it cannot be combined with winmax$",
    ):
        run_pipeline(asem_panel, [{"treat": {"transforms": steps, "winmax": 3}}])


def test_replay_outside_the_domain_raises_or_clips() -> None:
    x = np.array([*range(1, 31), 300, 400, 500.0])
    coin = panel_coin({"a": np.tile(x, 3), "b": np.tile(np.arange(33.0), 3)}, 33)
    steps = {"a": [["log_ct", {"min": 1.0, "max": 500.0}]]}
    low = coin.data.copy()
    low.loc[0, "a"] = -10.0  # below the domain min - 0.01 (max - min) = -3.99
    low_coin = Coin(data=low, meta=coin.meta)
    with pytest.raises(
        ComputationError,
        match=r"^outlier treatment cannot be applied:\n  - indicator a: log_ct is undefined for 1 value\(s\) \(unit\(s\) U0 \(2020\)\)\. Use a shifted log \(log_ct\), exclude the indicator from treatment \(individual: \{a: none\}\) or fix the data$",
    ):
        run_pipeline(low_coin, [{"treat": {"transforms": steps}}])
    res = run_pipeline(low_coin, [{"treat": {"transforms": steps, "out_of_range": "clip"}}])
    assert res.datasets["Treated"]["a"].iloc[0] == pytest.approx(np.log(0.01 * 499))
    assert res.treatment.set_index("iCode").loc["b", "Treatment"] == "none (not in transforms)"


# --------------------------------------------------------------------------- monotonicity
skewed = arrays(
    np.float64,
    st.integers(4, 9).map(lambda n: 3 * n),
    elements=st.floats(-2, 7).map(np.exp),
    unique=True,
)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(
    skewed,
    st.integers(0, 10_000),
    st.floats(1e-3, 20),
    st.sampled_from(["minmax", "zscore"]),
    st.sampled_from([1, 5]),
)
def test_raising_one_value_never_lowers_that_unit(
    a: np.ndarray, pick: int, factor: float, norm: str, winmax: int
) -> None:
    """Global treatment (decision replayed) + global normalisation is monotone in each value."""
    n = a.size // 3
    b = np.linspace(1, 2, a.size)
    coin = panel_coin({"a": a, "b": b}, n)
    nominal = run_pipeline(
        coin,
        [
            {"treat": {"global": True, "winmax": winmax}},
            {"normalise": {"method": norm}},
            {"aggregate": {}},
        ],
    )
    replay = {"treat": {"transforms": transforms_from_table(nominal.treatment)}}
    k = pick % a.size
    raised = a.copy()
    raised[k] = a[k] * (1 + factor)
    res = run_pipeline(
        panel_coin({"a": raised, "b": b}, n),
        [replay, {"normalise": {"method": norm}}, {"aggregate": {}}],
    )
    before_n = nominal.datasets["Normalised"]["a"].to_numpy()[k]
    after_n = res.datasets["Normalised"]["a"].to_numpy()[k]
    before_i = nominal.datasets["Aggregated"]["Index"].to_numpy()[k]
    after_i = res.datasets["Aggregated"]["Index"].to_numpy()[k]
    tol = 1e-9 * (1 + abs(before_n))
    assert after_n >= before_n - tol and after_i >= before_i - tol


@settings(max_examples=60, deadline=None, derandomize=True)
@given(skewed, st.lists(st.floats(0, 5), min_size=3, max_size=3), st.integers(0, 100))
def test_a_rising_indicator_never_lowers_the_units_scores_over_years(
    a: np.ndarray, steps: list[float], pick: int
) -> None:
    """Within one run: the same unit, rising in one indicator, all else equal over the years."""
    n = a.size // 3
    u = pick % n
    a = a.copy()
    start = float(np.median(a))
    for t in range(3):
        a[t * n + u] = start + sum(steps[: t + 1])
    b = np.tile(np.linspace(1, 3, n), 3)  # the unit's other indicator is the same every year
    res = run_pipeline(
        panel_coin({"a": a, "b": b}, n),
        [{"treat": {"global": True}}, {"normalise": {"global": True}}, {"aggregate": {}}],
    )
    rows = [t * n + u for t in range(3)]
    norm = res.datasets["Normalised"]["a"].to_numpy()[rows]
    idx = res.datasets["Aggregated"]["Index"].to_numpy()[rows]
    assert (np.diff(norm) >= -1e-9).all() and (np.diff(idx) >= -1e-9).all()


def test_per_year_treatment_makes_a_rising_value_fall_and_global_does_not() -> None:
    # 2020 passes the skew/kurtosis check; 2021 adds one huge value and is log-transformed
    n = 12
    y2020 = np.linspace(1, 100, n)
    y2021 = y2020.copy()
    y2021[-1] = 1e5
    a = np.concatenate([y2020, y2021])
    a[3], a[n + 3] = 50.0, 55.0  # unit U3 improves from 50 to 55
    coin = panel_coin({"a": a, "b": np.tile(np.linspace(1, 2, n), 2)}, n, years=[2020, 2021])
    per_year = run_pipeline(
        coin, [{"treat": {"method": "log_ct"}}, {"normalise": {"global": True}}]
    ).datasets["Normalised"]["a"]
    assert per_year.iloc[n + 3] < per_year.iloc[3]  # the artefact of mixed scales
    glob = run_pipeline(
        coin, [{"treat": {"method": "log_ct", "global": True}}, {"normalise": {"global": True}}]
    ).datasets["Normalised"]["a"]
    assert glob.iloc[n + 3] > glob.iloc[3]


def test_redeciding_on_changed_data_is_not_monotone_but_replaying_is() -> None:
    # x = c(1:10, u, 100): u = 70 is capped (100 -> 70); at u = 80 the data pass the check,
    # so nothing is capped and 100 stays above u. Re-deciding lowers u from 100 to 79.8.
    def run(u: float, replay: dict | None = None) -> float:
        x = np.array([*range(1, 11), u, 100.0])
        coin = panel_coin({"a": x, "b": np.arange(12.0)}, 12, years=[2020])
        treat = {"transforms": replay} if replay else {"global": True}
        res = run_pipeline(coin, [{"treat": treat}, {"normalise": {}}])
        return float(res.datasets["Normalised"]["a"].iloc[10])

    assert run(70) == 100.0
    assert run(80) == pytest.approx(100 * 79 / 99)
    decided = run_pipeline(
        panel_coin({"a": np.array([*range(1, 11), 70, 100.0]), "b": np.arange(12.0)}, 12, [2020]),
        [{"treat": {"global": True}}],
    ).treatment
    assert run(80, transforms_from_table(decided)) == 100.0


# --------------------------------------------------------------------------- defects
def test_log_of_zero_or_negative_values_is_an_error_naming_the_units() -> None:
    x = np.array([0.0, -1.0, *range(1, 20), 1e4])
    n = x.size
    coin = panel_coin({"a": x, "b": np.arange(float(n))}, n, years=[2020])
    with pytest.raises(ComputationError) as exc:
        run_pipeline(coin, [{"treat": {"method": "winsorise_log", "winmax": 0, "log": "log"}}])
    msg = str(exc.value)
    assert "indicator a" in msg and "log is undefined for 2 value(s)" in msg
    assert "U0" in msg and "U1" in msg and "log_ct" in msg
    with pytest.raises(
        ComputationError,
        match=r"^outlier treatment cannot be applied:\n  - indicator a: log_gii needs a maximum above 1 \(it is 0\.1\); below that it would reverse the order of the values\. Use log_ct instead\. Use a shifted log \(log_ct\), exclude the indicator from treatment \(individual: \{a: none\}\) or fix the data$",
    ):
        run_pipeline(
            panel_coin({"a": x / 1e5, "b": np.arange(float(n))}, n, years=[2020]),
            [{"treat": {"method": "log_gii"}}],
        )


def test_unknown_method_lists_each_choice_once() -> None:
    coin = panel_coin({"a": np.arange(12.0), "b": np.arange(12.0)}, 12, years=[2020])
    with pytest.raises(PipelineError) as exc:
        run_pipeline(coin, [{"treat": {"method": "winsorize"}}])
    msg = str(exc.value)
    assert msg.count("winsorise,") == 1 and "winsorise_log" in msg


@settings(max_examples=80, deadline=None, derandomize=True)
@given(
    arrays(np.float64, st.integers(5, 30), elements=st.floats(-3, 8).map(np.exp)),
    st.integers(1, 6),
)
def test_winsorising_is_a_clip_at_its_caps(x: np.ndarray, winmax: int) -> None:
    y, labels, info = TRANSFORMS["winsorise"](x, winmax=winmax)
    lo = None if np.isnan(info["lower"]) else info["lower"]
    hi = None if np.isnan(info["upper"]) else info["upper"]
    np.testing.assert_array_equal(y, np.clip(x, lo, hi))
    assume(hi is not None)
    assert (labels == "winhi").sum() == (x > hi).sum()


def test_treat_vector_matches_fit_then_apply() -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        x = rng.lognormal(0, 2, 40)
        y, _, _ = treat_vector(x, TreatSpec(winmax=2, combine=True))
        fitted, _, _ = fit_vector(x, TreatSpec(winmax=2, combine=True))
        np.testing.assert_array_equal(y, fitted.apply(x))
