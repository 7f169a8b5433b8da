"""``citycheckup problems import|list|start|close|link-project|history|follow-up|export``: the problem lifecycle."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, cast

import typer

from citycheckup.cli._common import fail, guarded
from citycheckup.cli._inventory_common import (
    FW_HELP,
    KINDS,
    STORE_HELP,
    _date,
    _framework,
    _open,
    _print_table,
    out_console,
    problems_app,
)

__all__ = ["add_problems"]


def add_problems() -> None:
    """Add the lifecycle commands to :data:`problems_app`."""

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
