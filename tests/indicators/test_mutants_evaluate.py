"""Evaluation of formulas, case by case, with values derived by hand (issue 18, mutation testing).

Every table here is synthetic (a few made-up numbers chosen so that the hand arithmetic is
exact). Each test names the rule it pins and shows the arithmetic; together they kill the
mutants of ``indicators.formula`` that survived the older tests (see docs/testing.md).
"""

from __future__ import annotations

import ast
import math

import numpy as np
import pandas as pd
import pytest

from citycheckup.errors import FormulaError
from citycheckup.indicators.formula import Formula, evaluate_formula


def _vals(s: pd.Series) -> list[float | None]:
    """Values with missing as ``None`` (NaN never equals NaN in a list comparison)."""
    return [None if pd.isna(v) else float(v) for v in s.tolist()]


def _df(**cols: list[object]) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    return pd.DataFrame({"unit_code": [f"u{i}" for i in range(n)], "year": [2020] * n, **cols})


def test_addition_and_subtraction() -> None:
    # x = 5, 1.5; y = 2, 4 -> x + y = 7, 5.5; x - y = 3, -2.5 (a + swapped for - gives 3, -2.5)
    df = _df(x=[5.0, 1.5], y=[2.0, 4.0])
    assert _vals(evaluate_formula("x + y", df)) == [7.0, 5.5]
    assert _vals(evaluate_formula("x - y", df)) == [3.0, -2.5]


def test_unary_minus_and_plus() -> None:
    # x = 2, -3: -x = -2, 3; +x = 2, -3; x * -2 = -4, 6; -(x - 1) = -1, 4
    df = _df(x=[2.0, -3.0])
    assert _vals(evaluate_formula("-x", df)) == [-2.0, 3.0]
    assert _vals(evaluate_formula("+x", df)) == [2.0, -3.0]
    assert _vals(evaluate_formula("x * -2", df)) == [-4.0, 6.0]
    assert _vals(evaluate_formula("-(x - 1)", df)) == [-1.0, 4.0]


def test_text_cells_are_missing_not_an_error() -> None:
    # a cell that is not a number ("n/a") is a missing value: "1.5" * 2 = 3, n/a -> missing, 3 * 2 = 6
    df = _df(x=["1.5", "n/a", 3])
    assert _vals(evaluate_formula("x * 2", df)) == [3.0, None, 6.0]


def test_division_by_a_column_and_by_constants() -> None:
    # x / y with y = 1, 0, 4: 6 / 1 = 6, 6 / 0 -> missing, 6 / 4 = 1.5
    df = _df(x=[6.0, 6.0, 6.0], y=[1.0, 0.0, 4.0])
    assert _vals(evaluate_formula("x / y", df)) == [6.0, None, 1.5]
    # by a constant: x / 1 = x; x / 0 -> missing
    assert _vals(evaluate_formula("x / 1", df)) == [6.0, 6.0, 6.0]
    assert _vals(evaluate_formula("x / 0", df)) == [None, None, None]
    # a division by zero is missing *inside* the formula, not only in the result: 1 / (x / 0)
    # is 1 / missing = missing (were x / 0 kept as inf, 1 / inf would give 0)
    assert _vals(evaluate_formula("1 / (x / 0)", df)) == [None, None, None]


def test_formulas_of_constants_only() -> None:
    # the value is broadcast to every row; arithmetic failures of constants are missing values,
    # never a Python exception: 1 / 0 (division by zero), 0 ** -1 (division by zero),
    # (-8) ** 0.5 (no real root), 10 ** 400 (overflows float64)
    df = _df(x=[1.0, 2.0])
    assert _vals(evaluate_formula("abs(-3)", df)) == [3.0, 3.0]
    assert _vals(evaluate_formula("2 + 3 * 4", df)) == [14.0, 14.0]
    for text in ("1 / 0", "0 ** -1", "(-8) ** 0.5", "10 ** 400"):
        assert _vals(evaluate_formula(text, df)) == [None, None], text


def test_power_of_columns_overflow_and_no_real_root() -> None:
    # column powers: 10 ** 400 overflows (missing), (-8) ** 0.5 has no real root (missing),
    # 0 ** -1 is a division by zero (missing), 4 ** 0.5 = 2
    df = _df(x=[10.0, -8.0, 0.0, 4.0], y=[400.0, 0.5, -1.0, 0.5])
    assert _vals(evaluate_formula("x ** y", df)) == [None, None, None, 2.0]


def test_elementwise_functions_with_a_constant_argument() -> None:
    # max(x, 0) / min(x, 0) with x = -2, 3: the constant 0 is broadcast to every row:
    # max -> 0, 3; min -> -2, 0. A non-default index (10, 20) checks the broadcast aligns.
    df = _df(x=[-2.0, 3.0]).set_axis([10, 20])
    got = evaluate_formula("max(x, 0)", df)
    assert _vals(got) == [0.0, 3.0] and got.index.tolist() == [10, 20]
    assert _vals(evaluate_formula("min(x, 0)", df)) == [-2.0, 0.0]
    assert _vals(evaluate_formula("min(0, x)", df)) == [-2.0, 0.0]
    assert _vals(evaluate_formula("abs(x)", df)) == [2.0, 3.0]


def test_log_and_sqrt_domains() -> None:
    # log(e) = 1, log(1) = 0, log(0) and log(-1) missing; sqrt(4) = 2, sqrt(0) = 0, sqrt(-1)
    # missing (no warning leaks: pytest turns warnings into errors)
    df = _df(x=[math.e, 1.0, 0.0, -1.0], y=[4.0, 0.0, -1.0, 0.25])
    log = _vals(evaluate_formula("log(x)", df))
    assert log[0] == pytest.approx(1.0) and log[1:] == [0.0, None, None]
    assert _vals(evaluate_formula("sqrt(y)", df)) == [2.0, 0.0, None, 0.5]


# -- time functions ------------------------------------------------------------------------------


def _panel() -> pd.DataFrame:
    # one unit, consecutive years; x chosen for exact growth rates
    return pd.DataFrame(
        {"unit_code": ["a"] * 3, "year": [2020, 2021, 2022], "x": [1.0, 3.0, 1.5]}
    )  # fmt: skip


def test_growth_from_a_previous_value_of_one() -> None:
    # growth = (x_t / x_{t-1} - 1) * 100: 2021: (3 / 1 - 1) * 100 = 200; 2022: (1.5 / 3 - 1) * 100
    # = -50; 2020 has no previous year -> missing
    assert _vals(evaluate_formula("growth(x)", _panel())) == [None, 200.0, -50.0]


def test_cagr_cases() -> None:
    # cagr(x, k) = ((x_t / x_{t-k}) ** (1 / k) - 1) * 100
    df = pd.DataFrame(
        {"unit_code": ["a", "a", "b", "b", "c", "c", "d", "d", "e", "e"],
         "year": [2020, 2022] * 5,
         "x": [0.5, 2.0,     # a: (2 / 0.5) ** 0.5 = 2 -> 100 %
               100.0, 25.0,  # b: (25 / 100) ** 0.5 = 0.5 -> -50 % (a decline)
               100.0, 0.0,   # c: value 0 -> missing (not -100 %: CAGR needs positive values)
               0.0, 5.0,     # d: base 0 -> missing
               -4.0, 1.0]},  # e: negative base -> missing
    )  # fmt: skip
    got = _vals(evaluate_formula("cagr(x, 2)", df))
    assert got[1::2] == [100.0, -50.0, None, None, None]
    assert got[0::2] == [None] * 5  # no value two years earlier
    # the missing value of a zero base stays missing in further arithmetic (inf would give 0)
    assert _vals(evaluate_formula("1 / cagr(x, 2)", df))[7] is None


def test_time_functions_keep_a_non_default_index() -> None:
    # rows indexed 10, 11, 12: lag(x) = missing, 1, 3; diff(x) = missing, 2, -1.5
    df = _panel().set_axis([10, 11, 12])
    lag = evaluate_formula("lag(x)", df)
    assert lag.index.tolist() == [10, 11, 12]
    assert _vals(lag) == [None, 1.0, 3.0]
    assert _vals(evaluate_formula("diff(x)", df)) == [None, 2.0, -1.5]
    assert _vals(evaluate_formula("x - lag(x, 1)", df)) == [None, 2.0, -1.5]


def test_duplicated_unit_year_takes_the_first_row_as_previous() -> None:
    # unit a has two rows for 2020 (x = 100, then 200): the 2021 row's previous value is the
    # first of them (100), so lag = 100 and growth = (110 / 100 - 1) * 100 = 10; the two 2020
    # rows have no previous year
    df = pd.DataFrame({"unit_code": ["a", "a", "a"], "year": [2020, 2020, 2021],
                       "x": [100.0, 200.0, 110.0]})  # fmt: skip
    assert _vals(evaluate_formula("lag(x)", df)) == [None, None, 100.0]
    assert _vals(evaluate_formula("growth(x)", df))[2] == pytest.approx(10.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("growth(2)", "growth() needs a variable as its first argument: 'growth(2)'"),
        ("lag(x, 1.5)", "lag(): the number of years must be a positive integer: 'lag(x, 1.5)'"),
        ("lag(x, 0)", "lag(): the number of years must be a positive integer: 'lag(x, 0)'"),
        ("diff(x, -1)", "diff(): the number of years must be a positive integer: 'diff(x, -1)'"),
        ("lag(x, x)", "lag(): the number of years must be a positive integer: 'lag(x, x)'"),
        # infinite or overflowing year counts (1/0 and 10**400 are inf as float64 constants)
        ("lag(x, 1/0)", "lag(): the number of years must be a positive integer: 'lag(x, 1 / 0)'"),
        (
            "diff(x, 10**400)",
            "diff(): the number of years must be a positive integer: 'diff(x, 10 ** 400)'",
        ),
        ("cagr(x)", "cagr(x, k) needs the number of years k: 'cagr(x)'"),
    ],
)
def test_time_function_errors_name_the_call(text: str, message: str) -> None:
    with pytest.raises(FormulaError) as info:
        evaluate_formula(text, _panel())
    assert str(info.value) == message


def test_lag_of_two_years() -> None:
    # lag(x, 2): the 2022 row gets the 2020 value 1.0; the others have none
    assert _vals(evaluate_formula("lag(x, 2)", _panel())) == [None, None, 1.0]


# -- errors ----------------------------------------------------------------------------------


def test_missing_columns_are_all_listed_with_where() -> None:
    with pytest.raises(FormulaError) as info:
        evaluate_formula("a / b + x", _panel())
    err = info.value
    assert err.headline == "formula 'a / b + x' needs variable(s) not in the data"
    assert [(p.message, p.where) for p in err.problems] == [
        ("missing column 'a'; add it to the data or fix the formula", "data"),
        ("missing column 'b'; add it to the data or fix the formula", "data"),
    ]


def test_hand_built_formula_outside_the_language_is_refused() -> None:
    # parse_formula refuses these already; a Formula built by hand must not be evaluated either
    def formula(text: str, names: frozenset[str] = frozenset()) -> Formula:
        return Formula(text=text, tree=ast.parse(text, mode="eval"), names=names, uses_time=False)

    with pytest.raises(FormulaError) as info:
        evaluate_formula(formula("'a'"), _panel())
    assert str(info.value) == "constant 'a' is not a number"
    with pytest.raises(FormulaError) as info:
        evaluate_formula(formula("x < 1", frozenset({"x"})), _panel())
    assert str(info.value) == "cannot evaluate 'x < 1'"


def test_result_is_float_and_keeps_finite_values_only() -> None:
    # integers in, floats out; 1e308 * 10 overflows to inf -> missing
    df = _df(x=[1, 2], y=[1e308, 1.0])
    assert evaluate_formula("x * 2", df).dtype == np.float64
    assert _vals(evaluate_formula("y * 10", df)) == [None, 10.0]
