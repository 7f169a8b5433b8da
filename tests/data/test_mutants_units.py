"""Survivors of mutation testing in :mod:`citycheckup.data.units` (issue 18)."""

from __future__ import annotations

from fractions import Fraction

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


@pytest.mark.parametrize(
    ("given", "expected", "text"),
    [
        # compound dimensions read "<numerator> per <denominator>", the denominator without
        # its article ("an area" -> "area", "a count" -> "count")
        (
            "元/人",
            "万人/km²",
            "unit '元/人' (money per persons) cannot be converted to '万人/km²' (persons per area)",
        ),
        ("元/个", "万元", "unit '元/个' (money per count) cannot be converted to '万元' (money)"),
    ],
)
def test_dimension_mismatch_of_compound_units(given: str, expected: str, text: str) -> None:
    with pytest.raises(DataError) as e:
        conversion_factor(given, expected, what="values")
    assert str(e.value).startswith(f"values: {text}; ")


def test_convert_values_by_a_fraction() -> None:
    """1 亩 = 2000/3 m² (the registry's factor): neither a whole number nor 1/n, so
    x × 2000 / 3: 1.5 亩 = 1000 m², 3 亩 = 2000 m²."""
    from citycheckup.data.units import convert_values

    assert conversion_factor("亩", "m²") == Fraction(2000, 3)
    assert convert_values([1.5, 3.0], "亩", "m²").tolist() == [1000.0, 2000.0]
    # 1/n: 亩 -> 公顷 is 1/15 (15 亩 = 1 公顷), divided: 30 / 15 = 2
    assert convert_values([30.0], "亩", "公顷").tolist() == [2.0]


@pytest.mark.parametrize(
    ("text", "inner"),
    [
        ("(万元)", "万元"),
        ("【亿元】", "亿元"),
        ("[ 万人 ]", "万人"),  # spaces inside are stripped
        ("((万元))", "万元"),  # nested brackets, all removed
        ("{万元}", "万元"),
        ("()", ""),  # nothing inside
        ("(万元", "(万元"),  # not closed: kept
        ("x", "x"),
    ],
)
def test_unbracket(text: str, inner: str) -> None:
    """Brackets around a unit are removed, one pair at a time."""
    from citycheckup.data.units import _unbracket, parse_unit

    assert _unbracket(text) == inner
    assert (parse_unit(text) is not None) is (inner in ("万元", "亿元", "万人"))


def test_common_units_are_preferred_at_equal_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """The registry has no two units of one size where only one is common (万m² and 公顷 are
    both common), so a synthetic, not common unit 测万 (= 10⁴ 元, listed first) is added for
    this test: 10⁴ 元 is still 万元, and 10⁴ 元/人 still 万元/人 (numerator varied first), and
    1/10⁴ of 元/人 is 元/万人 (denominator)."""
    from citycheckup.data import units as u

    u._index.cache_clear()
    u.parse_unit.cache_clear()
    monkeypatch.setattr(u, "_TABLE", [("测万", "money", 10000, False, ()), *u._TABLE])
    try:
        assert [x.symbol for x in u.known_units("money") if x.factor == 10000] == ["测万", "万元"]
        assert u.unit_for_ratio("元", Fraction(10) ** 4) == "万元"
        assert u.unit_for_ratio("元/人", Fraction(10) ** 4) == "万元/人"
        assert u.unit_for_ratio("元/人", Fraction(1, 10**4)) == "元/万人"
        assert u.unit_for_ratio("测万", Fraction(1)) == "万元"
    finally:
        monkeypatch.undo()
        u._index.cache_clear()
        u.parse_unit.cache_clear()
    assert [x.symbol for x in u.known_units("money") if x.factor == 10000] == ["万元"]


def test_convert_values_names_what_in_errors() -> None:
    from citycheckup.data.units import convert_values

    with pytest.raises(DataError) as e:
        convert_values([1.0], "万元", "km²", what="gdp")
    assert str(e.value).startswith(
        "gdp: unit '万元' (money) cannot be converted to 'km²' (an area)"
    )


@pytest.mark.parametrize(
    ("cell", "is_unit"),
    [
        (None, False),
        (float("nan"), False),
        ("万元", True),
        ("（万人）", True),
        ("abc", False),
        (3.0, False),
    ],
)
def test_is_unit_text(cell: object, is_unit: bool) -> None:
    """An empty cell (None, NaN) is not a unit; 万元 and a bracketed 万人 are."""
    from citycheckup.data.units import is_unit_text

    assert is_unit_text(cell) is is_unit
