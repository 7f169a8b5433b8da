"""End to end on the SYNTHETIC city (tests/inventory/synthetic_city.py), two check-up years.

registers (CSV) + field surveys (CSV, and the housing survey of 2025 through the
field-survey workbook) → the results store → located problems with persistent IDs →
roll-ups with denominators → 问题清单, 整治建议清单, 城市更新项目库 → follow-up and
问题整治完成率 → XLSX annexes and GeoPackages. Every expected value is computed here
by hand from the generator's ground truth, not from the code under test.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from citycheckup.framework.models import Framework
from citycheckup.inventory import (
    LEVEL_REGISTERS,
    REGISTER_KINDS,
    StatusChange,
    catalogue_entry,
    denominator_source,
    follow_up,
    load_catalogue,
    problem_list,
    project_library,
    read_field_survey,
    read_problems,
    read_register,
    rollup,
    suggestions,
    write_annexes,
    write_field_survey,
    write_geopackage,
)
from citycheckup.inventory._read import indicator_label
from citycheckup.inventory._schema import PROBLEM_COLUMNS, SEVERITY_LABELS, header_key
from citycheckup.store import Store
from citycheckup.store._inventory import InventoryStore
from tests.inventory.synthetic_city import (
    PROJECT,
    UNIT,
    SyntheticCity,
    located_indicators,
    write_city,
)

TODAY = dt.date(2026, 3, 1)


def _key(r: Any, located: dict[str, str]) -> tuple[str, str, str, str]:
    road = r["road"] if located[r["indicator"]] == "road" and isinstance(r["road"], str) else ""
    sub = r["sub_item"] if isinstance(r["sub_item"], str) else ""
    return (r["indicator"], str(r["register_id"]), sub, road)


def fill_problem_sheet(path: Path, fw: Framework, rows: pd.DataFrame, level: str) -> None:
    """Type located problems into the problem sheet of a field-survey workbook, as a team would."""
    from openpyxl import load_workbook

    from citycheckup.inventory._workbook import FIRST_ROW, HEADER_ROW, sheet_names

    wb = load_workbook(path)
    ws = wb[sheet_names(level)["problems"]]
    col = {}
    for c in ws[HEADER_ROW]:
        for spec in PROBLEM_COLUMNS:
            if c.value is not None and header_key(c.value) == header_key(spec.label("zh")):
                col[spec.name] = c.column
    inds = {i.mohurd_id or i.code: i for i in fw.indicators}
    for k, r in enumerate(rows.to_dict("records")):
        ind = inds[r["indicator"]]
        sub = next((s.name_zh for s in ind.sub_items if s.code == r["sub_item"]), None)
        vals = {
            "register_id": r["register_id"],
            "indicator": indicator_label(ind, "zh"),
            "sub_item": sub,
            "severity": SEVERITY_LABELS[r["severity"]]["zh"],
            "date_found": r["date_found"],
            "quantity": None if pd.isna(r["quantity"]) else float(r["quantity"]),
            "photo": r["photo"],
            "road": r["road"] if isinstance(r["road"], str) else None,
        }
        for name, v in vals.items():
            if name in col and v is not None:
                ws.cell(row=FIRST_ROW + k, column=col[name], value=v)
    wb.save(path)


@dataclass
class World:
    store: Path
    out: Path
    inv: Any
    ids: dict[tuple[str, str, str, str], str]
    """Key of each 2024 problem → its ID."""
    boundary: dict[str, str]
    """'on_deadline' / 'after_deadline' → problem IDs closed on / one day after their deadline."""
    fw: Framework
    city: SyntheticCity
    closed_used: dict[str, dt.date | None]
    """Problem ID → the date it was closed (None: not closed)."""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, fw: Framework, city: SyntheticCity) -> World:
    base = tmp_path_factory.mktemp("e2e")
    write_city(city, base / "csv")
    db = base / "store.duckdb"
    located = {i.code: str(i.located_in) for i in located_indicators(fw)}
    t = city.truth
    cat = load_catalogue()
    with Store(db) as st:
        s = InventoryStore(st)
        # -- 2024: registers from CSV, the survey from CSV -----------------------------------------
        s.import_registers(
            {k: read_register(base / "csv" / f"{k}s_2024.csv", k, fw=fw) for k in REGISTER_KINDS},
            source=base / "csv" / "buildings_2024.csv",
        )
        regs = {k: s.load(UNIT).register(k, year=2024) for k in REGISTER_KINDS}
        survey = read_problems(base / "csv" / "survey_2024.csv", fw, registers=regs)
        outcome = s.record_survey(survey, levels=["housing", "community", "block"])
        assert len(outcome.new) == int((t["year_found"] == 2024).sum()) and outcome.matched == []
        inv = s.load(UNIT)
        ids = {_key(r, located): r["problem_id"] for r in inv.problems.to_dict("records")}
        # -- during 2024 and 2025: lifecycle --------------------------------------------------------
        t24 = t[t["year_found"] == 2024]
        changes = []
        boundary: dict[str, str] = {}
        closed_used: dict[str, dt.date | None] = {}
        tl = [
            _key(r, located)
            for r in t24.to_dict("records")
            if r["fate"] == "closed"
            and catalogue_entry(
                cat, r["indicator"], mohurd_id=r["mohurd_id"], sub_item=r["sub_item"] or None
            )["remediation"]
            == "time_limited"
            and r["date_found"] + dt.timedelta(days=366) <= dt.date(2025, 12, 31)
            and r["closed_on"] != dt.date(2025, 1, 1)
        ]
        assert len(tl) >= 2, "the synthetic city needs two time-limited problems closed in 2025"
        for r in t24.to_dict("records"):
            k = _key(r, located)
            pid = ids[k]
            closed_used[pid] = None
            if r["fate"] in ("closed", "closed_2024"):
                closed_on = r["closed_on"]
                if k == tl[0]:
                    closed_on = r["date_found"] + dt.timedelta(days=365)  # exactly on the deadline
                    boundary["on_deadline"] = pid
                elif k == tl[1]:
                    closed_on = r["date_found"] + dt.timedelta(days=366)  # one day late
                    boundary["after_deadline"] = pid
                closed_used[pid] = closed_on
                changes.append(StatusChange(pid, "closed", closed_on, evidence=f"验收记录 {pid}"))
            elif r["fate"] == "in_progress":
                changes.append(StatusChange(pid, "in_progress", r["in_progress_on"], note="施工中"))
        s.change_status(changes, today=TODAY)
        s.add_projects(
            [
                {
                    "project_id": PROJECT,
                    "unit_code": UNIT,
                    "name_zh": "合成西街区综合整治",
                    "name_en": "Synthetic west block renewal",
                    "content": "楼栋与小区问题集中整治",
                    "scale": "6 处",
                    "investment_10k_yuan": 1250.0,
                    "funding_source": "中央预算内投资、地方专项债",
                    "implementing_body": "合成市城市更新集团",
                    "department": "市城市更新主管部门",
                    "year": 2025,
                    "renewal_unit": "西街区更新单元",
                }
            ]
        )
        proj_ids = [ids[_key(r, located)] for r in t24.to_dict("records") if r["fate"] == "project"]
        s.change_status(
            [
                StatusChange(p, "to_project", dt.date(2025, 3, 1), project_id=PROJECT)
                for p in proj_ids
            ],
            today=TODAY,
        )
        # -- 2025: registers (CSV), housing survey via the workbook, the others from CSV --------------
        s.import_registers(
            {k: read_register(base / "csv" / f"{k}s_2025.csv", k, fw=fw) for k in REGISTER_KINDS}
        )
        inv = s.load(UNIT)
        regs25 = {k: inv.register(k, year=2025) for k in REGISTER_KINDS}
        s2 = city.surveys[2025]
        lev = {i.mohurd_id or i.code: i.level for i in fw.indicators}
        wb = base / "survey_housing_2025.xlsx"
        write_field_survey(
            fw,
            "housing",
            wb,
            unit_code=UNIT,
            year=2025,
            unit_name="合成市",
            registers={k: regs25[k] for k in LEVEL_REGISTERS["housing"]},
        )
        fill_problem_sheet(wb, fw, s2[s2["indicator"].map(lev) == "housing"], "housing")
        fs = read_field_survey(wb, fw, context=regs25, today=TODAY)
        assert (
            fs.level == "housing"
            and fs.year == 2025
            and len(fs.registers["building"]) == len(regs25["building"])
        )
        s.import_registers(fs.registers, source=wb)
        s.record_survey(fs.problems, levels=["housing"], source=wb)
        other = read_problems(base / "csv" / "survey_2025.csv", fw, registers=regs25)
        other = other[other["level"] != "housing"]
        s.record_survey(other, levels=["community", "block"])
        inv = s.load(UNIT)
    return World(db, base, inv, ids, boundary, fw, city, closed_used)


def _records_value(df: pd.DataFrame) -> float:
    """Σ over located records of (Σ quantity, or 1 when none is given) — by hand."""
    total = 0.0
    for _, g in df.groupby([df["register_id"], df["road"].fillna("")]):
        q = g["quantity"].dropna()
        total += float(q.sum()) if len(q) else 1.0
    return total


def test_ids_are_kept_across_years_and_a_recurrence_is_new(world: World) -> None:
    inv, t = world.inv, world.city.truth
    located = {i.code: str(i.located_in) for i in located_indicators(world.fw)}
    obs25 = inv.observations[inv.observations["year"] == 2025]
    seen25 = set(obs25["problem_id"])
    again = t[(t["year_found"] == 2024) & ~t["fate"].isin(["closed", "closed_2024"])]
    assert len(again) > 50
    for r in again.to_dict("records"):
        assert world.ids[_key(r, located)] in seen25  # the same problem keeps its 2024 ID in 2025
    new25 = inv.problems[inv.problems["first_year"] == 2025]
    assert len(new25) == int((t["year_found"] == 2025).sum())
    back = t[t["recurs"]].iloc[0]
    rec = new25[new25["recurs"].notna()]
    assert len(rec) == 1
    assert rec["recurs"].iloc[0] == world.ids[_key(back, located)] != rec["problem_id"].iloc[0]
    assert (
        rec["problem_id"].iloc[0].startswith(f"{UNIT}-") and "-2025-" in rec["problem_id"].iloc[0]
    )


def test_rollup_counts_records_over_register_denominators(world: World) -> None:
    fw, t, regs = world.fw, world.city.truth, world.city.registers
    r = rollup(world.inv, fw).set_index("year")
    assert list(r.index) == [2024, 2025]
    t25 = pd.concat(
        [
            t[(t["year_found"] == 2024) & ~t["fate"].isin(["closed", "closed_2024"])],
            t[t["year_found"] == 2025],
        ]
    )
    for year, seen in ((2024, t[t["year_found"] == 2024]), (2025, t25)):
        for ind in located_indicators(fw):
            expected = _records_value(seen[seen["indicator"] == ind.code])
            assert r.at[year, ind.code] == expected, (year, ind.code)
            if ind.denominator:
                reg, col = denominator_source(
                    ind
                )  # the documented rule; the number is counted here
                table = regs[year][reg]
                want = float(len(table)) if col is None else float(table[col].sum())
                assert r.at[year, ind.denominator] == want, (year, ind.denominator)
    b = next(i for i in located_indicators(fw) if i.located_in == "building" and i.denominator)
    assert r.at[2025, b.denominator] == r.at[2024, b.denominator] + 46  # 40 + 6 new buildings
    # a record with two sub-items is one hazardous building, not two
    two = t[(t["indicator"] == b.code) & (t["year_found"] == 2024)].groupby("register_id").size()
    assert (two > 1).any() and r.at[2024, b.code] == len(two) < int(two.sum())


def test_completion_rate_and_follow_up_table_by_hand(world: World) -> None:
    t = world.city.truth
    t24 = t[t["year_found"] == 2024]
    open_at_start = t24[t24["fate"] != "closed_2024"]
    closed = open_at_start[open_at_start["fate"] == "closed"]
    fu = follow_up(world.inv, 2025, unit_code=UNIT)
    assert fu.start == pd.Timestamp("2025-01-01") and fu.end == pd.Timestamp("2025-12-31")
    assert len(fu.table) == len(open_at_start)
    assert fu.rate(UNIT) == pytest.approx(100.0 * len(closed) / len(open_at_start))
    lvl = {i.code: i.level for i in world.fw.indicators}
    for level in ("housing", "community", "block"):
        o = open_at_start[open_at_start["indicator"].map(lvl) == level]
        c = o[o["fate"] == "closed"]
        assert fu.rate(UNIT, level) == pytest.approx(100.0 * len(c) / len(o))
    s = fu.summary.set_index("level").loc["all"]
    assert s["to_project"] == int((t24["fate"] == "project").sum()) >= 3
    assert s["in_progress"] == int((t24["fate"] == "in_progress").sum())
    # the same problems counted by the other two documented rules
    n, c, p = len(open_at_start), len(closed), int((t24["fate"] == "project").sum())
    assert follow_up(world.inv, 2025, unit_code=UNIT, transferred="exclude").rate(
        UNIT
    ) == pytest.approx(100.0 * c / (n - p))
    assert follow_up(world.inv, 2025, unit_code=UNIT, transferred="done").rate(
        UNIT
    ) == pytest.approx(100.0 * (c + p) / n)
    tab = fu.table.set_index("problem_id")
    used = world.closed_used
    for pid, d in used.items():
        if d is not None and d >= dt.date(2025, 1, 1):
            assert tab.at[pid, "status_end"] == "closed" and tab.at[pid, "closed_date"].date() == d
            assert tab.at[pid, "evidence"] == f"验收记录 {pid}"
    assert not set(tab.index) & {pid for pid, d in used.items() if d is not None and d.year == 2024}
    assert (
        bool(tab.at[world.boundary["on_deadline"], "on_time"]) is True
    )  # closed on the deadline day
    assert bool(tab.at[world.boundary["after_deadline"], "on_time"]) is False  # one day late
    first_day = [pid for pid, d in used.items() if d == dt.date(2025, 1, 1)]
    assert first_day and all(tab.at[p, "closed_in_period"] for p in first_day)
    for pid, row in tab.iterrows():
        dl = row["deadline"]
        want = row["status_end"] != "closed" and pd.notna(dl) and pd.Timestamp("2025-12-31") > dl
        assert bool(row["overdue"]) == bool(want), pid
    assert tab["seen_in_survey"].sum() == int((~t24["fate"].isin(["closed", "closed_2024"])).sum())


def test_chain_problem_list_suggestions_and_project_library(world: World) -> None:
    fw, t = world.fw, world.city.truth
    pl = problem_list(world.inv, fw, unit_code=UNIT, year=2025)
    t25 = pd.concat(
        [
            t[(t["year_found"] == 2024) & ~t["fate"].isin(["closed", "closed_2024"])],
            t[t["year_found"] == 2025],
        ]
    )
    assert len(pl) == len(t25)
    assert (
        pl["place"].notna().all()
        and pl["district"].notna().all()
        and pl["block_name"].notna().all()
    )
    lv = pl["level"].map({"housing": 0, "community": 1, "block": 2}).to_numpy()
    assert (np.diff(lv) >= 0).all()  # grouped by level (维度)
    for _, g in pl.groupby("level"):
        tl = (g["remediation"] == "time_limited").to_numpy()
        assert not (np.diff(tl.astype(int)) > 0).any()  # 限时解决 first within a level
    sg = suggestions(pl)
    r = rollup(world.inv, fw, years=[2025]).iloc[0]
    for row in sg.to_dict("records"):
        assert row["result"] == r[row["indicator"]]
        assert row["n_problems"] == int((t25["indicator"] == row["indicator"]).sum())
    lib = project_library(world.inv, unit_code=UNIT)
    assert list(lib["project_id"]) == [PROJECT]
    held = sorted(
        world.ids[k]
        for k in (
            _key(x, {i.code: str(i.located_in) for i in located_indicators(fw)})
            for x in t[t["fate"] == "project"].to_dict("records")
        )
    )
    assert lib["n_problems"].iloc[0] == len(held) >= 3
    assert lib["problem_ids"].iloc[0] == ", ".join(held)
    assert (
        lib["investment_10k_yuan"].iloc[0] == 1250.0
        and lib["renewal_unit"].iloc[0] == "西街区更新单元"
    )


def test_store_keeps_every_status_change(world: World) -> None:
    with Store(world.store, read_only=True) as st:
        s = InventoryStore(st)
        pid = world.boundary["on_deadline"]
        h = s.history(pid)
        assert list(h["status"]) == ["found", "closed"] and list(h["seq"]) == [1, 2]
        n_events = st.rows("SELECT count(*) FROM inv_events WHERE unit_code = ?", [UNIT])[0][0]
        t = world.city.truth
        t24 = t[t["year_found"] == 2024]
        changes = int(t24["fate"].isin(["closed", "closed_2024", "in_progress", "project"]).sum())
        assert n_events == len(t) + changes
        imports = s.imports(UNIT)
        assert set(imports["kind"]) == {"building", "compound", "community", "block", "survey"}
        assert imports.loc[imports["kind"] == "survey", "n_rows"].sum() == sum(
            len(x) for x in world.city.surveys.values()
        )


def test_annexes_have_the_mohurd_sheets_and_rows(world: World) -> None:
    from openpyxl import load_workbook

    out = write_annexes(
        world.inv, world.fw, world.out / "annex.xlsx", unit_code=UNIT, year=2025, unit_name="合成市"
    )
    wb = load_workbook(out, read_only=True)
    assert wb.sheetnames == [
        "问题清单",
        "整治建议清单",
        "城市更新项目库",
        "上年度问题整治成效",
        "问题整治完成率",
    ]
    rows = list(wb["问题清单"].iter_rows(values_only=True))
    assert rows[0][0] == "附件3 问题清单" and rows[2][:4] == (
        "维度",
        "序号",
        "问题编号",
        "问题指标",
    )
    assert len(rows) - 3 == len(problem_list(world.inv, world.fw, unit_code=UNIT, year=2025))
    fu_rows = list(wb["上年度问题整治成效"].iter_rows(values_only=True))
    assert len(fu_rows) - 3 == len(follow_up(world.inv, 2025, unit_code=UNIT).table)
    proj = list(wb["城市更新项目库"].iter_rows(values_only=True))
    assert "估算投资（万元）" in proj[2] and proj[3][proj[2].index("估算投资（万元）")] == 1250
    comp = list(wb["问题整治完成率"].iter_rows(values_only=True))
    total = next(r for r in comp if r[0] == "合计")
    assert total[-1] == f"{follow_up(world.inv, 2025, unit_code=UNIT).rate(UNIT):.1f}%"
    wb.close()
    en = load_workbook(
        write_annexes(
            world.inv, world.fw, world.out / "annex_en.xlsx", unit_code=UNIT, year=2025, lang="en"
        ),
        read_only=True,
    )
    assert en.sheetnames[0] == "Problem list"
    assert not any(
        any("\u4e00" <= ch <= "\u9fff" for ch in str(v or ""))
        for v in next(en["Problem list"].iter_rows(min_row=3, max_row=3, values_only=True))
    )
    en.close()


@pytest.mark.parametrize("epsg", [4490, 4326])
def test_geopackage_layers_fields_and_crs(world: World, epsg: int) -> None:
    import geopandas as gpd
    import pyogrio

    from citycheckup.inventory import GPKG_LAYERS, register_extras

    path = write_geopackage(
        world.inv, world.fw, world.out / f"inv_{epsg}.gpkg", unit_code=UNIT, year=2025, epsg=epsg
    )
    layers = dict(pyogrio.list_layers(path))
    assert set(layers) == set(GPKG_LAYERS)
    assert layers["projects"] == "MultiPoint" and layers["problems"] == "Point"
    kinds = {
        "blocks": "block",
        "communities": "community",
        "compounds": "compound",
        "buildings": "building",
    }
    for name, fields in GPKG_LAYERS.items():
        g = gpd.read_file(path, layer=name)
        assert g.crs.to_epsg() == epsg
        extra = (
            sorted(c.name for c in register_extras(world.fw, kinds[name])) if name in kinds else []
        )
        assert [c for c in g.columns if c != "geometry"] == fields + extra
    p = gpd.read_file(path, layer="problems")
    assert len(p) == len(problem_list(world.inv, world.fw, unit_code=UNIT, year=2025))
    b = gpd.read_file(path, layer="buildings")
    reg = world.city.registers[2025]["building"].set_index("building_id")
    got = b.set_index("building_id").geometry
    # CGCS2000 and WGS-84 differ by centimetres: both layers sit on the WGS-84 register positions
    assert np.allclose(got.x.to_numpy(), reg.loc[got.index, "lon"].to_numpy(), atol=1e-6)
    assert np.allclose(got.y.to_numpy(), reg.loc[got.index, "lat"].to_numpy(), atol=1e-6)
    pr = gpd.read_file(path, layer="projects")
    assert pr["n_problems"].iloc[0] == len(pr.geometry.iloc[0].geoms)


def test_rollup_merges_into_the_check_up_as_data(world: World) -> None:
    """The roll-up is a unit × year table: counts next to their denominators, ready to merge."""
    from citycheckup.data.readers import tidy_dataset

    r = rollup(world.inv, world.fw)
    ds = tidy_dataset(r, framework=world.fw, source="rollup")
    assert set(ds.data["year"]) == {2024, 2025}
    den = {i.denominator for i in located_indicators(world.fw) if i.denominator}
    assert den <= set(ds.data.columns)


def test_suggestion_areas_in_both_languages() -> None:
    """Chinese lists areas with 、 and writes district and block together; English uses ", " and a space."""
    from citycheckup.inventory import suggestions

    base = {
        "unit_code": UNIT, "level": "block", "indicator": "x", "mohurd_id": "B-01", "name_zh": "甲",
        "name_en": "A", "result": 2, "unit": "个", "measure_zh": "改", "measure_en": "fix",
        "remediation": "best_effort", "deadline": None, "department_zh": "局", "department_en": "Bureau",
        "road": None, "quantity": None,
    }  # fmt: skip
    pl = pd.DataFrame(
        [
            {
                **base,
                "problem_id": "P1",
                "register_id": "B1",
                "district": "西陵区",
                "block_name": "街区A",
            },
            {
                **base,
                "problem_id": "P2",
                "register_id": "B2",
                "district": "西陵区",
                "block_name": "街区B",
            },
            {
                **base,
                "problem_id": "P3",
                "register_id": "B3",
                "district": "伍家岗区",
                "block_name": None,
            },
            # a second problem in the same area: the area is listed once
            {
                **base,
                "problem_id": "P4",
                "register_id": "B1",
                "district": "西陵区",
                "block_name": "街区A",
            },
        ]
    )
    row = suggestions(pl).iloc[0]
    assert row["areas"] == "西陵区街区A、西陵区街区B、伍家岗区"
    assert row["areas_en"] == "西陵区 街区A, 西陵区 街区B, 伍家岗区"
    assert row["n_problems"] == 4 and row["result"] == 3  # three registered blocks
