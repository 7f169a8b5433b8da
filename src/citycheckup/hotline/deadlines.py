"""Deadlines in minutes, hours, calendar days or mainland working days (工作日).

Working days come from ``chinese-calendar``: public holidays are off and make-up
workdays (调休上班, often a Saturday or Sunday) are on. The package only knows the
years whose State Council schedule has been published (2004–2026 in 1.11.0) and
raises ``NotImplementedError`` for any other year; ``unknown_year`` chooses what
happens then.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from functools import lru_cache
from typing import Literal

from citycheckup.errors import HotlineError
from citycheckup.hotline.catalogue import Deadline

__all__ = ["UnknownYearPolicy", "deadline_after", "is_workday"]

logger = logging.getLogger(__name__)

UnknownYearPolicy = Literal["weekdays", "raise"]
_warned_years: set[int] = set()


@lru_cache(maxsize=4096)
def _cc_is_workday(day: dt.date) -> bool | None:
    try:
        import chinese_calendar
    except ImportError:  # pragma: no cover - chinese-calendar is in the hotline extra
        return None
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def is_workday(day: dt.date, *, unknown_year: UnknownYearPolicy = "weekdays") -> bool:
    """Whether ``day`` is a mainland working day.

    Parameters
    ----------
    day
        The calendar date.
    unknown_year
        For a year chinese-calendar has no schedule for: ``"weekdays"`` treats
        Monday–Friday as working days (and logs a warning once per year);
        ``"raise"`` raises :class:`HotlineError`.
    """
    known = _cc_is_workday(day)
    if known is not None:
        return known
    if unknown_year == "raise":
        raise HotlineError(
            f"chinese-calendar has no holiday schedule for {day.year}; upgrade it "
            "(`pip install -U chinese-calendar`) or use unknown_year='weekdays'"
        )
    if day.year not in _warned_years:
        _warned_years.add(day.year)
        logger.warning(
            "no holiday schedule for %d in chinese-calendar; counting Monday-Friday as working "
            "days (upgrade chinese-calendar once the State Council publishes the schedule)",
            day.year,
        )
    return day.weekday() < 5


def deadline_after(
    start: dt.datetime,
    deadline: Deadline,
    *,
    timezone: str = "Asia/Shanghai",
    unknown_year: UnknownYearPolicy = "weekdays",
) -> dt.datetime:
    """The moment ``deadline`` runs out for a request received at ``start``.

    Parameters
    ----------
    start
        Time of receipt (timezone-aware; naive times are taken as UTC).
    deadline
        The time limit.
    timezone
        IANA zone in which calendar and working days are counted.
    unknown_year
        Policy for years without a holiday schedule; see :func:`is_workday`.

    Returns
    -------
    datetime.datetime
        Timezone-aware, in ``timezone``.

    Notes
    -----
    ``N workdays``: the same local clock time on the N-th working day after the day
    of receipt (a request received on a holiday starts counting from the next working
    day as well). ``N days``: N × 24 hours of local calendar time.

    Examples
    --------
    >>> import datetime as dt
    >>> from citycheckup.hotline.catalogue import Deadline
    >>> tz = dt.timezone(dt.timedelta(hours=8))
    >>> deadline_after(dt.datetime(2025, 9, 30, 10, 0, tzinfo=tz), Deadline(1, "workdays")).date()
    datetime.date(2025, 10, 9)
    """
    zone = zoneinfo.ZoneInfo(timezone)
    if start.tzinfo is None:
        start = start.replace(tzinfo=dt.UTC)
    local = start.astimezone(zone)
    if deadline.unit == "minutes":
        return local + dt.timedelta(minutes=deadline.amount)
    if deadline.unit == "hours":
        return local + dt.timedelta(hours=deadline.amount)
    if deadline.unit == "days":
        return local + dt.timedelta(days=deadline.amount)
    day = local.date()
    left = deadline.amount
    while left > 0:
        day += dt.timedelta(days=1)
        if is_workday(day, unknown_year=unknown_year):
            left -= 1
    return dt.datetime.combine(day, local.timetz()).replace(tzinfo=zone)
