"""Workflow table, deadlines (working days with holidays) and the catalogue."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citycheckup.errors import HotlineError
from citycheckup.hotline import Deadline, catalogue_from_mapping, deadline_after, is_workday
from citycheckup.hotline.workflow import (
    ACTIONS,
    CLOSED_STATES,
    OPEN_STATES,
    STATES,
    TRANSITIONS,
    allowed_actions,
    next_state,
    open311_status,
)

CST = dt.timezone(dt.timedelta(hours=8))


def test_table_is_closed_over_states() -> None:
    for (src, action), dst in TRANSITIONS.items():
        assert src in STATES and dst in STATES and action in ACTIONS
    assert set(STATES) == OPEN_STATES | CLOSED_STATES
    assert not OPEN_STATES & CLOSED_STATES
    for s in ("duplicate", "rejected"):
        assert allowed_actions(s) == []  # final states
    # every state is reachable from received
    seen, todo = {"received"}, ["received"]
    while todo:
        s = todo.pop()
        for a in allowed_actions(s):
            n = TRANSITIONS[(s, a)]  # type: ignore[index]
            if n not in seen:
                seen.add(n)
                todo.append(n)
    assert seen == set(STATES)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(ACTIONS), max_size=30))
def test_random_action_sequences_stay_in_the_table(actions: list[str]) -> None:
    state = "received"
    for a in actions:
        if (state, a) in TRANSITIONS:
            state = next_state(state, a)
        else:
            with pytest.raises(HotlineError, match="not allowed"):
                next_state(state, a)
        assert state in STATES
        assert open311_status(state) == ("open" if state in OPEN_STATES else "closed")


def test_next_state_errors_name_the_fix() -> None:
    with pytest.raises(HotlineError, match=r"allowed: rate, reopen"):
        next_state("resolved", "accept")
    with pytest.raises(HotlineError, match="unknown action"):
        next_state("received", "teleport")
    with pytest.raises(HotlineError, match="unknown state"):
        next_state("limbo", "accept")
    with pytest.raises(HotlineError, match=r"none \(final state\)"):
        next_state("duplicate", "reopen")


# --------------------------------------------------------------------------- deadlines
def test_workdays_skip_national_day_and_count_make_up_days() -> None:
    # 2025-09-30 (Tue) + 1 working day: 10-01..10-08 are off, 10-09 (Thu) is the next workday
    start = dt.datetime(2025, 9, 30, 10, 0, tzinfo=CST)
    assert deadline_after(start, Deadline(1, "workdays")).date() == dt.date(2025, 10, 9)
    # 2025-10-10 (Fri) + 1 working day: 10-11 (Sat) is a make-up workday
    assert deadline_after(
        dt.datetime(2025, 10, 10, 9, tzinfo=CST), Deadline(1, "workdays")
    ).date() == dt.date(2025, 10, 11)
    assert is_workday(dt.date(2025, 9, 28))  # Sunday make-up workday
    assert not is_workday(dt.date(2026, 2, 17))  # Spring Festival
    # clock time is kept, in the catalogue's zone
    d = deadline_after(dt.datetime(2026, 3, 2, 1, 30, tzinfo=dt.UTC), Deadline(2, "workdays"))
    assert (d.date(), d.hour, d.minute) == (dt.date(2026, 3, 4), 9, 30)


def test_hours_and_days_are_calendar_time() -> None:
    start = dt.datetime(2026, 1, 1, 12, tzinfo=CST)  # a holiday
    assert deadline_after(start, Deadline(24, "hours")) == start + dt.timedelta(hours=24)
    assert deadline_after(start, Deadline(3, "days")) == start + dt.timedelta(days=3)
    assert deadline_after(start, Deadline(30, "minutes")) == start + dt.timedelta(minutes=30)


def test_year_without_schedule_falls_back_or_raises(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from citycheckup.hotline import deadlines

    # the warning comes once per year and process: start from a process that has not warned
    monkeypatch.setattr(deadlines, "_warned_years", set())
    with caplog.at_level(logging.WARNING, logger="citycheckup.hotline.deadlines"):
        assert is_workday(dt.date(2099, 1, 5))  # a Monday
        assert not is_workday(dt.date(2099, 1, 3))  # a Saturday
    assert "no holiday schedule for 2099" in caplog.text
    with pytest.raises(HotlineError, match="upgrade it"):
        is_workday(dt.date(2099, 1, 5), unknown_year="raise")
    d = deadline_after(dt.datetime(2098, 12, 31, 9, tzinfo=CST), Deadline(2, "workdays"))
    assert d.date() == dt.date(2099, 1, 2)  # Wed 2098-12-31 + 2 weekdays (no schedule) = Fri


# --------------------------------------------------------------------------- catalogue
def test_builtin_catalogue(catalogue) -> None:  # type: ignore[no-untyped-def]
    assert set(catalogue.categories) == {
        "城乡建设",
        "环境保护",
        "交通运输",
        "教育文体",
        "劳动和社会保障",
        "商贸旅游",
        "卫生计生",
    }
    assert catalogue.department_for("环境保护") == "市生态环境局"
    assert catalogue.department_for("环境保护", "A1区") == "A1区生态环境分局"
    water = catalogue.services["water_outage"]
    assert catalogue.deadline_for(water, "城乡建设") == Deadline(24, "hours")
    assert catalogue.deadline_for(catalogue.services["bus"], "交通运输") == Deadline(7, "workdays")


def test_invalid_catalogue_lists_every_problem() -> None:
    bad = {
        "timezone": "Mars/Olympus",
        "confidence_threshold": 2,
        "categories": {"A": {"group": "x"}},
        "services": [
            {"service_code": "ok", "category": "missing"},
            {"service_code": "has space"},
            {"service_code": "dup"},
            {"service_code": "dup"},
            {"service_code": "t", "type": "instant", "deadline": {"amount": 0, "unit": "days"}},
            {"service_code": "a", "attributes": [{"code": "x", "datatype": "singlevaluelist"}]},
        ],
        "overrides": [{"category": "A"}],
    }
    with pytest.raises(HotlineError) as err:
        catalogue_from_mapping(bad, "bad.yaml")
    msg = str(err.value)
    for part in (
        "needs a department",
        "not in categories",
        "has space",
        "repeated",
        "realtime, batch or blackbox",
        "needs values",
        "override needs",
        "confidence_threshold",
        "Mars/Olympus",
    ):
        assert part in msg, part
    assert len(err.value.problems) >= 9


def test_load_catalogue_file_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from citycheckup.hotline import load_catalogue

    with pytest.raises(HotlineError, match="cannot read"):
        load_catalogue(tmp_path / "missing.yaml")
    p = tmp_path / "broken.yaml"
    p.write_text("services: [", encoding="utf-8")
    with pytest.raises(HotlineError, match="not valid YAML"):
        load_catalogue(p)
