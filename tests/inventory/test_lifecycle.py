"""Problem lifecycle: persistent IDs, allowed status changes, history, and every date boundary.

Uses the tiny SYNTHETIC city of tests/inventory/helpers.py and the synthetic test framework.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

from citycheckup.errors import DataError
from citycheckup.framework.models import Framework
from citycheckup.inventory import (
    StatusChange,
    add_projects,
    change_status,
    close_problems,
    current_status,
    deadline_for,
    follow_up,
    link_project,
    record_empty_survey,
    record_survey,
    start_remediation,
    status_at,
)
from tests.inventory.helpers import UNIT, survey, tiny_inventory

H01 = {
    "indicator": "H-01",
    "register_id": "Q1-1",
    "sub_item": "concrete_cracks",
    "date_found": "2024-05-10",
}
H03 = {
    "indicator": "H-03",
    "register_id": "Q2-1",
    "sub_item": "corridor_clutter",
    "date_found": "2024-05-11",
}
B06 = {
    "indicator": "B-06",
    "register_id": "B1",
    "sub_item": "lamps_broken",
    "road": "东风路",
    "date_found": "2024-06-01",
}


def _one(fw: Framework, rows: list[dict[str, object]], year: int = 2024):  # type: ignore[no-untyped-def]
    inv, out = record_survey(
        tiny_inventory(), survey(fw, rows, year=year), levels=["housing", "block"]
    )
    return inv, out


def test_ids_are_deterministic_and_do_not_depend_on_row_order(synthetic_fw: Framework) -> None:
    a, _ = _one(synthetic_fw, [H01, H03, B06])
    b, _ = _one(synthetic_fw, [B06, H03, H01])
    assert (
        sorted(a.problems["problem_id"])
        == sorted(b.problems["problem_id"])
        == [f"{UNIT}-B06-2024-0001", f"{UNIT}-H01-2024-0001", f"{UNIT}-H03-2024-0001"]
    )
    assert list(a.events["status"]) == ["found"] * 3


def test_the_same_problem_keeps_its_id_next_year_and_a_new_one_is_numbered_on(
    synthetic_fw: Framework,
) -> None:
    inv, _ = _one(synthetic_fw, [H01, B06])
    again = [
        {**H01, "date_found": "2025-06-01"},
        {**B06, "date_found": "2025-06-01"},
        {**H01, "register_id": "Q1-2", "date_found": "2025-06-01"},
    ]
    inv2, out = record_survey(
        inv, survey(synthetic_fw, again, year=2025), levels=["housing", "block"]
    )
    assert out.matched == [f"{UNIT}-B06-2024-0001", f"{UNIT}-H01-2024-0001"]
    assert out.new == [f"{UNIT}-H01-2025-0001"]
    assert len(inv2.observations) == 5 and len(inv2.problems) == 3


def test_another_sub_item_or_road_is_another_problem(synthetic_fw: Framework) -> None:
    inv, _ = _one(synthetic_fw, [H01, B06])
    other = [
        {**H01, "sub_item": "foundation_settlement", "date_found": "2025-06-01"},
        {**B06, "road": "建设路", "date_found": "2025-06-01"},
    ]
    _, out = record_survey(inv, survey(synthetic_fw, other, year=2025), levels=["housing", "block"])
    assert out.matched == [] and len(out.new) == 2
    assert sorted(out.not_seen) == [f"{UNIT}-B06-2024-0001", f"{UNIT}-H01-2024-0001"]


def test_a_problem_seen_again_after_closing_is_new_and_names_the_old_one(
    synthetic_fw: Framework,
) -> None:
    inv, _ = _one(synthetic_fw, [H01])
    pid = f"{UNIT}-H01-2024-0001"
    inv = close_problems(
        inv, [pid], date="2025-03-01", evidence="验收单 17", today=dt.date(2025, 3, 2)
    )
    # seen on the day it was closed: the problem was closed at the end of that day → new
    inv2, out = record_survey(
        inv,
        survey(synthetic_fw, [{**H01, "date_found": "2025-03-01"}], year=2025),
        levels=["housing"],
    )
    assert out.new == [f"{UNIT}-H01-2025-0001"] and out.matched == []
    assert inv2.problems.set_index("problem_id").at[f"{UNIT}-H01-2025-0001", "recurs"] == pid
    # seen the day before it was closed: still the same problem
    inv3, out = record_survey(
        inv,
        survey(synthetic_fw, [{**H01, "date_found": "2025-02-28"}], year=2025),
        levels=["housing"],
    )
    assert out.matched == [pid] and out.new == []


def test_status_changes_follow_the_lifecycle_and_keep_history(synthetic_fw: Framework) -> None:
    inv, _ = _one(synthetic_fw, [H01, H03])
    a, b = f"{UNIT}-H01-2024-0001", f"{UNIT}-H03-2024-0001"
    today = dt.date(2025, 12, 31)
    inv = start_remediation(inv, [a], date="2024-07-01", today=today)
    inv = add_projects(
        inv, [{"project_id": "R1", "unit_code": UNIT, "name_zh": "整治项目", "year": 2025}]
    )
    inv = link_project(inv, "R1", [b], date="2024-08-01", today=today)
    inv = close_problems(inv, [a, b], date="2025-02-01", evidence="验收记录", today=today)
    assert list(inv.events.loc[inv.events["problem_id"] == a, "status"]) == [
        "found",
        "in_progress",
        "closed",
    ]
    assert list(inv.events.loc[inv.events["problem_id"] == b, "status"]) == [
        "found",
        "to_project",
        "closed",
    ]
    assert list(inv.events.loc[inv.events["problem_id"] == a, "seq"]) == [1, 2, 3]
    cur = current_status(inv.events)
    assert (
        cur.at[a, "status"] == "closed" and cur.at[b, "project_id"] == "R1"
    )  # the project still holds it
    assert status_at(inv.events, "2024-07-31").at[a, "status"] == "in_progress"
    assert status_at(inv.events, "2024-06-30").at[a, "status"] == "found"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (StatusChange("nope", "closed", "2025-01-01", "x"), "no problem 'nope'"),
        (
            StatusChange(f"{UNIT}-H01-2024-0001", "closed", "2025-01-01"),
            "closing (销号) needs evidence",
        ),
        (
            StatusChange(f"{UNIT}-H01-2024-0001", "closed", "2025-01-01", "   "),
            "closing (销号) needs evidence",
        ),
        (
            StatusChange(f"{UNIT}-H01-2024-0001", "found", "2025-01-01"),
            "cannot go from in_progress (整治中) to found",
        ),
        (StatusChange(f"{UNIT}-H01-2024-0001", "fixed", "2025-01-01"), "unknown status 'fixed'"),
        (
            StatusChange(f"{UNIT}-H01-2024-0001", "closed", "2024-12-31", "x"),
            "before the problem's last change",
        ),
        (StatusChange(f"{UNIT}-H01-2024-0001", "closed", "2025-06-02", "x"), "after today"),
        (
            StatusChange(f"{UNIT}-H01-2024-0001", "to_project", "2025-01-01", project_id="R9"),
            "project 'R9' is not",
        ),
        (StatusChange(f"{UNIT}-H01-2024-0001", "closed", "2025-13-01", "x"), "is not a date"),
    ],
)
def test_refused_changes_name_the_problem_and_change_nothing(
    synthetic_fw: Framework, change: StatusChange, message: str
) -> None:
    inv, _ = _one(synthetic_fw, [H01])
    with pytest.raises(DataError, match=re.escape(message)) as ei:
        change_status(
            inv,
            [StatusChange(f"{UNIT}-H01-2024-0001", "in_progress", "2025-01-01"), change],
            today=dt.date(2025, 6, 1),
        )
    assert "change 2 (" in str(ei.value) and "nothing was changed" in str(ei.value)
    assert list(inv.events["status"]) == ["found"]


def test_date_boundaries_of_status_changes(synthetic_fw: Framework) -> None:
    inv, _ = _one(synthetic_fw, [H01])
    pid = f"{UNIT}-H01-2024-0001"
    found = dt.date(2024, 5, 10)
    # on the day found (at the boundary) is allowed; the day before is not
    ok = start_remediation(inv, [pid], date=found, today=found)  # today == date: allowed
    assert current_status(ok.events).at[pid, "status"] == "in_progress"
    with pytest.raises(DataError, match="before the problem's last change"):
        start_remediation(inv, [pid], date=found - dt.timedelta(days=1), today=found)
    with pytest.raises(DataError, match="after today"):
        start_remediation(inv, [pid], date=found + dt.timedelta(days=1), today=found)
    # a closed problem stays closed
    closed = close_problems(ok, [pid], date=found, evidence="当日整改", today=found)
    with pytest.raises(DataError, match="a closed problem stays closed"):
        start_remediation(closed, [pid], date=found, today=found)


def test_deadline_boundaries() -> None:
    assert deadline_for("2024-03-01", 365) == pd.Timestamp("2025-03-01")  # 2024 is a leap year
    assert deadline_for("2023-03-01", 365) == pd.Timestamp("2024-02-29")
    assert deadline_for("2024-03-01", None) is None


def _followed(synthetic_fw: Framework, closed_on: str | None, found: str = "2024-05-10"):  # type: ignore[no-untyped-def]
    inv, _ = _one(synthetic_fw, [{**H01, "date_found": found}])
    pid = f"{UNIT}-H01-2024-0001"
    if closed_on is not None:
        inv = close_problems(inv, [pid], date=closed_on, evidence="x", today=dt.date(2030, 1, 1))
    return follow_up(inv, 2025, unit_code=UNIT), pid


@pytest.mark.parametrize(
    ("closed_on", "open_at_start", "closed_in_year"),
    [
        ("2024-12-31", 0, 0),  # closed the day before the year: not open at its start
        ("2025-01-01", 1, 1),  # closed on the first day: open at the start, closed in the year
        ("2025-12-31", 1, 1),  # closed on the last day: counted
        ("2026-01-01", 1, 0),  # closed the day after: not counted
        (None, 1, 0),
    ],
)
def test_follow_up_period_boundaries(
    synthetic_fw: Framework, closed_on: str | None, open_at_start: int, closed_in_year: int
) -> None:
    fu, _ = _followed(synthetic_fw, closed_on)
    row = fu.summary.set_index("level").loc["all"]
    assert (row["open_at_start"], row["closed"]) == (open_at_start, closed_in_year)
    assert fu.rate(UNIT) == (None if open_at_start == 0 else 100.0 * closed_in_year)


def test_found_on_the_first_day_of_the_year_belongs_to_that_year(synthetic_fw: Framework) -> None:
    inv, _ = _one(synthetic_fw, [{**H01, "date_found": "2024-12-31"}])
    assert len(follow_up(inv, 2025, unit_code=UNIT).table) == 1
    inv2, _ = _one(synthetic_fw, [{**H01, "date_found": "2025-01-01"}], year=2025)
    assert follow_up(inv2, 2025, unit_code=UNIT).table.empty
    assert len(follow_up(inv2, 2026, unit_code=UNIT).table) == 1


@pytest.mark.parametrize(
    ("closed_on", "on_time"),
    [
        ("2025-05-09", True),  # a day before the deadline
        ("2025-05-10", True),  # on the deadline (found 2024-05-10 + 365 days)
        ("2025-05-11", False),  # a day late
    ],
)
def test_on_time_boundaries(synthetic_fw: Framework, closed_on: str, on_time: bool) -> None:
    fu, pid = _followed(synthetic_fw, closed_on)
    row = fu.table.set_index("problem_id").loc[pid]
    assert row["deadline"] == pd.Timestamp("2025-05-10")
    assert bool(row["on_time"]) is on_time and not row["overdue"]


@pytest.mark.parametrize(
    ("end", "overdue"), [("2025-05-09", False), ("2025-05-10", False), ("2025-05-11", True)]
)
def test_overdue_boundaries(synthetic_fw: Framework, end: str, overdue: bool) -> None:
    inv, _ = _one(synthetic_fw, [H01])
    fu = follow_up(inv, 2025, unit_code=UNIT, end=end)
    assert bool(fu.table["overdue"].iloc[0]) is overdue


def test_best_effort_problems_have_no_deadline_and_are_never_overdue(
    synthetic_fw: Framework,
) -> None:
    inv, _ = _one(synthetic_fw, [H03])  # H-03 is 尽力解决 in the catalogue
    fu = follow_up(inv, 2030, unit_code=UNIT)
    row = fu.table.iloc[0]
    assert row["remediation"] == "best_effort" and pd.isna(row["deadline"]) and not row["overdue"]


def test_transferred_problems_count_as_stated(synthetic_fw: Framework) -> None:
    inv, _ = _one(synthetic_fw, [H01, H03, B06])
    inv = add_projects(
        inv, [{"project_id": "R1", "unit_code": UNIT, "name_zh": "项目", "year": 2025}]
    )
    today = dt.date(2026, 1, 1)
    inv = link_project(inv, "R1", [f"{UNIT}-H03-2024-0001"], date="2025-02-01", today=today)
    inv = close_problems(
        inv, [f"{UNIT}-H01-2024-0001"], date="2025-03-01", evidence="x", today=today
    )
    assert follow_up(inv, 2025, unit_code=UNIT).rate(UNIT) == pytest.approx(100 / 3)  # 1 of 3
    assert follow_up(inv, 2025, unit_code=UNIT, transferred="exclude").rate(UNIT) == pytest.approx(
        50.0
    )  # 1 of 2
    assert follow_up(inv, 2025, unit_code=UNIT, transferred="done").rate(UNIT) == pytest.approx(
        200 / 3
    )  # 2 of 3
    with pytest.raises(DataError, match="transferred must be"):
        follow_up(inv, 2025, transferred="maybe")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="ends .* before it starts"):
        follow_up(inv, 2025, start="2025-06-01", end="2025-05-31")


def test_a_second_survey_of_the_same_year_is_refused_or_replaced(synthetic_fw: Framework) -> None:
    inv, _ = _one(synthetic_fw, [H01, H03])
    s2 = survey(synthetic_fw, [H03, {**H01, "register_id": "Q2-2"}])
    with pytest.raises(DataError, match="already has a housing survey for 2024"):
        record_survey(inv, s2, levels=["housing"])
    inv = start_remediation(
        inv, [f"{UNIT}-H03-2024-0001"], date="2024-06-01", today=dt.date(2025, 1, 1)
    )
    inv2, out = record_survey(inv, s2, levels=["housing"], replace=True)
    # H03 has later history and is kept (matched); the H01 at Q1-1 only came from the old survey
    assert out.matched == [f"{UNIT}-H03-2024-0001"]
    assert set(inv2.problems["register_id"]) == {"Q2-1", "Q2-2"}
    assert len(inv2.observations) == 2
    assert sorted(inv2.surveys["level"]) == [
        "block",
        "housing",
    ]  # the housing survey replaced, not added


def test_a_survey_that_found_nothing_gives_zero_not_missing(synthetic_fw: Framework) -> None:
    from citycheckup.inventory import rollup

    inv = record_empty_survey(tiny_inventory(), UNIT, 2024, ["housing"])
    r = rollup(inv, synthetic_fw).iloc[0]
    assert r["structural_hazard_buildings"] == 0 and r["residential_buildings"] == 4
    assert pd.isna(r["old_blocks_to_renew"])  # block level not surveyed
    with pytest.raises(DataError, match="record_empty_survey"):
        record_survey(inv, survey(synthetic_fw, [H01]).iloc[0:0])


def test_projects_are_validated(synthetic_fw: Framework) -> None:
    inv = tiny_inventory()
    with pytest.raises(DataError) as ei:
        add_projects(
            inv,
            [
                {"project_id": "R1", "unit_code": UNIT, "year": 2025, "investment_10k_yuan": -5},
                {"project_id": "R1", "unit_code": UNIT, "name_zh": "x", "year": "soon"},
            ],
        )
    msg = str(ei.value)
    assert (
        "name_zh is required" in msg and "must be a number ≥ 0" in msg and "must be a year" in msg
    )
    assert "given twice" in msg
