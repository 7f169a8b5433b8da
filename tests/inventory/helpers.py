"""A tiny SYNTHETIC city for unit tests (4 buildings, 2 compounds, 1 community, 1 block)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from citycheckup.framework.models import Framework
from citycheckup.inventory import Inventory, RawTable, validate_problems, validate_register

UNIT = "429902"


def raw(df: pd.DataFrame, source: str = "test.csv") -> RawTable:
    """Raw cells of ``df`` as if read from a CSV file (header = row 1)."""
    return RawTable(df.astype(object), source, list(range(2, len(df) + 2)))


def tiny_registers(year: int = 2024) -> dict[str, pd.DataFrame]:
    b = pd.DataFrame(
        {
            "block_id": ["B1"],
            "name": ["试验街区"],
            "district": ["甲区"],
            "roads": [4],
            "lon": [114.30],
            "lat": [30.60],
        }
    )
    c = pd.DataFrame(
        {
            "community_id": ["C1"],
            "name": ["试验社区"],
            "block_id": ["B1"],
            "lon": [114.301],
            "lat": [30.601],
        }
    )
    q = pd.DataFrame(
        {
            "compound_id": ["Q1", "Q2"],
            "name": ["一号小区", "二号小区"],
            "community_id": ["C1", "C1"],
            "block_id": ["B1", "B1"],
            "lon": [114.302, 114.303],
            "lat": [30.602, 30.603],
        }
    )
    w = pd.DataFrame(
        {
            "building_id": ["Q1-1", "Q1-2", "Q2-1", "Q2-2"],
            "address": ["一号1栋", "一号2栋", "二号1栋", "二号2栋"],
            "compound_id": ["Q1", "Q1", "Q2", "Q2"],
            "block_id": ["B1"] * 4,
            "dwellings": [20, 30, 40, 50],
            "lon": [114.3021, 114.3022, 114.3031, 114.3032],
            "lat": [30.6021, 30.6022, 30.6031, 30.6032],
        }
    )
    out = {}
    for kind, df in (("block", b), ("community", c), ("compound", q), ("building", w)):
        reg, problems = validate_register(raw(df), kind, unit_code=UNIT, year=year)
        assert problems == [], problems
        out[kind] = reg
    return out


def survey(
    fw: Framework,
    rows: list[dict[str, Any]],
    *,
    year: int = 2024,
    registers: dict[str, pd.DataFrame] | None = None,
    today: dt.date | None = None,
) -> pd.DataFrame:
    """Validated located problems from plain rows (severity 'moderate' unless given)."""
    df = pd.DataFrame([{"severity": "moderate", **r} for r in rows])
    out, problems = validate_problems(
        raw(df),
        fw,
        registers=registers or tiny_registers(year),
        unit_code=UNIT,
        year=year,
        today=today or dt.date(2030, 1, 1),
    )
    assert problems == [], problems
    return out


def tiny_inventory(years: tuple[int, ...] = (2024, 2025)) -> Inventory:
    inv = Inventory()
    for y in years:
        inv = inv.with_registers(tiny_registers(y))
    return inv
