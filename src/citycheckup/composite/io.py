"""Reading frameworks and data; writing pipeline results atomically."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from citycheckup._io import atomic_dir
from citycheckup.errors import DataError, FrameworkError, Problem

__all__ = ["read_data", "read_framework", "tree_to_meta", "write_result", "write_table"]


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


def read_data(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a data table (CSV, XLSX or Parquet); ``uCode`` is read as text."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"data file {p} not found")
    suffix = p.suffix.lower()
    if suffix in (".csv", ".txt"):
        return pd.read_csv(p, dtype={"uCode": str})
    if suffix in (".xlsx", ".xls"):
        return pd.read_excel(p, dtype={"uCode": str})
    if suffix == ".parquet":
        return pd.read_parquet(p)
    raise DataError(f"{p}: unsupported data format {suffix!r}; use .csv, .xlsx or .parquet")


def write_table(df: pd.DataFrame, path: Path) -> None:
    """Write ``df`` as CSV (full precision)."""
    df.to_csv(path, index=False, float_format="%.17g")


def write_result(
    result: Any, out: str | os.PathLike[str], *, extra: Mapping[str, Any] | None = None
) -> Path:
    """Write a :class:`~citycheckup.composite.PipelineResult` to directory ``out`` atomically.

    Writes ``datasets/<Name>.csv``, ``ranks.csv``, ``treatment.csv``,
    ``treated_points.csv``, ``stats.csv``, ``screening.csv`` and ``manifest.json``.
    """
    with atomic_dir(out) as tmp:
        ds = tmp / "datasets"
        ds.mkdir()
        for name, df in result.datasets.items():
            write_table(df, ds / f"{name}.csv")
        write_table(result.ranks, tmp / "ranks.csv")
        write_table(result.treatment, tmp / "treatment.csv")
        write_table(result.treated_points, tmp / "treated_points.csv")
        write_table(result.stats, tmp / "stats.csv")
        write_table(result.screening, tmp / "screening.csv")
        manifest = {
            "datasets": list(result.datasets),
            "pipeline": result.pipeline.to_list(),
            "n_units": {k: int(len(v)) for k, v in result.datasets.items()},
            "files": sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file()),
            **(dict(extra) if extra else {}),
        }
        (tmp / "manifest.json").write_text(
            json.dumps(manifest, indent=2, default=str), encoding="utf-8"
        )
    return Path(out)
