"""Typed models of an indicator framework: index → dimensions → (sub-dimensions) → indicators."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "GRADES",
    "GRADE_LABELS",
    "LEVELS",
    "Dimension",
    "Framework",
    "GradeBand",
    "Grading",
    "Indicator",
    "International",
    "Level",
    "Variable",
]

CODE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")

Level = Literal["housing", "community", "block", "city"]
LEVELS: tuple[str, ...] = ("housing", "community", "block", "city")

Grade = Literal["very_good", "good", "fair", "poor"]
#: Indicator grades, best first (MOHURD 城区 grading: 很好 / 较好 / 一般 / 不足).
GRADES: tuple[str, ...] = ("very_good", "good", "fair", "poor")
GRADE_LABELS: dict[str, dict[str, str]] = {
    "very_good": {"zh": "很好", "en": "very good"},
    "good": {"zh": "较好", "en": "good"},
    "fair": {"zh": "一般", "en": "fair"},
    "poor": {"zh": "不足", "en": "poor"},
}

Code = Annotated[str, Field(min_length=1, max_length=64)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, populate_by_name=True)


def _check_code(value: str) -> str:
    if not CODE_RE.match(value):
        raise ValueError(
            f"code {value!r} must be an ASCII identifier (letter first, then letters, digits or _)"
        )
    return value


class GradeBand(_Model):
    """One interval ``lower ≤ x < upper`` that earns ``grade`` (open ends are ``None``)."""

    grade: Grade
    lower: float | None = None
    upper: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> GradeBand:
        if self.lower is not None and self.upper is not None and not self.lower < self.upper:
            raise ValueError(f"band {self.grade}: lower ({self.lower}) must be below upper ({self.upper})")
        return self

    def contains(self, x: float) -> bool:
        """Whether ``x`` lies in ``[lower, upper)``."""
        return (self.lower is None or x >= self.lower) and (self.upper is None or x < self.upper)


class Grading(_Model):
    """Threshold intervals that grade a value 很好/较好/一般/不足, with their source.

    Write either ``bands`` (explicit intervals, any shape, e.g. a target *range*) or
    ``cutoffs``: three numbers, best first, read with the indicator's direction. For
    direction +1, ``cutoffs: [90, 80, 70]`` means ≥90 很好, [80, 90) 较好, [70, 80) 一般,
    <70 不足; for direction −1, ``cutoffs: [5, 10, 20]`` means ≤5 很好, (5, 10] 较好 …
    """

    cutoffs: list[float] | None = None
    bands: list[GradeBand] | None = None
    source: str = Field(min_length=3)
    note: str | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Grading:
        if (self.cutoffs is None) == (self.bands is None):
            raise ValueError("grading needs exactly one of 'cutoffs' (3 numbers) or 'bands'")
        if self.cutoffs is not None:
            c = self.cutoffs
            if len(c) != 3 or any(not math.isfinite(v) for v in c):
                raise ValueError(f"grading cutoffs must be 3 finite numbers, best first; got {c}")
            if not (c[0] > c[1] > c[2] or c[0] < c[1] < c[2]):
                raise ValueError(f"grading cutoffs must be strictly monotone, best first; got {c}")
        if self.bands is not None:
            grades = {b.grade for b in self.bands}
            if not grades:
                raise ValueError("grading bands must not be empty")
            for i, a in enumerate(self.bands):
                for b in self.bands[i + 1 :]:
                    lo = max(a.lower if a.lower is not None else -math.inf,
                             b.lower if b.lower is not None else -math.inf)
                    hi = min(a.upper if a.upper is not None else math.inf,
                             b.upper if b.upper is not None else math.inf)
                    if lo < hi:
                        raise ValueError(f"grading bands {a.grade} and {b.grade} overlap on [{lo}, {hi})")
        return self

    def resolved_bands(self, direction: int) -> list[GradeBand]:
        """The bands, with ``cutoffs`` turned into intervals for ``direction``."""
        if self.bands is not None:
            return list(self.bands)
        assert self.cutoffs is not None  # guaranteed by the validator
        c0, c1, c2 = self.cutoffs
        if direction >= 0:
            return [
                GradeBand(grade="very_good", lower=c0),
                GradeBand(grade="good", lower=c1, upper=c0),
                GradeBand(grade="fair", lower=c2, upper=c1),
                GradeBand(grade="poor", upper=c2),
            ]
        # lower is better: x ≤ c0 very good. Intervals are [lower, upper); nudge to make
        # the boundary value belong to the better grade.
        nxt = math.nextafter
        return [
            GradeBand(grade="very_good", upper=nxt(c0, math.inf)),
            GradeBand(grade="good", lower=nxt(c0, math.inf), upper=nxt(c1, math.inf)),
            GradeBand(grade="fair", lower=nxt(c1, math.inf), upper=nxt(c2, math.inf)),
            GradeBand(grade="poor", lower=nxt(c2, math.inf)),
        ]


class International(_Model):
    """Mappings to international indicator systems (codes or clause references)."""

    iso37120: list[str] = Field(default_factory=list)
    iso37122: list[str] = Field(default_factory=list)
    iso37123: list[str] = Field(default_factory=list)
    umf: list[str] = Field(default_factory=list)
    sdg: list[str] = Field(default_factory=list)


class Variable(_Model):
    """A raw variable that formulas refer to (e.g. resident population in 万人)."""

    code: Code
    name_zh: str
    name_en: str
    unit: str
    min: float | None = None
    max: float | None = None
    description: str | None = None

    _code = field_validator("code")(classmethod(lambda cls, v: _check_code(v)))


class Indicator(_Model):
    """One indicator of a framework.

    ``direction`` is +1 when higher is better and −1 when lower is better. Indicators
    at level ``housing``, ``community`` or ``block`` are located problem counts or
    coverage shares; those at ``city`` are graded against ``grading``.
    """

    code: Code
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    unit: str
    direction: Literal[1, -1]
    weight: float = Field(default=1.0, ge=0)
    level: Level
    target: float | None = None
    grading: Grading | None = None
    formula: str | None = None
    definition_zh: str | None = None
    definition_en: str | None = None
    source: str | None = None
    mohurd_id: str | None = None
    international: International = Field(default_factory=International)
    min: float | None = None
    max: float | None = None
    denominator: str | None = None

    _code = field_validator("code")(classmethod(lambda cls, v: _check_code(v)))

    @model_validator(mode="after")
    def _range(self) -> Indicator:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max})")
        return self

    @property
    def is_derived(self) -> bool:
        """Whether the indicator is computed from raw variables by its formula."""
        return bool(self.formula)


class Dimension(_Model):
    """A dimension or sub-dimension: a weighted group of indicators or sub-dimensions."""

    code: Code
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    weight: float = Field(default=1.0, ge=0)
    description: str | None = None
    dimensions: list[Dimension] = Field(default_factory=list)
    indicators: list[Indicator] = Field(default_factory=list)

    _code = field_validator("code")(classmethod(lambda cls, v: _check_code(v)))

    @model_validator(mode="after")
    def _not_both(self) -> Dimension:
        if self.dimensions and self.indicators:
            raise ValueError(
                f"dimension {self.code} has both sub-dimensions and indicators; "
                "put the indicators into a sub-dimension"
            )
        if not self.dimensions and not self.indicators:
            raise ValueError(f"dimension {self.code} has neither sub-dimensions nor indicators")
        return self

    def iter_indicators(self) -> Iterator[Indicator]:
        """All indicators below this dimension, depth first."""
        yield from self.indicators
        for d in self.dimensions:
            yield from d.iter_indicators()

    def iter_dimensions(self) -> Iterator[Dimension]:
        """This dimension and all sub-dimensions, depth first."""
        yield self
        for d in self.dimensions:
            yield from d.iter_dimensions()


class Framework(_Model):
    """An indicator framework: an index made of dimensions made of indicators."""

    code: Code
    name_zh: str
    name_en: str
    version: str = "1"
    index_code: Code = "index"
    description: str | None = None
    sources: dict[str, str] = Field(default_factory=dict)
    variables: list[Variable] = Field(default_factory=list)
    dimensions: list[Dimension] = Field(min_length=1)

    _code = field_validator("code", "index_code")(classmethod(lambda cls, v: _check_code(v)))

    # -- navigation ---------------------------------------------------------------
    @property
    def indicators(self) -> list[Indicator]:
        """Every indicator, in framework order."""
        return [i for d in self.dimensions for i in d.iter_indicators()]

    def indicator(self, code: str) -> Indicator:
        """The indicator with ``code``."""
        for ind in self.indicators:
            if ind.code == code:
                return ind
        raise KeyError(f"framework {self.code} has no indicator {code!r}")

    @property
    def indicator_codes(self) -> list[str]:
        return [i.code for i in self.indicators]

    @property
    def dimension_codes(self) -> list[str]:
        """Codes of the top-level dimensions."""
        return [d.code for d in self.dimensions]

    def all_dimensions(self) -> list[Dimension]:
        """Every dimension and sub-dimension, depth first."""
        return [s for d in self.dimensions for s in d.iter_dimensions()]

    def parent_of(self) -> dict[str, str]:
        """Map each indicator and dimension code to its parent's code (top dimensions → index)."""
        out: dict[str, str] = {}

        def walk(dim: Dimension, parent: str) -> None:
            out[dim.code] = parent
            for ind in dim.indicators:
                out[ind.code] = dim.code
            for sub in dim.dimensions:
                walk(sub, dim.code)

        for d in self.dimensions:
            walk(d, self.index_code)
        return out

    def top_dimension_of(self) -> dict[str, str]:
        """Map each indicator code to the code of its top-level dimension."""
        return {i.code: d.code for d in self.dimensions for i in d.iter_indicators()}

    def variable(self, code: str) -> Variable | None:
        for v in self.variables:
            if v.code == code:
                return v
        return None

    def summary(self) -> dict[str, int]:
        """Number of indicators per top-level dimension."""
        return {d.code: sum(1 for _ in d.iter_indicators()) for d in self.dimensions}
