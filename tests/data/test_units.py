"""The unit registry: spellings, dimensions, exact conversion factors, clear errors.

Reference values are definitions, not outputs of the code: 万 = 10⁴ and 亿 = 10⁸ (Chinese
numerals), 1 km² = 100 公顷 = 10⁶ m² (SI), 1 亩 = 60 平方丈 with 1 丈 = 10/3 m (市制), so
60 × (10/3)² = 10000/15 m² = 1/15 公顷; % = 1/100, ‰ = 1/1000.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from citycheckup.data.units import (
    UnitConversionError,
    conversion_factor,
    convert_values,
    format_factor,
    is_unit_text,
    parse_unit,
    same_unit,
    unit_for_ratio,
)
from citycheckup.errors import DataError


@pytest.mark.parametrize(
    ("text", "symbol", "dimension"),
    [
        ("万元", "万元", "money"),
        ("（万元）", "万元", "money"),
        ("10k yuan", "万元", "money"),
        ("10,000 yuan", "万元", "money"),
        ("万元人民币", "万元", "money"),
        ("百万人民币", "百万元", "money"),
        ("亿元", "亿元", "money"),
        ("【亿元】", "亿元", "money"),
        ("万亿元", "万亿元", "money"),
        ("人", "人", "persons"),
        ("千人", "千人", "persons"),
        ("万人", "万人", "persons"),
        ("亿人", "亿人", "persons"),
        ("户", "户", "households"),
        ("万户", "万户", "households"),
        ("座", "个", "count"),
        ("栋", "个", "count"),
        ("套", "个", "count"),
        ("%", "%", "ratio"),
        ("％", "%", "ratio"),
        ("‰", "‰", "ratio"),
        ("fraction (0–1)", "fraction (0–1)", "ratio"),
        ("平方公里", "km²", "area"),
        ("km2", "km²", "area"),
        ("ＫＭ２", "km²", "area"),
        ("公顷", "公顷", "area"),
        ("hm²", "公顷", "area"),
        ("平方米", "m²", "area"),
        ("万人/km²", "万人/km²", "persons/area"),
        ("万人/平方公里", "万人/km²", "persons/area"),
        ("元/人", "元/人", "money/persons"),
        ("yuan per person", "元/人", "money/persons"),
        ("人/万人", "人/万人", "persons/persons"),
        ("户/百人", "户/百人", "households/persons"),
        ("km/km²", "km/km²", "length/area"),
        ("µg/m³", "µg/m³", "concentration"),
    ],
)
def test_spellings(text: str, symbol: str, dimension: str) -> None:
    u = parse_unit(text)
    assert u is not None, text
    assert (u.symbol, u.dimension) == (symbol, dimension)


@pytest.mark.parametrize(
    "text", ["常住人口", "地区生产总值", "名义", "", "  ", "单位", "2022", "亿美元", "万元/人/年"]
)
def test_not_units(text: str) -> None:
    assert parse_unit(text) is None
    assert not is_unit_text(text)


@pytest.mark.parametrize(
    ("src", "dst", "factor"),
    [
        ("亿元", "万元", Fraction(10**4)),
        ("元", "万元", Fraction(1, 10**4)),
        ("千元", "万元", Fraction(1, 10)),
        ("百万元", "万元", Fraction(100)),
        ("万亿元", "亿元", Fraction(10**4)),
        ("人", "万人", Fraction(1, 10**4)),
        ("千人", "万人", Fraction(1, 10)),
        ("亿人", "万人", Fraction(10**4)),
        ("万户", "户", Fraction(10**4)),
        ("%", "fraction (0–1)", Fraction(1, 100)),
        ("fraction (0–1)", "%", Fraction(100)),
        ("‰", "%", Fraction(1, 10)),
        ("km²", "公顷", Fraction(100)),
        ("公顷", "km²", Fraction(1, 100)),
        ("亩", "m²", Fraction(10000, 15)),
        ("亩", "公顷", Fraction(1, 15)),
        ("万人/km²", "人/km²", Fraction(10**4)),
        ("万元/人", "元/人", Fraction(10**4)),
        ("座", "个", Fraction(1)),
        ("km2", "km²", Fraction(1)),
    ],
)
def test_conversion_factors(src: str, dst: str, factor: Fraction) -> None:
    assert conversion_factor(src, dst) == factor


def test_convert_values_is_exact_where_it_can_be() -> None:
    # % → fraction divides by 100 (x / 100), it does not multiply by 0.01 (42 * 0.01 != 0.42 in floats
    # for some x); the result equals the correctly rounded quotient
    x = np.array([42.0, 51.2, 7.0, 0.29])
    assert convert_values(x, "%", "fraction (0–1)").tolist() == (x / 100).tolist()
    assert convert_values([3760.0], "亿元", "万元").tolist() == [37_600_000.0]
    assert convert_values([12_376_000.0], "人", "万人").tolist() == [1237.6]


def test_incompatible_units_name_both() -> None:
    with pytest.raises(UnitConversionError) as info:
        conversion_factor("人", "万元", what="column '地区生产总值(人)' (gdp)")
    msg = str(info.value)
    assert msg.startswith(
        "column '地区生产总值(人)' (gdp): unit '人' (persons) cannot be converted to '万元' (money)"
    )
    assert isinstance(info.value, DataError)


def test_unknown_unit_lists_known_ones() -> None:
    with pytest.raises(
        UnitConversionError,
        match=r"unit '亿美元' is not a known unit, so '亿美元' cannot be converted "
        r"to '万元'; write it as one of 元, 千元, 万元",
    ):
        conversion_factor("亿美元", "万元", what="column 'gdp'")


def test_same_unit() -> None:
    assert same_unit("km2", "km²") and same_unit("％", "%") and same_unit("座", "个")
    assert same_unit("score", "score") and same_unit("某单位", "某单位")
    assert not same_unit("万人", "人") and not same_unit("%", "fraction (0–1)")


@pytest.mark.parametrize(
    ("ref", "k", "expected"),
    [
        ("万元", 4, "亿元"),
        ("万元", -4, "元"),
        ("万元", -1, "千元"),
        ("万元", 5, "十亿元"),
        ("万元", 16, None),
        ("万人", -4, "人"),
        ("万人", -1, "千人"),
        ("fraction (0–1)", -2, "%"),
        ("%", 2, "fraction (0–1)"),
        ("元/人", 4, "万元/人"),
        ("万人/km²", -4, "人/km²"),
        ("unknown", 4, None),
    ],
)
def test_unit_for_ratio(ref: str, k: int, expected: str | None) -> None:
    assert unit_for_ratio(ref, Fraction(10) ** k) == expected


def test_format_factor() -> None:
    assert [format_factor(k) for k in (1, 2, 4, 8, -4)] == ["10¹", "10²", "10⁴", "10⁸", "10⁻⁴"]


def test_data_public_api_is_sorted_and_importable() -> None:
    import citycheckup.data as d

    assert d.__all__ == sorted(d.__all__)
    assert all(hasattr(d, n) for n in d.__all__)
