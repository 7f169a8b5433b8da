"""Uncertainty and variance-based sensitivity analysis of a whole pipeline.

Any step parameter can be an uncertain *factor*: discrete ``values`` of one
parameter, whole-step ``alternatives``, a continuous ``range``, or ``noise`` on the
weights (uniform ± fraction per level). Factors are sampled on the unit hypercube
(plain Monte Carlo or a scrambled Sobol sequence) and mapped to choices as COINr
does (equal-width bins for discrete factors).

Uncertainty analysis: rank statistics per unit (nominal, mean, median, 5th and 95th
percentile) over the independent runs: all ``N`` runs of an uncertainty analysis, the
``2N`` runs of matrices A and B of a sensitivity design (the AB_i runs re-use A's
values and would weight some choices twice, so COINr leaves them out too). Sensitivity analysis: Saltelli's design (matrices A, B and
AB_i, ``n (d + 2)`` runs) with the first-order estimator of Saltelli et al. (2010)
and Jansen's total-effect estimator applied to the mean absolute rank change of the
target versus the nominal ranks, with bootstrap intervals; optionally the same per
unit (output = the unit's rank).

Speed: each distinct pipeline prefix (everything before ``aggregate``) is computed
once and cached, runs with identical settings are computed once, and all weight
sets sharing a prefix are aggregated in one vectorised call. A factor that changes
nothing therefore yields bit-identical outputs and indices of exactly 0.

References
----------
Saltelli, A. et al. (2010). Variance based sensitivity analysis of model output.
Design and estimator for the total sensitivity index. *Computer Physics
Communications* 181, 259–270.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from citycheckup.composite._coin import Coin
from citycheckup.composite._state import State
from citycheckup.composite._util import rank_desc
from citycheckup.composite.aggregate import aggregate_batch, resolve_weights, structure_codes
from citycheckup.composite.pipeline import Pipeline, Step
from citycheckup.composite.sa_spec import Factor, SensitivitySpec
from citycheckup.composite.sobol import (
    sample_design,
    sensitivity_estimates,
    sobol_indices,
)
from citycheckup.errors import CitycheckupError, PipelineError, Problem

__all__ = [
    "Factor",
    "SensitivityResult",
    "SensitivitySpec",
    "run_sensitivity",
    "sample_design",
    "sensitivity_estimates",
    "sobol_indices",
    "uncertainty_ranks",
]

log = logging.getLogger(__name__)


@dataclass
class SensitivityResult:
    """Results of :func:`run_sensitivity`.

    Attributes
    ----------
    rank_stats
        ``uCode, nominal, mean, median, q5, q95`` of the target's rank over the
        independent runs (all runs of an uncertainty analysis; the A and B runs of a
        sensitivity design, as COINr).
    indices
        ``factor, Si, Si_q5, Si_q95, STi, STi_q5, STi_q95`` (empty for UA only).
    unit_indices
        Per unit and factor (``uCode, factor, Si, STi``) when ``per_unit``.
    runs
        The sampled choice of every factor per run, with ``design`` (A, B, AB_i) and
        the output ``mean_abs_rank_change``.
    ranks
        Target ranks, runs × units (columns = uCode).
    scores
        Target scores, runs × units.
    n_failed
        Runs whose rebuild failed (their outputs are missing, as in COINr).
    """

    rank_stats: pd.DataFrame
    indices: pd.DataFrame
    unit_indices: pd.DataFrame
    runs: pd.DataFrame
    ranks: pd.DataFrame
    scores: pd.DataFrame
    n_failed: int = 0
    spec: SensitivitySpec | None = field(default=None, repr=False)


def _sample(spec: SensitivitySpec) -> tuple[np.ndarray, list[str]]:
    """Unit-hypercube design: rows of A (and B, AB_i when sensitivity), with labels."""
    d = len(spec.factors)
    N = spec.n
    U = sample_design(N, d, seed=spec.seed, sampling=spec.sampling, sensitivity=spec.sensitivity)
    if not spec.sensitivity:
        return U, ["A"] * N
    labels = ["A"] * N + ["B"] * N
    for i in range(d):
        labels += [f"AB_{spec.factors[i].name}"] * N
    return U, labels


def _step_index(pipe: Pipeline, step: str | int) -> int:
    if isinstance(step, int):
        if not 0 <= step < len(pipe.steps):
            raise PipelineError(
                f"factor step index {step} is out of range (0..{len(pipe.steps) - 1})"
            )
        return step
    return pipe.index_of(step)


def _noisy_sets(
    coin: Coin, base: np.ndarray, noise: Mapping[int, float], n_sets: int, rng: np.random.Generator
) -> np.ndarray:
    codes = structure_codes(coin)
    lev_of = {c: lev for lev, cs in coin.levels.items() for c in cs}
    sets = np.tile(base, (n_sets, 1))
    for lev, frac in noise.items():
        cols = np.array([i for i, c in enumerate(codes) if lev_of[c] == lev])
        if cols.size == 0:
            raise PipelineError(f"noise level {lev} has no codes; levels are 1..{coin.max_level}")
        sets[:, cols] = base[cols] * (1 + rng.uniform(-frac, frac, size=(n_sets, cols.size)))
    return sets


def run_sensitivity(
    coin: Coin,
    pipeline: Pipeline | Sequence[Mapping[str, Any]],
    spec: SensitivitySpec | Mapping[str, Any],
) -> SensitivityResult:
    """Run the uncertainty and (optionally) sensitivity analysis.

    Parameters
    ----------
    coin
        Input data and metadata.
    pipeline
        The nominal pipeline; it must contain an ``aggregate`` step.
    spec
        A :class:`SensitivitySpec` or its mapping form.

    Returns
    -------
    SensitivityResult

    Raises
    ------
    PipelineError
        Invalid specification, e.g. a factor naming a step the pipeline lacks.
    """
    pipe = pipeline if isinstance(pipeline, Pipeline) else Pipeline.from_steps(pipeline)
    spec = spec if isinstance(spec, SensitivitySpec) else SensitivitySpec.from_dict(spec)
    target = spec.target or coin.index_code
    problems: list[Problem] = []
    if target not in coin.aggregates:
        problems.append(
            Problem(
                f"target {target!r} is not an aggregate; choose one of {', '.join(coin.aggregates)}",
                "spec.target",
            )
        )
    try:
        agg_i = pipe.index_of("aggregate")
    except PipelineError as exc:
        raise PipelineError(
            "sensitivity analysis needs an 'aggregate' step in the pipeline"
        ) from exc
    step_idx: list[int] = []
    for f in spec.factors:
        try:
            si = _step_index(pipe, f.step)
        except PipelineError as exc:
            problems.append(Problem(exc.headline, f"factor {f.name}"))
            continue
        step_idx.append(si)
        if f.kind == "noise" and pipe.steps[si].name != "aggregate":
            problems.append(
                Problem("noise applies to the weights of an 'aggregate' step", f"factor {f.name}")
            )
    if problems:
        raise PipelineError(
            "sensitivity specification does not fit the pipeline", problems=problems
        )

    rng_w = np.random.default_rng(None if spec.seed is None else spec.seed + 7919)
    base_w = resolve_weights(coin, pipe.steps[agg_i].params.get("weights"))
    noise_sets = {
        f.name: _noisy_sets(coin, base_w, f.noise or {}, f.n_sets, rng_w)
        for f in spec.factors
        if f.kind == "noise"
    }
    U, design = _sample(spec)
    levels = [[f.level(float(u)) for f, u in zip(spec.factors, row, strict=True)] for row in U]

    # ---- distinct configurations
    configs: dict[tuple[Any, ...], int] = {}
    run_cfg = np.empty(len(levels), dtype=int)
    for r, lv in enumerate(levels):
        run_cfg[r] = configs.setdefault(tuple(lv), len(configs))
    nominal_key = ("nominal",)

    weight_cache: dict[str, np.ndarray] = {}

    def build(lv: Sequence[Any] | None) -> tuple[list[Step], np.ndarray]:
        steps = list(pipe.steps)
        W = base_w
        noisy = False
        if lv is not None:
            for f, si, v in zip(spec.factors, step_idx, lv, strict=True):
                params = dict(steps[si].params)
                if f.kind == "values":
                    assert f.values is not None and f.parameter is not None
                    params[f.parameter] = f.values[v]
                elif f.kind == "range":
                    assert f.parameter is not None
                    params[f.parameter] = v
                elif f.kind == "alternatives":
                    assert f.alternatives is not None
                    params = dict(f.alternatives[v])
                else:
                    W = noise_sets[f.name][v]
                    noisy = True
                steps[si] = Step(steps[si].name, params)
        if not noisy:
            # weights chosen by a factor (values / alternatives of the aggregate step)
            wspec = steps[agg_i].params.get("weights")
            key = json.dumps(wspec, sort_keys=True, default=str)
            if key not in weight_cache:
                weight_cache[key] = resolve_weights(coin, wspec)
            W = weight_cache[key]
        return steps, W

    # ---- evaluate: cached prefixes, batched aggregation
    prefix_cache: dict[str, State | Exception] = {}

    def prefix_state(steps: list[Step]) -> State | Exception:
        key = ""
        state: State | Exception = State.initial(coin)
        for s in steps[:agg_i]:
            key = key + "|" + s.key()
            hit = prefix_cache.get(key)
            if hit is None:
                if isinstance(state, Exception):
                    hit = state
                else:
                    try:
                        hit = s.apply(state)
                    except CitycheckupError as exc:
                        hit = exc
                prefix_cache[key] = hit
            state = hit
        return state

    all_keys: list[tuple[Any, ...]] = [nominal_key, *configs]
    groups: dict[tuple[str, str], list[tuple[int, np.ndarray, State | Exception]]] = {}
    for ci, key in enumerate(all_keys):
        steps, W = build(None if key == nominal_key else key)
        st = prefix_state(steps)
        agg_params = {k: v for k, v in steps[agg_i].params.items() if k != "weights"}
        pkey = "|".join(s.key() for s in steps[:agg_i])
        groups.setdefault((pkey, json.dumps(agg_params, sort_keys=True, default=str)), []).append(
            (ci, W, st)
        )

    arr_units = coin.data["uCode"].to_numpy(dtype=object)
    t_all = coin.data["Time"].to_numpy() if coin.is_panel else None
    if t_all is not None:
        tsel = spec.time if spec.time is not None else t_all.max()
        unit_rows = np.flatnonzero(t_all == tsel)
        if unit_rows.size == 0:
            raise PipelineError(
                f"no data for time {tsel!r}; choose one of {sorted(set(t_all.tolist()))}"
            )
    else:
        unit_rows = np.arange(len(arr_units))
    row_to_col = np.full(len(arr_units), -1)
    row_to_col[unit_rows] = np.arange(unit_rows.size)
    n_units = unit_rows.size
    tpos = coin.aggregates.index(target)
    scores = np.full((len(all_keys), n_units), np.nan)
    n_failed_cfg: set[int] = set()
    errors: list[str] = []
    for (_, agg_json), members in groups.items():
        st = members[0][2]
        if isinstance(st, Exception):
            n_failed_cfg.update(ci for ci, _, _ in members)
            errors.append(str(st))
            continue
        params = json.loads(agg_json)
        cols = row_to_col[st.rows]
        keep = cols >= 0
        for start in range(0, len(members), 256):
            chunk = members[start : start + 256]
            W = np.vstack([w for _, w, _ in chunk])
            try:
                S = aggregate_batch(coin, st.X[keep], W, **params)
            except CitycheckupError as exc:
                n_failed_cfg.update(ci for ci, _, _ in chunk)
                errors.append(str(exc))
                continue
            for k, (ci, _, _) in enumerate(chunk):
                scores[ci, cols[keep]] = S[k, :, tpos]
    if 0 in n_failed_cfg:
        raise PipelineError(f"the nominal pipeline fails: {errors[0]}")
    if errors:
        log.warning(
            "%d of %d distinct configurations failed to rebuild (their runs are missing); first error: %s",
            len(n_failed_cfg),
            len(all_keys),
            errors[0],
        )
    ranks_cfg = rank_desc(scores, axis=1)
    nominal = ranks_cfg[0]
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        y_cfg = np.nanmean(np.abs(ranks_cfg - nominal), axis=1)
    y_cfg[list(n_failed_cfg)] = np.nan
    cfg_idx = run_cfg + 1
    run_ranks = ranks_cfg[cfg_idx]
    run_scores = scores[cfg_idx]
    y = y_cfg[cfg_idx]
    failed = np.isin(cfg_idx, list(n_failed_cfg))
    run_ranks[failed] = np.nan
    ucodes = arr_units[unit_rows]

    # rank statistics over the independent runs only (A and B of a sensitivity design)
    indep = run_ranks[: 2 * spec.n] if spec.sensitivity else run_ranks
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        rank_stats = pd.DataFrame(
            {
                "uCode": ucodes,
                "nominal": nominal,
                "mean": np.nanmean(indep, axis=0),
                "median": np.nanmedian(indep, axis=0),
                "q5": np.nanquantile(indep, 0.05, axis=0),
                "q95": np.nanquantile(indep, 0.95, axis=0),
            }
        )
    runs = pd.DataFrame({"design": design})
    for j, f in enumerate(spec.factors):
        col = [lv[j] for lv in levels]
        if f.kind == "values":
            assert f.values is not None
            runs[f.name] = [f.values[v] for v in col]
        elif f.kind == "alternatives":
            assert f.alternatives is not None
            runs[f.name] = [json.dumps(f.alternatives[v], sort_keys=True) for v in col]
        elif f.kind == "noise":
            runs[f.name] = [f"set{v + 1}" for v in col]
        else:
            runs[f.name] = col
    runs["mean_abs_rank_change"] = y

    indices = pd.DataFrame(columns=["factor", "Si", "Si_q5", "Si_q95", "STi", "STi_q5", "STi_q95"])
    unit_indices = pd.DataFrame(columns=["uCode", "factor", "Si", "STi"])
    if spec.sensitivity:
        N, d = spec.n, len(spec.factors)
        yA, yB = y[:N], y[N : 2 * N]
        yAB = y[2 * N :].reshape(d, N)
        ind = sobol_indices(yA, yB, yAB, n_boot=spec.n_boot, seed=spec.seed)
        ind.insert(0, "factor", [f.name for f in spec.factors])
        indices = ind
        if spec.per_unit:
            rows = []
            for u in range(n_units):
                ru = run_ranks[:, u]
                iu = sobol_indices(ru[:N], ru[N : 2 * N], ru[2 * N :].reshape(d, N), n_boot=0)
                for j, f in enumerate(spec.factors):
                    rows.append(
                        {
                            "uCode": ucodes[u],
                            "factor": f.name,
                            "Si": iu["Si"][j],
                            "STi": iu["STi"][j],
                        }
                    )
            unit_indices = pd.DataFrame(rows)
    return SensitivityResult(
        rank_stats=rank_stats,
        indices=indices.reset_index(drop=True),
        unit_indices=unit_indices,
        runs=runs,
        ranks=pd.DataFrame(run_ranks, columns=list(ucodes)),
        scores=pd.DataFrame(run_scores, columns=list(ucodes)),
        n_failed=int(failed.sum()),
        spec=spec,
    )


def uncertainty_ranks(
    data: pd.DataFrame,
    meta: pd.DataFrame,
    *,
    n: int = 100,
    seed: int | None = 1,
    target: str | None = None,
    pipeline: Pipeline | Sequence[Mapping[str, Any]] | None = None,
    spec: SensitivitySpec | Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Rank intervals of every unit from a Monte Carlo uncertainty analysis.

    Parameters
    ----------
    data, meta
        As for :class:`~citycheckup.composite.Coin` (one time point).
    n
        Number of Monte Carlo runs.
    seed
        Seed of all random draws.
    target
        Aggregate to rank (default: the index).
    pipeline
        Nominal pipeline; default min-max [1, 100] then arithmetic mean (non-positive
        values skipped by a geometric mean).
    spec
        Uncertain factors; default :meth:`SensitivitySpec.default` without the
        sensitivity design (min-max vs z-score, weights ±25 % at every level below the
        index, arithmetic vs geometric mean).

    Returns
    -------
    pandas.DataFrame
        ``uCode, nominal, mean, median, q5, q95`` (ranks, 1 = best).

    Examples
    --------
    >>> meta = pd.DataFrame({"Level": [1, 1, 2], "iCode": ["a", "b", "Index"],
    ...                      "Direction": [1, 1, 1], "Weight": [1, 1, 1],
    ...                      "Parent": ["Index", "Index", None],
    ...                      "Type": ["Indicator", "Indicator", "Aggregate"]})
    >>> data = pd.DataFrame({"uCode": ["X", "Y", "Z"], "a": [1.0, 2, 3], "b": [3.0, 1, 2]})
    >>> uncertainty_ranks(data, meta, n=20).columns.tolist()
    ['uCode', 'nominal', 'mean', 'median', 'q5', 'q95']
    """
    coin = Coin(data=data, meta=meta)
    pipe = (
        Pipeline.from_steps(
            [
                {"normalise": {"method": "minmax", "lower": 1, "upper": 100}},
                {"aggregate": {"method": "arithmetic", "nonpositive": "omit"}},
            ]
        )
        if pipeline is None
        else pipeline
    )
    if spec is None:
        levels = list(range(1, coin.max_level))  # every weight below the index
        spec = SensitivitySpec.default(pipe, n=n, seed=seed, target=target, sensitivity=False)
        factors = tuple(
            Factor(name=f.name, step=f.step, noise=dict.fromkeys(levels, 0.25), n_sets=f.n_sets)
            if f.kind == "noise"
            else f
            for f in spec.factors
        )
        spec = SensitivitySpec(factors=factors, target=target, n=n, seed=seed, sensitivity=False)
    return run_sensitivity(coin, pipe, spec).rank_stats
