"""Roll-ups with denominators, and the remediation catalogue (single source of truth).

Tiny SYNTHETIC city (tests/inventory/helpers.py); values computed by hand in the comments.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from citycheckup.errors import DataError
from citycheckup.framework.models import Framework
from citycheckup.inventory import (
    catalogue_entry,
    denominator_source,
    load_catalogue,
    problem_indicators,
    record_survey,
    register_extras,
    rollup,
)
from tests.inventory.helpers import UNIT, survey, tiny_inventory


def test_rollup_counts_records_and_quantities_over_denominators(synthetic_fw: Framework) -> None:
    rows = [
        {
            "indicator": "H-01",
            "register_id": "Q1-1",
            "sub_item": "concrete_cracks",
            "date_found": "2024-05-01",
        },
        {
            "indicator": "H-01",
            "register_id": "Q1-1",
            "sub_item": "foundation_settlement",
            "date_found": "2024-05-01",
        },
        {
            "indicator": "H-01",
            "register_id": "Q2-2",
            "sub_item": "concrete_cracks",
            "date_found": "2024-05-01",
        },
        {"indicator": "H-05", "register_id": "Q1-2", "quantity": 3, "date_found": "2024-05-01"},
        {"indicator": "H-05", "register_id": "Q2-1", "quantity": 2, "date_found": "2024-05-01"},
        {"indicator": "C-05", "register_id": "Q1", "quantity": 40, "date_found": "2024-05-01"},
        {
            "indicator": "B-06",
            "register_id": "B1",
            "road": "东风路",
            "sub_item": "lamps_broken",
            "date_found": "2024-05-01",
        },
        {
            "indicator": "B-06",
            "register_id": "B1",
            "road": "东风路",
            "sub_item": "lamps_missing",
            "date_found": "2024-05-01",
        },
        {
            "indicator": "B-06",
            "register_id": "B1",
            "road": "建设路",
            "sub_item": "lamps_missing",
            "date_found": "2024-05-01",
        },
    ]
    inv, _ = record_survey(
        tiny_inventory(), survey(synthetic_fw, rows), levels=["housing", "community", "block"]
    )
    r = rollup(inv, synthetic_fw).iloc[0]
    assert r["structural_hazard_buildings"] == 2  # Q1-1 (two sub-items) and Q2-2: two buildings
    assert r["residential_buildings"] == 4
    assert r["non_self_contained_dwellings"] == 5 and r["dwellings"] == 140  # 3 + 2 of 20+30+40+50
    assert r["parking_shortfall"] == 40  # no denominator: no denominator column for it
    assert (
        r["roads_with_lighting_problems"] == 2 and r["roads"] == 4
    )  # two roads, not three problems
    assert r["stairwell_hazard_buildings"] == 0 and r["compounds_without_kindergarten"] == 0
    assert r["compounds"] == 2 and r["communities"] == 1 and r["blocks"] == 1
    cols = list(rollup(inv, synthetic_fw).columns)
    assert (
        cols[:2] == ["unit_code", "year"] and "green_space_per_capita" not in cols
    )  # city level is not rolled up


def test_rollup_basis_open_counts_problems_open_at_year_end(synthetic_fw: Framework) -> None:
    import datetime as dt

    from citycheckup.inventory import close_problems, record_empty_survey

    rows = [
        {
            "indicator": "H-01",
            "register_id": f"Q1-{k}",
            "sub_item": "concrete_cracks",
            "date_found": "2024-05-01",
        }
        for k in (1, 2)
    ]
    inv, out = record_survey(tiny_inventory(), survey(synthetic_fw, rows), levels=["housing"])
    inv = close_problems(
        inv, [out.new[0]], date="2025-03-01", evidence="x", today=dt.date(2026, 1, 1)
    )
    inv = record_empty_survey(inv, UNIT, 2025, ["housing"])
    obs = rollup(inv, synthetic_fw).set_index("year")["structural_hazard_buildings"]
    opn = rollup(inv, synthetic_fw, basis="open").set_index("year")["structural_hazard_buildings"]
    assert list(obs) == [2, 0] and list(opn) == [2, 1]


def test_unknown_denominator_column_is_an_error_naming_the_fix(synthetic_fw: Framework) -> None:
    fw = synthetic_fw.model_copy(deep=True)
    fw.indicator("compounds_without_kindergarten").denominator = "children_under_6"
    assert denominator_source(fw.indicator("compounds_without_kindergarten")) == (
        "compound",
        "children_under_6",
    )
    assert [c.name for c in register_extras(fw, "compound")] == ["children_under_6"]
    inv, _ = record_survey(
        tiny_inventory(),
        survey(fw, [{"indicator": "C-03", "register_id": "Q1", "date_found": "2024-05-01"}]),
        levels=["community"],
    )
    with pytest.raises(DataError, match="the compound register has no column 'children_under_6'"):
        rollup(inv, fw)
    regs = inv.registers
    regs["compound"] = regs["compound"].assign(children_under_6=[30.0, 45.0] * 2)
    r = rollup(inv.copy(registers=regs), fw).iloc[0]
    assert r["children_under_6"] == 75 and r["compounds_without_kindergarten"] == 1
    regs["compound"].loc[0, "children_under_6"] = None
    with pytest.raises(DataError, match=r"empty for 1 record\(s\) \(Q1\)"):
        rollup(inv.copy(registers=regs), fw)


def test_missing_register_of_a_surveyed_year_is_an_error(synthetic_fw: Framework) -> None:
    inv, _ = record_survey(
        tiny_inventory(years=(2024,)),
        survey(
            synthetic_fw, [{"indicator": "B-10", "register_id": "B1", "date_found": "2024-05-01"}]
        ),
        levels=["block"],
    )
    regs = dict(inv.registers)
    regs["block"] = regs["block"].iloc[0:0]
    with pytest.raises(DataError, match="no block register for 2024"):
        rollup(inv.copy(registers=regs), synthetic_fw)


def test_located_problem_indicators_exclude_coverage_rates(fw: Framework) -> None:
    inds = problem_indicators(fw)
    assert inds and all(i.kind == "lower" and not i.formula and i.level != "city" for i in inds)
    coverage = [i for i in fw.indicators if i.level == "block" and i.formula]
    assert not {i.code for i in coverage} & {i.code for i in inds}


def test_every_located_indicator_of_the_framework_has_a_countable_denominator(
    fw: Framework,
) -> None:
    """Framework-driven: each denominator is a register count or a register column the workbook asks for."""
    for ind in problem_indicators(fw):
        src = denominator_source(ind)
        if src is None:
            continue
        reg, col = src
        if col is not None:
            from citycheckup.inventory import REGISTER_COLUMNS

            names = {c.name for c in REGISTER_COLUMNS[reg]} | {
                c.name for c in register_extras(fw, reg)
            }
            assert col in names, (ind.code, src)


def test_catalogue_lookup_order_and_deadlines(tmp_path: Path) -> None:
    cat = load_catalogue()
    assert catalogue_entry(cat, "anything", mohurd_id="H-01")["remediation"] == "time_limited"
    assert catalogue_entry(cat, "anything", mohurd_id="H-01")["deadline_days"] == 365
    assert (
        catalogue_entry(cat, "anything", mohurd_id="H-03")["deadline_days"] is None
    )  # best effort
    assert catalogue_entry(cat, "no_such")["measure_zh"] == cat["default"]["measure_zh"]
    f = tmp_path / "c.yaml"
    f.write_text(
        "deadline_days:\n  time_limited: 90\nindicators:\n  H-03:\n    remediation: time_limited\n"
        "    sub_items:\n      ebike_charging: {deadline_days: 30, department_zh: 消防救援支队}\n"
        "  my_code:\n    measure_zh: 专门措施\n",
        encoding="utf-8",
    )
    mine = load_catalogue(f)
    assert catalogue_entry(mine, "x", mohurd_id="H-01")["deadline_days"] == 90
    assert catalogue_entry(mine, "x", mohurd_id="H-03")["deadline_days"] == 90
    e = catalogue_entry(mine, "x", mohurd_id="H-03", sub_item="ebike_charging")
    assert (
        e["deadline_days"] == 30
        and e["department_zh"] == "消防救援支队"
        and e["remediation"] == "time_limited"
    )
    assert (
        catalogue_entry(mine, "my_code", mohurd_id="H-03")["measure_zh"] == "专门措施"
    )  # code before MOHURD id
    assert (
        load_catalogue()["deadline_days"]["time_limited"] == 365
    )  # the default is not changed by an edit


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("indicators:\n  x:\n    remediation: someday\n", "remediation must be one of"),
        (
            "indicators:\n  x:\n    deadline_days: 0\n",
            "deadline_days must be a whole number of days ≥ 1",
        ),
        ("indicators:\n  x:\n    deadline_days: 1.5\n", "deadline_days must be a whole number"),
        (
            "deadline_days:\n  time_limited: null\n",
            "a time-limited (限时解决) entry needs a deadline",
        ),
        ("deadline_days:\n  urgent: 3\n", "unknown remediation type 'urgent'"),
        ("- a list\n", "expected a mapping"),
    ],
)
def test_catalogue_errors(tmp_path: Path, text: str, message: str) -> None:
    f = tmp_path / "c.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=__import__("re").escape(message)):
        load_catalogue(f)


def test_diagnosis_reads_the_same_catalogue() -> None:
    from citycheckup.diagnosis import REMEDIATION_TYPES as D_TYPES
    from citycheckup.diagnosis import load_remediation_mapping
    from citycheckup.inventory import REMEDIATION_TYPES

    assert load_remediation_mapping() == load_catalogue() and D_TYPES is REMEDIATION_TYPES
    assert "H-01" in load_remediation_mapping()["indicators"]
    assert (
        "dwellings_structural_hazard" in load_catalogue()["indicators"]
    )  # people-city-2025 codes kept


def test_problem_keeps_the_plan_of_its_catalogue_entry(
    synthetic_fw: Framework, tmp_path: Path
) -> None:
    f = tmp_path / "c.yaml"
    f.write_text(
        "indicators:\n  H-01:\n    deadline_days: 10\n    department_zh: 区住建局\n",
        encoding="utf-8",
    )
    inv, _ = record_survey(
        tiny_inventory(),
        survey(
            synthetic_fw,
            [
                {
                    "indicator": "H-01",
                    "register_id": "Q1-1",
                    "sub_item": "concrete_cracks",
                    "date_found": "2024-05-01",
                }
            ],
        ),
        catalogue=load_catalogue(f),
    )
    p = inv.problems.iloc[0]
    assert p["deadline"] == pd.Timestamp("2024-05-11") and p["department_zh"] == "区住建局"
    assert p["remediation"] == "time_limited"
