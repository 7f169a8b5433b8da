"""Mutation-testing survivors in :mod:`citycheckup.data.headers` (issue 18, third round).

Expected values follow from the documented rules: ``header_key`` is NFKC, lower case, without
characters of the Unicode categories P (punctuation), Z (separators) and C (control);
``split_header`` splits off one trailing bracket; ``unit_in_brackets`` strips a 单位/unit
prefix; ``HeaderIndex.suggest`` ranks by difflib's ratio 2·M/T (M matched characters, T the
two lengths summed), at least 0.6 or containment of a header of two or more characters.

The framework is the synthetic ``tests/data/files/units_framework.yaml`` unless a test builds
its own (synthetic, in ``tmp_path``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from citycheckup.data.headers import HeaderIndex, header_key, split_header, unit_in_brackets
from citycheckup.framework import load_framework


def _index(tmp_path: Path, variables: list[str], *, formula: str) -> HeaderIndex:
    """The header index of a synthetic framework: these variables, one indicator of ``formula``."""
    (tmp_path / "fw.yaml").write_text(
        "code: t\nname_zh: 测试\nname_en: Test\nversion: '1'\nvariables:\n"
        + "".join(f"  - {{{v}}}\n" for v in variables)
        + "dimensions:\n"
        "  - {code: d, name_zh: 维, name_en: Dim, indicators: [{code: i, name_zh: 指标, "
        f"name_en: Ind, unit: '%', direction: 1, level: city, formula: {formula}}}]}}\n",
        encoding="utf-8",
    )
    return HeaderIndex.of(load_framework(tmp_path / "fw.yaml"))


@pytest.fixture(scope="module")
def ufw():  # type: ignore[no-untyped-def]
    return load_framework(Path(__file__).parent / "files" / "units_framework.yaml")


@pytest.fixture
def idx(ufw) -> HeaderIndex:  # type: ignore[no-untyped-def]
    # built for every test (not once per module), so that mutation testing links each test
    # to HeaderIndex.of
    return HeaderIndex.of(ufw)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("常住人口（万人）", "常住人口万人"),  # full-width brackets: punctuation (Ps/Pe)
        ("Pop_Resident", "popresident"),  # "_" is Pc
        ("GDP\n(亿元)", "gdp亿元"),  # line break: Cc
        ("A B\u3000C", "abc"),  # space, ideographic space: Zs
        ("ＧＤＰ", "gdp"),  # full-width letters: NFKC
        ("占比%", "占比"),  # "%" is Po
        ("a+b", "a+b"),  # "+" is Sm (a symbol): kept
        (123, "123"),  # any object, as text
    ],
)
def test_header_key(text: object, key: str) -> None:
    assert header_key(text) == key


@pytest.mark.parametrize(
    ("header", "parts"),
    [
        ("地区生产总值(万元)", ("地区生产总值", "万元", "(")),
        ("GDP [亿元]", ("GDP", "亿元", "[")),
        ("常住人口", ("常住人口", None, None)),
        # runs of white space become one space; the bracket's text is stripped; the opening
        # bracket is the one after the name
        ("  常住  人口 （ 万人 ） ", ("常住 人口", "万人", "（")),
        ("a(b)(c)", ("a(b)", "c", "(")),  # only the last bracket
        ("x()", ("x", "", "(")),  # an empty bracket
        ("x【万元】", ("x", "万元", "【")),
        ("x〔万元〕", ("x", "万元", "〔")),
        ("(万元)", ("(万元)", None, None)),  # nothing before the bracket: not split
        ("x(万元) y", ("x(万元) y", None, None)),  # not at the end: not split
    ],
)
def test_split_header(header: str, parts: tuple[str, str | None, str | None]) -> None:
    assert split_header(header) == parts


@pytest.mark.parametrize(
    ("inner", "unit"),
    [
        (None, None),
        ("万元", "万元"),
        ("单位：万元", "万元"),
        ("计量单位:亿元", "亿元"),
        ("unit: km²", "km²"),
        # "Units" must be stripped whole, not as "Unit" + "s" (a bug fixed in this round:
        # the alternation tried "unit" before "units")
        ("Units: 万人", "万人"),
        ("units 万人", "万人"),
        ("当年价，亿元", "亿元"),  # a list: the part that is a unit
        ("当年价;万元", "万元"),
        ("万元、当年价", "万元"),
        ("当年价，单位：亿元", "亿元"),  # the prefix stripped in a part too
        ("名义", None),
        ("当年价，名义", None),
        ("unitsx", None),
    ],
)
def test_unit_in_brackets(inner: str | None, unit: str | None) -> None:
    assert unit_in_brackets(inner) == unit


def test_resolve_by_tier(idx: HeaderIndex) -> None:
    """Codes (tier 0), names (1), aliases (2), indicators (3); the first tier wins."""
    assert idx.resolve("GDP") == ["gdp"]  # key "gdp": the code itself
    assert idx.resolve("Gross regional product") == ["gdp"]  # name_en
    assert idx.resolve("全市地区生产总值") == ["gdp"]  # alias
    assert idx.resolve("人口密度") == ["population_density"]  # indicator name
    # the variable share_tertiary and the indicator tertiary_share have the same name_zh:
    # the variable (tier 1) wins over the indicator (tier 3)
    assert idx.resolve("第三产业增加值占GDP比重") == ["share_tertiary"]
    assert idx.resolve("人均GDP") == []


def test_label(idx: HeaderIndex) -> None:
    assert idx.label("gdp") == "gdp (地区生产总值)"
    assert idx.label("population_density") == "population_density (人口密度)"  # an indicator
    assert idx.label("nothing") == "nothing"


def test_tiers_list_each_code_once_and_ambiguous_headers(tmp_path: Path) -> None:
    """Synthetic framework: variables a and b share the alias 人口 (ambiguous: both codes, in
    framework order); b's alias 乙 is written twice but listed once."""
    h = _index(
        tmp_path,
        [
            "code: a, name_zh: 甲, name_en: Alpha, unit: 万人, aliases: [人口]",
            "code: b, name_zh: 乙乙, name_en: Beta, unit: 万人, aliases: [人口, 乙, 乙]",
        ],
        formula="a / b",
    )
    assert h.resolve("人口") == ["a", "b"]
    assert h.tiers[2]["乙"] == ["b"]
    assert h.tiers[1] == {"甲": ["a"], "alpha": ["a"], "乙乙": ["b"], "beta": ["b"]}
    assert h.tiers[3] == {"指标": ["i"], "ind": ["i"]}


def test_suggest_containment_of_two_characters(idx: HeaderIndex) -> None:
    """ "人口" (2 characters) against the keys: 常住人口 and 户籍人口 (names, 4 characters):
    2·2/6 = 0.67; 人口密度 (indicator name): 0.67; 常住人口增长率 (7): 2·2/9 = 0.44, but it
    contains 人口, so 0.6; 年末常住人口 (6): 0.5, contained, 0.6 (pop_resident already has
    0.67).  Ranked by ratio, then framework order (pop_resident 1, pop_hukou 2,
    population_density 10, resident_population_growth 9)."""
    assert idx.suggest("人口", n=10) == [
        "pop_resident",
        "pop_hukou",
        "population_density",
        "resident_population_growth",
    ]
    assert idx.suggest("人口", n=2) == ["pop_resident", "pop_hukou"]
    assert idx.suggest("人口") == ["pop_resident", "pop_hukou", "population_density"]  # n = 3
    # the unit in the header is ignored; a name that is only punctuation falls back to the whole
    assert (
        idx.suggest("人口(万人)", n=10) == idx.suggest("-(人口)", n=10) == idx.suggest("人口", n=10)
    )


def test_suggest_one_character_is_not_contained(idx: HeaderIndex) -> None:
    """ "口" (1 character): no containment rule; the best ratio is 2·1/5 = 0.4 (人口密度) < 0.6."""
    assert idx.suggest("口") == []
    assert idx.suggest("") == []
    assert idx.suggest("()") == []


def test_suggest_ratio_at_the_limit(tmp_path: Path) -> None:
    """Synthetic variables with the codes abcdefghij, abd, abcxy, xyzw.  Against "abc": abcxy
    has 2·3/8 = 0.75; abd 2·2/6 = 0.67; abcdefghij only 2·3/13 = 0.46, but it contains "abc",
    so 0.6 -- at the limit, kept; xyzw 0.  Ranked by ratio."""
    h = _index(
        tmp_path,
        [
            "code: abcdefghij, name_zh: 甲, name_en: One, unit: 万人",
            "code: abd, name_zh: 乙, name_en: Two, unit: 万人",
            "code: abcxy, name_zh: 丙, name_en: Three, unit: 万人",
            "code: xyzw, name_zh: 丁, name_en: Four, unit: 万人",
        ],
        formula="abd / abcxy",
    )
    assert h.suggest("abc", n=10) == ["abcxy", "abd", "abcdefghij"]


def test_suggest_code_wins_a_tie_with_a_name(tmp_path: Path) -> None:
    """Synthetic: x_one (first in the framework) has the English name "abce", abcd (second)
    the code "abcd"; "abcz" matches both with 2·3/8 = 0.75.  A code (tier 0) ranks before
    names and aliases at equal ratio, so abcd comes first despite the framework order."""
    h = _index(
        tmp_path,
        [
            "code: x_one, name_zh: 甲, name_en: abce, unit: 万人",
            "code: abcd, name_zh: 乙, name_en: Two, unit: 万人",
        ],
        formula="x_one / abcd",
    )
    assert h.suggest("abcz") == ["abcd", "x_one"]
    # equal tier and ratio: framework order ("abcd" vs "abce" from "abcf": both 0.75)
    assert h.suggest("abcf") == ["abcd", "x_one"]
