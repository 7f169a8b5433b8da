"""12345 tickets → classified, located, hotspots as candidate problems: rules and boundaries.

Reference distances are built from the definition of the great-circle distance on a
sphere: a point ``d`` metres due north of another lies ``d / R`` radians of latitude
away (R = 6,371,008.8 m, the IUGG mean radius the hotline module uses too).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from pathlib import Path

import pandas as pd
import pytest

from citycheckup.errors import DataError
from citycheckup.hotline import haversine_m
from citycheckup.inventory import Inventory, StatusChange, change_status, record_survey
from citycheckup.inventory.hotline_link import (
    CANDIDATE_COLUMNS,
    OUTCOMES,
    HotlineFindings,
    HotlineMapping,
    candidate_problem_list,
    hotline_findings,
    load_hotline_mapping,
    read_boundaries,
    ticket_links,
)

R = 6_371_008.8
LAT0, LON0 = 30.60, 114.30  # community C1's register point
UNIT, YEAR = "420100", 2025


@functools.cache
def builtin_mapping() -> HotlineMapping:
    from citycheckup.framework import load_framework

    return load_hotline_mapping(fw=load_framework("mohurd-2025"))


def find(t: pd.DataFrame, inv: Inventory, unit: str, year: int, **kw: object) -> HotlineFindings:
    """:func:`hotline_findings` with the built-in mapping read once."""
    return hotline_findings(t, inv, unit, year, mapping=builtin_mapping(), **kw)  # type: ignore[arg-type]


def north(d_m: float, lat: float = LAT0) -> float:
    return lat + math.degrees(d_m / R)


def registers(block_far: bool = True) -> Inventory:
    com = pd.DataFrame(
        [
            {"unit_code": UNIT, "year": YEAR, "community_id": "C1", "name": "东湖社区",
             "block_id": "B1", "district": "武昌区", "population": 8000, "lon": LON0, "lat": LAT0},
            {"unit_code": UNIT, "year": YEAR, "community_id": "C2", "name": "西湖社区",
             "block_id": "B2", "district": "武昌区", "population": 6000, "lon": LON0 + 0.2,
             "lat": LAT0},
        ]
    )  # fmt: skip
    blk = pd.DataFrame(
        [
            {"unit_code": UNIT, "year": YEAR, "block_id": "B1", "name": "东湖街区", "district": "武昌区",
             "area_km2": 2.0, "roads": 10, "population": 20000,
             "lon": LON0 + (0.5 if block_far else 0.0), "lat": LAT0},
            {"unit_code": UNIT, "year": YEAR, "block_id": "B2", "name": "西湖街区", "district": "武昌区",
             "area_km2": 2.0, "roads": 10, "population": 20000, "lon": LON0 + 0.9, "lat": LAT0},
        ]
    )  # fmt: skip
    return Inventory().with_registers({"community": com, "block": blk})


def tickets(rows: list[dict]) -> pd.DataFrame:
    base = {
        "category": None,
        "predicted_category": None,
        "state": "received",
        "duplicate_of": None,
        "requested_at": pd.Timestamp("2025-06-01 02:00"),
    }
    df = pd.DataFrame([{**base, **r} for r in rows])
    df["id"] = range(1, len(df) + 1)
    return df


def noise_at(n: int, d_m: float = 100.0, **kw: object) -> list[dict]:
    return [{"service_code": "noise", "lat": north(d_m), "long": LON0, **kw} for _ in range(n)]


def test_builtin_mapping_loads_against_mohurd_2025() -> None:
    m = load_hotline_mapping()
    assert m.min_tickets == 5 and m.community_distance_m == 500 and m.block_distance_m == 1000
    svc = m.by_service()
    assert svc["road_damage"].indicator == "substandard_footpath_length"
    assert svc["road_damage"].sub_item_zh == "路面破损"
    assert svc["noise"].indicator is None and svc["noise"].name_en == "Noise nuisance"
    assert m.by_category()["城乡建设"].level == "community"


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"service_code": "x", "problem_type": "p", "level": "block", "indicator": "nope"},
         "is not in mohurd"),
        ({"service_code": "x", "problem_type": "p", "level": "block",
          "indicator": "substandard_footpath_length"}, "of level 'community', not 'block'"),
        ({"service_code": "x", "problem_type": "p", "level": "community",
          "indicator": "substandard_footpath_length", "sub_item": "zzz"}, "is not one of"),
        ({"service_code": "x", "problem_type": "p", "level": "community"}, "needs `name_zh`"),
        ({"service_code": "x", "problem_type": "p", "level": "city", "name_zh": "a", "name_en": "a"},
         "`level` must be one of"),
        ({"service_code": "x", "category": "c", "problem_type": "p", "level": "block",
          "name_zh": "a", "name_en": "a"}, "exactly one of"),
        ({"service_code": "noise", "problem_type": "p", "level": "block", "name_zh": "a",
          "name_en": "a"}, "already mapped"),
    ],
)  # fmt: skip
def test_bad_mapping_rules_are_named(tmp_path: Path, rule: dict, message: str) -> None:
    import yaml

    p = tmp_path / "m.yaml"
    ok = {"service_code": "noise", "problem_type": "noise", "level": "community",
          "name_zh": "噪音", "name_en": "noise"}  # fmt: skip
    p.write_text(
        yaml.safe_dump({"min_tickets": 5, "community_distance_m": 500, "block_distance_m": 1000,
                        "rules": [ok, rule]}, allow_unicode=True),
        encoding="utf-8",
    )  # fmt: skip
    with pytest.raises(DataError) as e:
        load_hotline_mapping(p)
    assert "rule 2" in str(e.value.problems[0]) and message in str(e.value.problems[0])


@pytest.mark.parametrize("value", [0, -1, 2.5, "5", None, True])
def test_bad_threshold_is_refused(value: object) -> None:
    with pytest.raises(DataError, match="min_tickets"):
        load_hotline_mapping(overrides={"min_tickets": value})


@pytest.mark.parametrize(
    ("n", "expected"), [(4, "below_threshold"), (5, "candidate"), (6, "candidate")]
)
def test_threshold_below_at_above(n: int, expected: str) -> None:
    f = find(tickets(noise_at(n)), registers(), UNIT, YEAR)
    assert set(f.tickets["outcome"]) == {expected}
    if expected == "candidate":
        (c,) = f.candidates.to_dict("records")
        assert c["n_tickets"] == n and c["register_id"] == "C1" and c["threshold"] == 5
        assert c["ticket_ids"] == ";".join(str(i) for i in range(1, n + 1))
        assert c["status"] == "candidate" and c["place_name"] == "东湖社区"
    else:
        assert f.candidates.empty and list(f.candidates.columns) == CANDIDATE_COLUMNS


def test_threshold_is_per_community_and_type() -> None:
    rows = noise_at(3) + [{"service_code": "noise", "lat": LAT0, "long": LON0 + 0.2}] * 2
    rows += [{"service_code": "garbage", "lat": LAT0, "long": LON0}] * 2
    f = find(tickets(rows), registers(), UNIT, YEAR)
    assert f.candidates.empty  # 3 + 2 noise in two communities, 2 garbage: none reaches 5
    assert f.counts()["below_threshold"] == 7


@pytest.mark.parametrize(("d_m", "located"), [(499.99, True), (500.0, True), (500.01, False)])
def test_community_distance_below_at_above(d_m: float, located: bool) -> None:
    t = tickets(noise_at(1, d_m))
    # the reference distance, from the hotline module's own scalar haversine
    assert haversine_m(north(d_m), LON0, LAT0, LON0) == pytest.approx(d_m, abs=1e-6)
    f = find(t, registers(), UNIT, YEAR)
    rec = f.tickets.iloc[0]
    if located:
        assert rec["community_id"] == "C1" and rec["outcome"] == "below_threshold"
        assert rec["community_distance_m"] == pytest.approx(d_m, abs=1e-6)
        assert rec["block_id"] == "B1"  # the block its community belongs to
    else:
        assert pd.isna(rec["community_id"]) and rec["outcome"] == "unlocated"
        assert rec["why"] == "too_far"


@pytest.mark.parametrize(("d_m", "located"), [(999.99, True), (1000.0, True), (1000.01, False)])
def test_block_distance_below_at_above(d_m: float, located: bool) -> None:
    lat_b, lon_b = LAT0, LON0 + 0.5  # block B1's point, 48 km from every community
    t = tickets([{"service_code": "road_damage_block", "lat": north(d_m, lat_b), "long": lon_b}])
    t["service_code"] = "bge_stlight_s_out"  # a block-level rule (street lighting)
    f = find(t, registers(), UNIT, YEAR)
    rec = f.tickets.iloc[0]
    assert pd.isna(rec["community_id"])
    if located:
        assert rec["block_id"] == "B1" and rec["outcome"] == "below_threshold"
    else:
        assert pd.isna(rec["block_id"]) and rec["outcome"] == "unlocated"


def test_nothing_is_dropped_every_outcome_is_listed() -> None:
    rows = noise_at(5)
    rows += [{"service_code": "noise", "lat": None, "long": None}]  # no coordinates
    rows += [{"service_code": "noise", "lat": LAT0 + 1, "long": LON0}]  # 111 km away
    rows += [{"service_code": "school", "lat": LAT0, "long": LON0}]  # not a check-up type
    rows += [{"service_code": "noise", "lat": LAT0, "long": LON0, "state": "duplicate",
              "duplicate_of": 1}]  # fmt: skip
    rows += [
        {
            "service_code": "noise",
            "lat": LAT0,
            "long": LON0,
            "requested_at": pd.Timestamp("2026-03-01"),
        }
    ]  # fmt: skip  (another period)
    f = find(tickets(rows), registers(), UNIT, YEAR)
    c = f.counts()
    assert c == {"tickets": 9, "candidate": 5, "below_threshold": 0, "unmapped": 1,
                 "unlocated": 2, "duplicate": 1}  # fmt: skip
    assert sum(c[o] for o in OUTCOMES) == c["tickets"]
    assert sorted(f.listed("unlocated")["why"]) == ["no_coordinates", "too_far"]
    assert f.listed("unmapped")["service_code"].tolist() == ["school"]
    assert f.listed("duplicate")["id"].tolist() == [9]
    with pytest.raises(ValueError, match="outcome must be one of"):
        f.listed("dropped")


def test_duplicates_do_not_reach_the_threshold() -> None:
    rows = noise_at(4) + [
        {
            "service_code": "noise",
            "lat": LAT0,
            "long": LON0,
            "state": "duplicate",
            "duplicate_of": 1,
        }
    ]
    f = find(tickets(rows), registers(), UNIT, YEAR)
    assert f.candidates.empty and f.counts()["duplicate"] == 1


def test_no_register_is_named_as_the_reason() -> None:
    f = find(tickets(noise_at(1)), Inventory(), UNIT, YEAR)
    assert f.tickets["why"].tolist() == ["no_register"]


def test_category_rule_applies_when_the_service_has_none() -> None:
    rows = [
        {"service_code": "general", "predicted_category": "城乡建设", "lat": LAT0, "long": LON0}
    ]
    rows += [{"service_code": "general", "category": "教育文体", "lat": LAT0, "long": LON0}]
    f = find(tickets(rows), registers(), UNIT, YEAR)
    assert f.tickets["matched_by"].tolist() == ["category", ""]
    assert f.tickets["problem_type"].tolist()[0] == "urban_construction_other"


def test_period_edges_in_the_city_time_zone() -> None:
    # 2025-12-31 23:59 and 2026-01-01 00:00 in Beijing time (UTC+8), 2025-01-01 00:00 too
    times = ["2025-12-31 15:59", "2025-12-31 16:00", "2024-12-31 16:00", "2024-12-31 15:59"]
    rows = [{**noise_at(1)[0], "requested_at": pd.Timestamp(t)} for t in times]
    f = find(tickets(rows), registers(), UNIT, YEAR)
    assert sorted(f.tickets["id"]) == [1, 3]
    f2 = find(
        tickets(rows), registers(), UNIT, YEAR, period=(dt.date(2025, 12, 31), dt.date(2026, 1, 1))
    )
    assert sorted(f2.tickets["id"]) == [1, 2]
    with pytest.raises(DataError, match="starts"):
        find(tickets(rows), registers(), UNIT, YEAR,
                         period=(dt.date(2025, 2, 1), dt.date(2025, 1, 1)))  # fmt: skip


def test_boundary_polygon_wins_over_the_distance(tmp_path: Path) -> None:
    import json

    d = 0.02  # a square of about 2 km around C1's point
    square = [[LON0 - d, LAT0 - d], [LON0 + d, LAT0 - d], [LON0 + d, LAT0 + d],
              [LON0 - d, LAT0 + d], [LON0 - d, LAT0 - d]]  # fmt: skip
    gj = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"community_id": "C1"},
         "geometry": {"type": "Polygon", "coordinates": [square]}}]}  # fmt: skip
    p = tmp_path / "c.geojson"
    p.write_text(json.dumps(gj), encoding="utf-8")
    polys = read_boundaries(p, "community")
    f = find(tickets(noise_at(5, 1500.0)), registers(), UNIT, YEAR, boundaries={"community": polys})
    assert f.candidates["register_id"].tolist() == ["C1"]
    assert set(f.tickets["located_by"]) == {"boundary"}
    gj["features"][0]["properties"] = {"community_id": "C9"}
    p.write_text(json.dumps(gj), encoding="utf-8")
    with pytest.raises(DataError, match="not in the community register"):
        find(tickets(noise_at(1)), registers(), UNIT, YEAR,
                         boundaries={"community": read_boundaries(p, "community")})  # fmt: skip
    with pytest.raises(DataError, match="no property block_id"):
        read_boundaries(p, "block")


def test_bad_tickets_are_refused() -> None:
    with pytest.raises(DataError, match="lack the columns"):
        find(pd.DataFrame({"id": [1]}), registers(), UNIT, YEAR)
    t = tickets(noise_at(2))
    t["id"] = [7, 7]
    with pytest.raises(DataError, match="more than once"):
        find(t, registers(), UNIT, YEAR)
    t = tickets(noise_at(1))
    t["requested_at"] = ["not a time"]
    with pytest.raises(DataError, match="no valid requested_at"):
        find(t, registers(), UNIT, YEAR)


def test_candidates_in_the_problem_list() -> None:
    f = find(tickets(noise_at(6)), registers(), UNIT, YEAR)
    pl = candidate_problem_list(f.candidates)
    (rec,) = pl.to_dict("records")
    assert rec["status"] == "candidate" and rec["source"] == "12345"
    assert rec["ticket_ids"] == "1;2;3;4;5;6" and rec["quantity"] == 6
    assert rec["community_name"] == "东湖社区" and rec["level"] == "community"


def _closed_problem(fw) -> tuple[Inventory, str]:  # type: ignore[no-untyped-def]
    ind = next(i for i in fw.indicators if i.located_in == "community" and i.sub_items)
    survey = pd.DataFrame(
        [{"unit_code": UNIT, "year": YEAR, "level": ind.level, "indicator": ind.code,
          "register": "community", "register_id": "C1", "sub_item": ind.sub_items[0].code,
          "severity": "moderate", "quantity": 1, "date_found": "2025-05-01"}]
    )  # fmt: skip
    inv, out = record_survey(registers(), survey, levels=[ind.level])
    return inv, out.new[0]


def test_closed_problem_links_to_its_tickets(fw) -> None:  # type: ignore[no-untyped-def]
    inv, pid = _closed_problem(fw)
    with pytest.raises(DataError, match="not closed"):
        ticket_links(inv, pid, [1, 2])
    inv = change_status(inv, [StatusChange(pid, "closed", "2025-11-01", evidence="验收单 12")])
    links = ticket_links(inv, pid, ["3", 1, 1], note="同一处噪音")
    assert links["ticket_id"].tolist() == [1, 3] and set(links["unit_code"]) == {UNIT}
    with pytest.raises(DataError, match="positive whole numbers"):
        ticket_links(inv, pid, ["abc", "-2"])
    with pytest.raises(DataError, match="no problem"):
        ticket_links(inv, "P-NOPE", [1])


def test_a_ticket_exactly_at_the_limit_is_located() -> None:
    """The limit equal to the computed distance to the last bit: `at` counts as within."""
    from citycheckup.framework import load_framework

    lat = north(321.0)
    exact = haversine_m(lat, LON0, LAT0, LON0)
    fw = load_framework("mohurd-2025")
    for limit, located in ((exact, True), (math.nextafter(exact, 0.0) - 1e-5, False)):
        m = load_hotline_mapping(fw=fw, overrides={"community_distance_m": limit})
        t = tickets([{"service_code": "noise", "lat": lat, "long": LON0}])
        rec = hotline_findings(t, registers(), UNIT, YEAR, mapping=m).tickets.iloc[0]
        assert (rec["community_id"] == "C1") is located, (limit, exact)


def test_a_period_without_tickets_gives_zero_counts_not_an_error() -> None:
    f = find(tickets(noise_at(1)).iloc[0:0], registers(), UNIT, YEAR)
    assert f.counts() == dict.fromkeys(["tickets", *OUTCOMES], 0)
    assert f.candidates.empty and f.rates == {} and f.satisfaction_rate is None


def test_store_and_cli_link_a_closed_problem_to_its_tickets(fw, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from citycheckup.cli import app
    from citycheckup.store import Store
    from citycheckup.store._inventory import InventoryStore

    inv, pid = _closed_problem(fw)
    survey = inv.problems.merge(inv.observations, on=["problem_id", "unit_code"])
    survey = survey.rename(columns={"date_found_y": "date_found"}).drop(columns="date_found_x")
    path = tmp_path / "s.duckdb"
    with Store(path) as st:
        ist = InventoryStore(st)
        assert ist.ticket_links().empty  # no table yet: an empty answer, not an error
        ist.import_registers(registers().registers)
        ist.record_survey(survey, levels=list(set(survey["level"])))
        (pid,) = ist.load(UNIT).problems["problem_id"]
        with pytest.raises(DataError, match="not closed"):
            ist.link_tickets(pid, [1])
    runner = CliRunner()
    r = runner.invoke(app, ["problems", "link-tickets", pid, "4", "--store", str(path)])
    assert r.exit_code == 2 and "not closed" in r.output
    r = runner.invoke(app, ["problems", "close", pid, "--evidence", "验收单 12", "--date",
                            "2025-11-01", "--store", str(path)])  # fmt: skip
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["problems", "link-tickets", pid, "4", "2", "--store", str(path)])
    assert r.exit_code == 0 and "2 ticket link(s) added" in r.output and "2, 4" in r.output
    r = runner.invoke(app, ["problems", "link-tickets", pid, "4", "9", "--store", str(path)])
    assert r.exit_code == 0 and "1 ticket link(s) added" in r.output  # 4 was linked already
    with Store(path, read_only=True) as st:
        links = InventoryStore(st).ticket_links(pid)
    assert links["ticket_id"].tolist() == [2, 4, 9] and set(links["unit_code"]) == {UNIT}
