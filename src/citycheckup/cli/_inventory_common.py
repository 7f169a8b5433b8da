"""Shared parts of the ``registers`` and ``problems`` commands (:mod:`citycheckup.cli.inventory`):
the two Typer groups, option declarations, store access, file reading and table printing.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from citycheckup.cli._common import fail, guarded

__all__ = ["KINDS", "field_survey_workbook", "problems_app", "registers_app"]

out_console = Console()

STORE_HELP = "Results store (DuckDB file); default $CITYCHECKUP_STORE or ./citycheckup.duckdb."
FW_HELP = (
    "Framework name or file (default: the one a field-survey workbook names, else mohurd-2025)."
)
KINDS = ("building", "compound", "community", "block")

registers_app = typer.Typer(
    help="Registers of buildings, compounds, communities and blocks (登记台账).",
    no_args_is_help=True,
)
problems_app = typer.Typer(
    help="Located problems: list, lifecycle (整治中 / 销号 / 转入更新项目), exports.",
    no_args_is_help=True,
)


# Options of the commands that read a register or field-survey file (one declaration each).
RegisterFile = Annotated[
    Path, typer.Argument(help="Field-survey workbook, or a register as XLSX, CSV or GeoPackage.")
]
RegisterKind = Annotated[
    str | None,
    typer.Option("--kind", help="Register of a plain file: building, compound, community, block."),
]
FileUnit = Annotated[
    str | None,
    typer.Option("--unit", "-u", help="City code, when the file has no unit_code column."),
]
FileYear = Annotated[
    int | None,
    typer.Option("--year", "-y", help="Check-up year, when the file has no year column."),
]
FileCrs = Annotated[
    str,
    typer.Option(
        "--crs", help="Coordinates of a plain file: wgs84, gcj02, cgcs2000 or EPSG:<code>."
    ),
]
FileSheet = Annotated[str | None, typer.Option("--sheet", help="Sheet of a plain workbook.")]
FileLayer = Annotated[str | None, typer.Option("--layer", help="Layer of a GeoPackage.")]
FrameworkOpt = Annotated[str | None, typer.Option("--framework", "-f", help=FW_HELP)]


def _open(store: Path | None, *, read_only: bool = False) -> Any:
    from citycheckup.store import Store, default_store_path
    from citycheckup.store._inventory import InventoryStore

    st = guarded(lambda: Store(default_store_path(store), read_only=read_only))
    return st, InventoryStore(st)


def _framework(name: str | None, default: str = "mohurd-2025") -> Any:
    from citycheckup.framework import load_framework

    return guarded(lambda: load_framework(name or default))


def _is_survey_workbook(path: Path) -> str | None:
    """The framework code named by a field-survey workbook's README, or None for another file."""
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return None
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # not a workbook: let the reader report it
        return None
    try:
        if "README" not in wb.sheetnames:
            return None
        for row in wb["README"].iter_rows(min_row=1, max_row=15, max_col=2, values_only=True):
            if row and row[0] == "framework" and row[1]:
                return str(row[1])
    finally:
        wb.close()
    return None


def _date(text: str | None) -> dt.date:
    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date; write YYYY-MM-DD") from None


def _print_table(df: Any, fmt: str, columns: list[str]) -> None:
    import pandas as pd

    df = df[[c for c in columns if c in df.columns]]
    if fmt == "csv":
        out_console.print(
            df.to_csv(index=False), end="", markup=False, highlight=False, soft_wrap=True
        )
        return
    if fmt == "json":
        out_console.print(
            json.dumps(
                json.loads(df.to_json(orient="records", date_format="iso", force_ascii=False)),
                ensure_ascii=False,
                indent=1,
            ),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        return
    t = Table(show_lines=False)
    for c in df.columns:
        t.add_column(c, overflow="fold")
    for rec in df.itertuples(index=False):
        t.add_row(
            *[
                ""
                if v is None or (not isinstance(v, str) and pd.isna(v))
                else (v.date().isoformat() if isinstance(v, pd.Timestamp) else str(v))
                for v in rec
            ]
        )
    out_console.print(t)


def _read_any(
    path: Path,
    kind: str | None,
    fw_name: str | None,
    unit: str | None,
    year: int | None,
    crs: str,
    sheet: str | None,
    layer: str | None,
    context: Any,
) -> tuple[dict[str, Any], Any, Any]:
    """(registers, survey or None, field-survey meta or None) from a workbook, CSV or GeoPackage."""
    from citycheckup.inventory import read_field_survey, read_register

    code = _is_survey_workbook(path)
    if code is not None:
        fw = _framework(fw_name, code)
        ctx = context(None, None)
        fs = guarded(lambda: read_field_survey(path, fw, context=ctx))
        ctx2 = context(fs.unit_code, fs.year)
        if ctx2:  # links to registers already in the store (a building's compound …)
            fs = guarded(lambda: read_field_survey(path, fw, context={**ctx2, **ctx}))
        return fs.registers, fs.problems, fs
    if kind is None:
        fail(f"{path.name} is not a field-survey workbook: give --kind ({', '.join(KINDS)})")
    if kind not in KINDS:
        raise typer.BadParameter(f"--kind must be one of {', '.join(KINDS)}")
    fw = _framework(fw_name)  # its denominators add register columns (parking_spaces_required …)
    df = guarded(
        lambda: read_register(
            path, str(kind), sheet=sheet, layer=layer, unit_code=unit, year=year, crs=crs, fw=fw
        )
    )
    return {str(kind): df}, None, None


def field_survey_workbook(
    framework: str,
    level: str,
    out: Path,
    *,
    unit: str,
    year: int,
    name: str = "",
    lang: str = "zh",
    store: Path | None = None,
) -> Path:
    """Write the field-survey workbook of ``level`` (``citycheckup template --level``).

    With ``store``, the registers of ``unit`` are prefilled from the latest year before
    ``year`` in that store, so that teams keep last year's IDs.
    """
    from citycheckup.framework import load_framework
    from citycheckup.inventory import LEVEL_REGISTERS, write_field_survey

    fw = load_framework(framework)
    regs = None
    if store is not None:
        from citycheckup.store import Store

        with Store(store, read_only=True) as st:
            from citycheckup.store._inventory import InventoryStore

            inv = InventoryStore(st).load(unit)
        regs = {}
        for kind in LEVEL_REGISTERS[level]:
            r = inv.register(kind)
            r = r[r["year"].astype(int) < int(year)]
            if not r.empty:
                regs[kind] = r[r["year"].astype(int) == r["year"].astype(int).max()]
    return write_field_survey(
        fw, level, out, unit_code=unit, year=year, unit_name=name, lang=lang, registers=regs or None
    )
