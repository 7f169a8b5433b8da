"""Indicator maps: a PNG (matplotlib) and a self-contained interactive HTML (inline SVG) per indicator."""

from __future__ import annotations

import html
import json
import logging
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib
import matplotlib.colors as mcolors
import matplotlib.patheffects as patheffects
import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.path import Path as MplPath
from matplotlib.text import Text

if TYPE_CHECKING:
    from citycheckup.spatial._pipeline import SpatialResult

__all__ = ["indicator_maps"]

logger = logging.getLogger(__name__)

ATTRIBUTION = "© OpenStreetMap contributors, ODbL"
_CMAP = "viridis"
_MISSING = "#d9d9d9"


def _fmt(value: float, unit: str) -> str:
    if not np.isfinite(value):
        return "missing"
    return f"{value:.1f} {unit}" if abs(value) < 1000 else f"{value:,.0f} {unit}"


def _norm(values: np.ndarray, unit: str) -> mcolors.Normalize:
    if unit == "%":
        return mcolors.Normalize(0, 100)
    finite = values[np.isfinite(values)]
    hi = float(finite.max()) if finite.size else 1.0
    return mcolors.Normalize(0, hi if hi > 0 else 1.0)


def indicator_maps(result: SpatialResult, folder: Path) -> list[str]:
    """Render every indicator of ``result`` as ``<code>.png`` and ``<code>.html`` in ``folder``.

    The figure (districts, walk network, labels) is built once and only its
    colours and texts change per indicator, which keeps ~50 maps to seconds.

    Returns
    -------
    list of str
        The written paths, relative to ``folder``'s parent.
    """
    folder.mkdir(parents=True, exist_ok=True)
    table = result.indicators.set_index("district")
    codes = [c for c in table.columns if c != "year"]
    reasons = result.missing.groupby(["district", "indicator"])["reason"].first().to_dict()
    written: list[str] = []
    with matplotlib.rc_context({"font.family": _font_families()}), warnings.catch_warnings():
        # District names in a script no installed font covers render as boxes; the
        # values and codes (ASCII) stay readable, so the missing-glyph warning is not an error.
        warnings.filterwarnings(
            "ignore", message=r"Glyph \d+ .*missing from font", category=UserWarning
        )
        canvas = _Canvas(result)
        for code in codes:
            unit = result.units.get(code, "")
            canvas.draw(code, unit, folder / f"{code}.png")
            (folder / f"{code}.html").write_text(
                _html(result, code, unit, reasons), encoding="utf-8"
            )
            written += [f"{folder.name}/{code}.png", f"{folder.name}/{code}.html"]
        canvas.close()
    return written


def _font_families() -> list[str]:
    """DejaVu Sans with a CJK fallback when one is installed (Chinese district names)."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    cjk = [n for n in ("Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
                       "SimHei", "Microsoft YaHei") if n in names]  # fmt: skip
    return ["DejaVu Sans", *cjk[:1]]


class _Canvas:
    """A reusable matplotlib figure of the districts."""

    def __init__(self, result: SpatialResult) -> None:
        self.result = result
        d = result.districts
        # A bare Figure (no pyplot): no global backend switch, no figure registry to leak into.
        self.fig = Figure(figsize=(7.5, 7.5), dpi=110)
        self.ax = self.fig.add_subplot()
        ax = self.ax
        paths = []
        for geom in d.geometry:
            verts, codes = [], []
            for poly in shapely.get_parts(geom):
                if poly.geom_type != "Polygon":
                    continue
                for ring in [poly.exterior, *poly.interiors]:
                    c = np.asarray(ring.coords)
                    verts.append(c)
                    codes.append(
                        np.r_[
                            MplPath.MOVETO, np.full(len(c) - 2, MplPath.LINETO), MplPath.CLOSEPOLY
                        ]
                    )
            paths.append(
                MplPath(np.concatenate(verts), np.concatenate(codes))
                if verts
                else MplPath(np.zeros((1, 2)))
            )
        self.polys = PathCollection(paths, edgecolor="white", linewidth=0.8)
        ax.add_collection(self.polys)
        if result.network is not None and len(result.network):
            segs = shapely.get_coordinates(result.network.to_numpy()).reshape(-1, 2, 2)
            lc = LineCollection(segs, colors="black", linewidths=0.25, alpha=0.35, rasterized=True)
            ax.add_collection(lc)
        if result.study_area is not None:
            ax.plot(*_outline(result.study_area), color="black", linewidth=1.0)
        minx, miny, maxx, maxy = d.total_bounds if len(d) else result.study_area.bounds  # type: ignore[union-attr]
        pad = 0.02 * max(maxx - minx, maxy - miny)
        ax.set_xlim(minx - pad, maxx + pad)
        ax.set_ylim(miny - pad, maxy + pad)
        ax.set_aspect("equal")
        ax.set_axis_off()
        _scalebar(ax)
        self.labels: list[tuple[str, Text] | None] = []
        big = d.geometry.area.max() if len(d) else 0
        for name, geom in zip(d["district"], d.geometry, strict=True):
            if geom.area < 0.2 * big:
                self.labels.append(None)
                continue
            p = geom.representative_point()
            self.labels.append((name, ax.text(
                p.x, p.y, name, ha="center", va="center", fontsize=6.5, color="black",
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7},
            )))  # fmt: skip
        self.sm = ScalarMappable(norm=mcolors.Normalize(0, 1), cmap=matplotlib.colormaps[_CMAP])
        self.cb = self.fig.colorbar(self.sm, ax=ax, fraction=0.04, pad=0.02, shrink=0.8)
        self.fig.text(0.99, 0.01, ATTRIBUTION, ha="right", va="bottom", fontsize=7, color="#333333")
        self.legend = ax.legend(
            handles=[Patch(facecolor=_MISSING, edgecolor="#999999", label="missing value (see missing.csv)")],
            loc="upper left", bbox_to_anchor=(0.0, -0.005), fontsize=7, frameon=False,
        )  # fmt: skip

    def draw(self, code: str, unit: str, path: Path) -> None:
        d = self.result.districts
        values = d[code].to_numpy(float)
        norm = _norm(values, unit)
        cmap = matplotlib.colormaps[_CMAP]
        colors = [cmap(norm(v)) if np.isfinite(v) else mcolors.to_rgba(_MISSING) for v in values]
        self.polys.set_facecolor(colors)
        for item, val in zip(self.labels, values, strict=True):
            if item is not None:
                item[1].set_text(f"{item[0]}\n{_fmt(val, unit)}")
        self.sm.set_norm(norm)
        self.cb.update_normal(self.sm)
        self.cb.set_label(unit)
        self.legend.set_visible(bool((~np.isfinite(values)).any()))
        all_val = float(self.result.indicators.set_index("district").loc["ALL", code])
        self.ax.set_title(f"{code}\nwhole area: {_fmt(all_val, unit)}", fontsize=10)
        self.fig.savefig(path, bbox_inches="tight")

    def close(self) -> None:
        self.fig.clear()


def _outline(geom: shapely.Geometry) -> tuple[np.ndarray, np.ndarray]:
    xs: list[float] = []
    ys: list[float] = []
    for poly in shapely.get_parts(geom):
        if poly.geom_type != "Polygon":
            continue
        x, y = poly.exterior.xy
        xs += [*x, np.nan]
        ys += [*y, np.nan]
    return np.asarray(xs), np.asarray(ys)


def _scalebar(ax: Axes) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    span = x1 - x0
    length = 10 ** np.floor(np.log10(span / 4))
    for m in (5, 2):
        if m * length <= span / 4:
            length *= m
            break
    bx, by = x0 + 0.04 * span, y0 + 0.04 * (y1 - y0)
    halo = [patheffects.withStroke(linewidth=4, foreground="white")]
    ax.plot([bx, bx + length], [by, by], color="black", linewidth=2, path_effects=halo)
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(bx + length / 2, by + 0.01 * (y1 - y0), label, ha="center", va="bottom", fontsize=7,
            bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8})  # fmt: skip


def _svg_path(
    geom: shapely.Geometry, tx: Callable[[float], float], ty: Callable[[float], float]
) -> str:
    parts = []
    for poly in shapely.get_parts(geom):
        if poly.geom_type != "Polygon":
            continue
        for ring in [poly.exterior, *poly.interiors]:
            c = np.asarray(ring.coords)
            pts = " L".join(f"{tx(x):.0f},{ty(y):.0f}" for x, y in c)
            parts.append(f"M{pts} Z")
    return " ".join(parts)


def _html(result: SpatialResult, code: str, unit: str, reasons: dict[tuple[str, str], str]) -> str:
    d = result.districts
    minx, miny, maxx, maxy = (result.study_area or shapely.union_all(d.geometry.to_numpy())).bounds
    size = 800.0
    scale = size / max(maxx - minx, maxy - miny, 1.0)
    width, height = (maxx - minx) * scale, (maxy - miny) * scale

    def tx(x: float) -> float:
        return (x - minx) * scale

    def ty(y: float) -> float:
        return (maxy - y) * scale

    values = d[code].to_numpy(float)
    norm = _norm(values, unit)
    cmap = matplotlib.colormaps[_CMAP]
    shapes = []
    for name, geom, val in zip(d["district"], d.geometry, values, strict=True):
        fill = mcolors.to_hex(cmap(norm(val))) if np.isfinite(val) else _MISSING
        info = _fmt(val, unit)
        if not np.isfinite(val):
            info += f" ({reasons.get((name, code), 'not computed')})"
        label = html.escape(f"{name}: {info}")
        shapes.append(
            f'<path class="d" d="{_svg_path(geom, tx, ty)}" fill="{fill}" data-info="{label}"><title>{label}</title></path>'
        )
    net = ""
    if result.network is not None and len(result.network):
        c = shapely.get_coordinates(result.network.to_numpy())
        segs = c.reshape(-1, 2, 2)
        net = " ".join(
            f"M{tx(a[0]):.0f},{ty(a[1]):.0f}L{tx(b[0]):.0f},{ty(b[1]):.0f}" for a, b in segs
        )
    all_val = float(result.indicators.set_index("district").loc["ALL", code])
    stops = "".join(
        f'<stop offset="{k / 10:.1f}" stop-color="{mcolors.to_hex(cmap(k / 10))}"/>'
        for k in range(11)
    )
    legend = json.dumps([f"{norm.vmin:g}", f"{norm.vmax:g}"])
    title = html.escape(code)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body{{font-family:sans-serif;margin:12px;color:#222}} #map{{border:1px solid #ccc;cursor:grab;max-width:100%}}
.d{{stroke:#fff;stroke-width:1;vector-effect:non-scaling-stroke}} .d:hover{{stroke:#000;stroke-width:2}}
#info{{min-height:1.4em;font-weight:bold}} small{{color:#555}}
</style></head><body>
<h3>{title} <small>({html.escape(unit)}) — whole area: {html.escape(_fmt(all_val, unit))}</small></h3>
<div id="info">Hover a district; scroll to zoom, drag to pan.</div>
<svg id="map" xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.1f} {height:.1f}">
<g>{"".join(shapes)}</g>
<path d="{net}" fill="none" stroke="#000" stroke-opacity="0.35" stroke-width="0.4" pointer-events="none" vector-effect="non-scaling-stroke"/>
</svg>
<div><svg width="320" height="40" xmlns="http://www.w3.org/2000/svg"><defs><linearGradient id="g">{stops}</linearGradient></defs>
<rect x="10" y="5" width="300" height="12" fill="url(#g)"/><text x="10" y="32" font-size="11" id="lo"></text>
<text x="310" y="32" font-size="11" text-anchor="end" id="hi"></text></svg></div>
<div><span style="display:inline-block;width:14px;height:10px;background:{_MISSING}"></span> <small>missing value (reason in the tooltip and in missing.csv)</small></div>
<p><small>{html.escape(ATTRIBUTION)}. Map made with citycheckup; no external resources.</small></p>
<script>
(function(){{
 var L={legend};document.getElementById('lo').textContent=L[0]+' {html.escape(unit)}';
 document.getElementById('hi').textContent=L[1]+' {html.escape(unit)}';
 var svg=document.getElementById('map'),info=document.getElementById('info');
 svg.querySelectorAll('.d').forEach(function(p){{p.addEventListener('mouseenter',function(){{info.textContent=p.dataset.info;}});}});
 var vb=svg.viewBox.baseVal,drag=null;
 svg.addEventListener('wheel',function(e){{e.preventDefault();var r=svg.getBoundingClientRect();
  var mx=vb.x+(e.clientX-r.left)/r.width*vb.width,my=vb.y+(e.clientY-r.top)/r.height*vb.height;
  var f=e.deltaY<0?0.8:1.25;vb.x=mx-(mx-vb.x)*f;vb.y=my-(my-vb.y)*f;vb.width*=f;vb.height*=f;}});
 svg.addEventListener('mousedown',function(e){{drag=[e.clientX,e.clientY];}});
 window.addEventListener('mouseup',function(){{drag=null;}});
 svg.addEventListener('mousemove',function(e){{if(!drag)return;var r=svg.getBoundingClientRect();
  vb.x-=(e.clientX-drag[0])/r.width*vb.width;vb.y-=(e.clientY-drag[1])/r.height*vb.height;drag=[e.clientX,e.clientY];}});
}})();
</script></body></html>
"""
