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
