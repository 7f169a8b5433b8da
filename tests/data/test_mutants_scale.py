"""Survivors of mutation testing in :mod:`citycheckup.data.scale` (issue 18).

``_common_unit(unit, k)`` is the unit 10**k times the size of ``unit`` when that unit is a
common one (亿元, 元, 人 …), else ``None``. Expected values from the definitions of the
Chinese units: 1 亿元 = 10⁴ 万元, 1 元 = 10⁻⁴ 万元, 1 人 = 10⁻⁴ 万人; 千万元 (10³ 万元) and
‱ (10⁻² %) exist but are not common units.
"""

from __future__ import annotations

import pytest

from citycheckup.data.scale import _common_unit, _exponents
from citycheckup.indicators.formula import parse_formula


@pytest.mark.parametrize(
    ("unit", "k", "expected"),
    [
        ("万元", 4, "亿元"),
        ("万元", -4, "元"),
        ("万人", -4, "人"),
        ("万元", 3, None),  # 千万元: known, not common
        ("%", -2, None),  # ‱: known, not common
        ("km", 3, None),  # no unit 1000 km
    ],
)
def test_common_unit(unit: str, k: int, expected: str | None) -> None:
    assert _common_unit(unit, k) == expected


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("sqrt(gdp)", {"gdp": 0.5}),  # √x scales as x^(1/2)
        ("sqrt(gdp / pop_resident)", {"gdp": 0.5, "pop_resident": -0.5}),
        ("gdp / pop_resident", {"gdp": 1.0, "pop_resident": -1.0}),
        ("gdp ** 2", {"gdp": 2.0}),
        ("abs(gdp)", {"gdp": 1.0}),  # |x| scales as x
        ("cagr(gdp, 5)", {}),  # a growth rate does not depend on the unit
        ("growth(gdp)", {}),
        ("max(gdp, gdp)", {"gdp": 1.0}),
        ("min(gdp, pop_resident)", None),  # not a power law
        ("lag(gdp)", {"gdp": 1.0}),
    ],
)
def test_exponents(formula: str, expected: dict[str, float] | None) -> None:
    """How a formula scales with each input, by the power laws of √, / and **."""
    assert _exponents(parse_formula(formula).tree) == expected


# ---------------------------------------------------------------------------------------------
# guess_scale, _fmt, describe_scale, input_suspects (third round of issue 18). The framework is
# the synthetic tests/data/files/units_framework.yaml: gdp in 万元, plausible [1e5, 1e9];
# pop_resident in 万人, plausible [1, 4000]; land_area in km², plausible [50, 500000].
# ---------------------------------------------------------------------------------------------

import math  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from citycheckup.data.scale import (  # noqa: E402
    ScaleGuess,
    _fmt,
    describe_scale,
    guess_scale,
    input_suspects,
)
from citycheckup.framework import load_framework  # noqa: E402


@pytest.fixture(scope="module")
def ufw():  # type: ignore[no-untyped-def]
    return load_framework(Path(__file__).parent / "files" / "units_framework.yaml")


def test_guess_scale_without_range_or_values_is_none() -> None:
    assert guess_scale(np.array([1.0, 2.0]), None, "万元") is None
    # no finite value: nothing to judge
    assert guess_scale(np.array([np.nan, np.inf, -np.inf]), (1e5, 1e9), "万元") is None


def test_guess_scale_gdp_in_yiyuan() -> None:
    """GDP in 亿元 against the 万元 range [1e5, 1e9]: ×10³, ×10⁴ and ×10⁵ all bring the three
    values inside (share 1); 10⁴ comes first in the order and turns 万元 into 亿元 (common),
    so k = 4; median of (3760, 5000, 8000) = 5000; outside 1 − 0 = 1, inside 1."""
    g = guess_scale(pd.Series([3760.0, 5000.0, 8000.0, np.nan]), [1e5, 1e9], "万元")
    assert g == ScaleGuess(k=4, unit="亿元", median=5000.0, outside=1.0, inside=1.0)


@pytest.mark.parametrize(
    ("values", "expected_k"),
    [
        # 2 of 4 inside (share 0.5 = at the limit): looks right, no guess
        ([2e5, 3e5, 10.0, 20.0], None),
        # 1 of 4 inside (0.25, below the limit): ×10⁴ brings 10, 20, 30 inside (3/4 > 0.5)
        ([2e5, 10.0, 20.0, 30.0], 4),
    ],
    ids=["half-inside-at", "quarter-inside"],
)
def test_guess_scale_needs_more_than_half_outside(
    values: list[float], expected_k: int | None
) -> None:
    g = guess_scale(np.array(values), (1e5, 1e9), "万元")
    assert (g.k if g is not None else None) == expected_k
    if g is not None:
        # inside0 = 1/4, so outside = 3/4; after ×10⁴: 2e9 out, 1e5, 2e5, 3e5 in -> 3/4
        assert (g.outside, g.inside, g.unit) == (0.75, 0.75, "亿元")


def test_guess_scale_bounds_are_inside() -> None:
    """Values exactly at the bounds count as inside: (1e5, 1e9, 5) has 2 of 3 inside."""
    assert guess_scale(np.array([1e5, 1e9, 5.0]), (1e5, 1e9), "万元") is None


def test_guess_scale_no_factor_brings_half_inside() -> None:
    """Values 10 and 1e12 around the range [1e5, 1e9]: any 10^k brings at most one of two
    inside (share 0.5, not > 0.5), so no guess."""
    assert guess_scale(np.array([10.0, 1e12]), (1e5, 1e9), "万元") is None


def test_guess_scale_tolerance_and_uncommon_unit() -> None:
    """Ten values: nine at 200 and one at 2, range [1e5, 1e9].  Share inside per factor:
    ×10³: 2e5 in (9), 2e3 out -> 0.9; ×10⁴: 2e6 in (9), 2e4 out -> 0.9; ×10⁵: 2e7 and 2e5
    all in -> 1.0.  best = 1.0; eligible (>= best − 0.1 = 0.9): 10⁴, 10³, 10⁵ (candidate
    order 4, 3, 5); 10⁴ turns 万元 into 亿元 (common) -> k = 4, with its own share 0.9."""
    g = guess_scale(np.array([200.0] * 9 + [2.0]), (1e5, 1e9), "万元")
    assert g is not None and (g.k, g.unit, g.inside) == (4, "亿元", 0.9)


def test_guess_scale_outside_tolerance_picks_the_best() -> None:
    """Ten values: eight at 200 and two at 2.  ×10³: 0.8; ×10⁴: 2e6 (8) in, 2e4 out -> 0.8;
    ×10⁵: 2e7, 2e5 all in -> 1.0; ×10⁶: 2e8, 2e6 all in -> 1.0; ×10⁷: 2e9 out, 2e7 in -> 0.2.
    best 1.0, eligible (>= 0.9): 10⁵ and 10⁶ only (0.8 is more than 0.1 below).  Neither
    十亿元 (10⁵ × 万元 = 10⁹ 元) nor 10⁶ × 万元 (no unit) is common, so the first in the order
    (5 before 6) wins, named 十亿元."""
    g = guess_scale(np.array([200.0] * 8 + [2.0] * 2), (1e5, 1e9), "万元")
    assert g == ScaleGuess(k=5, unit="十亿元", median=200.0, outside=1.0, inside=1.0)


def test_guess_scale_share_uses_ratio_order() -> None:
    """A share in % (plausible [10, 70]) given as fractions 0.3, 0.4, 0.5: ×10² brings all in,
    and so does nothing else (×10 -> 3-5 out, ×10³ -> 300-500 out); % × 10⁻² is the fraction."""
    g = guess_scale(np.array([0.3, 0.4, 0.5]), (10.0, 70.0), "%")
    assert g is not None and (g.k, g.median) == (2, 0.4)
    assert g.unit == "fraction (0–1)"


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (math.inf, "inf"),
        (math.nan, "nan"),
        (1000.0, "1,000"),  # at the switch to thousands separators
        (999.0, "999"),  # just below: 3 significant digits
        (3760.4, "3,760"),
        (0.01234, "0.0123"),
        (-1000.0, "-1,000"),  # |x| decides
        (-999.0, "-999"),
    ],
)
def test_fmt(x: float, text: str) -> None:
    assert _fmt(x) == text


_G4 = ScaleGuess(k=4, unit="亿元", median=3760.0, outside=1.0, inside=1.0)


def test_describe_scale_stated_unit_converted_and_still_off() -> None:
    """The header said 元, the values were converted to 万元 and are still ×10⁴ too small:
    10⁴ 元 = 万元, so the column is really in 万元."""
    assert describe_scale("gdp", "地区生产总值", "万元", _G4, stated="元") == (
        "gdp looks like it is in 万元, not 元 as its header says (values ×10⁴ too small: "
        "median 3,760 万元 after converting from 元); write the header as 地区生产总值(万元) or convert"
    )


def test_describe_scale_stated_unit_without_a_unit_of_that_size() -> None:
    """10⁻⁴ km² has no unit in the table, so the message asks to check the unit."""
    g = ScaleGuess(k=-4, unit=None, median=0.5, outside=1.0, inside=1.0)
    assert describe_scale("land_area", "行政区域土地面积", "万元", g, stated="km²") == (
        "land_area: its header says km², but the values look 10⁴ times too large (values ×10⁴ "
        "too large: median 0.5 万元 after converting from km²); check the unit"
    )


def test_describe_scale_stated_same_unit() -> None:
    assert describe_scale("gdp", "地区生产总值", "万元", _G4, stated="万元") == (
        "gdp looks like it is in 亿元, not 万元 (values ×10⁴ too small: median 3,760; the file "
        "states 万元); write the header as 地区生产总值(亿元) or convert"
    )


def test_describe_scale_unknown_unit() -> None:
    g = ScaleGuess(k=-3, unit=None, median=2.5e6, outside=1.0, inside=1.0)
    assert describe_scale("pop_resident", "常住人口", "万人", g) == (
        "pop_resident looks 10³ times too large for 万人 (values ×10³ too large: median "
        "2,500,000); check its unit and convert it to 万人"
    )


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("-gdp", {"gdp": 1.0}),  # a sign does not change the scaling
        ("gdp ** pop_resident", None),  # exponent not a number
        ("gdp + pop_resident", None),  # terms scale differently
        ("gdp + gdp", {"gdp": 1.0}),
        ("gdp + 1", None),
        ("min(gdp, pop_resident) * gdp", None),  # a factor that is not a power law
        ("gdp * pop_resident / pop_resident", {"gdp": 1.0}),  # exponent 0 dropped
        ("gdp ** 0.5", {"gdp": 0.5}),
        ("2 * gdp", {"gdp": 1.0}),
        ("max(gdp, 2 * gdp)", {"gdp": 1.0}),
        ("lag(gdp, 2)", {"gdp": 1.0}),
        ("diff(gdp)", {"gdp": 1.0}),
        ("min(gdp, gdp)", {"gdp": 1.0}),
        ("pop_resident / land_area", {"pop_resident": 1.0, "land_area": -1.0}),
    ],
)
def test_exponents_more(formula: str, expected: dict[str, float] | None) -> None:
    assert _exponents(parse_formula(formula).tree) == expected


def test_input_suspects_both_common(ufw) -> None:  # type: ignore[no-untyped-def]
    """gdp / pop_resident ×10⁴ too small: gdp ×10⁴ (亿元) or pop_resident ×10⁻⁴ (人)."""
    assert input_suspects("gdp / pop_resident", 4, ufw) == [
        "gdp is in 亿元, not 万元 (header 地区生产总值(亿元))",
        "pop_resident is in 人, not 万人 (header 常住人口(人))",
    ]


def test_input_suspects_common_units_first(ufw) -> None:  # type: ignore[no-untyped-def]
    """land_area / gdp ×10⁴ too large (k = −4): land_area j = −4 has no unit (10⁻⁴ km²),
    gdp j = +4 is 亿元 (common) and is listed first although it comes second in the formula."""
    assert input_suspects("land_area / gdp", -4, ufw) == [
        "gdp is in 亿元, not 万元 (header 地区生产总值(亿元))",
        "land_area is ×10⁴ too large for km²",
    ]


def test_input_suspects_uncommon_unit_and_small(ufw) -> None:  # type: ignore[no-untyped-def]
    """gdp ×10³: 千万元 exists but is not common; still named."""
    assert input_suspects("gdp * 1", 3, ufw) == [
        "gdp is in 千万元, not 万元 (header 地区生产总值(千万元))"
    ]
    assert input_suspects("pop_resident / land_area", 3, ufw) == [
        "pop_resident is ×10³ too small for 万人",
        "land_area is ×10³ too large for km²",
    ]


@pytest.mark.parametrize(
    ("formula", "k"),
    [
        ("growth(gdp)", 4),  # no exponents: a rate
        ("gdp ** 2", 1),  # j = 1/2 is not a whole power
        ("gdp", 0),  # j = 0
        ("foo / gdp", -8),  # foo: not a variable; gdp: j = 8 -> 万亿元, kept below
    ],
)
def test_input_suspects_skipped(ufw, formula: str, k: int) -> None:  # type: ignore[no-untyped-def]
    expected = (
        ["gdp is in 万亿元, not 万元 (header 地区生产总值(万亿元))"]
        if formula == "foo / gdp"
        else []
    )
    assert input_suspects(formula, k, ufw) == expected


@pytest.mark.parametrize(
    ("gdp", "kept"),
    [
        ([3760.0, 5000.0, 1e8], True),  # ×10⁴: 2 of 3 inside -> 0.67 > 0.5, kept
        ([3760.0, 1e8], False),  # ×10⁴: 1 of 2 inside -> 0.5, at the limit: left out
        ([3760.0, 1e8, np.nan], False),  # the missing value is not counted
        ([np.nan], True),  # no finite value: no evidence against, kept
    ],
)
def test_input_suspects_checked_against_the_raw_values(ufw, gdp: list[float], kept: bool) -> None:  # type: ignore[no-untyped-def]
    variables = pd.DataFrame({"gdp": gdp})
    out = input_suspects("gdp / pop_resident", 4, ufw, variables)
    # pop_resident is not in the raw data, so it is never checked against values
    assert ("gdp is in 亿元, not 万元 (header 地区生产总值(亿元))" in out) is kept
    assert out[-1] == "pop_resident is in 人, not 万人 (header 常住人口(人))"


def test_guess_scale_share_without_a_named_unit_uses_the_ratio_order() -> None:
    """A % column with plausible [10, 1000] given as 0.05, 0.05, 0.06: ×10³ (50-60) and ×10⁴
    (500-600) both bring all inside, ×10² (5-6) and ×10⁵ (5000-6000) do not.  10 % × 10³ and
    × 10⁴ (i.e. 10 and 100 as fractions) are no units, so the first in the order for shares
    (2, −2, 3, …, 4) wins: k = 3 (the general order 4, −4, 8, −8, 3 would give 4)."""
    g = guess_scale(np.array([0.05, 0.05, 0.06]), (10.0, 1000.0), "%")
    assert g == ScaleGuess(k=3, unit=None, median=0.05, outside=1.0, inside=1.0)


@pytest.mark.parametrize(("k", "word"), [(1, "small"), (-1, "large")])
def test_input_suspects_off_by_ten(ufw, k: int, word: str) -> None:  # type: ignore[no-untyped-def]
    """10 km² and 0.1 km² are no units of the registry: the suspect says ×10¹ and the direction
    (k = 1 is the smallest positive power: "too small")."""
    assert input_suspects("land_area * 1", k, ufw) == [f"land_area is ×10¹ too {word} for km²"]
