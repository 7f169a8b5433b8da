"""Peer groups and medians, peer ranks, strengths and weak points, trends (issue 18).

All tables are synthetic (made-up unit codes and values picked for exact hand arithmetic).
Rules under test and their hand derivations are next to each assertion:

- ``peer_medians``: the median of the group-year, only where at least ``min_peers`` values;
- ``peer_ranks``: rank 1 best (ties share the minimum rank); percentile
  1 - (rank - 1) / (n - 1), missing for a group of one;
- ``strengths_weaknesses``: groups with fewer than ``min_peers`` ranked units skipped; best /
  worst percentiles first, ties by the indicator order;
- ``weak_points_by_target``: missed targets, largest ``shortfall_pct`` first;
- ``indicator_trends``: relative change = direction * change / |base| * 100 (the change itself
  when the base is 0); above ``tolerance`` improving, below ``-tolerance`` worsening, else
  stable; CAGR = ((v / base) ** (1 / span) - 1) * 100;
- ``score_changes``: change = score - base score, rank change = base rank - rank.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from citycheckup.diagnosis import (
    city_size_class,
    indicator_trends,
    peer_group,
    peer_medians,
    peer_ranks,
    score_changes,
    strengths_weaknesses,
    weak_points_by_target,
)
from citycheckup.errors import DataError


def _nan_to_none(values: list[object]) -> list[object]:
    return [None if pd.isna(v) else v for v in values]


# -- peers ---------------------------------------------------------------------------------------


def test_peer_group_errors_name_the_problem() -> None:
    v = pd.DataFrame({"unit_code": ["a", "b"], "province": ["P", None]})
    with pytest.raises(DataError) as info:
        peer_group(v, "size_class")
    assert str(info.value) == (
        "peer grouping 'size_class' needs a column 'size_class'; the table has unit_code, "
        "province; use province, size_class or a list of unit codes"
    )
    with pytest.raises(DataError) as info:
        peer_group(v, ["zz", "yy", "xx"])
    assert str(info.value) == (
        "none of the 3 peer units (xx, yy, zz) is in the data; give unit codes as in the "
        "unit_code column"
    )


def test_peer_group_missing_province_numbers_and_name() -> None:
    v = pd.DataFrame({"unit_code": [110000, 420500, 330100], "province": ["P", None, "Q"]})
    assert _nan_to_none(peer_group(v, "province").tolist()) == ["P", None, "Q"]
    # a list of codes matches integer unit codes by their text; the group gets the given name
    g = peer_group(v, ["420500", "330100"], name="mine")
    assert g.tolist() == [None, "mine", "mine"] and g.index.tolist() == [0, 1, 2]
    # an index that is not 0..n-1 is kept
    g2 = peer_group(v.set_axis([7, 8, 9]), ["110000"])
    assert g2.index.tolist() == [7, 8, 9] and g2.tolist() == ["custom", None, None]


def test_peer_medians_min_peers_boundary_and_years() -> None:
    # group P has 3 values in 2024 (1, 2, 10 -> median 2) and 2 in 2023 (4, 6 -> median 5);
    # group Q 1 value; u5 has no group
    v = pd.DataFrame({"unit_code": ["u1", "u2", "u3", "u4", "u1", "u2", "u5"],
                      "year": [2024, 2024, 2024, 2024, 2023, 2023, 2024],
                      "x": [1.0, 2.0, 10.0, 7.0, 4.0, 6.0, 3.0]})  # fmt: skip
    groups = pd.Series(["P", "P", "P", "Q", "P", "P", None])
    at3 = peer_medians(v, ["x", "nope"], groups, min_peers=3)["x"]
    assert list(peer_medians(v, ["x", "nope"], groups).columns) == ["x"]
    assert _nan_to_none(at3.tolist()) == [2.0, 2.0, 2.0, None, None, None, None]
    at2 = peer_medians(v, ["x"], groups, min_peers=2)["x"]  # 2023's pair now counts
    assert _nan_to_none(at2.tolist()) == [2.0, 2.0, 2.0, None, 5.0, 5.0, None]
    at4 = peer_medians(v, ["x"], groups, min_peers=4)["x"]  # nothing has 4
    assert at4.isna().all()


def test_size_class_of_a_negative_population_is_none() -> None:
    assert city_size_class(-1.0) is None
    assert _nan_to_none(city_size_class(pd.Series([-5.0, 25.0])).tolist()) == [None, "small_1"]


# -- peer ranks and strengths ---------------------------------------------------------------------


def _panel() -> pd.DataFrame:
    # group P: a, b, c, d; group Q: e alone; f has no group
    return pd.DataFrame({
        "unit_code": list("abcdef"), "year": 2024, "prov": ["P", "P", "P", "P", "Q", None],
        "up": [4.0, 3.0, 2.0, 1.0, 9.0, 9.0],     # higher better: a best
        "down": [4.0, 3.0, 2.0, 1.0, 9.0, 9.0],   # lower better: d best
        "tie": [2.0, 2.0, 1.0, np.nan, 9.0, 9.0],  # a and b share rank 1 of 3; d not ranked
    })  # fmt: skip


def test_peer_ranks_percentiles() -> None:
    r = peer_ranks(_panel(), {"up": 1, "down": -1, "tie": 1}, group="prov")
    r = r.set_index(["unit_code", "indicator"])
    # up in P (n = 4): ranks 1..4 -> percentiles 1, 2/3, 1/3, 0
    assert r.loc[[("a", "up"), ("b", "up"), ("c", "up"), ("d", "up")], "peer_rank"].tolist() == [
        1, 2, 3, 4]  # fmt: skip
    assert r.loc[[("a", "up"), ("b", "up"), ("d", "up")], "peer_percentile"].tolist() == (
        pytest.approx([1.0, 2 / 3, 0.0])
    )
    assert r.loc[("d", "down"), "peer_rank"] == 1 and r.loc[("a", "down"), "peer_rank"] == 4
    # tie: a, b share rank 1 (min), c rank 3 of n = 3 -> percentiles 1, 1, 0
    assert r.loc[[("a", "tie"), ("b", "tie"), ("c", "tie")], "peer_rank"].tolist() == [1, 1, 3]
    assert r.loc[("c", "tie"), "peer_n"] == 3 and r.loc[("c", "tie"), "peer_percentile"] == 0.0
    assert ("d", "tie") not in r.index and "f" not in r.index.get_level_values(0)
    # Q has one unit: rank 1 of 1, no percentile
    assert r.loc[("e", "up"), "peer_n"] == 1 and pd.isna(r.loc[("e", "up"), "peer_percentile"])


def test_strengths_weaknesses_min_peers_top_and_ties() -> None:
    d = {"up": 1, "down": -1, "tie": 1}
    sw = strengths_weaknesses(_panel(), d, groups={"province": "prov", "gone": "nope"},
                              top=2, min_peers=3)  # fmt: skip
    a = sw[sw["unit_code"] == "a"]
    # a's percentiles: up 1, tie 1, down 0 -> strengths up then tie (indicator order), weak
    # points down (0) then up (1; "up" before "tie" in the indicator order)
    assert a[a["kind"] == "strength"][["position", "indicator"]].values.tolist() == [
        [1, "up"], [2, "tie"]]  # fmt: skip
    assert a[a["kind"] == "weakness"]["indicator"].tolist() == ["down", "up"]
    assert set(a["peer_type"]) == {"province"} and set(a["peer_group"]) == {"P"}
    assert a["peer_rank"].dtype == np.int64 and a["peer_n"].dtype == np.int64
    # d has only up and down ranked (its tie value is missing)
    dd = sw[(sw["unit_code"] == "d") & (sw["kind"] == "strength")]
    assert dd["indicator"].tolist() == ["down", "up"]
    assert "e" not in set(sw["unit_code"])  # a group of one
    # min_peers 4: "tie" (3 ranked) drops out, up/down (4) stay; 5: nothing is left
    sw4 = strengths_weaknesses(_panel(), d, groups={"province": "prov"}, top=5, min_peers=4)
    assert set(sw4["indicator"]) == {"up", "down"}
    sw5 = strengths_weaknesses(_panel(), d, groups={"province": "prov"}, min_peers=5)
    assert sw5.empty and list(sw5.columns) == [
        "unit_code", "year", "peer_type", "peer_group", "kind", "position", "indicator",
        "value", "peer_rank", "peer_n"]  # fmt: skip


def test_weak_points_by_target_order_and_top() -> None:
    gaps = pd.DataFrame({"unit_code": ["a"] * 4 + ["b"], "year": 2024,
                         "indicator": ["w", "x", "y", "z", "w"],
                         "attained": [False, True, False, False, False],
                         "shortfall_pct": [5.0, 0.0, 20.0, 5.0, 1.0]})  # fmt: skip
    out = weak_points_by_target(gaps, top=2)
    # a misses w (5), y (20), z (5): largest first, a tie keeps the table order (w before z)
    assert out[["unit_code", "indicator", "position"]].values.tolist() == [
        ["a", "y", 1], ["a", "w", 2], ["b", "w", 1]]  # fmt: skip
    assert weak_points_by_target(gaps, top=5)["indicator"].tolist() == ["y", "w", "z", "w"]


# -- trends ---------------------------------------------------------------------------------------


def test_trend_tolerance_boundary() -> None:
    """Base 100 in 2020, tolerance 5 %: +5 -> stable (not above), +5.5 -> improving,
    -5 -> stable, -5.5 -> worsening; for a lower-is-better indicator the signs flip."""
    v = pd.DataFrame({"unit_code": list("abcd") * 2, "year": [2020] * 4 + [2022] * 4,
                      "up": [100.0] * 4 + [105.0, 105.5, 95.0, 94.5],
                      "down": [100.0] * 4 + [105.0, 105.5, 95.0, 94.5]})  # fmt: skip
    t = indicator_trends(v, {"up": 1, "down": -1}, tolerance=5.0)
    t = t.set_index(["unit_code", "indicator"])["trend"]
    assert [t[(u, "up")] for u in "abcd"] == ["stable", "improving", "stable", "worsening"]
    assert [t[(u, "down")] for u in "abcd"] == ["stable", "worsening", "stable", "improving"]
    # tolerance 0: any change counts
    t0 = indicator_trends(v, {"up": 1}).set_index("unit_code")["trend"]
    assert t0.tolist() == ["improving", "improving", "worsening", "worsening"]


def test_trend_relative_to_a_base_of_one() -> None:
    # base 1 -> 1.04: relative change 0.04 / 1 * 100 = 4 % > tolerance 1 -> improving (the raw
    # change 0.04 would be below the tolerance)
    v = pd.DataFrame({"unit_code": ["a", "a"], "year": [2020, 2021], "x": [1.0, 1.04]})
    t = indicator_trends(v, {"x": 1}, tolerance=1.0)
    assert t["trend"].tolist() == ["improving"]


def test_trend_from_a_zero_base_and_cagr_of_non_positive_values() -> None:
    # base 0 -> relative change is the change itself (+2 > tol 1 -> improving); CAGR missing
    # (base not positive); a -> 0 -> change -4, cagr missing (value not positive)
    v = pd.DataFrame({"unit_code": ["z", "z", "a", "a"], "year": [2020, 2021, 2020, 2021],
                      "x": [0.0, 2.0, 4.0, 0.0]})  # fmt: skip
    t = indicator_trends(v, {"x": 1}, tolerance=1.0).set_index("unit_code")
    assert t.loc["z", "trend"] == "improving" and pd.isna(t.loc["z", "cagr"])
    assert t.loc["a", "change"] == -4.0 and pd.isna(t.loc["a", "cagr"])
    assert t.loc["a", "trend"] == "worsening"  # -4 / 4 * 100 = -100 % < -1


def test_trends_with_explicit_years_order_and_types() -> None:
    # years 2019..2022; year=2021, base_year=2020: value 2021, previous 2020, base 2020;
    # 2022 is ignored. CAGR over one year: (121 / 110 - 1) * 100 = 10
    v = pd.DataFrame({"unit_code": ["b"] * 4 + ["a"] * 4, "year": [2019, 2020, 2021, 2022] * 2,
                      "y": [1.0, 2.0, 3.0, 4.0] * 2,
                      "x": [100.0, 110.0, 121.0, 500.0] * 2})  # fmt: skip
    t = indicator_trends(v, {"y": 1, "x": 1}, year=2021, base_year=2020)
    # sorted by unit, then the indicator order given in ``directions`` (y before x)
    assert t[["unit_code", "indicator"]].values.tolist() == [
        ["a", "y"], ["a", "x"], ["b", "y"], ["b", "x"]]  # fmt: skip
    ax = t.iloc[1]
    assert (ax["year"], ax["value"], ax["prev_year"], ax["prev_value"]) == (
        2021,
        121.0,
        2020,
        110.0,
    )
    assert (ax["base_year"], ax["base_value"], ax["change"]) == (2020, 110.0, 11.0)
    assert ax["yoy_change"] == 11.0 and ax["cagr"] == pytest.approx(10.0)
    assert str(t["prev_year"].dtype) == "Int64" and str(t["base_year"].dtype) == "Int64"
    # defaults: year 2022 (last), base 2019 (first): x CAGR ((500 / 100) ** (1 / 3) - 1) * 100
    d = indicator_trends(v, {"x": 1}).set_index("unit_code")
    assert d.loc["a", "cagr"] == pytest.approx((5 ** (1 / 3) - 1) * 100)
    assert d.loc["a", "base_year"] == 2019 and d.loc["a", "prev_year"] == 2021


def test_trends_of_nothing_have_the_columns() -> None:
    cols = ["unit_code", "indicator", "year", "value", "prev_year", "prev_value", "yoy_change",
            "base_year", "base_value", "change", "cagr", "trend"]  # fmt: skip
    v = pd.DataFrame({"unit_code": ["a"], "year": [2020], "x": [1.0]})
    assert list(indicator_trends(v, {"nope": 1}).columns) == cols
    assert indicator_trends(v, {"nope": 1}).empty
    assert list(indicator_trends(v.iloc[:0], {"x": 1}).columns) == cols


def test_score_changes_span_missing_codes_and_common_units() -> None:
    s = pd.DataFrame({"unit_code": ["a", "b", "a", "c"], "year": [2020, 2020, 2022, 2022],
                      "idx": [50.0, 60.0, 72.0, 40.0], "neg": [-1.0, 1.0, 4.0, 1.0],
                      "rank_idx": [2, 1, 1, 2]})  # fmt: skip
    c = score_changes(s, ["idx", "neg", "absent"], year=2022, base_year=2020)
    # only a is in both years; idx 50 -> 72 over 2 years: ((72 / 50) ** 0.5 - 1) * 100 = 20
    assert c["unit_code"].tolist() == ["a"]
    row = c.iloc[0]
    assert (row["base_year"], row["year"], row["idx_base"], row["idx"]) == (2020, 2022, 50.0, 72.0)
    assert row["idx_change"] == 22.0 and row["idx_cagr"] == pytest.approx(20.0)
    assert row["rank_idx_change"] == 1  # 2 -> 1: moved up one place
    assert pd.isna(row["neg_cagr"]) and row["neg_change"] == 5.0  # base -1 is not positive
    assert "rank_neg_change" not in c.columns and "absent" not in c.columns
    # same year as base: no CAGR, change 0
    same = score_changes(s, ["idx"], year=2022, base_year=2022).set_index("unit_code")
    assert pd.isna(same.loc["a", "idx_cagr"]) and same.loc["a", "idx_change"] == 0.0


def test_numeric_peer_groups_are_reported_as_text() -> None:
    # province codes given as integers (42): the peer_group column holds the text "42"
    v = _panel().assign(prov=[42, 42, 42, 42, 11, 11])  # group 11 has 2 < 3 units: skipped
    sw = strengths_weaknesses(v, {"up": 1}, groups={"province": "prov"}, top=1, min_peers=3)
    assert sw["peer_group"].tolist() == ["42"] * 8  # a..d, one strength and one weak point each
