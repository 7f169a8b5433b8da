"""The published figures of 宜昌 2025 embedded in the package, against an independent reading.

The reference is the project's research note ``../shared/reference/china_checkup_indicators.md``
(written from the notes that summarise 宜昌's published 2025 report, before the package table
existed): its table of MOHURD indicators gives "Yichang: <value>" for most of them, and its text
the register totals and the completion rate. Each such figure must be the package table's.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from citycheckup.data.published import yichang_2025_published, yichang_2025_table

ROW = re.compile(r"^\| ([A-Z]-\d{2}) \|.*\|([^|]*)\|\s*$")
VALUE = re.compile(
    r"(?<!from )Yichang(?: 2025)?:?\s+(≈)?([\d,.]+)(?:\s*[–-]\s*([\d,.]+))?(?:\s*%)?(?:\s*\w+\s*/\s*([\d,.]+))?"
)


def _num(s: str) -> float:
    return float(s.replace(",", ""))


def _reference(shared_data: Path) -> str:
    path = shared_data.parent / "reference" / "china_checkup_indicators.md"
    if not path.is_file():
        pytest.skip(f"reference notes not found at {path}")
    return path.read_text(encoding="utf-8")


def reference_values(text: str) -> dict[str, tuple[str, list[float]]]:
    """MOHURD id → (how the note states it: ``exact``/``approx``/``range``, the numbers)."""
    out: dict[str, tuple[str, list[float]]] = {}
    for line in text.splitlines():
        m = ROW.match(line)
        if not m:
            continue
        v = VALUE.search(m.group(2))
        if not v:
            continue
        approx, a, hi, alt = v.groups()
        if hi:
            out[m.group(1)] = ("range", [_num(a), _num(hi)])
        elif approx:
            out[m.group(1)] = ("approx", [_num(a)])
        else:
            out[m.group(1)] = ("exact", [_num(a)] + ([_num(alt)] if alt else []))
    return out


def test_the_reference_parser_reads_the_forms_the_note_uses() -> None:
    rows = "\n".join([
        "| H-01 | x | y | [V-city S1, S6 IND-HOUSE-001] Yichang 2025: 42 |",
        "| C-04 | x | y | [V-city S1] Yichang: 6,603 net / 7,482 gross |",
        "| C-05 | x | y | [V-city S1, S5] Yichang: ≈29,912 |",
        "| B-04 | x | y | [V-city S1] Yichang: 90.1–91 % |",
        "| U-02 | x | y | [V-city S1] Yichang 81.06 % |",
        "| H-07 | x | y | **absent from Yichang 2025** → version uncertainty |",
    ])  # fmt: skip
    assert reference_values(rows) == {
        "H-01": ("exact", [42.0]), "C-04": ("exact", [6603.0, 7482.0]), "C-05": ("approx", [29912.0]),
        "B-04": ("range", [90.1, 91.0]), "U-02": ("exact", [81.06]),
    }  # fmt: skip


def test_every_figure_of_the_reference_is_the_package_tables(shared_data: Path) -> None:
    ref = reference_values(_reference(shared_data))
    t = yichang_2025_table()
    t = t[(t["kind"] == "indicator") & t["value"].notna() & (t["mohurd_id"] != "")]
    by_id = t.drop_duplicates("mohurd_id").set_index("mohurd_id")["value"]
    compared = []
    for mid, (how, nums) in ref.items():
        if mid not in by_id.index:
            continue
        mine = float(by_id[mid])
        if how == "exact":
            assert any(np.isclose(mine, n) for n in nums), (mid, mine, nums)
        elif how == "approx":  # "≈29,912" against the published "2.99万"
            assert mine == pytest.approx(nums[0], rel=2e-3), (mid, mine, nums)
        else:
            assert nums[0] <= mine <= nums[1], (mid, mine, nums)
        compared.append(mid)
    assert len(compared) >= 30, compared


def test_register_totals_and_completion_rate_are_the_references(shared_data: Path) -> None:
    text = _reference(shared_data)
    assert "8,302 residential buildings, 1,075 小区, 120 社区, 16 街办" in text
    assert "Yichang: 61 % of 2024 problems fixed" in text
    t = yichang_2025_table()
    dens = t[t["kind"] == "denominator"].set_index("code")["value"]
    assert dens["residential_buildings"] == 8302 and dens["compounds"] == 1075
    assert dens["communities"] == 120 and dens["blocks"] == 16
    fu = yichang_2025_published().follow_up
    assert fu.loc[fu["level"] == "all", "rate"].tolist() == [61.0]
