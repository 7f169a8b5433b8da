"""The facility mapping: tag rules, derived properties and every parse error (issue 18).

The mappings are small synthetic YAML documents written in the tests; expected values come
from the rules in the file's header comment (facilities.yaml) and from GB 50180-2018 (the
built-in life circles at 300, 500 and 1000 m and the residential block).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from citycheckup.errors import SpatialError
from citycheckup.spatial._facilities import (
    Category,
    LifeCircle,
    _parse,
    _rule_matches,
    load_facility_config,
)

BASE: dict[str, Any] = {
    "version": 2,
    "categories": {
        "shop": {"osm": [{"shop": True}], "name_zh": "商店", "name_en": "Shop", "poi": ["购物"]},
        "school": {"osm": [{"amenity": ["school"]}]},
        "park": {"osm": [{"leisure": ["park"]}], "geometry": "polygon"},
        "named": {"osm": [{"name~": "菜市场"}]},
        "none": {"osm": []},
    },
    "life_circles": {
        "15min": {
            "name_zh": "十五分钟生活圈",
            "name_en": "15-minute circle",
            "distance_m": 1000,
            "population": [50000, 100000],
            "items": [{"item": "school", "categories": ["school"]}],
        },
        "5min": {
            "distance_m": 300,
            "items": [
                {"item": "shop", "name_zh": "商店", "name_en": "Shop", "categories": ["shop"]},
                {"item": "green", "categories": ["park", "shop"]},
            ],
        },
        "block": {"scope": "compound", "items": [{"item": "shop", "categories": ["shop"]}]},
    },
    "indicators": {"shop_coverage": {"category": "shop", "distance_m": 700, "mohurd_id": "X-1"}},
    "parks": {
        "access_buffer_m": 20,
        "rules": {
            "park_cov": {
                "categories": ["park"],
                "radii": [
                    {"min_area_m2": 5000, "distance_m": 1500},
                    {"min_area_m2": 2000, "distance_m": 300},
                ],
            }
        },
    },
    "residential": {"building": ["flat"], "generic_building_in": ["housing"], "default_levels": 3},
    "roads": {
        "classes": {"arterial": ["primary"], "branch": ["residential", 5]},
        "compound_classes": ["residential"],
        "builtup": {"landuse": ["residential"]},
    },
    "quality": {"max_natural_share": 0.2},
}


def _cfg(**changes: Any) -> Any:
    raw = copy.deepcopy(BASE)
    raw.update(changes)
    return _parse(raw, "m.yaml")


def _problems(raw: Any) -> list[str]:
    with pytest.raises(SpatialError) as err:
        _parse(raw, "m.yaml")
    assert str(err.value).startswith("invalid facility mapping") or "m.yaml" in str(err.value)
    return [str(p) for p in err.value.problems]


# ---------------------------------------------------------------- rules


def test_rule_matching() -> None:
    """A rule needs every key; ``true`` accepts any value but ``no``, a list accepts its values
    (``no`` too, when listed); regex keys end in ``~`` and search the value of the key without
    the ``~``."""
    rule: dict[str, Any] = {"amenity": ["school", "college"], "name~": re.compile("中学$")}
    assert _rule_matches(rule, {"amenity": "school", "name": "第一中学"})
    assert not _rule_matches(rule, {"amenity": "school", "name": "中学部"})  # regex fails
    assert not _rule_matches(rule, {"amenity": "school"})  # regex key missing
    assert not _rule_matches(rule, {"name": "第一中学"})  # value key missing
    assert not _rule_matches(rule, {"amenity": "kindergarten", "name": "第一中学"})
    assert _rule_matches({"shop": True}, {"shop": "bakery"})
    assert not _rule_matches({"shop": True}, {"shop": "no"})
    assert _rule_matches({"shop": ["no"]}, {"shop": "no"})
    assert not _rule_matches({"shop": ["yes"]}, {"shop": "no"})
    assert _rule_matches({}, {"x": "y"})


def test_category_matches_with_exclusions_and_pois() -> None:
    cat = Category(
        "park", "公园", "Park",
        osm=({"leisure": ["park"]},),
        exclude=({"access": ["private", "no"]},),
        poi=("公园", "广场"),
    )  # fmt: skip
    tags = [{"leisure": "park"}, {"leisure": "park", "access": "private"}, {"leisure": "pitch"}]
    assert cat.matches(tags).tolist() == [True, False, False]
    assert cat.matches_poi(["风景名胜;公园", "广场", "a.b", "公 园"]).tolist() == [
        True,
        True,
        False,
        False,
    ]
    # keywords are literal text, not regular expressions
    dot = Category("x", "x", "x", osm=(), poi=("a.b",))
    assert dot.matches_poi(["a.b", "axb"]).tolist() == [True, False]
    assert Category("y", "y", "y", osm=()).matches_poi(["公园"]).tolist() == [False]
    assert cat.matches([]).dtype == bool and cat.matches([]).size == 0


def test_builtin_park_exclusion_of_access_no() -> None:
    """OSM access=no marks a park the public may not enter; facilities.yaml excludes
    ``access: [private, no]`` from parks and squares, so such a park must not match. (Found
    by these tests: YAML 1.1 read the bare ``no`` as False, kept as 'False', and a rule
    listing 'no' never matched; fixed in commit 5d52021.)"""
    park = load_facility_config().categories["park"]
    tags = [{"leisure": "park", "access": "no"}, {"leisure": "park", "access": "private"}]
    assert park.matches(tags).tolist() == [False, False]


def test_osm_basis() -> None:
    assert Category("a", "a", "a", osm=()).osm_basis == "none"
    assert not Category("a", "a", "a", osm=()).osm_expressible
    assert Category("a", "a", "a", osm=({"name~": re.compile("x")},)).osm_basis == "names only"
    mixed = ({"name~": re.compile("x")}, {"shop": True})
    assert Category("a", "a", "a", osm=mixed).osm_basis == "tags"
    both = ({"name~": re.compile("x"), "shop": True},)
    assert Category("a", "a", "a", osm=both).osm_basis == "tags"
    assert Category("a", "a", "a", osm=({"shop": True},)).osm_expressible


# ---------------------------------------------------------------- parsed values


def test_parsed_mapping_values() -> None:
    c = _cfg()
    assert c.source == "m.yaml"
    # circles sorted by distance, compound scope last
    assert [lc.name for lc in c.life_circles] == ["5min", "15min", "block"]
    five, fifteen, block = c.life_circles
    assert five.distance_m == 300.0 and five.population is None and five.scope == "network"
    assert fifteen.population == (50000.0, 100000.0)
    assert (fifteen.name_zh, fifteen.name_en) == ("十五分钟生活圈", "15-minute circle")
    assert (five.name_zh, five.name_en) == ("5min", "5min")  # defaults: the circle's name
    assert block.distance_m is None and block.scope == "compound" and block.edge_m == 30.0
    assert five.items[0].name_zh == "商店" and five.items[0].name_en == "Shop"
    assert five.items[1].name_zh == "green" and five.items[1].name_en == "green"
    assert five.categories == ("shop", "park")
    assert five.code == "life_circle_5min_coverage"
    assert block.code == "residential_block_coverage"
    assert c.categories["shop"].name_zh == "商店" and c.categories["school"].name_zh == "school"
    assert c.categories["school"].name_en == "school"
    assert c.categories["shop"].poi == ("购物",)
    assert c.categories["park"].polygon and not c.categories["shop"].polygon
    assert c.polygon_categories == frozenset({"park"})
    assert c.categories["named"].osm_basis == "names only"
    assert c.categories["named"].matches([{"name": "东门菜市场"}]).tolist() == [True]
    assert c.named[0].code == "shop_coverage" and c.named[0].distance_m == 700.0
    assert c.named[0].name_zh == "shop_coverage" and c.named[0].mohurd_id == "X-1"
    rule = c.park_rules[0]
    assert rule.radii == ((2000.0, 300.0), (5000.0, 1500.0))  # sorted by area
    assert rule.categories == ("park",) and rule.mohurd_id is None
    assert c.park_access_buffer_m == 20.0
    assert c.residential_buildings == frozenset({"flat"})
    assert c.generic_building_landuse == frozenset({"housing"})
    assert c.default_levels == 3.0
    assert c.road_classes == {"arterial": ("primary",), "branch": ("residential", "5")}
    assert c.compound_road_classes == frozenset({"residential"})
    assert c.builtup == {"landuse": ["residential"]}
    assert c.quality == {"max_natural_share": 0.2}
    assert c.labels["shop"] == "商店 Shop" and c.labels["school"] == "school school"
    # the largest distance: the 1,500 m park radius
    assert c.max_distance == 1500.0
    # a point category gets each network circle's distance; polygons none
    assert c.category_thresholds() == {"shop": [300], "school": [1000]}
    assert c.matches("school", [{"amenity": "school"}, {"amenity": "bar"}]).tolist() == [
        True,
        False,
    ]


def test_defaults_of_optional_sections() -> None:
    raw = copy.deepcopy(BASE)
    for k in ("parks", "residential", "quality", "indicators"):
        raw.pop(k)
    raw["roads"] = {"classes": {"branch": ["residential"]}}
    raw["life_circles"]["block"]["edge_m"] = 45
    c = _parse(raw, "m.yaml")
    assert c.park_rules == () and c.park_access_buffer_m == 30.0
    assert c.residential_buildings == frozenset({"residential", "apartments", "house"})
    assert c.generic_building_landuse == frozenset({"residential"})
    assert c.default_levels == 1.0
    assert c.compound_road_classes == frozenset()
    assert c.builtup == {} and c.quality == {}
    assert c.named == ()
    assert c.max_distance == 1000.0
    assert c.life_circles[-1].edge_m == 45.0


def test_max_distance_without_any_distance() -> None:
    raw = copy.deepcopy(BASE)
    raw["life_circles"] = {"block": BASE["life_circles"]["block"]}
    raw.pop("indicators")
    raw.pop("parks")
    assert _parse(raw, "m.yaml").max_distance == 0.0


def test_builtin_mapping_is_gb50180() -> None:
    c = load_facility_config()
    assert c.source == "facilities.yaml (builtin)"
    assert [(lc.name, lc.distance_m) for lc in c.life_circles] == [
        ("5min", 300.0), ("10min", 500.0), ("15min", 1000.0), ("block", None),
    ]  # fmt: skip
    assert [lc.population for lc in c.life_circles] == [
        (5000.0, 12000.0), (15000.0, 25000.0), (50000.0, 100000.0), (1000.0, 3000.0),
    ]  # fmt: skip
    assert c.max_distance == 1000.0
    th = c.category_thresholds()
    assert th["sports_ground"] == [300, 500, 1000]
    assert th["middle_school"] == [1000]
    assert "park" not in th
    rule = {r.code: r for r in c.park_rules}["park_service_coverage"]
    assert rule.radii == ((2000.0, 300.0), (5000.0, 500.0))


def test_load_from_file_and_bad_files(tmp_path: Path) -> None:
    p = tmp_path / "m.yaml"
    p.write_text(
        "version: 2\ncategories: {a: {osm: [{shop: true}]}}\n"
        "life_circles: {5min: {distance_m: 300, items: [{item: a, categories: [a]}]}}\n"
        "roads: {classes: {branch: [residential]}}\n",
        encoding="utf-8",
    )
    c = load_facility_config(p)
    assert c.source == str(p) and c.category_thresholds() == {"a": [300]}
    with pytest.raises(SpatialError, match="facility mapping not found") as err:
        load_facility_config(tmp_path / "nope.yaml")
    assert str(err.value.problems[0]) == f"{tmp_path / 'nope.yaml'}: no such file"
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [b\n", encoding="utf-8")
    with pytest.raises(SpatialError, match="facility mapping is not valid YAML") as err:
        load_facility_config(bad)
    assert err.value.problems[0].where == str(bad)
    lst = tmp_path / "list.yaml"
    lst.write_text("- 1\n", encoding="utf-8")
    with pytest.raises(SpatialError, match="facility mapping must be a YAML mapping") as err:
        load_facility_config(lst)
    assert str(err.value.problems[0]) == f"{lst}: top level"


# ---------------------------------------------------------------- every problem, by its text


def test_top_level_problems() -> None:
    assert _problems({"version": 1}) == [
        "m.yaml: version must be 2 (got 1); start from the built-in facilities.yaml",
        "m.yaml: categories: 'categories' must map names to {osm: [...]}",
        "m.yaml: roads.classes must map road classes to OSM highway values",
    ]


def test_category_problems() -> None:
    raw = copy.deepcopy(BASE)
    raw["categories"].update(
        {
            "1abc": {"osm": []},
            "bad-name": {"osm": []},
            "noosm": {"poi": ["x"]},
            "notdict": 5,
            "badpoi": {"osm": [], "poi": ["", 3]},
            "poistr": {"osm": [], "poi": "x"},
            "rules": {
                "osm": [{"a~": 5}, {"b~": "("}, 7, {}, {"c": {"x": 1}}, {"d": [1, True, "z"]}],
                "exclude": "nolist",
            },
        }
    )
    got = _problems(raw)
    assert got == [
        "m.yaml: categories.1abc: category names must be ASCII identifiers",
        "m.yaml: categories.bad-name: category names must be ASCII identifiers",
        "m.yaml: categories.noosm: needs an 'osm' list (empty when OSM has no tag for it)",
        "m.yaml: categories.notdict: needs an 'osm' list (empty when OSM has no tag for it)",
        "m.yaml: categories.badpoi: 'poi' must be a list of non-empty keywords",
        "m.yaml: categories.poistr: 'poi' must be a list of non-empty keywords",
        "m.yaml: categories.rules.osm[0]: 'a~' needs a regular expression string",
        "m.yaml: categories.rules.osm[1]: bad regular expression '(': missing ), unterminated "
        "subpattern at position 0",
        "m.yaml: categories.rules.osm[2]: a rule maps tag keys to values",
        "m.yaml: categories.rules.osm[3]: a rule maps tag keys to values",
        "m.yaml: categories.rules.osm[4]: 'c' needs a list of strings or true",
        "m.yaml: categories.rules.exclude: must be a list of {key: [values] | true | 'regex'}",
    ]


def test_list_values_become_text() -> None:
    raw = copy.deepcopy(BASE)
    raw["categories"]["odd"] = {"osm": [{"d": [1, True, False, "z"]}]}
    c = _parse(raw, "m.yaml")
    assert c.categories["odd"].osm == ({"d": ["1", "yes", "no", "z"]},)
    assert c.categories["odd"].exclude == ()


def test_life_circle_problems() -> None:
    raw = copy.deepcopy(BASE)
    raw["life_circles"] = {
        "bad name": {"distance_m": 300, "items": [{"item": "a", "categories": ["shop"]}]},
        "notdict": [1],
        "scope": {"scope": "city", "items": []},
        "nodist": {"items": [{"item": "a", "categories": ["shop"]}]},
        "zero": {"distance_m": 0, "items": [{"item": "a", "categories": ["shop"]}]},
        "text": {"distance_m": "300", "items": [{"item": "a", "categories": ["shop"]}]},
        "items": {
            "distance_m": 300,
            "items": [
                "x",
                {"item": "bad item", "categories": ["shop"]},
                {"item": "a"},
                {"item": "b", "categories": []},
                {"item": "c", "categories": ["shop", "zzz"]},
            ],
        },
    }
    assert _problems(raw) == [
        "m.yaml: life_circles.bad name: life circle names must be ASCII letters/digits such as 15min",
        "m.yaml: life_circles.notdict: needs distance_m (or scope: compound) and items",
        "m.yaml: life_circles.scope: scope must be network or compound, got 'city'",
        "m.yaml: life_circles.nodist: distance_m must be a positive number, got None",
        "m.yaml: life_circles.zero: distance_m must be a positive number, got 0",
        "m.yaml: life_circles.text: distance_m must be a positive number, got '300'",
        "m.yaml: life_circles.items.items[0]: an item needs an ASCII 'item' name and 'categories'",
        "m.yaml: life_circles.items.items[1]: an item needs an ASCII 'item' name and 'categories'",
        "m.yaml: life_circles.items.items[2]: 'categories' must be a non-empty list",
        "m.yaml: life_circles.items.items[3]: 'categories' must be a non-empty list",
        "m.yaml: life_circles.items.items[4]: unknown categories ['zzz']; define them under "
        "'categories'",
        "m.yaml: life_circles.items: needs a non-empty list of items",
    ]


def test_small_positive_distance_and_population_shapes() -> None:
    raw = copy.deepcopy(BASE)
    raw["life_circles"]["5min"]["distance_m"] = 0.5
    raw["life_circles"]["5min"]["population"] = [1, 2, 3]  # not a pair: ignored
    c = _parse(raw, "m.yaml")
    five = c.life_circles[0]
    assert five.distance_m == 0.5 and five.population is None


def test_indicator_and_park_problems() -> None:
    raw = copy.deepcopy(BASE)
    raw["indicators"] = {
        "bad code": {"category": "shop", "distance_m": 5},
        "notdict": 3,
        "unknown": {"category": "zzz", "distance_m": 5},
        "zero": {"category": "shop", "distance_m": 0},
        "text": {"category": "shop", "distance_m": "5"},
        "tiny": {"category": "shop", "distance_m": 0.5},
    }
    raw["parks"]["rules"] = {
        "bad code": {"categories": ["park"], "radii": [{"min_area_m2": 0, "distance_m": 1}]},
        "notdict": 1,
        "nocat": {"radii": [{"min_area_m2": 0, "distance_m": 1}]},
        "pointcat": {"categories": ["shop"], "radii": [{"min_area_m2": 0, "distance_m": 1}]},
        "unknowncat": {"categories": ["zzz"], "radii": [{"min_area_m2": 0, "distance_m": 1}]},
        "badradius": {
            "categories": ["park"],
            "radii": [{"min_area_m2": 0}, 5, {"min_area_m2": "x", "distance_m": 1}],
        },
        "noradius": {"categories": ["park"], "radii": []},
        "ok": {"categories": ["park"], "radii": [{"min_area_m2": "0", "distance_m": 1}]},
    }
    assert _problems(raw) == [
        "m.yaml: indicators.bad code: needs an ASCII code and {category, distance_m}",
        "m.yaml: indicators.notdict: needs an ASCII code and {category, distance_m}",
        "m.yaml: indicators.unknown: unknown category 'zzz'",
        "m.yaml: indicators.zero: distance_m must be a positive number, got 0",
        "m.yaml: indicators.text: distance_m must be a positive number, got '5'",
        "m.yaml: parks.rules.bad code: needs an ASCII code and {categories, radii}",
        "m.yaml: parks.rules.notdict: needs an ASCII code and {categories, radii}",
        "m.yaml: parks.rules.nocat: categories must be polygon categories, got []",
        "m.yaml: parks.rules.pointcat: categories must be polygon categories, got ['shop']",
        "m.yaml: parks.rules.unknowncat: categories must be polygon categories, got ['zzz']",
        "m.yaml: parks.rules.badradius: each radius needs min_area_m2 and distance_m",
        "m.yaml: parks.rules.badradius: each radius needs min_area_m2 and distance_m",
        "m.yaml: parks.rules.badradius: each radius needs min_area_m2 and distance_m",
        "m.yaml: parks.rules.badradius: needs at least one radius",
        "m.yaml: parks.rules.noradius: needs at least one radius",
    ]


def test_life_circle_dataclass_defaults() -> None:
    lc = LifeCircle("x", "x", "x", 100.0, ())
    assert lc.scope == "network" and lc.edge_m == 30.0 and lc.population is None
    assert lc.categories == () and lc.code == "life_circle_x_coverage"


def test_matches_on_numpy_length() -> None:
    c = _cfg()
    m = c.categories["shop"].matches([{"shop": "a"}] * 3)
    assert isinstance(m, np.ndarray) and m.tolist() == [True] * 3
