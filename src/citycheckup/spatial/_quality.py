"""Data-quality measures: how completely the inputs describe the area, and which values to flag.

OpenStreetMap is often thin in Chinese cities: few buildings tagged as homes, few
facilities. Without a check, the indicators then measure the map's gaps. Per district
and for the whole area this module measures

* mapped homes and residential floor area against the population
  (floor area per resident vs the 2020 census figure), or, without a population,
  floor area per km² of built-up land;
* facilities found per 10,000 residents against the counts GB 50180 implies
  (one facility of a life-circle item per life-circle population);
* the share of the area that is water, forest or farmland;

and flags every indicator whose inputs fall below the thresholds of the mapping's
``quality`` section (documented in docs/spatial.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from citycheckup.spatial._facilities import FacilityConfig
from citycheckup.spatial._result import ALL

__all__ = ["QualityReport", "data_quality", "expected_facilities", "natural_land"]


@dataclass
class QualityReport:
    """Quality measures per district and the reasons that flag indicators."""

    table: pd.DataFrame
    home_low: dict[str, str] = field(default_factory=dict)
    natural_high: dict[str, str] = field(default_factory=dict)
    builtup_low: dict[str, str] = field(default_factory=dict)
    category_completeness: dict[str, float] = field(default_factory=dict)


def natural_land(features: gpd.GeoDataFrame, config: FacilityConfig) -> BaseGeometry:
    """Union of water, forest and farmland polygons (keys and values from ``quality.natural``)."""
    spec: dict[str, list[str]] = config.quality.get("natural", {})
    if not len(features) or not spec:
        return shapely.Polygon()
    mask = np.array(
        [any(t.get(k) in set(v) for k, v in spec.items()) for t in features["tags"]], bool
    )
    g = features[mask]
    g = g[g.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if g.empty:
        return shapely.Polygon()
    return shapely.union_all(shapely.make_valid(g.geometry.to_numpy()))


def expected_facilities(config: FacilityConfig, residents: float) -> dict[str, tuple[float, float]]:
    """Expected number of facilities per category for ``residents`` persons.

    A category used by a life circle serving ``[p_min, p_max]`` residents (GB
    50180-2018) is expected between ``residents / p_max`` and ``residents / p_min``
    times; a category in several circles takes the most local circle (the highest
    expectation).
    """
    out: dict[str, tuple[float, float]] = {}
    for lc in config.life_circles:
        if lc.population is None:
            continue
        lo, hi = residents / lc.population[1], residents / lc.population[0]
        for c in lc.categories:
            if c in config.polygon_categories:
                continue
            if c not in out or lo > out[c][0]:
                out[c] = (lo, hi)
    return out


def data_quality(
    districts: gpd.GeoDataFrame,
    area: BaseGeometry,
    homes: gpd.GeoDataFrame,
    *,
    has_population: bool,
    builtup: BaseGeometry,
    builtup_from_user: bool,
    natural: BaseGeometry,
    counts: dict[str, int],
    config: FacilityConfig,
) -> QualityReport:
    """Measure the inputs' completeness per district and for ``ALL``.

    Parameters
    ----------
    districts, area
        District polygons and the study area (projected).
    homes
        Homes with ``district``, ``weight`` (persons when ``has_population``),
        ``floor_area`` and ``source``.
    builtup, natural
        Built-up land and water/forest/farmland (projected).
    counts
        Facilities found per category in the study area.

    Returns
    -------
    QualityReport
        The measures (one row per district and ``ALL``) and the flag reasons.
    """
    q = config.quality
    fa_pp = float(q.get("floor_area_per_person_m2", 36.52))
    min_home = float(q.get("min_home_completeness", 0.5))
    min_fa_km2 = float(q.get("min_floor_area_per_builtup_km2", 50000))
    max_nat = float(q.get("max_natural_share", 0.3))
    names = districts["district"].astype(str).tolist()
    polys = [*districts.geometry, area]
    hd = homes["district"].to_numpy() if len(homes) else np.zeros(0, object)
    is_b = (homes["source"] == "building").to_numpy() if len(homes) else np.zeros(0, bool)
    w = homes["weight"].to_numpy(float) if len(homes) else np.zeros(0)
    fa = homes["floor_area"].to_numpy(float) if len(homes) else np.zeros(0)
    rows = []
    home_low: dict[str, str] = {}
    natural_high: dict[str, str] = {}
    builtup_low: dict[str, str] = {}
    for name, poly in zip([*names, ALL], polys, strict=True):
        sel = np.ones(hd.size, bool) if name == ALL else hd == name
        land = poly.area
        bu = shapely.intersection(poly, builtup).area if not builtup.is_empty else 0.0
        nat = shapely.intersection(poly, natural).area if not natural.is_empty else 0.0
        floor = float(fa[sel & is_b].sum())
        residents = float(w[sel].sum()) if has_population else np.nan
        completeness = floor / (residents * fa_pp) if has_population and residents > 0 else np.nan
        fa_bu = floor / (bu / 1e6) if bu > 0 else np.nan
        rows.append({
            "district": name,
            "residents": residents,
            "homes_mapped": int((sel & is_b).sum()),
            "residential_floor_area_m2": floor,
            "floor_area_per_resident_m2": floor / residents if has_population and residents > 0 else np.nan,
            "home_completeness_pct": 100 * completeness,
            "floor_area_per_builtup_km2": fa_bu,
            "builtup_share_pct": 100 * bu / land if land > 0 else np.nan,
            "natural_share_pct": 100 * nat / land if land > 0 else np.nan,
        })  # fmt: skip
        if has_population:
            if residents > 0 and completeness < min_home:
                home_low[name] = (f"mapped residential floor area {floor:,.0f} m² is {100 * completeness:.0f} % of "
                                  f"{residents:,.0f} residents × {fa_pp:g} m² (threshold {100 * min_home:.0f} %): "
                                  "homes are thinly mapped")  # fmt: skip
        elif bu > 0 and fa_bu < min_fa_km2:
            home_low[name] = (f"mapped residential floor area {fa_bu:,.0f} m² per km² of built-up land is below "
                              f"{min_fa_km2:,.0f} (no population given): homes are thinly mapped")  # fmt: skip
        if land > 0 and nat / land > max_nat:
            natural_high[name] = (f"{100 * nat / land:.0f} % of the area is water, forest or farmland (threshold "
                                  f"{100 * max_nat:.0f} %): per-area figures understate the built-up area")  # fmt: skip
        if not builtup_from_user and land > 0 and bu / land < 0.1:
            builtup_low[name] = (f"built-up land from OSM covers {100 * bu / land:.0f} % of the area: land use and "
                                 "buildings are thinly mapped (give --built-up)")  # fmt: skip
    table = pd.DataFrame(rows)
    comp: dict[str, float] = {}
    total_res = float(table.loc[table.district == ALL, "residents"].iloc[0])
    if has_population and total_res > 0:
        for cat, (lo, _hi) in expected_facilities(config, total_res).items():
            comp[cat] = min(1.0, counts.get(cat, 0) / lo) if lo > 0 else 1.0
    quality = []
    for name in table["district"]:
        reasons = [
            r for r in (home_low.get(name), natural_high.get(name), builtup_low.get(name)) if r
        ]
        quality.append("; ".join(reasons))
    table["flags"] = quality
    return QualityReport(table, home_low, natural_high, builtup_low, comp)


def facility_table(
    config: FacilityConfig,
    counts: dict[str, int],
    residents: float | None,
    statuses: dict[str, str],
) -> pd.DataFrame:
    """Facilities found per category against GB 50180 expectations (whole area)."""
    exp = expected_facilities(config, residents) if residents else {}
    min_c = float(config.quality.get("min_facility_completeness", 0.5))
    rows = []
    for name, cat in config.categories.items():
        lo, hi = exp.get(name, (np.nan, np.nan))
        n = counts.get(name, 0)
        per10k = 1e4 * n / residents if residents else np.nan
        status = statuses.get(name, "")
        if np.isfinite(lo) and lo > 0:
            status = status or ("low" if n / lo < min_c else "ok")
        rows.append({
            "category": name, "name_zh": cat.name_zh, "name_en": cat.name_en,
            "osm_expressible": cat.osm_expressible, "found": n, "per_10k_residents": per10k,
            "expected_min_per_10k": 1e4 * lo / residents if residents and np.isfinite(lo) else np.nan,
            "expected_max_per_10k": 1e4 * hi / residents if residents and np.isfinite(hi) else np.nan,
            "status": status,
        })  # fmt: skip
    return pd.DataFrame(rows)
