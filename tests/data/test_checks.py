"""Checks of a data set against a framework, each rule with its message."""

from __future__ import annotations

import pandas as pd
import pytest

from citycheckup.data import Dataset, check_dataset, load_city_macro
from citycheckup.errors import DataError
from citycheckup.framework import load_framework


@pytest.fixture(scope="module")
def fw():
    return load_framework("people-city-2025")


def _ds(df: pd.DataFrame, units: dict[str, str] | None = None) -> Dataset:
    df = df.copy()
    df.insert(1, "unit_name", df["unit_code"])
    return Dataset(data=df, source="test.csv", units=units or {})


def test_rules(fw) -> None:
    df = pd.DataFrame({
        "unit_code": [f"u{i}" for i in range(12)],
        "year": [2020] * 12,
        "pop_resident": [100.0] * 11 + [-5.0],
        "park_service_coverage_500m": [50.0] * 11 + [120.0],
        "mystery_column": [1.0] * 12,
        "mobile_users": [7478.1] * 12,
        "road_network_density": [8.0 + i for i in range(12)],
    })
    rep = check_dataset(_ds(df, {"road_network_density": "km/km2", "pop_resident": "人"}), fw)
    by_rule = {}
    for f in rep.findings:
        by_rule.setdefault(f.rule, []).append(f)
    assert "impossible-value" in by_rule
    msgs = " | ".join(str(f) for f in by_rule["impossible-value"])
    assert "pop_resident = -5 is below the minimum 0" in msgs and "unit u11" in msgs
    assert "park_service_coverage_500m = 120 is above the maximum 100 %; a share must lie in 0–100 %" in msgs
    assert [f.column for f in by_rule["unknown-column"]] == ["mystery_column"]
    # km/km2 is the same unit as km/km²; 人 is not 万人
    assert [f.column for f in by_rule["unit-mismatch"]] == ["pop_resident"]
    assert [f.column for f in by_rule["constant-across-units"]] == ["mobile_users"]
    assert rep.excluded["mobile_users"].startswith("same value for every unit")
    nodata = {f.column: f.message for f in by_rule["no-data"]}
    assert "mobile_subscriptions_per_100" in nodata and "mobile_users (same value" in nodata["mobile_subscriptions_per_100"]
    with pytest.raises(DataError) as info:
        rep.raise_for_errors("test.csv")
    assert len(info.value.problems) == len(rep.errors) >= 3


def test_invalid_policy_missing_lists_cells(fw) -> None:
    df = pd.DataFrame({"unit_code": ["a", "b"], "year": [2020, 2020], "pop_resident": [10.0, -1.0]})
    rep = check_dataset(_ds(df), fw, invalid="missing")
    assert rep.ok
    assert rep.invalid == {"pop_resident": [1]}
    assert any("treated as missing" in str(f) for f in rep.findings)


def test_embedded_data_findings(fw) -> None:
    """The embedded data has a broadband column that is a national total and negative spending for 三沙市."""
    rep = check_dataset(load_city_macro(), fw)
    assert "broadband_users" in rep.excluded
    bad = [f for f in rep.errors if f.rule == "impossible-value"]
    assert bad and all("460300" in (f.unit or "") or f.unit is None for f in bad)
    nodata = {f.column for f in rep.findings if f.rule == "no-data"}
    assert "broadband_per_100" in nodata
    assert "gdp_per_capita" not in nodata
