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
        None, "--population", help="Population polygons or points (GeoPackage/GeoJSON/CSV lon,lat)."
    ),
    population_column: str | None = typer.Option(
        None, "--population-column", help="Population column."
    ),
    gtfs: Path | None = typer.Option(None, "--gtfs", help="GTFS feed (.zip) for transit stops."),
    facilities: Path | None = typer.Option(None, "--facilities", help="Facility tag mapping YAML."),
    year: int | None = typer.Option(None, "--year", help="Write a year column."),
    max_snap: float = typer.Option(
        100.0, "--max-snap", help="Maximum snap distance to the walk network (m)."
    ),
    max_distance: float = typer.Option(2000.0, "--max-distance", help="Network search limit (m)."),
    maps: bool = typer.Option(True, "--maps/--no-maps", help="Render PNG and HTML maps."),
    batch: Path | None = typer.Option(
        None, "--batch", help="CSV list of cities (one extract per row)."
    ),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Dask scheduler address for --batch."
    ),
    workers: int = typer.Option(2, "--workers", help="Local Dask workers for --batch."),
    store: Path | None = typer.Option(None, "--store", help=store_option_help()),
    label: str | None = typer.Option(None, "--label", help="Label of the stored run."),
) -> None:
    """Compute 15-minute life circle, park, transit and road indicators per district."""
    for noisy in ("pyogrio", "pyrosm", "distributed"):
        # their INFO lines (records written, cluster start) drown the progress messages
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    if batch is not None:
        if osm is not None:
            fail("give either --osm or --batch, not both")
        from citycheckup.spatial import run_batch

        table = guarded(
            lambda: run_batch(batch, out, scheduler=scheduler, n_workers=workers, maps=maps)
        )
        console.print(f"{table['city'].nunique()} cities → {out / 'indicators.csv'}")
        maybe_store(out, kind="spatial", store=store, label=label)
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
    from citycheckup.spatial import run_spatial

    extract = osm
    result = guarded(
        lambda: run_spatial(
            extract,
            out,
            maps=maps,
            boundary=boundary,
            districts=districts,
            district_id=district_id,
            admin_level=admin_level,
            grid=grid,
            population=population,
            population_column=population_column,
            gtfs=gtfs,
            facilities=facilities,
            year=year,
            max_snap_m=max_snap,
            max_distance_m=max_distance,
        )  # fmt: skip
    )
    n = len(result.indicators) - 1
    console.print(
        f"{n} districts, {len(result.indicators.columns) - 1} indicators, "
        f"{len(result.missing)} missing values (see missing.csv) → {out}"
    )
    maybe_store(out, kind="spatial", store=store, label=label)


def register(app: typer.Typer) -> None:
    """Add the ``spatial`` command to ``app``."""
    app.command("spatial")(spatial)
