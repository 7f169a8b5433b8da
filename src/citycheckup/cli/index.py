"""``citycheckup index`` (with ``index compare`` and ``index remove``) and ``citycheckup sensitivity``."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from citycheckup.cli._common import console, fail, guarded, maybe_store, store_option_help

if TYPE_CHECKING:
    from citycheckup.composite import Coin

__all__ = ["register"]

log = logging.getLogger(__name__)

index_app = typer.Typer(
    help="Composite index (COINr engine): build one, compare several, remove components.",
    no_args_is_help=False,
)

FrameworkOpt = Annotated[
    Path, typer.Option("--framework", help="Framework YAML or COINr-style iMeta CSV.")
]
DataOpt = Annotated[Path, typer.Option("--data", help="Data table or COINr-style iData CSV.")]
NaOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--na-values",
        help="Text that means 'missing' besides an empty cell (repeatable), e.g. --na-values n/a. "
        "Any other text in an indicator column is an error.",
    ),
]
WeightsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--weights",
        help="Named weight set NAME=FILE (CSV with iCode, Weight; or YAML code: weight); repeatable. "
        "Select it with --use-weights NAME or 'weights: NAME' in the aggregate step.",
    ),
]
LANGS: tuple[Literal["zh", "en"], ...] = ("zh", "en")


def _weight_sets(specs: list[str] | None) -> dict[str, dict[str, float]]:
    from citycheckup.composite.io import read_weights

    out: dict[str, dict[str, float]] = {}
    for spec in specs or []:
        name, sep, file = spec.partition("=")
        if not sep or not name or not file:
            fail(f"--weights takes NAME=FILE, got {spec!r}")
        if name in out or name == "Original":
            fail(f"--weights: the name {name!r} is used twice or is reserved")
        out[name] = read_weights(Path(file))
    return out


def _coin(
    framework: Path,
    data: Path,
    *,
    na_values: list[str] | None = None,
    weights: list[str] | None = None,
    drop: list[str] | None = None,
) -> Coin:
    from citycheckup.composite import Coin, read_data, read_framework

    return Coin(
        data=read_data(data, na_values=na_values or ()),
        meta=read_framework(framework),
        weight_sets=_weight_sets(weights),
        exclude=tuple(drop or ()),
    )


def _pipeline(path: Path, use_weights: str | None) -> Any:
    from citycheckup.composite import Pipeline

    pipe = Pipeline.from_yaml(path)
    if use_weights is None:
        return pipe
    i = pipe.index_of("aggregate")
    return pipe.replace_step(i, {**pipe.steps[i].params, "weights": use_weights})


def _report_dropped(dropped: Any) -> None:
    if dropped is not None and len(dropped):
        console.print(
            f"[yellow]warning:[/yellow] {len(dropped)} indicator(s)/aggregate(s) had no value and "
            "were left out of their parents; see dropped.csv",
            highlight=False,
        )


@index_app.callback(invoke_without_command=True)
def index(
    ctx: typer.Context,
    framework: Annotated[
        Path | None, typer.Option("--framework", help="Framework YAML or COINr-style iMeta CSV.")
    ] = None,
    data: Annotated[
        Path | None, typer.Option("--data", help="Data table or COINr-style iData CSV.")
    ] = None,
    pipeline: Annotated[
        Path | None, typer.Option("--pipeline", help="Pipeline YAML (a 'steps' list).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Output directory (replaced atomically).")
    ] = None,
    na_values: NaOpt = None,
    weights: WeightsOpt = None,
    use_weights: Annotated[
        str | None, typer.Option("--use-weights", help="Aggregate with this named weight set.")
    ] = None,
    drop: Annotated[
        list[str] | None,
        typer.Option("--drop", help="Leave out this indicator (repeatable; COINr change_ind)."),
    ] = None,
    group: Annotated[
        str | None,
        typer.Option("--group", help="A *_group column: also write ranks within its groups."),
    ] = None,
    excel: Annotated[
        bool, typer.Option("--excel", help="Also write index.xlsx with every data set and table.")
    ] = False,
    plots: Annotated[
        bool,
        typer.Option("--plots", help="Write plots/zh and plots/en (PNG and SVG) of the index."),
    ] = False,
    plot_unit: Annotated[
        str | None, typer.Option("--plot-unit", help="Unit highlighted in the dot plot.")
    ] = None,
    store: Annotated[Path | None, typer.Option("--store", help=store_option_help())] = None,
    label: Annotated[str | None, typer.Option("--label", help="Label of the stored run.")] = None,
) -> None:
    """Build a composite index: datasets/<Name>.csv, ranks.csv, results.csv, treatment.csv,
    stats.csv, dropped.csv, manifest.json (and index.xlsx, plots/ on request)."""
    if ctx.invoked_subcommand is not None:
        return
    missing = [
        f"--{n}"
        for n, v in (("framework", framework), ("data", data), ("pipeline", pipeline), ("out", out))
        if v is None
    ]
    if missing:
        fail(f"index needs {', '.join(missing)} (or a sub-command: compare, remove)")
    assert framework is not None and data is not None and pipeline is not None and out is not None

    def work() -> Any:
        from citycheckup.composite import run_pipeline, write_result
        from citycheckup.composite.results import results_table

        coin = _coin(framework, data, na_values=na_values, weights=weights, drop=drop)
        pipe = _pipeline(pipeline, use_weights)
        res = run_pipeline(coin, pipe)
        tables = {}
        if "Aggregated" in res.datasets:
            agg = res.datasets["Aggregated"]
            tables["results"] = results_table(coin, agg, kind="full", nround=None)
            if group is not None:
                tables["results_group_ranks"] = results_table(
                    coin, agg, kind="aggregates", use="groupranks", group=group
                )
        hook = None
        if plots:
            figs = {lang: _index_figures(res, lang, plot_unit) for lang in LANGS}
            hook = _plot_writer(figs)
        write_result(
            res,
            out,
            hook=hook,
            extra={
                "framework": str(framework),
                "data": str(data),
                "pipeline_file": str(pipeline),
                "weight_sets": sorted(coin.weight_sets),
                "excluded": list(coin.exclude),
            },
            excel=excel,
            tables=tables,
        )
        log.info("wrote %s (%d data sets)", out, len(res.datasets))
        return res

    res = guarded(work)
    _report_dropped(res.dropped)
    maybe_store(out, kind="index", store=store, label=label)


def _index_figures(res: Any, lang: Literal["zh", "en"], unit: str | None) -> Any:
    from citycheckup.composite.plots import index_figures

    return index_figures(res, lang=lang, unit=unit)


def _plot_writer(figs: Mapping[Any, Any]) -> Any:
    """A hook writing ``plots/<lang>/<kind>.png|svg`` into an output folder."""
    from citycheckup.composite.plots import write_figures

    def write(folder: Path) -> None:
        for lang, f in figs.items():
            write_figures(f, folder / "plots" / lang)

    return write


@index_app.command("compare")
def compare(
    results: Annotated[
        list[str],
        typer.Argument(help="Index output directories (NAME=DIR or DIR); the first is the base."),
    ],
    out: Annotated[
        Path,
        typer.Option("--out", help="CSV file to write (an .xlsx is also written with --excel)."),
    ],
    code: Annotated[
        str, typer.Option("--code", help="Code to compare (default: Index).")
    ] = "Index",
    by: Annotated[str, typer.Option("--by", help="ranks or scores.")] = "ranks",
    table: Annotated[str, typer.Option("--table", help="values, diffs or absdiffs.")] = "values",
    excel: Annotated[
        bool, typer.Option("--excel", help="Also write an .xlsx next to the CSV.")
    ] = False,
) -> None:
    """Compare one code across several index results (COINr compare_coins_multi)."""

    def work() -> None:
        import pandas as pd

        from citycheckup._io import atomic_file
        from citycheckup.composite.io import read_table
        from citycheckup.composite.results import compare_multi

        sets: dict[str, pd.DataFrame] = {}
        for spec in results:
            name, sep, d = spec.partition("=")
            folder = Path(d if sep else spec)
            name = name if sep else folder.name
            f = folder / "datasets" / "Aggregated.csv"
            if not f.is_file():
                fail(f"{folder} is not an index result with an aggregated data set ({f} missing)")
            sets[name] = read_table(f)
        tab = compare_multi(sets, code, by=by, table=table)  # type: ignore[arg-type]
        with atomic_file(out, "w", encoding="utf-8", newline="") as fh:
            tab.to_csv(fh, index=False)
        if excel:
            with atomic_file(out.with_suffix(".xlsx"), "wb") as fh:
                tab.to_excel(fh, index=False, engine="xlsxwriter")
        log.info("wrote %s (%d units, %d results)", out, len(tab), len(sets))

    guarded(work)


@index_app.command("remove")
def remove(
    framework: FrameworkOpt,
    data: DataOpt,
    pipeline: Annotated[Path, typer.Option("--pipeline", help="Nominal pipeline YAML.")],
    level: Annotated[
        int, typer.Option("--level", help="Level whose components are removed one at a time.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Output directory (replaced atomically).")],
    target: Annotated[
        str | None, typer.Option("--target", help="Aggregate compared (default: the index).")
    ] = None,
    na_values: NaOpt = None,
    weights: WeightsOpt = None,
    use_weights: Annotated[
        str | None, typer.Option("--use-weights", help="Nominal weight set.")
    ] = None,
) -> None:
    """Remove each component of a level in turn and write the rank changes (COINr remove_elements)."""

    def work() -> None:
        from citycheckup._io import atomic_dir
        from citycheckup.composite.adjust import remove_elements
        from citycheckup.composite.io import write_table

        coin = _coin(framework, data, na_values=na_values, weights=weights)
        res = remove_elements(coin, _pipeline(pipeline, use_weights), level, target=target)
        with atomic_dir(out) as tmp:
            write_table(res.scores, tmp / "scores.csv")
            write_table(res.ranks, tmp / "ranks.csv")
            write_table(res.rank_diffs, tmp / "rank_diffs.csv")
            mad = res.mean_abs_diff.rename_axis("iCode").reset_index(name="MeanAbsDiff")
            write_table(mad, tmp / "mean_abs_diff.csv")
        log.info("wrote %s", out)

    guarded(work)


@index_app.command("unit")
def unit(
    framework: FrameworkOpt,
    data: DataOpt,
    result: Annotated[Path, typer.Option("--result", help="An index output directory.")],
    unit_code: Annotated[str, typer.Option("--unit", help="The unit (uCode).")],
    out: Annotated[Path, typer.Option("--out", help="Output directory (replaced atomically).")],
    top: Annotated[int, typer.Option("--top", help="Number of strengths and of weaknesses.")] = 5,
    na_values: NaOpt = None,
) -> None:
    """One unit's scores and ranks by level and its strengths and weaknesses (COINr
    get_unit_summary, get_str_weak): summary.csv, strengths.csv, weaknesses.csv."""

    def work() -> None:
        from citycheckup._io import atomic_dir
        from citycheckup.composite.io import read_table, write_table
        from citycheckup.composite.results import unit_strengths, unit_summary

        coin = _coin(framework, data, na_values=na_values)
        agg_file = result / "datasets" / "Aggregated.csv"
        raw_file = result / "datasets" / "Raw.csv"
        if not agg_file.is_file() or not raw_file.is_file():
            fail(f"{result} is not an index result (datasets/Aggregated.csv and Raw.csv needed)")
        agg, raw = read_table(agg_file), read_table(raw_file)
        summary = unit_summary(coin, agg, unit_code, nround=None)
        s, w = unit_strengths(coin, raw, unit_code, top=top, bottom=top)
        with atomic_dir(out) as tmp:
            write_table(summary, tmp / "summary.csv")
            write_table(s, tmp / "strengths.csv")
            write_table(w, tmp / "weaknesses.csv")
        log.info("wrote %s", out)

    guarded(work)


@index_app.command("trends")
def trends_cmd(
    result: Annotated[
        Path, typer.Option("--result", help="An index output directory of panel data.")
    ],
    out: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
    codes: Annotated[
        list[str] | None, typer.Option("--code", help="Code(s) to follow (default: the index).")
    ] = None,
    dataset: Annotated[
        str, typer.Option("--dataset", help="Data set of the result.")
    ] = "Aggregated",
    method: Annotated[str, typer.Option("--method", help="CAGR or prc_change.")] = "CAGR",
    use_latest: Annotated[
        int | None, typer.Option("--use-latest", help="Only the latest N years of each series.")
    ] = None,
    interpolate: Annotated[
        bool, typer.Option("--interpolate", help="Fill gaps between years linearly first.")
    ] = False,
) -> None:
    """Trend of each unit over a panel result (COINr get_trends)."""

    def work() -> None:
        from citycheckup._io import atomic_file
        from citycheckup.composite.analysis import trends
        from citycheckup.composite.io import read_table

        f = result / "datasets" / f"{dataset}.csv"
        if not f.is_file():
            fail(f"{f} not found; --dataset names a data set of the result")
        df = read_table(f)
        want = codes or ["Index"]
        missing = [c for c in want if c not in df.columns]
        if missing:
            fail(f"code(s) {', '.join(missing)} are not in {f.name}")
        tab = trends(
            df, want, method=method, use_latest=use_latest, interp_at="all" if interpolate else None
        )
        with atomic_file(out, "w", encoding="utf-8", newline="") as fh:
            tab.to_csv(fh, index=False)
        log.info("wrote %s (%d rows)", out, len(tab))

    guarded(work)


def sensitivity(
    framework: FrameworkOpt,
    data: DataOpt,
    pipeline: Annotated[Path, typer.Option("--pipeline", help="Nominal pipeline YAML.")],
    spec: Annotated[
        Path, typer.Option("--spec", help="Sensitivity YAML (target, n, seed, factors).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Output directory (replaced atomically).")],
    na_values: NaOpt = None,
    weights: WeightsOpt = None,
    plots: Annotated[
        bool,
        typer.Option("--plots", help="Write plots/zh and plots/en: uncertainty and sensitivity."),
    ] = False,
    excel: Annotated[
        bool, typer.Option("--excel", help="Also write sensitivity.xlsx with every table.")
    ] = False,
    store: Annotated[Path | None, typer.Option("--store", help=store_option_help())] = None,
    label: Annotated[str | None, typer.Option("--label", help="Label of the stored run.")] = None,
) -> None:
    """Uncertainty and sensitivity analysis: write rank_stats.csv and sensitivity_indices.csv."""

    def work() -> Any:
        from citycheckup._io import atomic_dir
        from citycheckup.composite import Pipeline
        from citycheckup.composite.io import write_table
        from citycheckup.composite.sensitivity import SensitivitySpec, run_sensitivity

        coin = _coin(framework, data, na_values=na_values, weights=weights)
        pipe = Pipeline.from_yaml(pipeline)
        sa = SensitivitySpec.from_yaml(spec)
        res = run_sensitivity(coin, pipe, sa)
        hook = None
        if plots:
            from citycheckup.composite.plots import sensitivity_figures

            hook = _plot_writer({lang: sensitivity_figures(res, lang=lang) for lang in LANGS})
        with atomic_dir(out) as tmp:
            write_table(res.rank_stats, tmp / "rank_stats.csv")
            write_table(res.indices, tmp / "sensitivity_indices.csv")
            write_table(res.runs, tmp / "runs.csv")
            if sa.per_unit:
                write_table(res.unit_indices, tmp / "unit_sensitivity_indices.csv")
            manifest = {
                "target": sa.target or coin.index_code,
                "n": sa.n,
                "seed": sa.seed,
                "sampling": sa.sampling,
                "runs": len(res.runs),
                "failed_runs": res.n_failed,
                "factors": [f.name for f in sa.factors],
                "pipeline": pipe.to_list(),
            }
            if hook is not None:
                hook(tmp)
            if excel:
                import pandas as pd

                sheets = {
                    "rank_stats": res.rank_stats,
                    "sensitivity_indices": res.indices,
                    "runs": res.runs,
                    "ranks": res.ranks,
                    "scores": res.scores,
                }
                if sa.per_unit:
                    sheets["unit_sensitivity_indices"] = res.unit_indices
                with pd.ExcelWriter(tmp / "sensitivity.xlsx", engine="xlsxwriter") as xw:
                    for name, df in sheets.items():
                        df.to_excel(xw, sheet_name=name[:31], index=False)
            (tmp / "manifest.json").write_text(
                json.dumps(manifest, indent=2, default=str), encoding="utf-8"
            )
        log.info("wrote %s (%d runs)", out, len(res.runs))
        return res

    guarded(work)
    maybe_store(out, kind="sensitivity", store=store, label=label)


def register(app: typer.Typer) -> None:
    """Add the ``index`` group and the ``sensitivity`` command to ``app``."""
    app.add_typer(index_app, name="index")
    app.command("sensitivity")(sensitivity)
