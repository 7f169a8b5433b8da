"""The citycheckup error hierarchy.

Every error says what was expected, what was given, where (file, row, column,
indicator, city) and how to fix it. Validation collects every problem before
raising one error that lists them all.

::

    CitycheckupError
    ├── FrameworkError(ValueError)        a framework file or table is invalid
    ├── DataError(ValueError)             a data set is malformed or inconsistent
    │   └── UnitMatchError                a city name/code could not be matched
    ├── FormulaError(ValueError)          a derived-indicator formula is invalid
    ├── MethodNotFoundError(KeyError)     a method name is not in a registry
    ├── PipelineError(ValueError)         a pipeline or sensitivity spec is invalid
    ├── ComputationError(ArithmeticError) a degenerate case met policy "raise"
    ├── SpatialError(ValueError)          spatial inputs are unusable
    ├── HotlineError(ValueError)          hotline requests, keys or workflow
    └── OutputError(OSError)              results could not be written
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "CitycheckupError",
    "ComputationError",
    "DataError",
    "FormulaError",
    "FrameworkError",
    "HotlineError",
    "MethodNotFoundError",
    "OutputError",
    "PipelineError",
    "Problem",
    "SpatialError",
    "UnitMatchError",
]


@dataclass(frozen=True)
class Problem:
    """One problem found during validation.

    Parameters
    ----------
    message
        What is wrong and how to fix it.
    where
        Location: ``"file.yaml:12"``, ``"data.csv row 5, column gdp"``,
        ``"indicator pm25"`` …
    """

    message: str
    where: str = ""

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class CitycheckupError(Exception):
    """Base class of every error raised by citycheckup."""


@dataclass
class _ProblemList:
    problems: list[Problem] = field(default_factory=list)


class _CollectingError(CitycheckupError):
    """An error that carries a list of problems and prints them all."""

    def __init__(self, message: str | Iterable[Problem], *, problems: Sequence[Problem] = ()):
        if isinstance(message, str):
            self.problems: list[Problem] = list(problems)
            head = message
        else:
            self.problems = list(message)
            head = f"{len(self.problems)} problem(s) found"
        self.headline = head
        super().__init__(self._render())

    def _render(self) -> str:
        if not self.problems:
            return self.headline
        lines = [f"{self.headline}:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class FrameworkError(_CollectingError, ValueError):
    """A framework (YAML file or COINr-style table) is invalid."""


class DataError(_CollectingError, ValueError):
    """A data set is malformed or does not fit the framework."""


class UnitMatchError(DataError):
    """A unit (city) name or code could not be matched to an administrative code."""


class FormulaError(_CollectingError, ValueError):
    """A derived-indicator formula cannot be parsed or evaluated."""


class PipelineError(_CollectingError, ValueError):
    """A pipeline or sensitivity specification is invalid."""


class SpatialError(_CollectingError, ValueError):
    """Spatial inputs (OSM extracts, boundaries, population grids) are unusable."""


class HotlineError(_CollectingError, ValueError):
    """A hotline request, key or workflow transition is invalid."""


class ComputationError(CitycheckupError, ArithmeticError):
    """A degenerate computation (zero variance, all missing …) met policy ``"raise"``."""


class OutputError(CitycheckupError, OSError):
    """Results could not be written."""


class MethodNotFoundError(CitycheckupError, KeyError):
    """A method name is not in its registry."""

    def __init__(self, kind: str, name: str, available: Iterable[str]):
        self.kind = kind
        self.name = name
        self.available = sorted(available)
        super().__init__(
            f"unknown {kind} method {name!r}; choose one of: {', '.join(self.available)}"
        )

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return str(self.args[0])
