"""Reading a result directory (check-up run, composite index, sensitivity, spatial) into tables.

Every CSV file is kept as a table (Parquet in the store) and every other file as a
blob, so nothing a run wrote is lost; the parts the API queries (units, scores,
indicator values at each stage, grades, rank intervals, strengths/weak points,
coverage, geometries) are also put into typed tables.
"""

from __future__ import annotations

import hashlib
import json
import logging
import mimetypes
import os
import stat
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from citycheckup.store._errors import StoreError

log = logging.getLogger(__name__)

Kind = Literal["run", "mohurd", "index", "sensitivity", "spatial"]
KINDS: tuple[str, ...] = ("run", "mohurd", "index", "sensitivity", "spatial")

ID_COLUMNS = ("unit_code", "uCode", "district", "city", "province_code", "peer_group", "unit")
MAX_FILE_BYTES = 256 * 1024 * 1024


@dataclass
class RunContent:
    """Everything read from one result directory, ready to be inserted."""

    kind: str
    manifest: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    """Every CSV file by its relative name without ``.csv`` (``datasets/Raw`` …)."""
    files: dict[str, bytes] = field(default_factory=dict)
    units: pd.DataFrame = field(default_factory=pd.DataFrame)
    scores: pd.DataFrame = field(default_factory=pd.DataFrame)
    values: pd.DataFrame = field(default_factory=pd.DataFrame)
    grades: pd.DataFrame = field(default_factory=pd.DataFrame)
    rank_intervals: pd.DataFrame = field(default_factory=pd.DataFrame)
    strengths: pd.DataFrame = field(default_factory=pd.DataFrame)
    coverage: pd.DataFrame = field(default_factory=pd.DataFrame)
    dimension_coverage: pd.DataFrame = field(default_factory=pd.DataFrame)
    geometries: pd.DataFrame = field(default_factory=pd.DataFrame)
    score_codes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Run-level fields of the ``runs`` table derived from the content."""
        m = self.manifest
        fw = m.get("framework") if isinstance(m.get("framework"), dict) else {}
        years = self.scores["year"].dropna() if not self.scores.empty else pd.Series(dtype=float)
        if years.empty and not self.values.empty:
            years = self.values["year"].dropna()
        created = None
        for key in ("created_utc", "created", "time"):
            if isinstance(m.get(key), str):
                try:
                    created = datetime.fromisoformat(m[key]).replace(tzinfo=None)
                    break
                except ValueError:
                    continue
        data = m.get("data")
        hashes = (
            [
                {"source": d.get("source"), "sha256": d.get("sha256")}
                for d in data
                if isinstance(d, dict)
            ]
            if isinstance(data, list)
            else []
        )
        if not hashes and isinstance(m.get("inputs"), dict):
            hashes = [{"input": k, **v} for k, v in m["inputs"].items() if isinstance(v, dict)]
        pipeline = m.get("pipeline")
        return {
            "kind": self.kind,
            "created_utc": created,
            "framework_code": fw.get("code")
            if fw
            else (m.get("framework") if isinstance(m.get("framework"), str) else None),
            "framework_version": fw.get("version") if fw else None,
            "package_version": m.get("version"),
            "source": "; ".join(str(d.get("source")) for d in data if isinstance(d, dict))
            if isinstance(data, list)
            else (str(m.get("data")) if m.get("data") else None),
            "n_units": int(self.units["unit_code"].nunique()) if not self.units.empty else 0,
            "year_min": int(years.min()) if len(years) else None,
            "year_max": int(years.max()) if len(years) else None,
            "score_codes": self.score_codes,
            "manifest": json.dumps(m, ensure_ascii=False, default=str),
            "data_hashes": json.dumps(hashes, ensure_ascii=False, default=str),
            "pipeline": json.dumps(pipeline, ensure_ascii=False, default=str)
            if pipeline is not None
            else None,
            "parameters": json.dumps(m.get("parameters"), ensure_ascii=False, default=str)
            if m.get("parameters") is not None
            else None,
        }


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        head = pd.read_csv(path, nrows=0)
        dtypes = {c: str for c in head.columns if c in ID_COLUMNS}
        return pd.read_csv(path, dtype=dtypes, keep_default_na=True)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise StoreError(
            f"{path}: not a readable CSV table ({exc}); the run directory looks damaged"
        ) from exc


def detect_kind(run_dir: Path, manifest: dict[str, Any]) -> str:
    """The kind of result in ``run_dir``: ``run``, ``mohurd``, ``index``, ``sensitivity`` or ``spatial``."""
    names = {p.name for p in run_dir.iterdir()}
    tool = str(manifest.get("tool", ""))
    if manifest.get("kind") == "mohurd" or ("grades.csv" in names and "inventories.csv" in names):
        return "mohurd"
    if "scores.csv" in names:
        return "run"
    if "sensitivity_indices.csv" in names or "rank_stats.csv" in names:
        return "sensitivity"
    if (run_dir / "datasets").is_dir() or "ranks.csv" in names:
        return "index"
    if "districts.gpkg" in names or tool.endswith("spatial") or "indicators.csv" in names:
        return "spatial"
    raise StoreError(
        f"{run_dir}: not a citycheckup result directory (expected scores.csv of a check-up run, "
        "datasets/ and ranks.csv of an index, sensitivity_indices.csv of a sensitivity analysis, "
        "or indicators.csv/districts.gpkg of a spatial run)"
    )


def _numeric_melt(df: pd.DataFrame, id_cols: list[str], stage: str) -> pd.DataFrame:
    skip = set(id_cols) | {
        "unit_name",
        "uName",
        "province",
        "province_code",
        "size_class",
        "year",
        "Time",
    }
    cols = [c for c in df.columns if c not in skip and pd.api.types.is_numeric_dtype(df[c])]
    if not cols:
        return pd.DataFrame(columns=["unit_code", "year", "stage", "indicator", "value"])
    code = id_cols[0]
    year = "year" if "year" in df.columns else "Time" if "Time" in df.columns else None
    base = pd.DataFrame(
        {
            "unit_code": df[code].astype(str),
            "year": df[year] if year else pd.Series(np.nan, index=df.index),
        }
    )
    long = pd.concat([base] * len(cols), ignore_index=True)
    long["stage"] = stage
    long["indicator"] = np.repeat(np.array(cols, dtype=object), len(df))
    long["value"] = np.concatenate(
        [pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float) for c in cols]
    )
    return long


def _scores_long(
    sc: pd.DataFrame,
    codes: list[str],
    code_col: str = "unit_code",
    ranks: pd.DataFrame | None = None,
) -> pd.DataFrame:
    frames = []
    year = sc["year"] if "year" in sc.columns else pd.Series(np.nan, index=sc.index)
    for c in codes:
        if ranks is not None:
            rk = sc[[code_col]].merge(
                ranks[[code_col, c]] if c in ranks.columns else ranks[[code_col]],
                on=code_col,
                how="left",
            )
            rank = rk[c] if c in rk.columns else np.nan
        else:
            rank = sc[f"rank_{c}"] if f"rank_{c}" in sc.columns else np.nan
        frames.append(
            pd.DataFrame(
                {
                    "unit_code": sc[code_col].astype(str).to_numpy(),
                    "year": year.to_numpy(),
                    "score": c,
                    "value": pd.to_numeric(sc[c], errors="coerce").to_numpy(),
                    "rank": np.asarray(rank, dtype=float)
                    if not np.isscalar(rank)
                    else np.full(len(sc), np.nan),
                }
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _units_from(df: pd.DataFrame, code: str, name: str | None) -> pd.DataFrame:
    out = pd.DataFrame({"unit_code": df[code].astype(str)})
    out["unit_name"] = df[name].astype(str) if name and name in df.columns else out["unit_code"]
    for c in ("province", "province_code", "size_class"):
        out[c] = df[c].astype("string") if c in df.columns else pd.NA
    return out.drop_duplicates("unit_code", keep="last").reset_index(drop=True)


def _intervals(df: pd.DataFrame, score: str) -> pd.DataFrame:
    code = "unit_code" if "unit_code" in df.columns else "uCode" if "uCode" in df.columns else None
    if code is None:
        return pd.DataFrame()
    out = pd.DataFrame(
        {
            "unit_code": df[code].astype(str),
            "year": df["year"] if "year" in df.columns else np.nan,
            "score": score,
        }
    )
    for c in ("nominal", "mean", "median", "q5", "q95"):
        out[c] = pd.to_numeric(df[c], errors="coerce") if c in df.columns else np.nan
    return out


def _regular_files(d: Path) -> list[Path]:
    """Every regular file below ``d`` (sorted), refusing anything that is not one.

    A result folder is stored whole and its files are then served by the API, so a
    symbolic link (``passwd.html -> /etc/passwd``), a link to a folder elsewhere, or a
    FIFO or device (which would block or read the machine) must not be read: the
    whole folder is refused with a list of the offending entries.
    """
    found: list[Path] = []
    refused: list[str] = []
    for root, dirs, names in os.walk(d, followlinks=False):
        here = Path(root)
        for name in [*dirs, *names]:
            p = here / name
            st = p.lstat()
            rel = p.relative_to(d).as_posix()
            if stat.S_ISLNK(st.st_mode):
                refused.append(f"{rel} -> {os.readlink(p)} (symbolic link)")
            elif stat.S_ISREG(st.st_mode):
                found.append(p)
            elif not stat.S_ISDIR(st.st_mode):
                refused.append(f"{rel} (not a regular file)")
        dirs[:] = [n for n in dirs if not (here / n).is_symlink()]
    if refused:
        listed = "; ".join(sorted(refused)[:20]) + (" …" if len(refused) > 20 else "")
        raise StoreError(
            f"{d}: refusing to store a result folder with {len(refused)} entr"
            f"{'y' if len(refused) == 1 else 'ies'} that are not regular files inside it: "
            f"{listed}. Copy the real files into the folder (or remove the links) and add it again"
        )
    return sorted(found)


def _read_no_follow(p: Path) -> bytes:
    """The bytes of ``p``, refusing a symbolic link swapped in since the folder was listed."""
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise StoreError(
            f"{p}: cannot be read ({exc.strerror}); it may have been replaced by a link"
        ) from exc
    with os.fdopen(fd, "rb") as fh:
        return fh.read()


def read_run_dir(run_dir: str | os.PathLike[str], *, kind: str = "auto") -> RunContent:
    """Read a result directory into a :class:`RunContent`.

    Parameters
    ----------
    run_dir
        Directory written by ``citycheckup run``/``demo``, ``index``, ``sensitivity`` or ``spatial``.
    kind
        ``"auto"`` (detect from the manifest and file names) or one of ``run``, ``index``,
        ``sensitivity``, ``spatial``.
    """
    d = Path(run_dir).resolve()  # the folder itself may be reached through a link
    if not d.is_dir():
        raise StoreError(
            f"{d}: no such result directory; give the --out folder of a citycheckup run"
        )
    files = _regular_files(d)  # before anything is read: refuses links and special files
    manifest: dict[str, Any] = {}
    if (d / "manifest.json").is_file():
        try:
            manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise StoreError(
                f"{d / 'manifest.json'}: invalid JSON ({exc}); the run directory looks damaged"
            ) from exc
    if kind == "auto":
        kind = detect_kind(d, manifest)
    elif kind not in KINDS:
        raise StoreError(f"unknown kind {kind!r}; choose one of: auto, {', '.join(KINDS)}")
    rc = RunContent(kind=kind, manifest=manifest)
    # a sub-folder with its own manifest is a result of its own (e.g. out/demo/spatial): not part of this one
    nested = [p.parent for p in files if p.name == "manifest.json" and p.parent != d]
    for p in files:
        if (
            p.name.startswith(".")
            or p.name == "manifest.json"
            or p.suffix.lower() in (".duckdb", ".wal", ".tmp")
            or any(n in p.parents for n in nested)
        ):
            continue
        rel = p.relative_to(d).as_posix()
        if p.suffix.lower() == ".csv":
            rc.tables[rel[:-4]] = _read_csv(p)
        elif p.stat().st_size <= MAX_FILE_BYTES:
            rc.files[rel] = _read_no_follow(p)
        else:
            log.warning(
                "%s is larger than %d MB and is not kept in the store", p, MAX_FILE_BYTES // 2**20
            )
    {
        "run": _typed_run,
        "mohurd": _typed_mohurd,
        "index": _typed_index,
        "sensitivity": _typed_sensitivity,
        "spatial": _typed_spatial,
    }[kind](rc, d)
    return rc


def _typed_run(rc: RunContent, d: Path) -> None:
    t = rc.tables
    sc = t.get("scores")
    if sc is None or sc.empty or "unit_code" not in sc.columns:
        raise StoreError(
            f"{d / 'scores.csv'}: missing or empty; a check-up run needs scores with unit_code"
        )
    skip = {"unit_code", "unit_name", "year"}
    rc.score_codes = [c for c in sc.columns if c not in skip and not c.startswith("rank_")]
    ind = t.get("indicators", pd.DataFrame())
    rc.units = _units_from(ind if not ind.empty else sc, "unit_code", "unit_name")
    rc.scores = _scores_long(sc, rc.score_codes)
    vals = []
    if not ind.empty:
        vals.append(_numeric_melt(ind, ["unit_code"], "raw"))
    if not t.get("normalised", pd.DataFrame()).empty:
        vals.append(_numeric_melt(t["normalised"], ["unit_code"], "normalised"))
    rc.values = pd.concat(vals, ignore_index=True) if vals else pd.DataFrame()
    for name in ("grades", "strengths", "coverage", "dimension_coverage"):
        if name in t and not t[name].empty:
            setattr(rc, name, t[name])
    if "rank_intervals" in t and not t["rank_intervals"].empty:
        rc.rank_intervals = _intervals(
            t["rank_intervals"], rc.score_codes[0] if rc.score_codes else "index"
        )


def _typed_mohurd(rc: RunContent, d: Path) -> None:
    """A MOHURD-method run: graded city values and lower-level counts; no scores are made up.

    The aspect grades (优/良/中/差) are kept as tables; ``scores`` stays empty because the
    method grades indicators rather than scoring them.
    """
    t = rc.tables
    vals = t.get("values")
    if vals is None or vals.empty or "unit_code" not in vals.columns:
        raise StoreError(
            f"{d / 'values.csv'}: missing or empty; a MOHURD-method run needs values with unit_code"
        )
    rc.units = _units_from(vals, "unit_code", "unit_name")
    rc.values = _numeric_melt(vals, ["unit_code"], "raw")
    g = t.get("grades")
    if g is not None and not g.empty:
        keep = [
            c
            for c in ("unit_code", "year", "indicator", "value", "grade", "threshold_source")
            if c in g.columns
        ]
        rc.grades = g[keep].copy()
    for name in ("coverage", "dimension_coverage"):
        if name in t and not t[name].empty:
            setattr(rc, name, t[name])


def _typed_index(rc: RunContent, d: Path) -> None:
    t = rc.tables
    sets = [k.split("/", 1)[1] for k in t if k.startswith("datasets/")]
    if not sets:
        raise StoreError(f"{d}: an index result needs datasets/<Name>.csv files")
    first = t[f"datasets/{sets[0]}"]
    rc.units = _units_from(first, "uCode", "uName") if "uCode" in first.columns else pd.DataFrame()
    vals = [
        _numeric_melt(t[f"datasets/{s}"], ["uCode"], s)
        for s in sets
        if "uCode" in t[f"datasets/{s}"].columns
    ]
    rc.values = pd.concat(vals, ignore_index=True) if vals else pd.DataFrame()
    ranks = t.get("ranks")
    agg_name = "Aggregated" if "Aggregated" in sets else sets[-1]
    agg = t[f"datasets/{agg_name}"]
    if ranks is not None and "uCode" in ranks.columns:
        rc.score_codes = [
            c for c in ranks.columns if c not in ("uCode", "uName") and c in agg.columns
        ]
        # the top of the hierarchy (the index) first
        rc.score_codes = (
            rc.score_codes[::-1]
            if rc.score_codes and rc.score_codes[-1] == "Index"
            else rc.score_codes
        )
        rc.scores = _scores_long(agg, rc.score_codes, "uCode", ranks=ranks)


def _typed_sensitivity(rc: RunContent, d: Path) -> None:
    rs = rc.tables.get("rank_stats")
    target = str(rc.manifest.get("target", "index"))
    if rs is not None and not rs.empty:
        rc.rank_intervals = _intervals(rs, target)
        code = (
            "uCode" if "uCode" in rs.columns else "unit_code" if "unit_code" in rs.columns else None
        )
        if code:
            rc.units = _units_from(rs, code, "uName" if "uName" in rs.columns else None)


def _typed_spatial(rc: RunContent, d: Path) -> None:
    ind = rc.tables.get("indicators")
    if ind is None or ind.empty:
        raise StoreError(
            f"{d / 'indicators.csv'}: missing or empty; a spatial result needs indicators per district"
        )
    code = "district" if "district" in ind.columns else ind.columns[0]
    keys = [code] + (["city"] if "city" in ind.columns and code != "city" else [])
    frame = ind.copy()
    if len(keys) > 1:  # batch output: one row per city and district
        frame[code] = frame["city"].astype(str) + "/" + frame[code].astype(str)
    rc.units = _units_from(frame, code, None)
    rc.values = _numeric_melt(frame, [code], "spatial")
    gpkg = d / "districts.gpkg"
    if gpkg.is_file():
        rc.geometries = _geometries(gpkg)


def _geometries(path: Path) -> pd.DataFrame:
    try:
        import geopandas as gpd
    except ImportError:  # pragma: no cover - spatial extra not installed
        log.warning("geopandas is not installed: %s is kept as a file only", path)
        return pd.DataFrame()
    gdf = gpd.read_file(path)
    if gdf.crs is not None:
        gdf = gdf.to_crs(4326)
    col = "district" if "district" in gdf.columns else None
    ids = gdf[col].astype(str) if col else pd.Series([str(i) for i in range(len(gdf))])
    geo = [json.dumps(g.__geo_interface__) if g is not None else None for g in gdf.geometry]
    return pd.DataFrame({"unit_code": ids.to_numpy(), "geojson": geo})


def file_meta(name: str, content: bytes) -> tuple[str, int, str]:
    """Media type, size and SHA-256 of a stored file."""
    mt = mimetypes.guess_type(name)[0] or (
        "application/geopackage+sqlite3" if name.endswith(".gpkg") else "application/octet-stream"
    )
    return mt, len(content), hashlib.sha256(content).hexdigest()
