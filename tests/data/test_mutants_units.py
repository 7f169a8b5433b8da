"""Survivors of mutation testing in :mod:`citycheckup.data.units` (issue 18)."""

from __future__ import annotations

import pytest

from citycheckup.data.units import conversion_factor, same_unit
from citycheckup.errors import DataError


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [(None, None, True), (None, "万元", False), ("万元", None, False), ("km2", "km²", True),
     ("万元", "亿元", False)],
)  # fmt: skip
def test_same_unit_with_missing_units(a: str | None, b: str | None, same: bool) -> None:
    """No unit is the same as no unit, and never the same as a unit."""
    assert same_unit(a, b) is same


@pytest.mark.parametrize(
    ("given", "expected", "text"),
    [
        ("万元", "km²", "unit '万元' (money) cannot be converted to 'km²' (an area)"),
        ("万人", "km", "unit '万人' (persons) cannot be converted to 'km' (a length)"),
        ("个", "%", "unit '个' (a count) cannot be converted to '%' (a share)"),
    ],
)
def test_dimension_mismatch_names_both_dimensions(given: str, expected: str, text: str) -> None:
    """The message says in words what each unit measures."""
    with pytest.raises(DataError) as e:
        conversion_factor(given, expected, what="gdp")
    assert str(e.value) == (
        f"gdp: {text}; the column measures something else than the framework's variable, or its "
        "unit is written wrongly: fix the header or the column"
    )


@pytest.mark.parametrize("dash", ["-", "–", "—", "－", "~", "～"])
def test_any_dash_in_a_range_unit(dash: str) -> None:
    """ "fraction (0–1)" written with any dash or tilde (ASCII, en, em, full-width) is the same unit."""
    assert same_unit(f"fraction (0{dash}1)", "fraction (0–1)")


def test_unknown_unit_converts_to_itself() -> None:
    """A unit the registry does not know converts only to the same spelling (factor 1)."""
    assert conversion_factor("widgets", "Widgets") == 1
    with pytest.raises(DataError, match="'widgets' is not a known unit"):
        conversion_factor("widgets", "万元")
