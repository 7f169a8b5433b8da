"""The province filter keeps every matching unit, in order (issue 18)."""

from __future__ import annotations

from citycheckup.api import _queries as Q

UNITS = [
    {"unit_code": "130100", "unit_name": "石家庄市", "province": "河北省"},
    {"unit_code": "140100", "unit_name": "太原市", "province": "山西省"},
    {"unit_code": "130200", "unit_name": "唐山市", "province": "河北省"},
    {"unit_code": "130600", "unit_name": "保定市", "province": "河北省"},
    {"unit_code": "999999", "unit_name": "无省份", "province": None},
]


def test_province_keeps_all_three_hebei_cities() -> None:
    out = Q.filter_units(UNITS, None, "河北省")
    assert [u["unit_code"] for u in out] == ["130100", "130200", "130600"]


def test_province_and_text_together() -> None:
    # "唐" matches 唐山市 only; "13" matches the three Hebei codes
    assert [u["unit_code"] for u in Q.filter_units(UNITS, "唐", "河北省")] == ["130200"]
    assert [u["unit_code"] for u in Q.filter_units(UNITS, "13", "河北省")] == [
        "130100", "130200", "130600",
    ]  # fmt: skip
    assert Q.filter_units(UNITS, None, "山东省") == []
    assert Q.filter_units(UNITS, None, None) == UNITS
