"""What each plot of ``composite/plots.py`` draws, read off its matplotlib artists (issue 18).

No pixels: the tests look at the Figure and Axes objects (sizes, titles, tick labels,
the data, positions, colours and sizes of the artists), so a wrong number, order, colour
or label fails them. Every expected value is derived by hand below.

Synthetic panel ``_coin3``: indicators a, b (parent P) and c, d (parent Q); P, Q -> Index;
all weights 1, directions +1; units U1..U3 in 2020 and 2021:

====  ====  ====  ====  ====  ====   ====  ====  ====  ====  ====
      2020                           2021
----  ------------------------       ------------------------
unit  a     b     c     d            a     b     c     d
====  ====  ====  ====  ====  ====   ====  ====  ====  ====  ====
U1    1     1     2     1            3     3     3     2
U2    2     2     1     3            2     2     1     3
U3    3     3     3     2            1     1     2     1
====  ====  ====  ====  ====  ====   ====  ====  ====  ====  ====

Min-max 0-100 per year (the default normalisation) and arithmetic means give
(2020) P = 0, 50, 100; Q = 25, 50, 75; Index = 12.5, 50, 87.5 for U1, U2, U3, and the
mirror image in 2021 (U1 and U3 swap).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib")

from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle, Wedge

from citycheckup.composite import Coin, run_pipeline
from citycheckup.composite.plots import (
    PALETTE,
    index_figures,
    plot_bar,
    plot_correlations,
    plot_distributions,
    plot_dot,
    plot_framework,
    plot_sensitivity,
    plot_uncertainty,
    sensitivity_figures,
    write_figures,
)
from citycheckup.errors import PipelineError

GREY = "#9aa5b1"


def _meta(codes: list[str], parents: list[str], names: bool = True) -> pd.DataFrame:
    aggs = list(dict.fromkeys(parents))
    meta = pd.DataFrame(
        {
            "Level": [1] * len(codes) + [2] * len(aggs) + [3],
            "iCode": [*codes, *aggs, "Index"],
            "Direction": [1] * (len(codes) + len(aggs) + 1),
            "Weight": [1.0] * (len(codes) + len(aggs) + 1),
            "Parent": [*parents, *["Index"] * len(aggs), None],
            "Type": ["Indicator"] * len(codes) + ["Aggregate"] * (len(aggs) + 1),
        }
    )
    if names:
        meta["iName"] = ["Air", "Bus", "Car", "Dog", "Pee", "Queue", "Composite city index"]
        meta["iName_zh"] = ["空气", "公交", "汽车", "狗", "甲", "乙", "城市综合指数"]
    return meta


def _coin3() -> Coin:
    raw = pd.DataFrame(
        {
            "uCode": ["U1", "U2", "U3"] * 2,
            "Time": [2020] * 3 + [2021] * 3,
            "a": [1.0, 2, 3, 3, 2, 1],
            "b": [1.0, 2, 3, 3, 2, 1],
            "c": [2.0, 1, 3, 3, 1, 2],
            "d": [1.0, 3, 2, 2, 3, 1],
        }
    )
    return Coin(data=raw, meta=_meta(["a", "b", "c", "d"], ["P", "P", "Q", "Q"]))


@pytest.fixture(scope="module")
def res3():
    return run_pipeline(_coin3(), [{"normalise": {}}, {"aggregate": {}}])


def _hex(c) -> str:
    return to_hex(c, keep_alpha=False)


def _ticks(labels) -> list[str]:
    return [t.get_text() for t in labels]


# ------------------------------------------------------------------------------ dot
def test_dot_plot_of_one_year(res3) -> None:
    """Level 2 codes in framework order P, Q are drawn bottom-up reversed: Q at y = 0,
    P at y = 1. 2020: Q = 25 (U1), 50 (U2), 75 (U3); P = 0, 50, 100."""
    coin = res3.state.coin
    fig = plot_dot(coin, res3.datasets["Aggregated"], "U2", level=2, time=2020)
    assert tuple(fig.get_size_inches()) == pytest.approx((8.0, 2.6))  # max(2.6, 0.84 + 1.2)
    ax = fig.axes[0]
    cols = ax.collections
    assert len(cols) == 4  # (others, the unit) for Q, then for P
    np.testing.assert_array_equal(cols[0].get_offsets(), [[25.0, 0.0], [75.0, 0.0]])
    np.testing.assert_array_equal(cols[1].get_offsets(), [[50.0, 0.0]])
    np.testing.assert_array_equal(cols[2].get_offsets(), [[0.0, 1.0], [100.0, 1.0]])
    np.testing.assert_array_equal(cols[3].get_offsets(), [[50.0, 1.0]])
    for others, unit in ((cols[0], cols[1]), (cols[2], cols[3])):
        assert others.get_sizes().tolist() == [14]
        assert unit.get_sizes().tolist() == [46]
        assert _hex(others.get_facecolor()[0]) == GREY
        assert others.get_alpha() == 0.6
        assert _hex(unit.get_facecolor()[0]) == PALETTE[3]
        assert unit.get_zorder() == 3
    assert [c.get_label() for c in cols] == ["all units", "U2", "_child2", "_child3"]
    assert _ticks(ax.get_yticklabels()) == ["Queue", "Pee"]
    assert {t.get_fontsize() for t in ax.get_yticklabels()} == {8}
    assert ax.get_xlabel() == "score"
    assert ax.get_title() == "U2 among all units"
    leg = ax.get_legend()
    assert _ticks(leg.get_texts()) == ["all units", "U2"]
    assert leg._loc == 4  # "lower right"
    assert leg.get_texts()[0].get_fontsize() == 7.5
    assert leg.get_frame_on() is False


def test_dot_plot_height_grows_with_the_codes(res3) -> None:
    """Level 1 has 4 codes: height max(2.6, 0.42 * 4 + 1.2) = 2.88; default year 2021."""
    coin = res3.state.coin
    fig = plot_dot(coin, res3.datasets["Aggregated"], "U1", level=1, lang="zh")
    assert tuple(fig.get_size_inches()) == pytest.approx((8.0, 2.88))
    ax = fig.axes[0]
    assert _ticks(ax.get_yticklabels()) == ["狗", "汽车", "公交", "空气"]  # d, c, b, a
    # 2021, U1: a = b = c = 100 (max), d = 50; drawn d, c, b, a at y = 0..3
    unit = np.vstack([c.get_offsets() for c in ax.collections[1::2]])
    np.testing.assert_array_equal(unit, [[50.0, 0], [100.0, 1], [100.0, 2], [100.0, 3]])
    assert ax.get_title() == "U1在全部单位中的位置"
    assert ax.get_xlabel() == "得分"
    assert _ticks(ax.get_legend().get_texts()) == ["全部单位", "U1"]


def test_dot_plot_of_a_unit_missing_that_year(res3) -> None:
    agg = res3.datasets["Aggregated"]
    agg = agg[~((agg["uCode"] == "U3") & (agg["Time"] == 2020))]
    with pytest.raises(PipelineError, match="unit 'U3' is not in the data set"):
        plot_dot(res3.state.coin, agg, "U3", time=2020)
    plot_dot(res3.state.coin, agg, "U3")  # 2021 has it


# ------------------------------------------------------------------------------ bar
def test_bar_segments_are_the_childrens_shares(res3) -> None:
    """2020, sorted ascending: U1 (12.5), U2 (50), U3 (87.5) at y = 0, 1, 2.
    Shares w_k x_k / sum: U1 P 0, Q 25 -> 0, 12.5; U2 50, 50 -> 25, 25;
    U3 100, 75 -> 87.5 * 4/7 = 50, 87.5 * 3/7 = 37.5."""
    coin = res3.state.coin
    fig = plot_bar(coin, res3.datasets["Aggregated"], time=2020)
    assert tuple(fig.get_size_inches()) == pytest.approx((8.0, 3.0))  # max(3, 0.54 + 1.2)
    ax = fig.axes[0]
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(bars) == 6
    assert [b.get_width() for b in bars] == pytest.approx([0, 25, 50, 12.5, 25, 37.5])
    assert [b.get_x() for b in bars] == pytest.approx([0, 0, 0, 0, 25, 50])
    assert [b.get_y() + b.get_height() / 2 for b in bars] == pytest.approx([0, 1, 2] * 2)
    assert {round(b.get_height(), 12) for b in bars} == {0.75}
    assert [_hex(b.get_facecolor()) for b in bars] == [PALETTE[0]] * 3 + [PALETTE[1]] * 3
    assert _ticks(ax.get_yticklabels()) == ["U1", "U2", "U3"]
    assert {t.get_fontsize() for t in ax.get_yticklabels()} == {8}
    assert ax.get_ylim() == pytest.approx((-0.6, 2.6))
    assert ax.get_xlabel() == "score"
    assert ax.get_title() == "Scores of Composite city index, by component"
    leg = ax.get_legend()
    assert _ticks(leg.get_texts()) == ["Pee", "Queue"]
    assert leg._loc == 4 and leg.get_frame_on() is False
    assert leg.get_texts()[0].get_fontsize() == 7.5


def test_bar_with_other_weights_and_of_an_indicator(res3) -> None:
    """weights P = 3: U3 (2020) parts 300, 75 -> 87.5 * 0.8 = 70 and 17.5.
    An indicator has no children: one bar of its value each (a, 2021: 0, 50, 100 for
    U3, U2, U1 ascending), coloured PALETTE[0]; the title uses the Chinese names."""
    coin = res3.state.coin
    agg = res3.datasets["Aggregated"]
    bars = list(plot_bar(coin, agg, time=2020, weights={"P": 3}).axes[0].patches)
    assert bars[2].get_width() == pytest.approx(70.0)
    assert bars[5].get_width() == pytest.approx(17.5)
    fig = plot_bar(coin, agg, code="a", lang="zh")
    ax = fig.axes[0]
    assert [b.get_width() for b in ax.patches] == pytest.approx([0.0, 50.0, 100.0])
    assert {_hex(b.get_facecolor()) for b in ax.patches} == {PALETTE[0]}
    assert _ticks(ax.get_yticklabels()) == ["U3", "U2", "U1"]
    assert ax.get_title() == "空气得分及其构成"
    assert ax.get_legend() is None


def test_bar_of_many_units_has_small_labels() -> None:
    """41 units (cross-section): tick labels 6.5 pt (more than 40), height 0.18 * 41 + 1.2;
    with 40 units 8 pt and 0.18 * 40 + 1.2 = 8.4."""
    for n, fs in ((41, 6.5), (40, 8)):
        data = pd.DataFrame({"uCode": [f"U{i:02d}" for i in range(n)], "a": np.arange(n) * 1.0})
        data["b"], data["c"], data["d"] = data["a"], data["a"], data["a"]
        coin = Coin(data=data, meta=_meta(["a", "b", "c", "d"], ["P", "P", "Q", "Q"]))
        res = run_pipeline(coin, [{"normalise": {}}, {"aggregate": {}}])
        fig = plot_bar(coin, res.datasets["Aggregated"])
        assert fig.get_size_inches()[1] == pytest.approx(0.18 * n + 1.2)
        assert {t.get_fontsize() for t in fig.axes[0].get_yticklabels()} == {fs}


# ------------------------------------------------------------------------------ correlations
def test_correlation_heat_map(res3) -> None:
    """Normalised a..d over the six rows; reference: numpy's corrcoef (independent of
    pandas). Four codes: size max(4, 0.17 * 4 + 2.5) = 4 -> figure 5 x 4; a line between
    P's and Q's children at 1.5; each cell printed to 2 decimals, white when |r| > 0.6."""
    coin = res3.state.coin
    norm = res3.datasets["Normalised"]
    fig = plot_correlations(coin, norm)
    assert tuple(fig.get_size_inches()) == pytest.approx((5.0, 4.0))
    ax = fig.axes[0]
    R = np.corrcoef(norm[["a", "b", "c", "d"]].to_numpy(float).T)
    img = ax.images[0]
    np.testing.assert_allclose(img.get_array(), R, atol=1e-12)
    assert img.get_clim() == (-1, 1)
    assert img.get_cmap().name == "RdBu_r"
    assert _ticks(ax.get_xticklabels()) == ["a", "b", "c", "d"]
    assert _ticks(ax.get_yticklabels()) == ["a", "b", "c", "d"]
    assert {t.get_fontsize() for t in ax.get_xticklabels() + ax.get_yticklabels()} == {7}
    assert {t.get_rotation() for t in ax.get_xticklabels()} == {90}
    lines = ax.get_lines()
    assert len(lines) == 2
    assert list(lines[0].get_ydata()) == [1.5, 1.5]  # axhline
    assert list(lines[1].get_xdata()) == [1.5, 1.5]  # axvline
    assert {ln.get_linewidth() for ln in lines} == {0.8}
    assert {_hex(ln.get_color()) for ln in lines} == {"#000000"}
    texts = ax.texts
    assert len(texts) == 16
    for t in texts:
        j, i = t.get_position()
        r = R[int(i), int(j)]
        assert t.get_text() == f"{r:.2f}"
        assert _hex(t.get_color()) == ("#ffffff" if abs(r) > 0.6 else "#000000")
        assert t.get_fontsize() == 6.5
        assert t.get_ha() == "center" and t.get_va() == "center"
    assert {_hex(t.get_color()) for t in texts} == {"#ffffff", "#000000"}
    assert fig.axes[1].get_ylabel() == "correlation"  # the colour bar
    assert fig.get_suptitle() == "Correlations between indicators"
    zh = plot_correlations(coin, norm, lang="zh")
    assert zh.get_suptitle() == "指标之间的相关系数"
    assert zh.axes[1].get_ylabel() == "相关系数"


def test_correlations_of_the_top_children_and_of_missing_codes(res3) -> None:
    """Level 2 (P, Q share the parent Index): no separating line; a Normalised data set
    lacks P and Q, which the error names."""
    coin = res3.state.coin
    fig = plot_correlations(coin, res3.datasets["Aggregated"], level=2, method="spearman")
    assert fig.axes[0].get_lines() == []
    assert _ticks(fig.axes[0].get_xticklabels()) == ["P", "Q"]
    with pytest.raises(PipelineError, match="P, Q are not in the data set"):
        plot_correlations(coin, res3.datasets["Normalised"], level=2)


@pytest.mark.parametrize(("n", "texts", "fs", "size"), [(15, 225, 7, 5.05), (31, 0, 5.5, 7.77)])
def test_big_correlation_maps(n: int, texts: int, fs: float, size: float) -> None:
    """n codes: cells printed only up to 15; tick labels 7 pt up to 30, else 5.5;
    size max(4, 0.17 n + 2.5): 15 -> 5.05, 31 -> 7.77."""
    rng = np.random.default_rng(3)
    codes = [f"i{k}" for k in range(n)]
    meta = pd.DataFrame(
        {
            "Level": [1] * n + [2],
            "iCode": [*codes, "Index"],
            "Direction": [1] * (n + 1),
            "Weight": [1.0] * (n + 1),
            "Parent": ["Index"] * n + [None],
            "Type": ["Indicator"] * n + ["Aggregate"],
        }
    )
    data = pd.DataFrame(rng.normal(size=(8, n)), columns=codes)
    data.insert(0, "uCode", [f"U{i}" for i in range(8)])
    fig = plot_correlations(Coin(data=data, meta=meta), data)
    assert len(fig.axes[0].texts) == texts
    assert {t.get_fontsize() for t in fig.axes[0].get_yticklabels()} == {fs}
    assert tuple(fig.get_size_inches()) == pytest.approx((size + 1.0, size))


def test_correlation_map_size_is_capped() -> None:
    """60 codes: 0.17 * 60 + 2.5 = 12.7 is capped at 12."""
    n = 60
    codes = [f"i{k}" for k in range(n)]
    meta = pd.DataFrame(
        {
            "Level": [1] * n + [2],
            "iCode": [*codes, "Index"],
            "Direction": [1] * (n + 1),
            "Weight": [1.0] * (n + 1),
            "Parent": ["Index"] * n + [None],
            "Type": ["Indicator"] * n + ["Aggregate"],
        }
    )
    data = pd.DataFrame(np.random.default_rng(4).normal(size=(5, n)), columns=codes)
    data.insert(0, "uCode", [f"U{i}" for i in range(5)])
    fig = plot_correlations(Coin(data=data, meta=meta), data)
    assert tuple(fig.get_size_inches()) == pytest.approx((13.0, 12.0))


# ------------------------------------------------------------------------------ batches
def test_index_figures_of_an_earlier_year(res3) -> None:
    """time = 2020: the best unit that year is U3 (87.5); its dot plot and the bars are
    2020's (U3: Q 75 at y = 0, P 100 at y = 1; in 2021 they would be 25 and 0)."""
    figs = index_figures(res3, time=2020)
    assert list(figs) == ["framework", "correlations", "bar", "dot"]
    dot = figs["dot"].axes[0]
    assert dot.get_title() == "U3 among all units"
    np.testing.assert_array_equal(dot.collections[1].get_offsets(), [[75.0, 0.0]])
    np.testing.assert_array_equal(dot.collections[3].get_offsets(), [[100.0, 1.0]])
    assert _ticks(dot.get_yticklabels()) == ["Queue", "Pee"]  # level 2 (max_level 3 > 2)
    assert _ticks(figs["bar"].axes[0].get_yticklabels()) == ["U1", "U2", "U3"]
    latest = index_figures(res3, unit="U2", lang="zh")
    assert latest["dot"].axes[0].get_title() == "U2在全部单位中的位置"
    assert _ticks(latest["bar"].axes[0].get_yticklabels()) == ["U3", "U2", "U1"]
    assert latest["framework"].get_suptitle() == "指标框架：各组成部分的有效权重"


# ------------------------------------------------------------------------------ framework
def test_framework_sunburst(res3) -> None:
    """Effective weights: P, Q 1/2 (180 degrees), a..d 1/4 (90). Rings: level 2 from r 1 to
    2, level 1 from 2 to 3; angles clockwise from 90: P 90 -> -90, Q -90 -> -270, a 90 -> 0,
    b 0 -> -90, c -90 -> -180, d -180 -> -270. Colour by top branch (P PALETTE[0], Q [1]);
    alpha 0.35 + 0.65 (level - 1) / 2: 0.35 for indicators, 0.675 for P and Q."""
    fig = plot_framework(res3.state.coin)
    assert tuple(fig.get_size_inches()) == pytest.approx((8.5, 8.5))
    ax = fig.axes[0]
    wedges = [p for p in ax.patches if isinstance(p, Wedge)]
    got = [v for w in wedges for v in (w.r, w.theta1, w.theta2, w.width)]
    assert got == pytest.approx(
        [2, -90, 90, 1, 3, 0, 90, 1, 3, -90, 0, 1]
        + [2, -270, -90, 1, 3, -180, -90, 1, 3, -270, -180, 1]
    )
    assert [_hex(w.get_facecolor()) for w in wedges] == [PALETTE[0]] * 3 + [PALETTE[1]] * 3
    assert [w.get_alpha() for w in wedges] == pytest.approx([0.675, 0.35, 0.35] * 2)
    assert {_hex(w.get_edgecolor()) for w in wedges} == {"#ffffff"}
    assert {w.get_linewidth() for w in wedges} == {0.8}
    texts = {t.get_text(): t for t in ax.texts}
    assert list(texts) == ["Pee", "a", "b", "Queue", "c", "d", "Composite\ncity index"]
    r = 3.05 / math.sqrt(2)  # indicator labels just outside the ring, at the middle angle
    expected = {  # text: (x, y, rotation, ha, fontsize)
        "a": (r, r, 45, "left", 6.5),
        "b": (r, -r, 315, "left", 6.5),
        "c": (-r, -r, 45, "right", 6.5),  # mid -135: flipped by 180 to read left to right
        "d": (-r, r, 315, "right", 6.5),
        "Pee": (1.5, 0, 270, "center", 8.5),  # mid 0, radius (1 + 2) / 2
        "Queue": (-1.5, 0, 90, "center", 8.5),
        "Composite\ncity index": (0, 0, 0, "center", 11),
    }
    for label, (x, y, rot, ha, fs) in expected.items():
        t = texts[label]
        assert t.get_position() == pytest.approx((x, y), abs=1e-12)
        assert t.get_rotation() == pytest.approx(rot)
        assert t.get_ha() == ha and t.get_va() == "center"
        assert t.get_fontsize() == fs
    assert {texts[c].get_rotation_mode() for c in "abcd"} == {"anchor"}
    assert ax.get_xlim() == pytest.approx((-4.6, 4.6))  # 2 levels * 1 + 1.6
    assert ax.get_ylim() == pytest.approx((-4.6, 4.6))
    assert ax.get_aspect() == 1.0 and not ax.axison
    assert fig.get_suptitle() == "Framework: effective weights of every component"


def test_framework_labels_of_small_segments(res3) -> None:
    """weights P 1, Q 3: P spans 90 degrees (mid 45, rotation 45 - 90 = -45 = 315), Q 270
    (mid -135, rotation -225 is turned by 180 to -45 = 315); both >= 30: 8.5 pt.
    Q = 0.05: 360 * 0.05 / 1.05 = 17.1 degrees < 30 -> 7 pt; Q = 0.01: 3.56 < 4 -> no label."""
    coin = res3.state.coin
    texts = {t.get_text(): t for t in plot_framework(coin, weights={"Q": 3}).axes[0].texts}
    assert texts["Pee"].get_rotation() == pytest.approx(315)
    assert texts["Queue"].get_rotation() == pytest.approx(315)
    assert texts["Queue"].get_position() == pytest.approx(
        (1.5 * math.cos(math.radians(-135)), 1.5 * math.sin(math.radians(-135)))
    )
    small = {t.get_text(): t for t in plot_framework(coin, weights={"Q": 0.05}).axes[0].texts}
    assert small["Queue"].get_fontsize() == 7
    assert small["Pee"].get_fontsize() == 8.5
    tiny = [t.get_text() for t in plot_framework(coin, weights={"Q": 0.01}).axes[0].texts]
    assert "Queue" not in tiny and "Pee" in tiny and "c" in tiny


def test_framework_of_many_indicators_and_a_short_centre_name() -> None:
    """61 indicators under one index: labels 5 pt (more than 60); the centre name "Index"
    (no names in the table) stays on one line; with two levels the indicators' ring runs
    from 1 to 2, alpha 0.35 + 0.65 * 0 / max(1, 1) = 0.35, and lim = 2 * 1 + 1.6."""
    n = 61
    codes = [f"i{k}" for k in range(n)]
    meta = pd.DataFrame(
        {
            "Level": [1] * n + [2],
            "iCode": [*codes, "Index"],
            "Direction": [1] * (n + 1),
            "Weight": [1.0] * (n + 1),
            "Parent": ["Index"] * n + [None],
            "Type": ["Indicator"] * n + ["Aggregate"],
        }
    )
    data = pd.DataFrame(np.ones((2, n)), columns=codes)
    data.insert(0, "uCode", ["A", "B"])
    fig = plot_framework(Coin(data=data, meta=meta))
    ax = fig.axes[0]
    assert {t.get_fontsize() for t in ax.texts if t.get_text() != "Index"} == {5}
    assert [t.get_text() for t in ax.texts][-1] == "Index"
    assert {round(p.get_alpha(), 12) for p in ax.patches} == {0.35}
    assert {p.r for p in ax.patches} == {2.0}
    assert ax.get_xlim() == pytest.approx((-3.6, 3.6))
    assert _hex(ax.patches[5].get_facecolor()) == PALETTE[5]  # colours cycle over 8
    assert _hex(ax.patches[8].get_facecolor()) == PALETTE[0]
    small = meta.iloc[[0, 1, n]].reset_index(drop=True)
    for name, shown in (
        ("Cityindexoftheyear", "Cityindexoftheyear"),  # 18 characters, no space: one line
        ("An index of 15c", "An index\nof 15c"),  # 15 > 14: cut at the last space before 11
        ("An index of 14", "An index of 14"),  # 14 characters: one line
    ):
        coin = Coin(data=data[["uCode", "i0", "i1"]], meta=small.assign(iName=["x", "y", name]))
        assert plot_framework(coin).axes[0].texts[-1].get_text() == shown
    names = meta.assign(iName=[*codes, "Short name"])
    assert plot_framework(Coin(data=data, meta=names)).axes[0].texts[-1].get_text() == "Short name"


# ------------------------------------------------------------------------------ distributions
def _treated():
    """COINr's documented example a = 1..10, 30, 100 (help of ``winsorise``): one point,
    100 -> 30 (unit U11); b = 0..11 is not treated."""
    meta = pd.DataFrame(
        {
            "Level": [1, 1, 2],
            "iCode": ["a", "b", "Index"],
            "iName": ["Air quality", "Bus stops per ten thousand people", "City"],
            "Direction": [1, 1, 1],
            "Weight": [1, 1, 1],
            "Parent": ["Index", "Index", None],
            "Type": ["Indicator", "Indicator", "Aggregate"],
        }
    )
    data = pd.DataFrame(
        {
            "uCode": [f"U{i:02d}" for i in range(12)],
            "a": np.array([*range(1, 11), 30, 100], float),
            "b": np.arange(12.0),
        }
    )
    pipe = [{"treat": {"method": "winsorise"}}, {"normalise": {}}, {"aggregate": {}}]
    return run_pipeline(Coin(data=data, meta=meta), pipe)


def test_distributions_before_and_after_winsorising() -> None:
    """Row a on its own range: before 1 - 100, z = (v - 1) / 99; after 1 - 30,
    z = (v - 1) / 29. Points jitter by ((k mod 7) - 3) * 0.035; U11 (k = 11 -> +0.035) is
    the treated point (red, size 12), the others blue (size 5, alpha 0.55)."""
    res = _treated()
    figs = index_figures(res)
    assert list(figs) == ["framework", "distributions", "correlations", "bar", "dot"]
    fig = figs["distributions"]
    assert tuple(fig.get_size_inches()) == pytest.approx((9.0, 1.42))  # 1 + 0.42 * 1
    assert fig.get_suptitle() == "Distributions before and after outlier treatment"
    assert fig._supxlabel.get_text() == "each row on its own range (printed at the right)"
    assert fig._supxlabel.get_fontsize() == 7.5
    before, after = fig.axes
    v = np.array([*range(1, 11), 30.0])
    jit = (np.arange(11) % 7 - 3) * 0.035
    for ax, key, hi in ((before, "before", 100.0), (after, "after", 30.0)):
        assert ax.get_title() == key and ax.title.get_fontsize() == 9
        assert ax.get_xlim() == pytest.approx((-0.05, 1.05))
        assert list(ax.get_xticks()) == []
        [txt] = ax.texts
        assert txt.get_text() == f"1 – {hi:.3g}"
        assert txt.get_position() == pytest.approx((1.02, 0))
        assert txt.get_fontsize() == 6 and txt.get_va() == "center"
        pts, red = ax.collections
        np.testing.assert_allclose(pts.get_offsets(), np.column_stack([(v - 1) / (hi - 1), jit]))
        np.testing.assert_allclose(red.get_offsets(), [[1.0, 0.035]])
        assert pts.get_sizes().tolist() == [5] and red.get_sizes().tolist() == [12]
        assert _hex(pts.get_facecolor()[0]) == PALETTE[0] and pts.get_alpha() == 0.55
        assert _hex(red.get_facecolor()[0]) == PALETTE[3]
        medians = [ln for ln in ax.lines if _hex(ln.get_color()) == PALETTE[1]]
        assert len(medians) == 1  # the median of the 12 z values, in orange
    assert _ticks(before.get_yticklabels()) == ["Air quality"]
    assert before.get_yticklabels()[0].get_fontsize() == 7.5
    [leg] = fig.legends
    assert _ticks(leg.get_texts()) == ["treated points"]
    assert leg.get_texts()[0].get_fontsize() == 7.5 and leg.get_frame_on() is False


def test_distributions_without_treatment_show_the_most_skewed() -> None:
    """No treated indicator: the title says so and the indicators are ordered by |skew|
    (a is skewed, b = 0..11 has skew 0); max_indicators = 1 keeps a only. A long name
    (26 characters or more) is replaced by the code."""
    res = _treated()
    before = res.datasets["Raw"]
    fig = plot_distributions(before, before, pd.DataFrame(), lang="zh", max_indicators=2)
    assert fig.get_suptitle() == "指标分布（无指标需要异常值处理）"
    assert _ticks(fig.axes[0].get_yticklabels()) == ["a", "b"]  # at y = 1 (top) and 0
    assert [t.get_position()[1] for t in fig.axes[0].get_yticklabels()] == [1, 0]
    assert fig.legends == []
    coin = res.state.coin
    one = plot_distributions(before, before, pd.DataFrame(), coin=coin, max_indicators=1)
    assert _ticks(one.axes[0].get_yticklabels()) == ["Air quality"]
    tab = pd.DataFrame({"iCode": ["b", "a"], "Treatment": ["winsorise", "log"]})
    both = plot_distributions(before, before, tab, coin=coin, max_indicators=1)
    assert both.get_suptitle() == (
        "Distributions before and after outlier treatment (1 of 2 treated indicators)"
    )
    assert _ticks(both.axes[0].get_yticklabels()) == ["b"]  # the long name is cut to the code
    zh = plot_distributions(before, before, tab, lang="zh", max_indicators=1)
    assert zh.get_suptitle() == "异常值处理前后的分布 （共2个被处理指标，显示1个）"


# ------------------------------------------------------------------------------ uncertainty
def test_sensitivity_bars_with_intervals() -> None:
    """Two factors; bars are S_i and S_Ti, error bars from q5 to q95 (clipped at 0 below
    the value: an interval that does not contain the estimate gets a zero arm)."""
    ind = pd.DataFrame(
        {
            "factor": ["weights", "method"],
            "Si": [0.5, 0.2],
            "Si_q5": [0.4, 0.25],
            "Si_q95": [0.7, 0.3],
            "STi": [0.6, 0.3],
            "STi_q5": [0.5, 0.1],
            "STi_q95": [0.65, 0.5],
        }
    )
    fig = plot_sensitivity(ind)
    assert tuple(fig.get_size_inches()) == pytest.approx((7.5, 3.8))
    assert fig.get_suptitle() == "Sensitivity of the ranks to each uncertain choice"
    assert fig._supxlabel.get_text() == "bars: 5th–95th percentile (bootstrap)"
    assert fig._supxlabel.get_fontsize() == 7.5
    expected = (("first-order index S_i", [0.5, 0.2], PALETTE[0]),
                ("total-effect index S_Ti", [0.6, 0.3], PALETTE[1]))  # fmt: skip
    arms = ([[0.4, 0.7], [0.2, 0.3]], [[0.5, 0.65], [0.1, 0.5]])  # [lo, hi] per factor
    for ax, (title, heights, colour), arm in zip(fig.axes, expected, arms, strict=True):
        assert ax.get_title() == title and ax.title.get_fontsize() == 9
        bars = [p for p in ax.patches if isinstance(p, Rectangle)]
        assert [b.get_height() for b in bars] == pytest.approx(heights)
        assert [b.get_width() for b in bars] == pytest.approx([0.6, 0.6])
        assert {_hex(b.get_facecolor()) for b in bars} == {colour}
        segs = ax.collections[0].get_segments()
        assert [y for s in segs for y in s[:, 1]] == pytest.approx([y for a in arm for y in a])
        assert _hex(ax.collections[0].get_color()[0]) == "#000000"
        assert _ticks(ax.get_xticklabels()) == ["weights", "method"]
        assert {t.get_rotation() for t in ax.get_xticklabels()} == {30}
        assert {t.get_ha() for t in ax.get_xticklabels()} == {"right"}
        assert {t.get_fontsize() for t in ax.get_xticklabels()} == {8}
        zero = ax.lines[-1]
        assert list(zero.get_ydata()) == [0, 0] and zero.get_linewidth() == 0.6
    with pytest.raises(PipelineError, match="no sensitivity indices"):
        plot_sensitivity(ind.iloc[:0])


def test_rank_intervals() -> None:
    """Units sorted by nominal rank (B 1, A 2, C 3) from the top: B at y = 2, A 1, C 0."""
    rs = pd.DataFrame(
        {
            "uCode": ["A", "B", "C"],
            "nominal": [2, 1, 3],
            "median": [2.0, 1.5, 3.0],
            "q5": [1.0, 1.0, 2.0],
            "q95": [3.0, 2.0, 3.0],
        }
    )
    fig = plot_uncertainty(rs, lang="zh")
    assert tuple(fig.get_size_inches()) == pytest.approx((7.0, 3.0))  # max(3, 0.51 + 1.2)
    ax = fig.axes[0]
    hl, med, nom = ax.collections
    segs = [s.tolist() for s in hl.get_segments()]
    assert segs == [[[1.0, 2], [2.0, 2]], [[1.0, 1], [3.0, 1]], [[2.0, 0], [3.0, 0]]]
    assert hl.get_linewidth()[0] == 2.2 and hl.get_alpha() == 0.55
    np.testing.assert_array_equal(med.get_offsets(), [[1.5, 2], [2.0, 1], [3.0, 0]])
    np.testing.assert_array_equal(nom.get_offsets(), [[1, 2], [2, 1], [3, 0]])
    assert med.get_sizes().tolist() == [16] and nom.get_sizes().tolist() == [22]
    assert _hex(med.get_facecolor()[0]) == PALETTE[0]
    assert _hex(nom.get_facecolor()[0]) == PALETTE[3]
    assert (med.get_zorder(), nom.get_zorder()) == (3, 4)
    assert _ticks(ax.get_yticklabels()) == ["B", "A", "C"]
    assert [t.get_position()[1] for t in ax.get_yticklabels()] == [2, 1, 0]
    assert {t.get_fontsize() for t in ax.get_yticklabels()} == {8}
    assert ax.xaxis_inverted()
    assert ax.get_xlabel() == "排名（1 = 最好）"
    assert ax.get_title() == "不确定性下的排名区间"
    leg = ax.get_legend()
    assert _ticks(leg.get_texts()) == ["第5–95百分位", "排名中位数", "名义排名"]
    assert leg._loc == 2 and leg.get_frame_on() is False  # "upper left"
    many = pd.DataFrame({"uCode": [f"U{i}" for i in range(41)], "nominal": range(1, 42)})
    many["median"] = many["q5"] = many["q95"] = many["nominal"] * 1.0
    big = plot_uncertainty(many)
    assert big.get_size_inches()[1] == pytest.approx(0.17 * 41 + 1.2)
    assert {t.get_fontsize() for t in big.axes[0].get_yticklabels()} == {6.5}


def test_sensitivity_figures_pick_what_was_estimated() -> None:
    class Result:
        rank_stats = pd.DataFrame(
            {"uCode": ["A"], "nominal": [1], "median": [1.0], "q5": [1.0], "q95": [1.0]}
        )
        indices = pd.DataFrame()

    assert list(sensitivity_figures(Result())) == ["uncertainty"]
    Result.indices = pd.DataFrame(
        {
            "factor": ["f"],
            **{c: [0.1] for c in ("Si", "Si_q5", "Si_q95", "STi", "STi_q5", "STi_q95")},
        }
    )
    figs = sensitivity_figures(Result(), lang="zh")
    assert list(figs) == ["uncertainty", "sensitivity"]
    assert figs["sensitivity"].get_suptitle() == "排名对各不确定选择的敏感性"


# ------------------------------------------------------------------------------ files
def _small_figure() -> Figure:
    fig = Figure(figsize=(2.0, 1.0))
    fig.add_subplot().set_title("城市 index")
    return fig


def test_written_files_are_reproducible(tmp_path: Path) -> None:
    """PNG at 150 dpi: a 2 x 1 inch figure is 300 x 150 pixels (width and height are
    big-endian at bytes 16-24 of the PNG header). SVG: text drawn as paths, no date, a
    fixed hash salt: the same figure made and written twice gives the same bytes."""
    files = write_figures({"f": _small_figure()}, tmp_path / "new" / "dir")
    assert files == [tmp_path / "new/dir/f.png", tmp_path / "new/dir/f.svg"]
    png = files[0].read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert (int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")) == (300, 150)
    svg = files[1].read_text(encoding="utf-8")
    assert "<text" not in svg and "<dc:date>" not in svg and "<path" in svg
    again = write_figures({"f": _small_figure()}, tmp_path / "again", formats=("svg",))
    assert again == [tmp_path / "again/f.svg"]
    assert again[0].read_bytes() == files[1].read_bytes()


def test_names_fall_back_to_english_then_to_the_code(res3) -> None:
    """Chinese plots use iName_zh; without that column iName; an empty name shows the code."""
    meta = _meta(["a", "b", "c", "d"], ["P", "P", "Q", "Q"]).drop(columns="iName_zh")
    meta.loc[meta["iCode"] == "Q", "iName"] = np.nan
    coin = Coin(data=res3.state.coin.data, meta=meta)
    fig = plot_dot(coin, res3.datasets["Aggregated"], "U1", lang="zh")
    assert _ticks(fig.axes[0].get_yticklabels()) == ["Q", "Pee"]
    assert fig.axes[0].get_title() == "U1在全部单位中的位置"
