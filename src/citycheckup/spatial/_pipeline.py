"""The spatial check-up pipeline: OSM extract → walk graph → distances → indicators.

The steps live in their own modules: inputs and study area (``_inputs``), OSM reading
(``_osm``), districts (``_areas``), homes and population (``_population``), POI tables
(``_poi``), facilities and distances (``_access``), indicator formulas
(``_indicators``, ``_roads``), data quality (``_quality``) and the indicator table
(``_table``). Writing is in ``_outputs``, maps in ``_maps``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from citycheckup import __version__
from citycheckup.errors import SpatialError
from citycheckup.spatial._access import (
    Destinations,
    facilities_by_category,
    facility_destinations,
    network_distances,
)
from citycheckup.spatial._areas import (
    admin_districts,
    clipped_segments,
    file_districts,
    grid_districts,
    utm_crs,
)
from citycheckup.spatial._facilities import FacilityConfig, load_facility_config
from citycheckup.spatial._graph import WalkGraph, snap_points
from citycheckup.spatial._gtfs import gtfs_stops
from citycheckup.spatial._inputs import (
    LayerInput,
    crs_note,
    input_record,
    layer,
    projected,
    study_area,
)
from citycheckup.spatial._osm import WGS84, read_osm
from citycheckup.spatial._poi import PoiCRS, detect_shift, read_poi_table
from citycheckup.spatial._population import (
    RASTER_SUFFIXES,
    homes_from_buildings,
    population_homes,
    read_census,
)
from citycheckup.spatial._prefetch import PendingRead
from citycheckup.spatial._quality import data_quality, facility_table, natural_land
from citycheckup.spatial._result import ALL, ATTRIBUTION, IssueLog, SpatialResult
from citycheckup.spatial._roads import builtup_area
from citycheckup.spatial._table import Context, indicator_table

__all__ = ["ATTRIBUTION", "SpatialResult", "compute_spatial"]

logger = logging.getLogger(__name__)


@contextmanager
def _timed(timings: dict[str, float], step: str) -> Iterator[None]:
    t0 = time.perf_counter()
    logger.info("spatial: %s", step)
    yield
    timings[step] = round(time.perf_counter() - t0, 3)


def _clean_features(feats: gpd.GeoDataFrame, area: shapely.Geometry) -> gpd.GeoDataFrame:
    if not len(feats):
        return feats
    geoms = feats.geometry.to_numpy()
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        geoms = geoms.copy()
        geoms[bad] = shapely.make_valid(geoms[bad], method="structure", keep_collapsed=False)
        feats = feats.set_geometry(geoms)
    return feats[shapely.intersects(feats.geometry.to_numpy(), area)].reset_index(drop=True)


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
    census: str | Path | pd.DataFrame | None = None,
    census_column: str | None = None,
    gtfs: str | Path | None = None,
    poi: str | Path | None = None,
    poi_crs: PoiCRS = "wgs84",
    built_up: LayerInput = None,
    facilities: str | Path | FacilityConfig | None = None,
    year: int | None = None,
    max_snap_m: float = 100.0,
    max_distance_m: float = 2000.0,
    carriageway_merge_m: float = 30.0,
    intersection_tolerance_m: float = 15.0,
    on_layout: Callable[[gpd.GeoDataFrame, gpd.GeoSeries, BaseGeometry], None] | None = None,
    prefetched: PendingRead | None = None,
) -> SpatialResult:
    """Compute the spatial indicators of an OSM extract, per district and for ``ALL``.

    Parameters
    ----------
    osm
        ``.osm.pbf`` or ``.osm`` XML extract.
    boundary
        Study-area polygon(s) (file or GeoDataFrame); the extract's bounds when omitted.
    districts
        District polygons (file or GeoDataFrame, any CRS incl. CGCS2000); ids from
        ``district_id`` or the first of ``district``/``name``/``code``/``id``/``街道``/``社区``….
    admin_level
        Use OSM ``boundary=administrative`` relations of this level as districts
        (partial ones assembled where their ways are present); falls back to a grid
        (``grid`` or 500 m) when the extract has none.
    grid
        Regular square grid of this size (m) as districts (default: 500 m).
    population
        Population grid: a GeoTIFF (e.g. WorldPop) or polygons/points with a
        population column (``population_column``). Persons are disaggregated onto
        residential buildings by floor area; shares become population-weighted.
    census
        Census totals by district (CSV/XLSX with district id and population, ids as
        in ``districts``); the population is scaled to them.
    gtfs
        GTFS feed; its stops replace OSM bus stops and rail stations.
    poi
        POI table (CSV/XLSX/GeoPackage with category and coordinates), added to
        the OSM facilities through the ``poi`` keywords of the mapping.
    poi_crs
        Coordinate system of the POI table: ``wgs84``, ``gcj02`` or ``bd09``.
    built_up
        Built-up-area (建成区) polygon for MOHURD road density; derived from OSM land
        use and buildings when omitted.
    facilities
        Facility mapping (YAML path or parsed); the built-in GB 50180 mapping when omitted.
    year
        Written as a ``year`` column.
    max_snap_m
        Homes and facilities farther than this from the main walk network are
        reported and left out of the network indicators.
    max_distance_m
        Network searches stop at this distance; farther distances are ``inf``.
    carriageway_merge_m
        Dual-carriageway merge distance for road densities.
    intersection_tolerance_m
        Intersections closer than this are consolidated.
    on_layout
        Called once the districts and the walk network are known, with the districts, the
        network's edges and the study area (all projected); the spatial command uses it to
        have its map workers build the figure while the distances are computed.
    prefetched
        The same extract already being read by another process
        (:class:`~citycheckup.spatial._prefetch.PendingRead`); its data are used instead of
        reading ``osm`` here.

    Returns
    -------
    SpatialResult
        Indicators with a ``quality`` column, missing and low-quality values with
        reasons, quality measures, life-circle items, districts, homes, manifest.

    Raises
    ------
    SpatialError
        For unusable inputs: a corrupt or empty extract, layers without a CRS,
        districts that do not overlap the extract, bad POI or census tables.
    """
    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    notes: list[str] = []
    issues = IssueLog()
    config = (
        facilities if isinstance(facilities, FacilityConfig) else load_facility_config(facilities)
    )
    if config.max_distance > max_distance_m:
        raise SpatialError(
            f"max_distance_m={max_distance_m:g} is below the largest coverage distance {config.max_distance:g} m; raise it"
        )
    with _timed(timings, "read"):
        pop_raster = isinstance(population, (str, Path)) and str(population).lower().endswith(
            RASTER_SUFFIXES
        )
        user = {
            "boundary": layer(boundary, "boundary"),
            "districts": layer(districts, "districts"),
            "population": None if pop_raster else layer(population, "population"),
            "built_up": layer(built_up, "built-up area"),
        }
        notes += crs_note(user)
        census_totals = read_census(census, column=census_column) if census is not None else None
        poi_table = read_poi_table(poi, crs=poi_crs) if poi is not None else None
        if prefetched is not None and prefetched.path != Path(osm):
            raise ValueError(f"the extract read ahead is {prefetched.path}, not {osm}")
        data = prefetched.result() if prefetched is not None else read_osm(osm)
    area_wgs, area_source = study_area(data, user["boundary"])
    crs = utm_crs(area_wgs.centroid.x, area_wgs.centroid.y)
    area = projected(area_wgs, crs)
    logger.info("spatial: study area %.3f km² in %s", area.area / 1e6, crs.name)

    with _timed(timings, "walk graph"):
        wnodes, wseg = clipped_segments(data, data.walk, area, crs)
        pos = pd.Series(np.arange(len(wnodes)), index=wnodes["id"].to_numpy())
        graph = WalkGraph.from_edges(
            wnodes.x.to_numpy(), wnodes.y.to_numpy(),
            pos.loc[wseg.u].to_numpy(), pos.loc[wseg.v].to_numpy(), wseg.length.to_numpy(),
            node_ids=wnodes["id"].to_numpy(),
        )  # fmt: skip
    if graph.n_edges == 0:
        logger.warning(
            "no walkable ways in %s within the study area: network indicators are missing",
            data.source,
        )
        notes.append("no walkable ways in the study area: every network indicator is missing")
    else:
        main_share = float(graph.length[graph.main_edges].sum() / max(graph.length.sum(), 1e-9))
        if main_share < 0.999:
            notes.append(f"the walk network has {int(graph.component.max()) + 1} connected parts; the main one holds "
                         f"{100 * main_share:.1f} % of its length. Homes and facilities are attached to the main part")  # fmt: skip

    with _timed(timings, "features"):
        feats = (
            data.features.to_crs(crs)
            if len(data.features)
            else data.features.set_crs(WGS84).to_crs(crs)
        )
        feats = _clean_features(feats, area)
        tags = feats["tags"].tolist() if len(feats) else []
        pois = None
        if poi_table is not None:
            pois = poi_table.to_crs(crs)
            poi_keys = ("amenity", "shop", "office", "leisure", "tourism", "healthcare")
            ref = (
                feats.geometry.to_numpy()[
                    np.array([any(k in t for k in poi_keys) for t in tags], bool)
                ]
                if len(feats)
                else np.empty(0, object)
            )
            probe = poi_table.copy()
            probe.attrs.update(poi_table.attrs, projected_crs=crs)
            shift = detect_shift(probe, ref)
            if shift:
                logger.warning(shift)
                notes.append(shift)
            inside = shapely.contains_xy(
                area, pois.geometry.x.to_numpy(), pois.geometry.y.to_numpy()
            )
            if not inside.any():
                raise SpatialError(
                    f"no POI of {poi} lies in the study area; check --poi-crs and the file"
                )
            pois = pois[inside]
        stops = None
        stop_source = "OpenStreetMap"
        if gtfs is not None:
            stops = gtfs_stops(gtfs).to_crs(crs)
            stops = stops[
                shapely.contains_xy(area, stops.geometry.x.to_numpy(), stops.geometry.y.to_numpy())
            ]
            stops.attrs["source"] = Path(gtfs).name
            stop_source = f"GTFS {Path(gtfs).name}"
        acc = facilities_by_category(feats, area, config, pois=pois, stops=stops)
        bmask = np.array(["building" in t and t.get("building") != "no" for t in tags], bool)
        buildings = feats[bmask] if len(feats) else feats
        buildings = buildings[buildings.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
        buildings = buildings.set_geometry(
            shapely.intersection(buildings.geometry.to_numpy(), area)
        )
        lu = np.array([t.get("landuse") in config.generic_building_landuse for t in tags], bool)
        res_land = feats[lu] if len(feats) else feats
        res_land = res_land[res_land.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
        res_land_geom = (
            shapely.union_all(shapely.make_valid(res_land.geometry.to_numpy()))
            if len(res_land)
            else None
        )
        bu_user = (
            shapely.union_all(shapely.make_valid(user["built_up"].to_crs(crs).geometry.to_numpy()))
            if user["built_up"] is not None
            else None
        )
        builtup = builtup_area(feats, buildings, area, config, boundary=bu_user)
        natural = natural_land(feats, config)

    with _timed(timings, "districts"):
        dist, district_source = _districts(
            data, user["districts"], district_id, admin_level, grid, area, crs, notes
        )
        names = dist["district"].astype(str).tolist()
        if ALL in names:
            raise SpatialError(
                f"a district is named {ALL!r}, which is reserved for the whole area; rename it"
            )
        if on_layout is not None:
            on_layout(dist, gpd.GeoSeries(graph.edge_lines, crs=crs), area)

    with _timed(timings, "homes"):
        bhomes = homes_from_buildings(buildings, res_land_geom, config)
        has_pop = population is not None or census_totals is not None
        pop_method = None
        if has_pop:
            pr = population_homes(
                bhomes, area, crs,
                grid=population if pop_raster else user["population"], column=population_column,
                census=census_totals, districts=dist,
            )  # fmt: skip
            homes, pop_method = pr.homes, pr.method
            notes += pr.notes
            weight_kind = (
                "persons (population disaggregated to residential buildings by floor area)"
            )
        else:
            homes = bhomes
            weight_kind = "residential floor area, m² (footprint × storeys); no population given"
            if homes.empty and graph.n_nodes:
                homes = gpd.GeoDataFrame(
                    {"weight": np.ones(graph.n_nodes), "floor_area": 0.0, "source": "walk node"},
                    geometry=gpd.points_from_xy(graph.x, graph.y), crs=crs,
                )  # fmt: skip
                weight_kind = (
                    "walk-network nodes, equal weights (no population, no residential buildings)"
                )
                notes.append(
                    "no population layer and no residential buildings: homes are the walk-network nodes"
                )
        homes = homes.reset_index(drop=True)
        tree = shapely.STRtree(dist.geometry.to_numpy())
        hi, di = tree.query(homes.geometry.to_numpy(), predicate="intersects")
        hi, first = np.unique(hi, return_index=True)
        home_district = np.full(len(homes), "", dtype=object)
        home_district[hi] = dist["district"].to_numpy()[di[first]]
        homes.insert(0, "district", home_district)
        hsnap = snap_points(
            graph, homes.geometry.x.to_numpy(), homes.geometry.y.to_numpy(), max_snap_m=max_snap_m
        )
        homes["snapped"] = hsnap.snapped
        homes["snap_m"] = hsnap.offset
        homes["on_fragment"] = hsnap.on_fragment
        w = homes["weight"].to_numpy(float)
        if hsnap.n_unsnapped:
            share = 100 * w[~hsnap.snapped].sum() / w.sum() if w.sum() > 0 else 0.0
            msg = (f"{hsnap.n_unsnapped} of {len(homes)} homes ({share:.1f} % of the weight) lie farther than "
                   f"{max_snap_m:g} m from the main walk network and are left out of the network indicators")  # fmt: skip
            logger.warning(msg)
            notes.append(msg)
        if hsnap.on_fragment.any():
            share = 100 * w[hsnap.on_fragment].sum() / max(w.sum(), 1e-12)
            notes.append(f"{int(hsnap.on_fragment.sum())} homes ({share:.1f} % of the weight) are nearest to a "
                         "disconnected fragment of the walk network; they are attached to the main network, "
                         "the straight-line walk to it included")  # fmt: skip

    with _timed(timings, "distances"):
        home_pts = homes.geometry.to_numpy()
        kw: dict[str, Any] = {"access_m": config.park_access_buffer_m, "max_snap_m": max_snap_m}
        dests: dict[str, Destinations] = {}
        for cat in _needed_categories(config):
            g = acc.facilities[cat]
            if len(g) == 0:
                acc.counts[cat] = {"facilities": 0, "unsnapped": 0}
                continue
            dests[cat] = facility_destinations(graph, home_pts, g.geometry.to_numpy(), **kw)
            acc.counts[cat] = {"facilities": len(g), "unsnapped": dests[cat].unsnapped}
        for rule in config.park_rules:
            polys = pd.concat([acc.facilities[c] for c in rule.categories], ignore_index=True)
            for min_area, radius in rule.radii:
                key = f"{rule.code}_{int(radius)}m"
                eligible = polys[polys.geometry.area >= min_area] if len(polys) else polys
                acc.counts[key] = {"facilities": len(eligible), "min_area_m2": min_area}
                if len(eligible):
                    dests[key] = facility_destinations(
                        graph, home_pts, eligible.geometry.to_numpy(), **kw
                    )
                    acc.counts[key]["unreachable"] = dests[key].unsnapped
        # every category's search at once: in parallel on a large network
        acc.net.update(network_distances(graph, hsnap, dests, limit=max_distance_m))
        acc.euc.update({k: d.euc for k, d in dests.items()})

    with _timed(timings, "indicators"):
        counts_found = {c: acc.found(c) for c in config.categories}
        quality = data_quality(
            dist, area, homes, has_population=has_pop, builtup=builtup.geometry,
            builtup_from_user=bu_user is not None, natural=natural, counts=counts_found, config=config,
        )  # fmt: skip
        ctx = Context(
            config=config, names=names, dist=dist, area=area, crs=crs, homes=homes, graph=graph,
            acc=acc, data=data, builtup=builtup, res_land=res_land, buildings=buildings,
            quality=quality, issues=issues, has_population=has_pop, has_poi=pois is not None,
            carriageway_merge_m=carriageway_merge_m, intersection_tolerance_m=intersection_tolerance_m,
        )  # fmt: skip
        table, units, labels, circles, road_counts = indicator_table(ctx)
    if year is not None:
        table.insert(1, "year", int(year))
    for key in acc.net:
        homes[f"net_{key}_m"] = np.where(np.isinf(acc.net[key]), np.nan, acc.net[key])
        homes[f"euc_{key}_m"] = acc.euc[key]
    data_cols = [c for c in table.columns if c not in {"year", "quality"}]
    dist_out = dist.merge(table[data_cols + ["quality"]], on="district", how="left")
    residents = (
        float(quality.table.loc[quality.table.district == ALL, "residents"].iloc[0])
        if has_pop
        else None
    )
    ftable = facility_table(config, counts_found, residents, {})
    timings["total"] = round(time.perf_counter() - t_start, 3)
    manifest: dict[str, Any] = {
        "tool": "citycheckup spatial",
        "version": __version__,
        "attribution": ATTRIBUTION,
        "licence_note": "Results built from OpenStreetMap data; a derivative database published must be offered under ODbL.",
        "inputs": {
            "osm": input_record(osm),
            "boundary": input_record(boundary),
            "districts": input_record(districts),
            "population": input_record(population),
            "census": input_record(census),
            "gtfs": input_record(gtfs),
            "poi": input_record(poi),
            "poi_crs": poi_crs if poi is not None else None,
            "built_up": input_record(built_up),
            "facilities": config.source,
        },  # fmt: skip
        "crs": crs.to_string(),
        "crs_name": crs.name,
        "study_area": {
            "source": area_source,
            "km2": round(area.area / 1e6, 4),
            "bounds_wgs84": list(area_wgs.bounds),
        },
        "built_up_area": {"source": builtup.source, "km2": round(builtup.geometry.area / 1e6, 4)},
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
                lc.name: {
                    "distance_m": lc.distance_m,
                    "scope": lc.scope,
                    "items": [it.item for it in lc.items],
                }
                for lc in config.life_circles
            },
            "park_rules": {
                r.code: {
                    "mohurd_id": r.mohurd_id,
                    "categories": list(r.categories),
                    "radii": [{"min_area_m2": a, "distance_m": d} for a, d in r.radii],
                }
                for r in config.park_rules
            },
        },  # fmt: skip
        "walk_graph": {
            "nodes": graph.n_nodes,
            "edges": graph.n_edges,
            "km": round(float(graph.length.sum()) / 1000, 3),
            "components": int(graph.component.max()) + 1 if graph.n_nodes else 0,
            "main_component_km": round(float(graph.length[graph.main_edges].sum()) / 1000, 3),
        },  # fmt: skip
        "homes": {
            "count": len(homes),
            "weight": weight_kind,
            "unsnapped": hsnap.n_unsnapped,
            "on_fragment": int(hsnap.on_fragment.sum()),
            "outside_districts": int((home_district == "").sum()),
            "population_method": pop_method,
        },  # fmt: skip
        "homes_columns": {
            "weight": weight_kind,
            "floor_area": "residential floor area of the building, m² (0 for population left at a grid cell)",
            "snapped": "within max_snap_m of the main walk network (used by the network indicators)",
            "snap_m": "straight-line distance to the nearest main-network edge, m",
            "on_fragment": "nearest to a disconnected piece of the walk network (attached to the main one)",
            "net_<category>_m": "network distance to the nearest facility, m, walks to and from the network "
            "included; empty when the home is not snapped or nothing is reachable within max_distance_m",
            "euc_<category>_m": "straight-line distance to the nearest facility (edge of an area), m",
        },
        "transit_stops_from": stop_source,
        "facilities": acc.counts,
        "roads": road_counts,
        "units": units,
        "labels": labels,
        "quality": {
            "thresholds": config.quality,
            "flagged_values": int((issues.frame()["status"] == "low_quality").sum())
            if issues.rows
            else 0,
            "districts_low": [str(d) for d in table.loc[table["quality"] == "low", "district"]],
            "facility_completeness": {
                k: round(v, 3) for k, v in quality.category_completeness.items()
            },
            "checked_against_population": has_pop,
        },
        "notes": notes,
        "timings_s": timings,
    }
    return SpatialResult(
        indicators=table,
        missing=issues.frame(),
        districts=dist_out,
        homes=homes,
        manifest=manifest,
        quality=quality.table,
        life_circles=circles,
        facility_counts=ftable,
        units=units,
        labels=labels,
        network=gpd.GeoSeries(graph.edge_lines, crs=crs),
        study_area=area,
    )


def _needed_categories(config: FacilityConfig) -> list[str]:
    cats: list[str] = []
    for lc in config.life_circles:
        if lc.scope == "network":
            cats += [c for c in lc.categories if c not in config.polygon_categories]
    cats += [n.category for n in config.named]
    return list(dict.fromkeys(cats))


def _districts(
    data: Any,
    layer_: gpd.GeoDataFrame | None,
    district_id: str | None,
    admin_level: int | None,
    grid: float | None,
    area: shapely.Geometry,
    crs: Any,
    notes: list[str],
) -> tuple[gpd.GeoDataFrame, str]:
    if layer_ is not None:
        return file_districts(
            layer_, area, crs, district_id
        ), f"file {layer_.attrs.get('source', '')}"
    if admin_level is not None:
        dist, anotes = admin_districts(data, admin_level, area, crs)
        notes += anotes
        if not dist.empty:
            return dist, f"OSM admin_level={admin_level}"
        size = grid or 500.0
        msg = (f"no administrative boundary of admin_level={admin_level} could be assembled from the extract; "
               f"using a {size:g} m grid")  # fmt: skip
        logger.warning(msg)
        notes.append(msg)
        return grid_districts(area, size, crs), f"grid {size:g} m (fallback)"
    size = grid or 500.0
    return grid_districts(area, size, crs), f"grid {size:g} m"
