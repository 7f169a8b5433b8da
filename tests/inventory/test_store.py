"""The inventory in the results store: migration, history (never an overwrite), atomic writes.

Tiny SYNTHETIC city of tests/inventory/helpers.py.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from citycheckup.errors import DataError
from citycheckup.framework.models import Framework
from citycheckup.inventory import StatusChange, rollup
from citycheckup.store import SCHEMA_VERSION, Store
from citycheckup.store._inventory import InventoryStore
from citycheckup.store._schema import MIGRATIONS
from tests.inventory.helpers import UNIT, survey, tiny_registers

TODAY = dt.date(2026, 1, 1)
H01 = {
    "indicator": "H-01",
    "register_id": "Q1-1",
    "sub_item": "concrete_cracks",
    "date_found": "2024-05-10",
}
B10 = {"indicator": "B-10", "register_id": "B1", "date_found": "2024-05-11"}


def _store(tmp_path: Path, fw: Framework) -> tuple[Store, InventoryStore, list[str]]:
    st = Store(tmp_path / "s.duckdb")
    s = InventoryStore(st)
    s.import_registers(tiny_registers(2024), source=tmp_path / "registers.csv")
    out = s.record_survey(survey(fw, [H01, B10]), levels=["housing", "block"])
    return st, s, out.new


def test_an_old_store_is_migrated_and_keeps_its_runs(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    con.execute(
        "CREATE TABLE schema_version (version INTEGER NOT NULL, applied_utc TIMESTAMP NOT NULL, "
        "description VARCHAR)"
    )
    for stmt in MIGRATIONS[1][1]:
        con.execute(stmt)
    con.execute("INSERT INTO schema_version VALUES (1, now(), 'v1')")
    con.execute("INSERT INTO runs (run_id, kind, stored_utc) VALUES ('r1', 'run', now())")
    con.close()
    with Store(db) as st:
        assert st.schema_version == SCHEMA_VERSION >= 2
        assert st.rows("SELECT run_id FROM runs") == [("r1",)]
        assert st.rows("SELECT count(*) FROM inv_events") == [(0,)]


def test_registers_are_snapshots_and_earlier_imports_stay(
    tmp_path: Path, synthetic_fw: Framework
) -> None:
    st, s, _ = _store(tmp_path, synthetic_fw)
    regs = tiny_registers(2024)
    regs["building"].loc[0, "address"] = "一号1栋（更正）"
    s.import_registers({"building": regs["building"]})
    inv = s.load(UNIT)
    assert inv.register("building", year=2024)["address"].iloc[0] == "一号1栋（更正）"
    assert len(inv.register("building", year=2024)) == 4
    assert st.rows("SELECT count(*) FROM inv_buildings") == [
        (8,)
    ]  # the first import is kept as history
    assert len(s.imports(UNIT)) == 6  # 4 register imports, 1 survey, 1 building re-import
    st.close()


def test_framework_register_columns_round_trip(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as st:
        s = InventoryStore(st)
        q = tiny_registers(2024)["compound"].assign(parking_spaces_required=[120.0, None])
        s.import_registers({"compound": q})
        got = s.load(UNIT).register("compound", year=2024)
        assert list(got["parking_spaces_required"].fillna(-1)) == [120.0, -1]


def test_every_status_change_is_a_row_and_nothing_is_overwritten(
    tmp_path: Path, synthetic_fw: Framework
) -> None:
    st, s, ids = _store(tmp_path, synthetic_fw)
    h01 = next(i for i in ids if "-H01-" in i)
    first = s.history(h01)
    s.change_status(
        [StatusChange(h01, "in_progress", "2025-01-10", note="开工", actor="区住建局")], today=TODAY
    )
    s.change_status(
        [StatusChange(h01, "closed", "2025-06-30", evidence="竣工验收单 2025-031")], today=TODAY
    )
    h = s.history(h01)
    assert list(h["status"]) == ["found", "in_progress", "closed"]
    assert h["recorded_utc"].iloc[0] == first["recorded_utc"].iloc[0]  # the first row is untouched
    assert h["actor"].iloc[1] == "区住建局" and h["evidence"].iloc[2] == "竣工验收单 2025-031"
    assert st.rows("SELECT count(*) FROM inv_problems") == [
        (2,)
    ]  # a problem row is never rewritten
    st.close()


def test_a_refused_batch_writes_nothing(tmp_path: Path, synthetic_fw: Framework) -> None:
    st, s, ids = _store(tmp_path, synthetic_fw)
    n0 = st.rows("SELECT count(*) FROM inv_events")[0][0]
    with pytest.raises(DataError, match="closing"):
        s.change_status(
            [
                StatusChange(ids[0], "in_progress", "2025-01-10"),
                StatusChange(ids[1], "closed", "2025-01-10"),
            ],
            today=TODAY,
        )
    with pytest.raises(DataError, match="no problem 'nope'"):
        s.change_status(
            [
                StatusChange(ids[0], "in_progress", "2025-01-10"),
                StatusChange("nope", "in_progress", "2025-01-10"),
            ],
            today=TODAY,
        )
    assert st.rows("SELECT count(*) FROM inv_events")[0][0] == n0
    with pytest.raises(DataError, match="already has a"):
        s.record_survey(survey(synthetic_fw, [H01]), levels=["housing"])
    assert st.rows("SELECT count(*) FROM inv_observations")[0][0] == 2
    st.close()


def test_replacing_a_survey_rewrites_its_observations(
    tmp_path: Path, synthetic_fw: Framework
) -> None:
    st, s, ids = _store(tmp_path, synthetic_fw)
    h01 = next(i for i in ids if "-H01-" in i)
    s.change_status([StatusChange(h01, "in_progress", "2024-06-01")], today=TODAY)
    again = survey(synthetic_fw, [{**H01, "severity": "severe"}, {**H01, "register_id": "Q2-1"}])
    out = s.record_survey(again, levels=["housing"], replace=True)
    assert out.matched == [h01] and len(out.new) == 1
    inv = s.load(UNIT)
    assert inv.observations.set_index("problem_id").at[h01, "severity"] == "severe"
    assert len(inv.observations) == 3  # H01 ×2 (rewritten, new) and B10
    assert list(s.history(h01)["status"]) == ["found", "in_progress"]  # history kept
    assert rollup(inv, synthetic_fw).iloc[0]["structural_hazard_buildings"] == 2
    assert s.rollup(synthetic_fw, unit_code=UNIT).equals(rollup(inv, synthetic_fw, unit_code=UNIT))
    assert "replaced an earlier survey" in set(s.imports(UNIT)["note"].dropna())
    st.close()


def test_projects_keep_every_version(tmp_path: Path, synthetic_fw: Framework) -> None:
    st, s, ids = _store(tmp_path, synthetic_fw)
    s.add_projects([{"project_id": "R1", "unit_code": UNIT, "name_zh": "项目", "year": 2025}])
    s.add_projects(
        pd.DataFrame(
            [
                {
                    "project_id": "R1",
                    "unit_code": UNIT,
                    "name_zh": "项目（调整）",
                    "year": 2026,
                    "investment_10k_yuan": 300,
                }
            ]
        ),
        actor="市更新局",
    )
    v = s.project_versions(UNIT, "R1")
    assert list(v["version"]) == [1, 2] and list(v["name_zh"]) == ["项目", "项目（调整）"]
    inv = s.load(UNIT)
    assert len(inv.projects) == 1 and inv.projects["year"].iloc[0] == 2026
    s.change_status(
        [StatusChange(i, "to_project", "2025-02-01", project_id="R1") for i in ids], today=TODAY
    )
    assert set(s.load(UNIT).events.loc[lambda e: e["status"] == "to_project", "project_id"]) == {
        "R1"
    }
    st.close()


def test_read_only_store_reads_the_inventory(tmp_path: Path, synthetic_fw: Framework) -> None:
    st, s, ids = _store(tmp_path, synthetic_fw)
    st.close()
    with Store(tmp_path / "s.duckdb", read_only=True) as ro:
        inv = InventoryStore(ro).load(UNIT)
        assert sorted(inv.problems["problem_id"]) == sorted(ids)
        with pytest.raises(Exception, match="read-only"):
            InventoryStore(ro).change_status(
                [StatusChange(ids[0], "in_progress", "2025-01-01")], today=TODAY
            )
