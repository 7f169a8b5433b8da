"""The annual report's data-source line names the store roll-up in the reader's language."""

from __future__ import annotations

from citycheckup.inventory import STORE_SOURCE
from citycheckup.report._annual_city import _source_text


def test_store_roll_up_is_named_in_chinese_in_the_chinese_report() -> None:
    src = f"/data/city.csv + {STORE_SOURCE}"
    assert _source_text(src, "zh") == "/data/city.csv + 住房、小区、街区登记与实地调查（结果库）"
    assert "registers" not in _source_text(src, "zh")
    assert _source_text(src, "en") == "/data/city.csv + registers and field surveys (results store)"


def test_other_sources_are_left_as_given() -> None:
    # a file name is a file name in both languages; a similar phrase is not the roll-up
    for src in ("city.csv", "a.csv + b.csv", "registers and field surveys"):
        assert _source_text(src, "zh") == src
        assert _source_text(src, "en") == src
