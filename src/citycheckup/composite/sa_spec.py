"""The specification of an uncertainty/sensitivity analysis: uncertain factors and sampling.

Read from YAML or a mapping (every problem reported at once); run with
:func:`citycheckup.composite.sensitivity.run_sensitivity`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from citycheckup.composite.pipeline import Pipeline
from citycheckup.composite.sobol import Sampling
from citycheckup.errors import PipelineError, Problem

__all__ = ["Factor", "SensitivitySpec"]


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
