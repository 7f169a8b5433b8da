"""``citycheckup runs list|show|diff|delete|label|add``, ``citycheckup export`` and ``citycheckup serve``."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from citycheckup.cli._common import console, fail, guarded

__all__ = ["demo_hook", "register"]

out_console = Console()

runs_app = typer.Typer(
    help="List, show, compare, label and delete stored runs.", no_args_is_help=True
)

STORE_HELP = "Results store (DuckDB file); default $CITYCHECKUP_STORE or ./citycheckup.duckdb."
DEMO_STORE = "store.duckdb"


def _store(path: Path | None, *, read_only: bool = False):  # type: ignore[no-untyped-def]
    from citycheckup.store import Store, default_store_path

    return guarded(lambda: Store(default_store_path(path), read_only=read_only))


def demo_hook(out: Path, runs: Sequence[tuple[Path, str, str]] | None = None) -> Path:
    """Store the demo's results in ``<out>/store.duckdb`` and print how to open the dashboard.

    Parameters
    ----------
    out
        The demo's output folder.
    runs
        ``(folder, kind, label)`` in the order to store them. The last one stored is the
        newest run, listed first and the one the dashboard opens on: the demo passes the
        panel, the district and then the check-up. Default: ``out`` itself when it is a result
        with a manifest, and every result folder directly below it (check-ups of kind
        ``mohurd`` last), labelled by folder name.

    Returns
    -------
    pathlib.Path
        The store. It is replaced as a whole (written next to it, then renamed), so ``make
        demo`` twice gives one copy of each run.
    """
    from citycheckup.store import Store, detect_kind
    from citycheckup.store._errors import StoreError

    if runs is None:
        found: list[tuple[Path, str, str]] = []
        subs = sorted(p for p in out.iterdir() if p.is_dir() and not p.name.startswith("."))
        for sub in [out, *subs]:  # ``out`` itself when it is a result (a run with sub-results)
            try:
                manifest = (
                    json.loads((sub / "manifest.json").read_text(encoding="utf-8"))
                    if (sub / "manifest.json").is_file()
                    else {}
                )
                kind = detect_kind(sub, manifest)
            except (StoreError, json.JSONDecodeError, OSError):
                continue
            if sub != out or manifest:
                found.append((sub, kind, f"demo: {sub.name}"))
        runs = sorted(found, key=lambda r: r[1] == "mohurd")  # stable: check-ups last
    store_path = out / DEMO_STORE
    tmp = store_path.with_name(f".{store_path.name}.partial")
    tmp.unlink(missing_ok=True)
    try:
        with Store(tmp) as st:
            for folder, kind, label in runs:
                st.save_run_dir(folder, kind=kind, label=label)
        os.replace(tmp, store_path)
    finally:
        tmp.unlink(missing_ok=True)
    n = len(runs)
    first = f"; the dashboard opens on: {runs[-1][2]}" if runs else ""
    out_console.print(
        f"store: {store_path} ({n} run{'s' if n != 1 else ''}{first})", soft_wrap=True
    )
    out_console.print(
        f"dashboard: citycheckup serve --store {store_path}  (then open http://127.0.0.1:8000/)",
        soft_wrap=True,
    )
    return store_path


def register(app: typer.Typer) -> None:
    """Add ``runs``, ``export`` and ``serve`` to ``app``."""

    @runs_app.command("list")
    def runs_list(
        store: Path = typer.Option(None, "--store", help=STORE_HELP),
        kind: str = typer.Option(
            None, "--kind", help="Only runs of this kind: run, mohurd, index, sensitivity, spatial."
        ),
        label: str = typer.Option(
            None, "--label", help="Only runs whose label contains this text."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    ) -> None:
        """List the stored runs, newest first."""
        with _store(store, read_only=True) as st:
            runs = st.list_runs(kind=kind, label=label)
        if as_json:
            out_console.print_json(json.dumps(runs, default=str, ensure_ascii=False))
            return
        table = Table("run id", "kind", "label", "framework", "units", "years", "stored (UTC)")
        for r in runs:
            years = "" if r["year_min"] is None else f"{r['year_min']}–{r['year_max']}"
            table.add_row(
                r["run_id"],
                r["kind"],
                r["label"] or "",
                r["framework_code"] or "",
                str(r["n_units"]),
                years,
                f"{r['stored_utc']:%Y-%m-%d %H:%M:%S}",
            )
        out_console.print(table)

    @runs_app.command("show")
    def runs_show(
        run_id: str = typer.Argument(..., help="Run id (see 'citycheckup runs list')."),
        store: Path = typer.Option(None, "--store", help=STORE_HELP),
    ) -> None:
        """Show a run: manifest, tables and files."""
        with _store(store, read_only=True) as st:
            info = guarded(lambda: st.run(run_id))
        out_console.print_json(json.dumps(info, default=str, ensure_ascii=False))

    @runs_app.command("diff")
    def runs_diff(
        run_a: str = typer.Argument(..., help="Earlier run id."),
        run_b: str = typer.Argument(..., help="Later run id."),
        score: str = typer.Option("index", "--score", help="Index or dimension code."),
        year: int = typer.Option(
            None, "--year", help="Year (default: latest year both runs have)."
        ),
        top: int = typer.Option(20, "--top", help="Show the units whose rank changed most."),
        store: Path = typer.Option(None, "--store", help=STORE_HELP),
    ) -> None:
        """Compare two runs: score and rank changes of the units they share."""
        with _store(store, read_only=True) as st:
            df = guarded(lambda: st.diff_runs(run_a, run_b, score=score, year=year))
        if df.empty:
            fail(
                f"runs {run_a} and {run_b} share no units with a {score!r} score"
                + (f" in {year}" if year else "")
            )
        moved = int((df["rank_change"].fillna(0) != 0).sum())
        out_console.print(
            f"{score}, year {df.attrs.get('year')}: {len(df)} units in both runs, {moved} changed rank"
        )
        table = Table("unit", "name", "score A", "score B", "rank A", "rank B", "rank change")
        for r in df.head(top).to_dict("records"):

            def f(v: object, nd: int = 1) -> str:
                return "" if v is None or v != v else f"{v:.{nd}f}"

            table.add_row(
                r["unit_code"],
                r["unit_name"] or "",
                f(r["value_a"]),
                f(r["value_b"]),
                f(r["rank_a"], 0),
                f(r["rank_b"], 0),
                "" if r["rank_change"] != r["rank_change"] else f"{int(r['rank_change']):+d}",
            )
        out_console.print(table)

    @runs_app.command("delete")
    def runs_delete(
        run_id: str = typer.Argument(..., help="Run id."),
        store: Path = typer.Option(None, "--store", help=STORE_HELP),
        yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    ) -> None:
        """Delete a run and everything stored with it."""
        with _store(store) as st:
            guarded(lambda: st.run(run_id))
            if not yes and not typer.confirm(f"delete run {run_id}?"):
                raise typer.Exit(1)
            guarded(lambda: st.delete_run(run_id))
        console.print(f"deleted {run_id}")

    @runs_app.command("label")
    def runs_label(
        run_id: str = typer.Argument(..., help="Run id."),
        label: str = typer.Argument(..., help="New label ('' to clear)."),
        store: Path = typer.Option(None, "--store", help=STORE_HELP),
    ) -> None:
        """Set a run's label."""
        with _store(store) as st:
            guarded(lambda: st.label_run(run_id, label or None))
        console.print(f"labelled {run_id}")

    @runs_app.command("add")
    def runs_add(
        run_dir: Path = typer.Argument(
            ..., help="Result folder of citycheckup run/index/sensitivity/spatial."
        ),
        kind: str = typer.Option(
            "auto", "--kind", help="auto, run, mohurd, index, sensitivity or spatial."
        ),
        label: str = typer.Option(None, "--label", help="A label for the run."),
        store: Path = typer.Option(None, "--store", help=STORE_HELP),
    ) -> None:
        """Store an existing result folder as a new run; print its run id."""
        from citycheckup.store import read_run_dir

        content = guarded(lambda: read_run_dir(run_dir, kind=kind))
        with _store(store) as st:
            run_id = guarded(lambda: st.save(content, label=label))
        out_console.print(run_id)

    app.add_typer(runs_app, name="runs")

    @app.command("export")
    def export(
        run_id: str = typer.Argument(..., help="Run id."),
        out: Path = typer.Option(..., "--out", "-o", help="Folder (parquet/csv) or .xlsx file."),
        fmt: str = typer.Option("parquet", "--format", help="parquet, csv or xlsx."),
        table: list[str] = typer.Option(
            None, "--table", help="Only these tables (repeat); default all."
        ),
        store: Path = typer.Option(None, "--store", help=STORE_HELP),
    ) -> None:
        """Export a stored run's tables as Parquet, CSV or XLSX."""
        with _store(store, read_only=True) as st:
            paths = guarded(
                lambda: st.export(run_id, out, fmt=fmt, tables=list(table or []) or None)
            )  # type: ignore[arg-type]
        console.print(f"wrote {len(paths)} file(s) under {out}")

    @app.command("serve")
    def serve(
        host: str = typer.Option(
            "127.0.0.1", "--host", help="Interface to bind (0.0.0.0 for all)."
        ),
        port: int = typer.Option(8000, "--port", help="TCP port."),
        store: Path = typer.Option(None, "--store", help=STORE_HELP),
        token_file: Path = typer.Option(
            None,
            "--token-file",
            help="File with the bearer token for writing (else $CITYCHECKUP_API_TOKEN).",
        ),
        read_only: bool = typer.Option(
            False,
            "--read-only",
            help="Open the store read-only (no writing endpoints; other processes may "
            "read it too).",
        ),
        rate_limit: int = typer.Option(
            1200,
            "--rate-limit",
            help="Requests per minute per client address that the response cache does not "
            "answer (this process only; 0: no limit).",
        ),
        burst: int = typer.Option(300, "--burst", help="Largest burst per client address."),
        survey_db: Path = typer.Option(
            None,
            "--survey-db",
            help="Residents' survey database (from `citycheckup survey tokens`); serves the "
            "mobile survey form at /survey/<survey id>.",
        ),
    ) -> None:
        """Serve the web API (/api/v1, OpenAPI at /docs), the dashboard (/) and, with
        --survey-db, the residents' survey form."""
        import uvicorn

        from citycheckup.api import create_app
        from citycheckup.store import default_store_path

        token = None
        if token_file is not None:
            try:
                token = token_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                fail(f"--token-file {token_file}: {exc}")
            if not token:
                fail(f"--token-file {token_file} is empty")
        path = default_store_path(store)
        application = guarded(
            lambda: create_app(
                store=path,
                token=token,
                read_only=read_only,
                warm_up=True,
                rate_per_minute=rate_limit,
                burst=burst,
                survey_db=survey_db,
            )
        )
        console.print(
            f"store: {path.resolve()} · dashboard: http://{host}:{port}/ · API: http://{host}:{port}/docs"
        )
        uvicorn.run(application, host=host, port=port, log_level="warning")
