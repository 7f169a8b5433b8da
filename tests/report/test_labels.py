"""Unit names in reader text: the gazetteer's names, never a Chinese-only name in English."""

from __future__ import annotations

import pytest

from citycheckup.report.labels import unit_label


@pytest.mark.parametrize(
    ("code", "name", "lang", "expected"),
    [
        ("420500", "宜昌市", "zh", "宜昌市"),  # known code: the gazetteer's name
        ("420500", "宜昌市", "en", "Yichang"),
        ("429901", "合成市", "zh", "合成市"),  # unknown code (synthetic): the name given ...
        ("429901", "合成市", "en", "429901"),  # ... but never a Chinese name in English
        ("429901", "Synthetic City", "en", "Synthetic City"),  # an English name is kept
        ("429901", None, "zh", "429901"),  # no name at all: the code
        ("", "合成市", "en", "合成市"),  # nothing else to show
    ],
)
def test_unit_label(code: str, name: str | None, lang: str, expected: str) -> None:
    assert unit_label(code, name, lang) == expected
