"""City identity: codes and name variants (reference codes: GB/T 2260 administrative division codes)."""

from __future__ import annotations

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
        ("河北保定", "130600"), ("保定市", "130600"), ("保定", "130600"), ("130600", "130600"),
        ("河北省保定市", "130600"), ("北京", "110000"), ("北京市", "110000"), ("110100", "110000"),
        ("上海市", "310000"), ("重庆", "500000"), ("广西桂林", "450300"), ("桂林市", "450300"),
        ("延边朝鲜族自治州", "222400"), ("延边", "222400"), (" 保定 市 ", "130600"),
        ("内蒙古鄂尔多斯", "150600"), ("新疆乌鲁木齐", "650100"),
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
    with pytest.raises(UnitMatchError, match=r"'不存在市' is not a known prefecture-level unit.*6-digit"):
        default_gazetteer().match("不存在市")


def test_ambiguous_name_lists_candidates() -> None:
    g = Gazetteer([City("100100", "新城市", "甲省", "100000"), City("200100", "新城市", "乙省", "200000")])
    with pytest.raises(UnitMatchError, match=r"ambiguous: 100100 甲省新城市, 200100 乙省新城市"):
        g.match("新城市")
    assert g.match("甲省新城市") == "100100"
    assert g.match("乙新城") == "200100"


def test_match_many_reports_every_bad_row() -> None:
    with pytest.raises(UnitMatchError) as info:
        default_gazetteer().match_many(["保定", "乌有市", "杭州", "子虚市"], where="f.csv")
    wheres = [p.where for p in info.value.problems]
    assert wheres == ["f.csv row 3", "f.csv row 5"]
