"""The built-in framework people-city-2025: structure, content rules, and its COINr table."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from citycheckup.framework import (
    LEVELS,
    TIERS,
    Framework,
    builtin_frameworks,
    framework_from_coinr_table,
    framework_to_coinr_meta,
    load_framework,
)
from citycheckup.indicators.formula import evaluate_formula, parse_formula

NAME = "people-city-2025"
DIMENSIONS = ["system", "innovation", "livable", "green", "resilient", "civilized", "smart"]
DIMENSION_NAMES = {
    "system": ("优化现代化城市体系", "Modern city system"),
    "innovation": ("富有活力的创新城市", "Innovative city"),
    "livable": ("舒适便利的宜居城市", "Livable city"),
    "green": ("绿色低碳的美丽城市", "Beautiful (green, low-carbon) city"),
    "resilient": ("安全可靠的韧性城市", "Resilient city"),
    "civilized": ("崇德向善的文明城市", "Civilised city"),
    "smart": ("便捷高效的智慧城市", "Smart city"),
}

#: code → (dimension, level) of the indicators other parts of citycheckup rely on
MANDATORY = {
    "life_circle_5min_coverage": ("livable", "block"),
    "life_circle_10min_coverage": ("livable", "block"),
    "life_circle_15min_coverage": ("livable", "block"),
    "park_service_coverage": ("green", "block"),
    "park_square_coverage_500m": ("green", "block"),
    "transit_stop_coverage_500m": ("livable", "block"),
    "rail_station_coverage_1000m": ("livable", "block"),
    "road_network_density": ("livable", "city"),
    "intersection_density": ("livable", "city"),
    "park_area_per_capita": ("green", "city"),
    "building_coverage_ratio": ("livable", "block"),
    "hotline_response_rate": ("smart", "city"),
    "hotline_resolution_rate": ("smart", "city"),
    "hotline_satisfaction_rate": ("smart", "city"),
    "hotline_ontime_rate": ("smart", "city"),
}

#: demo indicators: code → (dimension, formula, unit, direction)
DEMO = {
    "hukou_resident_gap": ("system", "(pop_resident - pop_hukou) / pop_resident * 100", "%", 1),
    "resident_population_growth": ("system", "growth(pop_resident)", "%", 1),
    "gdp_per_capita": ("innovation", "gdp / pop_resident", "元/人", 1),
    "st_expenditure_share": ("innovation", "exp_science / exp_total * 100", "%", 1),
    "students_per_10k": ("innovation", "students_higher / pop_resident * 10000", "人/万人", 1),
    "tertiary_share": ("innovation", "share_tertiary * 100", "%", 1),
    "trade_openness": ("innovation", "trade_total * 10000 / gdp", "%", 1),
    "gdp_growth": ("innovation", "growth(gdp)", "%", 1),
    "education_expenditure_per_capita": ("livable", "exp_education / pop_resident", "元/人", 1),
    "education_expenditure_share": ("livable", "exp_education / exp_total * 100", "%", 1),
    "mobile_subscriptions_per_100": ("smart", "mobile_users / pop_resident * 100", "户/百人", 1),
    "broadband_per_100": ("smart", "broadband_users / pop_resident * 100", "户/百人", 1),
    "fiscal_self_sufficiency": ("smart", "revenue / exp_total * 100", "%", 1),
}

VARIABLES = {
    "gdp": "万元",
    "pop_resident": "万人",
    "pop_hukou": "万人",
    "pop_urban": "万人",
    "land_area": "km²",
    "trade_total": "百万元",
    "share_tertiary": None,
    "students_higher": "万人",
    "exp_total": "万元",
    "exp_education": "万元",
    "exp_science": "万元",
    "revenue": "万元",
    "mobile_users": "万户",
    "broadband_users": "万户",
}

SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
PREFIX_LEVEL = {"H": "housing", "C": "community", "B": "block"}


@pytest.fixture(scope="module")
def fw() -> Framework:
    return load_framework(NAME)


def test_is_listed_as_builtin() -> None:
    assert NAME in builtin_frameworks()


def test_header(fw: Framework) -> None:
    assert fw.name_zh == "现代化人民城市体检指标体系 (2025)"
    assert fw.name_en == "People's City check-up 2025"
    assert fw.index_code == "index"
    assert fw.version == "2026.1"
    for key in ("S1", "S19", "S20", "S27", "S39", "S46", "S46b", "CVC"):
        assert key in fw.sources


def test_sources_copy_reference_keys(fw: Framework) -> None:
    numbered = [k for k in fw.sources if re.fullmatch(r"S\d+", k)]
    assert sorted(numbered, key=lambda k: int(k[1:])) == [f"S{i}" for i in range(1, 47)]
    assert fw.sources["S27"].startswith(
        "中共中央 国务院《关于进一步加强城市规划建设管理工作的若干意见》"
    )
    assert "global-indicators" in fw.sources["S39"]


def test_seven_dimensions_in_order(fw: Framework) -> None:
    assert fw.dimension_codes == DIMENSIONS
    for d in fw.dimensions:
        assert (d.name_zh, d.name_en) == DIMENSION_NAMES[d.code]
        assert d.weight == 1
        assert d.dimensions == [], f"{d.code} must hold indicators directly (no sub-dimensions)"
    assert all(p in (fw.index_code, *DIMENSIONS) for p in fw.parent_of().values())


def test_indicator_counts(fw: Framework) -> None:
    counts = fw.summary()
    assert len(fw.indicators) >= 60
    assert sum(counts.values()) == len(fw.indicators)
    for dim, n in counts.items():
        assert n >= 8, f"dimension {dim} has only {n} indicators"


def test_codes_ascii_snake_case_and_unique(fw: Framework) -> None:
    codes = [fw.index_code, *fw.dimension_codes, *fw.indicator_codes]
    assert len(codes) == len(set(codes))
    for c in [*codes, *(v.code for v in fw.variables)]:
        assert c.isascii() and SNAKE.match(c), c
    assert not set(fw.indicator_codes) & {v.code for v in fw.variables}


def test_indicator_fields(fw: Framework) -> None:
    for ind in fw.indicators:
        assert ind.weight == 1, ind.code
        assert ind.level in LEVELS
        assert ind.unit, ind.code
        assert ind.source, f"{ind.code} has no source"
        assert ind.name_zh and ind.name_en


def _raw_threshold_sets() -> list[tuple[str, dict]]:
    """Every threshold set of the YAML file as written (so that defaults do not hide omissions)."""
    from importlib import resources

    import yaml

    text = (resources.files("citycheckup.framework") / "builtin" / f"{NAME}.yaml").read_text(
        encoding="utf-8"
    )
    out = []
    for dim in yaml.safe_load(text)["dimensions"]:
        for ind in dim["indicators"]:
            for g in ([ind["grading"]] if ind.get("grading") else []) + list(
                ind.get("references") or []
            ):
                out.append((ind["code"], g))
    return out


def test_every_threshold_has_tier_reference_and_applicability() -> None:
    sets = _raw_threshold_sets()
    assert len(sets) >= 20
    for code, g in sets:
        p = g.get("provenance")
        assert p, f"{code}: threshold without provenance"
        assert p["tier"] in TIERS, code
        assert len(p["reference"]) >= 10, code
        assert not re.search(r"https?://|www\.", p["reference"] + p.get("reference_en", "")), code
        if p["tier"] == "local_standard":
            assert p.get("locality"), f"{code}: a local standard names its locality"
        else:
            assert "applies" in g, f"{code}: state the applicability rule (role, years, regions …)"


def test_no_url_in_any_reader_facing_citation(fw: Framework) -> None:
    for ind in fw.indicators:
        for g in ind.thresholds:
            assert not re.search(r"https?://|www\.", g.source), ind.code
            assert g.provenance is not None and not re.search(r"https?://", g.provenance.reference)
        if ind.goalposts is not None:
            assert not re.search(r"https?://", ind.goalposts.provenance.reference), ind.code


def test_every_scored_indicator_has_goalposts_or_is_a_share_or_count(fw: Framework) -> None:
    from citycheckup.checkup import goalposts_of
    from citycheckup.checkup._run import COUNT_UNITS

    for ind in fw.indicators:
        if ind.kind == "context":
            continue
        if goalposts_of(ind) is None:
            assert ind.unit in COUNT_UNITS or ind.unit == "score", (
                f"{ind.code} ({ind.unit}) can be neither scored nor recognised as a count"
            )


def test_kinds_of_issue_10(fw: Framework) -> None:
    d = fw.indicator("builtup_population_density")
    assert d.kind == "band" and d.band == [0.87, 1.5]
    assert fw.indicator("urbanisation_rate").kind == "context"
    assert fw.indicator("hukou_resident_gap").kind == "context"  # in-migration, not citizenisation
    assert fw.indicator("hukou_urbanisation_rate").kind == "higher"
    assert fw.indicator("resident_population_growth").kind == "context"
    for i in fw.indicators:
        if i.kind == "context":
            assert i.grading is None and i.goalposts is None and not i.references, i.code


def test_lower_levels_enter_only_as_shares_with_denominators(fw: Framework) -> None:
    for ind in fw.indicators:
        if ind.level in ("housing", "community") or (ind.mohurd_id or "").startswith(
            ("H-", "C-", "B-")
        ):
            if ind.mohurd_id in (
                "B-01",
                "B-04",
                "B-05",
                "B-11",
            ):  # coverage shares of the spatial module
                continue
            assert ind.unit == "%", ind.code
            assert ind.denominator and ind.formula and ind.denominator in ind.formula, ind.code


def test_carbon_indicators(fw: Framework) -> None:
    for code, unit in (("co2_per_gdp", "t/万元"), ("co2_per_capita", "t/人")):
        ind = fw.indicator(code)
        assert fw.top_dimension_of()[code] == "green"
        assert (ind.unit, ind.kind) == (unit, "lower")
        assert ind.goalposts is not None and ind.goalposts.scale == "log"


def test_demo_indicators_are_named_proxies(fw: Framework) -> None:
    for code in DEMO:
        ind = fw.indicator(code)
        if ind.kind != "context":
            assert ind.proxy_for, code
            assert ind.goalposts is not None and ind.goalposts.provenance.tier == "project", code


def test_cited_source_keys_exist(fw: Framework) -> None:
    for ind in fw.indicators:
        for key in (k.strip() for k in (ind.source or "").split(";")):
            assert key in fw.sources, f"{ind.code}: source key {key!r} is not under 'sources:'"
        for g in ind.thresholds:
            if g.provenance is not None and g.provenance.found_in:
                assert g.provenance.found_in in fw.sources, (
                    f"{ind.code}: found_in {g.provenance.found_in!r}"
                )


def test_levels_follow_reference_ids(fw: Framework) -> None:
    spatial = {c for c, (_, lev) in MANDATORY.items() if lev == "block"}
    for ind in fw.indicators:
        if ind.mohurd_id is None:
            continue
        assert re.fullmatch(r"[HCBULXG]-\d\d", ind.mohurd_id), ind.mohurd_id
        prefix = ind.mohurd_id[0]
        if prefix in PREFIX_LEVEL:
            assert ind.level == PREFIX_LEVEL[prefix], ind.code
        elif ind.code not in spatial:
            assert ind.level == "city", ind.code
    ids = [i.mohurd_id for i in fw.indicators if i.mohurd_id]
    assert len(ids) == len(set(ids)), "a reference ID is used twice"


@pytest.mark.parametrize("code", sorted(MANDATORY))
def test_mandatory_codes(fw: Framework, code: str) -> None:
    dim, level = MANDATORY[code]
    ind = fw.indicator(code)
    assert fw.top_dimension_of()[code] == dim
    assert ind.level == level
    if code.startswith("hotline_"):
        assert (ind.unit, ind.direction) == ("%", 1)


def test_mandatory_details(fw: Framework) -> None:
    assert fw.indicator("park_area_per_capita").mohurd_id == "U-39"
    assert fw.indicator("park_area_per_capita").unit == "m²/人"
    assert fw.indicator("road_network_density").unit == "km/km²"
    assert [
        fw.indicator(f"hotline_{k}").mohurd_id
        for k in ("response_rate", "resolution_rate", "satisfaction_rate", "ontime_rate")
    ] == ["G-01", "G-02", "G-03", "G-04"]
    assert fw.indicator("building_coverage_ratio").grading is None
    for code in ("transit_stop_coverage_500m", "rail_station_coverage_1000m"):
        assert "11.2.1" in " ".join(fw.indicator(code).international.sdg)
    assert "S39" in (fw.indicator("intersection_density").source or "")
    road = fw.indicator("road_network_density")
    assert road.grading is not None and road.grading.provenance is not None
    assert (
        road.grading.provenance.found_in == "S27"
        and road.grading.provenance.tier == "state_council"
    )
    assert road.grading.applies.target_year == 2020


def test_park_gradings(fw: Framework) -> None:
    park = fw.indicator("park_area_per_capita")
    assert park.grading is not None and park.grading.pass_line == 8.0
    assert (
        park.grading.provenance is not None and park.grading.provenance.tier == "national_standard"
    )
    assert "GB 55014-2021" in park.grading.provenance.reference
    # the honour title's 14.8 (and its per-district 5.5) are references, never the city's pass line
    assert [g.pass_line for g in park.references] == [14.8]
    assert park.references[0].applies.role == "reference"
    park = fw.indicator(
        "park_service_coverage"
    )  # L-06: one rule (2,000 m² → 300 m, 5,000 m² → 500 m)
    assert park.mohurd_id == "L-06" and park.grading is not None and park.grading.pass_line == 80
    assert (
        park.grading.provenance is not None and "GB 55014-2021" in park.grading.provenance.reference
    )
    square = fw.indicator("park_square_coverage_500m")  # GB/T 51346 §4.3.4, a proxy of B-04
    assert (
        square.grading is not None
        and square.grading.pass_line == 90
        and "B-04" in (square.proxy_for or "")
    )


def grade(fw: Framework, code: str, x: float) -> str | None:
    ind = fw.indicator(code)
    assert ind.grading is not None
    hits = [b.grade for b in ind.grading.resolved_bands(ind.direction) if b.contains(x)]
    return hits[0] if hits else None


@pytest.mark.parametrize(
    ("code", "value", "expected"),
    [
        # GB 55014-2021 §2.1.3: at least 8.0 m² per person; below it is 不足 (poor), never 一般
        ("park_area_per_capita", 8.0, "good"),
        ("park_area_per_capita", 8.01, "good"),
        ("park_area_per_capita", 7.99, "poor"),
        ("park_area_per_capita", 14.8, "good"),
        ("park_area_per_capita", 5.5, "poor"),
        # GB 55014-2021 §2.1.3: park service-radius coverage at least 80 %
        ("park_service_coverage", 80.0, "good"),
        ("park_service_coverage", 79.99, "poor"),
        ("park_service_coverage", 80.01, "good"),
        # GB/T 51346-2019 §4.3.4: park and square 500 m coverage > 90 %
        ("park_square_coverage_500m", 90.0, "good"),
        ("park_square_coverage_500m", 89.99, "poor"),
        ("road_network_density", 8.0, "good"),
        ("road_network_density", 7.99, "poor"),
        # Yichang's local standard (annex 1): 0.7–1.5 万人/km²; 宜昌 0.67 was graded 不足
        ("builtup_population_density", 0.67, "poor"),
        ("builtup_population_density", 0.7, "good"),
        ("builtup_population_density", 1.49, "good"),
        ("builtup_population_density", 1.5, "poor"),
        # CJJ 92-2016: basic leakage ≤ 10 % grade 1, ≤ 12 % grade 2
        ("water_network_leakage_rate", 10.0, "good"),
        ("water_network_leakage_rate", 10.01, "fair"),
        ("water_network_leakage_rate", 12.0, "fair"),
        ("water_network_leakage_rate", 12.01, "poor"),
    ],
)
def test_grading_examples(fw: Framework, code: str, value: float, expected: str) -> None:
    assert grade(fw, code, value) == expected


def test_national_average_targets_are_references_only(fw: Framework) -> None:
    for code in ("good_air_quality_days_ratio", "surface_water_class3_share", "msw_recovery_rate"):
        ind = fw.indicator(code)
        assert ind.grading is None, code
        assert ind.references and all(g.applies.role == "reference" for g in ind.references), code


def test_reclaimed_water_is_for_water_scarce_cities_only(fw: Framework) -> None:
    ind = fw.indicator("reclaimed_water_utilisation_rate")
    sets = ind.thresholds
    assert [g.pass_line for g in sets] == [35, 30, 25]
    assert all(g.applies.water_scarce is True and g.applies.target_year == 2025 for g in sets)
    assert sets[0].applies.regions == ["11", "12", "13"]


def test_future_targets_are_not_current_pass_lines(fw: Framework) -> None:
    """A target grades from its year on (listed first, it then takes over); before, it is shown as a target."""
    import pandas as pd

    from citycheckup.diagnosis import assess_thresholds

    sewage = fw.indicator("sewage_collection_rate")
    assert [(g.pass_line, g.applies.target_year) for g in sewage.thresholds][:2] == [
        (73, 2027),
        (70, None),
    ]
    sponge = fw.indicator("sponge_city_area_share")
    assert [(g.pass_line, g.applies.target_year) for g in sponge.thresholds] == [
        (80, 2030),
        (20, 2020),
    ]
    v = pd.DataFrame(
        {"unit_code": ["110000"] * 3, "year": [2026, 2027, 2028], "sewage_collection_rate": 71.0}
    )
    g, refs = assess_thresholds(v, fw)
    # 2026: the 2027 target is a target (shown), 70 % grades → good; from 2027: 71 < 73 → poor
    assert g.set_index("year")["grade"].to_dict() == {2026: "good", 2027: "poor", 2028: "poor"}
    r26 = refs[(refs["year"] == 2026) & (refs["reason"] == "target_year")]
    assert r26["reason_year"].tolist() == [2027]


def test_variables(fw: Framework) -> None:
    assert [v.code for v in fw.variables][: len(VARIABLES)] == list(VARIABLES)
    for v in fw.variables:
        assert v.min == 0, v.code
        if VARIABLES.get(v.code) is not None:
            assert v.unit == VARIABLES[v.code], v.code
    share = fw.variable("share_tertiary")
    assert share is not None and share.max == 1


def test_every_formula_uses_declared_variables(fw: Framework) -> None:
    declared = {v.code for v in fw.variables}
    derived = [i for i in fw.indicators if i.formula]
    assert set(DEMO) <= {i.code for i in derived}
    for ind in derived:
        assert ind.formula is not None
        names = parse_formula(ind.formula).names
        assert names <= declared, (ind.code, names - declared)


@pytest.mark.parametrize("code", sorted(DEMO))
def test_demo_indicators(fw: Framework, code: str) -> None:
    dim, formula, unit, direction = DEMO[code]
    ind = fw.indicator(code)
    assert fw.top_dimension_of()[code] == dim
    assert ind.formula == formula
    assert (ind.unit, ind.direction, ind.level) == (unit, direction, "city")
    assert ind.grading is None


def test_demo_formulas_evaluate() -> None:
    fw = load_framework(NAME)
    data = pd.DataFrame(
        {
            "unit_code": ["c", "c"],
            "year": [2022, 2023],
            "gdp": [1_000_000.0, 1_100_000.0],
            "pop_resident": [100.0, 102.0],
            "pop_hukou": [80.0, 80.0],
            "land_area": [1000.0, 1000.0],
            "trade_total": [1000.0, 1000.0],
            "share_tertiary": [0.5, 0.55],
            "students_higher": [5.0, 5.1],
            "exp_total": [200_000.0, 200_000.0],
            "exp_education": [30_000.0, 32_000.0],
            "exp_science": [6_000.0, 8_000.0],
            "revenue": [100_000.0, 120_000.0],
            "mobile_users": [120.0, 125.0],
            "broadband_users": [40.0, 45.0],
        }
    )
    expected_2022 = {
        "hukou_resident_gap": 20.0,
        "gdp_per_capita": 10_000.0,
        "st_expenditure_share": 3.0,
        "students_per_10k": 500.0,
        "tertiary_share": 50.0,
        "trade_openness": 10.0,
        "education_expenditure_per_capita": 300.0,
        "education_expenditure_share": 15.0,
        "mobile_subscriptions_per_100": 120.0,
        "broadband_per_100": 40.0,
        "fiscal_self_sufficiency": 50.0,
    }
    for code, want in expected_2022.items():
        got = evaluate_formula(fw.indicator(code).formula or "", data)
        assert math.isclose(got.iloc[0], want), (code, got.iloc[0], want)
    growth = evaluate_formula(fw.indicator("gdp_growth").formula or "", data)
    assert math.isnan(growth.iloc[0]) and math.isclose(growth.iloc[1], 10.0)


def test_coinr_meta_is_consistent(fw: Framework) -> None:
    meta = framework_to_coinr_meta(fw)
    ind = meta[meta["Type"] == "Indicator"]
    agg = meta[meta["Type"] == "Aggregate"]
    assert len(ind) == len(fw.indicators) and (ind["Level"] == 1).all()
    assert agg.loc[agg["Level"] == 2, "iCode"].tolist() == DIMENSIONS
    assert agg.loc[agg["Level"] == 3, "iCode"].tolist() == ["index"]
    assert meta["iCode"].is_unique
    level = dict(zip(meta["iCode"], meta["Level"], strict=True))
    for _, row in meta.iterrows():
        if pd.notna(row["Parent"]):
            assert level[row["Parent"]] == row["Level"] + 1, row["iCode"]
    assert set(ind["Direction"]) <= {1, -1}


def test_coinr_round_trip(fw: Framework) -> None:
    back = framework_from_coinr_table(framework_to_coinr_meta(fw))
    assert back.index_code == fw.index_code
    assert back.indicator_codes == fw.indicator_codes
    assert back.parent_of() == fw.parent_of()
    for a, b in zip(fw.indicators, back.indicators, strict=True):
        assert (a.weight, a.direction, a.unit, a.target) == (
            b.weight,
            b.direction,
            b.unit,
            b.target,
        )
