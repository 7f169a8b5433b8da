"""Reading OSM extracts (``.osm.pbf`` with pyrosm, ``.osm`` XML with the standard library).

Both readers return the same :class:`OSMData`: node coordinates, walk and road
segments (one row per pair of consecutive way nodes) and tagged features with
their full tag dictionaries, all in WGS-84.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import json
import logging
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, MultiPolygon, Polygon, box
from shapely.ops import polygonize, unary_union

from citycheckup.errors import Problem, SpatialError

__all__ = ["OSMData", "read_osm"]

logger = logging.getLogger(__name__)

WGS84 = "EPSG:4326"

# Walkable ways: every highway except those pedestrians may not use (close to pyrosm's "walking").
_NOT_WALKABLE = {
    "motorway", "motorway_link", "trunk_link", "raceway", "construction", "proposed", "abandoned",
    "platform", "bus_guideway", "escape", "corridor_planned", "disused", "no", "rest_area", "services",
}  # fmt: skip
_NO_ACCESS = {"no", "private"}
# Vehicle streets for road-network density (centre-line km), GB 50220 "城市道路".
ROAD_CLASSES = (
    "motorway", "trunk", "primary", "secondary", "tertiary", "unclassified", "residential",
    "living_street", "motorway_link", "trunk_link", "primary_link", "secondary_link", "tertiary_link",
)  # fmt: skip
# Tag keys whose elements become features (POIs, parks, buildings, landuse, transit, boundaries).
FEATURE_KEYS = (
    "amenity", "shop", "leisure", "landuse", "building", "healthcare", "social_facility",
    "public_transport", "railway", "highway", "station", "boundary", "natural", "tourism", "office",
    "place", "waterway",
)  # fmt: skip


@dataclass
class OSMData:
    """The parts of an OSM extract that the spatial indicators need (WGS-84).

    Attributes
    ----------
    source
        The file read.
    bounds
        The extract's declared bounds (``<bounds>`` or the PBF header), if any.
    nodes
        Node coordinates, indexed by OSM id, columns ``lon``, ``lat``.
    walk
        Walkable segments: ``u``, ``v`` (OSM node ids), ``way_id``, ``highway``.
    roads
        Vehicle-road segments: ``u``, ``v``, ``way_id``, ``highway``, ``oneway``, ``name``,
        ``access``.
    features
        Tagged elements: ``osm_type``, ``osm_id``, ``tags`` (dict) and geometry.
    """

    source: Path
    bounds: Polygon | None
    nodes: pd.DataFrame
    walk: pd.DataFrame
    roads: pd.DataFrame
    features: gpd.GeoDataFrame

    @property
    def data_extent(self) -> Polygon | None:
        """Bounding box of the nodes used by walk and road segments."""
        if self.nodes.empty:
            return None
        return box(
            self.nodes.lon.min(), self.nodes.lat.min(), self.nodes.lon.max(), self.nodes.lat.max()
        )


def read_osm(path: str | Path) -> OSMData:
    """Read an OSM extract.

    Parameters
    ----------
    path
        ``.osm.pbf`` (read with pyrosm) or ``.osm`` / ``.osm.bz2`` / ``.osm.gz`` XML.

    Returns
    -------
    OSMData
        Walk and road segments, node coordinates and tagged features.

    Raises
    ------
    SpatialError
        If the file is missing, empty, corrupt or of an unknown format.
    """
    p = Path(path)
    if not p.is_file():
        raise SpatialError(
            "OSM extract not found", problems=[Problem("no such file; check --osm", str(p))]
        )
    if p.stat().st_size == 0:
        raise SpatialError(
            "OSM extract is empty", problems=[Problem("the file has 0 bytes", str(p))]
        )
    name = p.name.lower()
    if name.endswith(".pbf"):
        return _read_pbf(p)
    if name.endswith((".osm", ".osm.bz2", ".osm.gz", ".xml")):
        return _read_xml(p)
    raise SpatialError(
        "unknown OSM format",
        problems=[Problem("expected .osm.pbf, .osm, .osm.bz2 or .osm.gz", str(p))],
    )


# --------------------------------------------------------------------------------------------
# shared tag logic


def is_walkable(tags: Mapping[str, str]) -> bool:
    """Whether a way with these tags can be walked (and is not an area)."""
    hw = tags.get("highway")
    if hw is None or hw in _NOT_WALKABLE:
        return False
    if tags.get("area") == "yes" and hw not in {"pedestrian", "footway"}:
        return False
    if tags.get("foot") in _NO_ACCESS:
        return False
    allowed = {"yes", "designated", "permissive"}
    return not (tags.get("access") in _NO_ACCESS and tags.get("foot") not in allowed)


def is_road(tags: Mapping[str, str]) -> bool:
    """Whether a way is a vehicle street counted in road-network density."""
    return tags.get("highway") in ROAD_CLASSES and tags.get("area") != "yes"


def _segments(
    way_ids: list[int], refs: list[list[int]], extra: dict[str, list[Any]]
) -> pd.DataFrame:
    lens = np.array([max(len(r) - 1, 0) for r in refs], dtype=np.int64)
    if lens.sum() == 0:
        cols = {
            "u": np.empty(0, np.int64),
            "v": np.empty(0, np.int64),
            "way_id": np.empty(0, np.int64),
        }
        cols.update({k: np.empty(0, object) for k in extra})
        return pd.DataFrame(cols)
    u = np.concatenate([np.asarray(r[:-1], np.int64) for r in refs if len(r) > 1])
    v = np.concatenate([np.asarray(r[1:], np.int64) for r in refs if len(r) > 1])
    data: dict[str, Any] = {
        "u": u,
        "v": v,
        "way_id": np.repeat(np.asarray(way_ids, np.int64), lens),
    }
    for k, vals in extra.items():
        data[k] = np.repeat(np.asarray(vals, dtype=object), lens)
    return pd.DataFrame(data)


def _features_frame(rows: list[tuple[str, int, dict[str, str], Any]]) -> gpd.GeoDataFrame:
    if not rows:
        return gpd.GeoDataFrame(
            {"osm_type": [], "osm_id": [], "tags": []},
            geometry=gpd.GeoSeries([], crs=WGS84),
            crs=WGS84,
        )
    t, i, tags, geom = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {"osm_type": list(t), "osm_id": np.asarray(i, np.int64), "tags": list(tags)},
        geometry=list(geom),
        crs=WGS84,
    )


# --------------------------------------------------------------------------------------------
# XML


def _open(p: Path) -> IO[bytes]:
    name = p.name.lower()
    if name.endswith(".bz2"):
        return bz2.open(p, "rb")
    if name.endswith(".gz"):
        return gzip.open(p, "rb")  # type: ignore[return-value]
    return open(p, "rb")


def _read_xml(p: Path) -> OSMData:
    node_lon: dict[int, float] = {}
    node_lat: dict[int, float] = {}
    tagged_nodes: list[tuple[int, dict[str, str]]] = []
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    relations: list[tuple[int, list[tuple[str, int, str]], dict[str, str]]] = []
    bounds: Polygon | None = None
    saw_osm = False
    try:
        with _open(p) as fh:
            for _, el in ET.iterparse(fh, events=("end",)):
                tag = el.tag
                if tag == "node":
                    nid = int(el.get("id"))  # type: ignore[arg-type]
                    lon, lat = el.get("lon"), el.get("lat")
                    if lon is not None and lat is not None:
                        node_lon[nid] = float(lon)
                        node_lat[nid] = float(lat)
                    tags = {t.get("k"): t.get("v") for t in el.iter("tag")}
                    if tags and lon is not None:
                        tagged_nodes.append((nid, tags))  # type: ignore[arg-type]
                    el.clear()
                elif tag == "way":
                    refs = [int(nd.get("ref")) for nd in el.iter("nd")]  # type: ignore[arg-type]
                    tags = {t.get("k"): t.get("v") for t in el.iter("tag")}
                    ways.append((int(el.get("id")), refs, tags))  # type: ignore[arg-type]
                    el.clear()
                elif tag == "relation":
                    members = [
                        (m.get("type"), int(m.get("ref")), m.get("role") or "")
                        for m in el.iter("member")
                    ]
                    tags = {t.get("k"): t.get("v") for t in el.iter("tag")}
                    relations.append((int(el.get("id")), members, tags))  # type: ignore[arg-type]
                    el.clear()
                elif tag == "bounds":
                    b = [float(el.get(k, "nan")) for k in ("minlon", "minlat", "maxlon", "maxlat")]
                    if all(np.isfinite(b)):
                        bounds = box(*b)
                elif tag == "osm":
                    saw_osm = True
    except (ET.ParseError, OSError, EOFError, ValueError, TypeError) as exc:
        raise SpatialError(
            "cannot read the OSM XML extract",
            problems=[Problem(f"the file is corrupt or not OSM XML ({exc})", str(p))],
        ) from exc
    if not saw_osm:
        raise SpatialError(
            "not an OSM XML file", problems=[Problem("no <osm> root element", str(p))]
        )

    nodes = pd.DataFrame(
        {"lon": np.fromiter(node_lon.values(), float, len(node_lon)),
         "lat": np.fromiter(node_lat.values(), float, len(node_lat))},
        index=pd.Index(np.fromiter(node_lon.keys(), np.int64, len(node_lon)), name="id"),
    )  # fmt: skip
    known = set(node_lon)

    def runs(refs: list[int]) -> list[list[int]]:
        # Extracts can miss nodes of ways: split at the gaps rather than bridge them.
        out: list[list[int]] = [[]]
        for r in refs:
            if r in known:
                out[-1].append(r)
            elif out[-1]:
                out.append([])
        return [run for run in out if len(run) >= 2]

    w_ids, w_refs, w_hw = [], [], []
    r_ids, r_refs, r_hw, r_ow, r_name, r_acc = [], [], [], [], [], []
    feature_rows: list[tuple[str, int, dict[str, str], Any]] = []
    way_lines: dict[int, list[int]] = {}
    for wid, all_refs, tags in ways:
        pieces = runs(all_refs)
        if not pieces:
            continue
        refs = max(pieces, key=len)
        way_lines[wid] = refs if len(pieces) == 1 else []
        for piece in pieces:
            if is_walkable(tags):
                w_ids.append(wid)
                w_refs.append(piece)
                w_hw.append(tags.get("highway"))
            if is_road(tags):
                r_ids.append(wid)
                r_refs.append(piece)
                r_hw.append(tags.get("highway"))
                r_ow.append(tags.get("oneway", ""))
                r_name.append(tags.get("name", ""))
                r_acc.append(tags.get("access", ""))
        if len(pieces) > 1:
            continue  # an incomplete way is no usable feature geometry
        if any(k in tags for k in FEATURE_KEYS) and not _is_plain_street(tags):
            coords = [(node_lon[r], node_lat[r]) for r in refs]
            closed = refs[0] == refs[-1] and len(refs) >= 4
            geom: Any
            if (
                closed
                and tags.get("area") != "no"
                and not (tags.get("highway") and tags.get("area") != "yes")
            ):
                geom = Polygon(coords)
                if not geom.is_valid:
                    geom = shapely.make_valid(geom)
            else:
                geom = LineString(coords)
            feature_rows.append(("way", wid, tags, geom))
    for nid, tags in tagged_nodes:
        if any(k in tags for k in FEATURE_KEYS):
            feature_rows.append(("node", nid, tags, shapely.Point(node_lon[nid], node_lat[nid])))
    for rid, members, tags in relations:
        if tags.get("type") not in {"multipolygon", "boundary"} or not any(
            k in tags for k in FEATURE_KEYS
        ):
            continue
        lines = []
        for mtype, ref, role in members:
            if mtype == "way" and role in {"outer", ""} and len(way_lines.get(ref, ())) >= 2:
                lines.append(LineString([(node_lon[r], node_lat[r]) for r in way_lines[ref]]))
        polys = list(polygonize(unary_union(lines))) if lines else []
        if polys:
            geom = unary_union(polys)
            if isinstance(geom, (Polygon, MultiPolygon)):
                feature_rows.append(("relation", rid, tags, geom))
        elif lines and tags.get("boundary") == "administrative":
            # an API box export holds only the member ways that touch the box: keep them as
            # lines, so that the districts can be assembled where the ways are present
            feature_rows.append(("relation", rid, tags, shapely.MultiLineString(lines)))

    walk = _segments(w_ids, w_refs, {"highway": w_hw})
    roads = _segments(
        r_ids, r_refs, {"highway": r_hw, "oneway": r_ow, "name": r_name, "access": r_acc}
    )
    used = np.unique(np.concatenate([walk.u, walk.v, roads.u, roads.v]))
    return OSMData(
        source=p,
        bounds=bounds,
        nodes=nodes.loc[used] if used.size else nodes.iloc[:0],
        walk=walk,
        roads=roads,
        features=_features_frame(feature_rows),
    )


def _is_plain_street(tags: Mapping[str, str]) -> bool:
    # A highway way with no other feature key is a street, not a feature.
    return (
        "highway" in tags
        and tags.get("highway") not in {"bus_stop", "platform", "pedestrian"}
        and not any(k in tags for k in FEATURE_KEYS if k != "highway")
    )


# --------------------------------------------------------------------------------------------
# PBF (pyrosm)


def _pyrosm_tags(frame: pd.DataFrame) -> list[dict[str, str]]:
    skip = {"geometry", "tags", "id", "osm_type", "visible", "version", "timestamp", "changeset", "lon", "lat",
            "u", "v", "length"}  # fmt: skip
    cols = [c for c in frame.columns if c not in skip]
    out: list[dict[str, str]] = []
    values = frame[cols].to_numpy(dtype=object) if cols else np.empty((len(frame), 0), dtype=object)
    extra = frame["tags"].tolist() if "tags" in frame.columns else [None] * len(frame)
    for row, ex in zip(values, extra, strict=True):
        d = {
            c: str(val)
            for c, val in zip(cols, row, strict=True)
            if isinstance(val, str) or _present(val)
        }
        if isinstance(ex, str) and ex:
            with contextlib.suppress(json.JSONDecodeError):
                d.update({k: str(v) for k, v in json.loads(ex).items()})
        elif isinstance(ex, dict):
            d.update({k: str(v) for k, v in ex.items()})
        out.append(d)
    return out


def _present(val: object) -> bool:
    if val is None:
        return False
    if isinstance(val, float) and np.isnan(val):
        return False
    return not (isinstance(val, (list, dict, np.ndarray)))


#: Extracts up to this size are decoded by pyrosm's in-memory engine; larger ones by its
#: out-of-core engine, whose memory stays bounded by one layer. The in-memory engine decodes
#: a district- or city-sized extract in less than half the time (it has no per-layer
#: GeoParquet to write and read back) and leaves no result cache in the temporary folder.
IN_MEMORY_MAX_BYTES = 32 * 2**20


def _read_pbf(p: Path) -> OSMData:
    try:
        import pyrosm
    except ModuleNotFoundError as exc:  # pragma: no cover - optional extra
        raise SpatialError(
            "reading .osm.pbf needs pyrosm: pip install 'citycheckup[spatial]'"
        ) from exc
    try:
        with warnings.catch_warnings():
            # pyrosm warns (UserWarning) when a layer is absent and then returns None; handled below.
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            small = p.stat().st_size <= IN_MEMORY_MAX_BYTES
            osm = pyrosm.OSM(str(p), engine="in_memory" if small else "out_of_core")
            wn = osm.get_network("walking", nodes=True)
            rn = osm.get_network("driving", nodes=True)
            keys: dict[str, bool | list[str]] = {
                k: True for k in FEATURE_KEYS if k not in {"building", "boundary", "highway"}
            }
            keys["highway"] = ["bus_stop", "platform", "pedestrian"]
            pois = osm.get_data_by_custom_criteria(custom_filter=keys, filter_type="keep",
                                                   keep_nodes=True, keep_ways=True, keep_relations=True)  # fmt: skip
            buildings = osm.get_buildings()
            boundaries = osm.get_boundaries(boundary_type="administrative")
            bbox = getattr(osm, "_data_bounding_box", None)
    except SpatialError:
        raise
    except Exception as exc:  # pyrosm raises bare Exceptions/ValueErrors on corrupt input
        raise SpatialError(
            "cannot read the OSM PBF extract",
            problems=[
                Problem(
                    f"the file is corrupt or not an OSM PBF ({type(exc).__name__}: {exc})", str(p)
                )
            ],
        ) from exc

    node_frames = []
    walk = pd.DataFrame({"u": np.empty(0, np.int64), "v": np.empty(0, np.int64), "way_id": np.empty(0, np.int64),
                         "highway": np.empty(0, object)})  # fmt: skip
    roads = pd.DataFrame({"u": np.empty(0, np.int64), "v": np.empty(0, np.int64), "way_id": np.empty(0, np.int64),
                          "highway": np.empty(0, object), "oneway": np.empty(0, object),
                          "name": np.empty(0, object), "access": np.empty(0, object)})  # fmt: skip
    if wn is not None and wn[0] is not None and len(wn[1]):
        nodes_w, edges_w = wn
        node_frames.append(nodes_w[["id", "lon", "lat"]])
        mask = (
            edges_w["highway"]
            .map(lambda h: isinstance(h, str) and h not in _NOT_WALKABLE)
            .to_numpy(bool)
        )
        ew = edges_w[mask]
        walk = pd.DataFrame({"u": ew.u.to_numpy(np.int64), "v": ew.v.to_numpy(np.int64),
                             "way_id": ew.id.to_numpy(np.int64), "highway": ew.highway.to_numpy(object)})  # fmt: skip
    if rn is not None and rn[0] is not None and len(rn[1]):
        nodes_r, edges_r = rn
        node_frames.append(nodes_r[["id", "lon", "lat"]])
        er = edges_r[edges_r["highway"].isin(ROAD_CLASSES)]
        roads = pd.DataFrame({
            "u": er.u.to_numpy(np.int64), "v": er.v.to_numpy(np.int64), "way_id": er.id.to_numpy(np.int64),
            "highway": er.highway.to_numpy(object),
            "oneway": er["oneway"].fillna("").astype(str).to_numpy(object) if "oneway" in er else "",
            "name": er["name"].fillna("").astype(str).to_numpy(object) if "name" in er else "",
            "access": er["access"].fillna("").astype(str).to_numpy(object) if "access" in er else "",
        })  # fmt: skip
    if node_frames:
        nodes = pd.concat(node_frames).drop_duplicates("id").set_index("id")[["lon", "lat"]]
        nodes.index = nodes.index.astype(np.int64)
    else:
        nodes = pd.DataFrame({"lon": [], "lat": []}, index=pd.Index([], dtype=np.int64, name="id"))

    parts = []
    for frame in (pois, buildings, boundaries):
        if frame is None or len(frame) == 0:
            continue
        tags = _pyrosm_tags(frame)
        parts.append(_features_frame(list(zip(
            frame["osm_type"].astype(str).tolist() if "osm_type" in frame else ["way"] * len(frame),
            frame["id"].to_numpy(np.int64).tolist(), tags, frame.geometry.tolist(), strict=True,
        ))))  # fmt: skip
    features = (
        gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=WGS84)
        if parts
        else _features_frame([])
    )
    if len(features):
        features = features.drop_duplicates(subset=["osm_type", "osm_id"]).reset_index(drop=True)
    bounds = bbox if isinstance(bbox, Polygon) else None
    return OSMData(source=p, bounds=bounds, nodes=nodes, walk=walk, roads=roads, features=features)


def iter_tag_values(tags: Iterable[Mapping[str, str]], key: str) -> list[str | None]:
    """Value of ``key`` in each tag dictionary (None where absent)."""
    return [t.get(key) for t in tags]
