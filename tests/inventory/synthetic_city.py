"""A SYNTHETIC city for the inventory tests: registers and two years of field surveys.

Nothing here is real data. The city (code ``429901``, "合成市") has 8 blocks (街区), 30
communities (社区), 300 compounds (小区) and about 3,000 residential buildings (栋) around
an invented centre at 114.30° E, 30.60° N; positions, sizes and problems come from a
seeded generator.

The problems follow the framework given (its located-problem indicators, their
``located_in`` and sub-items), so the same city serves the test framework
``synthetic_framework.yaml`` and the built-in ``mohurd-2025``. Year one (2024) records
problems of every such indicator; during 2025 some are fixed (a few on the boundary
dates), some are being fixed, several go into one renewal project; year two (2025)
adds buildings and one compound, sees the unfixed problems again, finds new ones and
one that came back after being fixed. The ground truth (which problems are the same,
what happened to each and when) is returned so that tests compute expected values by
hand, independently of the code under test.

Run ``python tests/inventory/synthetic_city.py OUT`` to write the registers and surveys
as CSV files into ``OUT`` (with the synthetic test framework).
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from citycheckup.framework.models import Framework, Indicator

UNIT = "429901"
CENTRE = (114.30, 30.60)
PROJECT = f"{UNIT}-R2025-001"
HERE = Path(__file__).resolve().parent
#: Records drawn per indicator, by the register the problems are located in.
DRAWS = {"building": 40, "dwelling": 9, "compound": 25, "community": 3, "block": 2, "road": 5}
ROADS = ("东风路", "建设路", "解放路", "沿江路", "胜利路", "人民路")
_LOCATED_REGISTER = {
    "building": "building",
    "dwelling": "building",
    "compound": "compound",
    "community": "community",
    "block": "block",
    "road": "block",
}


@dataclass
class SyntheticCity:
    """Registers per year, survey rows per year and the ground truth of the lifecycle."""

    registers: dict[int, dict[str, pd.DataFrame]]
    surveys: dict[int, pd.DataFrame]
    truth: pd.DataFrame
    """One row per real problem: indicator (code), mohurd_id, located_in, register, register_id,
    sub_item, road, quantity, block, year_found, date_found, fate (``closed_2024``, ``closed``,
    ``in_progress``, ``project``, ``open``), closed_on, in_progress_on, project."""


def _xy(
    rng: np.random.Generator, lon: float, lat: float, spread_m: float, n: int
) -> tuple[np.ndarray, np.ndarray]:
    dx = rng.normal(0, spread_m, n) / (111_320 * np.cos(np.radians(lat)))
    dy = rng.normal(0, spread_m, n) / 110_540
    return lon + dx, lat + dy


def located_indicators(fw: Framework) -> list[Indicator]:
    """Lower-level indicators of ``fw`` that are located problems (counts: kind lower, no formula)."""
    return [
        i
        for i in fw.indicators
        if i.level in ("housing", "community", "block")
        and i.located_in in DRAWS
        and i.kind == "lower"
        and not i.formula
    ]


def _registers(rng: np.random.Generator) -> dict[int, dict[str, pd.DataFrame]]:
    blocks = []
    for b in range(8):
        blocks.append(
            {
                "block_id": f"B{b + 1:02d}",
                "name": f"合成{'东西南北中新老河'[b]}街区",
                "district": "甲区" if b < 4 else "乙区",
                "area_km2": round(float(rng.uniform(1.2, 2.8)), 2),
                "roads": int(rng.integers(6, 14)),
                "population": int(rng.integers(20_000, 60_000)),
                "lon": CENTRE[0] + (b % 4 - 1.5) * 0.016,
                "lat": CENTRE[1] + (b // 4 - 0.5) * 0.014,
            }
        )
    communities = []
    for c in range(30):
        b = blocks[c % 8]
        lon, lat = _xy(rng, b["lon"], b["lat"], 350, 1)
        communities.append(
            {
                "community_id": f"C{c + 1:03d}",
                "name": f"合成第{c + 1}社区",
                "block_id": b["block_id"],
                "district": b["district"],
                "population": int(rng.integers(4_000, 12_000)),
                "lon": float(lon[0]),
                "lat": float(lat[0]),
            }
        )
    compounds = []
    for q in range(300):
        c = communities[q % 30]
        lon, lat = _xy(rng, c["lon"], c["lat"], 180, 1)
        compounds.append(
            {
                "compound_id": f"Q{q + 1:04d}",
                "name": f"合成{q + 1}号小区",
                "community_id": c["community_id"],
                "block_id": c["block_id"],
                "district": c["district"],
                "year_built": int(rng.integers(1975, 2020)),
                "households": 0,
                "lon": float(lon[0]),
                "lat": float(lat[0]),
            }
        )
    buildings = []
    for q in compounds:
        n = int(rng.integers(7, 14))
        lon, lat = _xy(rng, q["lon"], q["lat"], 40, n)
        for k in range(n):
            buildings.append(
                {
                    "building_id": f"{q['compound_id']}-{k + 1:02d}",
                    "address": f"{q['name']}{k + 1}栋",
                    "compound_id": q["compound_id"],
                    "community_id": q["community_id"],
                    "block_id": q["block_id"],
                    "district": q["district"],
                    "year_built": q["year_built"],
                    "floors": int(rng.integers(4, 19)),
                    "dwellings": int(rng.integers(12, 121)),
                    "structure": str(rng.choice(["砖混", "框架", "剪力墙"])),
                    "lon": float(lon[k]),
                    "lat": float(lat[k]),
                }
            )
    bdf, cdf, qdf, wdf = (pd.DataFrame(x) for x in (blocks, communities, compounds, buildings))
    qdf["households"] = (
        qdf["compound_id"].map(wdf.groupby("compound_id")["dwellings"].sum()).astype(int)
    )
    # year two: 40 new buildings in existing compounds, one new compound with 6 buildings
    new_q = {
        "compound_id": "Q0301",
        "name": "合成301号小区",
        "community_id": "C001",
        "block_id": "B01",
        "district": "甲区",
        "year_built": 2024,
        "households": 0,
        "lon": CENTRE[0] - 0.02,
        "lat": CENTRE[1] - 0.006,
    }
    extra = []
    for i, qi in enumerate(rng.choice(300, 40, replace=False)):
        q = compounds[int(qi)]
        lon, lat = _xy(rng, q["lon"], q["lat"], 40, 1)
        extra.append(
            {
                "building_id": f"{q['compound_id']}-N{i + 1:02d}",
                "address": f"{q['name']}新{i + 1}栋",
                "compound_id": q["compound_id"],
                "community_id": q["community_id"],
                "block_id": q["block_id"],
                "district": q["district"],
                "year_built": 2025,
                "floors": 18,
                "dwellings": 72,
                "structure": "剪力墙",
                "lon": float(lon[0]),
                "lat": float(lat[0]),
            }
        )
    for k in range(6):
        extra.append(
            {
                "building_id": f"Q0301-{k + 1:02d}",
                "address": f"合成301号小区{k + 1}栋",
                "compound_id": "Q0301",
                "community_id": "C001",
                "block_id": "B01",
                "district": "甲区",
                "year_built": 2024,
                "floors": 26,
                "dwellings": 104,
                "structure": "剪力墙",
                "lon": new_q["lon"] + 0.0003 * k,
                "lat": new_q["lat"],
            }
        )
    wdf2 = pd.concat([wdf, pd.DataFrame(extra)], ignore_index=True)
    qdf2 = pd.concat([qdf, pd.DataFrame([new_q])], ignore_index=True)
    qdf2["households"] = (
        qdf2["compound_id"].map(wdf2.groupby("compound_id")["dwellings"].sum()).astype(int)
    )
    out = {
        2024: {"block": bdf, "community": cdf, "compound": qdf, "building": wdf},
        2025: {"block": bdf.copy(), "community": cdf.copy(), "compound": qdf2, "building": wdf2},
    }
    for y, regs in out.items():
        for df in regs.values():
            df.insert(0, "year", y)
            df.insert(0, "unit_code", UNIT)
    return out


#: Denominators the registers hold anyway; any other is a column added to the register.
BUILTIN_DENOMINATORS = {
    "residential_buildings",
    "buildings",
    "dwellings",
    "households",
    "compounds",
    "communities",
    "blocks",
    "roads",
    "roads_surveyed",
}


def _add_denominator_columns(
    fw: Framework, regs: dict[int, dict[str, pd.DataFrame]], rng: np.random.Generator
) -> None:
    """Register columns for the framework's other denominators (demand for places, km surveyed …)."""
    for ind in located_indicators(fw):
        den = ind.denominator
        if not den or den in BUILTIN_DENOMINATORS:
            continue
        reg = _LOCATED_REGISTER[str(ind.located_in)]
        for y in (2024, 2025):
            df = regs[y][reg]
            if den in df.columns:
                continue
            if ind.unit == "km":
                vals = np.round(rng.uniform(2.0, 9.0, len(df)), 2)
            else:
                vals = rng.integers(250, 1500, len(df)).astype(float)
            df[den] = (
                vals
                if y == 2024
                else np.concatenate(
                    [regs[2024][reg][den].to_numpy(), vals[len(regs[2024][reg]) :]]
                )[: len(df)]
            )


def _quantity(ind: Indicator, rng: np.random.Generator) -> float:
    """Dwellings affected, a shortfall (places, spaces, points) or km; NaN for a plain record count."""
    if ind.located_in == "dwelling":
        return float(rng.integers(1, 7))
    if ind.unit == "km":
        return round(float(rng.uniform(0.1, 1.5)), 2)
    if "shortfall" in ind.name_en.lower():
        return float(rng.integers(10, 200))
    return np.nan


def make_city(fw: Framework, seed: int = 20241231) -> SyntheticCity:
    """Build the synthetic city for ``fw`` (deterministic for a given ``seed``)."""
    rng = np.random.default_rng(seed)
    regs = _registers(rng)
    _add_denominator_columns(fw, regs, rng)
    r1 = regs[2024]
    block_of = {
        **r1["building"].set_index("building_id")["block_id"].to_dict(),
        **r1["compound"].set_index("compound_id")["block_id"].to_dict(),
        **r1["community"].set_index("community_id")["block_id"].to_dict(),
        **{b: b for b in r1["block"]["block_id"]},
    }
    truth = []
    for ind in located_indicators(fw):
        loc = str(ind.located_in)
        reg = _LOCATED_REGISTER[loc]
        ids = r1[reg][f"{reg}_id"].tolist()
        n = min(DRAWS[loc], len(ids))
        subs = [s.code for s in ind.sub_items]
        for j, i in enumerate(rng.choice(len(ids), n, replace=False)):
            rid = ids[int(i)]
            road = ROADS[j % len(ROADS)] if loc == "road" else None
            chosen = [str(rng.choice(subs))] if subs else [None]
            if (
                len(subs) >= 2 and j < 2
            ):  # two records with two sub-items each: two problems, one record
                chosen = subs[:2]
            for si in chosen:
                truth.append(
                    {
                        "indicator": ind.code,
                        "mohurd_id": ind.mohurd_id,
                        "located_in": loc,
                        "register": reg,
                        "register_id": rid,
                        "sub_item": si,
                        "road": road,
                        "quantity": _quantity(ind, rng),
                        "block": block_of[rid],
                        "year_found": 2024,
                        "date_found": dt.date(
                            2024, int(rng.integers(4, 10)), int(rng.integers(1, 29))
                        ),
                    }
                )
    t = pd.DataFrame(truth)
    # -- what happens to each 2024 problem ---------------------------------------------------
    n = len(t)
    order = rng.permutation(n)
    fate = np.array(["open"] * n, dtype=object)
    n_c24, n_c, n_p = 3, int(round(0.4 * n)), int(round(0.15 * n))
    fate[order[:n_c24]] = "closed_2024"
    fate[order[n_c24 : n_c24 + n_c]] = "closed"
    fate[order[n_c24 + n_c : n_c24 + n_c + n_p]] = "in_progress"
    t["fate"] = fate
    proj = t.index[(t["fate"] == "open") & (t["block"] == "B02")][:6]
    assert len(proj) >= 3, "the seed must give the project several problems"
    t.loc[proj, "fate"] = "project"
    closed_on: list[dt.date | None] = []
    for f, d in zip(t["fate"], rng.integers(1, 300, n), strict=True):
        closed_on.append(
            dt.date(2024, 11, 1) + dt.timedelta(days=int(d) % 50)
            if f == "closed_2024"
            else dt.date(2025, 1, 1) + dt.timedelta(days=int(d))
            if f == "closed"
            else None
        )
    first_closed = t.index[t["fate"] == "closed"][0]
    closed_on[first_closed] = dt.date(2025, 1, 1)  # closed on the first day of the follow-up year
    t["closed_on"] = closed_on
    t["in_progress_on"] = [dt.date(2025, 2, 1) if f == "in_progress" else None for f in t["fate"]]
    t["project"] = [PROJECT if f == "project" else None for f in t["fate"]]
    # -- survey rows -------------------------------------------------------------------------------
    sev = np.array(["minor", "moderate", "severe"])

    def rows(sel: pd.DataFrame, year: int) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "unit_code": UNIT,
                "year": year,
                "register_id": sel["register_id"].to_numpy(),
                "indicator": sel["mohurd_id"].fillna(sel["indicator"]).to_numpy(),
                "sub_item": sel["sub_item"].to_numpy(),
                "road": sel["road"].to_numpy(),
                "severity": sev[rng.integers(0, 3, len(sel))],
                "quantity": sel["quantity"].to_numpy(),
                "date_found": sel["date_found"].to_numpy(),
                "photo": [f"IMG_{year}_{i:04d}.jpg" for i in range(len(sel))],
            }
        )

    s1 = rows(t, 2024)
    again = t[~t["fate"].isin(["closed", "closed_2024"])].copy()
    again["date_found"] = dt.date(2025, 6, 15)
    new = []
    b_inds = [i for i in located_indicators(fw) if i.located_in == "building"]
    c_inds = [i for i in located_indicators(fw) if i.located_in == "compound" and i.denominator]
    r2 = regs[2025]
    used = set(t.loc[t["indicator"] == b_inds[0].code, "register_id"])
    free = [b for b in r2["building"]["building_id"] if b not in used]
    for i in rng.choice(len(free), 5, replace=False):
        ind = b_inds[0]
        new.append(
            {
                "indicator": ind.code,
                "mohurd_id": ind.mohurd_id,
                "located_in": "building",
                "register": "building",
                "register_id": free[int(i)],
                "sub_item": ind.sub_items[0].code if ind.sub_items else None,
                "road": None,
                "quantity": np.nan,
                "block": None,
                "year_found": 2025,
                "date_found": dt.date(2025, 7, 1),
            }
        )
    ind = c_inds[0]
    new.append(
        {
            "indicator": ind.code,
            "mohurd_id": ind.mohurd_id,
            "located_in": "compound",
            "register": "compound",
            "register_id": "Q0301",
            "sub_item": ind.sub_items[0].code if ind.sub_items else None,
            "road": None,
            "quantity": np.nan,
            "block": "B01",
            "year_found": 2025,
            "date_found": dt.date(2025, 7, 2),
        }
    )
    # a fixed problem that comes back after being closed: a new problem, not the old ID
    back = t[t["fate"] == "closed"].sort_values("closed_on").iloc[0]
    new.append(
        {
            **back.to_dict(),
            "quantity": back["quantity"],
            "year_found": 2025,
            "date_found": dt.date(2025, 12, 1),
            "fate": "open",
            "closed_on": None,
            "in_progress_on": None,
            "project": None,
            "recurs": True,
        }
    )
    tn = pd.DataFrame(new)
    tn["fate"] = tn["fate"].fillna("open") if "fate" in tn.columns else "open"
    s2 = rows(pd.concat([again, tn], ignore_index=True), 2025)
    truth_all = pd.concat([t, tn], ignore_index=True)
    truth_all["recurs"] = (
        truth_all.get("recurs", pd.Series(False, index=truth_all.index)).fillna(False).astype(bool)
    )
    return SyntheticCity(registers=regs, surveys={2024: s1, 2025: s2}, truth=truth_all)


def write_city(city: SyntheticCity, out: Path) -> list[Path]:
    """Write the registers and surveys as CSV (WGS-84) into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for y, regs in city.registers.items():
        for kind, df in regs.items():
            p = out / f"{kind}s_{y}.csv"
            df.to_csv(p, index=False)
            files.append(p)
    for y, s in city.surveys.items():
        p = out / f"survey_{y}.csv"
        s.to_csv(p, index=False)
        files.append(p)
    return files


if __name__ == "__main__":
    from citycheckup.framework import load_framework

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "synthetic_city")
    for f in write_city(make_city(load_framework(HERE / "synthetic_framework.yaml")), target):
        print(f)
