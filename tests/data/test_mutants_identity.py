"""Survivors of mutation testing in :mod:`citycheckup.data.identity` (issue 18)."""

from __future__ import annotations

import pandas as pd

from citycheckup.data.identity import default_gazetteer


def test_table_validity_years_are_nullable_integers() -> None:
    """valid_from / valid_to are whole years or missing (pandas ``Int64``), not floats:
    巢湖 (341400) was abolished in 2011, so its last year is 2010; 北京 has no end."""
    t = default_gazetteer().table()
    assert str(t["valid_from"].dtype) == str(t["valid_to"].dtype) == "Int64"
    rows = t.set_index("code")
    assert rows.loc["110000", "valid_to"] is pd.NA
    assert rows.loc["341400", "valid_to"] == 2010


def test_canonical_code_strips_a_float_suffix_and_maps_aliases() -> None:
    """Codes read from a spreadsheet as floats end in ".0": 110000.0 is 110000; 110100 (北京市辖区)
    is stored as 110000; a code that is neither stays as it is (after stripping spaces)."""
    g = default_gazetteer()
    assert g.canonical_code("110000.0") == "110000"
    assert g.canonical_code(" 130600.0 ") == "130600"
    assert g.canonical_code("110100") == "110000"
    assert g.canonical_code("1306.0") == "1306"
    assert g.canonical_code("130600") == "130600"


def test_english_names_match() -> None:
    """English names, in any case and with or without "City", match the unit (保定 = Baoding)."""
    g = default_gazetteer()
    assert [g.match(n) for n in ("Baoding", "baoding city", "BAODING")] == ["130600"] * 3


# ---------------------------------------------------------------------------------------------
# Third round (issue 18): a synthetic gazetteer (made-up units, not real places) whose former
# names collide on purpose, so that each lookup path gives a different answer.
#   100100 甲州市 (Jiazhou), formerly 乙州地区 / "Yizhou Prefecture" until 2005;
#   100200 丙州市 (Bingzhou), 2005-2010, formerly 乙州市 / "Yizhou City" until 2008,
#          无名 / "None" until 2003 and 旧丙州 (no English name) until 2001.
# city_core_name drops 市 and 地区, so 乙州 is the core of both former names.
# ---------------------------------------------------------------------------------------------

import pytest  # noqa: E402

from citycheckup.data.identity import (  # noqa: E402
    City,
    FormerName,
    Gazetteer,
    province_short_name,
)
from citycheckup.errors import UnitMatchError  # noqa: E402

_A = City("100100", "甲州市", "测试省", "100000", name_en="Jiazhou", province_en="Ceshi",
          name_en_full="Jiazhou City", aliases_en=("Kiachow",),
          former_names=(FormerName("乙州地区", "Yizhou Prefecture", "100199", 2005),))  # fmt: skip
_B = City("100200", "丙州市", "测试省", "100000", name_en="Bingzhou", province_en="Ceshi",
          valid_from=2005, valid_to=2010,
          former_names=(FormerName("乙州市", "Yizhou City", "100299", 2008),
                        FormerName("旧丙州", "", "100297", 2001),
                        FormerName("无名", "None", "100298", 2003)))  # fmt: skip


@pytest.fixture
def g2() -> Gazetteer:
    # built for every test, so that mutation testing links each test to Gazetteer.__init__
    return Gazetteer([_A, _B])


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("乙州地区", "100100"),  # the full former name: one unit
        ("乙州市", "100200"),  # not the core 乙州, which is ambiguous
        ("Yizhou Prefecture", "100100"),
        ("Yizhou City", "100200"),
        ("None", "100200"),  # a former English name is matched whatever it spells
    ],
)
def test_former_names_of_the_synthetic_gazetteer(g2: Gazetteer, name: str, code: str) -> None:
    m = g2.resolve(name)
    assert (m.code, m.via) == (code, "former_name")


def test_former_core_and_short_names_are_ambiguous(g2: Gazetteer) -> None:
    """乙州 is the core of 乙州地区 (甲州) and of 乙州市 (丙州); "Yizhou" the short form of both
    English former names (designation stripped): both are ambiguous and list both units."""
    with pytest.raises(UnitMatchError) as e:
        g2.match("乙州")
    assert str(e.value) == (
        "city '乙州' is ambiguous: 100100 测试省甲州市, 100200 测试省丙州市; "
        "add the province (e.g. 测试甲州) or use the code"
    )
    with pytest.raises(UnitMatchError) as e:
        g2.match("Yizhou")
    assert str(e.value) == (
        "city 'Yizhou' is ambiguous: 100100 Jiazhou (Ceshi), 100200 Bingzhou (Ceshi); "
        "add the province (e.g. 'Jiazhou, Ceshi') or use the code"
    )


def test_former_name_notes(g2: Gazetteer) -> None:
    m = g2.resolve("乙州地区")
    assert m.note_zh == "“乙州地区”是甲州市（100100）的旧称，2005年改为现名"
    assert m.note_en == "'乙州地区' is a former name of Jiazhou (100100), changed in 2005"


def test_generated_history_in_both_languages(g2: Gazetteer) -> None:
    """No history text: the sentence is made from valid_from / valid_to (abolished the year
    after the last year, 2010 + 1)."""
    assert g2.history("100100") == "甲州市：2000年以来无变更记录。"
    assert g2.history("100100", lang="en") == "Jiazhou: no recorded change since 2000."
    assert g2.history("100200") == "丙州市：2005年设立，2011年撤销。"
    assert g2.history("100200", lang="en") == "Bingzhou: established in 2005; abolished in 2011."


def test_match_many_names_the_data_row(g2: Gazetteer) -> None:
    """The second name (file row 3: header is row 1) is unknown; ``where`` defaults to data."""
    with pytest.raises(UnitMatchError) as e:
        g2.match_many(["甲州市", "xx"])
    assert [p.where for p in e.value.problems] == ["data row 3"]
    with pytest.raises(UnitMatchError) as e:
        g2.match_many(["xx", "甲州市"], where="f.csv")
    assert [p.where for p in e.value.problems] == ["f.csv row 2"]


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("河北省", "河北"),
        ("河北 省", "河北"),
        ("广西壮族自治区", "广西"),
        ("北京市", "北京"),
        ("省", "省"),
    ],
)
def test_province_short_name(name: str, short: str) -> None:
    """Spaces are dropped before the suffix is; a name that is only a suffix stays."""
    assert province_short_name(name) == short


def test_municipality_aliases_in_a_gazetteer() -> None:
    """北京 as 110000 and as 110100 (市辖区): the alias is dropped when both are listed; with
    only 110100 listed, 110000 is found under 110100."""
    both = Gazetteer([City("110000", "北京市", "北京市", "110000"),
                      City("110100", "市辖区", "北京市", "110000")])  # fmt: skip
    assert list(both.cities) == ["110000"] and "110100" in both
    only = Gazetteer([City("110100", "北京市", "北京市", "110000")])
    assert only.canonical_code("110000") == "110100"
    assert only.canonical_code("120000") == "120000"  # 120100 is not listed either


def test_candidates_edge_cases() -> None:
    """A name that is only spaces or only punctuation matches nothing; a municipality written
    as its province (北京 with the short name 京城 recorded) matches the municipality; a province
    that is not itself a unit (河北) matches nothing."""
    g = Gazetteer([City("110000", "北京市", "北京市", "110000", name_short="京城"),
                   City("130600", "保定市", "河北省", "130000")])  # fmt: skip
    assert g.candidates("  ") == [] and g.candidates("!!!") == []
    assert g.candidates("北京") == ["110000"]
    assert g.candidates("北京省") == ["110000"]  # province_short_name("北京省") = 北京
    assert g.candidates("河北") == []
    assert _A.name_zh == "甲州市"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Jiazhou", "100100"),  # name_en
        ("Jiazhou City", "100100"),  # name_en_full
        ("kiachow", "100100"),  # an English alias, any case
        ("Bingzhou, Ceshi", "100200"),  # with the English province name
        ("旧丙州", "100200"),  # a former Chinese name without an English one
    ],
)
def test_english_names_of_the_synthetic_gazetteer(g2: Gazetteer, name: str, code: str) -> None:
    assert g2.match(name) == code


def test_an_empty_english_key_matches_nothing(g2: Gazetteer) -> None:
    """ "!!!" has no letters: its English key is empty, and the former name of 丙州 without an
    English name (key "") must not match it."""
    with pytest.raises(UnitMatchError, match="is not a known prefecture-level unit"):
        g2.match("!!!")


def test_former_name_with_spaces(g2: Gazetteer) -> None:
    """Spaces inside a name are ignored, also for former names: 乙州 地区 is 乙州地区 (甲州)."""
    assert g2.match("乙州 地区") == "100100"
    assert g2.match(" 乙州市 ") == "100200"


def test_csv_field_parsers() -> None:
    """The gazetteer.csv fields: a year or blank; former names "zh|en|code|until" joined by
    ";" (empty parts skipped); lists joined by ";"."""
    from citycheckup.data.identity import _former, _int_or_none, _split

    assert _int_or_none("2010") == 2010 and _int_or_none(" ") is None and _int_or_none("") is None
    assert _former("乙州地区|Yizhou Prefecture|100199|2005;;无名|None|100298|2003") == (
        FormerName("乙州地区", "Yizhou Prefecture", "100199", 2005),
        FormerName("无名", "None", "100298", 2003),
    )
    assert _former("") == ()
    assert _split("a;;b;") == ("a", "b") and _split("") == ()


def test_table_of_the_synthetic_gazetteer(g2: Gazetteer) -> None:
    """One row per unit; lists joined with ";", former names as zh|en|code|until."""
    t = g2.table().set_index("code")
    assert t.loc["100100", "aliases_en"] == "Kiachow"
    assert t.loc["100100", "former_names"] == "乙州地区|Yizhou Prefecture|100199|2005"
    assert t.loc["100200", "former_names"] == (
        "乙州市|Yizhou City|100299|2008;旧丙州||100297|2001;无名|None|100298|2003"
    )
    assert t.loc["100100", "successor"] == ""
    assert t.loc["100200", "valid_from"] == 2005 and t.loc["100200", "valid_to"] == 2010
    assert t.loc["100100", "valid_from"] is pd.NA
    assert str(t["valid_to"].dtype) == "Int64"


@pytest.mark.parametrize(
    ("key", "variants"),
    [
        ("xiancity", ["xiancity", "xian"]),
        ("city", ["city"]),  # a designation alone is not stripped to nothing
        ("baodingshicity", ["baodingshicity", "baodingshi", "baoding"]),  # one at a time
    ],
)
def test_en_variants(key: str, variants: list[str]) -> None:
    from citycheckup.data.identity import _en_variants

    assert _en_variants(key) == variants


def test_longest_province_prefix_first() -> None:
    """Synthetic provinces 甲省 and 甲乙省 (short names 甲 and 甲乙): 甲乙丙丁 is 丙丁 in 甲乙省,
    not 乙丙丁 in 甲省 -- the longer province name is tried first."""
    g = Gazetteer(
        [City("200100", "丙丁市", "甲乙省", "200000"), City("300100", "乙丙丁市", "甲省", "300000")]
    )
    assert g.candidates("甲乙丙丁") == ["200100"]
    with pytest.raises(UnitMatchError) as e:
        g.city("999999")
    assert str(e.value) == (
        "unit code '999999' is not in the gazetteer; use a 6-digit administrative code of a "
        "prefecture-level unit (e.g. 130600) or match the name with Gazetteer.match"
    )
