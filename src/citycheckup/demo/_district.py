"""The demo's district check-up: a real district from OpenStreetMap, block by block.

The embedded extract (:func:`citycheckup.spatial.data.osm_extract`, a part of Haidian,
Beijing; © OpenStreetMap contributors, ODbL) is cut into blocks (街区) along its urban roads;
the spatial check-up measures the GB 50180-2018 life circles, park service coverage (the L-06
rule), secondary-school and fresh-market coverage in each block with its data-quality flags;
every block below a standard of the remediation catalogue becomes a located problem
(:mod:`citycheckup.demo._district_problems` states the choices), recorded in an
:class:`~citycheckup.inventory.Inventory` as a desk survey of the district, with the chain
问题清单 → 整治建议清单 → 城市更新项目库 exported as MOHURD's annexes (XLSX, zh and en) and
as GeoPackages (CGCS2000 and WGS-84). Texts and maps: :mod:`citycheckup.demo._district_outputs`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import pandas as pd

from citycheckup._io import atomic_dir
from citycheckup.demo._district_outputs import (
    COMBINED,
    DISTRICT,
    SURVEYOR,
    UNIT_NAME,
    english,
    problem_map,
    summary,
)
from citycheckup.demo._district_problems import (
    Measure,
    block_names,
    block_problems,
    measures,
    road_blocks,
)
from citycheckup.errors import DataError
from citycheckup.framework.models import Framework
from citycheckup.inventory import (
    Inventory,
    RawTable,
    add_projects,
    link_project,
    load_catalogue,
    problem_list,
    project_library,
    record_survey,
    suggestions,
    validate_problems,
    validate_register,
    write_annexes,
    write_geopackage,
)
from citycheckup.spatial import (
    SpatialResult,
    compute_spatial,
    load_facility_config,
    read_osm,
    write_spatial_outputs,
)
from citycheckup.spatial.data import EXTRACTS, osm_extract

__all__ = ["DistrictDemo", "district_demo", "spatial_framework"]

logger = logging.getLogger(__name__)

EXTRACT = "beijing_haidian_cau"
#: Licence notice written next to the district's outputs.
ODBL_NOTICE = """© OpenStreetMap contributors / © OpenStreetMap 贡献者

The files in this folder are built from OpenStreetMap data (https://www.openstreetmap.org),
available under the Open Database License (ODbL) 1.0:
https://opendatacommons.org/licenses/odbl/1-0/ (see https://www.openstreetmap.org/copyright).
The tables (CSV, XLSX) and GeoPackages are a derivative database of OpenStreetMap and are
offered under the ODbL 1.0 as well; the maps and summaries are produced works and credit
"© OpenStreetMap contributors, ODbL". The input was the extract embedded in citycheckup
(citycheckup/spatial/data/beijing_haidian_cau.osm.pbf; its README gives its origin).

本文件夹中的文件由 OpenStreetMap 数据（https://www.openstreetmap.org）生成，该数据以
开放数据库许可协议（ODbL）1.0 提供。其中的表格（CSV、XLSX）和 GeoPackage 是 OpenStreetMap 的
衍生数据库，同样以 ODbL 1.0 提供；地图和摘要为产出作品，均注明“© OpenStreetMap 贡献者，ODbL”。
"""


# --------------------------------------------------------------------------------------------
# framework, catalogue, inventory


def spatial_framework(ms: list[Measure]) -> Framework:
    """The located-problem indicators of the district check-up: one per measure, level 街区.

    Each counts the blocks below the standard of a spatial indicator (over all blocks); a
    life circle's sub-items are its GB 50180 items and ``combined``.
    """
    inds = []
    for m in ms:
        subs = [
            {"code": it.item, "name_zh": it.name_zh, "name_en": english(it.name_en)}
            for it in m.items
        ]
        if m.items:
            subs.append({"code": "combined", "name_zh": COMBINED["zh"], "name_en": COMBINED["en"]})
        inds.append({
            "code": m.code, "name_zh": f"{m.name_zh}未达标的街区", "name_en": f"Blocks below standard: {m.name_en}",
            "unit": "个", "unit_en": "blocks", "kind": "lower", "level": "block", "located_in": "block",
            "denominator": "blocks", "mohurd_id": m.mohurd_id, "aspect": "block_function", "task": "livable",
            "sub_items": subs, "source": f"citycheckup spatial: {m.source} (OpenStreetMap)",
            "definition_zh": f"{m.name_zh}低于整治目录标准的街区（数据：OpenStreetMap）",
            "definition_en": f"Blocks where {m.name_en} is below the catalogue's standard (data: OpenStreetMap)",
        })  # fmt: skip
    return Framework.model_validate({
        "code": "osm_block_checkup", "name_zh": "街区空间体检（OpenStreetMap 桌面核查）",
        "name_en": "Block check-up from OpenStreetMap (desk check)", "method": "mohurd",
        "variables": [{"code": "blocks", "name_zh": "调查街区总数", "name_en": "Blocks surveyed", "unit": "个"}],
        "dimensions": [{"code": "block", "name_zh": "街区", "name_en": "Block", "dimensions": [
            {"code": "block_function", "name_zh": "功能完善", "name_en": "Complete functions", "indicators": inds}]}],
    })  # fmt: skip


def _catalogue(path: str | Path | None, ms: list[Measure]) -> dict[str, Any]:
    """The remediation catalogue; each located indicator takes the entry of its spatial indicator."""
    cat = load_catalogue(path)
    for m in ms:
        if m.source in cat["indicators"]:
            cat["indicators"][m.code] = dict(cat["indicators"][m.source])
    return cat


def _validated(check: tuple[pd.DataFrame, list[Any]], what: str) -> pd.DataFrame:
    table, problems = check
    if problems:  # the tables are built here: a problem is a bug of this module
        raise DataError(f"the district demo built an invalid {what}", problems=problems)
    return table


def _raw(df: pd.DataFrame, source: str) -> RawTable:
    return RawTable(df.astype(object), source, list(range(2, len(df) + 2)))


def _inventory(
    blocks: gpd.GeoDataFrame,
    probs: pd.DataFrame,
    fw: Framework,
    cat: dict[str, Any],
    year: int,
    found: dt.date,
) -> tuple[Inventory, pd.DataFrame, dict[str, dict[str, str]]]:
    """Register the blocks, record the problems as a desk survey, draft one project per block.

    Returns the inventory, the problems with their ``problem_id`` and the English texts of
    the projects.
    """
    unit = EXTRACTS[EXTRACT].unit_code
    pts = blocks.geometry.representative_point()
    reg = pd.DataFrame({"block_id": blocks["block_id"], "name": blocks["name_zh"], "district": DISTRICT["zh"],
                        "area_km2": blocks["area_km2"], "lon": pts.x.round(7), "lat": pts.y.round(7)})  # fmt: skip
    reg = _validated(
        validate_register(_raw(reg, "blocks"), "block", unit_code=unit, year=year), "block register"
    )
    inv = Inventory().with_registers({"block": reg})
    if probs.empty:
        return inv, probs.assign(problem_id=pd.Series(dtype=object)), {}
    rows = pd.DataFrame({
        "register_id": probs["block_id"], "indicator": probs["indicator"], "sub_item": probs["sub_item"],
        "severity": probs["severity"], "date_found": found.isoformat(), "lon": probs["lon"], "lat": probs["lat"],
        "description": probs["description_zh"], "surveyor": SURVEYOR["zh"],
    })  # fmt: skip
    survey = _validated(validate_problems(_raw(rows, "OSM desk check"), fw, registers=inv.registers,
                                          level="block", unit_code=unit, year=year), "survey")  # fmt: skip
    inv, _ = record_survey(inv, survey, levels=["block"], catalogue=cat)
    key = {(r["register_id"], r["indicator"], r["sub_item"] if isinstance(r["sub_item"], str) else ""): r["problem_id"]
           for r in inv.problems.to_dict("records")}  # fmt: skip
    probs = probs.assign(problem_id=[key[(b, i, s if isinstance(s, str) else "")] for b, i, s in
                                     zip(probs["block_id"], probs["indicator"], probs["sub_item"], strict=True)])  # fmt: skip
    p = inv.problems.set_index("problem_id")
    projects, english_texts = [], {}
    name = blocks.set_index("block_id")
    for n, (b, g) in enumerate(probs.groupby("block_id", sort=True), start=1):
        pid, k, ids = f"{unit}-R{year}-{n:03d}", g["indicator"].nunique(), list(g["problem_id"])
        zh, en = name.at[b, "name_zh"], name.at[b, "name_en"]
        projects.append({
            "project_id": pid, "unit_code": unit, "name_zh": f"{zh}公共服务设施补短板（草案）",
            "name_en": f"{en}: filling public-service gaps (draft)", "year": year, "renewal_unit": zh,
            "content": "；".join(dict.fromkeys(p.loc[ids, "measure_zh"])), "scale": f"{len(ids)}项问题（{k}项指标）",
            "department": "；".join(dict.fromkeys(p.loc[ids, "department_zh"])),
            "note": "草案：由 OpenStreetMap 桌面核查生成，估算投资、资金来源、实施主体待城市填写，问题待现场核实",
        })  # fmt: skip
        english_texts[pid] = {
            "content": "; ".join(dict.fromkeys(p.loc[ids, "measure_en"])), "scale": f"{len(ids)} problems ({k} indicators)",
            "department": "; ".join(dict.fromkeys(p.loc[ids, "department_en"])), "renewal_unit": en,
            "note": "Draft from the OpenStreetMap desk check: investment, funding and implementing body are for the "
            "city to fill in; the problems are to be checked on site",
        }  # fmt: skip
    inv = add_projects(inv, projects)
    for r, (_, g) in zip(projects, probs.groupby("block_id", sort=True), strict=True):
        inv = link_project(
            inv, r["project_id"], list(g["problem_id"]), date=found, note="draft project"
        )
    return inv, probs, english_texts


def _english(
    inv: Inventory, blocks: gpd.GeoDataFrame, probs: pd.DataFrame, texts: dict[str, dict[str, str]]
) -> Inventory:
    """The same inventory with its free texts in English (block names, descriptions, projects)."""
    reg = inv.registers["block"].copy()
    reg["name"] = reg["block_id"].map(dict(zip(blocks["block_id"], blocks["name_en"], strict=True)))
    reg["district"] = DISTRICT["en"]
    desc = dict(zip(probs["problem_id"], probs["description_en"], strict=True))
    obs = inv.observations.assign(
        description=inv.observations["problem_id"].map(desc), surveyor=SURVEYOR["en"]
    )
    pj = inv.projects.copy()
    for c in ("content", "scale", "department", "renewal_unit", "note"):
        pj[c] = pj["project_id"].map({k: v[c] for k, v in texts.items()})
    return inv.with_registers({"block": reg}).copy(observations=obs, projects=pj)


# --------------------------------------------------------------------------------------------
# the run


def _credit(folder: Path) -> None:
    """Credit OpenStreetMap in the outputs that cannot say it in their own text.

    Workbooks get a last row with the credit, GeoPackages the credit as the description of
    every layer, and the folder the licence notice (the CSVs and GeoPackages are a
    derivative database of OpenStreetMap: ODbL).
    """
    import sqlite3
    from contextlib import closing

    from openpyxl import load_workbook

    from citycheckup.demo._district_outputs import ATTRIBUTION_ZH
    from citycheckup.spatial import ATTRIBUTION

    for book in sorted(folder.glob("annexes_*.xlsx")):
        text = ATTRIBUTION_ZH if book.stem.endswith("_zh") else ATTRIBUTION
        wb = load_workbook(book)
        for ws in wb.worksheets:
            ws.append([])
            ws.append([f"{'数据' if text == ATTRIBUTION_ZH else 'Data'}: OpenStreetMap {text}"])
        wb.save(book)
    for gpkg in sorted(folder.glob("*.gpkg")):
        with closing(sqlite3.connect(gpkg)) as db, db:
            db.execute(
                "UPDATE gpkg_contents SET description = trim(coalesce(description, '') || ' ' || ?)",
                [f"{ATTRIBUTION} · {ATTRIBUTION_ZH}"],
            )
    (folder / "LICENSE-ODbL.txt").write_text(ODBL_NOTICE, encoding="utf-8")


def _extend_manifest(path: Path, ex: Any, year: int, names: list[str]) -> None:
    """Name the district check-up in the spatial run's manifest (title, year, its extra files)."""
    m = json.loads(path.read_text(encoding="utf-8"))
    m.update({
        "command": "citycheckup demo (district check-up from OpenStreetMap)",
        "title_zh": f"街区体检示例：{ex.name_zh}", "title_en": f"District check-up example: {ex.name_en}",
        "year": year, "unit_code": ex.unit_code, "osm_data_date": ex.data_date, "source": ex.source,
        "district_outputs": names,
    })  # fmt: skip
    path.write_text(json.dumps(m, ensure_ascii=False, indent=2, default=str), encoding="utf-8")


@dataclass
class DistrictDemo:
    """What :func:`district_demo` computed and wrote.

    Attributes
    ----------
    out
        The output folder.
    files
        Path relative to ``out`` → absolute path, for everything written (maps, CSVs, XLSX,
        GeoPackages, summaries).
    spatial
        The spatial check-up of the blocks (its files are at the top of ``out``).
    blocks
        ``block_id, area_km2, name_zh, name_en`` and polygons (WGS-84).
    problems
        The 问题清单 of the inventory joined with the measured value, the standard and its
        source, the homes beyond the distance, the quality flags (``quality``: ``low`` where
        the spatial module flagged thin data; ``edge``) and bilingual descriptions and notes.
    suggestions, projects
        The 整治建议清单 and the 城市更新项目库 (draft projects, one per block).
    inventory, framework
        The inventory and the located-problem indicators it was recorded against.
    no_standard
        Spatial indicators without a standard in the catalogue (computed, not turned into problems).
    summary
        The short summary in the language asked for (both are written).
    year, unit_code
        Check-up year (the year of the OSM data) and the unit (110108, 海淀区).
    timings
        Seconds per step and in total.
    """

    out: Path
    files: dict[str, Path]
    spatial: SpatialResult
    blocks: gpd.GeoDataFrame
    problems: pd.DataFrame
    suggestions: pd.DataFrame
    projects: pd.DataFrame
    inventory: Inventory
    framework: Framework
    no_standard: list[str]
    summary: str
    year: int
    unit_code: str
    timings: dict[str, float] = field(default_factory=dict)


def district_demo(
    out: str | Path, *, lang: Literal["zh", "en"] = "zh", catalogue: str | Path | None = None
) -> DistrictDemo:
    """Run the district check-up of the embedded OSM extract and write every output into ``out``.

    Parameters
    ----------
    out
        Output folder of its own: it is replaced as a whole, atomically (a failed run leaves
        an earlier one untouched).
    lang
        Language of :attr:`DistrictDemo.summary`; the files are written in Chinese and English.
    catalogue
        A remediation catalogue YAML whose entries replace the package's (e.g. standards for
        the 5-minute circle or the 居住街坊, which the package catalogue does not set).

    Returns
    -------
    DistrictDemo

    Notes
    -----
    Offline (the extract is package data). ``out`` is a spatial run (``indicators.csv``,
    ``missing.csv``, ``quality.csv``, ``life_circles.csv``, ``facility_counts.csv``,
    ``districts.gpkg`` (the blocks), ``homes.gpkg``, ``maps/<indicator>.png``,
    ``manifest.json``) with the district check-up next to it: ``maps/problems.png``, ``blocks.csv``, ``problems.csv``,
    ``suggestions.csv``, ``projects.csv``, ``annexes_zh.xlsx``, ``annexes_en.xlsx``,
    ``inventory_<unit>_<year>_cgcs2000.gpkg``, ``…_wgs84.gpkg``, ``summary_zh.md``,
    ``summary_en.md``.
    """
    if lang not in ("zh", "en"):
        raise DataError(f"lang must be 'zh' or 'en', got {lang!r}")
    clock, t = time.perf_counter(), dict[str, float]()

    def lap(step: str) -> None:
        t[step] = round(time.perf_counter() - clock - sum(t.values()), 3)

    ex = EXTRACTS[EXTRACT]
    osm = osm_extract(EXTRACT)
    found = dt.date.fromisoformat(ex.data_date)
    year, unit = found.year, ex.unit_code
    data = read_osm(osm)
    blocks = road_blocks(data)
    blocks["name_zh"], blocks["name_en"] = block_names(data, blocks)
    lap("blocks")
    result = compute_spatial(
        osm, districts=blocks[["block_id", "geometry"]], district_id="block_id", year=year
    )
    lap("spatial")
    config = load_facility_config()
    ms = measures(config, result.labels)
    cat = _catalogue(catalogue, ms)
    probs, no_std = block_problems(result, blocks, catalogue=cat, config=config)
    fw = spatial_framework(ms)
    inv, probs, texts = _inventory(blocks, probs, fw, cat, year, found)
    plist = problem_list(inv, fw, unit_code=unit, year=year)
    mine = [c for c in probs.columns if c not in plist.columns or c == "problem_id"]
    table = plist.merge(probs[mine], on="problem_id", how="left")
    sugg = suggestions(plist)
    lib = project_library(inv, unit_code=unit)
    lap("problems")

    target = Path(out)
    with atomic_dir(target) as tmp:
        # the spatial result at the top: the folder is a spatial run (for the store) with the
        # district's problem chain next to it
        write_spatial_outputs(result, tmp, maps="default")
        spatial_files = {str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file()}
        lap("spatial outputs")
        reps = blocks.geometry.representative_point()
        tables = {"blocks.csv": blocks.drop(columns="geometry").assign(lon=reps.x.round(7), lat=reps.y.round(7)),
                  "problems.csv": table, "suggestions.csv": sugg, "projects.csv": lib}  # fmt: skip
        for name, df in tables.items():
            df.to_csv(tmp / name, index=False, encoding="utf-8")
        inv_en = _english(inv, blocks, probs, texts)
        for x, book in (("zh", inv), ("en", inv_en)):
            write_annexes(book, fw, tmp / f"annexes_{x}.xlsx", unit_code=unit, year=year, unit_name=UNIT_NAME[x],
                          lang=x, reference_date=found)  # type: ignore[arg-type]  # fmt: skip
        for tag, epsg in (("cgcs2000", 4490), ("wgs84", 4326)):
            write_geopackage(
                inv,
                fw,
                tmp / f"inventory_{unit}_{year}_{tag}.gpkg",
                unit_code=unit,
                year=year,
                epsg=epsg,
            )
        problem_map(result, blocks, table, tmp / "maps" / "problems.png",
                    title=f"街区问题分布 Located problems by block — {UNIT_NAME['zh']} {UNIT_NAME['en']} {year}")  # fmt: skip
        _credit(tmp)
        names = sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file())
        names += [f"summary_{x}.md" for x in ("zh", "en")]
        texts_out = {
            x: summary(x, extract=ex, year=year, result=result, blocks=blocks, problems=table,
                       n_suggestions=len(sugg), n_projects=len(lib), measures=ms, no_standard=no_std, files=names)
            for x in ("zh", "en")
        }  # fmt: skip
        for x, text in texts_out.items():
            (tmp / f"summary_{x}.md").write_text(text, encoding="utf-8")
        _extend_manifest(tmp / "manifest.json", ex, year, sorted(set(names) - spatial_files))
        lap("inventory outputs")
    root = target.resolve()
    result.out = root
    t["total"] = round(time.perf_counter() - clock, 3)
    logger.info(
        "district demo: %d problems in %d blocks, %.1f s", len(table), len(blocks), t["total"]
    )
    return DistrictDemo(
        out=root, files={n: root / n for n in sorted(names)}, spatial=result, blocks=blocks, problems=table,
        suggestions=sugg, projects=lib, inventory=inv, framework=fw, no_standard=[m.source for m in no_std],
        summary=texts_out[lang], year=year, unit_code=unit, timings=t,
    )  # fmt: skip
