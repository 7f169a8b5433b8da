"""Working days and deadlines in a year chinese-calendar has no schedule for (issue 18).

2099 has no holiday schedule, so Monday-Friday count as working days (``weekday() < 5``).
2099-01-01 is a Thursday (calendar), so: Fri 01-02 works (weekday 4, just below the cut 5),
Sat 01-03 does not (weekday 5, at the cut), Sun 01-04 does not (6, above), Mon 01-05 works.
"2 workdays" from Thu 2099-01-01 10:00 (+08:00): Fri 01-02 is the 1st, Mon 01-05 the 2nd ->
2099-01-05 10:00 +08:00, same clock time.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from citycheckup.errors import HotlineError
from citycheckup.hotline.catalogue import Deadline
from citycheckup.hotline.deadlines import deadline_after, is_workday

CST = dt.timezone(dt.timedelta(hours=8))


@pytest.mark.parametrize(
    ("day", "works"),
    [(dt.date(2099, 1, 2), True), (dt.date(2099, 1, 3), False), (dt.date(2099, 1, 4), False),
     (dt.date(2099, 1, 5), True)],
    ids=["fri-4", "sat-5", "sun-6", "mon-0"],
)  # fmt: skip
def test_weekdays_fallback(day: dt.date, works: bool) -> None:
    logging.getLogger("citycheckup.hotline.deadlines").disabled = True  # the once-per-year notice
    try:
        assert is_workday(day) is works
        assert is_workday(day, unknown_year="weekdays") is works
    finally:
        logging.getLogger("citycheckup.hotline.deadlines").disabled = False


def test_unknown_year_can_raise_with_a_fix() -> None:
    with pytest.raises(HotlineError) as info:
        is_workday(dt.date(2099, 1, 2), unknown_year="raise")
    msg = str(info.value)
    assert "no holiday schedule for 2099" in msg
    assert "pip install -U chinese-calendar" in msg and "unknown_year='weekdays'" in msg
    with pytest.raises(HotlineError):
        deadline_after(dt.datetime(2099, 1, 1, 10, tzinfo=CST), Deadline(2, "workdays"),
                       unknown_year="raise")  # fmt: skip


@pytest.mark.parametrize(
    ("amount", "expected_day"),
    [(1, dt.date(2099, 1, 2)), (2, dt.date(2099, 1, 5)), (3, dt.date(2099, 1, 6))],
)
def test_workday_deadline_skips_the_weekend(amount: int, expected_day: dt.date) -> None:
    logging.getLogger("citycheckup.hotline.deadlines").disabled = True
    try:
        got = deadline_after(dt.datetime(2099, 1, 1, 10, tzinfo=CST), Deadline(amount, "workdays"))
    finally:
        logging.getLogger("citycheckup.hotline.deadlines").disabled = False
    assert got == dt.datetime.combine(expected_day, dt.time(10), tzinfo=CST)
    assert got.utcoffset() == dt.timedelta(hours=8)  # aware, in Asia/Shanghai
