"""Many cities at once: one task per OSM extract on Dask distributed.

Each task writes its city's outputs into a temporary folder on the worker and sends
them back to the client as a tar archive, so a remote cluster (``--scheduler``) needs
no shared filesystem for the results. The *inputs* (OSM extracts, population,
POI, GTFS files) are read by the workers: they must exist at the same paths there
(a shared or copied filesystem).
"""

from __future__ import annotations

import io
import logging
import socket
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from citycheckup._io import atomic_dir
from citycheckup.errors import CitycheckupError, Problem, SpatialError

__all__ = ["BatchResult", "read_batch", "run_batch", "run_city"]

logger = logging.getLogger(__name__)

_COLUMNS = ("city", "osm", "boundary", "districts", "district_id", "admin_level", "grid", "population",
            "population_column", "census", "gtfs", "poi", "poi_crs", "built_up", "year")  # fmt: skip
_FILES = ("osm", "boundary", "districts", "population", "census", "gtfs", "poi", "built_up")


def read_batch(path: str | Path) -> pd.DataFrame:
    """Read a batch list: one extract per row.

    Columns: ``city`` and ``osm`` (required); optional ``boundary``, ``districts``,
    ``district_id``, ``admin_level``, ``grid``, ``population``,
    ``population_column``, ``census``, ``gtfs``, ``poi``, ``poi_crs``, ``built_up``,
    ``year``. Relative paths are relative to the list's folder.

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
        for col in _FILES:
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
    for col in _FILES:
        if col in table.columns:
            table[col] = [str((p.parent / v).resolve()) if v else "" for v in table[col]]
    return table


def _kwargs(row: dict[str, str]) -> dict[str, Any]:
    kw: dict[str, Any] = {}
    for col in ("boundary", "districts", "district_id", "population", "population_column", "census", "gtfs",
                "poi", "poi_crs", "built_up"):  # fmt: skip
        if row.get(col):
            kw[col] = row[col]
    if "poi_crs" in kw:
        kw["poi_crs"] = kw["poi_crs"].strip().lower()
    if row.get("admin_level"):
        kw["admin_level"] = int(float(row["admin_level"]))
    if row.get("grid"):
        kw["grid"] = float(row["grid"])
    if row.get("year"):
        kw["year"] = int(float(row["year"]))
    return kw


@dataclass
class BatchResult:
    """What a batch produced: the gathered indicators and the cities that failed."""

    indicators: pd.DataFrame
    errors: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["city", "error"]))
    out: Path | None = None

    @property
    def failed(self) -> list[str]:
        """Names of the cities that failed."""
        return self.errors["city"].astype(str).tolist()


def run_city(
    row: dict[str, str], maps: Any = "default"
) -> tuple[str, pd.DataFrame | None, str | None, bytes | None]:
    """Run one city of a batch (a Dask task) and return its outputs as a tar archive.

    Returns
    -------
    tuple
        ``(city, indicators or None, error message or None, tar bytes or None)``;
        errors of bad input are returned, not raised, so one bad city does not
        stop the batch.
    """
    from citycheckup.spatial._outputs import run_spatial

    city = row["city"]
    with tempfile.TemporaryDirectory(prefix="citycheckup-city-") as tmp:
        out = Path(tmp) / "out"
        try:
            res = run_spatial(row["osm"], out, maps=maps, **_kwargs(row))
        except CitycheckupError as exc:
            return city, None, str(exc), None
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            tar.add(out, arcname=".")
    table = res.indicators.copy()
    table.insert(0, "city", city)
    return city, table, None, buf.getvalue()


def _check_scheduler(address: str, timeout_s: float) -> None:
    """Fail at once, in one line, when nothing listens at the scheduler address."""
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme not in {"tcp", "tls"} or not parts.hostname or parts.port is None:
        raise SpatialError(f"invalid Dask scheduler address {address!r}; expected tcp://HOST:PORT")
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=timeout_s):
            pass
    except OSError as exc:
        raise SpatialError(
            f"cannot reach the Dask scheduler at {address} ({exc.strerror or exc}); start it "
            "(dask scheduler) or check the address and firewall"
        ) from None


def run_batch(
    batch: str | Path,
    out: str | Path,
    *,
    scheduler: str | None = None,
    n_workers: int = 2,
    maps: Any = "default",
    progress: bool | None = None,
    connect_timeout_s: float = 5.0,
) -> BatchResult:
    """Run every city of a batch list on Dask distributed and gather one table.

    Parameters
    ----------
    batch
        The batch list (see :func:`read_batch`).
    out
        Output folder: one sub-folder per city that succeeded, plus
        ``indicators.csv`` (all cities, column ``city`` first) and ``errors.csv``.
    scheduler
        Address of an existing Dask scheduler (``tcp://host:8786``); a
        ``LocalCluster`` on 127.0.0.1 (random ports, dashboard off) when omitted.
        Results come back to this process, so the workers need no shared
        filesystem for them; the input files must exist at the same paths on the
        workers. Scripts that start a local cluster must guard their entry point
        with ``if __name__ == "__main__":``.
    n_workers
        Workers of the local cluster.
    maps
        Maps per city (see :func:`~citycheckup.spatial.write_spatial_outputs`).
    progress
        Show a progress bar; by default only on a terminal.
    connect_timeout_s
        How long to wait for the scheduler.

    Returns
    -------
    BatchResult
        The gathered indicators and the failed cities (``result.failed``); the
        caller decides how to report a partial failure (the CLI exits with 1).

    Raises
    ------
    SpatialError
        If the list is invalid, the scheduler cannot be reached, or every city failed.
    """
    from distributed import Client, LocalCluster, as_completed

    table = read_batch(batch)
    rows = table.to_dict("records")
    if scheduler is not None:
        _check_scheduler(scheduler, connect_timeout_s)
    target = Path(out)
    show = sys.stderr.isatty() if progress is None else progress
    cluster = None
    results: list[pd.DataFrame] = []
    errors: list[tuple[str, str]] = []
    with atomic_dir(target) as tmp:
        if scheduler is None:
            cluster = LocalCluster(
                n_workers=min(n_workers, len(rows)), threads_per_worker=1, processes=True,
                host="127.0.0.1", scheduler_port=0, dashboard_address=None,
            )  # fmt: skip
            client = Client(cluster)
        else:
            try:
                client = Client(scheduler, timeout=connect_timeout_s)
            except (OSError, TimeoutError) as exc:
                raise SpatialError(
                    f"cannot connect to the Dask scheduler at {scheduler}: {exc}"
                ) from None
        try:
            futures = [client.submit(run_city, r, maps, key=f"city-{i}-{r['city']}", pure=False)
                       for i, r in enumerate(rows)]  # fmt: skip
            bar = None
            if show:
                from rich.progress import Progress

                bar = Progress(transient=False)
                bar.start()
                task = bar.add_task("cities", total=len(futures))
            try:
                for fut in as_completed(futures):
                    city, res, err, archive = fut.result()
                    if err is not None:
                        logger.error("city %s failed: %s", city, err)
                        errors.append((city, err))
                    elif res is not None and archive is not None:
                        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
                            tar.extractall(tmp / city, filter="data")
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

        def _position(t: pd.DataFrame) -> int:
            return order[t["city"].iloc[0]]

        ordered: list[pd.DataFrame] = sorted(results, key=_position)
        gathered = pd.concat(ordered, ignore_index=True)
        gathered.to_csv(tmp / "indicators.csv", index=False, float_format="%.6g")
        err_frame = pd.DataFrame(errors, columns=["city", "error"])
        err_frame.to_csv(tmp / "errors.csv", index=False)
    return BatchResult(gathered, err_frame, target.resolve())
