"""Pipelines: an ordered list of named steps, each a registry method with parameters.

A pipeline is data (a list of ``{step: {parameters}}``), read from YAML or built in
Python, validated as a whole (every problem reported at once) and run on a
:class:`~citycheckup.composite.Coin`. Every step writes a named data set:
``Denominated``, ``Screened``, ``Imputed``, ``Treated``, ``Normalised``,
``Aggregated`` (``Raw`` is the input).

Examples
--------
>>> pipe = Pipeline.from_steps([{"normalise": {"method": "minmax"}}, {"aggregate": {}}])
>>> [s.name for s in pipe.steps]
['normalise', 'aggregate']
"""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from citycheckup.composite._coin import Coin
from citycheckup.composite._state import State
from citycheckup.composite._util import Registry, rank_desc
from citycheckup.composite.aggregate import aggregate
from citycheckup.composite.custom import custom
from citycheckup.composite.denominate import denominate
from citycheckup.composite.impute import impute
from citycheckup.composite.normalise import normalise
from citycheckup.composite.screen import screen
from citycheckup.composite.treat import treat
from citycheckup.errors import PipelineError, Problem

__all__ = ["STEPS", "Pipeline", "PipelineResult", "Step", "rank_table", "run_pipeline"]

StepFunction = Callable[..., State]
STEPS: Registry[StepFunction] = Registry("pipeline step")
STEPS.update(
    {
        "denominate": denominate,
        "screen": screen,
        "impute": impute,
        "treat": treat,
        "normalise": normalise,
        "aggregate": aggregate,
        "custom": custom,
    }
)

#: Data set written by each step.
DATASET_OF = {
    "denominate": "Denominated",
    "screen": "Screened",
    "impute": "Imputed",
    "treat": "Treated",
    "normalise": "Normalised",
    "aggregate": "Aggregated",
    "custom": "Custom",
}

#: YAML keys that are Python keywords.
_KEY_ALIASES = {"global": "global_"}


def _python_params(params: Mapping[str, Any]) -> dict[str, Any]:
    return {_KEY_ALIASES.get(k, k): v for k, v in params.items()}


@dataclass(frozen=True)
class Step:
    """One pipeline step: a registry name and its parameters (YAML spelling)."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def key(self) -> str:
        """Canonical text of the step (memoisation key)."""
        return json.dumps([self.name, self.params], sort_keys=True, default=_json_default)

    def apply(self, state: State) -> State:
        """Run the step on ``state``."""
        return STEPS.get_method(self.name)(state, **_python_params(self.params))


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (np.integer, np.floating)):
        return obj.item()
    return str(obj)


def _check_step(index: int, name: str, params: Any, problems: list[Problem]) -> None:
    where = f"steps[{index}] ({name})"
    if name not in STEPS:
        problems.append(
            Problem(f"unknown step {name!r}; choose one of {', '.join(sorted(STEPS))}", where)
        )
        return
    if not isinstance(params, Mapping):
        problems.append(
            Problem(f"parameters must be a mapping, got {type(params).__name__}", where)
        )
        return
    sig = inspect.signature(STEPS[name])
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values()):
        return
    accepted = {p for p in sig.parameters if p != "state"}
    for k in params:
        if _KEY_ALIASES.get(k, k) not in accepted:
            shown = sorted(a.rstrip("_") for a in accepted)
            problems.append(
                Problem(f"unknown parameter {k!r}; {name} takes: {', '.join(shown)}", where)
            )


@dataclass(frozen=True)
class Pipeline:
    """An ordered list of steps.

    Use :meth:`from_steps` or :meth:`from_yaml`; both validate every step.
    """

    steps: tuple[Step, ...]

    @classmethod
    def from_steps(cls, steps: Sequence[Mapping[str, Any] | Step]) -> Pipeline:
        """Build from ``[{step_name: {params}}, ...]`` (or :class:`Step` objects).

        Raises
        ------
        PipelineError
            Unknown steps or parameters (all listed).
        """
        problems: list[Problem] = []
        out: list[Step] = []
        if isinstance(steps, Mapping) or not isinstance(steps, Sequence):
            raise PipelineError(
                "a pipeline is a list of steps, e.g. [{normalise: {method: minmax}}]"
            )
        for i, s in enumerate(steps):
            if isinstance(s, Step):
                name, params = s.name, s.params
            elif isinstance(s, Mapping) and len(s) == 1:
                name, params = next(iter(s.items()))
                params = {} if params is None else params
            else:
                problems.append(
                    Problem(
                        "each step must be a mapping with exactly one key (the step name)",
                        f"steps[{i}]",
                    )
                )
                continue
            _check_step(i, str(name), params, problems)
            out.append(Step(str(name), dict(params) if isinstance(params, Mapping) else {}))
        if problems:
            raise PipelineError("invalid pipeline", problems=problems)
        return cls(tuple(out))

    @classmethod
    def default(cls, *, group: str | None = None, min_availability: float = 2 / 3) -> Pipeline:
        """COINr's documented full build: denominate → impute → screen → treat → minmax 0–100 → arithmetic.

        Parameters
        ----------
        group
            ``*_group`` column for group-mean imputation (plain mean imputation if ``None``).
        min_availability
            Screening threshold on the share of available indicator values.
        """
        imp: dict[str, Any] = (
            {"method": "mean_group", "group": group} if group else {"method": "mean"}
        )
        return cls.from_steps(
            [
                {"denominate": {}},
                {"impute": imp},
                {"screen": {"by": "na", "min_availability": min_availability}},
                {
                    "treat": {
                        "method": "winsorise_log",
                        "winmax": 5,
                        "skew": 2,
                        "kurtosis": 3.5,
                        "log": "log_ct",
                    }
                },
                {"normalise": {"method": "minmax", "lower": 0, "upper": 100}},
                {"aggregate": {"method": "arithmetic"}},
            ]
        )

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str]) -> Pipeline:
        """Read a pipeline file: a mapping with key ``steps`` (or a bare list of steps)."""
        p = Path(path)
        try:
            doc = yaml.safe_load(p.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise PipelineError(f"cannot read pipeline file {p}: {exc}") from exc
        steps = doc.get("steps") if isinstance(doc, Mapping) else doc
        if steps is None:
            raise PipelineError(f"{p}: no 'steps' list found; write 'steps:' followed by the steps")
        steps = _relative_paths(steps, p.parent)
        try:
            return cls.from_steps(steps)
        except PipelineError as exc:
            raise PipelineError(f"{p}: invalid pipeline", problems=exc.problems) from exc

    def to_list(self) -> list[dict[str, Any]]:
        """The pipeline as ``[{name: params}]`` (YAML-ready)."""
        return [{s.name: dict(s.params)} for s in self.steps]

    def replace_step(self, index: int, params: Mapping[str, Any]) -> Pipeline:
        """A copy with step ``index``'s parameters replaced."""
        steps = list(self.steps)
        steps[index] = Step(steps[index].name, dict(params))
        return Pipeline(tuple(steps))

    def index_of(self, name: str) -> int:
        """Position of the first step called ``name``."""
        for i, s in enumerate(self.steps):
            if s.name == name:
                return i
        raise PipelineError(
            f"the pipeline has no {name!r} step; it has: {', '.join(s.name for s in self.steps) or 'no steps'}"
        )

    def run(self, coin: Coin) -> PipelineResult:
        """Run on ``coin`` (same as :func:`run_pipeline`)."""
        return run_pipeline(coin, self)


def _relative_paths(steps: Any, base: Path) -> Any:
    """Resolve a relative ``denominate.table`` path against the pipeline file's folder."""
    if not isinstance(steps, list):
        return steps
    out = []
    for st in steps:
        if isinstance(st, Mapping) and isinstance(st.get("denominate"), Mapping):
            params = dict(st["denominate"])
            table = params.get("table")
            if isinstance(table, str) and not Path(table).is_absolute():
                cand = base / table
                if cand.is_file():
                    params["table"] = str(cand)
            st = {"denominate": params}
        out.append(st)
    return out


def rank_table(values: pd.DataFrame, codes: Sequence[str]) -> pd.DataFrame:
    """Ranks (1 = best, ties → minimum rank, NaN kept) of ``codes``, within each ``Time``."""
    head = ["uCode"] + (["Time"] if "Time" in values.columns else [])
    out = values[head].copy()
    V = values[list(codes)].to_numpy(dtype=float)
    R = np.full(V.shape, np.nan)
    if "Time" in values.columns:
        t = values["Time"].to_numpy()
        for tt in np.unique(t):
            pos = np.flatnonzero(t == tt)
            R[pos] = rank_desc(V[pos], axis=0)
    else:
        R = rank_desc(V, axis=0)
    ranks = pd.DataFrame(R, columns=list(codes), index=out.index)
    for c in codes:
        ranks[c] = ranks[c].astype("Int64")
    return pd.concat([out, ranks], axis=1)


@dataclass
class PipelineResult:
    """Output of a pipeline run.

    Attributes
    ----------
    datasets
        Data sets by name (``Raw``, ``Denominated`` … ``Aggregated``): ``uCode``,
        (``Time``), then one column per indicator (and aggregate for ``Aggregated``).
    ranks
        Ranks of every aggregate (empty without an aggregate step).
    stats
        Indicator statistics of the ``Raw`` data set.
    treatment, treated_points, screening
        Details of those steps (empty DataFrames when the step did not run).
    state
        The final internal state.
    pipeline
        The pipeline that was run.
    dropped
        Indicators and aggregates without any value (per year in panels) that were
        left out of their parents, with the reason (``iCode, Level, Parent, (Time),
        Reason, Reason_zh``); empty when none.
    """

    datasets: dict[str, pd.DataFrame]
    ranks: pd.DataFrame
    stats: pd.DataFrame
    treatment: pd.DataFrame
    treated_points: pd.DataFrame
    screening: pd.DataFrame
    state: State
    pipeline: Pipeline
    dropped: pd.DataFrame = field(default_factory=pd.DataFrame)


def run_states(coin: Coin, pipeline: Pipeline) -> State:
    """Run ``pipeline`` and return the final :class:`State` (no DataFrames built)."""
    state = State.initial(coin)
    for i, step in enumerate(pipeline.steps):
        try:
            state = step.apply(state)
        except PipelineError as exc:
            raise PipelineError(
                f"step {i} ({step.name}) failed: {exc.headline}", problems=exc.problems
            ) from exc
    return state


def run_pipeline(coin: Coin, pipeline: Pipeline | Sequence[Mapping[str, Any]]) -> PipelineResult:
    """Run a pipeline on a coin.

    Parameters
    ----------
    coin
        Input data and metadata.
    pipeline
        A :class:`Pipeline` or a list of ``{step: {params}}``.

    Returns
    -------
    PipelineResult
    """
    from citycheckup.composite.stats import indicator_stats

    pipe = pipeline if isinstance(pipeline, Pipeline) else Pipeline.from_steps(pipeline)
    state = run_states(coin, pipe)
    datasets = {name: state.frame(name) for name in state.datasets}
    if "Aggregated" in datasets:
        ranks = rank_table(datasets["Aggregated"], coin.aggregates)
    else:
        ranks = pd.DataFrame()
    stats = indicator_stats(datasets["Raw"], coin.indicators)
    return PipelineResult(
        datasets=datasets,
        ranks=ranks,
        stats=stats,
        treatment=state.details.get("treatment", pd.DataFrame()),
        treated_points=state.details.get("treated_points", pd.DataFrame()),
        screening=state.details.get("screening", pd.DataFrame()),
        state=state,
        pipeline=pipe,
        dropped=state.details.get("dropped", pd.DataFrame()),
    )
