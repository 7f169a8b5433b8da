"""``derive_indicators`` reports every failing indicator at once (issue 18, "all problems
reported at once"), each problem naming the indicator and where."""

from __future__ import annotations

import pandas as pd
import pytest

from citycheckup.errors import FormulaError
from citycheckup.framework import load_framework
from citycheckup.indicators.derive import derive_indicators


def test_every_failing_indicator_is_reported_together() -> None:
    fw = load_framework("people-city-2025")
    # growth(pop_resident) and growth(gdp) need the unit and year columns; naming a unit column
    # that is not in the data makes both fail, and both must be in the one error
    df = pd.DataFrame({"unit_code": ["a", "a"], "year": [2020, 2021],
                       "pop_resident": [100.0, 110.0], "gdp": [5.0, 6.0]})  # fmt: skip
    with pytest.raises(FormulaError) as info:
        derive_indicators(df, fw, unit="city")
    err = info.value
    assert str(err).startswith("derived indicators could not be computed")
    msgs = [p.message for p in err.problems]
    growth = [i.code for i in fw.indicators if i.formula in ("growth(pop_resident)", "growth(gdp)")]
    assert len(growth) == 2
    for code in growth:
        assert any(m.startswith(f"indicator {code}: ") and "'city'" in m for m in msgs), msgs
    assert len(msgs) == 2


def test_derived_values_and_reported_values_win() -> None:
    fw = load_framework("people-city-2025")
    code = next(i.code for i in fw.indicators if i.formula == "growth(pop_resident)")
    df = pd.DataFrame({"unit_code": ["a", "a", "a"], "year": [2020, 2021, 2022],
                       "pop_resident": [100.0, 110.0, 121.0],
                       code: [None, 99.0, None]})  # fmt: skip
    out = derive_indicators(df, fw)
    # 2021 keeps the reported 99; 2022 is derived: (121 / 110 - 1) * 100 = 10 %; 2020 has no
    # previous year -> missing
    assert out[code].iloc[1] == 99.0
    assert out[code].iloc[2] == pytest.approx(10.0)
    assert pd.isna(out[code].iloc[0])
