"""``citycheckup registers import|validate|list`` and ``citycheckup problems list|start|close|link-project|…``.

Registers (楼栋、小区、社区、街区), field surveys and the problem lifecycle, kept in the
results store (``--store`` or ``$CITYCHECKUP_STORE``, default ``./citycheckup.duckdb``).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any, Literal, cast

import typer
from rich.console import Console
from rich.table import Table

from citycheckup.cli._common import fail, guarded

__all__ = ["field_survey_workbook", "register"]

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


def register(app: typer.Typer) -> None:
    """Add ``registers`` and ``problems`` to ``app``."""

    def context_from(st_inv: Any) -> Any:
        def ctx(unit: str | None, year: int | None) -> dict[str, Any]:
            if unit is None or st_inv is None:
                return {}
            inv = st_inv.load(unit)
            regs = {k: inv.register(k, year=year) for k in KINDS}
            return {k: df for k, df in regs.items() if not df.empty}

        return ctx

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

    @problems_app.command("import")
    def problems_import(
        file: Path = typer.Argument(
            ..., help="Located problems as XLSX, CSV or GeoPackage (one row per problem)."
        ),
        unit: str = typer.Option(
            None, "--unit", "-u", help="City code, when the file has no unit_code column."
        ),
        year: int = typer.Option(
            None, "--year", "-y", help="Check-up year, when the file has no year column."
        ),
        level: list[str] = typer.Option(
            None, "--level", help="Levels the survey covered (repeat); default: those in the file."
        ),
        crs: str = typer.Option(
            "wgs84", "--crs", help="Coordinates: wgs84, gcj02, cgcs2000 or EPSG:<code>."
        ),
        sheet: str = typer.Option(None, "--sheet", help="Sheet of a workbook."),
        layer: str = typer.Option(None, "--layer", help="Layer of a GeoPackage."),
        framework: str = typer.Option(None, "--framework", "-f", help=FW_HELP),
        catalogue: Path = typer.Option(
            None, "--catalogue", help="Your remediation catalogue (YAML)."
        ),
        replace: bool = typer.Option(
            False, "--replace", help="Record the survey again (same city, year, level)."
        ),
        actor: str = typer.Option(None, "--actor", help="Who imports."),
        store: Path = typer.Option(None, "--store", help=STORE_HELP),
    ) -> None:
        """Record a field survey's located problems (registers of that city and year must be in the store)."""
        from citycheckup.inventory import load_catalogue, read_problems

        fw = _framework(framework)
        st, st_inv = _open(store)
        try:
            if unit is None:
                fail("give --unit: the store's registers of that city check the register IDs")
            inv = st_inv.load(unit)
            regs = {k: inv.register(k, year=year) for k in KINDS}
            df = guarded(
                lambda: read_problems(
                    file,
                    fw,
                    registers=regs,
                    unit_code=unit,
                    year=year,
                    crs=crs,
                    sheet=sheet,
                    layer=layer,
                )
            )
            if df.empty:
                fail(f"{file.name} has no problems; nothing recorded")
            cat = guarded(lambda: load_catalogue(catalogue)) if catalogue else None
            o = guarded(
                lambda: st_inv.record_survey(
                    df,
                    levels=level or None,
                    catalogue=cat,
                    replace=replace,
                    source=file,
                    actor=actor,
                )
            )
        finally:
            st.close()
        out_console.print(
            f"{len(o.new)} new problem(s), {len(o.matched)} seen again (IDs kept), "
            f"{len(o.not_seen)} open problem(s) not seen again"
        )

    @problems_app.command("list")
    def problems_list(
        unit: str = typer.Option(..., "--unit", "-u", help="City code."),
        year: int = typer.Option(..., "--year", "-y", help="Check-up year."),
        scope: str = typer.Option(
            "observed",
            "--scope",
            help="observed: seen in that year's surveys; open: every problem open at year end.",
        ),
        status: str = typer.Option(
            None, "--status", help="Only this status: found, in_progress, closed, to_project."
        ),
        level: str = typer.Option(
            None, "--level", help="Only this level: housing, community, block."
        ),
        fmt: str = typer.Option("table", "--format", help="table, csv or json."),
        candidates: bool = typer.Option(
            False,
            "--candidates",
            help="Append the 12345 candidate problems (status candidate, ticket IDs as evidence).",
        ),
        framework: str = typer.Option(None, "--framework", "-f", help=FW_HELP),
        store: Path = typer.Option(None, "--store", help=STORE_HELP),
    ) -> None:
        """The problem list (问题清单) of a city and year, with status, remediation and deadline."""
        import pandas as pd

        from citycheckup.inventory import problem_list
        from citycheckup.inventory.hotline_link import candidate_problem_list

        if fmt not in ("table", "csv", "json"):
            raise typer.BadParameter("--format must be table, csv or json")
        fw = _framework(framework)
        st, st_inv = _open(store, read_only=True)
        try:
            inv = st_inv.load(unit)
            cands = st_inv.hotline_candidates(unit, year) if candidates else None
        finally:
            st.close()
        pl = guarded(lambda: problem_list(inv, fw, unit_code=unit, year=year, scope=scope))
        if cands is not None and not cands.empty:
            cl = candidate_problem_list(cands)
            pl = pd.concat([pl.assign(source="check-up"), cl], ignore_index=True) if len(pl) else cl
        if status:
            pl = pl[pl["status"] == status]
        if level:
            pl = pl[pl["level"] == level]
        cols = (
            [
                "problem_id",
                "level",
                "mohurd_id",
                "name_zh",
                "sub_item_zh",
                "place",
                "road",
                "district",
                "quantity",
                "severity",
                "date_found",
                "status",
                "status_date",
                "remediation",
                "deadline",
                "department_zh",
                "project_id",
                *(["ticket_ids"] if candidates else []),
            ]
            if fmt == "table"
            else list(pl.columns)
        )
        _print_table(pl, fmt, cols)

    def _changes(
        kind: str,
        ids: list[str],
        date: str | None,
        evidence: str | None,
        note: str | None,
        project: str | None,
        actor: str | None,
        store: Path | None,
    ) -> None:
        from citycheckup.inventory import StatusChange

        st, st_inv = _open(store)
        try:
            n = guarded(
                lambda: st_inv.change_status(
                    [
                        StatusChange(i, kind, _date(date), evidence, note, project, actor)
                        for i in ids
                    ]
                )
            )
        finally:
            st.close()
        out_console.print(f"{n} problem(s) now {kind}")

    @problems_app.command("start")
    def problems_start(
        ids: list[str] = typer.Argument(..., help="Problem IDs."),
        date: str = typer.Option(
            None, "--date", help="Date the remediation started (YYYY-MM-DD; default today)."
        ),
        note: str = typer.Option(None, "--note", help="Note kept with the change."),
        actor: str = typer.Option(None, "--actor", help="Who records the change."),
        store: Path = typer.Option(None, "--store", help=STORE_HELP),
    ) -> None:
        """Mark problems as being fixed (整治中)."""
        _changes("in_progress", ids, date, None, note, None, actor, store)

    @problems_app.command("close")
    def problems_close(
        ids: list[str] = typer.Argument(..., help="Problem IDs."),
        evidence: str = typer.Option(
            ..., "--evidence", help="Acceptance record, photo or document number (销号依据)."
        ),
        date: str = typer.Option(None, "--date", help="Date closed (YYYY-MM-DD; default today)."),
        note: str = typer.Option(None, "--note", help="Note kept with the change."),
        actor: str = typer.Option(None, "--actor", help="Who records the change."),
        store: Path = typer.Option(None, "--store", help=STORE_HELP),
    ) -> None:
        """Close (销号) problems with a date and evidence."""
        _changes("closed", ids, date, evidence, note, None, actor, store)

    @problems_app.command("link-project")
    def problems_link_project(
        project: str = typer.Argument(..., help="Project ID (城市更新项目库)."),
        ids: list[str] = typer.Argument(
            None, help="Problem IDs to move into the project (转入更新项目)."
        ),
        unit: str = typer.Option(
            None, "--unit", "-u", help="City code (to create or edit the project)."
        ),
        name: str = typer.Option(
            None, "--name", help="Project name (Chinese); creates or edits the project."
        ),
        name_en: str = typer.Option(None, "--name-en", help="Project name in English."),
        content: str = typer.Option(None, "--content", help="建设内容."),
        scale: str = typer.Option(None, "--scale", help="规模, e.g. '42 栋'."),
        investment: float = typer.Option(
            None, "--investment", help="估算投资, 万元 (10,000 yuan)."
        ),
        funding: str = typer.Option(None, "--funding", help="资金来源."),
        body: str = typer.Option(None, "--body", help="实施主体."),
        department: str = typer.Option(None, "--department", help="责任部门."),
        year: int = typer.Option(None, "--year", "-y", help="实施年度."),
        renewal_unit: str = typer.Option(None, "--renewal-unit", help="更新单元/片区."),
        projects: Path = typer.Option(
            None,
            "--projects",
            help="A CSV/XLSX project library to add (columns as in docs/inventory.md).",
        ),
        date: str = typer.Option(
            None, "--date", help="Date of the transfer (YYYY-MM-DD; default today)."
        ),
        note: str = typer.Option(None, "--note", help="Note kept with the change."),
        actor: str = typer.Option(None, "--actor", help="Who records the change."),
        store: Path = typer.Option(None, "--store", help=STORE_HELP),
    ) -> None:
        """Create or edit a renewal project and move problems into it (one project may hold many problems)."""
        import pandas as pd

        from citycheckup.data.readers import read_table
        from citycheckup.inventory import StatusChange

        st, st_inv = _open(store)
        try:
            if projects is not None:
                df = guarded(lambda: read_table(projects))
                ids_added = guarded(lambda: st_inv.add_projects(df, actor=actor))
                out_console.print(f"{len(ids_added)} project(s) added or updated")
            if name is not None:
                if unit is None or year is None:
                    fail("creating or editing a project needs --unit and --year")
                rec = {
                    "project_id": project,
                    "unit_code": unit,
                    "name_zh": name,
                    "name_en": name_en,
                    "content": content,
                    "scale": scale,
                    "investment_10k_yuan": investment,
                    "funding_source": funding,
                    "implementing_body": body,
                    "department": department,
                    "year": year,
                    "renewal_unit": renewal_unit,
                    "note": note,
                }
                guarded(lambda: st_inv.add_projects(pd.DataFrame([rec]), actor=actor))
                out_console.print(f"project {project} saved")
            if ids:
                n = guarded(
                    lambda: st_inv.change_status(
                        [
                            StatusChange(i, "to_project", _date(date), None, note, project, actor)
                            for i in ids
                        ]
                    )
                )
                out_console.print(f"{n} problem(s) moved into project {project}")
        finally:
            st.close()

    @problems_app.command("history")
    def problems_history(
        problem_id: str = typer.Argument(..., help="Problem ID."),
        store: Path = typer.Option(None, "--store", help=STORE_HELP),
    ) -> None:
        """Every status change of a problem, oldest first."""
        st, st_inv = _open(store, read_only=True)
        try:
            h = st_inv.history(problem_id)
        finally:
            st.close()
        if h.empty:
            fail(f"no problem {problem_id!r} in the store")
        _print_table(
            h,
            "table",
            ["seq", "status", "date", "evidence", "note", "project_id", "actor", "recorded_utc"],
        )

    @problems_app.command("follow-up")
    def problems_follow_up(
        unit: str = typer.Option(..., "--unit", "-u", help="City code."),
        year: int = typer.Option(..., "--year", "-y", help="Check-up year doing the follow-up."),
        transferred: str = typer.Option(
            "open",
            "--transferred",
            help="Problems in renewal projects count as open (default), exclude or done.",
        ),
        store: Path = typer.Option(None, "--store", help=STORE_HELP),
    ) -> None:
        """Completion rate (问题整治完成率) of the problems open when ``year`` began, by level."""
        from citycheckup.inventory import follow_up

        st, st_inv = _open(store, read_only=True)
        try:
            inv = st_inv.load(unit)
        finally:
            st.close()
        fu = guarded(lambda: follow_up(inv, year, unit_code=unit, transferred=transferred))  # type: ignore[arg-type]
        _print_table(fu.summary, "table", list(fu.summary.columns))

    @problems_app.command("export")
    def problems_export(
        unit: str = typer.Option(..., "--unit", "-u", help="City code."),
        year: int = typer.Option(..., "--year", "-y", help="Check-up year."),
        out: Path = typer.Option(..., "--out", "-o", help="Folder for the files."),
        name: str = typer.Option("", "--name", help="City name shown in the annexes."),
        lang: str = typer.Option("zh", "--lang", help="zh (default), en or bilingual."),
        framework: str = typer.Option(None, "--framework", "-f", help=FW_HELP),
        store: Path = typer.Option(None, "--store", help=STORE_HELP),
    ) -> None:
        """Write the annexes (XLSX) and GeoPackages in CGCS2000 (EPSG:4490) and WGS-84 (EPSG:4326)."""
        from citycheckup._io import safe_child
        from citycheckup.inventory import follow_up, write_annexes, write_geopackage

        if lang not in ("zh", "en", "bilingual"):
            raise typer.BadParameter("--lang must be zh, en or bilingual")
        fw = _framework(framework)
        st, st_inv = _open(store, read_only=True)
        try:
            inv = st_inv.load(unit)
        finally:
            st.close()
        if inv.problems.empty and all(inv.register(k).empty for k in KINDS):
            fail(f"the store has no registers or problems of city {unit!r}")
        base = f"inventory_{unit}_{year}"
        xlsx = guarded(lambda: safe_child(out, f"{base}_{lang}.xlsx"))
        g1 = guarded(lambda: safe_child(out, f"{base}_cgcs2000.gpkg"))
        g2 = guarded(lambda: safe_child(out, f"{base}_wgs84.gpkg"))
        fu = follow_up(inv, year, unit_code=unit)
        lang_ = cast(Literal["zh", "en", "bilingual"], lang)
        files = [
            guarded(
                lambda: write_annexes(
                    inv, fw, xlsx, unit_code=unit, year=year, unit_name=name, lang=lang_
                )
            ),
            guarded(
                lambda: write_geopackage(inv, fw, g1, unit_code=unit, year=year, epsg=4490, fu=fu)
            ),
            guarded(
                lambda: write_geopackage(inv, fw, g2, unit_code=unit, year=year, epsg=4326, fu=fu)
            ),
        ]
        for f in files:
            out_console.print(str(Path(f).resolve()), soft_wrap=True)

    @problems_app.command("hotline")
    def problems_hotline(
        unit: str = typer.Option(..., "--unit", "-u", help="City code."),
        year: int = typer.Option(..., "--year", "-y", help="Check-up year."),
        hotline_db: str = typer.Option(
            None,
            "--hotline-db",
            help="Hotline database URL (default $CITYCHECKUP_HOTLINE_DB, as `hotline serve`).",
        ),
        start: str = typer.Option(
            None, "--from", help="First day of the period (YYYY-MM-DD; default 1 January)."
        ),
        end: str = typer.Option(
            None, "--to", help="Last day of the period (YYYY-MM-DD; default 31 December)."
        ),
        timezone: str = typer.Option(
            "Asia/Shanghai", "--timezone", help="The city's time zone (decides a ticket's day)."
        ),
        mapping: Path = typer.Option(
            None, "--mapping", help="Mapping table (YAML; default: the built-in one)."
        ),
        min_tickets: int = typer.Option(
            None, "--min-tickets", help="Override the mapping's hotspot threshold."
        ),
        community_boundaries: Path = typer.Option(
            None, "--community-boundaries", help="GeoJSON polygons with property community_id."
        ),
        block_boundaries: Path = typer.Option(
            None, "--block-boundaries", help="GeoJSON polygons with property block_id."
        ),
        out: Path = typer.Option(
            None,
            "--out",
            "-o",
            help="Folder (e.g. the check-up run) for hotline_candidates.csv, hotline_tickets.csv "
            "(every ticket, its outcome) and hotline_findings.json (the period's figures).",
        ),
        dry_run: bool = typer.Option(False, "--dry-run", help="Do not store the candidates."),
        framework: str = typer.Option(None, "--framework", "-f", help=FW_HELP),
        store: Path = typer.Option(None, "--store", help=STORE_HELP),
    ) -> None:
        """12345 tickets of a period → classified, located, hotspots stored as candidate problems."""
        import os

        from citycheckup.hotline import HotlineStore
        from citycheckup.inventory.hotline_link import (
            hotline_findings,
            load_hotline_mapping,
            read_boundaries,
            write_findings,
        )

        fw = _framework(framework)
        over = {"min_tickets": min_tickets} if min_tickets is not None else None
        mp = guarded(lambda: load_hotline_mapping(mapping, fw, overrides=over))
        bounds = {}
        if community_boundaries is not None:
            bounds["community"] = guarded(
                lambda: read_boundaries(community_boundaries, "community")
            )
        if block_boundaries is not None:
            bounds["block"] = guarded(lambda: read_boundaries(block_boundaries, "block"))
        url = hotline_db or os.environ.get("CITYCHECKUP_HOTLINE_DB", "sqlite:///hotline.db")
        if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).is_file():
            fail(f"no hotline database at {url}; give --hotline-db (e.g. sqlite:///hotline.db)")
        hs = guarded(lambda: HotlineStore(url, migrate=False))
        try:
            tickets = hs.dataframe()
        finally:
            hs.close()
        period = (
            _date(start) if start else dt.date(year, 1, 1),
            _date(end) if end else dt.date(year, 12, 31),
        )
        st, st_inv = _open(store, read_only=dry_run)
        try:
            inv = st_inv.load(unit)
            if all(
                inv.register(k, unit_code=unit, year=year).empty for k in ("community", "block")
            ):
                fail(
                    f"the store has no community or block register of {unit} {year}: import them "
                    "with `registers import` so that tickets can be located"
                )
            f = guarded(
                lambda: hotline_findings(
                    tickets, inv, unit, year, mapping=mp, period=period, timezone=timezone,
                    boundaries=bounds or None,
                )
            )  # fmt: skip
            if not dry_run:
                guarded(lambda: st_inv.record_hotline_candidates(f, source=url.rsplit("/", 1)[-1]))
        finally:
            st.close()
        c = f.counts()
        out_console.print(
            f"{c['tickets']} tickets {period[0]}…{period[1]}: {c['candidate']} behind "
            f"{len(f.candidates)} candidate problem(s) (≥ {mp.min_tickets} tickets), "
            f"{c['below_threshold']} below the threshold, {c['unmapped']} unmapped, "
            f"{c['unlocated']} unlocated, {c['duplicate']} duplicates",
            highlight=False,
        )
        if out is not None:
            for path in guarded(lambda: write_findings(f, out)):
                out_console.print(str(Path(path).resolve()), soft_wrap=True)
        _print_table(
            f.candidates,
            "table",
            [
                "candidate_id",
                "level",
                "name_zh",
                "sub_item_zh",
                "place_name",
                "n_tickets",
                "ticket_ids",
            ],
        )

    @problems_app.command("link-tickets")
    def problems_link_tickets(
        problem: str = typer.Argument(..., help="ID of a closed problem (已销号)."),
        tickets: list[str] = typer.Argument(
            ..., help="12345 ticket IDs (service_request_id) it resolved."
        ),
        note: str = typer.Option(None, "--note", help="Note kept with the links."),
        actor: str = typer.Option(None, "--actor", help="Who records the links."),
        store: Path = typer.Option(None, "--store", help=STORE_HELP),
    ) -> None:
        """Link a closed problem to the hotline tickets it resolved."""
        st, st_inv = _open(store)
        try:
            n = guarded(lambda: st_inv.link_tickets(problem, tickets, note=note, actor=actor))
            links = st_inv.ticket_links(problem)
        finally:
            st.close()
        out_console.print(
            f"{n} ticket link(s) added; {problem} resolved tickets: "
            + ", ".join(str(i) for i in links["ticket_id"]),
            highlight=False,
        )

    app.add_typer(registers_app, name="registers")
    app.add_typer(problems_app, name="problems")
