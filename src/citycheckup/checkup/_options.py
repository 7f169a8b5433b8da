"""Settings of a check-up run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from citycheckup.errors import DataError, Problem

__all__ = ["CheckupOptions"]


@dataclass
class CheckupOptions:
    """Settings of a check-up run.

    Parameters
    ----------
    years
        Years to score (default: every year in the data).
    scoring
        ``"absolute"`` (default): every indicator is scored 0–100 against fixed, cited
        goalposts (:mod:`citycheckup.checkup._scores`), so a city's score depends on its
        own values only — one city alone gets a complete result, and it is the same as
        among many. ``"relative"``: COINr's default build across the units in the data
        (outlier treatment, min-max 0–100 across all units and years): scores say how a
        city stands among *these* units and move when the others change.
    treatment
        Relative scoring only. Outlier treatment before normalisation, COINr's
        ``"winsorise_log"`` (an indicator with |skew| ≥ 2 and kurtosis ≥ 3.5 is
        winsorised up to ``winmax`` points, then log-transformed if it still fails) or
        ``"none"``.
    treatment_scope
        Relative scoring only. ``"panel"`` (default): one treatment decision per
        indicator for the whole panel, applied to every year the same way, so that
        trends are not artefacts of a per-year switch; ``"year"``: COINr's per-year
        decisions (scales then differ between years).
    winmax
        Maximum number of winsorised points per indicator.
    normalisation
        Relative scoring only: ``"minmax"`` (0–100; 1–100 with geometric aggregation,
        which needs positive values) or ``"zscore"`` (arithmetic aggregation only).
    aggregation
        ``"arithmetic"`` or ``"geometric"``.
    weights
        ``"framework"`` (the framework's weights) or ``"equal"``.
    global_normalisation
        Relative scoring only: normalise across all years at once (scores of different
        years comparable), otherwise each year separately.
    min_availability
        Share of a dimension's scored indicators a unit-year needs for a score.
    min_unit_availability
        Share of all scored indicators a unit-year needs to be scored at all (COINr's
        unit screening); units below it are listed in ``CheckupResult.flags``.
    base_year
        Earlier year for the change table (default: the first scored year).
    size_variable
        Variable with urban resident population (城区常住人口) in 万人 for the city-size
        class of 国发〔2014〕51号. When absent, the embedded census urban population
        (2010 or 2020, the nearer census) is used and the result names it
        (``CheckupResult.size_basis``); otherwise the class is unknown.
    localities
        Codes of the units whose local standards grade them (a local standard is used
        only for the city that issued it and only when selected here).
    uncertainty_n
        Monte Carlo replicates for rank intervals (0 to skip). Uncertain factors: the
        weights (uniform ±25 % at every level), the aggregation (arithmetic or geometric
        mean) and, with relative scoring and treatment, ``winmax`` (3–7).
    uncertainty_years
        Rank intervals for the last scored year only (default) or for every year.
    seed
        Seed of the Monte Carlo draws.
    invalid
        Impossible values (negative populations, shares above 100 %): ``"raise"`` stops
        the run listing them all; ``"missing"`` blanks exactly those cells and reports
        each as a warning.
    """

    years: list[int] | None = None
    scoring: Literal["absolute", "relative"] = "absolute"
    treatment: Literal["winsorise_log", "none"] = "winsorise_log"
    treatment_scope: Literal["panel", "year"] = "panel"
    winmax: int = 5
    normalisation: Literal["minmax", "zscore"] = "minmax"
    aggregation: Literal["arithmetic", "geometric"] = "arithmetic"
    weights: Literal["framework", "equal"] = "framework"
    global_normalisation: bool = True
    min_availability: float = 0.5
    min_unit_availability: float = 0.5
    base_year: int | None = None
    size_variable: str = "pop_urban"
    localities: list[str] = field(default_factory=list)
    uncertainty_n: int = 0
    uncertainty_years: Literal["last", "all"] = "last"
    seed: int = 1
    invalid: Literal["raise", "missing"] = "raise"

    def validate(self) -> None:
        """Raise one :class:`DataError` listing every invalid setting."""
        problems = []

        def choice(name: str, allowed: tuple[str, ...]) -> None:
            v = getattr(self, name)
            if v not in allowed:
                problems.append(
                    Problem(f"{name} must be {' or '.join(allowed)}, got {v!r}", "options")
                )

        choice("scoring", ("absolute", "relative"))
        choice("normalisation", ("minmax", "zscore"))
        choice("aggregation", ("arithmetic", "geometric"))
        choice("weights", ("framework", "equal"))
        choice("treatment", ("winsorise_log", "none"))
        choice("treatment_scope", ("panel", "year"))
        if (
            self.aggregation == "geometric"
            and self.normalisation == "zscore"
            and self.scoring == "relative"
        ):
            problems.append(
                Problem(
                    "geometric aggregation needs positive values: use --normalisation minmax "
                    "(scaled to 1–100) with it",
                    "options",
                )
            )
        for name in ("min_availability", "min_unit_availability"):
            v = getattr(self, name)
            if not 0 <= v <= 1:
                problems.append(Problem(f"{name} must lie in [0, 1], got {v}", "options"))
        if self.uncertainty_n < 0 or (0 < self.uncertainty_n < 10):
            problems.append(
                Problem(
                    f"uncertainty_n must be 0 (off) or at least 10, got {self.uncertainty_n}",
                    "options",
                )
            )
        if self.winmax < 0:
            problems.append(Problem(f"winmax must be 0 or more, got {self.winmax}", "options"))
        if problems:
            raise DataError("invalid check-up options", problems=problems)

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}
