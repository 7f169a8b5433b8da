"""Reading a run directory written by ``citycheckup run`` / ``demo`` back into tables.

A run directory holds ``manifest.json`` and the CSV tables of
:func:`citycheckup.report.checkup_report.write_checkup_outputs`. The manifest names the
framework (code and version); the framework itself is loaded with
:func:`citycheckup.framework.load_framework` (built-in name = code with ``_`` → ``-``).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from citycheckup.checkup import CheckupOptions, CheckupResult
from citycheckup.data.checks import CheckReport
from citycheckup.data.readers import Dataset
from citycheckup.errors import DataError, FrameworkError
from citycheckup.framework import Framework, builtin_frameworks, load_framework

__all__ = ["RunData", "load_run"]

log = logging.getLogger(__name__)

_TABLES = (
    "scores",
    "indicators",
    "normalised",
    "coverage",
    "dimension_coverage",
    "grades",
    "attainment",
    "strengths",
    "changes",
    "checks",
    "rank_intervals",
    "problems",
    "goalposts",
    "references",
    "flags",
)
_REQUIRED = ("scores", "indicators", "coverage", "dimension_coverage")


@dataclass
class RunData:
    """The tables of a run directory, its manifest and its framework."""

    path: Path
    manifest: dict[str, Any]
    framework: Framework
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def table(self, name: str) -> pd.DataFrame:
        """Table ``name`` (empty when the run did not write it)."""
        return self.tables.get(name, pd.DataFrame())

    @property
    def scores(self) -> pd.DataFrame:
        return self.tables["scores"]

    @property
    def indicators(self) -> pd.DataFrame:
        return self.tables["indicators"]

    @property
    def years(self) -> list[int]:
        return sorted(int(y) for y in self.scores["year"].unique())

    @property
    def options(self) -> CheckupOptions:
        params = self.manifest.get("parameters", {})
        names = {f.name for f in dataclasses.fields(CheckupOptions)}
        return CheckupOptions(**{k: v for k, v in params.items() if k in names})

    @property
    def spatial_dir(self) -> Path | None:
        """A ``spatial/`` folder next to the tables (written by the spatial check-up), if any."""
        p = self.path / "spatial"
        return p if (p / "indicators.csv").is_file() else None

    def to_result(self) -> CheckupResult:
        """A :class:`CheckupResult` rebuilt from the tables, good for :func:`citycheckup.checkup.rescore`.

        The normalisation reference of the original run was every year of its data; a
        run directory keeps the scored years only, so when the run scored a subset of its
        years (``parameters.years`` in the manifest) re-scored values are approximate and
        a warning is logged.
        """
        opts = self.options
        if opts.years and opts.global_normalisation:
            log.warning(
                "run %s scored years %s of a longer panel: re-scoring uses the scored years only as "
                "the normalisation reference, so priorities are approximate",
                self.path,
                opts.years,
            )
        ind = self.indicators
        src = "; ".join(str(d.get("source", "")) for d in self.manifest.get("data", [])) or str(
            self.path
        )
        ds = Dataset(
            data=ind,
            source=src,
            groups=[c for c in ("province", "province_code", "size_class") if c in ind.columns],
        )
        return CheckupResult(
            framework=self.framework,
            dataset=ds,
            options=opts,
            checks=CheckReport(),
            indicators=ind,
            normalised=self.table("normalised"),
            scores=self.scores,
            coverage=self.tables["coverage"],
            dimension_coverage=self.tables["dimension_coverage"],
            grades=self.table("grades"),
            attainment=self.table("attainment"),
            strengths=self.table("strengths"),
            changes=self.table("changes"),
            rank_intervals=self.table("rank_intervals"),
            years=self.years,
            panel=ind,
        )


def _framework_from_manifest(manifest: dict[str, Any], override: str | None) -> Framework:
    if override:
        return load_framework(override)
    fwm = manifest.get("framework") or {}
    code = str(fwm.get("code", ""))
    for name in (fwm.get("path"), code.replace("_", "-"), code):
        if name and (name in builtin_frameworks() or Path(str(name)).is_file()):
            fw = load_framework(name)
            if fwm.get("version") and fw.version != str(fwm["version"]):
                log.warning(
                    "framework %s: the run used version %s, loaded version %s",
                    code,
                    fwm["version"],
                    fw.version,
                )
            return fw
    raise FrameworkError(
        f"the run's framework {code!r} is not built in ({', '.join(builtin_frameworks())}); "
        "pass its file with --framework"
    )


def load_run(path: str | Path, *, framework: str | None = None) -> RunData:
    """Read a run directory.

    Parameters
    ----------
    path
        The directory (``manifest.json`` + CSV tables).
    framework
        Framework name or file to use instead of the one named in the manifest.

    Raises
    ------
    DataError
        When the directory, its manifest or a required table is missing (all listed).
    """
    p = Path(path)
    man = p / "manifest.json"
    if not man.is_file():
        raise DataError(
            f"{p} is not a run directory: manifest.json is missing; give the --out folder of "
            "`citycheckup run` or `citycheckup demo`"
        )
    try:
        manifest = json.loads(man.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"{man} is not valid JSON ({exc}); re-run the check-up") from exc
    missing = [f"{t}.csv" for t in _REQUIRED if not (p / f"{t}.csv").is_file()]
    if missing:
        raise DataError(f"{p}: the run directory lacks {', '.join(missing)}; re-run the check-up")
    tables: dict[str, pd.DataFrame] = {}
    for name in _TABLES:
        f = p / f"{name}.csv"
        if f.is_file() and f.stat().st_size > 0:
            try:
                df = pd.read_csv(
                    f, dtype={"unit_code": str, "uCode": str, "province_code": str, "unit": str}
                )
            except pd.errors.EmptyDataError:
                df = pd.DataFrame()
            if "uCode" in df.columns and "unit_code" not in df.columns:
                df = df.rename(columns={"uCode": "unit_code"})
            tables[name] = df
    fw = _framework_from_manifest(manifest, framework)
    return RunData(path=p, manifest=manifest, framework=fw, tables=tables)
