"""Study area, projected CRS, clipping, districts (街区) and homes."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from citycheckup.errors import Problem, SpatialError
from citycheckup.spatial._osm import WGS84, OSMData

__all__ = [
    "admin_districts",
    "clipped_segments",
    "file_districts",
    "grid_districts",
    "read_layer",
    "require_same_crs",
    "utm_crs",
]

logger = logging.getLogger(__name__)


def utm_crs(lon: float, lat: float) -> pyproj.CRS:
    """The WGS-84 / UTM zone CRS containing a point.

    Parameters
    ----------
    lon, lat
        Degrees (WGS-84).

    Returns
    -------
    pyproj.CRS
        EPSG:326zz (north) or EPSG:327zz (south).
    """
    zone = int(math.floor((lon + 180.0) / 6.0)) % 60 + 1
    return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def read_layer(path: str | Path, what: str) -> gpd.GeoDataFrame:
    """Read a vector layer (GeoPackage, GeoJSON, Shapefile …) or a CSV of points.

    Parameters
    ----------
    path
        The file. A CSV needs ``lon``/``lat`` (or ``longitude``/``latitude``,
        ``x``/``y``) columns in WGS-84.
    what
        What the layer is (``"boundary"``, ``"districts"``, ``"population"``), for messages.

    Returns
    -------
    geopandas.GeoDataFrame
        The features, with the file's CRS.

    Raises
    ------
    SpatialError
        If the file is missing, unreadable, empty or has no CRS.
    """
    p = Path(path)
    if not p.is_file():
        raise SpatialError(f"{what} file not found", problems=[Problem("no such file", str(p))])
    if p.suffix.lower() in {".csv", ".txt"}:
        try:
            df = pd.read_csv(p)
        except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
            raise SpatialError(
                f"cannot read the {what} CSV", problems=[Problem(str(exc), str(p))]
            ) from exc
        lower = {c.lower(): c for c in df.columns}
        for xc, yc in (("lon", "lat"), ("longitude", "latitude"), ("x", "y")):
            if xc in lower and yc in lower:
                gdf = gpd.GeoDataFrame(
                    df, geometry=gpd.points_from_xy(df[lower[xc]], df[lower[yc]]), crs=WGS84
                )
                break
        else:
            raise SpatialError(
                f"{what} CSV has no coordinate columns",
                problems=[
                    Problem(f"expected lon/lat columns (WGS-84), found {list(df.columns)}", str(p))
                ],
            )
    else:
        try:
            gdf = gpd.read_file(p)
        except Exception as exc:  # pyogrio raises DataSourceError and friends
            raise SpatialError(
                f"cannot read the {what} file",
                problems=[Problem(f"{type(exc).__name__}: {exc}", str(p))],
            ) from exc
    problems = []
    if len(gdf) == 0:
        problems.append(Problem("the layer has no features", str(p)))
    if gdf.crs is None:
        problems.append(
            Problem("the layer has no CRS; set one (e.g. EPSG:4326) and save it again", str(p))
        )
    if problems:
        raise SpatialError(f"unusable {what} layer", problems=problems)
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty].copy()
    gdf.attrs["source"] = str(p)
    return gdf


def require_same_crs(layers: Mapping[str, gpd.GeoDataFrame]) -> None:
    """Raise if the given layers do not all share one CRS.

    Raises
    ------
    SpatialError
        Listing every layer with its CRS; reproject them to one CRS first (for
        Chinese commercial data, convert GCJ-02/BD-09 to WGS-84 first).
    """
    crs = {name: g.crs for name, g in layers.items() if g is not None}
    if len({c.to_string() if c is not None else None for c in crs.values()}) <= 1:
        return
    first = next(iter(crs.values()))
    if all(c is not None and c.equals(first) for c in crs.values()):
        return
    raise SpatialError(
        "the input layers use different CRSs; reproject them to one CRS",
        problems=[
            Problem(
                f"CRS {c.to_string() if c is not None else 'missing'}",
                layers[n].attrs.get("source", n),
            )
            for n, c in crs.items()
        ],
    )


def clipped_segments(
    osm: OSMData, segments: pd.DataFrame, area: Polygon, crs: pyproj.CRS
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Project segments to ``crs`` and clip them to ``area``.

    Segments entirely inside are kept; segments crossing the boundary are cut at
    it, with a new node (negative id) at the cut.

    Returns
    -------
    nodes : pandas.DataFrame
        ``id``, ``x``, ``y`` (metres) of the nodes used.
    segments : pandas.DataFrame
        The clipped segments with ``u``, ``v`` (node ids), ``length`` (m) and the
        input's other columns.
    """
    cols = [c for c in segments.columns if c not in {"u", "v"}]
    empty_nodes = pd.DataFrame({"id": np.empty(0, np.int64), "x": [], "y": []})
    if segments.empty:
        return empty_nodes, segments.assign(length=np.empty(0))
    transformer = pyproj.Transformer.from_crs(WGS84, crs, always_xy=True)
    node_ids = osm.nodes.index.to_numpy(np.int64)
    nx, ny = transformer.transform(osm.nodes.lon.to_numpy(), osm.nodes.lat.to_numpy())
    pos = pd.Series(np.arange(node_ids.size), index=node_ids)
    present = segments.u.isin(pos.index) & segments.v.isin(pos.index)
    seg = segments[present].reset_index(drop=True)
    iu = pos.loc[seg.u].to_numpy()
    iv = pos.loc[seg.v].to_numpy()
    # the predicates below test tens of thousands of segments against one polygon: prepared
    # (indexed) once, each test is a lookup instead of a full relate (a copy: the caller's
    # polygon is left as it was)
    area = shapely.transform(area, lambda c: c)
    shapely.prepare(area)
    inside = shapely.contains_xy(area, nx, ny) | shapely.intersects_xy(area.boundary, nx, ny)
    both = inside[iu] & inside[iv]
    lines = shapely.linestrings(np.stack([np.c_[nx[iu], ny[iu]], np.c_[nx[iv], ny[iv]]], axis=1))
    # A segment with both ends inside a concave area may still leave it.
    # (the prepared polygon must be the first argument: contains(area, l) is within(l, area))
    crossing = ~both & shapely.intersects(area, lines)
    full_in = both.copy()
    full_in[both] = shapely.contains(area, lines[both])
    both_partial = both & ~full_in
    crossing |= both_partial
    keep = seg[full_in].copy()
    keep_u, keep_v = seg.u[full_in].to_numpy(), seg.v[full_in].to_numpy()
    new_rows: list[dict[str, object]] = []
    new_nodes: dict[tuple[float, float], int] = {}
    next_id = -1
    for k in np.flatnonzero(crossing):
        piece = shapely.intersection(lines[k], area)
        parts = shapely.get_parts(piece)
        for part in parts:
            if part.geom_type != "LineString" or part.length == 0:
                continue
            (x0, y0), (x1, y1) = part.coords[0], part.coords[-1]
            ends = []
            for px, py in ((x0, y0), (x1, y1)):
                if math.isclose(px, nx[iu[k]], abs_tol=1e-6) and math.isclose(
                    py, ny[iu[k]], abs_tol=1e-6
                ):
                    ends.append(int(seg.u[k]))
                elif math.isclose(px, nx[iv[k]], abs_tol=1e-6) and math.isclose(
                    py, ny[iv[k]], abs_tol=1e-6
                ):
                    ends.append(int(seg.v[k]))
                else:
                    key = (round(px, 6), round(py, 6))
                    if key not in new_nodes:
                        new_nodes[key] = next_id
                        next_id -= 1
                    ends.append(new_nodes[key])
            row = {c: seg.at[k, c] for c in cols}
            row.update(u=ends[0], v=ends[1])
            new_rows.append(row)
    keep = keep.assign(u=keep_u, v=keep_v)
    if new_rows:
        keep = pd.concat([keep, pd.DataFrame(new_rows)], ignore_index=True)
    ids = np.concatenate([node_ids, np.fromiter(new_nodes.values(), np.int64, len(new_nodes))])
    xs = np.concatenate([nx, np.fromiter((k[0] for k in new_nodes), float, len(new_nodes))])
    ys = np.concatenate([ny, np.fromiter((k[1] for k in new_nodes), float, len(new_nodes))])
    allnodes = pd.DataFrame({"id": ids, "x": xs, "y": ys}).drop_duplicates("id").set_index("id")
    used = np.unique(np.concatenate([keep.u.to_numpy(np.int64), keep.v.to_numpy(np.int64)]))
    nodes = allnodes.loc[used].reset_index()
    p = allnodes.loc[keep.u.to_numpy(np.int64)]
    q = allnodes.loc[keep.v.to_numpy(np.int64)]
    keep["length"] = np.hypot(p.x.to_numpy() - q.x.to_numpy(), p.y.to_numpy() - q.y.to_numpy())
    keep["u"] = keep.u.astype(np.int64)
    keep["v"] = keep.v.astype(np.int64)
    return nodes, keep.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# districts

_ID_COLUMNS = ("district", "name", "code", "id", "NAME", "街道", "社区", "名称", "街道名称", "社区名称",
               "XZQMC", "JDMC", "SQMC", "name_zh")  # fmt: skip


def _as_districts(gdf: gpd.GeoDataFrame, ids: pd.Series, area: BaseGeometry) -> gpd.GeoDataFrame:
    geoms = shapely.intersection(gdf.geometry.to_numpy(), area)
    out = gpd.GeoDataFrame({"district": ids.astype(str).to_numpy()}, geometry=geoms, crs=gdf.crs)
    out = out[~out.geometry.is_empty & (out.geometry.area > 0)]
    return out.dissolve("district", sort=False).reset_index()[["district", "geometry"]]


def grid_districts(
    area: BaseGeometry, size_m: float, crs: pyproj.CRS, *, sliver_share: float = 0.25
) -> gpd.GeoDataFrame:
    """Square grid cells of ``size_m`` covering ``area`` (clipped to it).

    Cells are named ``R<row>C<col>`` from the south-west corner. Edge pieces
    smaller than ``sliver_share`` of a full cell are merged into a neighbour.
    """
    if not size_m > 0:
        raise SpatialError(f"grid size must be positive, got {size_m}")
    minx, miny, maxx, maxy = area.bounds
    # Anchored at the area's south-west corner, so only the north and east edges can give slivers.
    x0, y0 = minx, miny
    nxc = max(1, math.ceil((maxx - x0) / size_m))
    nyc = max(1, math.ceil((maxy - y0) / size_m))
    if nxc * nyc > 200_000:
        raise SpatialError(
            f"a {size_m:g} m grid gives {nxc * nyc} cells; choose a larger --grid", problems=[]
        )
    col_grid, row_grid = np.meshgrid(np.arange(nxc), np.arange(nyc))
    cols, rows = col_grid.ravel(), row_grid.ravel()
    boxes = shapely.box(
        x0 + cols * size_m, y0 + rows * size_m, x0 + (cols + 1) * size_m, y0 + (rows + 1) * size_m
    )
    ids = pd.Series([f"R{r:03d}C{c:03d}" for r, c in zip(rows, cols, strict=True)])
    gdf = gpd.GeoDataFrame({"district": ids}, geometry=boxes, crs=crs)
    cells = _as_districts(gdf, gdf["district"], area)
    return _merge_slivers(cells, min_area=sliver_share * size_m * size_m)


def _merge_slivers(cells: gpd.GeoDataFrame, *, min_area: float) -> gpd.GeoDataFrame:
    """Merge edge cells smaller than ``min_area`` into the neighbour they share most border with.

    Thin strips along the study area's edge would otherwise get extreme densities
    from a tiny denominator.
    """
    geoms = list(cells.geometry)
    names = list(cells["district"])
    areas = np.array([g.area for g in geoms])
    if len(geoms) < 2 or (areas >= min_area).sum() == 0:
        return cells
    big = np.flatnonzero(areas >= min_area)
    tree = shapely.STRtree([geoms[i] for i in big])
    for i in np.flatnonzero(areas < min_area):
        near = big[tree.query(geoms[i], predicate="intersects")]
        if near.size == 0:
            continue
        shared = [shapely.intersection(geoms[i].boundary, geoms[j].boundary).length for j in near]
        j = int(near[int(np.argmax(shared))])
        if max(shared) <= 0:
            continue
        geoms[j] = shapely.union(geoms[j], geoms[i])
        geoms[i] = None
    keep = [k for k, g in enumerate(geoms) if g is not None]
    return gpd.GeoDataFrame(
        {"district": [names[k] for k in keep]}, geometry=[geoms[k] for k in keep], crs=cells.crs
    )


def file_districts(
    layer: gpd.GeoDataFrame, area: BaseGeometry, crs: pyproj.CRS, id_column: str | None = None
) -> gpd.GeoDataFrame:
    """Districts from a polygon layer, projected and clipped to ``area``.

    The id column is ``id_column`` or the first found of ``district``, ``name``,
    ``code``, ``id``, ``NAME`` and the usual Chinese columns of 街道/社区 layers
    (``街道``, ``社区``, ``名称``, ``街道名称``, ``社区名称``, ``XZQMC``, ``JDMC``, ``SQMC``);
    otherwise the row number. Any CRS pyproj knows is accepted (e.g. CGCS2000,
    EPSG:4490, and its Gauss–Krüger zones).

    Raises
    ------
    SpatialError
        If the layer has no polygons, the id column is missing or duplicated, or no
        district overlaps the study area.
    """
    src = layer.attrs.get("source", "districts")
    g = layer.to_crs(crs)
    poly = g.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    if not poly.any():
        raise SpatialError(
            "districts must be polygons", problems=[Problem("no (multi)polygon features", src)]
        )
    g = g[poly]
    if id_column is not None and id_column not in g.columns:
        raise SpatialError(
            "district id column not found",
            problems=[Problem(f"no column {id_column!r}; columns are {list(layer.columns)}", src)],
        )
    col = id_column or next((c for c in _ID_COLUMNS if c in g.columns), None)
    ids = (
        g[col].astype(str)
        if col
        else pd.Series([f"D{i + 1:03d}" for i in range(len(g))], index=g.index)
    )
    dup = ids[ids.duplicated()].unique().tolist()
    if dup:
        logger.warning(
            "district ids repeat (%s); their polygons are merged", ", ".join(map(str, dup[:5]))
        )
    out = _as_districts(g, ids, area)
    if out.empty:
        raise SpatialError(
            "no district overlaps the OSM extract",
            problems=[
                Problem(
                    "the districts lie outside the extract's area; check the files and their CRS",
                    src,
                )
            ],
        )
    lost = sorted(set(ids) - set(out.district))
    if lost:
        logger.warning(
            "%d district(s) lie outside the extract and are dropped: %s",
            len(lost),
            ", ".join(lost[:10]),
        )
    return out


def admin_districts(
    osm: OSMData, level: int, area: BaseGeometry, crs: pyproj.CRS
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Districts from OSM ``boundary=administrative`` relations of ``admin_level=level``.

    Complete relations give their polygons. A relation of which the extract holds only
    some member ways (an API box export) is assembled where its ways are present: the
    study area is cut along those ways, and the pieces that lie on the relation's side
    go to it. Its side is the one of the polygon closed by the chord between the loose
    ends of its ways, which lies inside any convex district.

    Returns
    -------
    tuple
        The districts (empty when the extract has none at that level) and notes
        saying which relations were assembled from partial ways.
    """
    empty = gpd.GeoDataFrame({"district": []}, geometry=gpd.GeoSeries([], crs=crs), crs=crs)
    f = osm.features
    if f.empty:
        return empty, []
    tags = f["tags"].tolist()
    mask = np.array(
        [
            t.get("boundary") == "administrative" and str(t.get("admin_level")) == str(level)
            for t in tags
        ],
        bool,
    )
    g = f[mask].to_crs(crs)
    if g.empty:
        return empty, []
    names = pd.Series(
        [t.get("name") or f"osm{int(i)}" for t, i in zip(g["tags"], g["osm_id"], strict=True)],
        index=g.index,
    )
    is_poly = g.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    full = _as_districts(g[is_poly], names[is_poly], area) if is_poly.any() else empty
    notes: list[str] = []
    pieces: list[tuple[str, BaseGeometry]] = []
    taken = shapely.union_all(full.geometry.to_numpy()) if len(full) else shapely.Polygon()
    for name, lines in zip(names[~is_poly], g.geometry[~is_poly], strict=True):
        part = _partial_district(lines, area)
        part = shapely.difference(part, taken) if not part.is_empty else part
        if part.is_empty or part.area == 0:
            notes.append(f"admin boundary {name!r} (admin_level={level}) is only partly in the extract and "
                         "could not be assembled: its ways do not cut the study area")  # fmt: skip
            continue
        taken = shapely.union(taken, part)
        pieces.append((name, part))
        notes.append(f"admin boundary {name!r} (admin_level={level}) is only partly in the extract: "
                     f"assembled from its {len(shapely.get_parts(lines))} member way(s) present")  # fmt: skip
    if pieces:
        extra = gpd.GeoDataFrame(
            {"district": [n for n, _ in pieces]}, geometry=[p for _, p in pieces], crs=crs
        )
        full = pd.concat([full, extra], ignore_index=True) if len(full) else extra
        full = (
            gpd.GeoDataFrame(full, geometry="geometry", crs=crs)
            .dissolve("district", sort=False)
            .reset_index()
        )
    return full[["district", "geometry"]] if len(full) else empty, notes


def _partial_district(lines: BaseGeometry, area: BaseGeometry) -> BaseGeometry:
    """The part of ``area`` on the inner side of a partial boundary (see :func:`admin_districts`)."""
    merged = shapely.line_merge(lines)
    chains = shapely.get_parts(merged)
    closed = []
    for ch in chains:
        coords = np.asarray(ch.coords)
        if len(coords) < 3:
            continue
        ring = shapely.Polygon(np.vstack([coords, coords[:1]]))
        ring = shapely.make_valid(ring)
        if ring.area > 0:
            closed.append(ring)
    if not closed:
        return shapely.Polygon()
    inner = shapely.union_all(closed)
    # cut the area along the ways (a 1 cm slit: robust where a way ends on the area's edge)
    faces = shapely.get_parts(shapely.difference(area, shapely.buffer(lines, 0.01)))
    keep = [
        fc for fc in faces if fc.area > 0 and shapely.intersection(fc, inner).area > 0.5 * fc.area
    ]
    if not keep:
        return shapely.Polygon()
    # close the slit again: grow the kept faces by the slit width, within the area
    return shapely.intersection(shapely.buffer(shapely.union_all(keep), 0.011), area)
