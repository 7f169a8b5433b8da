"""Done-when of issue 15, item 5: the shared 311 data replayed through the Open311 server
(POST requests via the real app) yield candidate problems with ticket evidence in the
problem list — through the Python API, the results store and the CLI.

The city's community and block registers are a regular grid laid over Baltimore
(communities every ~1 km, blocks of 3 × 3 communities); the expected candidates are
recounted here independently, with explicit loops and the hotline module's scalar
great-circle distance.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from citycheckup.cli import app as cli_app
from citycheckup.hotline import HotlineStore, catalogue_from_mapping, haversine_m
from citycheckup.hotline.replay import load_baltimore, replay, replay_catalogue_mapping
from citycheckup.hotline.server import create_app
from citycheckup.inventory import Inventory
from citycheckup.inventory.hotline_link import (
    candidate_problem_list,
    hotline_findings,
    load_hotline_mapping,
    read_findings,
)
from citycheckup.store import Store
from citycheckup.store._inventory import InventoryStore
from tests.hotline._helpers import TestClient

UNIT, YEAR = "245100", 2018
PERIOD = (dt.date(2014, 1, 1), dt.date(2019, 12, 31))  # the whole sample
TZ = "America/New_York"


def grid_registers() -> dict[str, pd.DataFrame]:
    com, blk = [], []
    lat0, lon0, dlat, dlon = 39.19, -76.72, 0.009, 0.0116  # ~1.0 km × 1.0 km
    for i in range(22):
        for j in range(18):
            com.append({"unit_code": UNIT, "year": YEAR, "community_id": f"C{i:02d}{j:02d}",
                        "name": f"社区{i:02d}{j:02d}", "block_id": f"B{i // 3}{j // 3}",
                        "district": "D", "population": 5000,
                        "lon": round(lon0 + j * dlon, 6), "lat": round(lat0 + i * dlat, 6)})  # fmt: skip
    for bi in range(8):
        for bj in range(6):
            blk.append({"unit_code": UNIT, "year": YEAR, "block_id": f"B{bi}{bj}",
                        "name": f"街区{bi}{bj}", "district": "D", "area_km2": 9.0, "roads": 30,
                        "population": 45000,
                        "lon": round(lon0 + (3 * bj + 1) * dlon, 6),
                        "lat": round(lat0 + (3 * bi + 1) * dlat, 6)})  # fmt: skip
    return {"community": pd.DataFrame(com), "block": pd.DataFrame(blk)}


@pytest.fixture(scope="module")
def replayed(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, HotlineStore]:
    """500 Baltimore requests (400 of mapped service types, 100 others) POSTed to the app."""
    mapped = set(load_hotline_mapping().by_service())
    items = load_baltimore(shared_data / "hotline/us311/baltimore_311_sample10k.csv")
    chosen = [i for i in items if i.service_code in mapped][:400]
    chosen += [i for i in items if i.service_code not in mapped][:100]
    cat = catalogue_from_mapping(replay_catalogue_mapping(chosen), "<replay>")
    url = f"sqlite:///{tmp_path_factory.mktemp('hl') / 'hotline.db'}"
    st = HotlineStore(url, catalogue=cat)
    key = st.create_key("admin", label="replay")
    with TestClient(create_app(store=st, rate_limit_per_minute=0)) as client:
        res = replay(chosen, client, key)
    assert res.posted == 500 and st.count() == 500
    return url, st


def expected_candidates(tickets: pd.DataFrame, regs: dict[str, pd.DataFrame]) -> Counter:
    """(register, id, problem type) → tickets, recounted with loops and the scalar haversine."""
    m = load_hotline_mapping()
    svc = m.by_service()
    com = list(regs["community"].itertuples(index=False))
    blk = list(regs["block"].itertuples(index=False))
    n: Counter = Counter()
    for t in tickets.itertuples(index=False):
        rule = svc.get(t.service_code)
        if rule is None or t.state == "duplicate" or pd.isna(t.lat) or pd.isna(t.long):
            continue
        dc, c = min((haversine_m(t.lat, t.long, r.lat, r.lon), r.community_id) for r in com)
        cid = c if dc <= m.community_distance_m else None
        if rule.level == "block":
            db, b = min((haversine_m(t.lat, t.long, r.lat, r.lon), r.block_id) for r in blk)
            bid = b if db <= m.block_distance_m else None
            if bid is None and cid is not None:
                bid = next(r.block_id for r in com if r.community_id == cid)
            if bid is not None:
                n[("block", bid, rule.problem_type)] += 1
        elif cid is not None:
            n[("community", cid, rule.problem_type)] += 1
    return Counter({k: v for k, v in n.items() if v >= m.min_tickets})


@pytest.mark.shared
def test_replayed_tickets_become_candidate_problems_with_evidence(
    replayed: tuple[str, HotlineStore], tmp_path: Path
) -> None:
    url, hs = replayed
    tickets = hs.dataframe()
    regs = grid_registers()
    inv = Inventory().with_registers(regs)
    f = hotline_findings(tickets, inv, UNIT, YEAR, period=PERIOD, timezone=TZ)
    c = f.counts()
    assert c["tickets"] == 500 and sum(c[k] for k in c if k != "tickets") == 500
    mapped = set(load_hotline_mapping().by_service())
    not_dup = (tickets["state"] != "duplicate") & tickets["duplicate_of"].isna()
    assert c["duplicate"] == (~not_dup).sum() > 0
    assert c["unmapped"] == (not_dup & ~tickets["service_code"].isin(mapped)).sum() > 90
    assert c["unlocated"] > 0
    expected = expected_candidates(tickets, regs)
    got = Counter(
        {(r["register"], r["register_id"], r["problem_type"]): r["n_tickets"]
         for r in f.candidates.to_dict("records")}
    )  # fmt: skip
    assert got == expected and len(got) >= 3
    assert {"community", "block"} <= {k[0] for k in got}
    # the evidence: every ticket ID is a stored request of a service the rule maps
    svc = load_hotline_mapping().by_service()
    by_id = tickets.set_index("id")
    for rec in f.candidates.to_dict("records"):
        ids = [int(x) for x in rec["ticket_ids"].split(";")]
        assert len(ids) == rec["n_tickets"] >= 5
        for i in ids:
            assert svc[by_id.loc[i, "service_code"]].problem_type == rec["problem_type"]
    # into the problem list, through the store
    pl = candidate_problem_list(f.candidates)
    assert set(pl["status"]) == {"candidate"} and pl["ticket_ids"].str.len().min() > 0
    with Store(tmp_path / "s.duckdb") as st:
        ist = InventoryStore(st)
        ist.import_registers(regs)
        ist.record_hotline_candidates(f)
        back = ist.hotline_candidates(UNIT, YEAR)
    assert sorted(back["candidate_id"]) == sorted(f.candidates["candidate_id"])
    assert dict(zip(back["candidate_id"], back["ticket_ids"], strict=True)) == dict(
        zip(f.candidates["candidate_id"], f.candidates["ticket_ids"], strict=True)
    )


@pytest.mark.shared
def test_cli_hotline_then_problem_list_with_candidates(
    replayed: tuple[str, HotlineStore], tmp_path: Path
) -> None:
    url, hs = replayed
    store = tmp_path / "s.duckdb"
    with Store(store) as st:
        InventoryStore(st).import_registers(grid_registers())
    runner = CliRunner()
    args = ["problems", "hotline", "--unit", UNIT, "--year", str(YEAR), "--hotline-db", url,
            "--from", "2014-01-01", "--to", "2019-12-31", "--timezone", TZ,
            "--store", str(store), "--out", str(tmp_path / "out")]  # fmt: skip
    r = runner.invoke(cli_app, args)
    assert r.exit_code == 0, r.output
    cands = pd.read_csv(tmp_path / "out/hotline_candidates.csv", dtype=str)
    listed = pd.read_csv(tmp_path / "out/hotline_tickets.csv")
    assert len(listed) == 500 and set(listed["outcome"]) >= {"candidate", "unmapped", "unlocated"}
    assert f"{len(cands)} candidate problem(s)" in r.output
    back = read_findings(tmp_path / "out")
    assert back is not None and back.counts()["tickets"] == 500
    assert sorted(back.candidates["candidate_id"]) == sorted(cands["candidate_id"])
    r = runner.invoke(cli_app, ["problems", "list", "--unit", UNIT, "--year", str(YEAR),
                                "--store", str(store), "--candidates", "--format", "csv"])  # fmt: skip
    assert r.exit_code == 0, r.output
    from io import StringIO

    pl = pd.read_csv(StringIO(r.output), dtype=str)
    assert sorted(pl["problem_id"]) == sorted(cands["candidate_id"])
    assert set(pl["status"]) == {"candidate"}
    assert dict(zip(pl["problem_id"], pl["ticket_ids"], strict=True)) == dict(
        zip(cands["candidate_id"], cands["ticket_ids"], strict=True)
    )
    # a re-run replaces the year's candidates instead of adding them twice
    assert runner.invoke(cli_app, args).exit_code == 0
    with Store(store, read_only=True) as st:
        assert len(InventoryStore(st).hotline_candidates(UNIT, YEAR)) == len(cands)
    # errors name what is missing
    r = runner.invoke(cli_app, [*args[:6], "--hotline-db", f"sqlite:///{tmp_path}/none.db",
                                "--store", str(store)])  # fmt: skip
    assert r.exit_code == 2 and "no hotline database" in r.output
    r = runner.invoke(cli_app, ["problems", "hotline", "--unit", "999999", "--year", "2018",
                                "--hotline-db", url, "--store", str(store)])  # fmt: skip
    assert r.exit_code == 2 and "no community or block register" in r.output
