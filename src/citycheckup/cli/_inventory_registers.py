"""``citycheckup registers validate|import|list``: registers and field-survey workbooks in the store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from citycheckup.cli._common import guarded
from citycheckup.cli._inventory_common import (
    KINDS,
    STORE_HELP,
    FileCrs,
    FileLayer,
    FileSheet,
    FileUnit,
    FileYear,
    FrameworkOpt,
    RegisterFile,
    RegisterKind,
    _open,
    _print_table,
    _read_any,
    out_console,
    registers_app,
)

__all__ = ["add_registers"]


def add_registers(context_from: Callable[[Any], Any]) -> None:
    """Add the ``registers`` commands to :data:`registers_app` (``context_from``: store → register context)."""

    @registers_app.command("validate")
    def registers_validate(
        file: RegisterFile,
        kind: RegisterKind = None,
        unit: FileUnit = None,
        year: FileYear = None,
        crs: FileCrs = "wgs84",
        sheet: FileSheet = None,
        layer: FileLayer = None,
        framework: FrameworkOpt = None,
        store: Path = typer.Option(
            None, "--store", help=STORE_HELP + " Used only to check links (read-only)."
        ),
    ) -> None:
        """Check a register or field-survey file; list every problem with sheet, row and column (stores nothing)."""
        from citycheckup.store import default_store_path

        st_inv = None
        if default_store_path(store).is_file():
            st, st_inv = _open(store, read_only=True)
        regs, survey, fs = _read_any(
            file, kind, framework, unit, year, crs, sheet, layer, context_from(st_inv)
        )
        parts = [f"{len(df)} {k} record(s)" for k, df in regs.items()]
        if survey is not None:
            parts.append(f"{len(survey)} located problem(s)")
        out_console.print(f"{file.name}: valid — " + ", ".join(parts))

    @registers_app.command("import")
    def registers_import(
        file: RegisterFile,
        kind: RegisterKind = None,
        unit: FileUnit = None,
        year: FileYear = None,
        crs: FileCrs = "wgs84",
        sheet: FileSheet = None,
        layer: FileLayer = None,
        framework: FrameworkOpt = None,
        catalogue: Path = typer.Option(
            None,
            "--catalogue",
            help="Your remediation catalogue (YAML) for the survey's new problems.",
        ),
        replace: bool = typer.Option(
            False, "--replace", help="Record a field survey again (same city, year, level)."
        ),
        actor: str = typer.Option(None, "--actor", help="Who imports (kept in the import log)."),
        store: Path = typer.Option(None, "--store", help=STORE_HELP),
    ) -> None:
        """Import registers (and, from a field-survey workbook, its located problems) into the store."""
        from citycheckup.inventory import load_catalogue

        st, st_inv = _open(store)
        try:
            regs, survey, fs = _read_any(
                file, kind, framework, unit, year, crs, sheet, layer, context_from(st_inv)
            )
            cat = guarded(lambda: load_catalogue(catalogue)) if catalogue else None
            guarded(lambda: st_inv.import_registers(regs, source=file, actor=actor))
            msg = [f"{len(df)} {k} record(s)" for k, df in regs.items()]
            if fs is not None:
                if survey is not None and not survey.empty:
                    o = guarded(
                        lambda: st_inv.record_survey(
                            survey,
                            levels=[fs.level],
                            catalogue=cat,
                            replace=replace,
                            source=file,
                            actor=actor,
                        )
                    )
                    msg.append(
                        f"{len(o.new)} new problem(s), {len(o.matched)} seen again (IDs kept), "
                        f"{len(o.not_seen)} open problem(s) not seen again (not closed: close them with "
                        "evidence)"
                    )
                else:
                    guarded(
                        lambda: st_inv.record_empty_survey(
                            fs.unit_code, fs.year, [fs.level], actor=actor
                        )
                    )
                    msg.append(f"{fs.level} survey with no problem (counts are 0)")
        finally:
            st.close()
        out_console.print(f"imported {file.name} into {st.path}: " + "; ".join(msg), soft_wrap=True)

    @registers_app.command("list")
    def registers_list(
        unit: str = typer.Option(..., "--unit", "-u", help="City code."),
        store: Path = typer.Option(None, "--store", help=STORE_HELP),
    ) -> None:
        """Number of records per register and year in the store."""
        import pandas as pd

        st, st_inv = _open(store, read_only=True)
        try:
            inv = st_inv.load(unit)
        finally:
            st.close()
        rows = [
            {"register": k, "year": int(y), "records": len(g)}
            for k in KINDS
            for y, g in inv.register(k).groupby("year")
        ]
        _print_table(
            pd.DataFrame(rows, columns=["register", "year", "records"]),
            "table",
            ["register", "year", "records"],
        )
