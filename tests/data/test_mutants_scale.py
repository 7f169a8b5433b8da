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
