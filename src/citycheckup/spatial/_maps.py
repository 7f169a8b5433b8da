"""Indicator maps: a PNG (matplotlib) and a self-contained interactive HTML (inline SVG) per indicator.

The figure (districts, walk network, labels) is built once; each map only changes
colours and texts, so rendering stays a small share of a run. Chinese text is set in
the CJK font shipped by a PyPI package (:mod:`citycheckup._fonts`), never a system font.
Districts whose value rests on thin data are hatched (reasons in ``missing.csv``).
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import matplotlib
import matplotlib.colors as mcolors
import matplotlib.patheffects as patheffects
import numpy as np
import PIL.Image
import shapely
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection, PatchCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from citycheckup._fonts import raise_for_missing_glyphs, register_matplotlib
from citycheckup.spatial._map_data import MapData
from citycheckup.spatial._result import ALL, ATTRIBUTION, SpatialResult

__all__ = ["html_maps", "prepared_canvas", "render_pngs"]

logger = logging.getLogger(__name__)

ATTRIBUTION_ZH = "© OpenStreetMap 贡献者，ODbL"
_LOW_LABEL = "数据不足 low data quality (missing.csv)"
_CMAP = "viridis"
_MISSING = "#d9d9d9"


def _fmt(value: float, unit: str) -> str:
    if not np.isfinite(value):
        return "无数据 missing"
    return f"{value:.1f} {unit}" if abs(value) < 1000 else f"{value:,.0f} {unit}"


def _norm(values: np.ndarray, unit: str) -> mcolors.Normalize:
    if unit == "%":
        return mcolors.Normalize(0, 100)
    finite = values[np.isfinite(values)]
    hi = float(finite.max()) if finite.size else 1.0
    return mcolors.Normalize(0, hi if hi > 0 else 1.0)


def html_maps(result: SpatialResult, folder: Path, codes: list[str]) -> list[str]:
    """Write the interactive HTML map of each of ``codes`` into ``folder``; the written paths."""
    folder.mkdir(parents=True, exist_ok=True)
    reasons = result.missing.groupby(["district", "indicator"])["reason"].first().to_dict()
    flagged = result.flagged()
    written = []
    for code in codes:
        unit = result.units.get(code, "")
        (folder / f"{code}.html").write_text(
            _html(result, code, unit, reasons, flagged), encoding="utf-8"
        )
        written.append(f"{folder.name}/{code}.html")
    return written


def _rc() -> Any:  # matplotlib's stubs type rc_context's keys as literals
    family = register_matplotlib()
    return {"font.family": "sans-serif", "font.sans-serif": [family, "DejaVu Sans"]}


def prepared_canvas(layout: MapData) -> _Canvas:
    """The figure of ``layout``'s districts with its static overlay drawn, ready for :func:`render_pngs`."""
    raise_for_missing_glyphs([*layout.names, ATTRIBUTION_ZH, _LOW_LABEL], what="maps")
    with matplotlib.rc_context(_rc()):
        canvas = _Canvas(layout)
        canvas.overlay = canvas._static_overlay()
    return canvas


def render_pngs(
    data: MapData, codes: list[str], folder: Path, *, canvas: _Canvas | None = None
) -> list[str]:
    """Draw the PNG map of each of ``codes`` into ``folder``; the written paths.

    Runs in the calling process or in a map worker (:mod:`citycheckup.spatial._map_jobs`),
    which passes the ``canvas`` it prepared from the same layout; the files are the same
    either way.
    """
    folder.mkdir(parents=True, exist_ok=True)
    texts = [*data.names, ATTRIBUTION_ZH, _LOW_LABEL]
    texts += [v for c in codes for v in data.labels.get(c, {}).values()]
    raise_for_missing_glyphs(texts, what=f"maps in {folder}")
    written: list[str] = []
    with matplotlib.rc_context(_rc()):
        canvas = canvas if canvas is not None else _Canvas(data)
        for code in codes:
            canvas.draw(data, code, folder / f"{code}.png")
            written.append(f"{folder.name}/{code}.png")
    return written


class _Canvas:
    """A reusable matplotlib figure of the districts."""

    def __init__(self, data: MapData) -> None:
        self.data = data
        # A bare Figure (no pyplot): no global backend switch, no figure registry to leak into.
        self.fig = Figure(figsize=(7.5, 7.5), dpi=100)
        self.ax = self.fig.add_subplot()
        ax = self.ax
        paths = [MplPath(*p) if p is not None else MplPath(np.zeros((1, 2))) for p in data.paths]
        # Static artists (network, outline, scale bar, credit) are drawn once into a transparent
        # overlay; each map draws only what changes and lays the overlay on top.
        self.static: list[Any] = []
        self.overlay: np.ndarray | None = None
        self._blend: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self.canvas = FigureCanvasAgg(self.fig)
        self.polys = PathCollection(paths, edgecolor="white", linewidth=0.8)
        ax.add_collection(self.polys)
        # hatching of low-quality districts: the hatch takes the edge colour, transparent elsewhere
        self.hatch = PathCollection(
            paths, facecolor="none", edgecolor="none", linewidth=0.0, hatch="////"
        )
        ax.add_collection(self.hatch)
        n_lines, n_texts = len(ax.lines), len(ax.texts)
        if data.outline is not None:
            ax.plot(*data.outline, color="black", linewidth=1.0)
        minx, miny, maxx, maxy = data.bounds
        pad = 0.02 * max(maxx - minx, maxy - miny)
        xlim, ylim = (minx - pad, maxx + pad), (miny - pad, maxy + pad)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_aspect("equal")
        if data.segments is not None:
            self.static.append(
                ax.add_collection(
                    LineCollection(
                        cast(Any, data.segments), colors="black", linewidths=0.25, alpha=0.35
                    )
                )
            )
        ax.set_axis_off()
        _scalebar(ax)
        self.static += [*ax.lines[n_lines:], *ax.texts[n_texts:]]
        # a label is the district's name (static: drawn once, in the overlay) above its value
        # (drawn per map); Agg draws text glyph by glyph, so each glyph kept static counts
        self.labels: list[tuple[Text, Text] | None] = []
        big = data.areas.max() if len(data.areas) else 0
        for name, area, (x, y) in zip(data.names, data.areas, data.label_points, strict=True):
            if area < 0.2 * big:
                self.labels.append(None)
                continue
            # no per-text bbox: Agg draws those slowly; one collection of boxes is laid under the labels
            kw: dict[str, Any] = {"ha": "center", "fontsize": 6.5, "color": "black",
                                  "zorder": 3.1, "textcoords": "offset points"}  # fmt: skip
            head = ax.annotate(name, (x, y), xytext=(0, 0.6), va="bottom", **kw)
            self.labels.append((head, ax.annotate("", (x, y), xytext=(0, -0.6), va="top", **kw)))
            self.static.append(head)
        self.sm = ScalarMappable(norm=mcolors.Normalize(0, 1), cmap=matplotlib.colormaps[_CMAP])
        self.cb = self.fig.colorbar(self.sm, ax=ax, fraction=0.04, pad=0.02, shrink=0.8)
        self.static.append(self.fig.text(0.99, 0.01, f"{ATTRIBUTION} · {ATTRIBUTION_ZH}", ha="right",
                                         va="bottom", fontsize=7, color="#333333"))  # fmt: skip
        self.missing_patch = Patch(
            facecolor=_MISSING, edgecolor="#999999", label="无数据 missing value (missing.csv)"
        )
        self.low_patch = Patch(
            facecolor="white", edgecolor="#444444", hatch="////", label=_LOW_LABEL
        )
        self.legend = ax.legend(handles=[self.missing_patch, self.low_patch], loc="upper left",
                                bbox_to_anchor=(0.0, -0.005), fontsize=7, frameon=False)  # fmt: skip
        self.fig.subplots_adjust(left=0.02, right=0.9, top=0.88, bottom=0.08)

    def draw(self, data: MapData, code: str, path: Path) -> None:
        if self.overlay is None:
            self.overlay = self._static_overlay()
        values = data.values[code]
        unit = data.units.get(code, "")
        low = data.low[code]
        norm = _norm(values, unit)
        cmap = matplotlib.colormaps[_CMAP]
        colors = [cmap(norm(v)) if np.isfinite(v) else mcolors.to_rgba(_MISSING) for v in values]
        self.polys.set_facecolor(colors)
        self.hatch.set_edgecolor([(0.25, 0.25, 0.25, 0.9) if f else (0, 0, 0, 0) for f in low])
        for item, val, f in zip(self.labels, values, low, strict=True):
            if item is not None:
                item[1].set_text(_fmt(val, unit) + (" *" if f else ""))
        self.sm.set_norm(norm)
        self.cb.update_normal(self.sm)
        self.cb.set_label(unit)
        shown = [
            h
            for h, on in (
                (self.missing_patch, (~np.isfinite(values)).any()),
                (self.low_patch, low.any()),
            )
            if on
        ]
        self.legend.set_visible(bool(shown))
        if shown:
            self.legend.remove()
            self.legend = self.ax.legend(handles=shown, loc="upper left", bbox_to_anchor=(0.0, -0.005),
                                         fontsize=7, frameon=False)  # fmt: skip
        all_val = data.whole_area[code]
        lab = data.labels.get(code, {})
        head = f"{lab.get('zh', code)}  {lab.get('en', '')}".strip()
        # the indicator's names only: a map goes into reports, where codes are not shown
        self.ax.set_title(f"{head}\n全区 whole area: {_fmt(all_val, unit)}", fontsize=9)
        self.canvas.draw()
        if self._blend is None or self._blend[0] is not self.overlay:
            over = self.overlay.astype(np.float32)
            a = over[..., 3:4] / 255.0  # Agg's buffer is straight (not premultiplied) RGBA
            self._blend = (self.overlay, over[..., :3] * a, 1.0 - a)  # the same for every map
        _, over_a, rest = self._blend
        rgb = over_a + np.asarray(self.canvas.buffer_rgba())[..., :3] * rest
        # fast zlib level: PNG compression was a tenth of the rendering time at the default level
        PIL.Image.fromarray(np.round(rgb).astype(np.uint8), "RGB").save(
            path, format="png", compress_level=1, dpi=(self.fig.dpi, self.fig.dpi)
        )

    def _label_boxes(self) -> None:
        """White boxes under the labels, sized once for the widest value text."""
        renderer = self.canvas.get_renderer()
        inv = self.ax.transData.inverted()
        boxes = []
        for item in self.labels:
            if item is None:
                continue
            head, text = item
            old = text.get_text()
            text.set_text("100.0 % *")
            ext = Bbox.union(
                [head.get_window_extent(renderer), text.get_window_extent(renderer)]
            ).expanded(1.08, 1.12)
            text.set_text(old)
            (x0, y0), (x1, y1) = inv.transform([[ext.x0, ext.y0], [ext.x1, ext.y1]])
            boxes.append(Rectangle((x0, y0), x1 - x0, y1 - y0))
        self.boxes = self.ax.add_collection(
            PatchCollection(boxes, facecolor="white", edgecolor="none", alpha=0.7, zorder=3.0)
        )

    def _static_overlay(self) -> np.ndarray:
        self.canvas.draw()  # settles the layout (colour bar, aspect) before anything is measured
        self._label_boxes()
        dynamic = [self.polys, self.hatch, self.boxes, self.cb.ax, self.legend, self.ax.title,
                   *[item[1] for item in self.labels if item is not None]]  # fmt: skip
        for art in dynamic:
            art.set_visible(False)
        self.fig.patch.set_alpha(0.0)
        self.canvas.draw()
        overlay = np.asarray(self.canvas.buffer_rgba()).copy()
        for art in dynamic:
            art.set_visible(True)
        for art in self.static:
            art.set_visible(False)
        self.fig.patch.set_alpha(1.0)
        return overlay


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


_NET_CACHE: dict[int, tuple[object, str]] = {}


def _svg_network(result: SpatialResult, minx: float, maxy: float, scale: float) -> str:
    """The network as one SVG path (computed once per result, vectorised)."""
    key = id(result)
    hit = _NET_CACHE.get(key)
    if hit is not None and hit[0] is result.network:
        return hit[1]
    net = ""
    if result.network is not None and len(result.network):
        c = shapely.get_coordinates(result.network.to_numpy())
        x = np.round((c[:, 0] - minx) * scale).astype(np.int64).reshape(-1, 2)
        y = np.round((maxy - c[:, 1]) * scale).astype(np.int64).reshape(-1, 2)
        keep = (x[:, 0] != x[:, 1]) | (y[:, 0] != y[:, 1])  # sub-pixel edges add nothing
        x, y = x[keep], y[keep]
        parts = np.char.add(
            np.char.add(np.char.add("M", x[:, 0].astype(str)), ","), y[:, 0].astype(str)
        )
        parts = np.char.add(
            np.char.add(np.char.add(parts, "L"), x[:, 1].astype(str)),
            np.char.add(",", y[:, 1].astype(str)),
        )
        net = " ".join(parts.tolist())
    _NET_CACHE.clear()
    _NET_CACHE[key] = (result.network, net)
    return net


def _html(
    result: SpatialResult,
    code: str,
    unit: str,
    reasons: dict[tuple[str, str], str],
    flagged: set[tuple[str, str]],
) -> str:
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
        elif (name, code) in flagged:
            info += f" — 数据不足 low data quality: {reasons.get((name, code), '')}"
        label = html.escape(f"{name}: {info}")
        shapes.append(
            f'<path class="d" d="{_svg_path(geom, tx, ty)}" fill="{fill}" data-info="{label}"><title>{label}</title></path>'
        )
    net = _svg_network(result, minx, maxy, scale)
    all_val = float(result.indicators.set_index("district").loc[ALL, code])
    stops = "".join(
        f'<stop offset="{k / 10:.1f}" stop-color="{mcolors.to_hex(cmap(k / 10))}"/>'
        for k in range(11)
    )
    legend = json.dumps([f"{norm.vmin:g}", f"{norm.vmax:g}"])
    lab = result.labels.get(code, {})
    title = html.escape(f"{lab.get('zh', '')} {lab.get('en', '')} ({code})".strip())
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>
<style>
body{{font-family:sans-serif;margin:12px;color:#222}} #map{{border:1px solid #ccc;cursor:grab;max-width:100%}}
.d{{stroke:#fff;stroke-width:1;vector-effect:non-scaling-stroke}} .d:hover{{stroke:#000;stroke-width:2}}
#info{{min-height:1.4em;font-weight:bold}} small{{color:#555}}
</style></head><body>
<h3>{title} <small>({html.escape(unit)}) — 全区 whole area: {html.escape(_fmt(all_val, unit))}</small></h3>
<div id="info">指向街区查看数值，滚轮缩放，拖动平移。 Hover a district; scroll to zoom, drag to pan.</div>
<svg id="map" xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.1f} {height:.1f}">
<g>{"".join(shapes)}</g>
<path d="{net}" fill="none" stroke="#000" stroke-opacity="0.35" stroke-width="0.4" pointer-events="none" vector-effect="non-scaling-stroke"/>
</svg>
<div><svg width="320" height="40" xmlns="http://www.w3.org/2000/svg"><defs><linearGradient id="g">{stops}</linearGradient></defs>
<rect x="10" y="5" width="300" height="12" fill="url(#g)"/><text x="10" y="32" font-size="11" id="lo"></text>
<text x="310" y="32" font-size="11" text-anchor="end" id="hi"></text></svg></div>
<div><span style="display:inline-block;width:14px;height:10px;background:{_MISSING}"></span> <small>无数据 missing value (原因见提示与 missing.csv; reason in the tooltip and in missing.csv)</small></div>
<p><small>{html.escape(ATTRIBUTION)} · {html.escape(ATTRIBUTION_ZH)}. Map made with citycheckup; no external resources.</small></p>
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
