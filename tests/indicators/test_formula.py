"""Formula evaluation: reference values computed by hand, invariants, and rejection of unsafe code."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citycheckup.errors import FormulaError
from citycheckup.framework import load_framework
from citycheckup.indicators import derive_indicators, evaluate_formula, parse_formula

PANEL = pd.DataFrame(
    {
        "unit_code": ["a", "a", "a", "b", "b"],
        "year": [2020, 2021, 2023, 2020, 2021],
        "pop": [100.0, 110.0, 121.0, 50.0, 0.0],
        "students": [5.0, 6.0, 7.0, 1.0, 1.0],
        "gdp": [200.0, 242.0, 300.0, 80.0, 88.0],
    }
)


def test_per_10k_share_and_ratio() -> None:
    # hand-computed: 5/100*1e4 = 500, 6/110*1e4 = 545.4545…
    got = evaluate_formula("students / pop * 10000", PANEL)
    assert got.iloc[0] == pytest.approx(500.0)
    assert got.iloc[1] == pytest.approx(545.454545, rel=1e-6)
    assert math.isnan(got.iloc[4])  # division by zero → missing, never inf


def test_time_functions_respect_units_and_gaps() -> None:
    g = evaluate_formula("growth(gdp)", PANEL)
    assert math.isnan(g.iloc[0]) and g.iloc[1] == pytest.approx(21.0)
    assert math.isnan(g.iloc[2])  # 2022 missing: no previous year
    assert g.iloc[4] == pytest.approx(10.0)
    assert evaluate_formula("lag(pop, 1)", PANEL).iloc[1] == 100.0
    assert evaluate_formula("diff(pop)", PANEL).iloc[1] == pytest.approx(10.0)
    # cagr over 3 years from 2020 to 2023: (300/200)^(1/3) - 1
    assert evaluate_formula("cagr(gdp, 3)", PANEL).iloc[2] == pytest.approx(
        (1.5 ** (1 / 3) - 1) * 100
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("__import__('os').system('ls')", "not allowed"),
        ("pop.__class__", "Attribute is not allowed"),
        ("pop if gdp else 1", "IfExp is not allowed"),
        ("open('x')", "function 'open' is not allowed"),
        ("pop +", "not a valid expression"),
        ("growth(gdp, k=2)", "keyword arguments are not allowed"),
    ],
)
def test_rejects_unsafe_or_invalid(text: str, message: str) -> None:
    with pytest.raises(FormulaError, match=message):
        parse_formula(text)


def test_missing_variable_names_column() -> None:
    with pytest.raises(FormulaError, match="missing column 'area'"):
        evaluate_formula("pop / area", PANEL)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.1, 1e6), min_size=2, max_size=20), st.floats(0.1, 1e3))
def test_scaling_invariant(values: list[float], k: float) -> None:
    df = pd.DataFrame(
        {"unit_code": [f"u{i}" for i in range(len(values))], "year": 2020, "x": values}
    )
    a = evaluate_formula("x * 100", df).to_numpy()
    b = evaluate_formula(f"x * {k} / {k} * 100", df).to_numpy()
    np.testing.assert_allclose(a, b, rtol=1e-9)


def test_derive_builtin_demo_indicators() -> None:
    fw = load_framework("people-city-2025")
    df = pd.DataFrame(
        {
            "unit_code": ["x"],
            "year": [2020],
            "pop_resident": [200.0],
            "pop_hukou": [150.0],
            "students_higher": [10.0],
            "exp_science": [5.0],
            "exp_total": [100.0],
        }
    )
    out = derive_indicators(df, fw)
    assert out["hukou_resident_gap"].iloc[0] == pytest.approx(25.0)
    assert out["students_per_10k"].iloc[0] == pytest.approx(500.0)
    assert out["st_expenditure_share"].iloc[0] == pytest.approx(5.0)
    assert "gdp_per_capita" not in out.columns  # gdp missing: not derived, not invented
