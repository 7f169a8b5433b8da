"""Uncertainty and variance-based sensitivity analysis of a whole pipeline.

Any step parameter can be an uncertain *factor*: discrete ``values`` of one
parameter, whole-step ``alternatives``, a continuous ``range``, or ``noise`` on the
weights (uniform ± fraction per level). Factors are sampled on the unit hypercube
(plain Monte Carlo or a scrambled Sobol sequence) and mapped to choices as COINr
does (equal-width bins for discrete factors).

Uncertainty analysis: rank statistics per unit over all runs (nominal, mean, median,
5th and 95th percentile). Sensitivity analysis: Saltelli's design (matrices A, B and
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
import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml

from citycheckup.composite._coin import Coin
from citycheckup.composite._state import State
from citycheckup.composite._util import rank_desc
from citycheckup.composite.aggregate import aggregate_batch, resolve_weights, structure_codes
from citycheckup.composite.pipeline import Pipeline, Step
from citycheckup.errors import CitycheckupError, PipelineError, Problem

__all__ = [
    "Factor",
    "SensitivityResult",
    "SensitivitySpec",
    "run_sensitivity",
    "sobol_indices",
    "uncertainty_ranks",
]

log = logging.getLogger(__name__)

Sampling = Literal["random", "sobol"]


@dataclass(frozen=True)
class Factor:
    """One uncertain input.

    Exactly one of ``values`` (with ``parameter``), ``alternatives``, ``range``
    (with ``parameter``) or ``noise`` is given.

    Parameters
    ----------
    name
        Label in the outputs.
    step
        Step name (its first occurrence in the pipeline) or position.
    parameter
        Parameter of the step for ``values`` / ``range``.
    values
        Discrete choices of the parameter (equal probability).
    alternatives
        Whole replacement parameter sets of the step (equal probability).
    range
        ``(low, high)``: continuous uniform values of the parameter.
    integer
        Round ``range`` values to integers.
    noise
        ``{level: fraction}``: multiply the weights of the codes at that level by
        ``1 + U(-fraction, fraction)``; ``n_sets`` noisy weight sets are drawn once
        (seeded) around the nominal weights and chosen with equal probability (COINr
        ``get_noisy_weights``). A noise factor overrides weights set by other factors.
    n_sets
        Number of noisy weight sets.
    """

    name: str
    step: str | int
    parameter: str | None = None
    values: tuple[Any, ...] | None = None
    alternatives: tuple[Mapping[str, Any], ...] | None = None
    range: tuple[float, float] | None = None
    integer: bool = False
    noise: Mapping[int, float] | None = None
    n_sets: int = 100

    @property
    def kind(self) -> str:
        if self.values is not None:
            return "values"
        if self.alternatives is not None:
            return "alternatives"
        if self.range is not None:
            return "range"
        return "noise"

    def level(self, u: float) -> Any:
        """Map ``u`` in [0, 1) to a choice index (discrete) or a value (continuous)."""
        if self.kind == "range":
            assert self.range is not None
            lo, hi = self.range
            v = lo + u * (hi - lo)
            return round(v) if self.integer else v
        k = len(self.values or self.alternatives or ()) if self.kind != "noise" else self.n_sets
        return min(int(u * k), k - 1)


def _factor_from(d: Mapping[str, Any], i: int, problems: list[Problem]) -> Factor | None:
    where = f"factors[{i}]"
    before = len(problems)
    if not isinstance(d, Mapping):
        problems.append(Problem("each factor must be a mapping", where))
        return None
    known = {
        "name",
        "step",
        "parameter",
        "values",
        "alternatives",
        "range",
        "integer",
        "noise",
        "n_sets",
    }
    for k in d:
        if k not in known:
            problems.append(Problem(f"unknown key {k!r}; known: {', '.join(sorted(known))}", where))
    name = str(d.get("name", f"factor{i + 1}"))
    where = f"factor {name}"
    if "step" not in d:
        problems.append(Problem("'step' is required (e.g. step: normalise)", where))
        return None
    kinds = [k for k in ("values", "alternatives", "range", "noise") if d.get(k) is not None]
    if len(kinds) != 1:
        problems.append(Problem("give exactly one of values, alternatives, range or noise", where))
        return None
    kind = kinds[0]
    if kind in ("values", "range") and not d.get("parameter"):
        problems.append(Problem(f"'{kind}' needs 'parameter' (the step parameter to vary)", where))
    if kind in ("values", "alternatives") and len(d[kind]) < 1:
        problems.append(Problem(f"'{kind}' must list at least one choice", where))
    if kind == "alternatives" and not all(isinstance(a, Mapping) for a in d[kind]):
        problems.append(Problem("each alternative must be a mapping of step parameters", where))
    if kind == "range":
        r = d["range"]
        if not (isinstance(r, Sequence) and len(r) == 2 and float(r[0]) <= float(r[1])):
            problems.append(Problem("range must be [low, high] with low <= high", where))
    if kind == "noise" and not isinstance(d["noise"], Mapping):
        problems.append(Problem("noise must map level -> fraction, e.g. {2: 0.25}", where))
    if len(problems) > before:
        return None
    return Factor(
        name=name,
        step=d["step"],
        parameter=d.get("parameter"),
        values=tuple(d["values"]) if kind == "values" else None,
        alternatives=tuple(dict(a) for a in d["alternatives"]) if kind == "alternatives" else None,
        range=(float(d["range"][0]), float(d["range"][1])) if kind == "range" else None,
        integer=bool(d.get("integer", False)),
        noise={int(k): float(v) for k, v in d["noise"].items()} if kind == "noise" else None,
        n_sets=int(d.get("n_sets", 100)),
    )


@dataclass(frozen=True)
class SensitivitySpec:
    """What to perturb and how to sample.

    Parameters
    ----------
    factors
        The uncertain inputs.
    target
        Aggregate whose ranks are analysed (default: the index).
    n
        Base sample size ``N``; the sensitivity design runs ``N (d + 2)`` rebuilds.
    seed
        Seed of all random draws (sampling, noisy weights, bootstrap).
    sampling
        ``"random"`` (plain Monte Carlo, as COINr) or ``"sobol"`` (scrambled Sobol
        sequence; ``n`` a power of 2 keeps its balance properties).
    sensitivity
        ``False`` runs the uncertainty analysis only (``N`` runs).
    n_boot
        Bootstrap resamples for the intervals of the indices.
    per_unit
        Also estimate indices per unit (output: the unit's rank).
    time
        Panels: the year analysed (default the latest).
    """

    factors: tuple[Factor, ...]
    target: str | None = None
    n: int = 100
    seed: int | None = 1
    sampling: Sampling = "random"
    sensitivity: bool = True
    n_boot: int = 100
    per_unit: bool = False
    time: Any = None

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> SensitivitySpec:
        """Build from a mapping (the YAML layout); all problems are reported at once."""
        problems: list[Problem] = []
        known = {
            "target",
            "n",
            "seed",
            "factors",
            "sampling",
            "sensitivity",
            "n_boot",
            "per_unit",
            "time",
        }
        for k in doc:
            if k not in known:
                problems.append(
                    Problem(f"unknown key {k!r}; known: {', '.join(sorted(known))}", "spec")
                )
        raw = doc.get("factors") or []
        if not raw:
            problems.append(Problem("list at least one factor under 'factors'", "spec"))
        factors = [f for i, d in enumerate(raw) if (f := _factor_from(d, i, problems)) is not None]
        names = [f.name for f in factors]
        for nm in {x for x in names if names.count(x) > 1}:
            problems.append(Problem("factor names must be unique", f"factor {nm}"))
        sampling = doc.get("sampling", "random")
        if sampling not in ("random", "sobol"):
            problems.append(
                Problem(f"sampling must be 'random' or 'sobol', got {sampling!r}", "spec.sampling")
            )
        n = doc.get("n", 100)
        if not isinstance(n, int) or n < 2:
            problems.append(Problem(f"n must be an integer >= 2, got {n!r}", "spec.n"))
        if problems:
            raise PipelineError("invalid sensitivity specification", problems=problems)
        return cls(
            factors=tuple(factors),
            target=doc.get("target"),
            n=int(n),
            seed=doc.get("seed", 1),
            sampling=sampling,
            sensitivity=bool(doc.get("sensitivity", True)),
            n_boot=int(doc.get("n_boot", 100)),
            per_unit=bool(doc.get("per_unit", False)),
            time=doc.get("time"),
        )

    @classmethod
    def default(
        cls,
        pipeline: Pipeline | Sequence[Mapping[str, Any]],
        *,
        n: int = 100,
        seed: int | None = 1,
        target: str | None = None,
        sensitivity: bool = True,
    ) -> SensitivitySpec:
        """COINr's vignette factors, for the steps ``pipeline`` has.

        winmax 1–5 (``treat``); min-max [1, 100] vs z-score (mean 10, sd 2)
        (``normalise``); noisy weights ±25 % at levels 2 and 3 and arithmetic vs
        geometric mean (``aggregate``).

        Examples
        --------
        >>> pipe = [{"normalise": {}}, {"aggregate": {}}]
        >>> [f.name for f in SensitivitySpec.default(pipe).factors]
        ['normalisation', 'weights', 'aggregation']
        """
        pipe = pipeline if isinstance(pipeline, Pipeline) else Pipeline.from_steps(pipeline)
        names = {s.name for s in pipe.steps}
        factors: list[dict[str, Any]] = []
        if "treat" in names:
            factors.append(
                {
                    "name": "winmax",
                    "step": "treat",
                    "parameter": "winmax",
                    "values": [1, 2, 3, 4, 5],
                }
            )
        if "normalise" in names:
            factors.append(
                {
                    "name": "normalisation",
                    "step": "normalise",
                    "alternatives": [
                        {"method": "minmax", "lower": 1, "upper": 100},
                        {"method": "zscore", "mean": 10, "sd": 2},
                    ],
                }
            )
        if "aggregate" in names:
            factors.append({"name": "weights", "step": "aggregate", "noise": {2: 0.25, 3: 0.25}})
            factors.append(
                {
                    "name": "aggregation",
                    "step": "aggregate",
                    "parameter": "method",
                    "values": ["arithmetic", "geometric"],
                }
            )
        return cls.from_dict(
            {"factors": factors, "n": n, "seed": seed, "target": target, "sensitivity": sensitivity}
        )

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str]) -> SensitivitySpec:
        """Read a sensitivity file (keys ``target``, ``n``, ``seed``, ``factors`` …)."""
        p = Path(path)
        try:
            doc = yaml.safe_load(p.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise PipelineError(f"cannot read sensitivity file {p}: {exc}") from exc
        if not isinstance(doc, Mapping):
            raise PipelineError(f"{p}: expected a mapping with 'factors'")
        try:
            return cls.from_dict(doc)
        except PipelineError as exc:
            raise PipelineError(
                f"{p}: invalid sensitivity specification", problems=exc.problems
            ) from exc


@dataclass
class SensitivityResult:
    """Results of :func:`run_sensitivity`.

    Attributes
    ----------
    rank_stats
        ``uCode, nominal, mean, median, q5, q95`` of the target's rank over all runs.
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


def sobol_indices(
    yA: np.ndarray, yB: np.ndarray, yAB: np.ndarray, *, n_boot: int = 100, seed: int | None = 1
) -> pd.DataFrame:
    """First-order and total Sobol indices from a Saltelli design.

    Parameters
    ----------
    yA, yB
        Outputs of matrices A and B, shape ``(N,)``.
    yAB
        Outputs of the AB_i matrices, shape ``(d, N)``.
    n_boot
        Bootstrap resamples (of the N rows) for 5 %/95 % intervals.
    seed
        Bootstrap seed.

    Notes
    -----
    :math:`V = \\operatorname{var}(y_A \\cup y_B)`,
    :math:`S_i = \\overline{y_B (y_{AB_i} - y_A)} / V` (Saltelli 2010),
    :math:`S_{Ti} = \\overline{(y_A - y_{AB_i})^2} / (2V)` (Jansen). When :math:`V = 0`
    all indices are 0. Rows with a failed run are dropped.

    Returns
    -------
    pandas.DataFrame
        Columns ``Si, Si_q5, Si_q95, STi, STi_q5, STi_q95``, one row per factor.
    """
    ok = ~(np.isnan(yA) | np.isnan(yB) | np.isnan(yAB).any(axis=0))
    yA, yB, yAB = yA[ok], yB[ok], yAB[:, ok]
    N = yA.size

    def est(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b, ab = yA[idx], yB[idx], yAB[:, idx]
        V = np.var(np.concatenate([a, b]), ddof=1) if idx.size > 1 else 0.0
        d = ab - a
        if V == 0 or not np.isfinite(V):
            return np.zeros(ab.shape[0]), np.zeros(ab.shape[0])
        return np.mean(b * d, axis=1) / V, np.mean(d**2, axis=1) / (2 * V)

    si, sti = est(np.arange(N))
    rng = np.random.default_rng(seed)
    boots_s = np.empty((n_boot, si.size))
    boots_t = np.empty((n_boot, si.size))
    for k in range(n_boot):
        idx = rng.integers(0, N, N) if N else np.arange(0)
        boots_s[k], boots_t[k] = est(idx)
    q = (
        (lambda a, p: np.quantile(a, p, axis=0))
        if n_boot
        else (lambda a, p: np.full(si.size, np.nan))
    )
    return pd.DataFrame(
        {
            "Si": si,
            "Si_q5": q(boots_s, 0.05),
            "Si_q95": q(boots_s, 0.95),
            "STi": sti,
            "STi_q5": q(boots_t, 0.05),
            "STi_q95": q(boots_t, 0.95),
        }
    )


def _sample(spec: SensitivitySpec) -> tuple[np.ndarray, list[str]]:
    """Unit-hypercube design: rows of A (and B, AB_i when sensitivity), with labels."""
    d = len(spec.factors)
    N = spec.n
    if spec.sampling == "sobol":
        from scipy.stats import qmc

        eng = qmc.Sobol(d=2 * d, scramble=True, seed=spec.seed)
        with warnings.catch_warnings():
            # non-powers of 2 are allowed; the balance warning is informational
            warnings.simplefilter("ignore", UserWarning)
            base = eng.random(N)
    else:
        rng = np.random.default_rng(spec.seed)
        base = rng.random((N, 2 * d))
    A, B = base[:, :d], base[:, d:]
    if not spec.sensitivity:
        return A, ["A"] * N
    blocks = [A, B]
    labels = ["A"] * N + ["B"] * N
    for i in range(d):
        ABi = A.copy()
        ABi[:, i] = B[:, i]
        blocks.append(ABi)
        labels += [f"AB_{spec.factors[i].name}"] * N
    return np.vstack(blocks), labels


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

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        rank_stats = pd.DataFrame(
            {
                "uCode": ucodes,
                "nominal": nominal,
                "mean": np.nanmean(run_ranks, axis=0),
                "median": np.nanmedian(run_ranks, axis=0),
                "q5": np.nanquantile(run_ranks, 0.05, axis=0),
                "q95": np.nanquantile(run_ranks, 0.95, axis=0),
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
