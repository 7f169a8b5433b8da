"""PNG and HTML maps drawn in this process from two synthetic districts (issue 18).

District A (0–1000 m × 0–1000 m) has 50 % (colour: viridis at 0.5 = #21918c, matplotlib's
colormap table), district B (1000–2000 m) has no value (the missing grey #d9d9d9).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import PIL.Image
import shapely

from citycheckup.spatial._map_data import map_data
from citycheckup.spatial._maps import _rc, _svg_path, html_maps, render_pngs
from citycheckup.spatial._result import SpatialResult
from tests.spatial.map_fixtures import two_district_result

VIRIDIS_MID = (0x21, 0x91, 0x8C)
GREY = (0xD9, 0xD9, 0xD9)


def _result() -> SpatialResult:
    """District A at 50 %, B without homes (missing)."""
    return two_district_result((50.0, np.nan))


def test_png_colours(tmp_path: Path) -> None:
    res = _result()
    written = render_pngs(map_data(res, ["cov"]), ["cov"], tmp_path / "maps")
    assert written == ["maps/cov.png"]
    img = np.asarray(PIL.Image.open(tmp_path / "maps" / "cov.png").convert("RGB"))
    assert img.shape == (750, 750, 3)
    px = img.reshape(-1, 3)
    mid = int((np.abs(px.astype(int) - VIRIDIS_MID).max(axis=1) <= 1).sum())
    grey = int((np.abs(px.astype(int) - GREY).max(axis=1) <= 1).sum())
    # each district covers a large patch of the figure in its own colour
    assert mid > 5000 and grey > 5000


def test_html_map(tmp_path: Path) -> None:
    res = _result()
    assert html_maps(res, tmp_path / "maps", ["cov"]) == ["maps/cov.html"]
    text = (tmp_path / "maps" / "cov.html").read_text("utf-8")
    # 800 px for the 2,000 m width: 0.4 px per metre, y downwards from the top (1,000 m);
    # shapely's box ring starts at (maxx, miny) = (1000, 0) → (400, 400), counter-clockwise
    assert 'd="M400,400 L400,0 L0,0 L0,400 L400,400 Z" fill="#21918c"' in text
    assert 'data-info="A: 50.0 %"' in text
    assert 'fill="#d9d9d9" data-info="B: 无数据 missing (no homes in the district)"' in text
    assert '<path d="M40,200L760,200"' in text  # the network
    assert "全区 whole area: 50.0 %" in text
    assert "<title>覆盖率 Coverage (cov)</title>" in text
    assert 'width="800" height="400"' in text


def test_svg_path_skips_non_polygons() -> None:
    geom = shapely.GeometryCollection([shapely.box(0, 0, 1, 1), shapely.Point(5, 5)])
    assert _svg_path(geom, lambda x: x * 10, lambda y: y * 10) == "M10,0 L10,10 L0,10 L0,0 L10,0 Z"
    assert _svg_path(shapely.LineString([(0, 0), (1, 1)]), float, float) == ""


def test_font_settings() -> None:
    """The CJK font first, DejaVu Sans (matplotlib's own) as the fallback for Latin text."""
    rc = _rc()
    assert rc["font.family"] == "sans-serif"
    assert len(rc["font.sans-serif"]) == 2 and rc["font.sans-serif"][0] != "DejaVu Sans"
