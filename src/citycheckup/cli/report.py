"""Commands ``report`` (check-up reports of a run, HTML/PDF/Word) and ``template`` (data-collection workbook)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import cast

import typer
from rich.console import Console

from citycheckup.cli._common import console, guarded
from citycheckup.errors import DataError

__all__ = ["check_output_names", "register"]

out_console = Console()


def _previous_values(path: str, unit: str, year: int) -> dict[str, float]:
    """Indicator values of ``unit`` in ``year`` from a run directory or a data file."""
    import pandas as pd

    p = Path(path)
    if p.is_dir():
        from citycheckup.report.run import load_run

        ind = load_run(p).indicators
    else:
        from citycheckup.data import read_dataset

        ind = read_dataset(p).data
    row = ind[(ind["unit_code"].astype(str) == unit) & (ind["year"] == year)]
    if row.empty:
        return {}
    rec = row.iloc[0]
    return {
        str(k): float(v)
        for k, v in rec.items()
        if isinstance(v, int | float) and not pd.isna(v) and k not in ("year",)
    }


def check_output_names(out: Path, codes: list[str], langs: list[str], formats: list[str]) -> None:
    """Refuse unit codes whose report files would not land directly in ``out``.

    A unit code becomes part of a file name (``city_<code>_<lang>.<fmt>`` and the
    problem lists ``city_<code>_<lang>_…``); a code with ``/``, ``..`` or a NUL byte
    would write elsewhere. Every offending code is listed in one error.

    Raises
    ------
    OutputError
        Naming each code and what to fix.
    """
    from citycheckup._io import safe_child
    from citycheckup.errors import OutputError, Problem

    base = out.resolve()
    problems = []
    for code in codes:
        names = [f"city_{code}_{lang}.{fmt}" for lang in langs for fmt in formats]
        names += [f"city_{code}_{lang}_problem_list.csv" for lang in langs]
        try:
            if any(safe_child(base, n).parent != base for n in names):
                raise OutputError("it contains a path separator")
        except OutputError as exc:
            problems.append(Problem(f"unit_code {code!r}: {exc}", where="scores.csv"))
    if problems:
        raise OutputError(
            f"{len(problems)} unit code(s) would write report files outside {base}; nothing "
            "was written. Unit codes must be plain names (e.g. an adcode such as 110000):\n"
            + "\n".join(f"  - {p}" for p in problems)
        )


def _mohurd_reports(
    run: Path,
    out: Path,
    units: list[str],
    all_units: bool,
    langs: list[str],
    fmts: list[str],
    themes: list[str],
    year: int | None,
    framework: str | None,
) -> list[Path]:
    """Annual check-up reports in MOHURD's outline (and thematic reports) of a MOHURD-method run."""
    from citycheckup._io import safe_child
    from citycheckup.inventory.hotline_link import read_findings
    from citycheckup.report.annual import annual_report, inputs_from_chain
    from citycheckup.report.document import to_docx, to_html, to_pdf
    from citycheckup.report.mohurd_run import load_mohurd_run
    from citycheckup.report.thematic import load_themes, thematic_report

    t0 = time.perf_counter()
    mr = load_mohurd_run(run, framework=framework)
    known = sorted(mr.result.values["unit_code"].astype(str).unique())
    codes = known if (all_units or not units) else units
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise DataError(
            f"unit(s) {', '.join(unknown)} are not in the run {run} (it has {', '.join(known[:20])})"
        )
    names = list(load_themes()) if "all" in themes else themes
    for th in names:
        if th not in load_themes():
            raise DataError(f"unknown theme {th!r}; choose {', '.join(load_themes())} or all")
    check_output_names(out, codes, langs, fmts)
    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    # 12345 findings written into the run by `problems hotline --out RUN` (one city per run folder)
    hot = read_findings(run)
    for code in codes:
        inp = inputs_from_chain(mr.result, mr.chain.get(code))
        if hot is not None and str(hot.unit_code) == code:
            inp.hotline = hot
        docs = [
            (f"checkup_{code}", lambda lg, c=code, i=inp: annual_report(i, c, year=year, lang=lg))
        ]
        docs += [
            (
                f"theme_{th}_{code}",
                lambda lg, c=code, i=inp, th=th: thematic_report(i, c, th, year=year, lang=lg),
            )
            for th in names
        ]
        for stem, make in docs:
            for lg in langs:
                doc = make(lg)
                for fmt in fmts:
                    target = safe_child(out, f"{stem}_{lg}.{fmt}")
                    if fmt == "pdf":
                        files.append(to_pdf(doc, target))
                    elif fmt == "docx":
                        files.append(to_docx(doc, target))
                    else:
                        from citycheckup._io import write_text_atomic

                        write_text_atomic(target, to_html(doc))
                        files.append(target)
    console.print(f"{len(files)} report file(s) in {time.perf_counter() - t0:.1f} s")
    return files


def register(app: typer.Typer) -> None:
    """Add ``report`` and ``template`` to ``app``."""

    @app.command()
    def report(
        run: Path = typer.Option(
            ..., "--run", "-r", help="Run directory written by `citycheckup run` or `demo`."
        ),
        unit: list[str] = typer.Option(
            None, "--unit", "-u", help="City code(s) for city reports (repeatable)."
        ),
        all_units: bool = typer.Option(
            False, "--all", help="City reports of every unit, plus the overview."
        ),
        lang: list[str] = typer.Option(["zh"], "--lang", help="zh or en (repeat for both)."),
        fmt: list[str] = typer.Option(
            ["html"], "--format", help="html, pdf or docx (repeat for several)."
        ),
        theme: list[str] = typer.Option(
            None,
            "--theme",
            help="Thematic check-up(s) of a MOHURD-method run: parking, old_blocks, complete_communities, or all.",
        ),
        out: Path = typer.Option(
            None, "--out", "-o", help="Output folder (default: <run>/reports)."
        ),
        year: int = typer.Option(
            None, "--year", help="Year of the report (default: the last scored year)."
        ),
        problems: Path = typer.Option(
            None,
            "--problems",
            help="Problem table (CSV/XLSX: indicator, district, location, count …) "
            "for the problem list of --unit.",
        ),
        remediation: Path = typer.Option(
            None, "--remediation", help="YAML with changes to the problem → remediation mapping."
        ),
        jobs: int = typer.Option(
            0, "--jobs", "-j", help="Processes for city reports (0: CPU count)."
        ),
        framework: str = typer.Option(
            None,
            "--framework",
            "-f",
            help="Framework file, when the run's framework is not built in.",
        ),
    ) -> None:
        """Write check-up reports of a run: the overview (no --unit), cities (--unit), or all (--all)."""
        for x in lang:
            if x not in ("zh", "en"):
                raise typer.BadParameter("--lang must be zh or en")
        for x in fmt:
            if x not in ("html", "pdf", "docx"):
                raise typer.BadParameter("--format must be html, pdf or docx")
        if unit and all_units:
            raise typer.BadParameter("give --unit or --all, not both")
        from citycheckup.report.mohurd_run import is_mohurd_run

        if is_mohurd_run(run):
            files = guarded(
                lambda: _mohurd_reports(
                    run,
                    out or run / "reports",
                    [str(u) for u in unit or []],
                    all_units,
                    lang,
                    fmt,
                    list(theme or []),
                    year,
                    framework,
                )
            )
            for f in files[:20]:
                out_console.print(str(f.resolve()))
            if len(files) > 20:
                out_console.print(f"… and {len(files) - 20} more")
            return

        def go() -> list[Path]:
            from citycheckup.report.city_report import Format, Lang, build_context, render_reports
            from citycheckup.report.run import load_run

            t0 = time.perf_counter()
            rd = load_run(run, framework=framework)
            codes = (
                sorted(rd.scores["unit_code"].astype(str).unique())
                if all_units
                else [str(u) for u in unit or []]
            )
            check_output_names(out or run / "reports", codes, lang, fmt)
            ctx = build_context(
                rd,
                year=year,
                units=codes or None,
                problems=problems,
                problem_unit=codes[0] if len(codes) == 1 else None,
                remediation=remediation,
                priorities=bool(codes),  # the overview needs none
                jobs=jobs or None,
            )
            files = render_reports(
                rd,
                out or run / "reports",
                units=codes,
                overview=all_units or not codes,
                langs=cast("list[Lang]", lang),
                formats=cast("list[Format]", fmt),
                jobs=jobs or None,
                context=ctx,
            )
            console.print(f"{len(files)} report file(s) in {time.perf_counter() - t0:.1f} s")
            return files

        files = guarded(go)
        for f in files[:20]:
            out_console.print(str(f.resolve()))
        if len(files) > 20:
            out_console.print(f"… and {len(files) - 20} more")

    @app.command()
    def template(
        framework: str = typer.Option(
            None,
            "--framework",
            "-f",
            help="Framework name or file (default people-city-2025; mohurd-2025 with --level).",
        ),
        unit: str = typer.Option(..., "--unit", "-u", help="Unit (city) code the workbook is for."),
        year: int = typer.Option(..., "--year", "-y", help="Year the values refer to."),
        out: Path = typer.Option(..., "--out", "-o", help="Workbook to write (.xlsx)."),
        name: str = typer.Option("", "--name", help="Unit name shown in the workbook."),
        previous: str = typer.Option(
            None, "--previous", help="Run directory or data file with last year's values."
        ),
        lang: str = typer.Option("zh", "--lang", help="Label language: zh or en."),
        level: str = typer.Option(
            None,
            "--level",
            help="Write the field-survey workbook of a lower level instead: housing, community or block "
            "(registers, located problems with MOHURD sub-items).",
        ),
        store: Path = typer.Option(
            None,
            "--store",
            help="With --level: prefill the registers of --unit from this results store (latest year before --year).",
        ),
    ) -> None:
        """Write the data-collection workbook departments fill in (a sheet per dimension, validated cells)."""
        if lang not in ("zh", "en"):
            raise typer.BadParameter("--lang must be zh or en")
        if out.suffix.lower() != ".xlsx":
            raise typer.BadParameter("--out must end in .xlsx")
        if level is not None and level not in ("housing", "community", "block"):
            raise typer.BadParameter("--level must be housing, community or block")

        def go() -> Path:
            from citycheckup.framework import load_framework

            if level is not None:
                from citycheckup.cli.inventory import field_survey_workbook

                return field_survey_workbook(
                    framework or "mohurd-2025",
                    level,
                    out,
                    unit=unit,
                    year=year,
                    name=name,
                    lang=lang,
                    store=store,
                )
            from citycheckup.report.template import write_template

            fw = load_framework(framework or "people-city-2025")
            last = _previous_values(previous, unit, year - 1) if previous else {}
            return write_template(fw, unit, year, out, unit_name=name, last_values=last, lang=lang)

        path = guarded(go)
        out_console.print(f"template: {path.resolve()}")
