"""Homes and population: residential buildings, population grids and census totals.

Homes are residential buildings weighted by floor area (footprint × storeys). With a
population layer (a GeoTIFF grid such as WorldPop, grid polygons or points) and/or
census totals by district, persons are disaggregated onto the residential buildings
in proportion to their floor area (dasymetric mapping); population that falls where no
residential building is mapped stays at the grid cell, so that nobody is dropped.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from citycheckup.errors import Problem, SpatialError
from citycheckup.spatial._facilities import FacilityConfig

__all__ = [
    "PopulationResult",
    "homes_from_buildings",
    "population_homes",
    "read_census",
]

logger = logging.getLogger(__name__)

_POP_COLUMNS = {"population", "pop", "pop_total", "人口", "常住人口", "人口数", "总人口"}
RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".img")


def _levels(tags: Mapping[str, str], default: float) -> float:
    raw = tags.get("building:levels")
    if raw is None:
        return default
    try:
        val = float(str(raw).split(";")[0].replace(",", "."))
    except ValueError:
        return default
    return val if 0 < val < 200 else default


def homes_from_buildings(
    buildings: gpd.GeoDataFrame, residential_land: BaseGeometry | None, config: FacilityConfig
) -> gpd.GeoDataFrame:
    """Residential buildings as homes, weighted by floor area (footprint × storeys, m²).

    ``buildings`` must be projected and carry a ``tags`` column. A building counts
    when its ``building=*`` value is residential, or when it is ``building=yes``
    and lies in residential land use.

    Returns
    -------
    geopandas.GeoDataFrame
        Points (representative point of each building) with ``weight`` and
        ``floor_area`` (both m²) and ``source`` = ``building``.
    """
    if buildings.empty:
        return gpd.GeoDataFrame(
            {"weight": np.empty(0), "floor_area": np.empty(0), "source": np.empty(0, object)},
            geometry=gpd.GeoSeries([], crs=buildings.crs),
        )
    tags = buildings["tags"].tolist()
    kind = np.array([t.get("building", "") for t in tags], dtype=object)
    res = np.isin(kind, list(config.residential_buildings))
    centroids = buildings.geometry.representative_point()
    if residential_land is not None and not residential_land.is_empty:
        generic = kind == "yes"
        in_res = np.zeros(len(buildings), bool)
        if generic.any():
            in_res[generic] = shapely.contains(residential_land, centroids.to_numpy()[generic])
        res |= in_res
    levels = np.array([_levels(t, config.default_levels) for t in tags], float)
    area = buildings.geometry.area.to_numpy()
    sel = res & (area > 0)
    fa = (area * levels)[sel]
    return gpd.GeoDataFrame(
        {"weight": fa, "floor_area": fa, "source": "building"},
        geometry=centroids[sel].to_numpy(),
        crs=buildings.crs,
    )


@dataclass
class PopulationResult:
    """Homes weighted by persons and how the population was placed."""

    homes: gpd.GeoDataFrame
    method: str
    notes: list[str] = field(default_factory=list)
    total: float = 0.0


def read_census(path: str | Path | pd.DataFrame, *, column: str | None = None) -> pd.Series:
    """Census totals by district: a table with a district id and a population column.

    Parameters
    ----------
    path
        CSV or XLSX (or a DataFrame). The id column is the first of ``district``,
        ``name``, ``code``, ``id``, ``街道``, ``社区``, ``名称``; the population column
        ``column`` or the first of ``population``, ``pop``, ``人口``, ``常住人口``.

    Returns
    -------
    pandas.Series
        Persons indexed by district id (as text).

    Raises
    ------
    SpatialError
        When the file, a column or a value is unusable (every problem listed).
    """
    where = str(path) if not isinstance(path, pd.DataFrame) else "census table"
    if isinstance(path, pd.DataFrame):
        df = path
    else:
        p = Path(path)
        if not p.is_file():
            raise SpatialError("census table not found", problems=[Problem("no such file", str(p))])
        try:
            df = pd.read_excel(p) if p.suffix.lower() in {".xlsx", ".xls"} else pd.read_csv(p)
        except Exception as exc:  # pandas raises many kinds
            raise SpatialError(
                "cannot read the census table", problems=[Problem(str(exc), str(p))]
            ) from exc
    idc = next(
        (c for c in ("district", "name", "code", "id", "街道", "社区", "名称") if c in df.columns),
        None,
    )
    popc = column or next((c for c in df.columns if str(c).lower() in _POP_COLUMNS), None)
    problems = []
    if idc is None:
        problems.append(
            Problem(
                f"no district id column (district/name/code/id/街道/社区); found {list(df.columns)}",
                where,
            )
        )
    if popc is None or popc not in df.columns:
        problems.append(
            Problem(
                f"no population column (population/pop/人口, or give its name); found {list(df.columns)}",
                where,
            )
        )
    if problems:
        raise SpatialError("unusable census table", problems=problems)
    vals = pd.to_numeric(df[popc], errors="coerce")
    bad = df.index[vals.isna() | (vals < 0)]
    for i in bad[:20]:
        problems.append(
            Problem(
                f"population {df.at[i, popc]!r} is not a non-negative number",
                f"{where} row {int(i) + 2}",
            )
        )
    ids = df[idc].astype(str).str.strip()
    dup = sorted(set(ids[ids.duplicated()]))
    if dup:
        problems.append(Problem(f"district ids repeat: {dup[:10]}", where))
    if problems:
        raise SpatialError("invalid census table", problems=problems)
    return pd.Series(vals.to_numpy(float), index=ids.to_numpy(), name="population")  # fmt: skip


def _lattice(geom: BaseGeometry, spacing_m: float) -> tuple[np.ndarray, np.ndarray]:
    minx, miny, maxx, maxy = geom.bounds
    mgx, mgy = np.meshgrid(
        np.arange(minx + spacing_m / 2, maxx, spacing_m),
        np.arange(miny + spacing_m / 2, maxy, spacing_m),
    )
    gx, gy = mgx.ravel(), mgy.ravel()
    ok = shapely.contains_xy(geom, gx, gy)
    gx, gy = gx[ok], gy[ok]
    if gx.size == 0:
        rp = geom.representative_point()
        gx, gy = np.array([rp.x]), np.array([rp.y])
    return gx, gy


def _share_by_floor_area(cell: np.ndarray, floor: np.ndarray, cell_pop: np.ndarray) -> np.ndarray:
    """Persons per building: each cell's population split over its buildings by floor area."""
    out = np.zeros(cell.size)
    ok = cell >= 0
    if not ok.any():
        return out
    tot = np.bincount(cell[ok], weights=floor[ok], minlength=cell_pop.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        out[ok] = cell_pop[cell[ok]] * floor[ok] / tot[cell[ok]]
    return np.nan_to_num(out)


def _leftover_points(
    xs: np.ndarray, ys: np.ndarray, pop: np.ndarray, crs: pyproj.CRS
) -> gpd.GeoDataFrame:
    keep = pop > 0
    return gpd.GeoDataFrame(
        {
            "weight": pop[keep],
            "floor_area": 0.0,
            "source": "population cell without mapped buildings",
        },
        geometry=gpd.points_from_xy(xs[keep], ys[keep]),
        crs=crs,
    )


def _raster_cells(
    path: Path, area: BaseGeometry, crs: pyproj.CRS, bx: np.ndarray, by: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
    try:
        import rasterio
        from rasterio.windows import from_bounds
    except ModuleNotFoundError as exc:  # pragma: no cover - optional extra
        raise SpatialError(
            "reading a GeoTIFF population grid needs rasterio: pip install 'citycheckup[spatial]'"
        ) from exc
    try:
        src = rasterio.open(path)
    except Exception as exc:  # rasterio raises RasterioIOError and friends
        raise SpatialError(
            "cannot read the population raster",
            problems=[Problem(f"{type(exc).__name__}: {exc}", str(path))],
        ) from exc
    with src, warnings.catch_warnings():
        # rasterio's window helpers use affine's `*`, which affine ≥ 3 marks as pending deprecation
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        if src.crs is None:
            raise SpatialError(
                "the population raster has no CRS",
                problems=[Problem("set one (e.g. EPSG:4326) with gdalwarp/rasterio", str(path))],
            )
        rcrs = pyproj.CRS.from_user_input(src.crs.to_wkt())
        to_r = pyproj.Transformer.from_crs(crs, rcrs, always_xy=True)
        minx, miny, maxx, maxy = area.bounds
        cx, cy = to_r.transform([minx, maxx, minx, maxx], [miny, miny, maxy, maxy])
        win = (
            from_bounds(min(cx), min(cy), max(cx), max(cy), src.transform)
            .round_offsets()
            .round_lengths()
        )
        win = win.intersection(rasterio.windows.Window(0, 0, src.width, src.height))
        data = src.read(1, window=win, masked=True).astype(np.float64)
        tf = src.window_transform(win)
        nodata = np.ma.getmaskarray(data)
        vals = np.where(nodata | ~np.isfinite(data.filled(np.nan)), 0.0, data.filled(0.0))
        vals = np.clip(vals, 0, None)
        rows, cols = np.indices(vals.shape)
        a, b, c0, d, e, f0 = (tf.a, tf.b, tf.c, tf.d, tf.e, tf.f)
        cc, rr = cols.ravel() + 0.5, rows.ravel() + 0.5
        px, py = a * cc + b * rr + c0, d * cc + e * rr + f0
        back = pyproj.Transformer.from_crs(rcrs, crs, always_xy=True)
        gx, gy = back.transform(np.asarray(px), np.asarray(py))
        inside = shapely.contains_xy(area, gx, gy)
        pop = vals.ravel() * inside
        # buildings → pixel index
        rx, ry = (np.asarray(v, float) for v in to_r.transform(bx, by))
        det = a * e - b * d
        c = np.floor((e * (rx - c0) - b * (ry - f0)) / det).astype(np.int64)
        r = np.floor((a * (ry - f0) - d * (rx - c0)) / det).astype(np.int64)
        okb = (r >= 0) & (r < vals.shape[0]) & (c >= 0) & (c < vals.shape[1])
        cell = np.where(okb, r * vals.shape[1] + np.clip(c, 0, None), -1)
        return (
            np.asarray(gx),
            np.asarray(gy),
            pop,
            cell,
            f"raster {path.name} ({vals.shape[1]}×{vals.shape[0]} pixels read)",
        )


def population_homes(
    buildings: gpd.GeoDataFrame,
    area: BaseGeometry,
    crs: pyproj.CRS,
    *,
    grid: gpd.GeoDataFrame | str | Path | None = None,
    column: str | None = None,
    census: pd.Series | None = None,
    districts: gpd.GeoDataFrame | None = None,
    spacing_m: float = 50.0,
) -> PopulationResult:
    """Homes weighted by persons: population disaggregated onto residential buildings.

    Parameters
    ----------
    buildings
        Residential buildings from :func:`homes_from_buildings` (``floor_area``).
    area, crs
        Study area and its projected CRS.
    grid
        Population grid: a GeoTIFF path (WorldPop, census grid), or a layer of
        polygons or points with a population column (``column``).
    census
        Persons by district id (:func:`read_census`); ``districts`` must carry
        those ids. The grid (or the floor area, without a grid) is scaled so that
        every district's total equals its census figure.

    Returns
    -------
    PopulationResult
        Homes (``weight`` = persons, ``floor_area``, ``source``) and the method in words.

    Notes
    -----
    Grid cell population is split over the residential buildings whose
    representative point lies in the cell, in proportion to floor area; a cell
    with population but no mapped residential building keeps its population at
    the cell (centre, or 50 m lattice points for polygons). Polygons are scaled by
    the share of their area inside the study area.
    """
    b = buildings.reset_index(drop=True)
    bx, by = b.geometry.x.to_numpy(), b.geometry.y.to_numpy()
    floor = b["floor_area"].to_numpy(float)
    persons = np.zeros(len(b))
    parts: list[gpd.GeoDataFrame] = []
    notes: list[str] = []
    steps: list[str] = []
    if isinstance(grid, (str, Path)) and str(grid).lower().endswith(RASTER_SUFFIXES):
        gx, gy, pop, cell, what = _raster_cells(Path(grid), area, crs, bx, by)
        persons = _share_by_floor_area(cell, floor, pop)
        has_b = np.bincount(cell[cell >= 0], minlength=pop.size) > 0
        parts.append(_leftover_points(gx, gy, np.where(has_b, 0.0, pop), crs))
        steps.append(
            f"population grid {what}: each pixel's population split over the residential buildings in it by floor area"
        )
    elif grid is not None:
        layer = grid if isinstance(grid, gpd.GeoDataFrame) else None
        if layer is None:  # pragma: no cover - callers read vector files first
            raise SpatialError(f"unsupported population input {grid!r}")
        src = layer.attrs.get("source", "population")
        col = column or next((c for c in layer.columns if str(c).lower() in _POP_COLUMNS), None)
        if col is None or col not in layer.columns:
            raise SpatialError("population column not found", problems=[Problem(
                f"expected a 'population' column (or --population-column), found {list(layer.columns)}", src)])  # fmt: skip
        pop = pd.to_numeric(layer[col], errors="coerce")
        bad = pop.isna() | (pop < 0)
        if bad.any():
            raise SpatialError("invalid population values", problems=[Problem(
                f"{int(bad.sum())} value(s) of {col!r} are missing or negative (first rows: "
                f"{[int(i) for i in layer.index[bad][:5]]}); fix or drop them", src)])  # fmt: skip
        g = layer.assign(_pop=pop.to_numpy(float)).to_crs(crs)
        types = g.geometry.geom_type
        polys = g[types.isin(["Polygon", "MultiPolygon"])].reset_index(drop=True)
        pts = g[types == "Point"].reset_index(drop=True)
        if len(polys):
            geoms = polys.geometry.to_numpy()
            clipped = shapely.intersection(geoms, area)
            share = np.where(
                shapely.area(geoms) > 0,
                shapely.area(clipped) / np.maximum(shapely.area(geoms), 1e-12),
                0.0,
            )
            cpop = polys["_pop"].to_numpy(float) * share
            cell = np.full(len(b), -1, np.int64)
            if len(b):
                bi, pi = shapely.STRtree(clipped).query(
                    b.geometry.to_numpy(), predicate="intersects"
                )
                bi, first = np.unique(bi, return_index=True)
                cell[bi] = pi[first]
            persons += _share_by_floor_area(cell, floor, cpop)
            has_b = np.bincount(cell[cell >= 0], minlength=cpop.size) > 0
            for k in np.flatnonzero(~has_b & (cpop > 0)):
                lx, ly = _lattice(clipped[k], spacing_m)
                parts.append(_leftover_points(lx, ly, np.full(lx.size, cpop[k] / lx.size), crs))
            steps.append(
                f"population polygons {src} ({len(polys)}): each polygon's population (× its share inside the study area) split over its residential buildings by floor area"
            )
        if len(pts):
            px, py = pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()
            inside = shapely.contains_xy(area, px, py)
            px, py, ppop = px[inside], py[inside], pts["_pop"].to_numpy(float)[inside]
            cell = np.full(len(b), -1, np.int64)
            if px.size and len(b):
                if px.size > 1:
                    nn = cKDTree(np.c_[px, py]).query(np.c_[px, py], k=2)[0][:, 1]
                    radius = 0.75 * float(np.median(nn))
                else:
                    radius = 250.0
                dd, ii = cKDTree(np.c_[px, py]).query(np.c_[bx, by], distance_upper_bound=radius)
                cell = np.where(np.isfinite(dd), ii, -1)
                steps.append(
                    f"population points {src} ({px.size}): each point's population split over the residential buildings within {radius:.0f} m (nearest point) by floor area"
                )
            else:
                steps.append(f"population points {src} ({px.size})")
            persons += _share_by_floor_area(cell, floor, ppop)
            has_b = np.bincount(cell[cell >= 0], minlength=ppop.size) > 0
            parts.append(_leftover_points(px, py, np.where(has_b, 0.0, ppop), crs))
    homes_b = b.assign(weight=persons if grid is not None else floor.copy())
    if census is not None:
        if districts is None or districts.empty:
            raise SpatialError(
                "census totals by district need district polygons (--districts) with the same ids"
            )
        names = districts["district"].astype(str).tolist()
        unknown = sorted(set(census.index) - set(names))
        absent = sorted(set(names) - set(census.index))
        if unknown or absent:
            raise SpatialError("census table and districts do not match", problems=[
                *[Problem(f"census district {u!r} is not among the districts (first ids: {names[:5]})", "census") for u in unknown[:20]],
                *[Problem(f"district {a!r} has no census figure", "census") for a in absent[:20]],
            ])  # fmt: skip
        homes_b, extra, cnote = _rake_to_census(
            homes_b, parts, census, districts, spacing_m, crs, from_grid=grid is not None
        )
        parts = extra
        notes += cnote
        steps.append("census totals by district: " + ("the gridded population of each district scaled to its census total" if grid is not None
                     else "each district's census total split over its residential buildings by floor area"))  # fmt: skip
    if grid is None and census is None:
        raise SpatialError("population_homes needs a grid or census totals")
    homes = pd.concat(
        [homes_b[["weight", "floor_area", "source", "geometry"]], *parts], ignore_index=True
    )
    homes = gpd.GeoDataFrame(homes, geometry="geometry", crs=crs)
    homes = homes[homes["weight"] > 0].reset_index(drop=True)
    left = homes["source"] != "building"
    if left.any():
        share = 100 * homes.loc[left, "weight"].sum() / max(homes["weight"].sum(), 1e-12)
        notes.append(f"{share:.1f} % of the population lies in cells without a mapped residential building "
                     "and stays at the cell (mapped homes are incomplete there)")  # fmt: skip
    return PopulationResult(
        homes=homes, method="; ".join(steps), notes=notes, total=float(homes["weight"].sum())
    )


def _rake_to_census(
    homes_b: gpd.GeoDataFrame,
    parts: list[gpd.GeoDataFrame],
    census: pd.Series,
    districts: gpd.GeoDataFrame,
    spacing_m: float,
    crs: pyproj.CRS,
    *,
    from_grid: bool,
) -> tuple[gpd.GeoDataFrame, list[gpd.GeoDataFrame], list[str]]:
    notes: list[str] = []
    allh = pd.concat(
        [homes_b[["weight", "floor_area", "source", "geometry"]], *parts], ignore_index=True
    )
    allh = gpd.GeoDataFrame(allh, geometry="geometry", crs=crs)
    tree = shapely.STRtree(districts.geometry.to_numpy())
    hi, di = tree.query(allh.geometry.to_numpy(), predicate="intersects")
    hi, first = np.unique(hi, return_index=True)
    dname = np.full(len(allh), "", dtype=object)
    dname[hi] = districts["district"].astype(str).to_numpy()[di[first]]
    w = allh["weight"].to_numpy(float).copy()
    extra: list[gpd.GeoDataFrame] = []
    for name, geom in zip(districts["district"].astype(str), districts.geometry, strict=True):
        target = float(census[name])
        sel = dname == name
        have = w[sel].sum()
        if have > 0:
            w[sel] *= target / have
        elif target > 0:
            lx, ly = _lattice(geom, spacing_m)
            extra.append(_leftover_points(lx, ly, np.full(lx.size, target / lx.size), crs))
            notes.append(f"district {name}: no mapped residential building{' and no gridded population' if from_grid else ''}; "
                         f"its census population ({target:,.0f}) is spread evenly over the district")  # fmt: skip
    out = allh.assign(weight=w)
    out = (
        out[dname != ""] if len(out) else out
    )  # homes outside every census district carry no census count
    return gpd.GeoDataFrame(out, geometry="geometry", crs=crs), extra, notes
