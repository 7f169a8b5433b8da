"""``composite/stats.py`` against values derived by hand (issue 18, item 4).

The data are synthetic, chosen so that every statistic has a short closed form.
Definitions from COINr 1.1.14 (bluefoxr/COINr at commit b968203):

* ``R/stats.R`` ``get_stats.data.frame``: ``Min, Max, Mean, Median, Std (sd), Skew, Kurt,
  N.Avail, N.NonZero, N.Unique, N.Same (max(table(x))), Frc.*``; ``Flag.Avail`` is
  ``LOW`` when ``Frc.Avail < t_avail``; ``Flag.SkewKurt`` is ``OUT`` when
  ``|skew| > t_skew & kurt > t_kurt``; skew and kurtosis are COINr's ``skew``/``kurt``
  (e1071 / Excel "type 2": ``G1``, ``G2``).
* ``R/screen_units.R`` ``get_data_avail``: ``Dat_Avail = 1 - n_missing / n_indicators``,
  ``Non_Zero = 1 - n_zero / (n_indicators - n_missing)``; per aggregate the share of its
  indicators available (``1 - rowMeans(is.na(X[, group]))``).

Independent second opinion for skew/kurtosis: :func:`scipy.stats.skew` and
:func:`scipy.stats.kurtosis` with ``bias=False`` (the same G1/G2).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from citycheckup.composite import Coin
from citycheckup.composite.stats import (
    denominator_correlations,
    indicator_stats,
    unit_data_availability,
)

NAN = float("nan")


# ------------------------------------------------------------------ indicator_stats
def test_indicator_stats_every_column_by_hand() -> None:
    """Synthetic column a = [1, 2, 2, 0, NaN] (n = 5 rows).

    Available v = [1, 2, 2, 0] (4 values): min 0, max 2, mean 5/4, median (1+2)/2 = 1.5.
    Deviations from 1.25: -0.25, 0.75, 0.75, -1.25; sum of squares 2.75, so
    sd = sqrt(2.75/3). Central moments m2 = 2.75/4, m3 = (-1.125)/4, m4 = 3.078125/4;
    G1 = m3/m2^1.5 * sqrt(n(n-1))/(n-2) with n = 4;
    G2 = ((n+1)(m4/m2^2 - 3) + 6)(n-1)/((n-2)(n-3)).
    Non-zero: 3 of 4; unique {0, 1, 2}: 3 of 4; the most frequent value (2) twice.
    """
    data = pd.DataFrame({"a": [1.0, 2.0, 2.0, 0.0, NAN]})
    row = indicator_stats(data, ["a"]).set_index("iCode").loc["a"]
    m2, m3, m4, n = 2.75 / 4, -1.125 / 4, 3.078125 / 4, 4
    g1 = m3 / m2**1.5 * math.sqrt(n * (n - 1)) / (n - 2)
    g2 = ((n + 1) * (m4 / m2**2 - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
    assert (row["Min"], row["Max"], row["Mean"], row["Median"]) == (0.0, 2.0, 1.25, 1.5)
    assert row["Std"] == pytest.approx(math.sqrt(2.75 / 3), rel=1e-12)
    assert row["Skew"] == pytest.approx(g1, rel=1e-12)
    assert row["Kurt"] == pytest.approx(g2, rel=1e-12)
    v = np.array([1.0, 2.0, 2.0, 0.0])
    assert row["Skew"] == pytest.approx(sps.skew(v, bias=False), rel=1e-12)
    assert row["Kurt"] == pytest.approx(sps.kurtosis(v, bias=False), rel=1e-12)
    assert (row["N.Avail"], row["N.NonZero"], row["N.Unique"], row["N.Same"]) == (4, 3, 3, 2)
    assert row["Frc.Avail"] == 0.8
    assert (row["Frc.NonZero"], row["Frc.Zero"]) == (0.75, 0.25)
    assert (row["Frc.Unique"], row["Frc.Same"]) == (0.75, 0.5)
    assert (row["Flag.Avail"], row["Flag.NonZero"], row["Flag.Unique"]) == ("ok", "ok", "ok")
    assert row["Flag.SkewKurt"] == "ok"


@pytest.mark.parametrize(
    ("t_avail", "flag"),
    [(0.8, "ok"), (0.8 - 1e-9, "ok"), (0.8 + 1e-9, "LOW")],  # at, just below, just above
)
def test_flag_avail_boundary(t_avail: float, flag: str) -> None:
    """Frc.Avail = 4/5 = 0.8 exactly; COINr: ``ifelse(prc_avail >= t_avail, "ok", "LOW")``."""
    data = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, NAN]})
    assert indicator_stats(data, ["a"], t_avail=t_avail)["Flag.Avail"].item() == flag


@pytest.mark.parametrize(("t", "flag"), [(0.5, "ok"), (0.5 - 1e-9, "ok"), (0.5 + 1e-9, "LOW")])
def test_flag_nonzero_and_unique_boundaries(t: float, flag: str) -> None:
    """Synthetic nz = [0, 0, 1, 2]: 2 non-zero of 4 = 0.5; uq = [0, 0, 1, 1]: 2 distinct
    values of 4 = 0.5. LOW only when the share is below the threshold."""
    data = pd.DataFrame({"nz": [0.0, 0.0, 1.0, 2.0], "uq": [0.0, 0.0, 1.0, 1.0]})
    st = indicator_stats(data, ["nz", "uq"], t_zero=t, t_unique=t).set_index("iCode")
    assert st.loc["nz", "Frc.NonZero"] == 0.5 and st.loc["uq", "Frc.Unique"] == 0.5
    assert st.loc["nz", "Flag.NonZero"] == flag
    assert st.loc["uq", "Flag.Unique"] == flag


def test_single_outlier_is_flagged_out_with_its_closed_form_skew_and_kurtosis() -> None:
    """Synthetic x = nine zeros and one 1 (n = 10).

    With one 1 among n values: mean 1/n, m2 = (n-1)/n^2, m3 = (n-1)(n-2)/n^3,
    m4 = (n-1)(n^2-3n+3)/n^4, so g1 = (n-2)/sqrt(n-1) = 8/3 and g2 = (n^2 - 3n + 3)/(n-1) - 3 = 73/9 - 3 = 46/9, so
    G1 = g1 sqrt(n(n-1))/(n-2) = (8/3) sqrt(90)/8 = sqrt(10) and
    G2 = ((n+1) g2 + 6)(n-1)/((n-2)(n-3)) = (506/9 + 6) 9/56 = 560/56 = 10.
    |skew| = 3.162 > 2 and kurt 10 > 3.5: OUT. Non-zero 1/10 and unique 2/10 are LOW.
    """
    data = pd.DataFrame({"x": [0.0] * 9 + [1.0]})
    row = indicator_stats(data, ["x"]).iloc[0]
    assert row["Skew"] == pytest.approx(math.sqrt(10), rel=1e-12)
    assert row["Kurt"] == pytest.approx(10.0, rel=1e-12)
    assert row["Flag.SkewKurt"] == "OUT"
    assert (row["N.Same"], row["Frc.Same"]) == (9, 0.9)
    assert (row["Flag.NonZero"], row["Flag.Unique"]) == ("LOW", "LOW")


@pytest.mark.parametrize(
    ("skew_thresh", "kurt_thresh", "flag"),
    [
        (3.16, 9.99, "OUT"),  # both just below the values sqrt(10) = 3.1623 and 10
        (3.17, 9.99, "ok"),  # skew threshold just above |skew|
        (3.16, 10.01, "ok"),  # kurtosis threshold just above kurt
        (3.17, 10.01, "ok"),
    ],
)
def test_flag_skewkurt_needs_both(skew_thresh: float, kurt_thresh: float, flag: str) -> None:
    """COINr: OUT only when |skew| > t_skew AND kurt > t_kurt (skew sqrt(10), kurt 10)."""
    data = pd.DataFrame({"x": [0.0] * 9 + [1.0]})
    got = indicator_stats(data, ["x"], skew_thresh=skew_thresh, kurt_thresh=kurt_thresh)
    assert got["Flag.SkewKurt"].item() == flag


def test_negative_skew_counts_by_absolute_value() -> None:
    """Mirror image (nine zeros and one -1): skew -sqrt(10), kurt 10, still OUT (|skew|)."""
    row = indicator_stats(pd.DataFrame({"x": [0.0] * 9 + [-1.0]}), ["x"]).iloc[0]
    assert row["Skew"] == pytest.approx(-math.sqrt(10), rel=1e-12)
    assert row["Flag.SkewKurt"] == "OUT"


def test_column_without_any_value_is_flagged_low_not_ok() -> None:
    """An all-missing column has no statistics (NaN) and 0 available values.

    COINr flags non-zero and unique shares of all n rows (``nzero/n``, ``nunq/n``), which
    are 0 here, so LOW. Flagging such an indicator "ok" would hide it.
    """
    row = indicator_stats(pd.DataFrame({"e": [NAN, NAN, NAN]}), ["e"]).iloc[0]
    for col in ("Min", "Max", "Mean", "Median", "Std", "Skew", "Kurt", "Frc.NonZero"):
        assert math.isnan(row[col]), col
    assert (row["N.Avail"], row["N.NonZero"], row["N.Unique"], row["N.Same"]) == (0, 0, 0, 0)
    assert row["Frc.Avail"] == 0.0
    assert (row["Flag.Avail"], row["Flag.NonZero"], row["Flag.Unique"]) == ("LOW", "LOW", "LOW")
    assert row["Flag.SkewKurt"] == "ok"


def test_one_value_has_no_sd_and_empty_table_has_no_share() -> None:
    """One available value: sd needs two (R ``sd`` of one value is NA); zero rows: no share."""
    row = indicator_stats(pd.DataFrame({"a": [3.0, NAN]}), ["a"]).iloc[0]
    assert (row["Min"], row["Max"], row["Mean"], row["Median"]) == (3.0, 3.0, 3.0, 3.0)
    assert math.isnan(row["Std"]) and math.isnan(row["Skew"]) and math.isnan(row["Kurt"])
    assert row["Frc.Avail"] == 0.5
    empty = indicator_stats(pd.DataFrame({"a": pd.Series([], dtype=float)}), ["a"]).iloc[0]
    assert math.isnan(empty["Frc.Avail"]) and empty["N.Avail"] == 0


# ------------------------------------------------------------------ a synthetic coin
def _coin(panel: bool = False) -> Coin:
    """Synthetic 3-level coin: a, b -> P1; c -> P2; P1, P2 -> Index; denominator pop."""
    meta = pd.DataFrame(
        {
            "Level": [1, 1, 1, 2, 2, 3, NAN],
            "iCode": ["a", "b", "c", "P1", "P2", "Index", "pop"],
            "Direction": [1, 1, 1, 1, 1, 1, NAN],
            "Weight": [1, 1, 1, 1, 1, 1, NAN],
            "Parent": ["P1", "P1", "P2", "Index", "Index", None, None],
            "Type": ["Indicator"] * 3 + ["Aggregate"] * 3 + ["Denominator"],
        }
    )
    data = pd.DataFrame(
        {
            "uCode": ["U1", "U2", "U3"],
            "pop": [1.0, 3.0, 2.0],
            "a": [1.0, 2.0, 3.0],
            "b": [0.0, NAN, 5.0],
            "c": [NAN, NAN, 0.0],
        }
    )
    if panel:
        later = data.copy()
        later["pop"] = [3.0, 1.0, 2.0]
        data = pd.concat([data.assign(Time=2020), later.assign(Time=2021)], ignore_index=True)
    return Coin(data=data, meta=meta)


def test_unit_data_availability_overall_and_per_aggregate() -> None:
    """Synthetic rows (a, b, c): U1 (1, 0, NaN), U2 (2, NaN, NaN), U3 (3, 5, 0).

    N_missing 1, 2, 0; N_zero 1, 0, 1; Dat_Avail = 1 - missing/3 = 2/3, 1/3, 1;
    Non_Zero = 1 - zeros/(3 - missing) = 1 - 1/2, 1 - 0/1, 1 - 1/3.
    P1 = {a, b}: available 2/2, 1/2, 2/2; P2 = {c}: 0, 0, 1; Index = all three = Dat_Avail.
    """
    coin = _coin()
    av = unit_data_availability(coin, coin.data)
    head = ["uCode", "N_missing", "N_zero", "Dat_Avail", "Non_Zero", "P1", "P2", "Index"]
    assert list(av.columns) == head
    assert av["uCode"].tolist() == ["U1", "U2", "U3"]
    assert av["N_missing"].tolist() == [1, 2, 0]
    assert av["N_zero"].tolist() == [1, 0, 1]
    assert av["Dat_Avail"].tolist() == pytest.approx([2 / 3, 1 / 3, 1.0])
    assert av["Non_Zero"].tolist() == pytest.approx([0.5, 1.0, 2 / 3])
    assert av["P1"].tolist() == [1.0, 0.5, 1.0]
    assert av["P2"].tolist() == [0.0, 0.0, 1.0]
    assert av["Index"].tolist() == pytest.approx([2 / 3, 1 / 3, 1.0])


def test_unit_data_availability_of_a_panel_keeps_the_year() -> None:
    """Same synthetic values in 2020 and 2021: a Time column, values repeated per year."""
    coin = _coin(panel=True)
    av = unit_data_availability(coin, coin.data)
    assert list(av.columns[:2]) == ["uCode", "Time"]
    assert av["Time"].tolist() == [2020, 2020, 2020, 2021, 2021, 2021]
    assert av["Dat_Avail"].tolist() == pytest.approx([2 / 3, 1 / 3, 1.0] * 2)


# ------------------------------------------------------------------ denominator_correlations
def test_denominator_correlations_by_hand_and_aligned_by_unit() -> None:
    """Synthetic a = (1, 2, 3) against pop = (1, 3, 2) for U1..U3.

    Deviations (-1, 0, 1) and (-1, 1, 0): r = 1 / sqrt(2 * 2) = 0.5 (Pearson; the ranks
    are the values, so Spearman is 0.5 too). Kendall: pairs (U1,U2) and (U1,U3)
    concordant, (U2,U3) discordant: tau = (2 - 1)/3. The data set is passed in reverse
    row order: the denominators must follow the units, not the row positions.
    """
    coin = _coin()
    data = coin.data.iloc[::-1].reset_index(drop=True)
    for method, r in (("pearson", 0.5), ("spearman", 0.5), ("kendall", 1 / 3)):
        out = denominator_correlations(coin, data, method=method).set_index("iCode")
        assert out.loc["a", "Denominator"] == "pop"
        assert out.loc["a", "r"] == pytest.approx(r, rel=1e-12), method
    # b = (0, NaN, 5) vs pop (1, 3, 2): pairwise complete (U1, U3) gives r = 1
    out = denominator_correlations(coin, data).set_index("iCode")
    assert out.loc["b", "r"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("threshold", "flag"), [(0.5, False), (0.5 - 1e-9, True), (0.5 + 1e-9, False)]
)
def test_denominator_flag_boundary(threshold: float, flag: bool) -> None:
    """r(a, pop) = 0.5 (above); Flag is ``|r| > threshold``, so not at the threshold."""
    coin = _coin()
    out = denominator_correlations(coin, coin.data, threshold=threshold).set_index("iCode")
    assert out.loc["a", "r"] == pytest.approx(0.5, abs=1e-15)
    assert bool(out.loc["a", "Flag"]) is flag


def test_denominator_correlations_of_a_panel_match_unit_and_year() -> None:
    """Synthetic panel: pop is (1, 3, 2) in 2020 and (3, 1, 2) in 2021; a = (1, 2, 3) both years.

    Only the 2021 rows: a vs pop (3, 1, 2): deviations (-1, 0, 1) and (1, -1, 0):
    r = -1/2. Matching on uCode alone would take the 2020 value (r = +0.5).
    """
    coin = _coin(panel=True)
    data = coin.data[coin.data["Time"] == 2021].reset_index(drop=True)
    out = denominator_correlations(coin, data).set_index("iCode")
    assert out.loc["a", "r"] == pytest.approx(-0.5, rel=1e-12)
    assert not bool(out.loc["a", "Flag"])


@pytest.mark.parametrize("method", ["pearson", "spearman", "kendall"])
def test_undefined_denominator_correlation_is_nan_without_a_warning(method: str) -> None:
    """c = (NaN, NaN, 0): one unit with both values, so r is undefined (NaN, Flag false).

    A constant indicator (synthetic, all 4.0) is undefined too. scipy warns on both (too
    small a sample, constant input); warnings are errors here, so this also checks that
    none leaks out.
    """
    coin = _coin()
    out = denominator_correlations(coin, coin.data, method=method).set_index("iCode")
    assert math.isnan(out.loc["c", "r"]) and not bool(out.loc["c", "Flag"])
    const = coin.data.assign(a=4.0)
    out = denominator_correlations(coin, const, method=method).set_index("iCode")
    assert math.isnan(out.loc["a", "r"]) and not bool(out.loc["a", "Flag"])
