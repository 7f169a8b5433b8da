"""Roll-up helpers on hand-made SYNTHETIC tables (issue 18, mutation run of ``inventory``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from citycheckup.errors import DataError
from citycheckup.framework.models import Framework
from citycheckup.inventory import denominator_source, record_survey, rollup
from citycheckup.inventory._rollup import _record_counts
from tests.inventory.helpers import UNIT, survey, tiny_inventory


def _sub(rows: list[tuple[str, object, object]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["register_id", "road", "quantity"])


def test_record_counts_empty_is_zero() -> None:
    assert _record_counts(_sub([])) == 0.0


def test_record_counts_counts_records_once_without_quantities() -> None:
    """Q1-1 listed twice (two sub-items) and Q2-2 once, no quantities: 2 records."""
    sub = _sub([("Q1-1", None, np.nan), ("Q1-1", None, np.nan), ("Q2-2", None, np.nan)])
    assert _record_counts(sub) == 2.0


def test_record_counts_sums_quantities_per_record() -> None:
    """A: 3 + 2 = 5; B: one row without a quantity and one with 4 → 4 (a record with any
    quantity counts its quantities); C: no quantity → 1. Total 5 + 4 + 1 = 10."""
    sub = _sub([("A", None, 3), ("A", None, 2), ("B", None, np.nan), ("B", None, 4),
                ("C", None, np.nan)])  # fmt: skip
    assert _record_counts(sub) == 10.0


def test_record_counts_roads_are_separate_records() -> None:
    """Block B1 on 东风路 (twice) and on 建设路: two road records; a missing road and an empty
    road are the same record (both the empty key)."""
    sub = _sub([("B1", "东风路", np.nan), ("B1", "东风路", np.nan), ("B1", "建设路", np.nan)])
    assert _record_counts(sub) == 2.0
    assert _record_counts(_sub([("B1", None, np.nan), ("B1", "", np.nan)])) == 1.0
    # the separator keeps "B1"+"1X" apart from "B11"+"X"
    assert _record_counts(_sub([("B1", "1X", np.nan), ("B11", "X", np.nan)])) == 2.0


def test_denominator_source_extra_overrides_and_none(synthetic_fw: Framework) -> None:
    ind = synthetic_fw.indicator("structural_hazard_buildings")
    assert ind.denominator == "residential_buildings"
    assert denominator_source(ind) == ("building", None)
    assert denominator_source(ind, {"residential_buildings": ("compound", "n")}) == (
        "compound",
        "n",
    )
    no_den = synthetic_fw.indicator("parking_shortfall")
    assert no_den.denominator is None and denominator_source(no_den) is None


H01 = {"indicator": "H-01", "register_id": "Q1-1", "sub_item": "concrete_cracks",
       "date_found": "2024-05-10"}  # fmt: skip


def test_rollup_refuses_an_unknown_basis(synthetic_fw: Framework) -> None:
    inv, _ = record_survey(tiny_inventory(), survey(synthetic_fw, [H01]), levels=["housing"])
    with pytest.raises(DataError, match="basis must be 'observed' or 'open', got 'bogus'"):
        rollup(inv, synthetic_fw, basis="bogus")  # type: ignore[arg-type]


def test_rollup_filters_unit_and_years(synthetic_fw: Framework) -> None:
    """One survey (2024, housing) of the tiny city: H-01 at building Q1-1 → 1 of 4 buildings.
    Another city or another year selects nothing (an empty table with the same columns);
    levels not surveyed stay missing."""
    inv, _ = record_survey(tiny_inventory(), survey(synthetic_fw, [H01]), levels=["housing"])
    full = rollup(inv, synthetic_fw)
    assert full[["unit_code", "year"]].values.tolist() == [[UNIT, 2024]]
    assert full["year"].dtype == np.int64
    assert full.loc[0, "structural_hazard_buildings"] == 1.0
    assert full.loc[0, "residential_buildings"] == 4.0
    assert np.isnan(full.loc[0, "parking_shortfall"])  # compound level not surveyed
    assert rollup(inv, synthetic_fw, unit_code=UNIT, years=[2024]).equals(full)
    other = rollup(inv, synthetic_fw, unit_code="110000")
    assert other.empty and list(other.columns) == list(full.columns)
    assert rollup(inv, synthetic_fw, years=[2025]).empty


B06 = {"indicator": "B-06", "register_id": "B1", "sub_item": "lamps_broken", "road": "东风路",
       "date_found": "2024-06-01"}  # fmt: skip


def test_rollup_counts_a_surveyed_level_after_an_unsurveyed_one(synthetic_fw: Framework) -> None:
    """Only the block level surveyed: the housing and community indicators (earlier in the
    framework) are missing, the block indicators after them are still counted: one road with a
    lighting problem (东风路 of B1), no old block to renew (0, not missing); denominators of the
    block level only (blocks = 1 record of the tiny block register)."""
    from citycheckup.inventory import record_survey as rec

    inv, _ = rec(tiny_inventory(), survey(synthetic_fw, [B06]), levels=["block"])
    r = rollup(inv, synthetic_fw).iloc[0]
    assert np.isnan(r["structural_hazard_buildings"]) and np.isnan(r["parking_shortfall"])
    assert r["roads_with_lighting_problems"] == 1.0
    assert r["old_blocks_to_renew"] == 0.0
    assert r["blocks"] == 1.0
    assert "residential_buildings" not in r.index or np.isnan(r["residential_buildings"])


def test_rollup_lists_every_missing_register(synthetic_fw: Framework) -> None:
    """Housing and block surveyed in 2026 (nothing found), but the tiny inventory holds registers
    of 2024 and 2025 only: both the building and the block register are named, not just the
    first."""
    from citycheckup.inventory import record_empty_survey

    inv = record_empty_survey(tiny_inventory(), UNIT, 2026, ["housing", "block"])
    with pytest.raises(DataError) as err:
        rollup(inv, synthetic_fw, years=[2026])
    msg = str(err.value)
    assert msg.startswith("the roll-up cannot count every denominator")
    assert (
        "no building register for 2026: cannot count 'residential_buildings' (the denominator "
        "of structural_hazard_buildings, stairwell_hazard_buildings); import the register of "
        "that year" in msg
    )
    assert "no block register for 2026" in msg
    assert f"city {UNIT} year 2026" in msg


def test_rollup_refuses_a_denominator_counted_two_ways(synthetic_fw: Framework) -> None:
    """Two indicators name the same denominator variable ``floor_area`` (not a built-in source)
    but are located in different registers (buildings, compounds): it would be summed from two
    registers, so the roll-up refuses before counting anything."""
    from citycheckup.inventory import Inventory

    d = synthetic_fw.model_dump()
    for dim in d["dimensions"]:
        for ind in dim["indicators"]:
            if ind["code"] in ("structural_hazard_buildings", "parking_shortfall"):
                ind["denominator"] = "floor_area"
    fw = Framework.model_validate(d)
    with pytest.raises(DataError) as err:
        rollup(Inventory(), fw)
    msg = str(err.value)
    assert msg.startswith("denominators cannot be counted from the registers")
    assert (
        "denominator 'floor_area' is counted two ways: ('building', 'floor_area') and "
        "('compound', 'floor_area')" in msg
    )
    assert "indicator parking_shortfall" in msg
