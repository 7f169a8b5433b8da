"""The DuckDB results store.

One file keeps every run: its manifest, units, unit × year × indicator values at each
stage, scores and ranks, grades, rank intervals, strengths/weak points, every CSV table
(as Parquet) and every other output file (report, workbook, GeoPackage) as a blob.

Concurrency
-----------
Within one process, readers use their own cursors and see only committed runs
(DuckDB's MVCC): a run is written in one transaction, so a failed run leaves nothing
visible and readers never see half a run. Across processes DuckDB allows one writer
*or* many read-only readers; an open that meets a lock is retried until ``timeout``
and then fails with a message naming the fix (submit runs through the API of the
serving process, or stop it).
"""

from __future__ import annotations

import io
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from citycheckup._io import atomic_file
from citycheckup.store._errors import RunNotFoundError, StoreError
from citycheckup.store._ingest import RunContent, file_meta, read_run_dir
from citycheckup.store._schema import SCHEMA_VERSION, current_version, migrate

__all__ = ["DEFAULT_STORE", "ENV_STORE", "Store", "default_store_path", "save_run_dir"]

log = logging.getLogger(__name__)

DEFAULT_STORE = "citycheckup.duckdb"
ENV_STORE = "CITYCHECKUP_STORE"
RUN_COLUMNS = (
    "run_id",
    "kind",
    "label",
    "created_utc",
    "stored_utc",
    "framework_code",
    "framework_version",
    "package_version",
    "source",
    "n_units",
    "year_min",
    "year_max",
    "score_codes",
)
RUN_SORTS = {"stored_utc", "created_utc", "kind", "label", "run_id", "framework_code", "n_units"}
EXPORT_FORMATS = ("parquet", "csv", "xlsx")


def default_store_path(store: str | os.PathLike[str] | None = None) -> Path:
    """``store`` if given, else ``$CITYCHECKUP_STORE``, else ``./citycheckup.duckdb``."""
    if store:
        return Path(store)
    return Path(os.environ.get(ENV_STORE) or DEFAULT_STORE)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


class Store:
    """A results store in a DuckDB file.

    Parameters
    ----------
    path
        The ``.duckdb`` file (created with the current schema when absent, unless
        ``read_only``).
    read_only
        Open without writing: several processes may read at once, none may write.
    timeout
        Seconds to keep retrying when another process holds the file's lock.

    Examples
    --------
    >>> with Store("citycheckup.duckdb") as st:            # doctest: +SKIP
    ...     run_id = st.save_run_dir("out/demo", label="2024 check-up")
    ...     st.list_runs()[0]["run_id"] == run_id
    True
    """

    def __init__(
        self, path: str | os.PathLike[str], *, read_only: bool = False, timeout: float = 10.0
    ):
        import duckdb

        self.path = Path(path)
        self.read_only = read_only
        if read_only and not self.path.is_file():
            raise StoreError(
                f"store {self.path} does not exist; save a run into it first "
                "(citycheckup run … --store PATH) or give another --store"
            )
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._con = duckdb.connect(str(self.path), read_only=read_only)
                break
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise StoreError(
                        f"store {self.path} cannot be opened: {exc}. Another process (e.g. 'citycheckup serve') "
                        "holds it: submit runs through that server's API, or stop it and retry"
                    ) from exc
                time.sleep(0.2)
            except duckdb.Error as exc:
                raise StoreError(
                    f"store {self.path} cannot be opened ({exc}); is it a citycheckup DuckDB file?"
                ) from exc
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self.generation = 0
        """Incremented by every committed write (for caches of readers in this process)."""
        self._before_commit: Callable[[], None] | None = None
        if read_only:
            v = current_version(self._con)
            if v != SCHEMA_VERSION:
                self._con.close()
                raise StoreError(
                    f"store {self.path} has schema version {v}, this citycheckup needs "
                    f"{SCHEMA_VERSION}; open it once for writing to migrate it"
                )
        else:
            migrate(self._con)

    # -- connection handling ---------------------------------------------------------
    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the store (cursors of other threads become unusable)."""
        self._con.close()

    def cursor(self) -> Any:
        """A DuckDB cursor for the calling thread (reused by later calls of the same thread)."""
        cur = getattr(self._local, "cur", None)
        if cur is None:
            cur = self._con.cursor()
            self._local.cur = cur
        return cur

    def query(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> pd.DataFrame:
        """Run a read-only SQL query with ``params``; return a DataFrame."""
        return self.cursor().execute(sql, list(params)).df()

    def rows(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run a SQL query with ``params``; return the rows as tuples."""
        return self.cursor().execute(sql, list(params)).fetchall()

    @property
    def schema_version(self) -> int:
        """The schema version of the file."""
        return current_version(self.cursor())

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        if self.read_only:
            raise StoreError(
                f"store {self.path} is open read-only; open it for writing to change it"
            )
        with self._write_lock:
            cur = self._con.cursor()
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
                if self._before_commit is not None:
                    self._before_commit()
                cur.execute("COMMIT")
                self.generation += 1
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            finally:
                cur.close()

    # -- writing -----------------------------------------------------------------------
    def save(self, content: RunContent, *, label: str | None = None) -> str:
        """Insert ``content`` as a new run in one transaction; return its run id."""
        run_id = _new_run_id()
        summary = content.summary()
        with self._transaction() as cur:
            cols = ["run_id", "label", "stored_utc", *summary]
            vals = [run_id, label, _now(), *summary.values()]
            cur.execute(
                f"INSERT INTO runs ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", vals
            )
            self._insert(
                cur,
                "units",
                run_id,
                content.units,
                ["unit_code", "unit_name", "province", "province_code", "size_class"],
            )
            self._insert(
                cur,
                "scores",
                run_id,
                content.scores,
                ["unit_code", "year", "score", "value", "rank"],
            )
            self._insert(
                cur,
                "indicator_values",
                run_id,
                content.values,
                ["unit_code", "year", "stage", "indicator", "value"],
            )
            self._insert(
                cur,
                "grades",
                run_id,
                content.grades,
                ["unit_code", "year", "indicator", "value", "grade", "threshold_source"],
            )
            self._insert(
                cur,
                "rank_intervals",
                run_id,
                content.rank_intervals,
                ["unit_code", "year", "score", "nominal", "mean", "median", "q5", "q95"],
            )
            self._insert(
                cur,
                "strengths",
                run_id,
                content.strengths,
                [
                    "unit_code",
                    "year",
                    "peer_type",
                    "peer_group",
                    "kind",
                    "position",
                    "indicator",
                    "value",
                    "peer_rank",
                    "peer_n",
                ],
            )
            self._insert(
                cur,
                "coverage",
                run_id,
                content.coverage,
                ["indicator", "dimension", "status", "availability", "reason"],
            )
            self._insert(
                cur,
                "dimension_coverage",
                run_id,
                content.dimension_coverage,
                [
                    "dimension",
                    "name_zh",
                    "name_en",
                    "n_indicators",
                    "n_used",
                    "coverage",
                    "mean_availability",
                    "status",
                ],
            )
            self._insert(cur, "geometries", run_id, content.geometries, ["unit_code", "geojson"])
            for name, df in content.tables.items():
                buf = io.BytesIO()
                df.to_parquet(buf, index=False)
                cur.execute(
                    "INSERT INTO run_tables VALUES (?, ?, ?, ?, ?)",
                    [run_id, name, len(df), [str(c) for c in df.columns], buf.getvalue()],
                )
            for name, data in content.files.items():
                mt, size, sha = file_meta(name, data)
                cur.execute(
                    "INSERT INTO run_files VALUES (?, ?, ?, ?, ?, ?)",
                    [run_id, name, mt, size, sha, data],
                )
        log.info(
            "stored %s result %s (%d units) in %s",
            content.kind,
            run_id,
            summary["n_units"],
            self.path,
        )
        return run_id

    @staticmethod
    def _insert(cur: Any, table: str, run_id: str, df: pd.DataFrame, cols: list[str]) -> None:
        if df is None or df.empty:
            return
        frame = pd.DataFrame({c: df[c] if c in df.columns else None for c in cols})
        for c in ("unit_code", "province_code", "peer_group"):
            if c in frame.columns:
                frame[c] = frame[c].astype("string")
        frame.insert(0, "run_id", run_id)
        cur.register("_incoming", frame)
        try:
            cur.execute(f"INSERT INTO {table} (run_id, {', '.join(cols)}) SELECT * FROM _incoming")
        finally:
            cur.unregister("_incoming")

    def save_run_dir(
        self, run_dir: str | os.PathLike[str], *, kind: str = "auto", label: str | None = None
    ) -> str:
        """Read a result directory and store it as a new run; return its run id."""
        return self.save(read_run_dir(run_dir, kind=kind), label=label)

    def delete_run(self, run_id: str) -> None:
        """Delete a run and everything stored with it."""
        self.run(run_id)
        with self._transaction() as cur:
            for t in (
                "units",
                "scores",
                "indicator_values",
                "grades",
                "rank_intervals",
                "strengths",
                "coverage",
                "dimension_coverage",
                "geometries",
                "run_tables",
                "run_files",
                "runs",
            ):
                cur.execute(f"DELETE FROM {t} WHERE run_id = ?", [run_id])

    def label_run(self, run_id: str, label: str | None) -> None:
        """Set (or with ``None`` clear) the user label of a run."""
        self.run(run_id)
        with self._transaction() as cur:
            cur.execute("UPDATE runs SET label = ? WHERE run_id = ?", [label, run_id])

    # -- reading -----------------------------------------------------------------------
    def list_runs(
        self,
        *,
        kind: str | None = None,
        label: str | None = None,
        framework: str | None = None,
        sort: str = "-stored_utc",
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Runs as dicts (without the manifest), newest first by default.

        ``sort`` is a column of :data:`RUN_SORTS`, prefixed with ``-`` for descending order.
        """
        where, params = self._run_filter(kind, label, framework)
        key = sort.lstrip("-")
        if key not in RUN_SORTS:
            raise StoreError(
                f"cannot sort runs by {key!r}; choose one of: {', '.join(sorted(RUN_SORTS))}"
            )
        order = f"{key} {'DESC' if sort.startswith('-') else 'ASC'} NULLS LAST, run_id"
        sql = f"SELECT {', '.join(RUN_COLUMNS)} FROM runs{where} ORDER BY {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
        rows = self.rows(sql, params)
        return [dict(zip(RUN_COLUMNS, r, strict=True)) for r in rows]

    def count_runs(
        self, *, kind: str | None = None, label: str | None = None, framework: str | None = None
    ) -> int:
        """Number of runs matching the filters of :meth:`list_runs`."""
        where, params = self._run_filter(kind, label, framework)
        return int(self.rows(f"SELECT count(*) FROM runs{where}", params)[0][0])

    @staticmethod
    def _run_filter(
        kind: str | None, label: str | None, framework: str | None
    ) -> tuple[str, list[Any]]:
        conds, params = [], []
        if kind:
            conds.append("kind = ?")
            params.append(kind)
        if label:
            conds.append("label ILIKE ?")
            params.append(f"%{label}%")
        if framework:
            conds.append("framework_code = ?")
            params.append(framework)
        return (" WHERE " + " AND ".join(conds) if conds else ""), params

    def run(self, run_id: str) -> dict[str, Any]:
        """One run with its manifest and the names of its tables and files."""
        cols = [*RUN_COLUMNS, "manifest", "data_hashes", "pipeline", "parameters"]
        rows = self.rows(f"SELECT {', '.join(cols)} FROM runs WHERE run_id = ?", [run_id])
        if not rows:
            raise RunNotFoundError(run_id)
        out = dict(zip(cols, rows[0], strict=True))
        for k in ("manifest", "data_hashes", "pipeline", "parameters"):
            out[k] = json.loads(out[k]) if out[k] else None
        out["tables"] = [
            r[0]
            for r in self.rows(
                "SELECT name FROM run_tables WHERE run_id = ? ORDER BY name", [run_id]
            )
        ]
        out["files"] = [
            {"name": r[0], "media_type": r[1], "size": r[2], "sha256": r[3]}
            for r in self.rows(
                "SELECT name, media_type, size, sha256 FROM run_files WHERE run_id = ? ORDER BY name",
                [run_id],
            )
        ]
        return out

    def has_run(self, run_id: str) -> bool:
        """Whether a run with ``run_id`` is stored."""
        return bool(self.rows("SELECT count(*) FROM runs WHERE run_id = ?", [run_id])[0][0])

    def table(self, run_id: str, name: str) -> pd.DataFrame:
        """A stored table of a run (one of its CSV files, by relative name without ``.csv``)."""
        rows = self.rows(
            "SELECT parquet FROM run_tables WHERE run_id = ? AND name = ?", [run_id, name]
        )
        if not rows:
            self.run(run_id)
            raise StoreError(
                f"run {run_id} has no table {name!r}; its tables: "
                f"{', '.join(self.run(run_id)['tables'])}"
            )
        return pd.read_parquet(io.BytesIO(rows[0][0]))

    def file(self, run_id: str, name: str) -> tuple[bytes, str]:
        """A stored output file of a run (content and media type)."""
        rows = self.rows(
            "SELECT content, media_type FROM run_files WHERE run_id = ? AND name = ?",
            [run_id, name],
        )
        if not rows:
            self.run(run_id)
            raise StoreError(f"run {run_id} has no file {name!r}")
        return bytes(rows[0][0]), str(rows[0][1])

    def diff_runs(
        self, run_a: str, run_b: str, *, score: str = "index", year: int | None = None
    ) -> pd.DataFrame:
        """Score and rank changes of the units two runs share, from ``run_a`` to ``run_b``.

        ``year`` defaults to the latest year the two runs have in common. Columns: unit_code,
        unit_name, value_a, value_b, value_change, rank_a, rank_b, rank_change (positive =
        moved up).
        """
        self.run(run_a)
        self.run(run_b)
        if year is None:
            common = self.rows(
                "SELECT max(a.year) FROM (SELECT DISTINCT year FROM scores WHERE run_id = ?) a "
                "JOIN (SELECT DISTINCT year FROM scores WHERE run_id = ?) b ON a.year = b.year",
                [run_a, run_b],
            )[0][0]
            year = common
        yfilter = "year IS NULL" if year is None else "year = ?"
        yp = [] if year is None else [int(year)]
        df = self.query(
            f"""WITH a AS (SELECT unit_code, value, rank FROM scores WHERE run_id = ? AND score = ? AND {yfilter}),
                     b AS (SELECT unit_code, value, rank FROM scores WHERE run_id = ? AND score = ? AND {yfilter})
                SELECT a.unit_code, coalesce(ub.unit_name, ua.unit_name) AS unit_name,
                       a.value AS value_a, b.value AS value_b, b.value - a.value AS value_change,
                       a.rank AS rank_a, b.rank AS rank_b, a.rank - b.rank AS rank_change
                FROM a JOIN b USING (unit_code)
                LEFT JOIN units ua ON ua.run_id = ? AND ua.unit_code = a.unit_code
                LEFT JOIN units ub ON ub.run_id = ? AND ub.unit_code = a.unit_code
                ORDER BY abs(a.rank - b.rank) DESC NULLS LAST, a.unit_code""",
            [run_a, score, *yp, run_b, score, *yp, run_a, run_b],
        )
        df.attrs["year"] = year
        return df

    # -- export ------------------------------------------------------------------------
    def export(
        self,
        run_id: str,
        out: str | os.PathLike[str],
        *,
        fmt: Literal["parquet", "csv", "xlsx"] = "parquet",
        tables: list[str] | None = None,
    ) -> list[Path]:
        """Write a run's tables to ``out`` (a folder for Parquet/CSV, a ``.xlsx`` file for XLSX).

        Each file is written atomically. Returns the paths written.
        """
        if fmt not in EXPORT_FORMATS:
            raise StoreError(
                f"unknown export format {fmt!r}; choose one of: {', '.join(EXPORT_FORMATS)}"
            )
        info = self.run(run_id)
        names = tables or info["tables"]
        unknown = [n for n in names if n not in info["tables"]]
        if unknown:
            raise StoreError(
                f"run {run_id} has no table(s) {', '.join(unknown)}; its tables: "
                f"{', '.join(info['tables'])}"
            )
        out = Path(out)
        written: list[Path] = []
        if fmt == "xlsx":
            target = out if out.suffix.lower() == ".xlsx" else out / f"{run_id}.xlsx"
            with atomic_file(target, "wb") as fh, pd.ExcelWriter(fh, engine="openpyxl") as xw:  # type: ignore[arg-type]
                used: set[str] = set()
                for n in names:
                    sheet = n.replace("/", "_")[:31]
                    while sheet in used:
                        sheet = sheet[:29] + f"_{len(used)}"
                    used.add(sheet)
                    self.table(run_id, n).to_excel(xw, sheet_name=sheet, index=False)
            return [target]
        for n in names:
            df = self.table(run_id, n)
            target = out / f"{n}.{fmt}"
            with atomic_file(target, "wb") as fh:
                if fmt == "csv":
                    fh.write(df.to_csv(index=False).encode("utf-8"))  # type: ignore[attr-defined]
                else:
                    df.to_parquet(fh, index=False)  # type: ignore[arg-type]
            written.append(target)
        return written


def save_run_dir(
    store_path: str | os.PathLike[str] | None,
    run_dir: str | os.PathLike[str],
    *,
    kind: str = "auto",
    label: str | None = None,
) -> str:
    """Store the result directory ``run_dir`` in the store at ``store_path``; return the run id.

    Parameters
    ----------
    store_path
        The DuckDB file; ``None`` uses ``$CITYCHECKUP_STORE`` or ``./citycheckup.duckdb``.
    run_dir
        Output folder of ``citycheckup run``/``demo``, ``index``, ``sensitivity`` or ``spatial``.
    kind
        ``"auto"`` (detected from manifest and file names), ``run``, ``index``,
        ``sensitivity`` or ``spatial``.
    label
        A user label (e.g. ``"2024 annual check-up"``).
    """
    content = read_run_dir(run_dir, kind=kind)
    with Store(default_store_path(store_path)) as st:
        return st.save(content, label=label)
