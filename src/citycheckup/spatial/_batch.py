"""Many cities at once: one task per OSM extract on Dask distributed."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from citycheckup._io import atomic_dir
from citycheckup.errors import CitycheckupError, Problem, SpatialError

__all__ = ["read_batch", "run_batch", "run_city"]

logger = logging.getLogger(__name__)

_COLUMNS = ("city", "osm", "boundary", "districts", "district_id", "admin_level", "grid", "population",
            "population_column", "gtfs", "year")  # fmt: skip


def read_batch(path: str | Path) -> pd.DataFrame:
    """Read a batch list: one extract per row.

    Columns: ``city`` and ``osm`` (required); optional ``boundary``, ``districts``,
    ``district_id``, ``admin_level``, ``grid``, ``population``,
    ``population_column``, ``gtfs``, ``year``. Relative paths are relative to the
    list's folder.

    Raises
    ------
    SpatialError
        Listing every bad row.
    """
    p = Path(path)
    if not p.is_file():
        raise SpatialError("batch list not found", problems=[Problem("no such file", str(p))])
    table = pd.read_csv(p, dtype=str, keep_default_na=False)
    problems = []
    for col in ("city", "osm"):
        if col not in table.columns:
            problems.append(Problem(f"missing column {col!r}", str(p)))
    unknown = [c for c in table.columns if c not in _COLUMNS]
    if unknown:
        problems.append(Problem(f"unknown columns {unknown}; allowed: {list(_COLUMNS)}", str(p)))
    if problems:
        raise SpatialError("invalid batch list", problems=problems)
    if table.empty:
        raise SpatialError(
            "the batch list has no rows", problems=[Problem("add one row per city", str(p))]
        )
    dup = table.city[table.city.duplicated()].tolist()
    if dup:
        problems.append(Problem(f"city names repeat: {dup}", str(p)))
    for i, row in table.iterrows():
        where = f"{p} row {int(i) + 2}"  # type: ignore[call-overload]
        if not row["city"].strip():
            problems.append(Problem("empty city name", where))
        for col in ("osm", "boundary", "districts", "population", "gtfs"):
            val = row.get(col, "")
            if val and not (p.parent / val).exists():
                problems.append(Problem(f"{col} file {val!r} not found", where))
        for col in ("admin_level", "grid", "year"):
            val = row.get(col, "")
            if val:
                try:
                    float(val)
                except ValueError:
                    problems.append(Problem(f"{col} must be a number, got {val!r}", where))
    if problems:
        raise SpatialError("invalid batch list", problems=problems)
    for col in ("osm", "boundary", "districts", "population", "gtfs"):
        if col in table.columns:
            table[col] = [str((p.parent / v).resolve()) if v else "" for v in table[col]]
    return table


def _kwargs(row: dict[str, str]) -> dict[str, Any]:
    kw: dict[str, Any] = {}
    for col in ("boundary", "districts", "district_id", "population", "population_column", "gtfs"):
        if row.get(col):
            kw[col] = row[col]
    if row.get("admin_level"):
        kw["admin_level"] = int(float(row["admin_level"]))
    if row.get("grid"):
        kw["grid"] = float(row["grid"])
    if row.get("year"):
        kw["year"] = int(float(row["year"]))
    return kw


def run_city(
    row: dict[str, str], out: str, maps: bool = True
) -> tuple[str, pd.DataFrame | None, str | None]:
    """Run one city of a batch (a Dask task).

    Returns
    -------
    tuple
        ``(city, indicators or None, error message or None)``; errors of bad
        input are returned, not raised, so one bad city does not stop the batch.
    """
    from citycheckup.spatial._pipeline import run_spatial

    city = row["city"]
    try:
        res = run_spatial(row["osm"], Path(out) / city, maps=maps, **_kwargs(row))
    except CitycheckupError as exc:
        return city, None, str(exc)
    table = res.indicators.copy()
    table.insert(0, "city", city)
    return city, table, None


def run_batch(
    batch: str | Path,
    out: str | Path,
    *,
    scheduler: str | None = None,
    n_workers: int = 2,
    maps: bool = True,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Run every city of a batch list on Dask distributed and gather one table.

    Parameters
    ----------
    batch
        The batch list (see :func:`read_batch`).
    out
        Output folder: one sub-folder per city, plus ``indicators.csv`` (all cities,
        column ``city`` first) and ``errors.csv``.
    scheduler
        Address of an existing Dask scheduler; a ``LocalCluster`` on 127.0.0.1
        with the dashboard off when omitted. Scripts that start a local cluster
        must guard their entry point with ``if __name__ == "__main__":``.
    n_workers
        Workers of the local cluster.
    maps
        Render maps for each city.
    progress
        Show a progress bar; by default only on a terminal.

    Returns
    -------
    pandas.DataFrame
        The gathered indicators of every city that succeeded.

    Raises
    ------
    SpatialError
        If the list is invalid or every city failed.
    """
    from distributed import Client, LocalCluster, as_completed

    table = read_batch(batch)
    rows = table.to_dict("records")
    target = Path(out)
    show = sys.stderr.isatty() if progress is None else progress
    cluster = None
    results: list[pd.DataFrame] = []
    errors: list[tuple[str, str]] = []
    with atomic_dir(target) as tmp:
        if scheduler is None:
            cluster = LocalCluster(
                n_workers=min(n_workers, len(rows)), threads_per_worker=1, processes=True,
                host="127.0.0.1", dashboard_address=None,
            )  # fmt: skip
            client = Client(cluster)
        else:
            client = Client(scheduler)
        try:
            futures = [client.submit(run_city, r, str(tmp), maps, key=f"city-{i}-{r['city']}", pure=False)
                       for i, r in enumerate(rows)]  # fmt: skip
            bar = None
            if show:
                from rich.progress import Progress

                bar = Progress(transient=False)
                bar.start()
                task = bar.add_task("cities", total=len(futures))
            try:
                for fut in as_completed(futures):
                    city, res, err = fut.result()
                    if err is not None:
                        logger.error("city %s failed: %s", city, err)
                        errors.append((city, err))
                    elif res is not None:
                        results.append(res)
                    if bar is not None:
                        bar.advance(task)
            finally:
                if bar is not None:
                    bar.stop()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        if not results:
            raise SpatialError(
                "every city of the batch failed", problems=[Problem(e, c) for c, e in errors]
            )
        order = {r["city"]: i for i, r in enumerate(rows)}
        gathered = pd.concat(
            sorted(results, key=lambda t: order[t["city"].iloc[0]]), ignore_index=True
        )
        gathered.to_csv(tmp / "indicators.csv", index=False, float_format="%.6g")
        pd.DataFrame(errors, columns=["city", "error"]).to_csv(tmp / "errors.csv", index=False)
    return gathered
