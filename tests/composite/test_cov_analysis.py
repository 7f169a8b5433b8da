"""``composite/analysis.py``: correlations, p-values, code selection, Cronbach's alpha and
trends on synthetic data, with every expected value derived by hand.

Definitions from COINr 1.1.14 (bluefoxr/COINr at commit b968203): ``R/correlations.R``
(``get_corr``, ``get_pvals``: ``cor.test`` p-values), ``R/trends.R`` (``get_trends``, ``CAGR``,
``prc_change``), ``R/analysis`` ``get_cronbach`` (psych's raw alpha
``k/(k-1) (1 - sum(var) / sum(cov))``).

Synthetic coin: indicators a, b -> P1; c, d -> P2; P1, P2 -> Index, five units. Every
indicator is a permutation of 1..5, so each has mean 3 and sum of squared deviations 10,
and a Pearson correlation is (sum of products of deviations) / 10; the values are their
own ranks, so Spearman equals Pearson:

====  =================  =====================
code  values             deviations from 3
====  =================  =====================
a     1, 2, 3, 4, 5      -2, -1, 0, 1, 2
b     2, 1, 4, 3, 5      -1, -2, 1, 0, 2
c     5, 4, 3, 2, 1      2, 1, 0, -1, -2
d     1, 3, 2, 5, 4      -2, 0, -1, 2, 1
====  =================  =====================

r(a, b) = 8/10, r(a, c) = -1, r(a, d) = 8/10, r(b, c) = -8/10, r(b, d) = 3/10,
r(c, d) = -8/10. P1 = (a + b)/2 = 1.5, 1.5, 3.5, 3.5, 5 and P2 = (c + d)/2 = 3, 3.5, 2.5,
3.5, 2.5 (arithmetic means with equal weights, by hand).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from citycheckup.composite import Coin
from citycheckup.composite.analysis import (
    correlation_pvalues,
    correlation_table,
    correlations,
    cronbach_alpha,
    level_codes,
    trends,
)
from citycheckup.errors import ComputationError, PipelineError

VALUES = {
    "a": [1.0, 2.0, 3.0, 4.0, 5.0],
    "b": [2.0, 1.0, 4.0, 3.0, 5.0],
    "c": [5.0, 4.0, 3.0, 2.0, 1.0],
    "d": [1.0, 3.0, 2.0, 5.0, 4.0],
}
AGG = {"P1": [1.5, 1.5, 3.5, 3.5, 5.0], "P2": [3.0, 3.5, 2.5, 3.5, 2.5]}


@pytest.fixture(scope="module")
def coin() -> Coin:
    meta = pd.DataFrame(
        {
            "Level": [1, 1, 1, 1, 2, 2, 3],
            "iCode": ["a", "b", "c", "d", "P1", "P2", "Index"],
            "Direction": [1] * 7,
            "Weight": [1] * 7,
            "Parent": ["P1", "P1", "P2", "P2", "Index", "Index", None],
            "Type": ["Indicator"] * 4 + ["Aggregate"] * 3,
        }
    )
    return Coin(data=pd.DataFrame({"uCode": list("VWXYZ"), **VALUES}), meta=meta)


@pytest.fixture(scope="module")
def aggregated(coin: Coin) -> pd.DataFrame:
    return coin.data.assign(**AGG)


def _p_pearson(r: float, n: int) -> float:
    """Two-sided p-value of Pearson's r: t = r sqrt(n-2)/sqrt(1-r^2), Student t, n-2 df."""
    t = r * math.sqrt(n - 2) / math.sqrt(1 - r * r)
    return float(2 * sps.t.sf(abs(t), n - 2))


# ------------------------------------------------------------------ p-values and correlations
def test_pvalues_follow_the_t_test_and_the_diagonal_is_zero(coin: Coin) -> None:
    P = correlation_pvalues(coin.data[["a", "b", "d"]])
    assert np.diag(P.to_numpy()).tolist() == [0.0, 0.0, 0.0]
    assert P.loc["a", "b"] == pytest.approx(_p_pearson(0.8, 5), rel=1e-9)  # 0.1041
    assert P.loc["b", "d"] == pytest.approx(_p_pearson(0.3, 5), rel=1e-9)  # 0.6238
    assert P.loc["a", "b"] == pytest.approx(0.1041, abs=5e-5)  # t = 2.309 on 3 df


def test_pvalue_is_one_for_a_constant_column_or_two_points() -> None:
    """Synthetic: a constant column, and a pair with only 2 complete observations."""
    a = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "k": [2.0] * 4, "y": [1.0, 2.0, np.nan, np.nan]})
    P = correlation_pvalues(a)
    assert P.loc["x", "k"] == 1.0 and P.loc["x", "y"] == 1.0


def test_unknown_correlation_type_is_named(coin: Coin) -> None:
    with pytest.raises(
        PipelineError,
        match="^unknown correlation type 'pearsons'; choose pearson, spearman or kendall$",
    ):
        correlation_pvalues(coin.data[["a", "b"]], method="pearsons")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("pval", "kept"),
    [
        # p(r=0.8) = 0.104, p(r=0.3) = 0.624, p(|r|=1) = 0
        (0.05, {("a", "c")}),
        (0.2, {("a", "c"), ("a", "b"), ("a", "d"), ("b", "c"), ("c", "d")}),
        (0.7, {("a", "c"), ("a", "b"), ("a", "d"), ("b", "c"), ("c", "d"), ("b", "d")}),
    ],
)
def test_correlations_hide_entries_above_pval(coin: Coin, pval: float, kept: set) -> None:
    R = correlations(coin.data, ["a", "b", "c", "d"], pval=pval)
    expected = {("a", "b"): 0.8, ("a", "c"): -1.0, ("a", "d"): 0.8, ("b", "c"): -0.8}
    expected |= {("b", "d"): 0.3, ("c", "d"): -0.8}
    for (x, y), r in expected.items():
        if (x, y) in kept:
            assert R.loc[x, y] == pytest.approx(r, abs=1e-12), (x, y)
        else:
            assert math.isnan(R.loc[x, y]), (x, y)
    assert np.diag(R.to_numpy()).tolist() == pytest.approx([1.0] * 4)


def test_correlations_without_pval_keep_every_entry(coin: Coin) -> None:
    """pval None (default) or 0: the plain matrix, r(b, d) = 0.3 included."""
    for pval in (None, 0):
        R = correlations(coin.data, ["a", "b", "d"], pval=pval)
        assert R.loc["b", "d"] == pytest.approx(0.3, abs=1e-12)
        assert R.loc["a", "b"] == pytest.approx(0.8, abs=1e-12)


# ------------------------------------------------------------------ level_codes
def test_level_codes_within(coin: Coin) -> None:
    assert level_codes(coin, 1, "P2") == ["c", "d"]
    assert level_codes(coin, 1, ["Index"]) == ["a", "b", "c", "d"]
    assert level_codes(coin, 1, ["d", "a"]) == ["a", "d"]  # same level: COINr order kept
    assert level_codes(coin, 2) == ["P1", "P2"]


@pytest.mark.parametrize(
    ("level", "within", "message"),
    [
        (0, None, "^level must be between 1 and 3, got 0$"),
        (4, None, "^level must be between 1 and 3, got 4$"),
        (1, ["zz", "a"], "^unknown code\\(s\\) zz; use indicator or aggregate codes$"),
        (1, ["a", "P1"], "^the codes in 'within' are from different levels$"),
        (2, "a", "^'within' codes are at level 1, below level 2$"),
    ],
)
def test_level_codes_errors(coin: Coin, level: int, within: object, message: str) -> None:
    with pytest.raises(PipelineError, match=message):
        level_codes(coin, level, within)  # type: ignore[arg-type]


# ------------------------------------------------------------------ correlation_table
def test_indicators_against_their_parents_only(coin: Coin, aggregated: pd.DataFrame) -> None:
    """a, b against P1: sum of products with P1's deviations (-1.5, -1.5, .5, .5, 2) is 9,
    its sum of squares 9, so r = 9/sqrt(10 * 9) = 3/sqrt(10). c, d against P2 (deviations
    0, .5, -.5, .5, -.5; sum of squares 1): products sum to 1, r = 1/sqrt(10).
    The higher level comes first (Var1), as in COINr."""
    tab = correlation_table(coin, aggregated, levels=(1, 2), withparent=True, pval=0)
    assert list(zip(tab["Var1"], tab["Var2"], strict=True)) == [
        ("P1", "a"),
        ("P1", "b"),
        ("P2", "c"),
        ("P2", "d"),
    ]
    r1, r2 = 3 / math.sqrt(10), 1 / math.sqrt(10)
    assert tab["Correlation"].tolist() == pytest.approx([r1, r1, r2, r2], rel=1e-12)


def test_pairs_within_the_same_group(coin: Coin) -> None:
    """grouplev 2: only pairs inside P1 (a, b) and inside P2 (c, d)."""
    tab = correlation_table(coin, coin.data, levels=1, grouplev=2, pval=0)
    got = {(v1, v2): r for v1, v2, r in tab.itertuples(index=False)}
    want = {("a", "a"): 1, ("b", "a"): 0.8, ("a", "b"): 0.8, ("b", "b"): 1}
    want |= {("c", "c"): 1, ("d", "c"): -0.8, ("c", "d"): -0.8, ("d", "d"): 1}
    assert got.keys() == want.keys()
    for k, r in want.items():
        assert got[k] == pytest.approx(r, abs=1e-12), k


def test_within_one_code_in_a_list_applies_to_both_sides(coin: Coin) -> None:
    """within = ["P1"]: a and b on both sides; r(a, b) = 0.8."""
    tab = correlation_table(coin, coin.data, levels=1, within=["P1"], pval=0)
    got = {(v1, v2): r for v1, v2, r in tab.itertuples(index=False)}
    assert got.keys() == {("a", "a"), ("b", "a"), ("a", "b"), ("b", "b")}
    assert got[("a", "b")] == pytest.approx(0.8, abs=1e-12)


@pytest.mark.parametrize("grouplev", [1, 4])  # just below level + 1 = 2; just above max 3
def test_grouplev_out_of_range(coin: Coin, grouplev: int) -> None:
    with pytest.raises(PipelineError, match=f"^grouplev must be between 2 and 3, got {grouplev}$"):
        correlation_table(coin, coin.data, levels=1, grouplev=grouplev)


def test_correlation_table_errors_name_the_fix(coin: Coin) -> None:
    with pytest.raises(
        PipelineError, match="^withparent='family' needs a level below the top level$"
    ):
        correlation_table(coin, coin.data, levels=3, withparent="family")
    with pytest.raises(PipelineError, match="^withparent must be true, false or 'family'$"):
        correlation_table(coin, coin.data, withparent="parents")  # type: ignore[arg-type]
    with pytest.raises(
        PipelineError,
        match="^code\\(s\\) P1, P2 are not columns of the data set; levels above 1 need the Aggregated data set$",
    ):
        correlation_table(coin, coin.data, levels=(1, 2))


# ------------------------------------------------------------------ Cronbach's alpha
def test_cronbach_alpha_by_hand(coin: Coin) -> None:
    """a, b: variances 10/4 = 2.5 each, covariance 8/4 = 2; alpha = 2/1 (1 - 5/9) = 8/9."""
    assert cronbach_alpha(coin.data, ["a", "b"]) == pytest.approx(8 / 9, rel=1e-12)
    with pytest.raises(ComputationError, match="^Cronbach's alpha needs at least 2 codes$"):
        cronbach_alpha(coin.data, ["a"])


# ------------------------------------------------------------------ trends
@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    """Synthetic panel 2018-2021. G grows 10 % a year; F starts and ends at 50; K is constant."""
    years = [2018, 2019, 2020, 2021]
    return pd.DataFrame(
        {
            "uCode": ["G"] * 4 + ["F"] * 4 + ["K"] * 4,
            "Time": years * 3,
            "x": [100.0, 110.0, 121.0, 133.1, 50.0, 50.0, 60.0, 50.0, 7.0, 7.0, 7.0, 7.0],
        }
    )


def test_cagr_by_hand(panel: pd.DataFrame) -> None:
    """G: (133.1/100)^(1/3) - 1 = 0.1; F: first = last, so 0; K: constant, 0."""
    out = trends(panel, ["x"]).set_index("uCode")
    assert out.loc["G", "CAGR"] == pytest.approx(0.1, rel=1e-12)
    assert out.loc["F", "CAGR"] == 0.0 and out.loc["K", "CAGR"] == 0.0
    assert (out.loc["G", "t_first"], out.loc["G", "t_latest"], out.loc["G", "Avail"]) == (
        2018.0,
        2021.0,
        1.0,
    )


def test_trend_over_chosen_years(panel: pd.DataFrame) -> None:
    """time = 2019, 2021: G (133.1/110)^(1/2) - 1 = 0.1; F (50/50) -> 0.
    prc_change on two points: 100 (y_end - y_start)/y_start * per/(t_end - t_start):
    G 100 * 23.1/110 / 2 = 10.5 per year; with per = 2, 21.0."""
    out = trends(panel, ["x"], time=[2019, 2021]).set_index("uCode")
    assert out.loc["G", "CAGR"] == pytest.approx(0.1, rel=1e-12)
    pc = trends(panel, ["x"], method="prc_change", time=[2019, 2021]).set_index("uCode")
    assert pc.loc["G", "prc_change"] == pytest.approx(10.5, rel=1e-12)
    pc2 = trends(panel, ["x"], method="prc_change", time=[2019, 2021], per=2).set_index("uCode")
    assert pc2.loc["G", "prc_change"] == pytest.approx(21.0, rel=1e-12)
    assert pc.loc["K", "prc_change"] == 0.0  # constant series: 0


def test_prc_change_of_three_or_more_points_uses_the_fitted_line(panel: pd.DataFrame) -> None:
    """F over 2018-2021: y = 50, 50, 60, 50; least squares with t - 2018 = 0..3:
    slope = sum((t - 1.5)(y - 52.5)) / sum((t - 1.5)^2) = (3.75 + 1.25 + 3.75 - 3.75)/5 = 1,
    intercept at 2018 = 52.5 - 1.5 = 51; 100 * 1 / 51 per year. Direction -1 flips it."""
    out = trends(panel, ["x"], method="prc_change", directions={"x": -1}).set_index("uCode")
    assert out.loc["F", "prc_change"] == pytest.approx(-100 / 51, rel=1e-9)


def test_trends_errors(panel: pd.DataFrame) -> None:
    with pytest.raises(PipelineError, match="^trends need panel data with a Time column$"):
        trends(panel.drop(columns="Time"), ["x"])
    with pytest.raises(PipelineError, match="^interp_at must be 'all' or a list of years$"):
        trends(panel, ["x"], interp_at="some")  # type: ignore[arg-type]
    with pytest.raises(PipelineError, match=r"^year\(s\) \[2017.0, 2030.0\] are not in the data$"):
        trends(panel, ["x"], time=[2030, 2019, 2017])
    for bad in (1, 2.5, "3"):
        with pytest.raises(
            PipelineError, match=f"^use_latest must be an integer >= 2, got {bad!r}$"
        ):
            trends(panel, ["x"], use_latest=bad)  # type: ignore[arg-type]
    for years in ([2017], [2018, 2022]):  # just below the first year; just above the last
        with pytest.raises(
            PipelineError,
            match="^interp_at has year\\(s\\) outside the years of the data \\(2018–2021\\)$",
        ):
            trends(panel, ["x"], interp_at=years)


def test_use_latest_boundary(panel: pd.DataFrame) -> None:
    """use_latest = 2 (the smallest allowed): G over 2020-2021: 133.1/121 - 1 = 0.1.
    use_latest = 4 = the whole series: 0.1 again; 5 (longer than the series): NaN."""
    for k, expect in ((2, 0.1), (4, 0.1)):
        out = trends(panel, ["x"], use_latest=k).set_index("uCode")
        assert out.loc["G", "CAGR"] == pytest.approx(expect, rel=1e-12), k
    assert math.isnan(trends(panel, ["x"], use_latest=5).set_index("uCode").loc["G", "CAGR"])


@pytest.mark.parametrize("method", ["pearson", "spearman", "kendall"])
def test_constant_column_correlates_as_nan_without_a_warning(coin: Coin, method: str) -> None:
    """Synthetic: b set to a constant 4. r(a, b) is undefined (NaN); r(a, c) = -1 still.
    scipy warns on constant input for spearman (warnings are errors here)."""
    data = coin.data.assign(b=4.0)
    tab = correlation_table(coin, data, levels=1, method=method, pval=0)
    got = {(v1, v2): r for v1, v2, r in tab.itertuples(index=False)}
    assert math.isnan(got[("a", "b")]) and math.isnan(got[("b", "b")])
    assert got[("a", "c")] == pytest.approx(-1.0, abs=1e-12)
