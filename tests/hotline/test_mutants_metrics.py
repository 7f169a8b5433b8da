"""``hotline.metrics.rates``: percent scaling, grouping, missing values and the default as_of
(survivors of the mutation run on hotline/metrics.py, docs/testing.md).

Hand-made requests, deadline D = 2025-03-03 10:00 (naive UTC); counts derived in comments.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from citycheckup.hotline.metrics import rates

D = pd.Timestamp("2025-03-03 10:00:00")
AS_OF = pd.Timestamp("2025-04-01")


def _request(**kw: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "requested_at": D - pd.Timedelta(hours=3),
        "state": "closed",
        "dispatched_at": D - pd.Timedelta(hours=2),
        "first_response_at": D - pd.Timedelta(hours=1),
        "response_due_at": D,
        "resolved_at": D,
        "expected_at": D + pd.Timedelta(days=1),
        "solved": True,
        "solved_source": "department",
        "satisfaction": None,
        "reopen_count": 0,
        "district": "东城区",
    }
    row.update(kw)
    return row


def test_percent_scales_every_rate() -> None:
    # 4 resolved requests: 2 solved, 2 not (resolution 2/4); 1 reopened (reopen 1/4);
    # all responded and resolved on time (1.0); satisfaction 1 of 2 rated satisfied (1/2)
    rows = [
        _request(solved=True, satisfaction="satisfied"),
        _request(solved=True, reopen_count=2, satisfaction="dissatisfied"),
        _request(solved=False),
        _request(solved=False),
    ]
    share = rates(pd.DataFrame(rows), by=(), as_of=AS_OF).iloc[0]
    pct = rates(pd.DataFrame(rows), by=(), as_of=AS_OF, percent=True).iloc[0]
    expected = {"response_rate": 1.0, "resolution_rate": 0.5, "satisfaction_rate": 0.5,
                "ontime_rate": 1.0, "reopen_rate": 0.25}  # fmt: skip
    for col, v in expected.items():
        assert share[col] == pytest.approx(v), col
        assert pct[col] == pytest.approx(100 * v), col
    assert share["share_citizen_assessed"] == 0.0  # a share, never scaled


def test_missing_reopen_count_is_not_a_reopening() -> None:
    r = rates(pd.DataFrame([_request(reopen_count=None)]), by=(), as_of=AS_OF).iloc[0]
    assert r["n_reopened"] == 0 and r["reopen_rate"] == 0.0


def test_without_grouping_one_row_and_no_index_column() -> None:
    out = rates(pd.DataFrame([_request()]), by=(), as_of=AS_OF)
    assert len(out) == 1 and out.columns[0] == "n_requests"
    assert "index" not in out.columns


def test_groups_sorted_and_missing_group_kept() -> None:
    # districts given as 西城区, None, 东城区 -> groups "(none)", 东城区, 西城区 (sorted), none lost
    rows = [_request(district="西城区"), _request(district=None), _request(district="东城区")]
    out = rates(pd.DataFrame(rows), by=("district",), as_of=AS_OF)
    assert out["district"].tolist() == sorted(["西城区", "(none)", "东城区"])
    assert out["n_requests"].tolist() == [1, 1, 1]


def test_default_as_of_is_now() -> None:
    # never answered, due in 2025: by now (after 2025) it is due and late -> rate 0 / 1 = 0
    r = rates(pd.DataFrame([_request(first_response_at=pd.NaT)]), by=()).iloc[0]
    assert r["n_response_due"] == 1 and r["response_rate"] == 0.0
