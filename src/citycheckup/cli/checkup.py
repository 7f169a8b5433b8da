"""Commands of the check-up itself: ``demo``, ``run``, ``validate``, ``frameworks``."""

from __future__ import annotations

import contextlib
import logging
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from citycheckup.cli._common import console, guarded, maybe_store

out_console = Console()

frameworks_app = typer.Typer(help="List and show indicator frameworks.", no_args_is_help=True)

EMBEDDED = "city-macro-data"


def _count(n: int, noun: str) -> str:
    """``1 year``, ``2 years``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


def _load_data(paths: list[str], year: int | None, fw: Any = None) -> Any:
    from citycheckup.data import load_city_macro, read_dataset
    from citycheckup.data.merge import merge_datasets

    def one(p: str) -> Any:
        if p == EMBEDDED:
            return load_city_macro()
        try:  # a filled-in data-collection workbook (citycheckup template)
            from citycheckup.report.template import is_template, read_template
        except ImportError:
            is_template = None
        if is_template is not None and Path(p).suffix.lower() == ".xlsx" and is_template(p):
            return read_template(p)
        return read_dataset(p, year=year, framework=fw)

    sets = [one(p) for p in paths]
    return sets[0] if len(sets) == 1 else merge_datasets(sets)


def _options(
    *,
    years: list[int] | None,
    scoring: str,
    normalisation: str,
    aggregation: str,
    weights: str,
    base_year: int | None,
    uncertainty: int,
    seed: int,
    min_availability: float,
    per_year: bool,
    invalid: str,
    treatment: str,
    treatment_scope: str,
    localities: list[str],
) -> Any:
    """Check-up options from the command line, every bad value reported at once."""
    from citycheckup.checkup import CheckupOptions

    opts = CheckupOptions(
        years=years,
        scoring=scoring,
        normalisation=normalisation,  # type: ignore[arg-type]
        aggregation=aggregation,
        weights=weights,
        base_year=base_year,  # type: ignore[arg-type]
        uncertainty_n=uncertainty,
        seed=seed,
        min_availability=min_availability,
        global_normalisation=not per_year,
        invalid=invalid,  # type: ignore[arg-type]
        treatment=treatment,
        treatment_scope=treatment_scope,  # type: ignore[arg-type]
        localities=_locality_codes(localities),
    )
    guarded(opts.validate)
    return opts


def _locality_codes(names: list[str]) -> list[str]:
    """6-digit codes of the localities given by code or name (宜昌, 宜昌市, 420500, Yichang)."""
    if not names:
        return []
    from citycheckup.data.identity import default_gazetteer

    g = default_gazetteer()
    return [guarded(lambda n=n: g.match(n)) for n in names]


def _run(
    framework: str,
    data: list[str],
    out: Path,
    lang: str,
    opts: Any,
    *,
    extra_langs: tuple[str, ...] = (),
    keep: tuple[str, ...] = (),
    store: Path | None = None,
) -> Path:
    from citycheckup.checkup import run_checkup
    from citycheckup.framework import load_framework
    from citycheckup.report.checkup_report import write_checkup_outputs

    t0 = time.perf_counter()
    with _progress() as prog:
        task = prog.add_task("loading framework", total=None)
        fw = load_framework(framework)
        prog.update(task, description="reading data")
        years = opts.years
        ds = _load_data(data, years[0] if years and len(years) == 1 else None, fw)
        if fw.method == "mohurd":
            return _run_mohurd(
                fw,
                ds,
                data,
                out,
                lang,
                opts,
                prog,
                task,
                t0,
                extra_langs=extra_langs,
                keep=keep,
                store=store,
            )
        prog.update(task, description="scoring (indicators → scores → grades → diagnosis)")
        result = run_checkup(ds, fw, opts)
        prog.update(task, description="writing outputs")
        report = write_checkup_outputs(
            result,
            out,
            lang=lang,
            extra_manifest={
                "command": " ".join(["citycheckup", *sys.argv[1:]]),
                "data_arguments": data,
            },
            extra_langs=extra_langs,
            keep=keep,
        )
    n_units = result.scores["unit_code"].nunique()
    n_dims = len(result.framework.dimensions)
    scoring = (
        "absolute, against the framework's goalposts"
        if opts.scoring == "absolute"
        else f"relative, among the {n_units} units of the data"
    )
    console.print(
        f"scored {_count(n_units, 'unit')} × {_count(len(result.years), 'year')} on "
        f"{int((result.coverage['status'] == 'used').sum())} indicators "
        f"({len(result.informed_dimensions)}/{n_dims} dimensions with data; {scoring}) "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    nodata = [d for d in result.framework.dimension_codes if d not in result.informed_dimensions]
    if nodata:
        console.print(f"dimensions with no data (left out of the index): {', '.join(nodata)}")
    lines = result.checks.summary_lines(("warning",))
    for line in lines[:12]:
        console.print(line, style="yellow", highlight=False, markup=False)
    if len(lines) > 12:
        console.print(
            f"… {len(lines) - 12} more warning groups: see checks.csv and the report",
            style="yellow",
        )
    return report


def _inventory(store: Path | None, fw: Any, units: list[str]) -> Any:
    """The registers and problems kept in the results store, when it has any for these units."""
    import os

    path = store or (
        Path(os.environ["CITYCHECKUP_STORE"]) if os.environ.get("CITYCHECKUP_STORE") else None
    )
    if path is None or not Path(path).is_file():
        return None
    from citycheckup.store import Store
    from citycheckup.store._inventory import InventoryStore

    with Store(path, read_only=True) as st:
        inv = InventoryStore(st).load()
    regs = [r for r in inv.registers.values() if not r.empty]
    if not regs or not any(set(units) & set(r["unit_code"].astype(str)) for r in regs):
        return None
    return inv


def _run_mohurd(
    fw: Any,
    ds: Any,
    data: list[str],
    out: Path,
    lang: str,
    opts: Any,
    prog: Any,
    task: Any,
    t0: float,
    *,
    extra_langs: tuple[str, ...],
    keep: tuple[str, ...],
    store: Path | None = None,
) -> Path:
    """MOHURD's method: lower levels as inventories, the city level graded (no scores).

    The registers and field surveys kept in the results store (``--store``) are rolled up
    into the lower-level counts, and their problem chain (list, suggestions, projects,
    follow-up of last year's problems) goes into the run directory and the report.
    """
    from citycheckup.checkup import run_mohurd
    from citycheckup.data import Dataset
    from citycheckup.data.merge import merge_datasets
    from citycheckup.report.mohurd_outputs import write_mohurd_outputs

    units = sorted(ds.data["unit_code"].astype(str).unique())
    inv = _inventory(store, fw, units)
    chain: dict[str, Any] = {}
    if inv is not None:
        from citycheckup.inventory import STORE_SOURCE, rollup

        prog.update(task, description="rolling up registers and field surveys")
        roll = rollup(inv, fw)
        roll = roll[roll["unit_code"].astype(str).isin(units)]
        if not roll.empty:
            ds = merge_datasets(
                [
                    ds,
                    Dataset(
                        data=roll.assign(unit_name=None),
                        source=STORE_SOURCE,
                    ),
                ]
            )
    prog.update(task, description="grading the city level, counting the lower levels")
    result = run_mohurd(ds, fw, opts)
    if inv is not None:
        from citycheckup.inventory import chain_tables

        chain = {u: chain_tables(inv, fw, unit_code=u, year=result.years[-1]) for u in units}
    prog.update(task, description="writing outputs")
    report = write_mohurd_outputs(
        result,
        out,
        lang=lang,
        extra_langs=extra_langs,
        keep=keep,
        chain=chain or None,
        inventory=inv,
        extra_manifest={
            "command": " ".join(["citycheckup", *sys.argv[1:]]),
            "data_arguments": data,
        },
    )
    inv_n = len(result.inventories)
    console.print(
        f"{fw.code}: {result.n_units} unit(s) × {len(result.years)} year(s): {len(result.grades)} city-level "
        f"values graded, {len(result.ungraded)} without an applicable threshold, {inv_n} lower-level "
        f"counts (not scored)"
        + (f", {sum(len(c.problems) for c in chain.values())} located problems" if chain else "")
        + f" in {time.perf_counter() - t0:.1f} s"
    )
    for line in result.checks.summary_lines(("warning",))[:12]:
        console.print(line, style="yellow", highlight=False, markup=False)
    return report


def register(app: typer.Typer) -> None:
    """Add ``demo``, ``run``, ``validate`` and ``frameworks`` to ``app``."""

    @app.command()
    def demo(
        out: Path = typer.Option(Path("out/demo"), "--out", help="Output directory."),
        lang: str = typer.Option(
            "zh", "--lang", help="First report language: zh or en (both are written)."
        ),
        uncertainty: int = typer.Option(
            200, "--uncertainty", help="Monte Carlo runs for the panel's rank intervals (0: off)."
        ),
    ) -> None:
        """The demo on embedded real data: 宜昌's published check-up, an OSM district, 300 cities compared."""
        if lang not in ("zh", "en"):
            raise typer.BadParameter("--lang must be zh or en")
        t0 = time.perf_counter()
        with _quiet_libraries():
            from citycheckup.demo import run_demo

            quiet = logging.getLogger().getEffectiveLevel() > logging.DEBUG
            res = guarded(
                lambda: run_demo(
                    out,
                    lang=lang,
                    uncertainty=uncertainty,
                    quiet=quiet,
                    say=lambda m: console.print(m, highlight=False, markup=False, soft_wrap=True),
                )
            )
            _print_demo_outputs(res, lang)
            from citycheckup.cli.store import demo_hook

            guarded(lambda: demo_hook(out, _demo_runs(res, lang)))
        console.print(f"demo finished in {time.perf_counter() - t0:.0f} s", highlight=False)

    @app.command()
    def run(
        framework: str = typer.Option(
            "people-city-2025",
            "--framework",
            "-f",
            help="Built-in framework name, framework YAML, or COINr iMeta CSV.",
        ),
        data: list[str] = typer.Option(
            ...,
            "--data",
            "-d",
            help=f"Data file (CSV/XLSX/Parquet, long or wide); repeat to merge several; "
            f"'{EMBEDDED}' for the embedded data.",
        ),
        year: list[int] = typer.Option(
            None, "--year", "-y", help="Year(s) to score (default: all)."
        ),
        out: Path = typer.Option(
            ..., "--out", "-o", help="Output directory (replaced atomically)."
        ),
        lang: str = typer.Option("zh", "--lang", help="Report language: zh or en."),
        scoring: str = typer.Option(
            "absolute",
            "--scoring",
            help="absolute (default: each indicator against the framework's fixed, cited "
            "goalposts; one city alone gets a complete result) or relative (min-max "
            "ranking among the units in the data, COINr's default build).",
        ),
        normalisation: str = typer.Option(
            "minmax", "--normalisation", help="Relative scoring: minmax or zscore."
        ),
        aggregation: str = typer.Option(
            "arithmetic", "--aggregation", help="arithmetic or geometric."
        ),
        weights: str = typer.Option("framework", "--weights", help="framework or equal."),
        base_year: int = typer.Option(
            None, "--base-year", help="Earlier year for the change table."
        ),
        uncertainty: int = typer.Option(
            0, "--uncertainty", help="Monte Carlo runs for rank intervals (0: off)."
        ),
        seed: int = typer.Option(1, "--seed", help="Seed of the Monte Carlo runs."),
        min_availability: float = typer.Option(
            0.5,
            "--min-availability",
            help="Share of a dimension's indicators a unit needs for a score.",
        ),
        per_year: bool = typer.Option(
            False,
            "--per-year-normalisation",
            help="Normalise each year separately (default: across all years).",
        ),
        treatment: str = typer.Option(
            "winsorise_log",
            "--treatment",
            help="Relative scoring: outlier treatment, winsorise_log (COINr default) or none.",
        ),
        treatment_scope: str = typer.Option(
            "panel",
            "--treatment-scope",
            help="Relative scoring: panel (one treatment decision per indicator for "
            "all years; default) or year (COINr's per-year decisions).",
        ),
        locality: list[str] = typer.Option(
            None,
            "--locality",
            help="Use this city's local standards for grading it (code or name; "
            "repeat for several).",
        ),
        store: Path = typer.Option(
            None,
            "--store",
            help="DuckDB results store to save this run into "
            "(default: $CITYCHECKUP_STORE when set; otherwise not stored).",
        ),
        label: str = typer.Option(None, "--label", help="Label of the stored run."),
        invalid: str = typer.Option(
            "raise",
            "--invalid",
            help="Impossible values (negative population, share > 100 %): 'raise' stops "
            "and lists them; 'missing' blanks exactly those cells and reports them.",
        ),
    ) -> None:
        """Run a check-up: framework + data → scores, grades, diagnosis, report."""
        if lang not in ("zh", "en"):
            raise typer.BadParameter("--lang must be zh or en")
        opts = _options(
            years=list(year or []) or None,
            scoring=scoring,
            normalisation=normalisation,
            aggregation=aggregation,
            weights=weights,
            base_year=base_year,
            uncertainty=uncertainty,
            seed=seed,
            min_availability=min_availability,
            per_year=per_year,
            invalid=invalid,
            treatment=treatment,
            treatment_scope=treatment_scope,
            localities=list(locality or []),
        )
        report = guarded(lambda: _run(framework, data, out, lang, opts, store=store))
        from citycheckup.report.mohurd_run import is_mohurd_run

        maybe_store(out, kind="mohurd" if is_mohurd_run(out) else "run", store=store, label=label)
        out_console.print(f"report: {report.resolve()}")

    @app.command()
    def validate(
        framework: str = typer.Option(
            "people-city-2025", "--framework", "-f", help="Framework name or file."
        ),
        data: list[str] = typer.Option(
            None, "--data", "-d", help="Data file(s) to check against the framework."
        ),
        year: list[int] = typer.Option(
            None,
            "--year",
            "-y",
            help="Year(s) to check (and the year of a table without a year column).",
        ),
        scoring: str = typer.Option(
            "absolute", "--scoring", help="absolute or relative (as for run)."
        ),
        invalid: str = typer.Option("raise", "--invalid", help="raise or missing (as for run)."),
    ) -> None:
        """Validate a framework (and data against it) with exactly the checks `run` makes, all at once."""
        from citycheckup.checkup import check_data
        from citycheckup.framework import load_framework

        fw = guarded(lambda: load_framework(framework))
        out_console.print(
            f"framework {fw.code} v{fw.version}: {len(fw.indicators)} indicators in "
            f"{len(fw.dimensions)} dimensions — valid"
        )
        if not data:
            return
        years = list(year or []) or None
        opts = _options(
            years=years,
            scoring=scoring,
            normalisation="minmax",
            aggregation="arithmetic",
            weights="framework",
            base_year=None,
            uncertainty=0,
            seed=1,
            min_availability=0.5,
            per_year=False,
            invalid=invalid,
            treatment="winsorise_log",
            treatment_scope="panel",
            localities=[],
        )
        ds = guarded(
            lambda: _load_data(list(data), years[0] if years and len(years) == 1 else None, fw)
        )
        rep = guarded(lambda: check_data(ds, fw, opts))
        shown = [f for f in rep.findings if f.severity != "info"] + [
            f for f in rep.findings if f.severity == "info"
        ]
        for f in shown[:60]:
            style = {"error": "red", "warning": "yellow", "info": "dim"}[f.severity]
            out_console.print(str(f), style=style, highlight=False, markup=False)
        if len(shown) > 60:
            out_console.print(f"… and {len(shown) - 60} more findings", highlight=False)
        n_err = len(rep.errors)
        out_console.print(
            f"{ds.source}: {len(ds.data)} rows, {n_err} error(s), "
            f"{sum(f.severity == 'warning' for f in rep.findings)} warning(s)"
        )
        if n_err:
            raise typer.Exit(1)

    @frameworks_app.command("list")
    def frameworks_list() -> None:
        """List the built-in frameworks."""
        from citycheckup.framework import builtin_frameworks, load_framework

        table = Table("name", "version", "indicators", "dimensions", "title")
        for name in builtin_frameworks():
            fw = load_framework(name)
            table.add_row(
                name,
                fw.version,
                str(len(fw.indicators)),
                str(len(fw.dimensions)),
                f"{fw.name_zh} / {fw.name_en}",
            )
        out_console.print(table)

    @frameworks_app.command("show")
    def frameworks_show(
        name: str = typer.Argument(..., help="Built-in name or framework file."),
        lang: str = typer.Option("zh", "--lang", help="zh or en."),
        details: bool = typer.Option(
            True,
            "--details/--brief",
            help="Method, scope, data owner and threshold provenance of every indicator.",
        ),
    ) -> None:
        """Show a framework's indicators by level and dimension: method, scope, owner, thresholds and their provenance."""
        from citycheckup.framework import load_framework

        fw = guarded(lambda: load_framework(name))
        zh = lang == "zh"
        out_console.print(
            f"[bold]{fw.name_zh if zh else fw.name_en}[/bold] ({fw.code} v{fw.version}, "
            f"method {fw.method}, {len(fw.indicators)} indicators)"
        )
        for top in fw.dimensions:
            for d in top.dimensions or [top]:
                title = (f"{top.code}/{d.code}: " if d is not top else f"{top.code}: ") + (
                    d.name_zh if zh else d.name_en
                )
                table = Table(title=title, title_justify="left", show_lines=details)
                cols = ["code", "id", "name", "unit", "kind", "level"]
                if details:
                    cols += ["method / scope / owner", "thresholds (tier · reference · applies)"]
                for col in cols:
                    table.add_column(col, overflow="fold")
                for i in d.iter_indicators():
                    row = [
                        i.code,
                        i.mohurd_id or "",
                        i.name_zh if zh else i.name_en,
                        i.unit,
                        i.kind + (f" {i.band}" if i.band else ""),
                        i.level,
                    ]
                    if details:
                        method = (i.method_zh if zh else i.method_en) or (
                            f"= {i.formula}" if i.formula else ""
                        )
                        scope = (i.scope if zh else (i.scope_en or i.scope)) or ""
                        owner = (i.owner if zh else (i.owner_en or i.owner)) or ""
                        parts = [
                            x
                            for x in (
                                method,
                                f"scope: {scope}" if scope else "",
                                f"owner: {owner}" if owner else "",
                                f"date: {i.reference_date}" if i.reference_date else "",
                                f"denominator: {i.denominator}" if i.denominator else "",
                            )
                            if x
                        ]
                        thr = []
                        for g in i.thresholds:
                            p = g.provenance
                            a = g.applies
                            cond = [
                                x
                                for x in (
                                    "reference only" if a.role == "reference" else "",
                                    "water-scarce cities" if a.water_scarce else "",
                                    f"regions {','.join(a.regions)}" if a.regions else "",
                                    f"target {a.target_year}" if a.target_year else "",
                                    f"locality {','.join(p.locality)}"
                                    if p is not None and p.locality
                                    else "",
                                )
                                if x
                            ]
                            rule = (
                                (f"≥{g.pass_line:g}" if i.direction > 0 else f"≤{g.pass_line:g}")
                                if g.pass_line is not None
                                else (
                                    "cutoffs " + "/".join(f"{c:g}" for c in g.cutoffs)
                                    if g.cutoffs
                                    else "bands"
                                )
                            )
                            ref = (
                                (p.reference if zh else (p.reference_en or p.reference))
                                if p
                                else g.source
                            )
                            thr.append(
                                f"{rule} · {p.tier if p else '?'} · {ref}"
                                + (f" · {'; '.join(cond)}" if cond else "")
                            )
                        row += ["\n".join(parts), "\n".join(thr) or "—"]
                    table.add_row(*row)
                out_console.print(table)

    app.add_typer(frameworks_app, name="frameworks")


@contextlib.contextmanager
def _quiet_libraries() -> Iterator[None]:
    """Keep the demo's log to progress lines: library warnings go to the outputs, not the terminal.

    The data checks, quality flags and missing data are written into each result folder
    (``checks.csv``, ``missing.csv``, ``quality.csv``, the reports); ``--verbose`` shows the
    library's logging as usual.
    """
    if logging.getLogger().getEffectiveLevel() <= logging.DEBUG:  # --verbose
        yield
        return
    from citycheckup.demo._run import QUIET_LOGGERS as names

    levels = {n: logging.getLogger(n).level for n in names}
    logging.captureWarnings(True)
    for n in names:
        logging.getLogger(n).setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")  # shown once each, through py.warnings (quiet here)
            yield
    finally:
        logging.captureWarnings(False)
        for n, level in levels.items():
            logging.getLogger(n).setLevel(level)


def _demo_runs(res: Any, lang: str) -> list[tuple[Path, str, str]]:
    """The demo's results in the order they are stored: the check-up last (newest, opened first)."""
    from citycheckup.demo import panel_label
    from citycheckup.spatial.data import EXTRACTS

    zh = lang == "zh"
    ex = EXTRACTS["beijing_haidian_cau"]
    district = (
        f"街区体检示例：{ex.name_zh}（OpenStreetMap，© OpenStreetMap 贡献者，ODbL）"
        if zh
        else f"District check-up example: {ex.name_en} (OpenStreetMap; © OpenStreetMap contributors, ODbL)"
    )
    checkup = (
        "宜昌市 2025 年城市体检（公开发布数据，住房城乡建设部方法）"
        if zh
        else "Yichang city check-up 2025 (published figures, MOHURD method)"
    )
    return [
        (res.panel.run_dir, "run", panel_label(lang, res.panel)),
        (res.district.out, "spatial", district),
        (res.yichang.run_dir, "mohurd", checkup),
    ]


def _print_demo_outputs(res: Any, lang: str) -> None:
    """Where each output is, the check-up first."""

    def rel(p: Path) -> str:
        try:
            return str(Path(p).resolve().relative_to(Path.cwd()))
        except ValueError:
            return str(Path(p).resolve())

    y, d, p = res.yichang, res.district, res.panel
    pdf = [r for r in y.reports if r.suffix == ".pdf"]
    lines = [
        "outputs:",
        f"  check-up report (宜昌 2025)      {', '.join(rel(r) for r in pdf)}",
        f"    DOCX/HTML, tables, annexes     {rel(y.run_dir)}/",
        f"  district problem map (OSM)       {rel(d.out / 'maps' / 'problems.png')}",
        f"    problem list → projects        {rel(d.out / 'problems.csv')}, {rel(d.out / 'projects.csv')}, "
        f"{rel(d.out / f'annexes_{lang}.xlsx')}",
        f"    summary                        {rel(d.out / f'summary_{lang}.md')}",
        f"  300 cities compared (not a check-up)  {', '.join(rel(r) for r in p.reports)}",
    ]
    for line in lines:
        out_console.print(line, highlight=False, markup=False, soft_wrap=True)
