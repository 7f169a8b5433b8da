"""Reference values worked by hand for every method (formulas: COINr 1.1.14 / the Handbook)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from citycheckup.composite import Coin, Pipeline, run_pipeline
from citycheckup.composite._util import kurt, rank_desc, rank_min, skew
from citycheckup.composite.aggregate import aggregate_batch
from citycheckup.composite.analysis import (
    compare_results,
    correlation_flags,
    cronbach_alpha,
    pca_variance,
    prc_change,
    strengths_weaknesses,
    trends,
)
from citycheckup.composite.impute import impute_panel_matrix
from citycheckup.composite.normalise import normalise_matrix
from citycheckup.composite.stats import indicator_stats, unit_data_availability
from citycheckup.composite.treat import TreatSpec, check_skew_kurt, log_ct, treat_vector, winsorise
from citycheckup.composite.weights import (
    ahp_weights,
    critic_weights,
    effective_weights,
    entropy_weights,
    noisy_weights,
    pca_weights,
)
from citycheckup.errors import ComputationError, MethodNotFoundError, PipelineError

NAN = np.nan


def col(*v: float) -> np.ndarray:
    return np.array(v, dtype=float)[:, None]


# ---------------------------------------------------------------- statistics
def test_excel_skew_kurt_by_hand() -> None:
    # x = 1,2,3,10: mean 4, s^2 = 50/3; Excel SKEW = 1.763633, KURT = 3.228
    x = np.array([1, 2, 3, 10.0])
    assert skew(x) == pytest.approx(1.7636326148, abs=1e-9)
    assert kurt(x) == pytest.approx(3.228, abs=1e-12)
    assert np.isnan(skew(np.array([1.0, 1, 1, 1])))


def test_ranks_ties_min_nan_kept() -> None:
    np.testing.assert_array_equal(rank_min(np.array([3, 1, 3, 2.0])), [3, 1, 3, 2])
    np.testing.assert_array_equal(rank_desc(np.array([3, NAN, 3, 2.0])), [1, NAN, 1, 3])


# ---------------------------------------------------------------- normalisation
@pytest.mark.parametrize(
    ("method", "x", "direction", "params", "expected"),
    [
        ("minmax", [1, 2, 4], 1, {"lower": 0, "upper": 100}, [0, 100 / 3, 100]),
        ("minmax", [1, 2, 4], -1, {"lower": 0, "upper": 100}, [100, 200 / 3, 0]),
        ("minmax", [1, NAN, 3], 1, {"lower": 1, "upper": 100}, [1, NAN, 100]),
        ("zscore", [1, 2, 3], 1, {}, [-1, 0, 1]),
        ("zscore", [1, 2, 3], 1, {"mean": 10, "sd": 2}, [8, 10, 12]),
        ("scaled", [0, 50, 100], 1, {"lower": 0, "upper": 200, "scale_factor": 100}, [0, 25, 50]),
        ("goalposts", [0, 5, 10, 15], 1, {"lower": 5, "upper": 10}, [0, 0, 1, 1]),
        ("goalposts", [0, 5, 10, 15], -1, {"lower": 5, "upper": 10}, [1, 1, 0, 0]),
        (
            "goalposts",
            [0, 7.5, 15],
            1,
            {"lower": 5, "upper": 10, "trunc": False, "scale": 100},
            [-100, 50, 200],
        ),
        ("dist2targ", [2, 4, 6], 1, {"target": 4}, [0, 1, 2]),
        ("dist2targ", [2, 4, 6], 1, {"target": 4, "cap": True}, [0, 1, 1]),
        ("dist2targ", [2, 4, 6], -1, {"target": 4}, [2, 1, 0]),
        ("dist2ref", [1, 3, 5], 1, {"ref": 1}, [0, 1, 2]),
        ("dist2ref", [1, 3, 5], 1, {"ref": 1, "cap": True}, [0, 1, 1]),
        ("dist2max", [1, 3, 5], 1, {}, [0, 0.5, 1]),
        ("fracmax", [1, 3, 5], 1, {}, [0.2, 0.6, 1]),
        ("rank", [3, 1, 3, 2], 1, {}, [3, 1, 3, 2]),
        ("rank", [3, 1, 3, 2], -1, {}, [1, 4, 1, 3]),
        ("prank", [3, 1, 3, 2], 1, {}, [2 / 3, 0, 2 / 3, 1 / 3]),
        ("borda", [3, 1, 3, 2], 1, {}, [2, 0, 2, 1]),
        ("none", [3, 1], -1, {}, [-3, -1]),
    ],
)
def test_normalisation_by_hand(method, x, direction, params, expected) -> None:
    got = normalise_matrix(col(*x), np.array([direction]), method, **params)[:, 0]
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_normalisation_constant_policy() -> None:
    X = col(2, 2, 2)
    with pytest.raises(
        ComputationError,
        match=r"^the range \(max - min\) is zero for indicator\(s\) c1: the normalised values are undefined\. Drop the constant indicator\(s\), or set constant='nan' \(COINr's behaviour\) or constant='midpoint' in the normalise step\.$",
    ):
        normalise_matrix(X, np.array([1]), "minmax", codes=("c1",))
    assert np.isnan(normalise_matrix(X, np.array([1]), "minmax", constant="nan")).all()
    np.testing.assert_allclose(
        normalise_matrix(X, np.array([1]), "minmax", constant="midpoint")[:, 0], 50
    )


def test_unknown_methods_are_named() -> None:
    with pytest.raises(
        MethodNotFoundError,
        match="^unknown normalisation method 'minmaxx'; choose one of: borda, dist2max, dist2ref, dist2targ, fracmax, goalposts, minmax, none, prank, rank, scaled, zscore$",
    ):
        normalise_matrix(col(1, 2), np.array([1]), "minmaxx")
    with pytest.raises(
        PipelineError,
        match=r"^normalisation 'minmax' does not take parameter\(s\) sd; it takes: constant, lower, upper$",
    ):
        normalise_matrix(col(1, 2), np.array([1]), "minmax", sd=3)


# ---------------------------------------------------------------- aggregation
@pytest.fixture
def tiny() -> Coin:
    meta = pd.DataFrame(
        {
            "Level": [1, 1, 1, 2, 2, 3],
            "iCode": ["a", "b", "c", "P1", "P2", "Index"],
            "Direction": [1, 1, -1, 1, 1, 1],
            "Weight": [1, 3, 1, 1, 1, 1],
            "Parent": ["P1", "P1", "P2", "Index", "Index", None],
            "Type": ["Indicator"] * 3 + ["Aggregate"] * 3,
        }
    )
    data = pd.DataFrame(
        {
            "uCode": ["U1", "U2", "U3"],
            "grp_group": ["x", "x", "y"],
            "a": [2.0, 1.0, NAN],
            "b": [8.0, NAN, 4.0],
            "c": [1.0, 2.0, 3.0],
        }
    )
    return Coin(data=data, meta=meta)


@pytest.mark.parametrize(
    ("method", "params", "expected"),
    [
        ("arithmetic", {}, (2 + 3 * 8) / 4),  # 6.5
        ("geometric", {}, 2**2.5),  # 2^(1/4) * 8^(3/4)
        ("harmonic", {}, 4 / (1 / 2 + 3 / 8)),
        ("power", {"p": 2}, 7.0),  # sqrt((4 + 3*64)/4)
    ],
)
def test_aggregation_by_hand(tiny: Coin, method: str, params: dict, expected: float) -> None:
    X = np.array([[2.0, 8.0, 1.0]])
    W = np.array([1, 3, 1, 1, 1, 1.0])
    S = aggregate_batch(tiny, X, W, method=method, **params)[0]
    assert S[0, 0] == pytest.approx(expected, rel=1e-12)


def test_arithmetic_skips_missing_and_renormalises(tiny: Coin) -> None:
    X = np.array([[2.0, NAN, 1.0], [NAN, NAN, 1.0]])
    S = aggregate_batch(tiny, X, np.ones(6))[0]
    assert S[0, 0] == 2.0 and np.isnan(S[1, 0])
    assert S[1, 2] == 1.0  # index from P2 alone


def test_min_availability(tiny: Coin) -> None:
    X = np.array([[2.0, NAN, 1.0]])
    S = aggregate_batch(tiny, X, np.ones(6), min_availability=0.6)[0]
    assert np.isnan(S[0, 0]) and S[0, 1] == 1.0


def test_method_per_level(tiny: Coin) -> None:
    X = np.array([[2.0, 8.0, 1.0]])
    S = aggregate_batch(tiny, X, np.ones(6), method={2: "geometric", 3: "arithmetic"})[0]
    assert S[0, 0] == pytest.approx(4.0)
    assert S[0, 2] == pytest.approx((4.0 + 1.0) / 2)


def test_geometric_nonpositive_policy(tiny: Coin) -> None:
    X = np.array([[0.0, 8.0, 1.0]])
    with pytest.raises(
        ComputationError,
        match=r"^the geometric mean needs positive values but 1 value\(s\) of the input to level 2 \(P1, P2\) are <= 0\. Normalise to a positive range \(e\.g\. minmax with lower: 1\), or set nonpositive: omit \(skip those values\) or nonpositive: shift \(add 1 - min\) in the aggregate step\.$",
    ):
        aggregate_batch(tiny, X, np.ones(6), method="geometric")
    S = aggregate_batch(tiny, X, np.ones(6), method="geometric", nonpositive="omit")[0]
    assert S[0, 0] == pytest.approx(8.0)


def test_copeland_by_hand(tiny: Coin) -> None:
    X = np.array([[3.0, 3.0, 1.0], [2.0, 2.0, 1.0], [1.0, 1.0, 1.0]])
    S = aggregate_batch(tiny, X, np.ones(6), method="copeland")[0]
    np.testing.assert_array_equal(S[:, 0], [2, 0, -2])  # U1 outranks both, U3 is outranked
    np.testing.assert_array_equal(S[:, 1], [0, 0, 0])  # all tied


def test_weights_override_and_equal(tiny: Coin) -> None:
    base = [{"normalise": {"method": "none"}}]
    r1 = run_pipeline(tiny, [*base, {"aggregate": {"weights": "equal"}}])
    r2 = run_pipeline(tiny, [*base, {"aggregate": {"weights": {"b": 1}}}])
    pd.testing.assert_frame_equal(r1.datasets["Aggregated"], r2.datasets["Aggregated"])
    assert r1.datasets["Aggregated"]["P1"].iloc[0] == 5.0


# ---------------------------------------------------------------- imputation
def test_imputation_column_methods(tiny: Coin) -> None:
    r = run_pipeline(tiny, [{"impute": {"method": "mean"}}])
    assert r.datasets["Imputed"]["a"].tolist() == [2.0, 1.0, 1.5]
    r = run_pipeline(tiny, [{"impute": {"method": "median_group", "group": "grp_group"}}])
    imp = r.datasets["Imputed"]
    assert imp["b"].tolist() == [8.0, 8.0, 4.0]  # U2 takes group x's median
    assert np.isnan(imp["a"].iloc[2])  # group y has no value of a: stays missing


def test_group_mean_by_hand() -> None:
    from citycheckup.composite.impute import i_mean_group

    X = col(1, NAN, 5, 7, NAN)
    got = i_mean_group(X, groups=np.array(["a", "a", "b", "b", "b"], dtype=object))[:, 0]
    np.testing.assert_array_equal(got, [1, 1, 5, 7, 6])


def test_row_imputation_normalise_first(tiny: Coin) -> None:
    # a: [2, 1, NaN] -> minmax [1, 0, NaN]; b: [8, NaN, 4] -> [1, NaN, 0]
    # U2 has a = 0 (normalised) so b = 0 -> back-transformed 4; U3 b = 0 -> a = 0 -> 1
    r = run_pipeline(tiny, [{"impute": {"method": "mean", "by": "row", "group_level": 2}}])
    imp = r.datasets["Imputed"]
    assert imp["b"].iloc[1] == pytest.approx(4.0)
    assert imp["a"].iloc[2] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("method", "max_time", "expected"),
    [
        ("latest", None, [NAN, 2, 2, 2, 8]),
        ("latest", 1, [NAN, 2, 2, NAN, 8]),
        ("constant", None, [2, 2, 2, 2, 8]),
        ("linear", None, [2, 2, 4, 6, 8]),
        ("linear-constant", None, [2, 2, 4, 6, 8]),
    ],
)
def test_panel_imputation_by_hand(method: str, max_time: int | None, expected: list[float]) -> None:
    X = col(NAN, 2, NAN, NAN, 8)
    units = np.array(["U"] * 5, dtype=object)
    time = np.arange(2018, 2023)
    got = impute_panel_matrix(X, units, time, method, max_time)[:, 0]
    np.testing.assert_array_equal(got, expected)


# ---------------------------------------------------------------- treatment
def test_check_rule_needs_both() -> None:
    x = np.array(list(range(1, 11)) + [30, 100.0])
    ok, sk, kt = check_skew_kurt(x)
    assert not ok and sk > 2 and kt > 3.5
    assert check_skew_kurt(x, 2, 100)[0]  # kurtosis below its threshold -> passes


def test_winsorise_coinr_example() -> None:
    # COINr docs example: x = c(1:10, 30, 100); one point (100 -> 30) is enough
    x = np.array(list(range(1, 11)) + [30, 100.0])
    y, labels, info = winsorise(x, winmax=5)
    assert y[-1] == 30 and info["nwin"] == 1 and labels[-1] == "winhi"
    assert check_skew_kurt(y)[0]


def test_winsorise_tied_block_counts_cumulatively() -> None:
    # 1..30 plus 300, 400, 500: 500 -> 400 (1 point), then the tied block {400, 400} -> 300
    # (count 2: the winsorised point joins the block), then {300 x3} -> 30 (count 3)
    x = np.array([*range(1, 31), 300, 400, 500.0])
    expected = {1: [30, 300, 400, 400], 2: [30, 300, 300, 300], 3: [30, 30, 30, 30]}
    for winmax, tail in expected.items():
        y, labels, info = winsorise(x, winmax=winmax)
        np.testing.assert_array_equal(y[-4:], tail)
        assert info["nwin"] == winmax
        assert (labels == "winhi").sum() == winmax
    y, _, info = winsorise(x, winmax=5)  # passes after 3 points
    assert info["nwin"] == 3 and check_skew_kurt(y)[0]


def test_log_ct_after_failed_winsorisation() -> None:
    x = np.array([*range(1, 31), 300, 400, 500.0])  # still fails after 2 winsorised points
    y, labels, row = treat_vector(x, TreatSpec(winmax=2))
    mn, mx = x.min(), x.max()
    np.testing.assert_allclose(y, np.log(x - mn + 0.01 * (mx - mn)))  # on the ORIGINAL values
    assert row["Treatment"] == "log_ct" and set(labels) == {"log_ct"}
    y2, _, _ = log_ct(np.array([1.0, 2, 101]))
    np.testing.assert_allclose(y2, np.log([1, 2, 101]))


def test_treat_individual_and_none(tiny: Coin) -> None:
    r = run_pipeline(tiny, [{"treat": {"individual": {"a": "none", "b": {"winmax": 2}}}}])
    assert len(r.treatment) == 3
    r = run_pipeline(tiny, [{"treat": {"method": "none"}}])
    assert r.treatment.empty


def test_boxcox_and_log_variants() -> None:
    x = np.array([1.0, 2.0, 3.0])
    from citycheckup.composite.treat import TRANSFORMS

    np.testing.assert_allclose(TRANSFORMS["boxcox"](x, lambda_=2)[0], ([1, 4, 9] - np.ones(3)) / 2)
    np.testing.assert_allclose(TRANSFORMS["log_ct_orig"](x)[0], np.log([1, 2, 3]))
    neg = np.array([-100.0, 1, 2, 3, 4])
    a = 0.01 * 104
    np.testing.assert_allclose(TRANSFORMS["log_ct_plus"](neg)[0], -np.log(4 + a - neg))


# ---------------------------------------------------------------- screening, denomination, stats
def test_screen_and_force(tiny: Coin) -> None:
    # availability: U1 3/3, U2 2/3, U3 2/3
    r = run_pipeline(tiny, [{"screen": {"min_availability": 0.9, "force": {"include": ["U3"]}}}])
    assert r.datasets["Screened"]["uCode"].tolist() == ["U1", "U3"]
    assert r.screening["Dat_Avail"].tolist() == pytest.approx([1, 2 / 3, 2 / 3])


def test_denominate_by_hand() -> None:
    meta = pd.DataFrame(
        {
            "Level": [1, 2, NAN],
            "iCode": ["a", "Index", "pop"],
            "Direction": [1, 1, NAN],
            "Weight": [1, 1, NAN],
            "Parent": ["Index", None, None],
            "Type": ["Indicator", "Aggregate", "Denominator"],
            "Denominator": ["pop", None, None],
        }
    )
    data = pd.DataFrame({"uCode": ["X", "Y"], "pop": [2.0, 4.0], "a": [10.0, 20.0]})
    r = run_pipeline(Coin(data=data, meta=meta), [{"denominate": {}}])
    assert r.datasets["Denominated"]["a"].tolist() == [5.0, 5.0]


def test_stats_and_availability(tiny: Coin) -> None:
    st = indicator_stats(tiny.data, ["a", "b", "c"]).set_index("iCode")
    assert st.loc["a", "N.Avail"] == 2 and st.loc["a", "Frc.Avail"] == pytest.approx(2 / 3)
    assert st.loc["c", "Mean"] == 2.0 and st.loc["c", "Std"] == 1.0
    av = unit_data_availability(tiny, tiny.data).set_index("uCode")
    assert av.loc["U2", "P1"] == 0.5 and av.loc["U2", "Index"] == pytest.approx(2 / 3)


# ---------------------------------------------------------------- weights
def test_ahp_by_hand() -> None:
    w, cr = ahp_weights(np.array([[1, 2, 4], [0.5, 1, 2], [0.25, 0.5, 1]]), ["x", "y", "z"])
    assert w == pytest.approx({"x": 4 / 7, "y": 2 / 7, "z": 1 / 7})
    assert cr == pytest.approx(0.0, abs=1e-9)  # perfectly consistent
    _, cr2 = ahp_weights(np.array([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]))
    assert cr2 > 0.1
    with pytest.raises(
        PipelineError, match="^the AHP matrix must be reciprocal: a_ji = 1 / a_ij and a_ii = 1$"
    ):
        ahp_weights(np.array([[1, 2], [2, 1]]))


def test_effective_weights(tiny: Coin) -> None:
    ew = effective_weights(tiny).set_index("iCode")["EffWeight"]
    assert ew["a"] == pytest.approx(0.125) and ew["b"] == pytest.approx(0.375) and ew["c"] == 0.5
    assert ew["Index"] == 1.0


def test_data_driven_weights() -> None:
    X = pd.DataFrame({"p": [1.0, 2, 3, 4], "q": [2.0, 4, 6, 8.5], "r": [4.0, 1, 3, 2]})
    e = entropy_weights(X)
    assert sum(e.values()) == pytest.approx(1.0)
    same = entropy_weights(pd.DataFrame({"p": [1.0, 2, 3], "q": [1.0, 2, 3]}))
    assert same["p"] == pytest.approx(0.5)
    c = critic_weights(X)
    assert sum(c.values()) == pytest.approx(1.0) and c["r"] > c["p"]  # r is least correlated
    pw = pca_weights(X[["p", "q"]])
    assert pw["p"] == pytest.approx(pw["q"]) == pytest.approx(1 / np.sqrt(2))


def test_noisy_weights_within_bounds(tiny: Coin) -> None:
    sets = noisy_weights(tiny, {2: 0.25}, 50, seed=3)
    vals = np.array([s["P1"] for s in sets])
    assert (vals >= 0.75).all() and (vals <= 1.25).all() and vals.std() > 0
    assert all(s["a"] == 1 for s in sets)


# ---------------------------------------------------------------- analysis
def test_trend_functions() -> None:
    t = np.array([2018.0, 2020.0])
    assert prc_change(t, np.array([10.0, 12.0])) == pytest.approx(10.0)  # 20 % over 2 years
    t3 = np.array([2018.0, 2019, 2020])
    assert prc_change(t3, np.array([10.0, 11, 12])) == pytest.approx(10.0)  # slope 1 / 10 * 100
    df = pd.DataFrame({"uCode": ["A"] * 3, "Time": [2018, 2019, 2020], "x": [100.0, NAN, 121.0]})
    tr = trends(df, ["x"], directions={"x": -1})
    assert tr["CAGR"].iloc[0] == pytest.approx(-0.1)


def test_cronbach_pca_corr_flags(tiny: Coin) -> None:
    df = pd.DataFrame({"x": [1.0, 2, 3, 4], "y": [2.0, 4, 6, 8], "z": [1.0, 2, 3, 5]})
    # identical standardised items give alpha near 1
    assert cronbach_alpha(df, ["x", "y", "z"]) > 0.9
    pv = pca_variance(df, ["x", "y", "z"])
    assert pv["Variance"].sum() == pytest.approx(1.0) and pv["Variance"].iloc[0] > 0.95
    data = pd.DataFrame(
        {"uCode": ["U1", "U2", "U3"], "a": [1.0, 2, 3], "b": [1.0, 2, 3.1], "c": [3.0, 2, 1]}
    )
    fl = correlation_flags(tiny, data, level=1, group_level=2, threshold=0.9)
    assert fl[["Code1", "Code2"]].values.tolist() == [["a", "b"]]


def test_strengths_and_compare() -> None:
    data = pd.DataFrame(
        {"uCode": ["A", "B", "C"], "x": [3.0, 2, 1], "y": [1.0, 2, 3], "i": [1.0, 2, 3]}
    )
    s, w = strengths_weaknesses(data, ["x", "y"], "A", top=1, bottom=1, min_discard=False)
    assert s["iCode"].tolist() == ["x"] and w["iCode"].tolist() == ["y"]
    # by default (COINr's min_discard) the unit's last place in y is not listed
    s, w = strengths_weaknesses(data, ["x", "y"], "A", top=1, bottom=1)
    assert s["iCode"].tolist() == ["x"] and w["iCode"].tolist() == ["x"]
    b = data.assign(i=[3.0, 2, 1])
    cmp = compare_results(data, b, "i").set_index("uCode")
    assert cmp.loc["A", "Diff"] == -2 and cmp.loc["B", "AbsDiff"] == 0


# ---------------------------------------------------------------- pipeline validation
def test_pipeline_reports_every_problem(tmp_path) -> None:
    with pytest.raises(PipelineError) as exc:
        Pipeline.from_steps([{"normalize": {}}, {"treat": 3}, {"aggregate": {"methd": "x"}}])
    msg = str(exc.value)
    assert (
        "unknown step 'normalize'" in msg
        and "parameters must be a mapping" in msg
        and "'methd'" in msg
    )
    f = tmp_path / "p.yaml"
    f.write_text("steps:\n  - normalise: {method: minmax, global: true}\n  - aggregate: {}\n")
    assert [s.name for s in Pipeline.from_yaml(f).steps] == ["normalise", "aggregate"]


# ---------------------------------------------------------------- metadata, framework files
def test_use_meta_targets_and_per_time_normalisation(tiny: Coin) -> None:
    meta = tiny.meta.assign(Target=[3.0, 10.0, 2.0, NAN, NAN, NAN])
    coin = Coin(data=tiny.data, meta=meta)
    r = run_pipeline(coin, [{"normalise": {"method": "dist2targ", "use_meta": True}}])
    n = r.datasets["Normalised"]
    # a: (x - 1)/(3 - 1); c has direction -1: (max - x)/(max - target) = (3 - x)/(3 - 2)
    np.testing.assert_allclose(n["a"], [0.5, 0.0, NAN])
    np.testing.assert_allclose(n["c"], [2.0, 1.0, 0.0])


def test_panel_normalisation_per_year() -> None:
    meta = pd.DataFrame(
        {
            "Level": [1, 2],
            "iCode": ["a", "Index"],
            "Direction": [1, 1],
            "Weight": [1, 1],
            "Parent": ["Index", None],
            "Type": ["Indicator", "Aggregate"],
        }
    )
    data = pd.DataFrame(
        {"uCode": ["X", "Y"] * 2, "Time": [2020, 2020, 2021, 2021], "a": [0.0, 1, 1, 3]}
    )
    coin = Coin(data=data, meta=meta)
    glob = run_pipeline(coin, [{"normalise": {"global": True}}]).datasets["Normalised"]
    per = run_pipeline(coin, [{"normalise": {"global": False}}]).datasets["Normalised"]
    np.testing.assert_allclose(glob["a"], [0, 100 / 3, 100 / 3, 100])
    assert per["a"].tolist() == [0, 100, 0, 100]
    ranks = run_pipeline(coin, [{"normalise": {}}, {"aggregate": {}}]).ranks
    assert ranks["Index"].tolist() == [2, 1, 2, 1]


def test_coin_reports_every_problem() -> None:
    from citycheckup.errors import DataError, FrameworkError

    meta = pd.DataFrame(
        {
            "Level": [1, 1, 2],
            "iCode": ["a", "b c", "Index"],
            "Direction": [1, 2, 1],
            "Weight": [1, 1, 1],
            "Parent": ["Index", "Index", None],
            "Type": ["Indicator", "Indicator", "Aggregate"],
        }
    )
    with pytest.raises(FrameworkError) as exc:
        Coin(data=pd.DataFrame({"uCode": ["X"]}), meta=meta)
    assert "must not contain spaces" in str(exc.value) and "Direction must be 1 or -1" in str(
        exc.value
    )
    good = meta.assign(iCode=["a", "b", "Index"], Direction=[1, 1, 1])
    data = pd.DataFrame({"uCode": ["X", "X"], "a": ["1", "z"], "Index": [1, 2]})
    with pytest.raises(DataError) as exc2:
        Coin(data=data, meta=good)
    msg = str(exc2.value)
    assert (
        "duplicate row" in msg
        and "indicator b" in msg
        and "non-numeric" in msg
        and "data column Index" in msg
    )


def test_framework_yaml_tree(tmp_path) -> None:
    from citycheckup.composite import read_framework

    f = tmp_path / "fw.yaml"
    f.write_text(
        "framework:\n"
        "  code: Index\n"
        "  children:\n"
        "    - {code: P1, weight: 2, children: [{code: a}, {code: b, direction: -1, denominator: pop}]}\n"
        "    - {code: P2, children: [{code: c, target: 5}]}\n"
        "denominators: [pop]\n"
    )
    meta = read_framework(f)
    assert meta.set_index("iCode").loc["b", "Direction"] == -1
    data = pd.DataFrame(
        {"uCode": ["X", "Y"], "pop": [1.0, 2.0], "a": [1.0, 2], "b": [2.0, 1], "c": [1.0, 3]}
    )
    coin = Coin(data=data, meta=meta)
    assert coin.levels[2] == ("P1", "P2") and coin.denominator_columns == ("pop",)
    assert coin.weights()["P1"] == 2.0


def test_coinr_own_treatment_tests() -> None:
    """The cases of COINr's tests/testthat/test-treat.R (bluefoxr/COINr), replayed."""
    x = np.array([*range(1, 11), 100.0])
    assert not check_skew_kurt(x)[0]
    y, _, _ = treat_vector(x, TreatSpec(winmax=5, f2="none"))
    assert y[-1] == 10 and (y[:10] == x[:10]).all() and check_skew_kurt(y)[0]
    x = np.array([*range(1, 21), 100.0, 200.0])
    y, _, _ = treat_vector(x, TreatSpec(winmax=1, f2="none"))
    assert not check_skew_kurt(y)[0]
    y, _, _ = treat_vector(x, TreatSpec(winmax=1, f2="log"))
    np.testing.assert_allclose(y, np.log(x))
    _, labels, _ = winsorise(x, winmax=3, force_win=True)
    assert (labels != "").sum() == 3


def test_public_api_is_sorted_and_importable() -> None:
    import citycheckup.composite as comp

    assert comp.__all__ == sorted(comp.__all__)
    for name in comp.__all__:
        assert hasattr(comp, name)
