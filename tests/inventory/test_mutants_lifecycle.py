"""The problem lifecycle's pure helpers on hand-made SYNTHETIC event tables (issue 18, mutation run).

Every expected status below is read off the events listed next to it by hand.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from citycheckup.errors import DataError
from citycheckup.framework.models import Framework
from citycheckup.inventory import (
    Inventory,
    StatusChange,
    add_projects,
    change_status,
    current_status,
    match_key,
    record_survey,
    status_at,
)
from citycheckup.inventory._lifecycle import _id_prefix, _s
from tests.inventory.helpers import UNIT, survey, tiny_inventory

# P1: found 2024-05-01, in_progress 2024-06-01, to_project 2024-06-01 (same day, recorded after:
#     seq 3), closed 2024-09-30.
# P2: found 2024-05-01, to_project (project X) 2024-05-10, in_progress 2024-07-01 (the project
#     stays the one of the last to_project event).
# P3: found 2024-12-31 only.
EVENTS = pd.DataFrame(
    [
        ("P1", "found", "2024-05-01", 1, None, None),
        ("P1", "to_project", "2024-06-01", 3, None, "Y"),
        ("P1", "in_progress", "2024-06-01", 2, None, None),
        ("P1", "closed", "2024-09-30", 4, "验收单 7", None),
        ("P2", "found", "2024-05-01", 1, None, None),
        ("P2", "to_project", "2024-05-10", 2, None, "X"),
        ("P2", "in_progress", "2024-07-01", 3, None, None),
        ("P3", "found", "2024-12-31", 1, None, None),
    ],
    columns=["problem_id", "status", "date", "seq", "evidence", "project_id"],
)


def _st(when: object) -> dict[str, tuple[str, str, object]]:
    s = status_at(EVENTS, when)  # type: ignore[arg-type]
    return {
        str(pid): (r["status"], r["date"].strftime("%Y-%m-%d"),
                   None if pd.isna(r["project_id"]) else r["project_id"])
        for pid, r in s.iterrows()
    }  # fmt: skip


def test_status_at_the_end_of_a_day_includes_that_days_events() -> None:
    """2024-06-01: P1's two events of that day count, in recorded order (seq 2 then 3), so its
    status is to_project (project Y), not in_progress although it is listed last."""
    assert _st("2024-06-01") == {
        "P1": ("to_project", "2024-06-01", "Y"),
        "P2": ("to_project", "2024-05-10", "X"),
    }


def test_status_at_just_before_and_after_a_closing() -> None:
    assert _st("2024-09-29")["P1"][0] == "to_project"  # day before the closing
    assert _st("2024-09-30")["P1"] == ("closed", "2024-09-30", "Y")  # on the day
    assert _st(dt.date(2024, 10, 1))["P1"][0] == "closed"


def test_status_at_keeps_the_project_of_the_last_to_project_event() -> None:
    """P2 went to project X and then back to in_progress: the project is still X."""
    assert _st("2024-07-01")["P2"] == ("in_progress", "2024-07-01", "X")


def test_status_at_leaves_out_problems_without_an_event_yet() -> None:
    assert set(_st("2024-12-30")) == {"P1", "P2"}
    assert set(_st(pd.Timestamp("2024-12-31"))) == {"P1", "P2", "P3"}
    assert _st("2024-12-31")["P3"] == ("found", "2024-12-31", None)


def test_status_at_before_any_event_is_empty_with_columns() -> None:
    s = status_at(EVENTS, "2024-04-30")
    assert s.empty and list(s.columns) == ["status", "date", "evidence", "project_id"]
    assert s.index.name == "problem_id"


def test_current_status_is_the_latest_event() -> None:
    s = current_status(EVENTS)
    assert s["status"].to_dict() == {"P1": "closed", "P2": "in_progress", "P3": "found"}
    assert s.loc["P1", "evidence"] == "验收单 7"
    assert s.loc["P1", "project_id"] == "Y" and s.loc["P2", "project_id"] == "X"
    assert pd.isna(s.loc["P3", "project_id"])


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, ""), (float("nan"), ""), (pd.NA, ""), ("Q1", "Q1"), (7, "7"), (0, "0"), ("", "")],
)
def test_key_part(value: object, expected: str) -> None:
    assert _s(value) == expected


def test_match_key_uses_the_road_only_for_road_problems() -> None:
    row = {"unit_code": "429902", "indicator": "B-06", "register_id": "B1",
           "sub_item": "lamps_missing", "road": "东风路", "located_in": "road"}  # fmt: skip
    assert match_key(row) == ("429902", "B-06", "B1", "lamps_missing", "东风路")
    assert match_key({**row, "located_in": "block"}) == (
        "429902",
        "B-06",
        "B1",
        "lamps_missing",
        "",
    )
    # missing parts are empty strings, not "None"/"nan"
    assert match_key({"unit_code": 429902, "indicator": "H-01", "register_id": "Q1-1",
                      "sub_item": np.nan}) == ("429902", "H-01", "Q1-1", "", "")  # fmt: skip


def test_id_prefix() -> None:
    """Problem IDs start with unit, indicator key without hyphens and year."""
    assert _id_prefix("429902", "H-01", 2024) == "429902-H01-2024-"


# -- the project library ---------------------------------------------------------------------------
def _project(**kw: object) -> dict[str, object]:
    return {"project_id": "R1", "unit_code": "429902", "name_zh": "整治项目", "year": 2025, **kw}


@pytest.mark.parametrize("year", [1990, 2100, "2025", 2025.0])
def test_add_projects_year_bounds_accepted(year: object) -> None:
    inv = add_projects(Inventory(), [_project(year=year)])
    assert inv.projects["year"].tolist() == [int(float(year))]  # type: ignore[arg-type]


@pytest.mark.parametrize("year", [1989, 2101, "soon"])
def test_add_projects_year_bounds_refused(year: object) -> None:
    with pytest.raises(DataError) as err:
        add_projects(Inventory(), [_project(year=year)])
    assert str(err.value).startswith("1 problem(s) in the projects")
    assert f"year {year!r} must be a year such as 2025" in str(err.value)
    assert "project R1" in str(err.value)


@pytest.mark.parametrize("money", [0, 0.0, "12.5", float("nan"), None])
def test_add_projects_investment_accepted(money: object) -> None:
    inv = add_projects(Inventory(), [_project(investment_10k_yuan=money)])
    got = inv.projects["investment_10k_yuan"]
    assert str(got.dtype) == "float64"
    if money in (None,) or (isinstance(money, float) and np.isnan(money)):
        assert got.isna().all()
    else:
        assert got.tolist() == [float(money)]  # type: ignore[arg-type]


@pytest.mark.parametrize("money", [-0.01, "a lot", [1]])
def test_add_projects_investment_refused(money: object) -> None:
    with pytest.raises(DataError) as err:
        add_projects(Inventory(), [_project(investment_10k_yuan=money)])
    assert f"investment_10k_yuan {money!r} must be a number ≥ 0 (万元)" in str(err.value)


@pytest.mark.parametrize("field", ["project_id", "unit_code", "name_zh", "year"])
@pytest.mark.parametrize("blank", [None, float("nan"), "  "])
def test_add_projects_required_fields(field: str, blank: object) -> None:
    """Each required field missing, NaN or blank is named; the row is then called by its
    project_id, or by its number (#1) when the project_id itself is missing."""
    with pytest.raises(DataError) as err:
        add_projects(Inventory(), [_project(**{field: blank})])
    msg = str(err.value)
    assert f"{field} is required" in msg
    assert ("project #1" if field == "project_id" and blank is None else "project ") in msg


def test_add_projects_duplicates_named_once_and_replacement() -> None:
    with pytest.raises(DataError) as err:
        add_projects(
            Inventory(), [_project(), _project(name_zh="另一个"), _project(project_id="R2")]
        )
    msg = str(err.value)
    assert msg.startswith("1 problem(s) in the projects")
    assert msg.count("the same project_id is given twice; keep one") == 1
    # the same ID in another city is another project
    two = add_projects(Inventory(), [_project(), _project(unit_code="110000")])
    assert sorted(two.projects["unit_code"]) == ["110000", "429902"]
    # a project of an existing ID replaces the old one (same city only)
    again = add_projects(two, [_project(name_zh="新名字", year=2026)])
    rows = again.projects.sort_values("unit_code")[["unit_code", "name_zh", "year"]]
    assert rows.values.tolist() == [["110000", "整治项目", 2025], ["429902", "新名字", 2026]]
    assert add_projects(Inventory(), pd.DataFrame([_project(unit_code=429902)])).projects[
        "unit_code"
    ].tolist() == ["429902"]


# -- recording surveys -----------------------------------------------------------------------------
H01 = {"indicator": "H-01", "register_id": "Q1-1", "sub_item": "concrete_cracks",
       "date_found": "2024-05-10"}  # fmt: skip
H03 = {"indicator": "H-03", "register_id": "Q2-1", "sub_item": "corridor_clutter",
       "date_found": "2024-05-11"}  # fmt: skip


def test_record_survey_rows_events_and_survey_counts(synthetic_fw: Framework) -> None:
    """2024: H-01 at Q1-1 and H-03 at Q2-1 (housing), block level surveyed with nothing found.
    Expected: two new problems numbered 0001 per indicator; one ``found`` event each (seq 1,
    dated the day found, note "field survey 2024"); survey rows housing 2 records/2 new/0 matched
    and block 0/0/0. 2025: H-01 seen again (matched, keeps its ID), H-03 not seen → listed in
    ``not_seen`` (still open, not closed); survey row housing 1 record, 0 new, 1 matched."""
    inv, out = record_survey(tiny_inventory(), survey(synthetic_fw, [H01, H03]),
                             levels=["housing", "block"])  # fmt: skip
    a, b = f"{UNIT}-H01-2024-0001", f"{UNIT}-H03-2024-0001"
    assert (out.new, out.matched, out.not_seen) == ([a, b], [], [])
    p = inv.problems.set_index("problem_id")
    assert p.loc[a, "first_year"] == 2024 and p.loc[a, "level"] == "housing"
    assert p.loc[a, "date_found"] == pd.Timestamp("2024-05-10") and pd.isna(p.loc[a, "recurs"])
    assert p.loc[a, "register_id"] == "Q1-1" and p.loc[a, "sub_item"] == "concrete_cracks"
    assert p.loc[a, "road"] is None or pd.isna(p.loc[a, "road"])  # not located on a road
    ev = inv.events.set_index("problem_id")
    assert ev.loc[a, ["unit_code", "seq", "status", "note"]].tolist() == [
        UNIT, 1, "found", "field survey 2024"]  # fmt: skip
    assert ev.loc[a, "date"] == pd.Timestamp("2024-05-10") and pd.isna(ev.loc[a, "evidence"])
    sv = inv.surveys.set_index("level")[["unit_code", "year", "n_records", "n_new", "n_matched"]]
    assert sv.loc["housing"].tolist() == [UNIT, 2024, 2, 2, 0]
    assert sv.loc["block"].tolist() == [UNIT, 2024, 0, 0, 0]
    obs = inv.observations
    assert sorted(obs["problem_id"]) == [a, b] and set(obs["year"]) == {2024}

    again = {**H01, "date_found": "2025-04-01"}
    inv2, out2 = record_survey(inv, survey(synthetic_fw, [again], year=2025), levels=["housing"])
    assert (out2.new, out2.matched, out2.not_seen) == ([], [a], [b])
    sv2 = inv2.surveys[inv2.surveys["year"] == 2025].set_index("level")
    assert sv2.loc["housing", ["n_records", "n_new", "n_matched"]].tolist() == [1, 0, 1]
    assert len(inv2.events) == 2  # matching adds an observation, never an event
    assert sorted(inv2.observations.loc[inv2.observations["year"] == 2025, "problem_id"]) == [a]


def test_record_survey_refusals(synthetic_fw: Framework) -> None:
    s = survey(synthetic_fw, [H01])
    with pytest.raises(DataError, match=r"problems of levels \['housing'\] that are not in "
                       r"levels=\['block'\]"):  # fmt: skip
        record_survey(tiny_inventory(), s, levels=["block"])
    two = pd.concat([s, s.assign(year=2025)], ignore_index=True)
    with pytest.raises(DataError, match=r"a survey covers one city and year; this one has cities "
                       r"\['429902'\] and years \[2024, 2025\]"):  # fmt: skip
        record_survey(tiny_inventory(), two)
    inv, _ = record_survey(tiny_inventory(), s)
    with pytest.raises(DataError, match="city 429902 already has a housing survey for 2024; "
                       r"pass replace=True \(--replace\) to record it again"):  # fmt: skip
        record_survey(inv, s)
    # replace: the earlier observation and the problem only it created are dropped first, so
    # the problem is recorded anew with the same number
    inv2, out = record_survey(inv, survey(synthetic_fw, [H03]), replace=True)
    assert out.new == [f"{UNIT}-H03-2024-0001"]
    assert inv2.problems["problem_id"].tolist() == [f"{UNIT}-H03-2024-0001"]
    assert len(inv2.surveys) == 1 and inv2.surveys["n_records"].tolist() == [1]


# -- status changes: exact messages and the event rows ---------------------------------------------
def _found(synthetic_fw: Framework) -> tuple[Inventory, str]:
    inv, _ = record_survey(tiny_inventory(), survey(synthetic_fw, [H01]), levels=["housing"])
    return inv, f"{UNIT}-H01-2024-0001"  # found 2024-05-10


def test_change_status_messages_list_every_refusal(synthetic_fw: Framework) -> None:
    """Five bad changes of one problem (found on 2024-05-10, today 2025-06-01), all reported:
    unknown status, found → found, a day before the last change, a day after today, and a
    closing without evidence."""
    inv, pid = _found(synthetic_fw)
    bad = [
        StatusChange(pid, "fixed", "2025-01-01"),
        StatusChange(pid, "found", "2025-01-01"),
        StatusChange(pid, "in_progress", "2024-05-09"),
        StatusChange(pid, "in_progress", "2025-06-02"),
        StatusChange(pid, "closed", "2025-01-01", ""),
    ]
    with pytest.raises(DataError) as err:
        change_status(inv, bad, today=dt.date(2025, 6, 1))
    msg = str(err.value)
    assert msg.startswith("5 status change(s) refused; nothing was changed")
    for text in (
        "unknown status 'fixed'; use one of found, in_progress, closed, to_project",
        "cannot go from found (发现) to found; allowed: closed, in_progress, to_project",
        "date 2024-05-09 is before the problem's last change (2024-05-10, found); dates never go "
        "back",
        "date 2025-06-02 is after today (2025-06-01)",
        "closing (销号) needs evidence: an acceptance record, photo or document number",
    ):
        assert text in msg
    for n in range(1, 6):
        assert f"change {n} ({pid})" in msg


def test_change_status_event_rows(synthetic_fw: Framework) -> None:
    """found (seq 1) → to_project R1 on 2024-06-01 (seq 2, project R1) → closed on 2024-06-01
    (the same day is allowed; seq 3; evidence kept; project_id only on to_project events)."""
    inv, pid = _found(synthetic_fw)
    inv = add_projects(inv, [{"project_id": "R1", "unit_code": UNIT, "name_zh": "项目",
                              "year": 2024}])  # fmt: skip
    today = dt.date(2024, 6, 1)
    inv = change_status(inv, [StatusChange(pid, "to_project", "2024-06-01", project_id="R1",
                                           note="并入项目", actor="张三")], today=today)  # fmt: skip
    inv = change_status(inv, [StatusChange(pid, "closed", dt.date(2024, 6, 1), "验收单 1",
                                           project_id="R1")], today=today)  # fmt: skip
    ev = inv.events[inv.events["problem_id"] == pid].reset_index(drop=True)
    assert ev["seq"].tolist() == [1, 2, 3]
    assert ev["status"].tolist() == ["found", "to_project", "closed"]
    assert ev.loc[1, ["unit_code", "note", "actor", "project_id"]].tolist() == [
        UNIT, "并入项目", "张三", "R1"]  # fmt: skip
    assert pd.isna(ev.loc[1, "evidence"])
    assert ev.loc[2, "evidence"] == "验收单 1" and pd.isna(ev.loc[2, "project_id"])
    assert ev.loc[2, "date"] == pd.Timestamp("2024-06-01")
    # several changes in one call are applied in order, each seeing the one before
    inv2, pid2 = _found(synthetic_fw)
    inv2 = change_status(inv2, [StatusChange(pid2, "in_progress", "2024-05-10"),
                                StatusChange(pid2, "closed", "2024-05-11", " 照片 ")],
                         today=today)  # fmt: skip
    assert current_status(inv2.events).loc[pid2, "status"] == "closed"
    assert inv2.events["seq"].tolist() == [1, 2, 3]


def test_new_ids_follow_the_key_order_not_the_row_order(synthetic_fw: Framework) -> None:
    """Two H-01 problems at Q2-2 and Q1-1. Numbering follows (indicator, register ID, sub-item,
    road): Q1-1 is 0001 and Q2-2 is 0002, also when the validated survey's rows are handed over
    in the opposite order."""
    rows = [{**H01, "register_id": "Q2-2"}, H01]
    s = survey(synthetic_fw, rows)
    for frame in (s, s.iloc[::-1].reset_index(drop=True)):
        inv, out = record_survey(tiny_inventory(), frame, levels=["housing"])
        ids = inv.problems.set_index("register_id")["problem_id"].to_dict()
        assert ids == {"Q1-1": f"{UNIT}-H01-2024-0001", "Q2-2": f"{UNIT}-H01-2024-0002"}
        assert out.new == [f"{UNIT}-H01-2024-0001", f"{UNIT}-H01-2024-0002"]


def test_new_ids_of_road_problems_follow_the_road_order(synthetic_fw: Framework) -> None:
    """Two lighting problems of block B1 that differ only by road: 东风路 (U+4E1C) sorts before
    建设路 (U+5EFA), so 东风路 is 0001 whatever the row order."""
    rows = [{**B06_ROAD, "road": "建设路"}, B06_ROAD]
    s = survey(synthetic_fw, rows)
    for frame in (s, s.iloc[::-1].reset_index(drop=True)):
        inv, _ = record_survey(tiny_inventory(), frame, levels=["block"])
        ids = inv.problems.set_index("road")["problem_id"].to_dict()
        assert ids == {"东风路": f"{UNIT}-B06-2024-0001", "建设路": f"{UNIT}-B06-2024-0002"}


B06_ROAD = {"indicator": "B-06", "register_id": "B1", "sub_item": "lamps_broken",
            "road": "东风路", "date_found": "2024-06-01"}  # fmt: skip
