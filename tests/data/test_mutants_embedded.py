"""Survivors of mutation testing in :mod:`citycheckup.data.embedded` (issue 18).

The unit of each embedded column is the one its source header states in brackets
(``一般公共预算支出_教育(万元)`` → 万元), except three headers the module docstring and
``VARIABLE_MAP`` explain: 进出口总额（百万人民币） is 百万元, the shares say (%) but hold fractions,
and 互联网宽带接入用户(万人）) counts users (万户), like the mobile users.
"""

from __future__ import annotations

import re

import pytest

from citycheckup.data import load_city_macro
from citycheckup.data.embedded import VARIABLE_MAP
from citycheckup.data.units import same_unit

SPECIAL = {"trade_total": "百万元", "share_tertiary": "fraction (0–1)", "broadband_users": "万户"}


@pytest.fixture(scope="module")
def units() -> dict[str, str]:
    return load_city_macro().units


def test_every_variable_has_a_unit(units: dict[str, str]) -> None:
    assert set(units) == set(VARIABLE_MAP.values())


@pytest.mark.parametrize("header", [h for h, c in VARIABLE_MAP.items() if c not in SPECIAL])
def test_unit_is_the_headers(units: dict[str, str], header: str) -> None:
    m = re.search(r"\(([^()]+)\)$", header)
    assert m is not None
    assert same_unit(units[VARIABLE_MAP[header]], m.group(1)), (header, units[VARIABLE_MAP[header]])


def test_special_units(units: dict[str, str]) -> None:
    assert {c: units[c] for c in SPECIAL} == SPECIAL


def test_group_columns_and_one_row() -> None:
    """The descriptor columns are named province / province_code and are the groups; 宜昌
    (420500) is in 湖北省 (420000), a row per year from 2000."""
    ds = load_city_macro()
    # every unit once more, from a direct call (the module fixture links only its first test)
    for header, code in VARIABLE_MAP.items():
        m = re.search(r"\(([^()]+)\)$", header)
        stated = SPECIAL[code] if code in SPECIAL else m.group(1) if m else None
        assert stated is not None and same_unit(ds.units[code], stated), header
    assert ds.units["mobile_users"] == "万户"
    assert {c: ds.units[c] for c in SPECIAL} == SPECIAL  # exactly as spelled
    assert ds.data.columns[:5].tolist() == [
        "unit_code",
        "unit_name",
        "year",
        "province",
        "province_code",
    ]
    assert ds.groups == ["province", "province_code"]
    row = ds.data[(ds.data["unit_code"] == "420500") & (ds.data["year"] == 2000)]
    assert row[["unit_name", "province", "province_code"]].to_numpy().tolist() == [
        ["宜昌市", "湖北省", "420000"]
    ]
