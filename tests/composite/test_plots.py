"""Plots of the composite engine: every kind in Chinese and English, on COINr's ASEM example.

The figures were also looked at as PNG while writing them (see docs/composite.md).
Here: what each plot draws is checked against the numbers it shows, every label
of the Chinese figures has a glyph in the bundled font, and files are written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib")

from matplotlib.patches import Rectangle, Wedge

from citycheckup.composite import Coin, Pipeline, run_pipeline
from citycheckup.composite.plots import (
    index_figures,
    plot_bar,
    plot_dot,
    plot_framework,
    sensitivity_figures,
    write_figures,
)
from citycheckup.composite.sensitivity import SensitivitySpec, run_sensitivity
from citycheckup.composite.weights import effective_weights
from citycheckup.errors import PipelineError


@pytest.fixture(scope="module")
def built(shared_data: Path):
    d = shared_data / "coinr_asem"
    coin = Coin(data=pd.read_csv(d / "ASEM_iData.csv"), meta=pd.read_csv(d / "ASEM_iMeta.csv"))
    pipe = Pipeline.default(group="EurAsia_group", min_availability=0.9)
    res = run_pipeline(coin, pipe)
    sa = run_sensitivity(coin, pipe, SensitivitySpec.default(pipe, n=16, seed=2))
    return coin, res, sa


def _texts(fig) -> list[str]:
    out = [t.get_text() for t in fig.texts]
    if fig._suptitle is not None:
        out.append(fig._suptitle.get_text())
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        out += [t.get_text() for t in ax.texts]
        out += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
        leg = ax.get_legend()
        if leg is not None:
            out += [t.get_text() for t in leg.get_texts()]
    for leg in fig.legends:
        out += [t.get_text() for t in leg.get_texts()]
    return [t for t in out if t]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_kind_in_both_languages(built, lang: str, tmp_path: Path) -> None:
    coin, res, sa = built
    figs = {**index_figures(res, lang=lang, unit="IND"), **sensitivity_figures(sa, lang=lang)}
    assert set(figs) == {
        "framework",
        "distributions",
        "correlations",
        "bar",
        "dot",
        "sensitivity",
        "uncertainty",
    }
    titles = " ".join(t for f in figs.values() for t in _texts(f))
    if lang == "zh":
        assert "异常值处理前后的分布" in titles and "排名对各不确定选择的敏感性" in titles
        from citycheckup import _fonts

        assert _fonts.missing_glyphs(titles) == []
    else:
        assert "Rank intervals under uncertainty" in titles and "处理" not in titles
    files = write_figures({"uncertainty": figs["uncertainty"]}, tmp_path, formats=("png",))
    assert files[0].stat().st_size > 20_000


def test_framework_angles_are_effective_weights(built) -> None:
    coin, _, _ = built
    fig = plot_framework(coin)
    wedges = [p for p in fig.axes[0].patches if isinstance(p, Wedge)]
    assert len(wedges) == len(coin.indicators) + len(coin.aggregates) - 1
    ew = effective_weights(coin).set_index("iCode")["EffWeight"]
    spans = sorted(round((w.theta2 - w.theta1) / 360, 9) for w in wedges)
    expected = sorted(round(float(ew[c]), 9) for c in ew.index if c != coin.index_code)
    assert spans == expected


def test_bar_segments_add_up_to_the_index(built) -> None:
    coin, res, _ = built
    agg = res.datasets["Aggregated"]
    fig = plot_bar(coin, agg)
    bars = [p for p in fig.axes[0].patches if isinstance(p, Rectangle)]
    assert len(bars) == 2 * len(agg)  # Conn and Sust
    widths = np.array([b.get_width() for b in bars]).reshape(2, -1).sum(axis=0)
    np.testing.assert_allclose(np.sort(widths), np.sort(agg["Index"].to_numpy()), rtol=1e-12)


def test_dot_plot_highlights_the_unit(built) -> None:
    coin, res, _ = built
    agg = res.datasets["Aggregated"]
    fig = plot_dot(coin, agg, "IND")
    ind = agg.set_index("uCode").loc["IND", list(coin.levels[2])]
    red = [c for c in fig.axes[0].collections if c.get_label() == "IND" or c.get_sizes()[0] == 46]
    xs = np.concatenate([c.get_offsets()[:, 0] for c in red])
    np.testing.assert_allclose(np.sort(xs), np.sort(ind.to_numpy(float)))
    with pytest.raises(PipelineError, match="unit 'XXX' is not in the data set"):
        plot_dot(coin, agg, "XXX")
    with pytest.raises(PipelineError, match="^lang must be 'zh' or 'en', got 'fr'$"):
        plot_framework(coin, lang="fr")  # type: ignore[arg-type]
