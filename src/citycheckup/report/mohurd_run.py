"""Reading a MOHURD-method run directory back: the check-up result and its problem chain."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from citycheckup.checkup import CheckupOptions, MohurdResult
from citycheckup.data.checks import CheckReport
from citycheckup.data.readers import Dataset
from citycheckup.errors import DataError
from citycheckup.report.mohurd_outputs import CHAIN_TABLES, TABLES
from citycheckup.report.run import _framework_from_manifest

__all__ = ["MohurdRun", "is_mohurd_run", "load_mohurd_run"]

_STR = {
    "unit_code": str,
    "problem_id": str,
    "project_id": str,
    "register_id": str,
    "suggestion_id": str,
}


@dataclass
class MohurdRun:
    """A MOHURD-method run directory: its result, its problem chain per city, its manifest."""

    path: Path
    manifest: dict[str, Any]
    result: MohurdResult
    chain: dict[str, Any] = field(default_factory=dict)


def is_mohurd_run(path: str | Path) -> bool:
    """Whether ``path`` holds a run of a MOHURD-method framework (``manifest.json`` kind ``mohurd``)."""
    man = Path(path) / "manifest.json"
    if not man.is_file():
        return False
    try:
        return json.loads(man.read_text(encoding="utf-8")).get("kind") == "mohurd"
    except json.JSONDecodeError:
        return False


def _read(p: Path) -> pd.DataFrame:
    if not p.is_file() or p.stat().st_size == 0:
        return pd.DataFrame()
    try:
        return pd.read_csv(p, dtype=_STR)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def load_mohurd_run(path: str | Path, *, framework: str | None = None) -> MohurdRun:
    """Read a run directory written by ``citycheckup run`` with a MOHURD-method framework."""
    from citycheckup.inventory import ChainTables

    p = Path(path)
    if not is_mohurd_run(p):
        raise DataError(
            f"{p} is not the run of a MOHURD-method framework (mohurd-2025); its manifest.json "
            "says otherwise or is missing"
        )
    manifest = json.loads((p / "manifest.json").read_text(encoding="utf-8"))
    fw = _framework_from_manifest(manifest, framework)
    t = {name: _read(p / f"{name}.csv") for name in TABLES}
    if t["values"].empty:
        raise DataError(f"{p}: values.csv is missing or empty; re-run the check-up")
    names = {f.name for f in dataclasses.fields(CheckupOptions)}
    opts = CheckupOptions(**{k: v for k, v in manifest.get("parameters", {}).items() if k in names})
    src = "; ".join(str(d.get("source", "")) for d in manifest.get("data", [])) or str(p)
    values = t["values"]
    result = MohurdResult(
        framework=fw,
        dataset=Dataset(data=values, source=src),
        options=opts,
        checks=CheckReport(),
        values=values,
        coverage=t["coverage"],
        inventories=t["inventories"],
        grades=t["grades"],
        references=t["references"],
        ungraded=t["ungraded"],
        aspect_grades=t["aspect_grades"],
        task_grades=t["task_grades"],
        attainment=t["attainment"],
        changes=t["changes"],
        flags=t["flags"],
        years=sorted(int(y) for y in values["year"].unique()),
        size_basis=manifest.get("size_basis"),
    )
    chain: dict[str, Any] = {}
    frames = {name: _read(p / f"{name}.csv") for name in CHAIN_TABLES}
    if any(not f.empty for f in frames.values()):
        for unit in values["unit_code"].astype(str).unique():
            part = {
                k: (
                    f[f["unit_code"].astype(str) == unit]
                    if not f.empty and "unit_code" in f.columns
                    else f
                )
                for k, f in frames.items()
            }
            summ = part["followup_summary"]
            rate = None
            if not summ.empty and "level" in summ.columns:
                r = summ[summ["level"] == "all"]["rate"]
                rate = float(r.iloc[0]) if len(r) and pd.notna(r.iloc[0]) else None
            chain[unit] = ChainTables(
                problems=part["problems"],
                suggestions=part["suggestions"],
                projects=part["projects"],
                followup=part["followup"],
                followup_summary=summ,
                completion_rate=rate,
            )
    return MohurdRun(path=p, manifest=manifest, result=result, chain=chain)
