"""``citycheckup index`` and ``citycheckup sensitivity``: the composite-index engine."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from citycheckup.cli._common import guarded, maybe_store, store_option_help

if TYPE_CHECKING:
    from citycheckup.composite import Coin

__all__ = ["register"]

log = logging.getLogger(__name__)


def _coin(framework: Path, data: Path) -> Coin:
    from citycheckup.composite import Coin, read_data, read_framework

    return Coin(data=read_data(data), meta=read_framework(framework))


def index(
    framework: Annotated[
        Path, typer.Option("--framework", help="Framework YAML or COINr-style iMeta CSV.")
    ],
    data: Annotated[Path, typer.Option("--data", help="Data table or COINr-style iData CSV.")],
    pipeline: Annotated[Path, typer.Option("--pipeline", help="Pipeline YAML (a 'steps' list).")],
    out: Annotated[Path, typer.Option("--out", help="Output directory (replaced atomically).")],
    store: Annotated[Path | None, typer.Option("--store", help=store_option_help())] = None,
    label: Annotated[str | None, typer.Option("--label", help="Label of the stored run.")] = None,
) -> None:
    """Build a composite index: write datasets/<Name>.csv, ranks.csv, treatment.csv, stats.csv, manifest.json."""

    def work() -> None:
        from citycheckup.composite import Pipeline, run_pipeline, write_result

        coin = _coin(framework, data)
        pipe = Pipeline.from_yaml(pipeline)
        res = run_pipeline(coin, pipe)
        write_result(
            res,
            out,
            extra={"framework": str(framework), "data": str(data), "pipeline_file": str(pipeline)},
        )
        log.info("wrote %s (%d data sets)", out, len(res.datasets))

    guarded(work)
    maybe_store(out, kind="index", store=store, label=label)


def sensitivity(
    framework: Annotated[
        Path, typer.Option("--framework", help="Framework YAML or COINr-style iMeta CSV.")
    ],
    data: Annotated[Path, typer.Option("--data", help="Data table or COINr-style iData CSV.")],
    pipeline: Annotated[Path, typer.Option("--pipeline", help="Nominal pipeline YAML.")],
    spec: Annotated[
        Path, typer.Option("--spec", help="Sensitivity YAML (target, n, seed, factors).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Output directory (replaced atomically).")],
    store: Annotated[Path | None, typer.Option("--store", help=store_option_help())] = None,
    label: Annotated[str | None, typer.Option("--label", help="Label of the stored run.")] = None,
) -> None:
    """Uncertainty and sensitivity analysis: write rank_stats.csv and sensitivity_indices.csv."""

    def work() -> None:
        from citycheckup._io import atomic_dir
        from citycheckup.composite import Pipeline
        from citycheckup.composite.io import write_table
        from citycheckup.composite.sensitivity import SensitivitySpec, run_sensitivity

        coin = _coin(framework, data)
        pipe = Pipeline.from_yaml(pipeline)
        sa = SensitivitySpec.from_yaml(spec)
        res = run_sensitivity(coin, pipe, sa)
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
            (tmp / "manifest.json").write_text(
                json.dumps(manifest, indent=2, default=str), encoding="utf-8"
            )
        log.info("wrote %s (%d runs)", out, len(res.runs))

    guarded(work)
    maybe_store(out, kind="sensitivity", store=store, label=label)


def register(app: typer.Typer) -> None:
    """Add the ``index`` and ``sensitivity`` commands to ``app``."""
    app.command("index")(index)
    app.command("sensitivity")(sensitivity)
