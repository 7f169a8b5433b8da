"""Blocks, measures and located problems of the demo's district check-up.

The embedded extract (:func:`citycheckup.spatial.data.osm_extract`, a part of Haidian,
Beijing; © OpenStreetMap contributors, ODbL) is cut into **blocks (街区)** along its urban
roads; the spatial check-up (:func:`citycheckup.spatial.compute_spatial`) measures the
GB 50180-2018 life circles, park service coverage (the L-06 rule), secondary-school and
fresh-market coverage in each block, with its data-quality flags; every block below a
standard of the remediation catalogue becomes a **located problem**, recorded in an
:class:`~citycheckup.inventory.Inventory` as a desk survey of the district, and the chain
问题清单 → 整治建议清单 → 城市更新项目库 is exported as MOHURD's annexes (XLSX, zh and en)
and as GeoPackages (CGCS2000 and WGS-84).

Choices (each stated in the outputs):

* **Blocks** are the areas enclosed by urban roads — 快速路, 主干路, 次干路 and 支路 (OSM
  ``motorway``, ``trunk``, ``primary``, ``secondary``, ``tertiary``; links excluded) — and the
  extract's edge; pieces under 2 ha (road medians, slip-road islands; GB 50180's smallest
  unit, the 居住街坊, is 2–4 ha) join the neighbour they share most border with. A 街区 is an
  area enclosed by urban roads: a square grid would cut compounds and campuses in two, and
  the 12 mapped compounds (``landuse=residential``) would leave most homes outside any block.
* **Standards** are the ``standard`` of the spatial indicator's entry in the remediation
  catalogue. A block is below standard when its value is *strictly* lower: a value equal to
  the standard meets it. Indicators without a standard are computed and mapped, never turned
  into problems; the summary lists them.
* **One problem per block and shortfall.** For a life circle, one per GB 50180 item whose
  coverage in the block is below the circle's standard (the item is the sub-item); when
  every item meets it but not all together, one with sub-item ``combined``. For parks,
  schools and markets, one per block. A problem is located at the home (residential
  building) beyond the distance nearest to the weighted centre of those homes; a 居住街坊
  problem (no per-home measure) at the block's representative point.
* **Year** = the year of the OSM data (latest edit 2026-03-22); the date found = that date.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.ops import polygonize, unary_union

from citycheckup.demo._district_outputs import COMBINED, describe, english
from citycheckup.errors import DataError
from citycheckup.spatial import (
    FacilityConfig,
    OSMData,
    SpatialResult,
    coverage_share,
    load_facility_config,
    utm_crs,
)
from citycheckup.spatial._areas import clipped_segments

__all__ = [
    "BLOCK_ROAD_CLASSES",
    "EDGE_SHARE",
    "MIN_BLOCK_AREA_M2",
    "PROBLEM_COLUMNS",
    "Measure",
    "below_standard",
    "block_names",
    "block_problems",
    "measures",
    "road_blocks",
    "severity",
]

logger = logging.getLogger(__name__)

#: OSM highway classes whose ways bound a block (快速路, 主干路, 次干路, 支路; links excluded).
BLOCK_ROAD_CLASSES: tuple[str, ...] = ("motorway", "trunk", "primary", "secondary", "tertiary")
#: Pieces between roads smaller than this join a neighbour (GB 50180 居住街坊: 2–4 ha).
MIN_BLOCK_AREA_M2 = 20_000.0
#: A problem is flagged ``edge`` when at least this share of its homes beyond the distance
#: lies closer to the extract's edge than the walking distance (facilities beyond the edge
#: are not in the data).
EDGE_SHARE = 0.5
#: Columns of :func:`block_problems`.
PROBLEM_COLUMNS = [
    "block_id", "indicator", "mohurd_id", "source", "kind", "value", "standard", "standard_source",
    "distance_m", "severity", "sub_item", "sub_item_zh", "sub_item_en", "homes_beyond",
    "floor_area_beyond_m2", "lon", "lat", "near_edge", "edge", "quality", "description_zh",
    "description_en", "notes_zh", "notes_en",
]  # fmt: skip


@dataclass(frozen=True)
class Measure:
    """A spatial indicator whose blocks below standard become located problems."""

    code: str
    """Code of the located-problem indicator (``lc15_shortfall``, ``park_service_shortfall`` …)."""
    source: str
    """The spatial indicator it reads (``life_circle_15min_coverage`` …)."""
    kind: Literal["circle", "compound", "park", "named"]
    name_zh: str
    name_en: str
    mohurd_id: str | None
    distance_m: float | None
    circle: str | None = None
    """The life circle (``15min`` …; ``block`` for the 居住街坊)."""
    items: tuple[Any, ...] = ()
    """GB 50180 items of a life circle."""
    columns: tuple[tuple[str, float], ...] = ()
    """``homes`` distance columns and their limits (m): a home is served when any holds."""


@functools.lru_cache(maxsize=1)
def _mohurd_ids() -> dict[str, str | None]:
    """Indicator code → MOHURD id in the built-in ``mohurd-2025`` framework."""
    from citycheckup.framework import load_framework

    return {i.code: i.mohurd_id for i in load_framework("mohurd-2025").indicators}


def measures(config: FacilityConfig, labels: Mapping[str, Mapping[str, str]]) -> list[Measure]:
    """The measures of the district check-up, in the order of the problem list.

    Life circles (15, 10, 5 minutes, 居住街坊), park service coverage (the L-06 rule),
    secondary-school and fresh-market coverage. MOHURD ids are those the ``mohurd-2025``
    framework gives the same indicator code.
    """
    ids = _mohurd_ids()

    def names(code: str) -> tuple[str, str]:
        lab = labels.get(code, {})
        return lab.get("zh", code), english(lab.get("en", code))

    out: list[Measure] = []
    for lc in sorted(config.life_circles, key=lambda c: -(c.distance_m or 0)):
        zh, en = names(lc.code)
        if lc.scope == "compound":  # inside the compound: no walking distance, no per-item measure
            m = Measure(
                "residential_block_shortfall",
                lc.code,
                "compound",
                zh,
                en,
                ids.get(lc.code),
                None,
                lc.name,
            )
        else:
            m = Measure(f"lc{lc.name.removesuffix('min')}_shortfall", lc.code, "circle", zh, en,
                        ids.get(lc.code), lc.distance_m, lc.name, lc.items)  # fmt: skip
        out.append(m)
    for rule in config.park_rules:
        if rule.code == "park_service_coverage":  # the L-06 rule
            cols = tuple((f"net_{rule.code}_{int(d)}m_m", d) for _, d in rule.radii)
            out.append(Measure("park_service_shortfall", rule.code, "park", *names(rule.code),
                               ids.get(rule.code), max(d for _, d in rule.radii), columns=cols))  # fmt: skip
    for n in config.named:
        if n.code in ("secondary_school_coverage", "fresh_market_coverage"):
            out.append(Measure(n.code.replace("_coverage", "_shortfall"), n.code, "named", *names(n.code),
                               ids.get(n.code) or n.mohurd_id, n.distance_m,
                               columns=((f"net_{n.category}_m", n.distance_m),)))  # fmt: skip
    return out


def below_standard(value: float, standard: float) -> bool:
    """Whether a coverage value misses its standard: strictly lower (equal meets it).

    >>> below_standard(79.9, 80.0), below_standard(80.0, 80.0), below_standard(80.1, 80.0)
    (True, False, False)
    """
    return bool(np.isfinite(value) and value < standard)


def severity(value: float, standard: float) -> str:
    """Severity of a shortfall (a proposal of this project [I]).

    ``severe`` below half the standard; ``minor`` within 10 percentage points of it;
    ``moderate`` between.

    >>> severity(44.9, 90), severity(45.0, 90), severity(80.0, 90), severity(79.9, 90)
    ('severe', 'moderate', 'minor', 'moderate')
    """
    if value < standard / 2:
        return "severe"
    return "minor" if standard - value <= 10 else "moderate"


# --------------------------------------------------------------------------------------------
# blocks


def _merge_small(polys: list[Any], min_area: float) -> list[Any]:
    """Merge pieces under ``min_area`` (smallest first) into the neighbour sharing most border.

    A piece that touches no other piece along a line stays as it is.
    """
    polys = list(polys)
    stuck: set[int] = set()
    while True:
        small = sorted(
            (p.area, i) for i, p in enumerate(polys) if p.area < min_area and i not in stuck
        )
        if not small:
            return polys
        i = small[0][1]
        shared = [
            (polys[i].boundary.intersection(q.boundary).length, j)
            for j, q in enumerate(polys)
            if j != i
        ]
        best = max(shared, default=(0.0, -1))
        if best[0] <= 0:
            stuck.add(i)
            continue
        polys[best[1]] = shapely.union(polys[best[1]], polys[i])
        del polys[i]
        stuck = {k - (k > i) for k in stuck}


def road_blocks(data: OSMData) -> gpd.GeoDataFrame:
    """Blocks (街区) of an extract: the areas its urban roads and its edge enclose.

    Roads of :data:`BLOCK_ROAD_CLASSES`, clipped to the extract's bounds, cut the study area;
    pieces under :data:`MIN_BLOCK_AREA_M2` join the neighbour they share most border with.
    Blocks are numbered ``B01`` … in rows of 200 m from north to south, west to east.

    Returns
    -------
    geopandas.GeoDataFrame
        ``block_id``, ``area_km2`` and polygons in WGS-84.
    """
    if data.bounds is None:
        raise DataError(f"{data.source}: the extract has no bounds; blocks need its edge")
    crs = utm_crs(data.bounds.centroid.x, data.bounds.centroid.y)
    area = gpd.GeoSeries([data.bounds], crs="EPSG:4326").to_crs(crs).iloc[0]
    nodes, seg = clipped_segments(
        data, data.roads[data.roads["highway"].isin(BLOCK_ROAD_CLASSES)], area, crs
    )
    pos = pd.Series(np.arange(len(nodes)), index=nodes["id"].to_numpy())
    u, v = pos.loc[seg.u].to_numpy(), pos.loc[seg.v].to_numpy()
    x, y = nodes.x.to_numpy(), nodes.y.to_numpy()
    lines = shapely.linestrings(np.stack([np.c_[x[u], y[u]], np.c_[x[v], y[v]]], axis=1))
    pieces = [
        p
        for p in polygonize(unary_union([*lines, area.exterior]))
        if area.contains(p.representative_point())
    ]
    polys = _merge_small(pieces, MIN_BLOCK_AREA_M2)
    pts = [p.representative_point() for p in polys]
    order = sorted(range(len(polys)), key=lambda i: (-round(pts[i].y / 200), pts[i].x))
    return gpd.GeoDataFrame(
        {"block_id": [f"B{k + 1:02d}" for k in range(len(order))],
         "area_km2": [round(polys[i].area / 1e6, 4) for i in order]},
        geometry=[polys[i] for i in order], crs=crs,
    ).to_crs("EPSG:4326")  # fmt: skip


def block_names(data: OSMData, blocks: gpd.GeoDataFrame) -> tuple[list[str], list[str]]:
    """Chinese and English block names: ID and the largest named campus, compound or park in it.

    A landmark counts with at least half a hectare inside the block; the English name
    carries it only when OpenStreetMap has its ``name:en``.
    """
    kinds = {("amenity", "university"), ("amenity", "college"), ("amenity", "school"),
             ("landuse", "residential"), ("leisure", "park")}  # fmt: skip
    f = data.features
    keep = [bool(t.get("name")) and any((k, t.get(k)) in kinds for k in ("amenity", "landuse", "leisure"))
            for t in f["tags"]]  # fmt: skip
    f = f[keep]
    f = f[f.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    crs = utm_crs(*blocks.union_all().centroid.coords[0])
    fp = f.to_crs(crs)
    zh, en = [], []
    for bid, geom in zip(blocks["block_id"], blocks.to_crs(crs).geometry, strict=True):
        inside = [
            (shapely.intersection(g, geom).area, t)
            for g, t in zip(fp.geometry, fp["tags"], strict=True)
        ]
        best = max((x for x in inside if x[0] >= 5_000), key=lambda x: x[0], default=None)
        name_zh, name_en = (best[1]["name"], best[1].get("name:en", "")) if best else ("", "")
        zh.append(f"{bid}街区" + (f"（{name_zh}一带）" if name_zh else ""))
        en.append(f"Block {bid}" + (f" ({name_en} area)" if name_en else ""))
    return zh, en


# --------------------------------------------------------------------------------------------
# problems


def _served(homes: gpd.GeoDataFrame, columns: Mapping[str, float]) -> np.ndarray:
    """Per home: 0 when any distance column is within its limit, ``inf`` when none, NaN off the network.

    ``homes.gpkg`` leaves a distance empty both for a home off the main network and for one
    with nothing reachable; ``snapped`` tells them apart. A column that is absent means that
    no facility of its category was found (nothing reachable).
    """
    snapped = homes["snapped"].to_numpy().astype(bool)
    served = np.zeros(len(homes), bool)
    for col, limit in columns.items():
        if col in homes.columns:
            served |= homes[col].to_numpy(float) <= limit
    return np.where(snapped, np.where(served, 0.0, np.inf), np.nan)


def _standard(cat: Mapping[str, Any], m: Measure) -> tuple[float, str] | None:
    e = cat["indicators"].get(m.source) or {}
    if e.get("standard") is None:
        return None
    return float(e["standard"]), str(e.get("standard_source") or "remediation catalogue")


def block_problems(
    result: SpatialResult,
    blocks: gpd.GeoDataFrame,
    *,
    catalogue: Mapping[str, Any],
    config: FacilityConfig | None = None,
) -> tuple[pd.DataFrame, list[Measure]]:
    """Blocks below standard as located problems, with measured values, standards and quality.

    Parameters
    ----------
    result
        The spatial check-up whose districts are ``blocks.block_id``.
    blocks
        :func:`road_blocks` with ``name_zh`` and ``name_en``.
    catalogue
        Remediation catalogue; a measure's standard is its spatial indicator's ``standard``.

    Returns
    -------
    tuple
        The problems (``block_id, indicator, mohurd_id, source, kind, sub_item,
        sub_item_zh/en, value, standard, standard_source, distance_m, severity, lon, lat,
        homes_beyond, floor_area_beyond_m2, near_edge, edge, quality, description_zh/en,
        notes_zh/en``) and the measures without a standard (not turned into problems).

    Notes
    -----
    A life-circle item's coverage is :func:`~citycheckup.spatial.coverage_share` of the
    homes with a facility of the item within the circle's distance, as the spatial module
    computes the circle itself (which requires every checked item).
    """
    config = config or load_facility_config()
    homes = result.homes
    w = homes["weight"].to_numpy(float)
    hd = homes["district"].astype(str).to_numpy()
    ids = blocks["block_id"].astype(str).tolist()
    names = dict(zip(ids, zip(blocks["name_zh"], blocks["name_en"], strict=True), strict=True))
    values = result.indicators.set_index("district")
    low = result.missing[result.missing["status"] == "low_quality"]
    reasons = low.groupby(["district", "indicator"])["reason"].apply(list).to_dict()
    edge_m = shapely.distance(homes.geometry.to_numpy(), result.study_area.boundary)  # type: ignore[union-attr]
    xy = homes.geometry.to_numpy()
    wgs = homes.geometry.to_crs("EPSG:4326")
    lons, lats = wgs.x.to_numpy(), wgs.y.to_numpy()
    lc = result.life_circles
    rows: list[dict[str, Any]] = []

    def add(
        m: Measure, b: str, sub: Any, value: float, std: tuple[float, str], far: np.ndarray | None
    ) -> None:
        p: dict[str, Any] = {"block_id": b, "indicator": m.code, "mohurd_id": m.mohurd_id, "source": m.source,
                             "kind": m.kind, "value": float(value), "standard": std[0],
                             "standard_source": std[1], "distance_m": m.distance_m,
                             "severity": severity(value, std[0])}  # fmt: skip
        if sub is None:
            p.update(sub_item=None, sub_item_zh="", sub_item_en="")
        elif sub == "combined":
            p.update(sub_item="combined", sub_item_zh=COMBINED["zh"], sub_item_en=COMBINED["en"])
        else:
            p.update(sub_item=sub.item, sub_item_zh=sub.name_zh, sub_item_en=english(sub.name_en))
        if far is not None and far.any():
            wf = w[far] + 1e-9  # zero-weight homes still locate
            centre = shapely.Point(np.average(shapely.get_x(xy[far]), weights=wf),
                                   np.average(shapely.get_y(xy[far]), weights=wf))  # fmt: skip
            k = np.flatnonzero(far)[int(np.argmin(shapely.distance(xy[far], centre)))]
            lon, lat = lons[k], lats[k]
            near = float(wf[edge_m[far] < (m.distance_m or 0)].sum() / wf.sum())
            p.update(
                homes_beyond=int(far.sum()), floor_area_beyond_m2=round(float(w[far].sum()), 1)
            )
        else:  # 居住街坊: no per-home measure
            rep = blocks.loc[blocks["block_id"] == b].geometry.iloc[0].representative_point()
            lon, lat, near = rep.x, rep.y, 0.0
            p.update(homes_beyond=0, floor_area_beyond_m2=np.nan)
        why = reasons.get((b, m.source), [])
        p.update(lon=round(lon, 7), lat=round(lat, 7), near_edge=round(near, 4), edge=near >= EDGE_SHARE,
                 quality="low" if why else "ok")  # fmt: skip
        p.update(describe(p, (m.name_zh, m.name_en), names[b], why))
        rows.append(p)

    no_standard: list[Measure] = []
    for m in measures(config, result.labels):
        std = _standard(catalogue, m)
        if std is None or m.source not in values.columns:
            no_standard.append(m)
            continue
        checked = set(lc.loc[(lc["circle"] == m.circle) & (lc["status"] == "checked"), "item"])
        # per checked item of a life circle: who is served, and the coverage of every block
        items = [
            (it, d, coverage_share(d, w, hd, ids, threshold_m=0.0))
            for it in m.items
            if it.item in checked
            for d in [_served(homes, {f"net_{c}_m": m.distance_m or 0.0 for c in it.categories})]
        ]
        served = _served(homes, dict(m.columns)) if m.columns else None
        for b in ids:
            v = float(cast(float, values.at[b, m.source]))
            if not below_standard(v, std[0]):
                continue
            in_b = hd == b
            if m.kind == "compound":
                add(m, b, None, v, std, None)
            elif served is not None:
                add(m, b, None, v, std, in_b & (served == np.inf))
            else:
                hits = [
                    (it, d, float(cov[b]))
                    for it, d, cov in items
                    if below_standard(float(cov[b]), std[0])
                ]
                for it, d, c in hits:
                    add(m, b, it, c, std, in_b & (d == np.inf))
                if not hits:
                    far = (
                        np.logical_or.reduce([d == np.inf for _, d, _ in items]) if items else in_b
                    )
                    add(m, b, "combined", v, std, in_b & far)
    return pd.DataFrame(rows, columns=PROBLEM_COLUMNS), no_standard
