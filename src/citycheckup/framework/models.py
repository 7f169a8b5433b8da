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
    "KINDS",
    "LEVELS",
    "TIERS",
    "TIER_LABELS",
    "Applicability",
    "Dimension",
    "Framework",
    "Goalposts",
    "GradeBand",
    "Grading",
    "Indicator",
    "International",
    "Kind",
    "Level",
    "Provenance",
    "SubItem",
    "Tier",
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

Kind = Literal["higher", "lower", "band", "context"]
#: How an indicator is read: higher is better, lower is better, an interval is best
#: (``band``), or shown for context and never scored or graded (``context``).
KINDS: tuple[str, ...] = ("higher", "lower", "band", "context")

Tier = Literal["national_standard", "state_council", "ministry", "local_standard", "project"]
#: Provenance tiers of a threshold or goalpost, strongest first.
TIERS: tuple[str, ...] = (
    "national_standard",
    "state_council",
    "ministry",
    "local_standard",
    "project",
)
TIER_LABELS: dict[str, dict[str, str]] = {
    "national_standard": {"zh": "国家标准", "en": "national standard"},
    "state_council": {
        "zh": "中共中央、国务院文件",
        "en": "Central Committee / State Council document",
    },
    "ministry": {"zh": "部委文件", "en": "ministry document"},
    "local_standard": {"zh": "地方标准", "en": "local standard"},
    "project": {"zh": "本项目建议值", "en": "proposal of this project"},
}
_URL_RE = re.compile(r"https?://|www\.", re.IGNORECASE)


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
            raise ValueError(
                f"band {self.grade}: lower ({self.lower}) must be below upper ({self.upper})"
            )
        return self

    def contains(self, x: float) -> bool:
        """Whether ``x`` lies in ``[lower, upper)``."""
        return (self.lower is None or x >= self.lower) and (self.upper is None or x < self.upper)


class Provenance(_Model):
    """Where a threshold or goalpost comes from.

    ``reference`` is what a report cites: a standard's number and clause
    (``GB 55014-2021 §2.1.3``), a document's number and date (``国办发〔2021〕11号,
    2021-04-08``), a local standard with its city, or the rationale of a proposal of
    this project. Web pages are never a reference (they may be named in ``found_in``,
    which reports do not print).
    """

    tier: Tier
    reference: str = Field(min_length=3)
    reference_en: str | None = None
    locality: list[str] = Field(default_factory=list)
    """For ``local_standard``: the 6-digit codes of the units that issued it."""
    found_in: str | None = None
    """Where the value was read (a source key of the framework); not printed in reports."""

    @model_validator(mode="after")
    def _check(self) -> Provenance:
        for text in (self.reference, self.reference_en or ""):
            if _URL_RE.search(text):
                raise ValueError(
                    f"provenance reference {text!r} cites a web address; cite the standard "
                    "(number and clause) or the document (number and date) instead, and put "
                    "the address in the framework's sources with a key in 'found_in'"
                )
        if self.tier == "local_standard" and not self.locality:
            raise ValueError(
                "a local standard needs 'locality': the codes of the units that issued it"
            )
        if self.tier != "local_standard" and self.locality:
            raise ValueError(f"'locality' is only for tier local_standard, not {self.tier}")
        return self


class Applicability(_Model):
    """To which cities and years a threshold applies.

    A threshold with ``role: reference`` is shown beside the value and never grades
    (e.g. a national *average* target, or an honour-title criterion). Otherwise it
    grades a unit-year only when every stated condition holds; when a condition
    cannot be decided (the data does not say whether a city is water-scarce) the
    threshold is shown as reference with that reason, never applied by guess.
    """

    role: Literal["grade", "reference"] = "grade"
    water_scarce: bool | None = None
    """``True``: only for water-scarce cities (the unit attribute ``water_scarce``)."""
    regions: list[str] = Field(default_factory=list)
    """Province codes (2-digit prefix or 6-digit) the threshold is limited to."""
    size_classes: list[str] = Field(default_factory=list)
    """City-size classes (国发〔2014〕51号) the threshold is limited to."""
    scope: str | None = None
    """Spatial scope the value must be measured on (建成区, 中心城区, 市辖区 …), stated for the reader."""
    from_year: int | None = None
    until_year: int | None = None
    target_year: int | None = None
    """A target to be reached by this year: before it, shown as a target, not a pass line."""
    note: str | None = None

    @model_validator(mode="after")
    def _years(self) -> Applicability:
        if (
            self.from_year is not None
            and self.until_year is not None
            and self.from_year > self.until_year
        ):
            raise ValueError(
                f"from_year ({self.from_year}) is after until_year ({self.until_year})"
            )
        for r in self.regions:
            if not re.fullmatch(r"\d{2}(\d{4})?", r):
                raise ValueError(
                    f"region {r!r} must be a 2-digit province prefix or a 6-digit code"
                )
        return self


class Goalposts(_Model):
    """Fixed reference points of the absolute score (0 at ``worst``, 100 at ``best``).

    For ``higher``/``lower`` indicators ``worst`` and ``best`` are numbers (best above
    worst for ``higher``, below for ``lower``); values beyond them are capped. For a
    ``band`` indicator the band itself scores 100 and ``worst`` holds two numbers, the
    low and high values that score 0. ``scale: log`` measures distance on the log
    scale (diminishing returns, as the HDI's income index).
    """

    worst: float | list[float]
    best: float | None = None
    scale: Literal["linear", "log"] = "linear"
    provenance: Provenance

    @model_validator(mode="after")
    def _check(self) -> Goalposts:
        pts = self.worst if isinstance(self.worst, list) else [self.worst]
        if self.best is not None:
            pts = [*pts, self.best]
        if any(not math.isfinite(v) for v in pts):
            raise ValueError(f"goalposts must be finite numbers, got {pts}")
        if self.scale == "log" and any(v <= 0 for v in pts):
            raise ValueError(f"log-scale goalposts must be positive, got {pts}")
        return self


class Grading(_Model):
    """Threshold intervals that grade a value 很好/较好/一般/不足, with their source.

    Write one of ``bands`` (explicit intervals, any shape, e.g. a target *range*),
    ``cutoffs`` (three numbers, best first, read with the indicator's direction: for
    direction +1, ``cutoffs: [90, 80, 70]`` means ≥90 很好, [80, 90) 较好, [70, 80) 一般,
    <70 不足; for direction −1, ``cutoffs: [5, 10, 20]`` means ≤5 很好, (5, 10] 较好 …)
    or ``pass_line`` (one number: meeting it — at or above for +1, at or below for −1 —
    is 较好, missing it 不足; a single bottom line supports no other grade).
    """

    cutoffs: list[float] | None = None
    bands: list[GradeBand] | None = None
    pass_line: float | None = None
    source: str = None  # type: ignore[assignment]  # defaults to ``provenance.reference``
    """Short citation shown with the grade; defaults to ``provenance.reference``."""
    note: str | None = None
    provenance: Provenance | None = None
    applies: Applicability = Field(default_factory=Applicability)
    label_zh: str | None = None
    label_en: str | None = None
    """Short name of this threshold set (e.g. 国家标准底线, 宜昌地方标准)."""

    @model_validator(mode="after")
    def _one_form(self) -> Grading:
        if self.source is None:
            if self.provenance is None:
                raise ValueError("grading thresholds need a 'source' citation (or a 'provenance')")
            self.source = self.provenance.reference
        elif len(self.source) < 3:
            raise ValueError(
                f"grading source {self.source!r} must have at least 3 characters (a citation)"
            )
        if sum(x is not None for x in (self.cutoffs, self.bands, self.pass_line)) != 1:
            raise ValueError(
                "grading needs exactly one of 'cutoffs' (3 numbers), 'bands' or 'pass_line'"
            )
        if self.pass_line is not None and not math.isfinite(self.pass_line):
            raise ValueError(f"pass_line must be a finite number, got {self.pass_line}")
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
                    lo = max(
                        a.lower if a.lower is not None else -math.inf,
                        b.lower if b.lower is not None else -math.inf,
                    )
                    hi = min(
                        a.upper if a.upper is not None else math.inf,
                        b.upper if b.upper is not None else math.inf,
                    )
                    if lo < hi:
                        raise ValueError(
                            f"grading bands {a.grade} and {b.grade} overlap on [{lo}, {hi})"
                        )
        return self

    def resolved_bands(self, direction: int) -> list[GradeBand]:
        """The bands, with ``cutoffs`` turned into intervals for ``direction``."""
        if self.bands is not None:
            return list(self.bands)
        nxt = math.nextafter
        if self.pass_line is not None:
            x = self.pass_line
            if direction >= 0:
                return [GradeBand(grade="good", lower=x), GradeBand(grade="poor", upper=x)]
            return [
                GradeBand(grade="good", upper=nxt(x, math.inf)),
                GradeBand(grade="poor", lower=nxt(x, math.inf)),
            ]
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


class SubItem(_Model):
    """A field-survey sub-item of a lower-level indicator (the kinds of problem inspectors record)."""

    code: Code
    name_zh: str
    name_en: str

    _code = field_validator("code")(classmethod(lambda cls, v: _check_code(v)))


class Variable(_Model):
    """A raw variable that formulas refer to (e.g. resident population in 万人)."""

    code: Code
    name_zh: str
    name_en: str
    unit: str
    min: float | None = None
    max: float | None = None
    description: str | None = None
    aliases: list[str] = Field(default_factory=list)
    """Other column headers that mean this variable (yearbook spellings)."""
    plausible: list[float] | None = None
    """``[low, high]``: values outside are possible but suspicious (checked for a unit off by a power of ten)."""

    _code = field_validator("code")(classmethod(lambda cls, v: _check_code(v)))
    _plaus = field_validator("plausible")(classmethod(lambda cls, v: _check_plausible(v)))


def _check_plausible(v: list[float] | None) -> list[float] | None:
    if v is not None and (len(v) != 2 or not v[0] < v[1]):
        raise ValueError(f"plausible must be [low, high] with low < high, got {v}")
    return v


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
    unit_en: str | None = None
    direction: Literal[1, -1] = None  # type: ignore[assignment]  # set from ``kind`` when omitted
    kind: Kind = None  # type: ignore[assignment]  # set from ``direction`` when omitted
    band: list[float] | None = None
    """``[low, high]``: the best interval of a ``band`` indicator."""
    weight: float = Field(default=1.0, ge=0)
    level: Level
    target: float | None = None
    grading: Grading | None = None
    """The first threshold set (kept for single-threshold frameworks); see :attr:`thresholds`."""
    references: list[Grading] = Field(default_factory=list)
    """Further threshold sets: other tiers, local standards, targets of later years, reference values."""
    goalposts: Goalposts | None = None
    formula: str | None = None
    definition_zh: str | None = None
    definition_en: str | None = None
    method_zh: str | None = None
    method_en: str | None = None
    scope: str | None = None
    """Spatial scope of the value: 建成区, 中心城区, 市辖区, 城区, 全市域 …"""
    scope_en: str | None = None
    owner: str | None = None
    """Data owner (the department that supplies the value)."""
    owner_en: str | None = None
    reference_date: str | None = None
    """When the value is measured (e.g. ``year end``, ``12-31``)."""
    proxy_for: str | None = None
    """Code or MOHURD id of the real indicator this one stands in for (a proxy, named as such)."""
    aspect: str | None = None
    """MOHURD aspect / level sub-group this indicator belongs to (for the two-way reading)."""
    task: str | None = None
    """Conference task (people-city dimension code) this indicator informs."""
    located_in: (
        Literal["building", "dwelling", "compound", "community", "block", "road", "city"] | None
    ) = None
    """Register whose records a lower-level problem is located in (problems roll up over it)."""
    sub_items: list[SubItem] = Field(default_factory=list)
    """Field-survey sub-items (drop-down choices of the survey workbook)."""
    source: str | None = None
    mohurd_id: str | None = None
    international: International = Field(default_factory=International)
    min: float | None = None
    max: float | None = None
    plausible: list[float] | None = None
    denominator: str | None = None
    aliases: list[str] = Field(default_factory=list)

    _code = field_validator("code")(classmethod(lambda cls, v: _check_code(v)))
    _plaus = field_validator("plausible")(classmethod(lambda cls, v: _check_plausible(v)))

    @model_validator(mode="before")
    @classmethod
    def _kind_direction(cls, data: object) -> object:
        if not isinstance(data, dict):
            return data
        d = dict(data)
        kind, direction = d.get("kind"), d.get("direction")
        if kind is None and direction is None:
            raise ValueError(
                "give 'kind' (higher, lower, band or context) or 'direction' (1 or -1)"
            )
        if kind is None:
            # an invalid direction is reported once, by the direction field itself
            d["kind"] = "lower" if direction == -1 else "higher"
        elif direction is None:
            d["direction"] = -1 if kind == "lower" else 1
        elif (kind == "higher" and direction != 1) or (kind == "lower" and direction != -1):
            raise ValueError(f"kind {kind!r} contradicts direction {direction!r}; give one of them")
        return d

    @model_validator(mode="after")
    def _range(self) -> Indicator:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max})")
        if self.kind == "band":
            if self.band is None or len(self.band) != 2 or not self.band[0] < self.band[1]:
                raise ValueError("a band indicator needs 'band: [low, high]' with low < high")
        elif self.band is not None:
            raise ValueError(f"'band' is only for kind band, not {self.kind}")
        if self.kind == "context" and (
            self.goalposts is not None or self.grading is not None or self.references
        ):
            raise ValueError(
                "a context indicator is shown, never scored or graded: remove goalposts and grading"
            )
        gp = self.goalposts
        if gp is not None:
            if self.kind == "band":
                if not (isinstance(gp.worst, list) and len(gp.worst) == 2 and gp.best is None):
                    raise ValueError(
                        "a band indicator's goalposts are 'worst: [low, high]' (the band scores 100)"
                    )
                assert self.band is not None
                if not (gp.worst[0] < self.band[0] and gp.worst[1] > self.band[1]):
                    raise ValueError(
                        f"band goalposts {gp.worst} must lie outside the band {self.band}"
                    )
            else:
                if isinstance(gp.worst, list) or gp.best is None:
                    raise ValueError("goalposts need 'worst' and 'best' numbers")
                if (self.kind == "higher" and not gp.best > gp.worst) or (
                    self.kind == "lower" and not gp.best < gp.worst
                ):
                    raise ValueError(
                        f"goalposts worst={gp.worst}, best={gp.best} contradict kind {self.kind}"
                    )
        return self

    @property
    def thresholds(self) -> list[Grading]:
        """Every threshold set, the primary ``grading`` first."""
        return ([self.grading] if self.grading is not None else []) + list(self.references)

    @property
    def scored(self) -> bool:
        """Whether the indicator enters scores (context indicators never do)."""
        return self.kind != "context"

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
    method: Literal["composite", "mohurd"] = "composite"
    """``composite``: indicators scored and aggregated into an index (people-city-2025);
    ``mohurd``: MOHURD's method — lower levels are problem inventories (never scored), the
    city level is graded indicator by indicator and summarised by aspect (mohurd-2025)."""
    tasks: dict[str, dict[str, str]] = Field(default_factory=dict)
    """Codes and names (``zh``/``en``) of the conference tasks the indicators' ``task`` refers to."""
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
