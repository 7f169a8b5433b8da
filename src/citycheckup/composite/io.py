"""Reading frameworks and data; writing pipeline results atomically."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from citycheckup._io import atomic_dir, atomic_file
from citycheckup.errors import DataError, FrameworkError, Problem

__all__ = [
    "read_data",
    "read_framework",
    "read_table",
    "read_weights",
    "tree_to_meta",
    "write_excel",
    "write_result",
    "write_table",
]


def tree_to_meta(tree: Mapping[str, Any]) -> pd.DataFrame:
    """Convert a nested framework ``{code, name, weight, children: [...]}`` to an iMeta table.

    Leaves are indicators (keys ``code``, ``name``, ``direction`` (1), ``weight`` (1),
    ``unit``, ``target``, ``denominator``); inner nodes are aggregates. Levels are
    counted from the leaves (all leaves must be at the same depth).
    """
    rows: list[dict[str, Any]] = []
    problems: list[Problem] = []

    def depth(node: Mapping[str, Any]) -> int:
        ch = node.get("children") or []
        return 1 + (max(depth(c) for c in ch) if ch else 0)

    top = depth(tree)

    def walk(node: Mapping[str, Any], level: int, parent: str | None) -> None:
        code = node.get("code")
        if not code:
            problems.append(Problem("every node needs a 'code'", f"framework node under {parent}"))
            return
        ch = node.get("children") or []
        if not ch and level != 1:
            problems.append(
                Problem(
                    f"indicator at depth {top - level + 1}; all indicators must be at the same depth",
                    f"code {code}",
                )
            )
        rows.append(
            {
                "Level": level,
                "iCode": code,
                "iName": node.get("name", code),
                "Direction": node.get("direction", 1),
                "Weight": node.get("weight", 1.0),
                "Unit": node.get("unit"),
                "Target": node.get("target"),
                "Denominator": node.get("denominator"),
                "Parent": parent,
                "Type": "Aggregate" if ch else "Indicator",
            }
        )
        for c in ch:
            walk(c, level - 1, code)

    walk(tree, top, None)
    if problems:
        raise FrameworkError("invalid framework tree", problems=problems)
    return pd.DataFrame(rows).sort_values("Level", kind="stable").reset_index(drop=True)


def read_framework(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a framework as an iMeta table.

    Parameters
    ----------
    path
        A COINr-style iMeta CSV/XLSX, or a YAML file holding either ``meta:`` (a
        list of iMeta rows) or a tree ``{code, children: [...]}`` (optionally under
        ``framework:``), plus optional ``denominators:`` and ``groups:`` lists.
    """
    p = Path(path)
    if not p.is_file():
        raise FrameworkError(f"framework file {p} not found")
    suffix = p.suffix.lower()
    if suffix in (".csv", ".txt"):
        return pd.read_csv(p)
    if suffix in (".xlsx", ".xls"):
        return pd.read_excel(p)
    if suffix not in (".yaml", ".yml"):
        raise FrameworkError(
            f"{p}: unsupported framework format {suffix!r}; use .csv, .xlsx or .yaml"
        )
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise FrameworkError(f"{p}: invalid YAML: {exc}") from exc
    if not isinstance(doc, Mapping):
        raise FrameworkError(f"{p}: expected a mapping with 'meta' or a framework tree")
    if "meta" in doc or "iMeta" in doc:
        meta = pd.DataFrame(doc.get("meta", doc.get("iMeta")))
    else:
        tree = doc.get("framework", doc)
        meta = tree_to_meta(tree)
    extra = []
    for kind, key in (("Denominator", "denominators"), ("Group", "groups")):
        for code in doc.get(key, []) or []:
            extra.append({"iCode": code, "iName": code, "Type": kind})
    if extra:
        meta = pd.concat([meta, pd.DataFrame(extra)], ignore_index=True)
    return meta


def read_table(
    path: str | os.PathLike[str], *, na_values: Sequence[str] = (), what: str = "data"
) -> pd.DataFrame:
    """Read a table (CSV, XLSX or Parquet); ``uCode`` is read as text.

    Only empty cells are missing values: texts such as ``n/a``, ``NA`` or ``-`` are
    kept as text (so a numeric column holding them is reported, not silently
    emptied) unless they are listed in ``na_values``. ``NA`` is also Namibia's code.
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{what} file {p} not found")
    suffix = p.suffix.lower()
    na = ["", *na_values]
    if suffix in (".csv", ".txt"):
        return pd.read_csv(p, dtype={"uCode": str}, keep_default_na=False, na_values=na)
    if suffix in (".xlsx", ".xls"):
        return pd.read_excel(p, dtype={"uCode": str}, keep_default_na=False, na_values=na)
    if suffix == ".parquet":
        return pd.read_parquet(p)
    raise DataError(f"{p}: unsupported {what} format {suffix!r}; use .csv, .xlsx or .parquet")


def read_data(path: str | os.PathLike[str], *, na_values: Sequence[str] = ()) -> pd.DataFrame:
    """Read a data table (CSV, XLSX or Parquet); ``uCode`` is read as text.

    Parameters
    ----------
    path
        The file.
    na_values
        Texts that mean "missing" besides an empty cell (e.g. ``["n/a", "-"]``).
        Anything else that is not a number in an indicator column is an error when
        the coin is built, naming the cells.
    """
    return read_table(path, na_values=na_values, what="data")


def read_weights(path: str | os.PathLike[str]) -> dict[str, float]:
    """Read a weight set: a table with columns ``iCode`` and ``Weight`` (COINr's layout),
    or a YAML/JSON mapping ``{code: weight}``.

    Raises
    ------
    FrameworkError
        Missing columns, duplicate codes or non-numeric weights (all listed).
    """
    p = Path(path)
    if p.suffix.lower() in (".yaml", ".yml", ".json"):
        if not p.is_file():
            raise FrameworkError(f"weights file {p} not found")
        try:
            doc = yaml.safe_load(p.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise FrameworkError(f"{p}: invalid YAML/JSON: {exc}") from exc
        if not isinstance(doc, Mapping):
            raise FrameworkError(f"{p}: expected a mapping code: weight")
        items = list(doc.items())
    else:
        try:
            df = read_table(p, what="weights")
        except DataError as exc:
            raise FrameworkError(str(exc)) from exc
        missing = [c for c in ("iCode", "Weight") if c not in df.columns]
        if missing:
            raise FrameworkError(
                f"{p}: a weights table needs columns iCode and Weight; missing {', '.join(missing)}"
            )
        items = list(zip(df["iCode"], df["Weight"], strict=True))
    problems = []
    out: dict[str, float] = {}
    for i, (code, w) in enumerate(items):
        where = f"{p.name} entry {i + 1} ({code})"
        try:
            v = float(w)
        except (TypeError, ValueError):
            problems.append(Problem(f"weight {w!r} is not a number", where))
            continue
        if not np.isfinite(v):
            problems.append(Problem("weight is missing or infinite", where))
        elif str(code) in out:
            problems.append(Problem("code appears twice", where))
        else:
            out[str(code)] = v
    if problems:
        raise FrameworkError(f"{p}: invalid weights", problems=problems)
    return out


def write_table(df: pd.DataFrame, path: Path) -> None:
    """Write ``df`` as CSV (full precision)."""
    df.to_csv(path, index=False, float_format="%.17g")


def _tables(result: Any) -> dict[str, pd.DataFrame]:
    tables = {
        "ranks": result.ranks,
        "treatment": result.treatment,
        "treated_points": result.treated_points,
        "stats": result.stats,
        "screening": result.screening,
        "dropped": getattr(result, "dropped", pd.DataFrame()),
    }
    return tables


def write_result(
    result: Any,
    out: str | os.PathLike[str],
    *,
    extra: Mapping[str, Any] | None = None,
    excel: bool = False,
    tables: Mapping[str, pd.DataFrame] | None = None,
    hook: Callable[[Path], None] | None = None,
) -> Path:
    """Write a :class:`~citycheckup.composite.PipelineResult` to directory ``out`` atomically.

    Writes ``datasets/<Name>.csv``, ``ranks.csv``, ``treatment.csv``,
    ``treated_points.csv``, ``stats.csv``, ``screening.csv``, ``dropped.csv`` (codes
    left out of their parents for lack of any value) and ``manifest.json``; with
    ``excel`` also ``index.xlsx`` (every data set and table, one sheet each).
    ``tables`` adds further named tables (e.g. a results table) as CSV files and sheets;
    ``hook(folder)`` may write more files (e.g. plots) into the folder before it is
    moved into place, so that a failure leaves no partial output.
    """
    with atomic_dir(out) as tmp:
        ds = tmp / "datasets"
        ds.mkdir()
        for name, df in result.datasets.items():
            write_table(df, ds / f"{name}.csv")
        all_tables = {**_tables(result), **dict(tables or {})}
        for name, df in all_tables.items():
            write_table(df, tmp / f"{name}.csv")
        if excel:
            write_excel(result, tmp / "index.xlsx", tables=tables)
        if hook is not None:
            hook(tmp)
        manifest = {
            "datasets": list(result.datasets),
            "pipeline": result.pipeline.to_list(),
            "n_units": {k: int(len(v)) for k, v in result.datasets.items()},
            "dropped": int(len(all_tables["dropped"])),
            "files": sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file()),
            **(dict(extra) if extra else {}),
        }
        (tmp / "manifest.json").write_text(
            json.dumps(manifest, indent=2, default=str), encoding="utf-8"
        )
    return Path(out)


def write_excel(
    result: Any,
    path: str | os.PathLike[str],
    *,
    tables: Mapping[str, pd.DataFrame] | None = None,
    meta: pd.DataFrame | None = None,
) -> Path:
    """Write every data set and table of a result to one Excel workbook (COINr ``export_to_excel``).

    Sheets: each data set (``Raw`` … ``Aggregated``), then ``ranks``, ``treatment``,
    ``treated_points``, ``stats``, ``screening``, ``dropped``, the indicator table
    ``iMeta`` and any further ``tables``. Missing values are empty cells; sheet names
    are cut to Excel's 31 characters. Written atomically.
    """
    sheets: dict[str, pd.DataFrame] = dict(result.datasets)
    sheets.update(_tables(result))
    coin = getattr(getattr(result, "state", None), "coin", None)
    if meta is None and coin is not None:
        meta = coin.meta
    if meta is not None:
        sheets["iMeta"] = meta
    sheets.update(dict(tables or {}))
    seen: set[str] = set()
    with atomic_file(path, "wb") as fh, pd.ExcelWriter(fh, engine="xlsxwriter") as xw:  # type: ignore[arg-type]
        for name, df in sheets.items():
            sheet = name[:31]
            k = 2
            while sheet in seen:
                sheet = f"{name[:28]}_{k}"
                k += 1
            seen.add(sheet)
            frame = df if len(df.columns) else pd.DataFrame({"(empty)": []})
            frame.to_excel(xw, sheet_name=sheet, index=False)
    return Path(path)
