"""The formula language's ``**`` is a power, not a product (issue 18).

Hand values: 3 ** 2 = 9 (3 * 2 = 6); 2 ** 3 = 8 (2 * 3 = 6); 4 ** 0.5 = 2 (4 * 0.5 = 2 too,
so that pair alone cannot tell them apart and is checked together with the others);
10 ** -1 = 0.1; precedence: 2 * 3 ** 2 = 18 (not (2 * 3) ** 2 = 36).
"""

from __future__ import annotations

import pandas as pd
import pytest

from citycheckup.indicators.formula import evaluate_formula


def _df() -> pd.DataFrame:
    return pd.DataFrame(
        {"unit_code": ["a", "b", "c", "d"], "year": [2020] * 4,
         "x": [3.0, 2.0, 4.0, 10.0], "y": [2.0, 3.0, 0.5, -1.0]}
    )  # fmt: skip


def test_power_of_two_columns() -> None:
    assert evaluate_formula("x ** y", _df()).tolist() == pytest.approx([9.0, 8.0, 2.0, 0.1])


def test_power_of_a_constant_and_precedence() -> None:
    df = _df()
    assert evaluate_formula("x ** 2", df).tolist() == pytest.approx([9.0, 4.0, 16.0, 100.0])
    assert evaluate_formula("2 * x ** 2", df).tolist() == pytest.approx([18.0, 8.0, 32.0, 200.0])
    assert evaluate_formula("2 ** 10", df).tolist() == pytest.approx([1024.0] * 4)


def test_power_edge_cases_are_missing_without_warnings() -> None:
    # 0 ** -1 is a division by zero (inf) and 10 ** 400 overflows float64 (inf): both are
    # missing (the result keeps finite values only), and numpy's RuntimeWarning is silenced
    # (pytest turns warnings into errors, so a leaked warning fails this test)
    df = pd.DataFrame({"unit_code": ["a", "b", "c"], "year": [2020] * 3,
                       "x": [0.0, 10.0, 2.0], "y": [-1.0, 400.0, -1.0]})  # fmt: skip
    out = evaluate_formula("x ** y", df)
    assert out.isna().tolist() == [True, True, False]
    assert out.iloc[2] == 0.5
