"""``derive_indicators`` reports every failing indicator at once (issue 18, "all problems
reported at once"), each problem naming the indicator and where."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from citycheckup.errors import FormulaError
from citycheckup.framework import Framework, load_framework
from citycheckup.indicators.derive import derive_indicators


def test_every_failing_indicator_is_reported_together() -> None:
    fw = load_framework("people-city-2025")
    # growth(pop_resident) and growth(gdp) need the unit and year columns; naming a unit column
    # that is not in the data makes both fail, and both must be in the one error
    df = pd.DataFrame({"unit_code": ["a", "a"], "year": [2020, 2021],
                       "pop_resident": [100.0, 110.0], "gdp": [5.0, 6.0]})  # fmt: skip
    with pytest.raises(FormulaError) as info:
        derive_indicators(df, fw, unit="city")
    err = info.value
    assert str(err).startswith("derived indicators could not be computed")
    msgs = [p.message for p in err.problems]
    growth = [i.code for i in fw.indicators if i.formula in ("growth(pop_resident)", "growth(gdp)")]
    assert len(growth) == 2
    for code in growth:
        assert any(m.startswith(f"indicator {code}: ") and "'city'" in m for m in msgs), msgs
    assert len(msgs) == 2


def test_derived_values_and_reported_values_win() -> None:
    fw = load_framework("people-city-2025")
    code = next(i.code for i in fw.indicators if i.formula == "growth(pop_resident)")
    df = pd.DataFrame({"unit_code": ["a", "a", "a"], "year": [2020, 2021, 2022],
                       "pop_resident": [100.0, 110.0, 121.0],
                       code: [None, 99.0, None]})  # fmt: skip
    out = derive_indicators(df, fw)
    # 2021 keeps the reported 99; 2022 is derived: (121 / 110 - 1) * 100 = 10 %; 2020 has no
    # previous year -> missing
    assert out[code].iloc[1] == 99.0
    assert out[code].iloc[2] == pytest.approx(10.0)
    assert pd.isna(out[code].iloc[0])


# -- a synthetic two-indicator framework (made-up codes and formulas) ---------------------------


def _fw(formulas: dict[str, str]) -> Framework:
    inds = [
        {"code": c, "name_zh": c, "name_en": c, "unit": "1", "direction": 1, "level": "city",
         "formula": f}
        for c, f in formulas.items()
    ]  # fmt: skip
    return Framework.model_validate(
        {"code": "t", "name_zh": "测试", "name_en": "test",
         "dimensions": [{"code": "d", "name_zh": "维", "name_en": "dim", "indicators": inds}]}
    )  # fmt: skip


def test_data_holding_exactly_the_variables_is_derived() -> None:
    # the table has the formula's two variables and nothing else (no unit or year column):
    # ratio = a / b = 6 / 3 = 2 and 1 / 4 = 0.25
    df = pd.DataFrame({"a": [6.0, 1.0], "b": [3.0, 4.0]})
    out = derive_indicators(df, _fw({"ratio": "a / b"}))
    assert out["ratio"].tolist() == [2.0, 0.25]


def test_an_indicator_may_use_another_derived_in_the_same_pass() -> None:
    # share = a / b * 100 (derived first), then double = share * 2:
    # a = 1, b = 4 -> share 25, double 50; a = 3, b = 2 -> share 150, double 300
    df = pd.DataFrame({"a": [1.0, 3.0], "b": [4.0, 2.0]})
    out = derive_indicators(df, _fw({"share": "a / b * 100", "double": "share * 2"}))
    assert out["share"].tolist() == [25.0, 150.0]
    assert out["double"].tolist() == [50.0, 300.0]


def test_time_functions_use_the_named_year_column() -> None:
    # year column "yr" (not "year"): g = growth(x) = (120 / 100 - 1) * 100 = 20 in the second year
    df = pd.DataFrame({"city": ["a", "a"], "yr": [2020, 2021], "x": [100.0, 120.0]})
    out = derive_indicators(df, _fw({"g": "growth(x)"}), unit="city", year="yr")
    assert pd.isna(out["g"].iloc[0]) and out["g"].iloc[1] == pytest.approx(20.0)


def test_reported_text_cells_are_filled_from_the_formula() -> None:
    # the reported column holds 7 (kept), "n/a" (not a number: derived 6 / 2 = 3) and nothing
    # (derived 8 / 4 = 2)
    df = pd.DataFrame({"a": [1.0, 6.0, 8.0], "b": [1.0, 2.0, 4.0], "r": [7, "n/a", None]})
    out = derive_indicators(df, _fw({"r": "a / b"}))
    assert out["r"].tolist() == [7.0, 3.0, 2.0]
    assert out["r"].dtype == "float64"


def test_the_unit_column_error_has_no_location() -> None:
    # the failing evaluation ("needs columns 'city' and 'year'") carries no problem list, so
    # the reported problem is the error text itself with an empty location
    df = pd.DataFrame({"unit_code": ["a"], "year": [2020], "x": [1.0]})
    with pytest.raises(FormulaError) as info:
        derive_indicators(df, _fw({"g": "growth(x)"}), unit="city")
    (p,) = info.value.problems
    assert p.where == ""
    assert p.message == (
        "indicator g: formula 'growth(x)' uses a time function and needs columns 'city' and 'year'"
    )


def test_skipped_indicator_is_logged_with_the_missing_variables() -> None:
    # r = a / b + c with only a present: skipped, and the debug record names r and ['b', 'c'].
    # A handler on the module's logger (not caplog) so that the check also runs under mutmut.
    records: list[logging.LogRecord] = []

    class _Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("citycheckup.indicators.derive")
    handler, level = _Keep(logging.DEBUG), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        out = derive_indicators(pd.DataFrame({"a": [1.0]}), _fw({"r": "a / b + c"}))
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert "r" not in out.columns
    assert [r.getMessage() for r in records] == ["indicator r not derived: needs ['b', 'c']"]
