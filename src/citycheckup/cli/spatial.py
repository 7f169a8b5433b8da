"""``citycheckup spatial``: spatial indicators from an OSM extract (or a batch of them)."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from citycheckup.cli._common import console, fail, guarded, maybe_store, store_option_help

__all__ = ["register"]


def spatial(
    out: Path = typer.Option(..., "--out", help="Output folder (written atomically)."),
    osm: Path | None = typer.Option(None, "--osm", help="OSM extract: .osm.pbf or .osm XML."),
    boundary: Path | None = typer.Option(
        None, "--boundary", help="Study-area polygon (GeoJSON/GeoPackage)."
    ),
    districts: Path | None = typer.Option(
        None, "--districts", help="District polygons (GeoJSON/GeoPackage)."
    ),
    district_id: str | None = typer.Option(None, "--district-id", help="Column with district ids."),
    admin_level: int | None = typer.Option(
        None, "--admin-level", help="Use OSM admin boundaries of this level."
    ),
    grid: float | None = typer.Option(
        None, "--grid", help="Square grid of this size (m) as districts."
    ),
    population: Path | None = typer.Option(
        None,
        "--population",
        help="Population grid: GeoTIFF (e.g. WorldPop), or polygons/points (GeoPackage/GeoJSON/CSV lon,lat); "
        "disaggregated to residential buildings by floor area.",
    ),
    population_column: str | None = typer.Option(
        None, "--population-column", help="Population column."
    ),
    census: Path | None = typer.Option(
        None, "--census", help="Census totals by district (CSV/XLSX: district id, population)."
    ),
    gtfs: Path | None = typer.Option(None, "--gtfs", help="GTFS feed (.zip) for transit stops."),
    poi: Path | None = typer.Option(
        None,
        "--poi",
        help="POI table (CSV/XLSX/GeoPackage: category + coordinates), e.g. from Amap/Baidu.",
    ),
    poi_crs: str = typer.Option(
        "wgs84",
        "--crs",
        help="Coordinates of the --poi table: wgs84, gcj02 (Amap/Tencent) or bd09 (Baidu).",
    ),
    built_up: Path | None = typer.Option(
        None, "--built-up", help="Built-up area (建成区) polygon for MOHURD road density."
    ),
    facilities: Path | None = typer.Option(None, "--facilities", help="Facility tag mapping YAML."),
    year: int | None = typer.Option(None, "--year", help="Write a year column."),
    max_snap: float = typer.Option(
        100.0, "--max-snap", help="Maximum snap distance to the walk network (m)."
    ),
    max_distance: float = typer.Option(2000.0, "--max-distance", help="Network search limit (m)."),
    maps: str = typer.Option(
        "default",
        "--maps",
        help="Maps to render: default (those the reports use), all, none, or comma-separated indicator codes.",
    ),
    no_maps: bool = typer.Option(False, "--no-maps", help="Render no maps (same as --maps none)."),
    batch: Path | None = typer.Option(
        None, "--batch", help="CSV list of cities (one extract per row)."
    ),
    scheduler: str | None = typer.Option(
        None,
        "--scheduler",
        help="Dask scheduler address for --batch (tcp://HOST:PORT). Results are streamed back; the input "
        "files must exist at the same paths on the workers.",
    ),
    workers: int = typer.Option(2, "--workers", help="Local Dask workers for --batch."),
    store: Path | None = typer.Option(None, "--store", help=store_option_help()),
    label: str | None = typer.Option(None, "--label", help="Label of the stored run."),
) -> None:
    """Compute GB 50180 life-circle, park, transit and MOHURD road indicators per district."""
    map_choice: str | list[str] = "none" if no_maps else maps
    if map_choice not in ("default", "all", "none"):
        map_choice = [c.strip() for c in str(map_choice).split(",") if c.strip()]
    if poi_crs.lower() not in ("wgs84", "gcj02", "bd09"):
        fail(f"--crs must be wgs84, gcj02 or bd09, got {poi_crs!r}")
    for noisy in ("pyogrio", "pyrosm", "distributed"):
        # their INFO lines (records written, cluster start) drown the progress messages
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    if batch is not None:
        if osm is not None:
            fail("give either --osm or --batch, not both")
        from citycheckup.spatial import run_batch

        res = guarded(
            lambda: run_batch(batch, out, scheduler=scheduler, n_workers=workers, maps=map_choice)
        )
        console.print(f"{res.indicators['city'].nunique()} cities → {out / 'indicators.csv'}")
        maybe_store(out, kind="spatial", store=store, label=label)
        if res.failed:
            fail(
                f"{len(res.failed)} of {len(res.failed) + res.indicators['city'].nunique()} cities failed: "
                f"{', '.join(res.failed)} (reasons in {out / 'errors.csv'})",
                code=1,
            )
        return
    if osm is None:
        fail("--osm FILE (or --batch LIST.csv) is required")
        return
    # --grid may accompany --admin-level (the fallback grid size), not --districts
    options = (("--districts", districts), ("--admin-level", admin_level))
    chosen = [n for n, v in options if v is not None]
    if districts is not None and grid is not None:
        chosen.append("--grid")
    if len(chosen) > 1:
        fail(f"choose one of {' / '.join(chosen)}")
    pending = None
    if osm.is_file():
        # read the extract in a second process while this one imports the rest (scipy, the
        # spatial modules); pandas and geopandas first, so that both processes share them
        import geopandas  # noqa: F401

        from citycheckup.spatial._prefetch import PendingRead

        pending = PendingRead.start(osm)
    from citycheckup.spatial import run_spatial

    extract = osm
    try:
        result = guarded(
            lambda: run_spatial(
                extract,
                out,
                maps=map_choice,
                boundary=boundary,
                districts=districts,
                district_id=district_id,
                admin_level=admin_level,
                grid=grid,
                population=population,
                population_column=population_column,
                census=census,
                gtfs=gtfs,
                poi=poi,
                poi_crs=poi_crs.lower(),  # type: ignore[arg-type]
                built_up=built_up,
                facilities=facilities,
                year=year,
                max_snap_m=max_snap,
                max_distance_m=max_distance,
                prefetched=pending,
            )  # fmt: skip
        )
    finally:
        if pending is not None:
            pending.close()
    n = len(result.indicators) - 1
    m = result.missing
    n_codes = len(
        [c for c in result.indicators.columns if c not in {"district", "year", "quality"}]
    )
    console.print(
        f"{n} districts, {n_codes} indicators, {int((m['status'] == 'missing').sum())} missing and "
        f"{int((m['status'] == 'low_quality').sum())} low-quality values (see missing.csv) → {out}"
    )
    maybe_store(out, kind="spatial", store=store, label=label)


def register(app: typer.Typer) -> None:
    """Add the ``spatial`` command to ``app``."""
    app.command("spatial")(spatial)
