"""Facilities by category and the walking distance from every home to the nearest of each."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from citycheckup.spatial._distance_jobs import nearest_node_distances_many
from citycheckup.spatial._facilities import FacilityConfig, LifeCircle
from citycheckup.spatial._graph import (
    Snap,
    WalkGraph,
    destination_sources,
    origin_distances,
    snap_points,
)

__all__ = [
    "Access",
    "Destinations",
    "compound_item_coverage",
    "facilities_by_category",
    "facility_destinations",
    "facility_distances",
    "network_distances",
]


@dataclass
class Access:
    """Facilities found and home distances per category (or park rule radius)."""

    facilities: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    sources: dict[str, list[str]] = field(default_factory=dict)
    net: dict[str, np.ndarray] = field(default_factory=dict)
    euc: dict[str, np.ndarray] = field(default_factory=dict)
    counts: dict[str, dict[str, object]] = field(default_factory=dict)

    def found(self, category: str) -> int:
        """Number of facilities of ``category`` in the study area."""
        g = self.facilities.get(category)
        return 0 if g is None else len(g)


def facilities_by_category(
    features: gpd.GeoDataFrame,
    area: BaseGeometry,
    config: FacilityConfig,
    *,
    pois: gpd.GeoDataFrame | None = None,
    stops: gpd.GeoDataFrame | None = None,
) -> Access:
    """Facilities of every category: OSM features, plus POI-table rows and GTFS stops.

    Parameters
    ----------
    features
        Projected OSM features with ``tags``, already clipped to the study area.
    pois
        Projected POIs (``category`` text) inside the study area.
    stops
        Projected GTFS stops with ``category`` ``bus_stop``/``rail_station``; they
        replace OSM's stops of those categories.
    """
    acc = Access()
    tags = features["tags"].tolist() if len(features) else []
    poi_cat = pois["category"].astype(str).tolist() if pois is not None and len(pois) else []
    for name, cat in config.categories.items():
        src: list[str] = []
        g = features[cat.matches(tags)] if tags else features.iloc[:0]
        if cat.polygon:
            g = g[g.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
            g = g.set_geometry(shapely.intersection(g.geometry.to_numpy(), area))
            g = g[g.geometry.area > 0]
        frames = [g[["geometry"]]] if len(g) else []
        if cat.osm_expressible:
            src.append("OSM")
        if pois is not None and cat.poi and not cat.polygon:
            src.append("POI table")
            hit = pois[cat.matches_poi(poi_cat)]
            if len(hit):
                frames.append(hit[["geometry"]])
        if stops is not None and name in ("bus_stop", "rail_station"):
            src = [f"GTFS {stops.attrs.get('source', '')}".strip()]
            frames = [stops[stops["category"] == name][["geometry"]]]
        acc.facilities[name] = (
            gpd.GeoDataFrame(
                pd.concat(frames, ignore_index=True), geometry="geometry", crs=features.crs
            )
            if frames
            else gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=features.crs))
        )
        acc.sources[name] = src
    return acc


@dataclass
class Destinations:
    """One facility set prepared for the distance search (see :func:`facility_destinations`).

    Attributes
    ----------
    snap
        The point facilities (and areas with no network node nearby), snapped.
    nodes, offsets
        The search's source nodes and the distance already travelled at each.
    euc
        Straight-line distance from every home to the nearest facility.
    unsnapped
        Facilities that could not be attached to the network.
    """

    snap: Snap
    nodes: np.ndarray
    offsets: np.ndarray
    euc: np.ndarray
    unsnapped: int


def facility_destinations(
    graph: WalkGraph,
    home_pts: np.ndarray,
    geoms: np.ndarray,
    *,
    access_m: float,
    max_snap_m: float,
) -> Destinations:
    """Attach the facilities ``geoms`` to the network and measure the straight-line distances.

    Point facilities are snapped onto the main network. Area facilities (parks,
    squares) are entered at every main-network node within ``access_m`` of the
    area, the node's distance to the area added; an area with no such node is
    snapped at a point on its surface. Straight-line distances go to the point or
    to the area's edge (0 inside).
    """
    is_area = np.isin(shapely.get_type_id(geoms), [3, 6])  # Polygon, MultiPolygon
    points = shapely.point_on_surface(geoms[~is_area])
    areas = geoms[is_area]
    main_nodes, nodes = graph.main_nodes, graph.main_points
    if areas.size and main_nodes.size:
        k, ai = shapely.STRtree(areas).query(nodes, predicate="dwithin", distance=access_m)
        ni = main_nodes[k]
        offsets = shapely.distance(nodes[k], areas[ai])
        unreached = np.setdiff1d(np.arange(areas.size), ai)
        points = np.concatenate([points, shapely.point_on_surface(areas[unreached])])
    else:
        ni, offsets = np.empty(0, np.int64), np.empty(0)
        points = np.concatenate([points, shapely.point_on_surface(areas)])
    snap = snap_points(graph, shapely.get_x(points), shapely.get_y(points), max_snap_m=max_snap_m)
    src, src_off = destination_sources(graph, snap, node_sources=ni, node_offsets=offsets)
    euc = np.full(home_pts.size, np.nan)
    if home_pts.size and geoms.size:
        (hi, _), dd = shapely.STRtree(geoms).query_nearest(
            home_pts, return_distance=True, all_matches=False
        )
        euc[hi] = dd
    return Destinations(snap, src, src_off, euc, snap.n_unsnapped)


def network_distances(
    graph: WalkGraph,
    homes: Snap,
    destinations: dict[str, Destinations],
    *,
    limit: float,
) -> dict[str, np.ndarray]:
    """Network distance from every home to the nearest facility, per facility set.

    One multi-source search per set, run in parallel on a large network
    (:func:`~citycheckup.spatial._distance_jobs.nearest_node_distances_many`). Values are
    ``inf`` beyond ``limit`` and NaN for unsnapped homes, as
    :func:`~citycheckup.spatial._graph.along_network_distances` gives them.
    """
    searched = [k for k, d in destinations.items() if d.nodes.size] if homes.snapped.any() else []
    found = nearest_node_distances_many(
        graph, [(destinations[k].nodes, destinations[k].offsets) for k in searched], limit=limit
    )
    by_key = dict(zip(searched, found, strict=True))
    return {
        k: origin_distances(graph, homes, d.snap, by_key.get(k), limit=limit)
        for k, d in destinations.items()
    }


def facility_distances(
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

    :func:`facility_destinations` and :func:`network_distances` for one facility set.

    Returns
    -------
    tuple
        Network distances (``inf`` beyond ``limit``, NaN for unsnapped homes),
        straight-line distances, and the number of facilities that could not be
        attached to the network.
    """
    dest = facility_destinations(graph, home_pts, geoms, access_m=access_m, max_snap_m=max_snap_m)
    net = network_distances(graph, homes, {"": dest}, limit=limit)[""]
    return net, dest.euc, dest.unsnapped


def compound_item_coverage(
    homes: gpd.GeoDataFrame,
    compounds: gpd.GeoSeries,
    circle: LifeCircle,
    facilities: dict[str, gpd.GeoDataFrame],
    items: list[str],
) -> list[np.ndarray]:
    """Per item of a compound-scoped circle (居住街坊): 0 where the home's compound has it.

    A home's compound is the residential land-use polygon containing it; an item is
    present when a facility of one of its categories lies within ``circle.edge_m``
    of the compound. Returns one array per item: 0 (present), ``inf`` (absent) or
    NaN (the home lies in no mapped compound).
    """
    n = len(homes)
    comp = np.full(n, -1, np.int64)
    polys = compounds.to_numpy()
    if n and polys.size:
        hi, ci = shapely.STRtree(polys).query(homes.geometry.to_numpy(), predicate="within")
        hi, first = np.unique(hi, return_index=True)
        comp[hi] = ci[first]
    grown = shapely.buffer(polys, circle.edge_m) if polys.size else polys
    tree = shapely.STRtree(grown) if polys.size else None
    out = []
    by_item = {it.item: it for it in circle.items}
    for item in items:
        has = np.zeros(polys.size, bool)
        for c in by_item[item].categories:
            g = facilities.get(c)
            if tree is not None and g is not None and len(g):
                _, ci = tree.query(g.geometry.to_numpy(), predicate="intersects")
                has[ci] = True
        d = np.full(n, np.nan)
        ok = comp >= 0
        d[ok] = np.where(has[comp[ok]], 0.0, np.inf)
        out.append(d)
    return out
