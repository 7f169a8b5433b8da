"""The PNG map's figure, checked through its matplotlib objects (issue 18).

Two districts side by side, A (0–1,000 m) and B (1,000–2,000 m) × (0–1,000 m), study area
0–2,000 m × 0–1,000 m, one network line. The expected values follow from the drawing rules of
``spatial/_maps.py``: the axes pad the bounds by 2 % of the longer side (0.02 × 2,000 = 40 m),
so x runs −40…2,040 m (2,080 m) and y −40…1,040 m (1,080 m); the scale bar is the largest of
1, 2 or 5 × 10^k not longer than a quarter of the x span.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib.colors as mcolors
import numpy as np
import pytest
import shapely
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from citycheckup.spatial._map_data import map_data
from citycheckup.spatial._maps import _Canvas, _fmt, _norm, _scalebar, prepared_canvas
from citycheckup.spatial._result import SpatialResult
from tests.spatial.map_fixtures import two_district_result as _result

MISSING_GREY = mcolors.to_rgba("#d9d9d9")


def _draw(res: SpatialResult, tmp_path: Path) -> _Canvas:
    data = map_data(res, ["cov"])
    canvas = prepared_canvas(data)
    canvas.draw(data, "cov", tmp_path / "cov.png")
    return canvas


@pytest.fixture
def half_missing(tmp_path_factory: pytest.TempPathFactory) -> _Canvas:
    """A has 50 % (viridis at 0.5), B none. Drawn anew for each test: mutmut runs, for a
    mutant, only the tests that called the mutated function, so nothing is shared."""
    return _draw(_result((50.0, np.nan)), tmp_path_factory.mktemp("maps"))


def test_static_figure(half_missing: _Canvas) -> None:
    c: Any = half_missing  # matplotlib's stubs type the getters too loosely to compare
    assert tuple(c.fig.get_size_inches()) == (7.5, 7.5) and c.fig.dpi == 100
    sp = c.fig.subplotpars
    assert (sp.left, sp.right, sp.top, sp.bottom) == (0.02, 0.9, 0.88, 0.08)
    assert c.ax.get_xlim() == pytest.approx((-40, 2040))
    assert c.ax.get_ylim() == pytest.approx((-40, 1040))
    assert c.ax.get_aspect() == 1.0 and not c.ax.axison
    # district fills: white edges 0.8 pt; the hatch layer has no fill, the hatch ////, no line
    assert [tuple(e) for e in c.polys.get_edgecolor()] == [(1.0, 1.0, 1.0, 1.0)]
    assert list(c.polys.get_linewidth()) == [0.8]
    assert c.hatch.get_hatch() == "////"
    assert len(c.hatch.get_facecolor()) == 0  # "none"
    assert list(c.hatch.get_linewidth()) == [0.0]
    # the network: black, 0.25 pt, 35 % opaque
    nets: list[Any] = [a for a in c.ax.collections if isinstance(a, LineCollection)]
    assert len(nets) == 1
    assert [tuple(e) for e in nets[0].get_edgecolor()] == [(0.0, 0.0, 0.0, 0.35)]
    assert list(nets[0].get_linewidth()) == [0.25] and nets[0].get_alpha() == 0.35
    # the credit line, bottom right
    credit = [t for t in c.fig.texts if "OpenStreetMap" in t.get_text()]
    assert len(credit) == 1
    t = credit[0]
    assert t.get_text() == "© OpenStreetMap contributors, ODbL · © OpenStreetMap 贡献者，ODbL"
    assert t.get_position() == (0.99, 0.01)
    assert (t.get_ha(), t.get_va(), t.get_fontsize()) == ("right", "bottom", 7)
    assert mcolors.to_hex(t.get_color()) == "#333333"
    # the two legend entries
    assert c.missing_patch.get_label() == "无数据 missing value (missing.csv)"
    assert mcolors.to_hex(c.missing_patch.get_facecolor()) == "#d9d9d9"
    assert mcolors.to_hex(c.missing_patch.get_edgecolor()) == "#999999"
    assert c.low_patch.get_label() == "数据不足 low data quality (missing.csv)"
    assert c.low_patch.get_hatch() == "////"
    assert mcolors.to_hex(c.low_patch.get_facecolor()) == "#ffffff"
    assert mcolors.to_hex(c.low_patch.get_edgecolor()) == "#444444"


def test_labels_title_colours_and_legend(half_missing: _Canvas) -> None:
    """A has 50 % (viridis at 0.5), B none (grey, legend shows only the missing entry)."""
    c: Any = half_missing  # matplotlib's stubs type the getters too loosely to compare
    faces = [tuple(f) for f in c.polys.get_facecolor()]
    assert faces[0] == pytest.approx(mcolors.to_rgba("#21918c"), abs=0.003)
    assert faces[1] == MISSING_GREY
    assert [tuple(e) for e in c.hatch.get_edgecolor()] == [(0, 0, 0, 0), (0, 0, 0, 0)]
    heads = [item[0] for item in c.labels if item is not None]
    values = [item[1] for item in c.labels if item is not None]
    assert [h.get_text() for h in heads] == ["A", "B"]
    assert [v.get_text() for v in values] == ["50.0 %", "无数据 missing"]
    for h, v in zip(heads, values, strict=True):
        assert (h.get_ha(), h.get_va(), h.get_fontsize()) == ("center", "bottom", 6.5)
        assert (v.get_ha(), v.get_va(), v.get_fontsize()) == ("center", "top", 6.5)
        assert h.get_zorder() == 3.1
    # labels sit at the districts' label points (the box centres here)
    assert heads[0].xy == pytest.approx((500, 500)) and heads[1].xy == pytest.approx((1500, 500))
    assert c.ax.get_title() == "覆盖率  Coverage\n全区 whole area: 50.0 %"
    assert c.ax.title.get_fontsize() == 9
    assert c.cb.ax.get_ylabel() == "%"
    assert (c.sm.norm.vmin, c.sm.norm.vmax) == (0, 100)
    assert c.legend.get_visible() is True
    assert [t.get_text() for t in c.legend.get_texts()] == ["无数据 missing value (missing.csv)"]
    assert c.legend.get_texts()[0].get_fontsize() == 7
    assert c.legend.get_frame_on() is False


def test_low_quality_district_is_hatched_and_starred(tmp_path: Path) -> None:
    """Both values present, B flagged: B hatched in dark grey (0.25, 0.25, 0.25, 0.9), its
    label ends with ' *', the legend shows only the low-quality entry."""
    c: Any = _draw(_result((50.0, 100.0), low="B"), tmp_path)
    assert [tuple(e) for e in c.hatch.get_edgecolor()] == [
        (0.0, 0.0, 0.0, 0.0), pytest.approx((0.25, 0.25, 0.25, 0.9)),
    ]  # fmt: skip
    values = [item[1].get_text() for item in c.labels if item is not None]
    assert values == ["50.0 %", "100.0 % *"]
    assert [t.get_text() for t in c.legend.get_texts()] == [
        "数据不足 low data quality (missing.csv)"
    ]
    assert c.ax.get_title() == "覆盖率  Coverage\n全区 whole area: 75.0 %"


def test_legend_hidden_when_nothing_is_missing_or_low(tmp_path: Path) -> None:
    c: Any = _draw(_result((50.0, 100.0)), tmp_path)
    assert c.legend.get_visible() is False


def test_small_district_has_no_label(tmp_path: Path) -> None:
    """A label needs at least 20 % of the largest district's area: a 1,000 m² district next to a
    1 km² one gets none, one at 25 % gets one."""
    res = _result((50.0, 60.0))
    res.districts = gpd.GeoDataFrame(
        {"district": ["A", "B"], "cov": [50.0, 60.0]},
        geometry=[shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 1100, 10)],
        crs=3857,
    )
    c: Any = _draw(res, tmp_path)
    assert c.labels[0] is not None and c.labels[1] is None
    res.districts = res.districts.set_geometry(
        [shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 1500, 500)]
    )
    c = _draw(res, tmp_path)
    assert c.labels[0] is not None and c.labels[1] is not None


@pytest.mark.parametrize(
    ("xlim", "length", "label"),
    [
        # span 2,080 m: quarter 520 → 10^2 = 100; 5 × 100 = 500 ≤ 520
        ((-40, 2040), 500.0, "500 m"),
        # span 1,200 m: quarter 300 → 100; 500 > 300, 2 × 100 = 200 ≤ 300
        ((0, 1200), 200.0, "200 m"),
        # span 4,000 m: quarter 1,000 → 10^3 = 1,000; 5,000 and 2,000 > 1,000 → 1,000 = "1 km"
        ((0, 4000), 1000.0, "1 km"),
        # span 20,800 m: quarter 5,200 → 1,000; 5 × 1,000 = 5,000 ≤ 5,200 → "5 km"
        ((0, 20800), 5000.0, "5 km"),
    ],
)
def test_scalebar(xlim: tuple[float, float], length: float, label: str) -> None:
    """The bar starts 4 % of the spans in from the lower-left corner; its label sits above its
    middle by 1 % of the y span."""
    ax: Axes = Figure().add_subplot()
    ax.set_xlim(*xlim)
    ax.set_ylim(0, 1000)
    _scalebar(ax)
    line: Any = ax.lines[0]
    assert len(ax.lines) == 1
    span = xlim[1] - xlim[0]
    bx, by = xlim[0] + 0.04 * span, 40.0
    assert list(line.get_xdata()) == pytest.approx([bx, bx + length])
    assert list(line.get_ydata()) == pytest.approx([by, by])
    assert line.get_color() == "black" and line.get_linewidth() == 2
    text: Any = ax.texts[0]
    assert len(ax.texts) == 1
    assert text.get_text() == label
    assert text.get_position() == pytest.approx((bx + length / 2, by + 10.0))
    assert (text.get_ha(), text.get_va(), text.get_fontsize()) == ("center", "bottom", 7)


def test_fmt_and_norm() -> None:
    """One decimal below 1,000, thousands separators from 1,000 on; a percentage spans 0–100,
    other units 0–max (0–1 when the max is not positive or nothing is finite)."""
    assert _fmt(999.94, "m") == "999.9 m"
    assert _fmt(-999.94, "m") == "-999.9 m"
    assert _fmt(1000.0, "m") == "1,000 m"
    assert _fmt(-1234.5, "m") == "-1,234 m"
    assert _fmt(float("nan"), "%") == "无数据 missing"
    assert _fmt(float("inf"), "%") == "无数据 missing"
    n = _norm(np.array([5.0, 250.0]), "%")
    assert (n.vmin, n.vmax) == (0, 100)
    n = _norm(np.array([5.0, np.nan, 250.0]), "km/km²")
    assert (n.vmin, n.vmax) == (0, 250.0)
    n = _norm(np.array([0.0, -3.0]), "km/km²")
    assert (n.vmin, n.vmax) == (0, 1.0)
    n = _norm(np.array([np.nan]), "km/km²")
    assert (n.vmin, n.vmax) == (0, 1.0)
