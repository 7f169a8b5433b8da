"""The indicator table: coverage, life circles, parks, roads — with missing and low-quality flags."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from citycheckup.spatial import _indicators as ind
from citycheckup.spatial._access import Access, compound_item_coverage
from citycheckup.spatial._areas import clipped_segments
from citycheckup.spatial._facilities import FacilityConfig, LifeCircle
from citycheckup.spatial._graph import WalkGraph
from citycheckup.spatial._osm import OSMData
from citycheckup.spatial._quality import QualityReport
from citycheckup.spatial._result import ALL, EUCLIDEAN, LOW, PARTIAL, IssueLog
from citycheckup.spatial._roads import BuiltUp, mohurd_road_density, road_classes

__all__ = ["Context", "indicator_table"]

_ROAD_ZH = {"expressway": "快速路", "arterial": "主干路", "secondary": "次干路", "branch": "支路"}


@dataclass
class Context:
    """Everything the indicator table is computed from."""

    config: FacilityConfig
    names: list[str]
    dist: gpd.GeoDataFrame
    area: shapely.Geometry
    crs: pyproj.CRS
    homes: gpd.GeoDataFrame
    graph: WalkGraph
    acc: Access
    data: OSMData
    builtup: BuiltUp
    res_land: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    quality: QualityReport
    issues: IssueLog
    has_population: bool
    has_poi: bool
    carriageway_merge_m: float
    intersection_tolerance_m: float


class _Table:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.cols: dict[str, pd.Series] = {}
        self.units: dict[str, str] = {}
        self.labels: dict[str, dict[str, str]] = {}
        self.deps: dict[str, list[str]] = {}  # code → kinds of inputs it rests on
        self.rows = [*ctx.names, ALL]

    def missing_all(self, code: str, reason: str) -> None:
        self.cols[code] = pd.Series(np.nan, index=self.rows)
        for n in self.rows:
            self.ctx.issues.add(n, code, reason)

    def put(
        self, code: str, values: pd.Series, unit: str, zh: str, en: str, deps: list[str]
    ) -> None:
        self.cols[code] = values.reindex(self.rows)
        self.units[code] = unit
        self.labels[code] = {"zh": zh, "en": en}
        self.deps[code] = deps

    def coverage(self, code: str, arrays: list[np.ndarray], radius: float, zh: str, en: str,
                 deps: list[str], *, network: bool) -> None:  # fmt: skip
        ctx = self.ctx
        self.units[code] = "%"
        self.labels[code] = {"zh": zh, "en": en}
        self.deps[code] = deps
        if network and ctx.graph.n_edges == 0:
            self.missing_all(code, "no walkable ways in the study area")
            return
        w = ctx.homes["weight"].to_numpy(float)
        hd = ctx.homes["district"].to_numpy()
        s = ind.life_circle_coverage(arrays, w, hd, ctx.names, threshold_m=radius)
        self.cols[code] = s.reindex(self.rows)
        for n in s.index[s.isna()]:
            ctx.issues.add(n, code, _empty_reason(ctx.homes, n, network))


def _empty_reason(homes: gpd.GeoDataFrame, district: str, network: bool) -> str:
    sel = homes["district"].to_numpy() == district if district != ALL else np.ones(len(homes), bool)
    if not sel.any():
        return "no homes in the district"
    if network and not homes["snapped"].to_numpy()[sel].any():
        return (
            "no home of the district lies within the maximum snap distance of the main walk network"
        )
    return "no home of the district can be evaluated (zero weight, or outside every residential compound)"


def _item_status(ctx: Context, lc: LifeCircle) -> list[dict[str, Any]]:
    out = []
    for it in lc.items:
        cats = [ctx.config.categories[c] for c in it.categories]
        expressible = any(
            c.osm_expressible or (ctx.has_poi and c.poi) or c.name in ("bus_stop", "rail_station")
            for c in cats
        )
        found = sum(ctx.acc.found(c.name) for c in cats)
        status = "not_expressible" if not expressible else ("checked" if found else "not_found")
        out.append({"circle": lc.name, "circle_zh": lc.name_zh, "item": it.item, "name_zh": it.name_zh,
                    "name_en": it.name_en, "categories": ",".join(it.categories), "status": status,
                    "facilities_found": found,
                    "osm_basis": "; ".join(f"{c.name}: {c.osm_basis}" for c in cats),
                    "sources": ",".join(dict.fromkeys(s for c in it.categories for s in ctx.acc.sources.get(c, [])))})  # fmt: skip
    return out


def _circle(t: _Table, lc: LifeCircle, circle_rows: list[dict[str, Any]]) -> None:
    ctx = t.ctx
    rows = [r for r in circle_rows if r["circle"] == lc.name]
    checked = [r["item"] for r in rows if r["status"] == "checked"]
    unchecked = [
        f"{r['name_zh']} ({r['item']}: {r['status'].replace('_', ' ')})"
        for r in rows
        if r["status"] != "checked"
    ]
    by_item = {it.item: it for it in lc.items}
    code = lc.code
    zh = (
        f"{lc.name_zh}配套设施覆盖率"
        if lc.scope == "compound"
        else f"{lc.name_zh.replace('居住区', '')}覆盖率"
    )
    en = f"{lc.name_en} coverage (GB 50180-2018 items)"
    deps = ["homes", "items:" + lc.name]
    if not checked:
        t.units[code] = "%"
        t.labels[code] = {"zh": zh, "en": en}
        t.deps[code] = deps
        t.missing_all(
            code, "no GB 50180 item of this circle was found in the data: " + "; ".join(unchecked)
        )
        return
    if lc.scope == "compound" and len(ctx.res_land) == 0:
        t.units[code] = "%"
        t.labels[code] = {"zh": zh, "en": en}
        t.deps[code] = deps
        t.missing_all(
            code, "no residential compound (landuse=residential) is mapped in the study area"
        )
        return
    if lc.scope == "compound":
        arrays = compound_item_coverage(
            ctx.homes, ctx.res_land.geometry, lc, ctx.acc.facilities, checked
        )
        t.coverage(code, arrays, 0.5, zh, en, deps, network=False)
    else:
        for variant, table in (("", ctx.acc.net), (EUCLIDEAN, ctx.acc.euc)):
            arrays = []
            for item in checked:
                present = [table[c] for c in by_item[item].categories if c in table]
                arrays.append(
                    np.fmin.reduce(np.vstack(present), axis=0) if len(present) > 1 else present[0]
                )
            t.coverage(code + variant, arrays, float(lc.distance_m or 0), zh + ("（直线距离）" if variant else ""),
                       en + (", straight-line" if variant else ""), deps, network=variant == "")  # fmt: skip
    if unchecked:
        msg = (
            f"computed over {len(checked)} of {len(rows)} GB 50180 items; not checked: "
            + "; ".join(unchecked)
        )
        for n in t.rows:
            for c in (code, code + EUCLIDEAN) if lc.scope == "network" else (code,):
                if np.isfinite(t.cols[c].get(n, np.nan)):
                    ctx.issues.add(n, c, msg, PARTIAL)


def _roads(t: _Table) -> dict[str, Any]:
    ctx = t.ctx
    rnodes, rseg = clipped_segments(ctx.data, ctx.data.roads, ctx.area, ctx.crs)
    codes_all = ("road_density_all_roads", "intersection_density")
    if not len(rseg):
        for code in (
            *codes_all,
            "road_network_density",
            *[f"road_density_{c}" for c in ctx.config.road_classes],
        ):
            t.units.setdefault(code, "km/km²" if code != "intersection_density" else "个/km²")
            t.missing_all(code, "no vehicle roads in the study area")
        return {}
    rpos = pd.Series(np.arange(len(rnodes)), index=rnodes["id"].to_numpy())
    ru, rv = rpos.loc[rseg.u].to_numpy(), rpos.loc[rseg.v].to_numpy()
    rx, ry = rnodes.x.to_numpy(), rnodes.y.to_numpy()
    lines = gpd.GeoSeries(
        shapely.linestrings(np.stack([np.c_[rx[ru], ry[ru]], np.c_[rx[rv], ry[rv]]], axis=1)),
        crs=ctx.crs,
    )
    cw = ind.carriageway_weights(
        lines, rseg.highway, rseg.oneway, rseg.way_id, merge_m=ctx.carriageway_merge_m
    )
    t.put("road_density_all_roads", ind.road_network_density(lines, cw, ctx.dist, ctx.area), "km/km²",
          "道路密度（全部机动车道路，按研究区面积）", "Road density, all motor roads per km² of study area (not MOHURD)",
          ["natural"])  # fmt: skip
    xpts = ind.consolidated_intersections(rx, ry, ru, rv, tolerance_m=ctx.intersection_tolerance_m)
    t.put("intersection_density", ind.intersection_density(xpts, ctx.dist, ctx.area), "个/km²",
          "道路交叉口密度", "Street-intersection density", ["natural"])  # fmt: skip
    res = shapely.union_all(ctx.res_land.geometry.to_numpy()) if len(ctx.res_land) else None
    cls = road_classes(
        lines,
        rseg.highway,
        rseg["access"] if "access" in rseg else [""] * len(rseg),
        res,
        ctx.config,
    )
    bu = ctx.builtup.geometry
    if bu.is_empty or bu.area == 0:
        for code in (
            "road_network_density",
            *[f"road_density_{c}" for c in ctx.config.road_classes],
        ):
            t.units[code] = "km/km²"
            t.missing_all(code, f"no built-up area ({ctx.builtup.source}); give --built-up")
    else:
        dens = mohurd_road_density(lines, cls, cw, ctx.dist, bu, tuple(ctx.config.road_classes))
        t.put("road_network_density", dens["total"], "km/km²", "城市道路网密度",
              "Urban road-network density (MOHURD: urban roads per km² of built-up area)", ["builtup"])  # fmt: skip
        for c in ctx.config.road_classes:
            t.put(f"road_density_{c}", dens[c], "km/km²", f"{_ROAD_ZH.get(c, c)}网密度",
                  f"Road density, {c} roads per km² of built-up area", ["builtup"])  # fmt: skip
        for n in t.rows:
            if np.isnan(t.cols["road_network_density"][n]):
                for code in (
                    "road_network_density",
                    *[f"road_density_{c}" for c in ctx.config.road_classes],
                ):
                    ctx.issues.add(n, code, "no built-up land in the district")
    length = shapely.length(lines.to_numpy()) * cw
    return {
        "segments": len(rseg),
        "centreline_km": round(float(length.sum()) / 1000, 3),
        "carriageway_km": round(float(lines.length.sum()) / 1000, 3),
        "urban_road_km_by_class": {
            c: round(float(length[cls == c].sum()) / 1000, 3) for c in ctx.config.road_classes
        },
        "compound_internal_km": round(float(length[cls == ""].sum()) / 1000, 3),
        "intersections": len(xpts),
    }


def _flags(t: _Table, circle_rows: list[dict[str, Any]]) -> pd.Series:
    ctx = t.ctx
    q = ctx.quality
    cfg = ctx.config.quality
    min_items = float(cfg.get("min_items_checked_share", 0.5))
    min_comp = float(cfg.get("min_facility_completeness", 0.5))
    low_rows: set[str] = set()
    for code, deps in t.deps.items():
        col = t.cols.get(code)
        if col is None:
            continue
        for n in t.rows:
            if not np.isfinite(col.get(n, np.nan)):
                continue
            reasons = []
            for dep in deps:
                if dep == "homes" and n in q.home_low:
                    reasons.append(q.home_low[n])
                elif dep == "natural" and n in q.natural_high:
                    reasons.append(q.natural_high[n])
                elif dep == "builtup" and n in q.builtup_low:
                    reasons.append(q.builtup_low[n])
                elif dep.startswith("cat:"):
                    c = dep[4:]
                    if c in q.category_completeness and q.category_completeness[c] < min_comp:
                        reasons.append(f"{ctx.acc.found(c)} {c} facilities found, {100 * q.category_completeness[c]:.0f} % "
                                       f"of the minimum GB 50180 implies for the residents (threshold {100 * min_comp:.0f} %)")  # fmt: skip
                elif dep.startswith("items:"):
                    rows = [r for r in circle_rows if r["circle"] == dep[6:]]
                    checked = [r for r in rows if r["status"] == "checked"]
                    if rows and len(checked) / len(rows) < min_items:
                        reasons.append(f"only {len(checked)} of {len(rows)} GB 50180 items found in the data "
                                       f"(threshold {100 * min_items:.0f} %)")  # fmt: skip
                    comps = [q.category_completeness[c] for r in checked for c in r["categories"].split(",")
                             if c in q.category_completeness]  # fmt: skip
                    if comps and float(np.mean(comps)) < min_comp:
                        reasons.append(f"the items found have on average {100 * np.mean(comps):.0f} % of the facilities "
                                       f"GB 50180 implies for the residents (threshold {100 * min_comp:.0f} %)")  # fmt: skip
            if reasons:
                ctx.issues.add(n, code, "; ".join(reasons), LOW)
                low_rows.add(n)
    return pd.Series(["low" if n in low_rows else "ok" for n in t.rows], index=t.rows)


def _variant_names(name_zh: str, name_en: str, variant: str) -> tuple[str, str]:
    """An indicator's names, marked as measured in straight lines for the Euclidean variant."""
    if not variant:
        return name_zh, name_en
    return name_zh + "（直线距离）", name_en + ", straight-line"


def indicator_table(
    ctx: Context,
) -> tuple[pd.DataFrame, dict[str, str], dict[str, dict[str, str]], pd.DataFrame, dict[str, Any]]:
    """Compute every indicator column, flag low-quality values, and add the ``quality`` column.

    Returns
    -------
    tuple
        The table (``district``, indicators, ``quality``), units, labels, the
        life-circle item table and road counts.
    """
    t = _Table(ctx)
    cfg = ctx.config
    circle_rows: list[dict[str, Any]] = []
    for lc in cfg.life_circles:
        circle_rows += _item_status(ctx, lc)
    for lc in cfg.life_circles:
        _circle(t, lc, circle_rows)
    for nc in cfg.named:
        for variant, table in (("", ctx.acc.net), (EUCLIDEAN, ctx.acc.euc)):
            code = nc.code + variant
            zh, en = _variant_names(nc.name_zh, nc.name_en, variant)
            if nc.category not in table:
                t.units[code] = "%"
                t.labels[code] = {"zh": zh, "en": en}
                t.missing_all(code, f"no {nc.category} facility found in the study area "
                                    f"({'/'.join(ctx.acc.sources.get(nc.category, [])) or 'no source'}): absent or not mapped")  # fmt: skip
                continue
            t.coverage(code, [table[nc.category]], nc.distance_m, zh, en, ["homes", f"cat:{nc.category}"],
                       network=variant == "")  # fmt: skip
    named = {(nc.category, int(nc.distance_m)) for nc in cfg.named}
    for c, radii in cfg.category_thresholds().items():
        if c not in ctx.acc.net:
            continue  # not found: named in life_circles.csv instead of a column of NaN
        cat = cfg.categories[c]
        for r in radii:
            if (c, r) in named:
                continue  # the same figure has its own code (e.g. transit_stop_coverage_500m)
            t.coverage(f"facility_{c}_coverage_{r}m", [ctx.acc.net[c]], r, f"{cat.name_zh}{r}米覆盖率",
                       f"{cat.name_en} within {r} m", ["homes", f"cat:{c}"], network=True)  # fmt: skip
    for rule in cfg.park_rules:
        for variant, table in (("", ctx.acc.net), (EUCLIDEAN, ctx.acc.euc)):
            code = rule.code + variant
            zh, en = _variant_names(rule.name_zh, rule.name_en, variant)
            ratios = [
                table[f"{rule.code}_{int(d)}m"] / d
                for _, d in rule.radii
                if f"{rule.code}_{int(d)}m" in table
            ]
            if not ratios:
                t.units[code] = "%"
                t.labels[code] = {"zh": zh, "en": en}
                sizes = " or ".join(f"≥ {a:g} m²" for a, _ in rule.radii)
                t.missing_all(
                    code, f"no {'/'.join(rule.categories)} of {sizes} in the study area (OSM)"
                )
                continue
            t.coverage(code, [np.fmin.reduce(np.vstack(ratios), axis=0)], 1.0, zh, en, ["homes"],
                       network=variant == "")  # fmt: skip
    road_counts = _roads(t)
    parks = (
        pd.concat([ctx.acc.facilities[c] for c in cfg.categories if c == "park"], ignore_index=True)
        if "park" in cfg.categories
        else None
    )
    code = "park_area_per_capita"
    t.units[code] = "m²/人"
    t.labels[code] = {"zh": "人均公园绿地面积", "en": "Park green space per capita"}
    if not ctx.has_population:
        t.missing_all(code, "needs a population (--population or --census)")
    elif parks is None or len(parks) == 0:
        t.missing_all(code, "no park in the study area (OSM)")
    else:
        hd = ctx.homes["district"].to_numpy()
        pop = (
            pd.Series(ctx.homes["weight"].to_numpy(float))
            .groupby(ind._groups(hd, ctx.names), observed=False)
            .sum()
        )
        s = ind.park_area_per_capita(parks.geometry, ctx.dist, ctx.area, pop)
        t.put(code, s, "m²/人", "人均公园绿地面积", "Park green space per capita", [])
        for n in s.index[s.isna()]:
            ctx.issues.add(n, code, "no residents in the district")
    code = "building_coverage_ratio"
    if len(ctx.buildings) == 0:
        t.units[code] = "%"
        t.labels[code] = {"zh": "建筑密度", "en": "Building coverage ratio"}
        t.missing_all(code, "no building mapped in the study area (OSM)")
    else:
        t.put(code, ind.building_coverage_ratio(ctx.buildings.geometry, ctx.dist, ctx.area), "%",
              "建筑密度", "Building coverage ratio", ["natural"])  # fmt: skip
    quality = _flags(t, circle_rows)
    table = pd.DataFrame({k: v.reindex(t.rows) for k, v in t.cols.items()})
    table["quality"] = quality
    table.index.name = "district"
    return table.reset_index(), t.units, t.labels, pd.DataFrame(circle_rows), road_counts
