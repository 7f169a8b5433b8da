"""Units of measure of Chinese yearbooks and data-collection tables, and conversion between them.

A unit has a *dimension* (money, persons, area …) and a *factor*: its size in the
dimension's base unit (万元 = 10⁴ 元, 公顷 = 10⁴ m², % = 10⁻² of a fraction). Two units
convert when their dimensions agree; the factor of the conversion is the ratio of their
factors. Compound units ``A/B`` (元/人, 万人/km², 户/百人, 人/万人) are parsed from their parts.

Why a small table and not ``pint``: pint knows SI and imperial units but none of the
Chinese counting words (万, 亿) as multipliers on 元 or 人, nor 元/户/个/座/栋/套 at all,
so every unit here would have to be defined by hand in pint's definition syntax anyway,
and its parser treats ``%`` and Chinese identifiers specially. What the readers need
is only "same dimension?" and "by which power of ten?", which a table of about a
hundred spellings answers exactly (factors are :class:`fractions.Fraction`, so 亿元 →
万元 is exactly ×10⁴ and % → fraction exactly ÷100), with no extra dependency.

Examples
--------
>>> conversion_factor("亿元", "万元")
Fraction(10000, 1)
>>> convert_values([3760.0], "亿元", "万元").tolist()
[37600000.0]
>>> parse_unit("常住人口").__class__.__name__
'NoneType'
>>> parse_unit("（万人）").symbol
'万人'
>>> parse_unit("万人/平方公里").dimension
'persons/area'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import numpy as np
import pandas as pd

from citycheckup.errors import DataError

__all__ = [
    "Unit",
    "UnitConversionError",
    "conversion_factor",
    "convert_values",
    "format_factor",
    "is_unit_text",
    "known_units",
    "parse_unit",
    "same_unit",
    "unit_for_ratio",
]


class UnitConversionError(DataError):
    """A value cannot be converted between two units (different dimensions, or unknown units)."""


@dataclass(frozen=True)
class Unit:
    """A unit of measure.

    Attributes
    ----------
    symbol
        Canonical spelling (万元, km², %, fraction (0–1), 元/人 …).
    dimension
        What it measures (``money``, ``persons``, ``area``, ``ratio``, ``money/persons`` …).
    factor
        Size in the dimension's base unit (元, 人, 户, 个, m², m, fraction, …).
    common
        Whether Chinese yearbooks commonly use it (preferred when a wrong unit is guessed).
    """

    symbol: str
    dimension: str
    factor: Fraction
    common: bool = True


# (symbol, dimension, factor, common, other spellings). Spellings are matched after NFKC
# normalisation (full-width → half-width, ² → 2), lower case and without spaces or commas.
_TABLE: list[tuple[str, str, Fraction | int, bool, tuple[str, ...]]] = [
    # money, base 元
    ("元", "money", 1, True, ("yuan", "rmb", "cny", "人民币", "元人民币", "人民币元")),
    ("千元", "money", 10**3, True, ("thousandyuan", "1000yuan", "千元人民币", "kyuan")),
    (
        "万元",
        "money",
        10**4,
        True,
        (
            "10kyuan",
            "10000yuan",
            "tenthousandyuan",
            "万元人民币",
            "万人民币",
            "rmb10k",
            "10kcny",
            "10k元",
        ),
    ),
    ("十万元", "money", 10**5, False, ()),
    (
        "百万元",
        "money",
        10**6,
        True,
        ("millionyuan", "mnyuan", "百万人民币", "百万元人民币", "millioncny", "rmbmillion"),
    ),
    ("千万元", "money", 10**7, False, ("千万元人民币",)),
    (
        "亿元",
        "money",
        10**8,
        True,
        ("100millionyuan", "hundredmillionyuan", "亿元人民币", "亿人民币"),
    ),
    ("十亿元", "money", 10**9, False, ("billionyuan", "bnyuan", "billioncny")),
    ("万亿元", "money", 10**12, True, ("trillionyuan", "万亿元人民币")),
    # persons, base 人
    ("人", "persons", 1, True, ("persons", "person", "people", "capita", "人数")),
    ("百人", "persons", 10**2, False, ("100persons", "hundredpersons")),
    ("千人", "persons", 10**3, True, ("thousandpersons", "1000persons", "thousandpeople")),
    (
        "万人",
        "persons",
        10**4,
        True,
        ("10kpersons", "10000persons", "10kpeople", "10000people", "tenthousandpersons", "万口"),
    ),
    ("百万人", "persons", 10**6, False, ("millionpersons", "millionpeople", "mnpersons")),
    ("亿人", "persons", 10**8, True, ("100millionpersons", "hundredmillionpersons")),
    # households and subscriber accounts, base 户
    ("户", "households", 1, True, ("households", "household", "hh")),
    ("千户", "households", 10**3, False, ("thousandhouseholds",)),
    ("万户", "households", 10**4, True, ("10khouseholds", "10000households")),
    # counted things (the counting word does not change the quantity), base 个
    (
        "个",
        "count",
        1,
        True,
        (
            "座",
            "栋",
            "幢",
            "套",
            "处",
            "条",
            "家",
            "所",
            "项",
            "件",
            "起",
            "间",
            "台",
            "辆",
            "张",
            "count",
            "number",
            "units",
            "pcs",
            "no.",
        ),
    ),
    ("千个", "count", 10**3, False, ()),
    ("万个", "count", 10**4, True, ("万套", "万栋", "万间", "万件", "万辆", "万台")),
    # shares, base fraction (0–1)
    (
        "fraction (0–1)",
        "ratio",
        1,
        True,
        (
            "fraction",
            "fraction(0-1)",
            "ratio",
            "share",
            "比例",
            "比值",
            "小数",
            "0-1",
            "(0-1)",
            "proportion",
        ),
    ),
    (
        "%",
        "ratio",
        Fraction(1, 100),
        True,
        ("percent", "pct", "百分比", "百分数", "per cent", "percentage"),
    ),
    ("‰", "ratio", Fraction(1, 1000), True, ("permille", "千分比", "千分数", "perthousand")),
    ("‱", "ratio", Fraction(1, 10000), False, ("permyriad", "万分比")),
    # area, base m²
    (
        "m²",
        "area",
        1,
        True,
        (
            "m2",
            "平方米",
            "sqm",
            "squaremetre",
            "squaremetres",
            "squaremeter",
            "squaremeters",
            "m^2",
        ),
    ),
    ("万m²", "area", 10**4, True, ("万平方米", "10000m2")),
    ("公顷", "area", 10**4, True, ("hm2", "ha", "hectare", "hectares", "hm^2")),
    ("亩", "area", Fraction(10000, 15), True, ("mu",)),
    (
        "km²",
        "area",
        10**6,
        True,
        (
            "km2",
            "平方公里",
            "平方千米",
            "sqkm",
            "squarekilometre",
            "squarekilometres",
            "squarekilometer",
            "squarekilometers",
            "km^2",
        ),
    ),
    ("万km²", "area", 10**10, False, ("万平方公里", "万平方千米")),
    # length, base m
    ("m", "length", 1, True, ("米", "metre", "metres", "meter", "meters")),
    (
        "km",
        "length",
        10**3,
        True,
        ("公里", "千米", "kilometre", "kilometres", "kilometer", "kilometers"),
    ),
    # mass, base kg
    ("kg", "mass", 1, True, ("千克", "公斤", "kilogram", "kilograms")),
    ("t", "mass", 10**3, True, ("吨", "tonne", "tonnes", "tons")),
    ("万t", "mass", 10**7, True, ("万吨",)),
    # duration, base minute
    ("min", "duration", 1, True, ("分钟", "minute", "minutes", "mins")),
    ("h", "duration", 60, True, ("小时", "hour", "hours", "hrs")),
    ("d", "duration", 1440, True, ("天", "日", "day", "days")),
    # concentration and scores (single units, listed so that they are recognised)
    ("µg/m³", "concentration", 1, True, ("μg/m3", "µg/m3", "ug/m3", "微克/立方米")),
    ("score", "score", 1, True, ("分", "points", "得分", "分值")),
]


def _key(text: str) -> str:
    s = unicodedata.normalize("NFKC", str(text)).lower()
    s = re.sub(r"[\s,，]+", "", s)
    s = (
        s.replace("–", "-")
        .replace("—", "-")
        .replace("－", "-")
        .replace("~", "-")
        .replace("～", "-")
    )
    return s


def _unbracket(s: str) -> str:
    s = s.strip()
    while len(s) >= 2 and s[0] in "([【{" and s[-1] in ")]】}":
        s = s[1:-1].strip()
    return s


@lru_cache(maxsize=1)
def _index() -> dict[str, Unit]:
    idx: dict[str, Unit] = {}
    for symbol, dim, factor, common, spellings in _TABLE:
        u = Unit(symbol, dim, Fraction(factor), common)
        for s in (symbol, *spellings):
            k = _key(s)
            if k in idx and idx[k] != u:  # a spelling must name one unit only
                raise RuntimeError(f"unit spelling {s!r} is listed twice")
            idx[k] = u
    return idx


def known_units(dimension: str | None = None) -> list[Unit]:
    """The canonical units of the registry, optionally of one dimension, smallest first."""
    seen: dict[str, Unit] = {}
    for u in _index().values():
        if dimension is None or u.dimension == dimension:
            seen.setdefault(u.symbol, u)
    return sorted(seen.values(), key=lambda u: (u.dimension, u.factor))


@lru_cache(maxsize=4096)
def parse_unit(text: str | None) -> Unit | None:
    """The unit that ``text`` spells, or ``None`` when it is not a known unit.

    Brackets around the text are ignored (``（万元）`` is 万元); ``A/B`` and ``A per B`` are
    compound units of two known units (元/人, 万人/km², 户/百人).
    """
    if text is None:
        return None
    raw = str(text).strip()
    if not raw:
        return None
    k = _unbracket(_key(re.sub(r"\s+per\s+", "/", raw)))
    if not k:
        return None
    idx = _index()
    if k in idx:
        return idx[k]
    if k.count("/") == 1:
        a, b = (idx.get(p) for p in k.split("/"))
        if a is not None and b is not None:
            return Unit(
                f"{a.symbol}/{b.symbol}",
                f"{a.dimension}/{b.dimension}",
                a.factor / b.factor,
                a.common and b.common,
            )
    return None


def is_unit_text(text: object) -> bool:
    """Whether a cell holds a unit of measure (for telling a units row under a header)."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return False
    return parse_unit(str(text)) is not None


def same_unit(a: str | None, b: str | None) -> bool:
    """Whether two spellings mean the same unit (``km2`` and ``km²``; ``％`` and ``%``)."""
    if a is None or b is None:
        return a is None and b is None
    ua, ub = parse_unit(a), parse_unit(b)
    if ua is not None and ub is not None:
        return ua.dimension == ub.dimension and ua.factor == ub.factor
    return _unbracket(_key(a)) == _unbracket(_key(b))


def conversion_factor(from_unit: str, to_unit: str, *, what: str = "values") -> Fraction:
    """Factor that converts values in ``from_unit`` into ``to_unit`` (value × factor).

    Raises
    ------
    UnitConversionError
        When either unit is unknown or their dimensions differ; the message names
        ``what`` (e.g. the column) and both units.
    """
    if same_unit(from_unit, to_unit):
        return Fraction(1)
    fu, tu = parse_unit(from_unit), parse_unit(to_unit)
    if fu is None or tu is None:
        unknown = from_unit if fu is None else to_unit
        hint = (
            f"write it as one of {', '.join(u.symbol for u in known_units(tu.dimension))}"
            if tu is not None
            else f"convert the values to {to_unit!r} yourself"
        )
        raise UnitConversionError(
            f"{what}: unit {unknown!r} is not a known unit, so {from_unit!r} cannot be converted to "
            f"{to_unit!r}; {hint}"
        )
    if fu.dimension != tu.dimension:
        raise UnitConversionError(
            f"{what}: unit {from_unit!r} ({_dimension_text(fu.dimension)}) cannot be converted to "
            f"{to_unit!r} ({_dimension_text(tu.dimension)}); the column measures something else than the "
            f"framework's variable, or its unit is written wrongly: fix the header or the column"
        )
    return fu.factor / tu.factor


_DIM_TEXT = {
    "money": "money",
    "persons": "persons",
    "households": "households",
    "count": "a count",
    "ratio": "a share",
    "area": "an area",
    "length": "a length",
    "mass": "a mass",
    "duration": "a duration",
    "concentration": "a concentration",
    "score": "a score",
}


def _dimension_text(dim: str) -> str:
    if "/" in dim:
        a, b = dim.split("/", 1)
        return f"{_DIM_TEXT.get(a, a)} per {_DIM_TEXT.get(b, b).removeprefix('a ').removeprefix('an ')}"
    return _DIM_TEXT.get(dim, dim)


def convert_values(
    values: Iterable[float] | pd.Series, from_unit: str, to_unit: str, *, what: str = "values"
) -> np.ndarray:
    """``values`` converted from ``from_unit`` into ``to_unit``.

    The factor is applied exactly where it can be: a whole factor multiplies, a factor
    1/n divides (so % → fraction is ``x / 100``, never ``x * 0.01``).
    """
    f = conversion_factor(from_unit, to_unit, what=what)
    x = np.asarray(values, dtype="float64")
    if f.denominator == 1:
        return x * float(f.numerator)
    if f.numerator == 1:
        return x / float(f.denominator)
    return x * float(f.numerator) / float(f.denominator)


def unit_for_ratio(reference: str, ratio: Fraction) -> str | None:
    """The known unit whose size is ``ratio`` × ``reference`` (same dimension), or ``None``.

    For a compound reference (元/人) the numerator's unit is varied first (万元/人), then the
    denominator's (元/万人). Common units are preferred.
    """
    ref = parse_unit(reference)
    if ref is None:
        return None
    target = ref.factor * ratio
    if "/" not in ref.dimension:
        found = [u for u in known_units(ref.dimension) if u.factor == target]
        found.sort(key=lambda u: not u.common)
        return found[0].symbol if found else None
    num_sym, den_sym = ref.symbol.split("/", 1)
    num, den = parse_unit(num_sym), parse_unit(den_sym)
    if num is None or den is None:
        return None
    for u in sorted(known_units(num.dimension), key=lambda u: not u.common):
        if u.factor / den.factor == target:
            return f"{u.symbol}/{den.symbol}"
    for u in sorted(known_units(den.dimension), key=lambda u: not u.common):
        if num.factor / u.factor == target:
            return f"{num.symbol}/{u.symbol}"
    return None


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def format_factor(k: int) -> str:
    """``10^k`` written with superscripts: ``format_factor(4)`` → ``'10⁴'``."""
    return "10" + str(k).translate(_SUPERSCRIPT)
