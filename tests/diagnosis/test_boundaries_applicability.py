"""Which threshold sets grade which unit-year (``diagnosis.applicability``), at every boundary.

The rules (module docstring of ``citycheckup.diagnosis.applicability``), checked in this order:

1. ``role: reference`` never grades -> ``reference_only``;
2. a local standard grades only the unit that issued it (``local_other_city``) and only when
   the user selected it (``local_not_selected``);
3. ``target_year`` T: a year before T is shown as a target (``target_year``, T); T itself and
   later years are graded;
4. ``from_year`` F: years before F -> ``before_from`` (F); F itself applies;
5. ``until_year`` U: years after U -> ``after_until`` (U); U itself applies;
6. ``water_scarce``: unknown -> ``water_scarce_unknown``; different -> ``not_water_scarce``;
7. ``regions`` (2-digit province prefix or 6-digit unit code): the province is the context's
   ``province_code``, else the first two digits of a numeric unit code; none -> ``other_region``;
8. ``size_classes``: unknown -> ``size_class_unknown``; another class -> ``other_size_class``.

"Just below / at / just above" a year boundary is the year before / the year / the year after.
Every threshold set here is synthetic (made-up cut-offs, citation text "test"); the unit codes
are real 6-digit codes only in form (420500 = 宜昌市, 110000 = 北京市).
"""

from __future__ import annotations

from typing import Any

import pytest

from citycheckup.diagnosis.applicability import REASONS, UnitContext, applicability
from citycheckup.framework.models import Grading


def _g(applies: dict[str, Any] | None = None, **extra: Any) -> Grading:
    return Grading.model_validate(
        {"cutoffs": [3, 2, 1], "source": "test", "applies": applies or {}, **extra}
    )


def _local(locality: list[str], applies: dict[str, Any] | None = None) -> Grading:
    prov = {"tier": "local_standard", "reference": "test local standard", "locality": locality}
    return _g(applies, provenance=prov)


YES = (True, None, None)


def test_no_condition_applies_everywhere() -> None:
    assert applicability(_g(), UnitContext("420500", 2024)) == YES


def test_reference_role_never_grades() -> None:
    g = _g({"role": "reference", "from_year": 2030})
    # the role is checked first: a reference value is "reference_only" whatever the year
    assert applicability(g, UnitContext("420500", 2024)) == (False, "reference_only", None)


@pytest.mark.parametrize(
    ("unit", "localities", "expected"),
    [
        ("420500", ["420500"], YES),  # its own standard, selected
        ("420500", [], (False, "local_not_selected", None)),  # its own, not selected
        ("420500", ["110000"], (False, "local_not_selected", None)),  # another one selected
        ("110000", ["110000"], (False, "local_other_city", None)),  # selected, but not its own
        ("110000", [], (False, "local_other_city", None)),
    ],
)
def test_local_standard(unit: str, localities: list[str], expected: tuple[object, ...]) -> None:
    g = _local(["420500"])
    assert applicability(g, UnitContext(unit, 2024), localities=localities) == expected


def test_national_tier_needs_no_locality_selection() -> None:
    g = _g(provenance={"tier": "national_standard", "reference": "GB test"})
    assert applicability(g, UnitContext("110000", 2024)) == YES


@pytest.mark.parametrize(
    ("field", "year", "expected"),
    [
        ("target_year", 2029, (False, "target_year", 2030)),  # just below
        ("target_year", 2030, YES),  # at: the target year itself grades
        ("target_year", 2031, YES),  # just above
        ("from_year", 2029, (False, "before_from", 2030)),
        ("from_year", 2030, YES),
        ("from_year", 2031, YES),
        ("until_year", 2029, YES),
        ("until_year", 2030, YES),  # at: the last year still grades
        ("until_year", 2031, (False, "after_until", 2030)),
    ],
)
def test_year_boundaries(field: str, year: int, expected: tuple[object, ...]) -> None:
    assert applicability(_g({field: 2030}), UnitContext("420500", year)) == expected


def test_year_rules_are_checked_in_order() -> None:
    # 2019 is before both the target year 2025 and from_year 2020: the target comes first;
    # 2022 is after until_year 2021 and before the target 2025: the target again
    g = _g({"target_year": 2025, "from_year": 2020, "until_year": 2021})
    assert applicability(g, UnitContext("420500", 2019)) == (False, "target_year", 2025)
    assert applicability(g, UnitContext("420500", 2022)) == (False, "target_year", 2025)
    h = _g({"from_year": 2020, "until_year": 2021})
    assert applicability(h, UnitContext("420500", 2019)) == (False, "before_from", 2020)
    assert applicability(h, UnitContext("420500", 2022)) == (False, "after_until", 2021)
    # a local standard of another city is named before any year rule
    loc = _local(["420500"], {"from_year": 2030})
    assert applicability(loc, UnitContext("110000", 2024)) == (False, "local_other_city", None)


@pytest.mark.parametrize(
    ("rule", "city", "expected"),
    [
        (True, True, YES),
        (True, False, (False, "not_water_scarce", None)),
        (True, None, (False, "water_scarce_unknown", None)),
        (False, False, YES),  # a rule for cities that are *not* water-scarce
        (False, True, (False, "not_water_scarce", None)),
        (False, None, (False, "water_scarce_unknown", None)),
    ],
)
def test_water_scarce(rule: bool, city: bool | None, expected: tuple[object, ...]) -> None:
    g = _g({"water_scarce": rule})
    assert applicability(g, UnitContext("420500", 2024, water_scarce=city)) == expected


@pytest.mark.parametrize(
    ("regions", "unit", "province", "applies"),
    [
        (["42"], "420500", None, True),  # province from the unit code's first two digits
        (["42"], "110000", None, False),
        (["42", "11"], "110000", None, True),  # any listed region
        (["42"], "110000", "42", True),  # the context's province wins over the code
        (["42"], "420500", "11", False),
        (["42"], "yichang", None, False),  # non-numeric code, no province: undecidable
        (["42"], "yichang", "420000", True),  # a province code given as 6 digits
        (["42"], "4x0500", None, False),  # "4x" is not a province prefix
        (["420500"], "420500", None, True),  # a 6-digit region is that unit exactly
        (["420500"], "420600", None, False),  # same province, another unit
        (["420500"], "420600", "42", False),
    ],
)
def test_regions(regions: list[str], unit: str, province: str | None, applies: bool) -> None:
    got = applicability(_g({"regions": regions}), UnitContext(unit, 2024, province_code=province))
    assert got == (YES if applies else (False, "other_region", None))


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ("large_1", YES),
        ("medium", YES),
        ("small_2", (False, "other_size_class", None)),
        (None, (False, "size_class_unknown", None)),
    ],
)
def test_size_classes(size: str | None, expected: tuple[object, ...]) -> None:
    g = _g({"size_classes": ["large_1", "medium"]})
    assert applicability(g, UnitContext("420500", 2024, size_class=size)) == expected


def test_conditions_combine() -> None:
    # water-scarce cities of province 42 from 2020: all three must hold
    g = _g({"water_scarce": True, "regions": ["42"], "from_year": 2020})
    ok = UnitContext("420500", 2020, water_scarce=True)
    assert applicability(g, ok) == YES
    assert applicability(g, UnitContext("110000", 2020, water_scarce=True))[1] == "other_region"
    assert applicability(g, UnitContext("420500", 2020, water_scarce=False))[1] == (
        "not_water_scarce"
    )
    assert applicability(g, UnitContext("420500", 2019, water_scarce=True))[1] == "before_from"


def test_every_reason_has_both_languages() -> None:
    # the reasons returned above are all in the catalogue, each with a zh and an en text
    codes = {"reference_only", "target_year", "before_from", "after_until", "not_water_scarce",
             "water_scarce_unknown", "other_region", "other_size_class", "size_class_unknown",
             "local_other_city", "local_not_selected"}  # fmt: skip
    assert set(REASONS) == codes
    for code in codes:
        assert REASONS[code]["zh"] and REASONS[code]["en"], code
