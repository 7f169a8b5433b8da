"""The built-in framework mohurd-2025 (issue 11): MOHURD's check-up by level, thresholds that apply.

Content rules tested here come from ``../shared/reference/china_checkup_indicators.md`` (its
"corrections after a domain review" override its tables) and the standards and documents cited
in the framework file. Thresholds are read from the raw YAML as well as from the loaded models,
so that model defaults cannot hide an omission.
"""

from __future__ import annotations

import math
import re
from importlib import resources
from typing import Any

import pandas as pd
import pytest
import yaml

from citycheckup.diagnosis.applicability import UnitContext, applicability
from citycheckup.framework import (
    LEVELS,
    TIERS,
    Framework,
    Indicator,
    builtin_frameworks,
    load_framework,
)
from citycheckup.framework.models import Grading
from citycheckup.indicators.formula import evaluate_formula, parse_formula

NAME = "mohurd-2025"

TASKS = {
    "system": "优化现代化城市体系",
    "innovation": "富有活力的创新城市",
    "livable": "舒适便利的宜居城市",
    "green": "绿色低碳的美丽城市",
    "resilient": "安全可靠的韧性城市",
    "civilized": "崇德向善的文明城市",
    "smart": "便捷高效的智慧城市",
}

#: level → (name_zh, [(aspect code, aspect name_zh)]) in MOHURD's order
STRUCTURE = {
    "housing": (
        "住房",
        [
            ("housing_safety", "安全耐久"),
            ("housing_function", "功能完备"),
            ("housing_green_smart", "绿色智能"),
        ],
    ),
    "community": (
        "小区（社区）",
        [
            ("community_facilities", "设施完善"),
            ("community_environment", "环境宜居"),
            ("community_management", "管理健全"),
        ],
    ),
    "block": (
        "街区",
        [
            ("block_function", "功能完善"),
            ("block_order", "整洁有序"),
            ("block_vitality", "特色活力"),
            ("block_safety", "安全韧性"),
        ],
    ),
    "city": (
        "城区（城市）",
        [
            ("city_ecology", "生态宜居"),
            ("city_heritage", "历史文化保护利用"),
            ("city_jobs_housing", "产城融合、职住平衡"),
            ("city_safety", "安全韧性"),
            ("city_smart", "智慧高效"),
        ],
    ),
}

#: every row of the reference's MOHURD tables (§2.1–2.4) …
REFERENCE_IDS = (
    [f"H-{i:02d}" for i in range(1, 11)]
    + [f"C-{i:02d}" for i in range(1, 13)]
    + [f"B-{i:02d}" for i in range(1, 12)]
    + [f"U-{i:02d}" for i in range(1, 43)]
)
#: … of which none is left out (an entry here would need its reason, as in the YAML header)
EXCUSED: dict[str, str] = {}
#: … plus the indicators outside the MOHURD basic set, each added for a stated reason
ADDED = {
    "L-06": "GB 55014-2021 park service radius",
    "L-08": "reclaimed water, water-scarce cities",
    "L-10": "carbon (CO2 per unit GDP)",
    "X-01": "sponge city, 国办发〔2015〕75号",
}
#: the rows issue 11 names as missing from the project before it
MISSING_BEFORE = [
    "H-04",
    "H-06",
    "H-08",
    "H-09",
    "C-02",
    "C-05",
    "C-06",
    "C-08",
    "C-09",
    "C-12",
    "B-02",
    "B-08",
    "B-09",
    "U-03",
    "U-05",
    "U-06",
    "U-07",
    "U-17",
    "U-21",
    "U-24",
    "U-26",
    "U-27",
    "U-28",
    "U-32",
    "U-33",
    "U-34",
    "U-38",
    "U-40",
]
PREFIX_LEVEL = {
    "H": "housing",
    "C": "community",
    "B": "block",
    "U": "city",
    "L": "city",
    "X": "city",
}
REFERENCE_DATES = {"12-31", "calendar year", "annual mean"}
LOCATED_IN = {"building", "dwelling", "compound", "community", "block", "road"}
#: lower-level coverage shares computed by the spatial module (the value is already a rate)
LOWER_SHARES = {"B-01", "B-04", "B-05", "B-11"}

SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
URL = re.compile(r"https?://|www\.", re.IGNORECASE)
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
#: document numbers are identifiers, kept as issued in English text
DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,6}〔\d{4}〕\d+号")


@pytest.fixture(scope="module")
def fw() -> Framework:
    return load_framework(NAME)


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    text = (resources.files("citycheckup.framework") / "builtin" / f"{NAME}.yaml").read_text(
        encoding="utf-8"
    )
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def _raw_indicators(raw: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(top-level dimension code, indicator mapping) for every indicator of the raw YAML."""
    out: list[tuple[str, dict[str, Any]]] = []

    def walk(dim: dict[str, Any], top: str) -> None:
        for ind in dim.get("indicators") or []:
            out.append((top, ind))
        for sub in dim.get("dimensions") or []:
            walk(sub, top)

    for d in raw["dimensions"]:
        walk(d, d["code"])
    return out


def _raw_threshold_sets(raw: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    out = []
    for _, ind in _raw_indicators(raw):
        for g in ([ind["grading"]] if ind.get("grading") else []) + list(
            ind.get("references") or []
        ):
            out.append((ind, g))
    return out


def _by_id(fw: Framework) -> dict[str, Indicator]:
    return {i.mohurd_id: i for i in fw.indicators if i.mohurd_id}


def grade(ind: Indicator, g: Grading, x: float) -> str:
    hits = [b.grade for b in g.resolved_bands(ind.direction) if b.contains(x)]
    assert len(hits) == 1, (ind.code, x, hits)
    return hits[0]


def first_applicable(
    ind: Indicator, ctx: UnitContext, localities: tuple[str, ...] = ()
) -> Grading | None:
    """The threshold set that grades ``ctx`` (the first one that applies), as the check-up picks it."""
    for g in ind.thresholds:
        if applicability(g, ctx, localities=localities)[0]:
            return g
    return None


# -- structure ------------------------------------------------------------------------------------
def test_is_listed_as_builtin_with_the_mohurd_method(fw: Framework) -> None:
    assert NAME in builtin_frameworks()
    assert fw.code == "mohurd_2025"
    assert fw.method == "mohurd"
    assert fw.name_zh == "城市体检基础指标体系（住房城乡建设部方法，2025）"
    assert fw.name_en == "MOHURD city check-up basic indicator system (2025)"
    assert fw.description is not None
    for phrase in ("reconstructed from city implementations", "Yichang", "Mianyang", "not"):
        assert phrase in fw.description


def test_tasks_are_the_seven_conference_tasks(fw: Framework) -> None:
    assert list(fw.tasks) == list(TASKS)
    for code, zh in TASKS.items():
        assert fw.tasks[code]["zh"] == zh
        assert fw.tasks[code]["en"] and not CJK.search(fw.tasks[code]["en"])


def test_levels_and_aspects_in_mohurd_order(fw: Framework) -> None:
    assert fw.dimension_codes == list(LEVELS) == list(STRUCTURE)
    for dim in fw.dimensions:
        name_zh, aspects = STRUCTURE[dim.code]
        assert dim.name_zh == name_zh
        assert [(s.code, s.name_zh) for s in dim.dimensions] == aspects
        assert not dim.indicators, f"{dim.code}: indicators belong to an aspect"
        for sub in dim.dimensions:
            assert sub.indicators and not sub.dimensions
            for ind in sub.indicators:
                assert ind.level == dim.code, ind.code
                assert ind.aspect == sub.code, ind.code


def test_codes_ascii_snake_case_and_unique(fw: Framework) -> None:
    codes = [fw.index_code, *(d.code for d in fw.all_dimensions()), *fw.indicator_codes]
    assert len(codes) == len(set(codes))
    variables = [v.code for v in fw.variables]
    assert len(variables) == len(set(variables))
    assert not set(variables) & set(codes)
    for c in [*codes, *variables]:
        assert c.isascii() and SNAKE.match(c), c
    for ind in fw.indicators:
        subs = [s.code for s in ind.sub_items]
        assert len(subs) == len(set(subs)), ind.code
        assert all(SNAKE.match(s) for s in subs), ind.code


# -- every reference row, once --------------------------------------------------------------------
def test_every_reference_id_present_exactly_once(fw: Framework) -> None:
    ids = [i.mohurd_id for i in fw.indicators]
    assert None not in ids, "every indicator names its reference row"
    for rid in REFERENCE_IDS:
        if rid in EXCUSED:
            assert rid not in ids, f"{rid} is excused ({EXCUSED[rid]}) but present"
            continue
        assert ids.count(rid) == 1, f"{rid} appears {ids.count(rid)} times"
    extra = sorted(set(ids) - set(REFERENCE_IDS))
    assert extra == sorted(ADDED), extra
    assert len(ids) == len(REFERENCE_IDS) - len(EXCUSED) + len(ADDED) == 79


def test_the_indicators_issue_11_found_missing_are_there(fw: Framework) -> None:
    by_id = _by_id(fw)
    for rid in MISSING_BEFORE:
        assert rid in by_id, rid
    assert by_id["U-33"].code == "pipeline_smart_monitoring_rate"  # the core lifeline indicator
    co2 = by_id["L-10"]
    assert (co2.code, co2.unit, co2.kind, co2.aspect) == (
        "co2_per_gdp",
        "t/万元",
        "lower",
        "city_ecology",
    )


def test_levels_follow_reference_ids(fw: Framework) -> None:
    for ind in fw.indicators:
        assert ind.mohurd_id is not None
        assert ind.level == PREFIX_LEVEL[ind.mohurd_id[0]], ind.code


def test_added_indicators_say_they_are_not_in_the_basic_set(fw: Framework) -> None:
    for rid in ADDED:
        ind = _by_id(fw)[rid]
        assert "非住建部基础指标" in (ind.definition_zh or ""), rid
        assert "Not in the MOHURD basic set" in (ind.definition_en or ""), rid


# -- what every indicator carries -----------------------------------------------------------------
def test_every_indicator_has_method_scope_owner_date_kind_task_aspect(fw: Framework) -> None:
    parents = fw.parent_of()
    for ind in fw.indicators:
        for field in (
            "name_zh",
            "name_en",
            "unit",
            "definition_zh",
            "definition_en",
            "method_zh",
            "method_en",
            "scope",
            "scope_en",
            "owner",
            "owner_en",
            "reference_date",
            "source",
        ):
            value = getattr(ind, field)
            assert isinstance(value, str) and value.strip(), f"{ind.code}: {field} missing"
        assert ind.kind in ("higher", "lower", "band", "context"), ind.code
        assert ind.task in fw.tasks, f"{ind.code}: task {ind.task!r}"
        assert ind.aspect == parents[ind.code], ind.code
        assert ind.reference_date in REFERENCE_DATES, ind.code
        assert ind.weight == 1


def test_chinese_units_have_an_english_unit(fw: Framework) -> None:
    for ind in fw.indicators:
        if CJK.search(ind.unit):
            assert ind.unit_en and not CJK.search(ind.unit_en), ind.code
    assert fw.indicator("buildings_structural_hazard").unit_en == "buildings"
    assert fw.indicator("dwellings_non_self_contained").unit_en == "dwellings"


def test_english_fields_do_not_leak_chinese(fw: Framework) -> None:
    for ind in fw.indicators:
        for field in ("name_en", "unit_en", "scope_en", "owner_en"):
            assert not CJK.search(getattr(ind, field) or ""), (ind.code, field)
        for field in ("definition_en", "method_en"):
            assert not CJK.search(DOC_NUMBER.sub("", getattr(ind, field) or "")), (ind.code, field)
        for s in ind.sub_items:
            assert s.name_zh and CJK.search(s.name_zh) and not CJK.search(s.name_en), (
                ind.code,
                s.code,
            )
        for g in ind.thresholds:
            assert g.label_zh and g.label_en and not CJK.search(g.label_en), ind.code
            assert g.provenance is not None and g.provenance.reference_en, ind.code
            assert not CJK.search(DOC_NUMBER.sub("", g.provenance.reference_en)), ind.code
    for d in fw.all_dimensions():
        assert not CJK.search(d.name_en), d.code
    for v in fw.variables:
        assert not CJK.search(v.name_en), v.code


def test_source_keys_exist(fw: Framework) -> None:
    for ind in fw.indicators:
        for key in (k.strip() for k in (ind.source or "").split(";")):
            assert key in fw.sources, f"{ind.code}: source key {key!r}"
        for g in ind.thresholds:
            assert g.provenance is not None
            if g.provenance.found_in:
                assert g.provenance.found_in in fw.sources, (ind.code, g.provenance.found_in)


def test_task_mapping_follows_the_reference(fw: Framework) -> None:
    expected = {
        "H-01": "resilient",
        "H-05": "livable",
        "H-07": "green",
        "H-10": "smart",
        "C-06": "green",
        "C-07": "resilient",
        "C-11": "smart",
        "B-03": "civilized",
        "B-07": "smart",
        "B-08": "innovation",
        "U-01": "system",
        "U-11": "innovation",
        "U-19": "system",
        "U-24": "resilient",
        "U-36": "smart",
        "U-41": "green",
    }
    by_id = _by_id(fw)
    for rid, task in expected.items():
        assert by_id[rid].task == task, rid
    for rid in ("U-33", "U-34", "U-35"):  # reference: T5/T7 → the first is used
        assert by_id[rid].task == "resilient" and by_id[rid].aspect == "city_smart", rid


# -- lower levels: results only -------------------------------------------------------------------
def test_lower_levels_are_never_scored_or_graded(fw: Framework, raw: dict[str, Any]) -> None:
    lower = [i for i in fw.indicators if i.level != "city"]
    assert len(lower) == 33
    for ind in lower:
        assert ind.grading is None and not ind.references and ind.goalposts is None, ind.code
        assert ind.located_in in LOCATED_IN, ind.code
        assert ind.denominator and fw.variable(ind.denominator) is not None, ind.code
        if ind.level in ("housing", "community"):
            assert ind.sub_items, f"{ind.code}: the sub-items inspectors tick"
    for top, ind in _raw_indicators(raw):
        if top != "city":
            for key in ("grading", "references", "goalposts", "target"):
                assert key not in ind, (ind["code"], key)


def test_lower_level_counts_are_given_directly_over_a_denominator(fw: Framework) -> None:
    for ind in fw.indicators:
        if ind.level == "city":
            continue
        if ind.mohurd_id in LOWER_SHARES:
            # a coverage share: computed by its formula, the denominator is the formula's denominator
            assert ind.unit == "%" and ind.kind == "higher" and ind.formula, ind.code
            num, den = (s.strip() for s in ind.formula.removesuffix("* 100").split("/"))
            assert den == ind.denominator and num != den, ind.code
        else:
            assert ind.formula is None, f"{ind.code}: a count is given or rolled up, not computed"
            assert ind.kind == "lower" and ind.unit != "%", ind.code
    by_id = _by_id(fw)
    assert (by_id["H-01"].located_in, by_id["H-01"].denominator) == (
        "building",
        "residential_buildings",
    )
    assert (by_id["H-05"].located_in, by_id["H-05"].denominator) == ("dwelling", "dwellings")
    assert (by_id["C-01"].located_in, by_id["C-01"].denominator) == ("community", "communities")
    assert (by_id["C-04"].denominator, by_id["C-09"].unit) == ("primary_places_required", "km")
    assert (by_id["B-07"].located_in, by_id["B-07"].denominator) == ("road", "roads_surveyed")


def test_sub_items_from_the_field_survey(fw: Framework) -> None:
    stair = {s.name_zh for s in _by_id(fw)["H-03"].sub_items}
    for item in (
        "消火栓缺失或无水",
        "防火门缺失或损坏",
        "电动自行车楼道违规停放、充电",
        "楼道杂物堆放、疏散通道堵塞",
    ):
        assert item in stair
    envelope = {s.code for s in _by_id(fw)["H-04"].sub_items}
    assert {"roof_leak", "facade_spalling", "window_glass_broken"} <= envelope
    assert "dangerous_rating_cd" in {s.code for s in _by_id(fw)["H-01"].sub_items}
    assert {"no_parcel_lockers", "no_smart_security"} <= {
        s.code for s in _by_id(fw)["C-12"].sub_items
    }


# -- thresholds: provenance and applicability, read from the raw YAML ----------------------------
def test_every_threshold_set_has_tier_reference_and_explicit_applicability(
    raw: dict[str, Any],
) -> None:
    sets = _raw_threshold_sets(raw)
    assert len(sets) >= 35
    for ind, g in sets:
        code = ind["code"]
        assert ind["level"] == "city", f"{code}: only the city level is graded"
        p = g.get("provenance")
        assert isinstance(p, dict), f"{code}: threshold without provenance"
        assert p.get("tier") in TIERS, code
        assert isinstance(p.get("reference"), str) and len(p["reference"]) >= 10, code
        assert not URL.search(p["reference"] + p.get("reference_en", "")), (
            f"{code}: a reference cites a web page"
        )
        assert isinstance(g.get("applies"), dict) and g["applies"].get("role") in (
            "grade",
            "reference",
        ), f"{code}: state the applicability rule explicitly, with its role"
        if p["tier"] == "local_standard":
            assert p.get("locality"), f"{code}: a local standard names its locality"
        assert "source" not in g, f"{code}: cite through provenance, not a free 'source'"


def test_no_web_address_in_anything_a_report_prints(fw: Framework) -> None:
    for ind in fw.indicators:
        texts = [
            ind.name_zh,
            ind.name_en,
            ind.definition_zh,
            ind.definition_en,
            ind.method_zh,
            ind.method_en,
            ind.scope,
            ind.owner,
        ]
        for g in ind.thresholds:
            texts += [g.source, g.note, g.label_zh, g.label_en, g.applies.note]
        assert not any(URL.search(t or "") for t in texts), ind.code


def test_local_standards_grade_only_their_own_city_when_selected(fw: Framework) -> None:
    locals_ = [
        (i, g)
        for i in fw.indicators
        for g in i.thresholds
        if g.provenance is not None and g.provenance.tier == "local_standard"
    ]
    assert len(locals_) >= 5
    for ind, g in locals_:
        assert g.provenance is not None and g.provenance.locality == ["420500"], ind.code
        assert "宜昌" in g.provenance.reference
        if g.applies.role == "reference":  # annex 2's density band, contradicting annex 1
            assert (
                applicability(g, UnitContext("420500", 2025), localities=["420500"])[1]
                == "reference_only"
            )
            continue
        assert (
            applicability(g, UnitContext("110000", 2025), localities=["420500"])[1]
            == "local_other_city"
        )
        assert applicability(g, UnitContext("420500", 2025))[1] == "local_not_selected"
        assert applicability(g, UnitContext("420500", 2025), localities=["420500"])[0], ind.code


def test_honour_titles_and_national_averages_are_references_only(fw: Framework) -> None:
    for ind in fw.indicators:
        for g in ind.thresholds:
            assert g.provenance is not None
            text = g.provenance.reference + (g.label_zh or "")
            if "国家生态园林城市" in text or "全国平均" in text or "全国目标" in text:
                assert g.applies.role == "reference", (ind.code, g.label_zh)
            # 5.5 m² is a floor for each district of the honour title, never a city pass line
            assert g.pass_line != 5.5, ind.code


def test_air_quality_and_surface_water_are_references_only(fw: Framework) -> None:
    for code, lines in (
        ("good_air_quality_days_ratio", [87.5, 80]),
        ("surface_water_class3_share", [85, 70]),
    ):
        ind = fw.indicator(code)
        assert ind.grading is None, code
        assert [g.pass_line for g in ind.references] == lines
        assert all(g.applies.role == "reference" for g in ind.references)
        assert first_applicable(ind, UnitContext("420500", 2030), ("420500",)) is None
    for code in ("msw_recovery_rate", "sports_ground_area_per_capita"):
        ind = fw.indicator(code)
        assert ind.grading is None and [g.applies.role for g in ind.references] == ["reference"], (
            code
        )


def test_reclaimed_water_only_for_water_scarce_cities(fw: Framework) -> None:
    ind = fw.indicator("reclaimed_water_utilisation_rate")
    sets = ind.thresholds
    assert [g.pass_line for g in sets] == [35, 30, 25]
    assert all(g.applies.water_scarce is True and g.applies.target_year == 2025 for g in sets)
    assert sets[0].applies.regions == ["11", "12", "13"]
    assert "发改环资〔2021〕13号" in (sets[0].provenance.reference if sets[0].provenance else "")
    assert "发改环资〔2021〕827号" in (sets[1].provenance.reference if sets[1].provenance else "")
    # not water-scarce, or unknown: nothing grades (never applied by guess)
    assert first_applicable(ind, UnitContext("110000", 2025, water_scarce=False)) is None
    assert first_applicable(ind, UnitContext("110000", 2025, water_scarce=None)) is None
    beijing, zhengzhou, shenzhen = "110000", "410100", "440300"
    # before the target year nothing grades; then the most specific rule that applies
    assert first_applicable(ind, UnitContext(beijing, 2024, water_scarce=True)) is None
    assert first_applicable(ind, UnitContext(beijing, 2025, water_scarce=True)) is sets[0]  # 35 %
    assert first_applicable(ind, UnitContext(zhengzhou, 2025, water_scarce=True)) is sets[1]  # 30 %
    assert first_applicable(ind, UnitContext(shenzhen, 2025, water_scarce=True)) is sets[2]  # 25 %


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # GB 55014-2021 §2.1.3: 8.0 m² per person; below it is 不足 (poor), never 一般
        (7.99, "poor"),
        (8.0, "good"),
        (8.01, "good"),
        (5.5, "poor"),
        (14.8, "good"),
        (0.0, "poor"),
    ],
)
def test_park_area_per_head_floor(fw: Framework, value: float, expected: str) -> None:
    ind = fw.indicator("park_area_per_capita")
    g = ind.grading
    assert g is not None and g.provenance is not None
    assert g.pass_line == 8.0 and g.provenance.tier == "national_standard"
    assert (
        g.provenance.reference.startswith("GB 55014-2021") and "第2.1.3条" in g.provenance.reference
    )
    assert first_applicable(ind, UnitContext("330100", 2025)) is g  # applies to every city
    assert grade(ind, g, value) == expected
    honour = ind.references[0]
    assert (honour.pass_line, honour.applies.role) == (14.8, "reference")


@pytest.mark.parametrize(("value", "expected"), [(79.99, "poor"), (80.0, "good"), (95.0, "good")])
def test_park_service_radius_floor(fw: Framework, value: float, expected: str) -> None:
    ind = fw.indicator("park_service_coverage")
    assert ind.grading is not None and ind.grading.provenance is not None
    assert "GB 55014-2021" in ind.grading.provenance.reference
    assert grade(ind, ind.grading, value) == expected
    gbt = ind.references[0]
    assert gbt.pass_line == 90 and gbt.applies.role == "reference"
    assert gbt.provenance is not None and "GB/T 51346-2019" in gbt.provenance.reference
    assert "第4.3.4条" in gbt.provenance.reference


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # 宜昌 annex 1: 0.7–1.5 万人/km² (宜昌 0.67 was graded 不足); both ends are poor
        (0.67, "poor"),
        (0.69, "poor"),
        (0.7, "good"),
        (1.0, "good"),
        (1.49, "good"),
        (1.5, "poor"),
        (3.0, "poor"),
    ],
)
def test_density_is_a_band_graded_only_by_the_local_standard(
    fw: Framework, value: float, expected: str
) -> None:
    ind = fw.indicator("builtup_population_density")
    assert ind.kind == "band" and ind.band == [0.87, 1.5]
    assert ind.goalposts is None
    g = ind.grading
    assert g is not None and g.provenance is not None and g.provenance.tier == "local_standard"
    assert grade(ind, g, value) == expected
    # no national standard: another city is not graded, 宜昌 only when its standard is selected
    assert first_applicable(ind, UnitContext("330100", 2025)) is None
    assert first_applicable(ind, UnitContext("420500", 2025)) is None
    assert first_applicable(ind, UnitContext("420500", 2025), ("420500",)) is g
    assert [r.applies.role for r in ind.references] == ["reference"]  # annex 2 contradicts annex 1


def test_sewage_target_of_2027_is_the_march_2024_notice(fw: Framework) -> None:
    ind = fw.indicator("sewage_collection_rate")
    sets = ind.thresholds
    assert [(g.pass_line, g.applies.target_year, g.applies.role) for g in sets] == [
        (73, 2027, "grade"),
        (70, None, "grade"),
        (70, 2025, "reference"),
        (70, None, "grade"),
    ]
    p73 = sets[0].provenance
    assert p73 is not None and p73.tier == "ministry"
    assert (
        "建城〔2024〕18号" in p73.reference
        and "2024年3月" in p73.reference
        and "2025" not in p73.reference
    )
    # before 2027 the 73 % is a target, never this year's pass line; from 2027 it grades
    assert applicability(sets[0], UnitContext("330100", 2026)) == (False, "target_year", 2027)
    assert first_applicable(ind, UnitContext("330100", 2026)) is sets[1]
    assert first_applicable(ind, UnitContext("330100", 2027)) is sets[0]
    assert grade(ind, sets[1], 69.99) == "poor" and grade(ind, sets[1], 70.0) == "good"


def test_targets_of_later_years_take_over_from_their_year(fw: Framework) -> None:
    sponge = fw.indicator("sponge_city_area_share")
    assert [(g.pass_line, g.applies.target_year) for g in sponge.thresholds] == [
        (80, 2030),
        (20, 2020),
    ]
    assert first_applicable(sponge, UnitContext("330100", 2029)) is sponge.thresholds[1]
    assert first_applicable(sponge, UnitContext("330100", 2030)) is sponge.thresholds[0]
    assert all(
        "国办发〔2015〕75号" in (g.provenance.reference if g.provenance else "")
        for g in sponge.thresholds
    )
    water = fw.indicator("severe_waterlogging_points")
    assert water.grading is not None and water.grading.provenance is not None
    assert (water.grading.pass_line, water.grading.applies.target_year) == (0, 2025)
    assert "国办发〔2021〕11号" in water.grading.provenance.reference
    assert first_applicable(water, UnitContext("330100", 2024)) is None
    assert grade(water, water.grading, 0) == "good" and grade(water, water.grading, 1) == "poor"


def test_project_proposals_are_stated_as_such(fw: Framework) -> None:
    for ind in fw.indicators:
        for g in ind.thresholds:
            assert g.provenance is not None
            if g.provenance.tier == "project":
                assert g.provenance.reference.startswith("本项目建议"), ind.code
                assert (g.provenance.reference_en or "").startswith("proposal of this project"), (
                    ind.code
                )
    fire = fw.indicator("fire_station_coverage").grading
    assert fire is not None and fire.provenance is not None
    assert fire.provenance.tier == "project" and "GB 51080-2015" in fire.provenance.reference


def test_city_values_without_a_threshold_stay_ungraded(fw: Framework) -> None:
    """No invented numbers: indicators without a citable threshold carry none."""
    ungraded = {i.mohurd_id for i in fw.indicators if i.level == "city" and not i.thresholds}
    for rid in (
        "U-03",
        "U-05",
        "U-06",
        "U-12",
        "U-13",
        "U-16",
        "U-17",
        "U-19",
        "U-21",
        "U-22",
        "U-24",
        "U-26",
        "U-27",
        "U-28",
        "U-32",
        "U-33",
        "U-34",
        "U-35",
        "U-36",
        "U-37",
        "U-38",
        "U-40",
        "L-10",
    ):
        assert rid in ungraded, rid
    assert not any(i.goalposts for i in fw.indicators), (
        "goalposts only where a cited threshold gives them"
    )


# -- variables and formulas ------------------------------------------------------------------------
def test_formulas_use_only_declared_variables_and_every_variable_is_used(fw: Framework) -> None:
    declared = {v.code for v in fw.variables}
    used: set[str] = set()
    for ind in fw.indicators:
        if ind.formula:
            names = parse_formula(ind.formula).names
            assert names <= declared, (ind.code, names - declared)
            used |= names
        if ind.denominator:
            used.add(ind.denominator)
    assert used == declared, f"declared but unused: {sorted(declared - used)}"
    for v in fw.variables:
        assert v.min == 0 and v.unit, v.code


#: A tiny SYNTHETIC table (one made-up city, one year; values chosen to reproduce the Yichang 2025
#: results where the reference gives them) and the values each formula must give on it, worked out
#: by hand from the indicator definitions.
SYNTHETIC = {
    "pop_builtup": 67.0,
    "builtup_area": 100.0,
    "pop_urban": 150.0,
    "sewage_load_collected": 8106.0,
    "sewage_load_generated": 10000.0,
    "comprehensive_parks": 12.0,
    "residential_land_area": 40.0,
    "residential_land_greenway": 32.288,
    "residential_land_football": 10.536,
    "residential_land_park": 36.0,
    "sports_ground_area": 390.0,
    "cultural_facility_area": 46.5,
    "road_length": 868.0,
    "new_building_area": 100.0,
    "new_green_building_area": 51.47,
    "old_compounds_planned": 163.0,
    "old_compounds_renovated": 163.0,
    "heritage_objects": 50.0,
    "heritage_objects_registered": 45.0,
    "historic_buildings": 52.0,
    "historic_buildings_vacant": 15.0,
    "central_residential_floor_area": 5000.0,
    "central_residential_floor_area_bus_500m": 4500.0,
    "commuters_total": 120.0,
    "commuters_rail": 30.0,
    "msw_collected": 100.0,
    "msw_recovered": 60.0,
    "public_toilets": 410.0,
    "housing_units_new": 1000.0,
    "affordable_units_new": 457.0,
    "urban_villages_planned": 40.0,
    "urban_villages_renovated": 37.0,
    "construction_deaths": 2.0,
    "construction_projects_active": 695.0,
    "pop_water_supply": 150.0,
    "pop_emergency_water": 95.0,
    "gas_pipes_renewal_planned": 8.69,
    "gas_pipes_renewed": 8.69,
    "builtup_area_fire_5min": 20.59,
    "shelter_area": 504.0,
    "pipelines_total": 1000.0,
    "pipelines_monitored": 903.7,
    "high_risk_works": 20.0,
    "high_risk_works_monitored": 19.0,
    "highrise_buildings": 267.0,
    "highrise_buildings_monitored": 31.0,
    "cim_3d_area": 79.91,
    "parking_lots_public": 93.0,
    "parking_lots_smart": 92.0,
    "park_green_area": 1200.0,
    "construction_land_area": 10000.0,
    "idle_land_area": 50.0,
    "low_efficiency_land_area": 250.0,
    "good_air_days": 308.0,
    "valid_air_days": 365.0,
    "water_sections_monitored": 20.0,
    "water_sections_class3": 17.0,
    "co2_emissions": 3000.0,
    "gdp": 30_000_000.0,
    "sewage_treated": 10000.0,
    "reclaimed_water_used": 2500.0,
    "sponge_area": 30.0,
    "block_residential_land_area": 28.16,
    "block_residential_land_secondary_school": 15.80,
    "block_residential_land_park_activity": 25.37,
    "block_residential_land_fresh_market": 16.29,
    "block_residents": 80.0,
    "block_residents_15min_complete": 60.0,
}
EXPECTED = {
    "builtup_population_density": 0.67,  # 67 万人 / 100 km²
    "sewage_collection_rate": 81.06,
    "comprehensive_parks_per_100k": 0.8,  # 12 parks for 1.5 million people
    "greenway_service_coverage": 80.72,
    "football_pitch_service_coverage": 26.34,
    "cultural_facility_area_per_capita": 0.31,  # 465,000 m² for 1.5 million people
    "road_network_density": 8.68,
    "green_building_share": 51.47,
    "old_compound_renovation_rate": 100.0,
    "sports_ground_area_per_capita": 2.6,
    "park_area_per_capita": 8.0,  # 1,200 ha = 12 million m² for 1.5 million people
    "good_air_quality_days_ratio": 308 / 365 * 100,
    "surface_water_class3_share": 85.0,
    "park_service_coverage": 90.0,
    "reclaimed_water_utilisation_rate": 25.0,
    "co2_per_gdp": 1.0,  # 30 million t over 300 billion yuan
    "heritage_registration_rate": 90.0,
    "historic_building_vacancy_rate": 15 / 52 * 100,
    "transit_stop_coverage_500m": 90.0,
    "rail_commuter_coverage": 25.0,
    "msw_recovery_rate": 60.0,
    "public_toilet_density": 4.1,
    "affordable_housing_share": 45.7,
    "urban_village_redevelopment_rate": 92.5,
    "idle_inefficient_land_share": 3.0,
    "construction_fatality_rate": 2 / 695 * 100,  # Yichang: 2 deaths, 695 projects → 0.29
    "emergency_water_supply_rate": 95 / 150 * 100,
    "gas_pipe_renewal_rate": 100.0,
    "fire_station_coverage": 20.59,
    "shelter_area_per_capita": 3.36,
    "sponge_city_area_share": 30.0,
    "pipeline_smart_monitoring_rate": 90.37,
    "high_risk_works_monitoring_rate": 95.0,
    "highrise_smart_fire_alarm_coverage": 31 / 267 * 100,
    "cim_3d_data_coverage": 79.91,
    "smart_parking_coverage": 92 / 93 * 100,
    "secondary_school_coverage": 15.80 / 28.16 * 100,  # Yichang: 56.10 %
    "park_activity_space_coverage": 25.37 / 28.16 * 100,
    "fresh_market_coverage": 16.29 / 28.16 * 100,  # Yichang: 57.84 %
    "life_circle_15min_coverage": 75.0,
}


def test_formulas_evaluate_on_a_synthetic_table(fw: Framework) -> None:
    data = pd.DataFrame([{"unit_code": "synthetic", "year": 2025, **SYNTHETIC}])
    derived = {i.code: i.formula for i in fw.indicators if i.formula}
    assert set(derived) == set(EXPECTED)
    for code, want in EXPECTED.items():
        got = float(evaluate_formula(derived[code], data).iloc[0])
        assert math.isclose(got, want, rel_tol=1e-9), (code, got, want)
    assert (
        round(float(evaluate_formula(derived["construction_fatality_rate"], data).iloc[0]), 2)
        == 0.29
    )
    assert (
        round(float(evaluate_formula(derived["secondary_school_coverage"], data).iloc[0]), 2)
        == 56.11
    )


def test_a_missing_denominator_gives_no_value(fw: Framework) -> None:
    """A zero denominator is missing, never infinite (the formula engine's rule, on this framework)."""
    data = pd.DataFrame([{"unit_code": "synthetic", "year": 2025, **SYNTHETIC, "pop_urban": 0.0}])
    assert math.isnan(
        float(evaluate_formula(fw.indicator("park_area_per_capita").formula or "", data).iloc[0])
    )
