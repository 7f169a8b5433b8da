"""Deadlines in the hotline rates (issue 18): exactly at the deadline is on time.

``response_rate = n_responded_on_time / n_response_due`` with
on time = first_response_at <= response_due_at, and
due = dispatched, valid, and (already responded or response_due_at <= as_of).
``ontime_rate = n_on_time / n_resolved`` with on time = resolved_at <= expected_at.
One request per case; deadline D = 2025-03-03 10:00:00 (naive UTC), one second either side.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from citycheckup.hotline.metrics import rates

D = pd.Timestamp("2025-03-03 10:00:00")
S = pd.Timedelta(seconds=1)
AS_OF = pd.Timestamp("2025-04-01")


def _request(**kw: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "requested_at": D - pd.Timedelta(hours=3),
        "state": "closed",
        "dispatched_at": D - pd.Timedelta(hours=2),
        "first_response_at": pd.NaT,
        "response_due_at": D,
        "resolved_at": pd.NaT,
        "expected_at": D + pd.Timedelta(days=5),
        "solved": None,
        "solved_source": None,
        "satisfaction": None,
        "reopen_count": 0,
    }
    row.update(kw)
    return row


def _rates(rows: list[dict[str, Any]], as_of: pd.Timestamp = AS_OF) -> pd.Series:
    return rates(pd.DataFrame(rows), by=(), as_of=as_of).iloc[0]


@pytest.mark.parametrize(
    ("responded", "on_time"),
    [(D, 1), (D - S, 1), (D + S, 0)],
    ids=["at", "just-before", "just-after"],
)
def test_response_at_the_deadline_is_on_time(responded: pd.Timestamp, on_time: int) -> None:
    r = _rates([_request(first_response_at=responded)])
    assert r["n_response_due"] == 1
    assert r["n_responded_on_time"] == on_time
    assert r["response_rate"] == float(on_time)  # 1/1 or 0/1


@pytest.mark.parametrize(
    ("resolved", "on_time"),
    [(D, 1), (D - S, 1), (D + S, 0)],
    ids=["at", "just-before", "just-after"],
)
def test_resolution_at_the_deadline_is_on_time(resolved: pd.Timestamp, on_time: int) -> None:
    r = _rates([_request(first_response_at=D - S, resolved_at=resolved, expected_at=D)])
    assert r["n_resolved"] == 1
    assert r["n_on_time"] == on_time
    assert r["ontime_rate"] == float(on_time)


def test_answered_before_due_counts_in_the_denominator() -> None:
    # as_of is before the deadline D: an answered request counts (1 due, 1 on time);
    # an unanswered one is not yet due (left out). Rate = 1 / 1, not 0 / 0 (NaN).
    r = _rates([_request(first_response_at=D - 10 * S), _request()], as_of=D - 5 * S)
    assert r["n_response_due"] == 1
    assert r["n_responded_on_time"] == 1
    assert r["response_rate"] == 1.0


@pytest.mark.parametrize(
    ("as_of", "due"),
    [(D, 1), (D - S, 0), (D + S, 1)],
    ids=["at", "just-before", "just-after"],
)
def test_unanswered_request_is_due_from_its_deadline(as_of: pd.Timestamp, due: int) -> None:
    # never answered: due once as_of reaches the deadline, then it counts as late (0 on time)
    r = _rates([_request()], as_of=as_of)
    assert r["n_response_due"] == due
    assert r["n_responded_on_time"] == 0
    if due:
        assert r["response_rate"] == 0.0
    else:
        assert pd.isna(r["response_rate"])  # 0 / 0 is missing, never 0 or 100
