"""The three rates, on-time and reopen rates (analytic oracles), indicator table, hotspots."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from citycheckup.errors import HotlineError
from citycheckup.hotline import (
    emerging_hotspots,
    haversine_m,
    indicator_table,
    rates,
    spatial_hotspots,
)

T0 = pd.Timestamp("2026-03-02 01:00")  # naive UTC = 09:00 in Beijing
H = pd.Timedelta(hours=1)


def _row(**kw):  # type: ignore[no-untyped-def]
    base = {
        "requested_at": T0,
        "state": "rated",
        "dispatched_at": T0,
        "first_response_at": T0 + H,
        "response_due_at": T0 + 2 * H,
        "resolved_at": T0 + 24 * H,
        "expected_at": T0 + 48 * H,
        "solved": True,
        "solved_source": "citizen",
        "satisfaction": "satisfied",
        "reopen_count": 0,
        "district": "A1区",
        "department": "D1",
        "category": "环境保护",
    }
    base.update(kw)
    return base


@pytest.fixture
def frame() -> pd.DataFrame:
    rows = [
        _row(),  # all good
        _row(first_response_at=T0 + 3 * H, satisfaction="basically_satisfied"),  # late response
        _row(
            resolved_at=T0 + 72 * H, solved=False, satisfaction="unsatisfied", reopen_count=1
        ),  # late, unsolved
        _row(state="resolved", satisfaction=None, solved=True, solved_source="department"),
        _row(
            state="dispatched",
            first_response_at=None,
            resolved_at=None,
            solved=None,
            satisfaction=None,
        ),  # response overdue
        _row(
            state="dispatched",
            first_response_at=None,
            resolved_at=None,
            solved=None,
            satisfaction=None,
            response_due_at=pd.Timestamp("2100-01-01"),
        ),  # not yet due
        _row(state="duplicate", satisfaction=None, solved=None),  # excluded
        _row(state="rejected", satisfaction=None, solved=None),  # excluded
        _row(district="A2区"),
    ]
    return pd.DataFrame(rows)


def test_rates_match_hand_counts(frame: pd.DataFrame) -> None:
    r = rates(frame, by=["district"], as_of=pd.Timestamp("2026-04-01"))
    a1 = r.set_index("district").loc["A1区"]
    assert (a1.n_requests, a1.n_duplicate, a1.n_rejected, a1.n_valid) == (8, 1, 1, 6)
    # response: due = 5 (rows 0-4; row 5 not yet due), on time = rows 0, 2, 3
    assert (a1.n_response_due, a1.n_responded_on_time) == (5, 3)
    assert a1.response_rate == pytest.approx(3 / 5)
    # resolution: assessed rows 0-3 (3 citizen, 1 department), solved 0, 1, 3
    assert (a1.n_assessed, a1.n_solved) == (4, 3)
    assert a1.resolution_rate == pytest.approx(0.75)
    assert a1.share_citizen_assessed == pytest.approx(0.75)
    # satisfaction: rated rows 0-2, satisfied + basically satisfied = 2
    assert a1.satisfaction_rate == pytest.approx(2 / 3)
    # on time: resolved rows 0-3, row 2 late
    assert a1.ontime_rate == pytest.approx(3 / 4)
    assert a1.reopen_rate == pytest.approx(1 / 4)
    a2 = r.set_index("district").loc["A2区"]
    assert a2.response_rate == a2.satisfaction_rate == a2.ontime_rate == 1.0


def test_empty_denominators_are_missing_not_zero(frame: pd.DataFrame) -> None:
    only_dup = frame[frame["state"] == "duplicate"]
    r = rates(only_dup, by=["district"], percent=True)
    assert r.loc[0, "n_valid"] == 0
    assert all(
        math.isnan(r.loc[0, c])
        for c in ("response_rate", "resolution_rate", "satisfaction_rate", "ontime_rate")
    )


def test_month_grouping_uses_local_time(frame: pd.DataFrame) -> None:
    f = frame.copy()
    f.loc[0, "requested_at"] = pd.Timestamp("2026-02-28 17:00")  # 01:00 on 1 March in Beijing
    r = rates(f, by=["month"], as_of=pd.Timestamp("2026-04-01"))
    assert list(r["month"]) == ["2026-03"]
    r_utc = rates(f, by=["month"], timezone="UTC", as_of=pd.Timestamp("2026-04-01"))
    assert list(r_utc["month"]) == ["2026-02", "2026-03"]
    with pytest.raises(HotlineError, match="cannot group by"):
        rates(f, by=["planet"])
    with pytest.raises(HotlineError, match="needs the columns"):
        rates(f.drop(columns=["state"]))


def test_indicator_table_for_checkup_run(frame: pd.DataFrame) -> None:
    t = indicator_table(frame, unit_column="district", as_of=pd.Timestamp("2026-04-01"))
    assert list(t.columns) == [
        "unit_name",
        "year",
        "hotline_response_rate",
        "hotline_resolution_rate",
        "hotline_satisfaction_rate",
        "hotline_ontime_rate",
    ]
    row = t.set_index("unit_name").loc["A1区"]
    assert row.year == 2026 and row.hotline_response_rate == pytest.approx(60.0)
    assert row.hotline_ontime_rate == pytest.approx(75.0)
    city = indicator_table(frame, unit_code="110000", as_of=pd.Timestamp("2026-04-01"))
    assert list(city.columns)[:2] == ["unit_code", "year"] and len(city) == 1
    assert city[[c for c in city.columns if c.startswith("hotline_")]].stack().between(0, 100).all()
    with pytest.raises(HotlineError, match="needs unit_column"):
        indicator_table(frame)


def test_rates_from_a_store(store, keys) -> None:  # type: ignore[no-untyped-def]
    from citycheckup.hotline.store import SYSTEM, NewRequest

    admin = store.authenticate(keys["admin"])
    t = dt.datetime(2026, 3, 2, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    ids = [
        store.create_request(NewRequest("bus", address_id=str(i), requested_at=t), admin).id
        for i in range(4)
    ]
    for rid in ids[:3]:
        store.transition(rid, "accept", SYSTEM, at=t + dt.timedelta(hours=1))
        store.transition(rid, "resolve", SYSTEM, at=t + dt.timedelta(days=1))
    store.transition(
        ids[0], "rate", SYSTEM, at=t + dt.timedelta(days=2), solved=True, satisfaction="satisfied"
    )
    store.transition(
        ids[1],
        "rate",
        SYSTEM,
        at=t + dt.timedelta(days=2),
        solved=False,
        satisfaction="unsatisfied",
    )
    r = rates(store.dataframe(), by=["category"], as_of=pd.Timestamp("2026-04-01"), percent=True)
    row = r.iloc[0]
    assert row.category == "交通运输"
    assert row.response_rate == pytest.approx(75.0)  # 3 of 4 within 2 h; the 4th never answered
    assert row.satisfaction_rate == pytest.approx(50.0)
    assert row.ontime_rate == pytest.approx(100.0)


# ------------------------------------------------------------------------------ hotspots
def test_haversine() -> None:
    # one degree of latitude ≈ 111.2 km
    assert haversine_m(0, 0, 1, 0) == pytest.approx(111_195, rel=1e-3)
    assert haversine_m(39.9, 116.4, 39.9, 116.4) == 0


def _cluster_frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    hot = pd.DataFrame(
        {
            "lat": 39.90 + rng.normal(0, 0.0005, 30),
            "long": 116.40 + rng.normal(0, 0.0005, 30),
            "category": "环境保护",
        }
    )
    spread = pd.DataFrame(
        {
            "lat": 39.8 + rng.uniform(0, 0.3, 30),
            "long": 116.2 + rng.uniform(0, 0.4, 30),
            "category": "环境保护",
        }
    )
    other = pd.DataFrame({"lat": [39.95] * 6, "long": [116.45] * 6, "category": "交通运输"})
    return pd.concat([hot, spread, other], ignore_index=True)


@pytest.mark.parametrize("method", ["hex", "dbscan"])
def test_spatial_hotspots_find_the_planted_cluster(method: str) -> None:
    df = _cluster_frame()
    spots = spatial_hotspots(df, method=method, size_m=300, min_count=5)  # type: ignore[arg-type]
    top = spots.iloc[0]
    assert top.category == "环境保护" and top["count"] >= 20
    assert haversine_m(top.lat, top.long, 39.90, 116.40) < 300
    assert ((spots.category == "交通运输") & (spots["count"] == 6)).any()
    assert spots["count"].min() >= 5


def test_spatial_hotspots_edge_cases() -> None:
    empty = spatial_hotspots(pd.DataFrame({"lat": [np.nan], "long": [np.nan], "category": ["x"]}))
    assert empty.empty and "count" in empty.columns
    with pytest.raises(HotlineError, match="needs columns"):
        spatial_hotspots(pd.DataFrame({"lat": [1.0]}))
    with pytest.raises(HotlineError, match="unknown hotspot method"):
        spatial_hotspots(_cluster_frame(), method="kde")  # type: ignore[arg-type]


def test_emerging_hotspots_flag_a_jump() -> None:
    end = pd.Timestamp("2026-03-29")
    rows = []
    for week in range(1, 5):  # 3 a week of noise for 4 weeks, then 15 in the latest week
        rows += [
            {"requested_at": end - pd.Timedelta(days=7 * week + 1), "category": "环境保护"}
        ] * 3
        rows += [
            {"requested_at": end - pd.Timedelta(days=7 * week + 1), "category": "交通运输"}
        ] * 4
    rows += [{"requested_at": end - pd.Timedelta(days=1), "category": "环境保护"}] * 15
    rows += [{"requested_at": end - pd.Timedelta(days=1), "category": "交通运输"}] * 5
    em = emerging_hotspots(pd.DataFrame(rows), as_of=end).set_index("category")
    assert bool(em.loc["环境保护", "emerging"]) and em.loc["环境保护", "ratio"] == pytest.approx(5)
    assert not bool(em.loc["交通运输", "emerging"])
