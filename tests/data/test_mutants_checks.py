"""The ``constant-over-time`` rule (issue 18): one unit with the same value of a flow variable
in every one of at least 10 years is a fill; its cells are treated as missing.

Three units; ``a`` has road_network_density = 9.5 every year, ``b`` and ``c`` vary. The rule
needs >= 10 years: 10 years (at) -> a is flagged, 9 years (just below) -> not, 11 (just
above) -> flagged. Flagged cells are a's rows, in row order (units are stacked a, b, c).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from citycheckup.data import Dataset, check_all, check_dataset
from citycheckup.framework import load_framework


@pytest.fixture(scope="module")
def fw():  # type: ignore[no-untyped-def]
    return load_framework("people-city-2025")


def _ds(n_years: int) -> Dataset:
    years = list(range(2011, 2011 + n_years))
    rows = []
    for u, values in (
        ("a", [9.5] * n_years),
        ("b", [8.0 + 0.1 * i for i in range(n_years)]),
        ("c", [12.0 - 0.2 * i for i in range(n_years)]),
    ):
        rows += [{"unit_code": u, "unit_name": u, "year": y, "road_network_density": v}
                 for y, v in zip(years, values, strict=True)]  # fmt: skip
    return Dataset(data=pd.DataFrame(rows), source="test.csv",
                   units={"road_network_density": "km/km2"})  # fmt: skip


@pytest.mark.parametrize(("n_years", "flagged"), [(10, True), (9, False), (11, True)],
                         ids=["at", "just-below", "just-above"])  # fmt: skip
def test_fill_needs_ten_years(fw, n_years: int, flagged: bool) -> None:  # type: ignore[no-untyped-def]
    rep = check_dataset(_ds(n_years), fw)
    found = [f for f in rep.findings if f.rule == "constant-over-time"]
    if flagged:
        assert [(f.column, f.unit, f.severity) for f in found] == [
            ("road_network_density", "a", "warning")
        ]
        assert f"in all {n_years} years" in found[0].message
        assert rep.fills == {"road_network_density": list(range(n_years))}
    else:
        assert found == [] and rep.fills == {}


def test_fill_cells_become_missing(fw) -> None:  # type: ignore[no-untyped-def]
    chk = check_all(_ds(10), fw)
    col = chk.dataset.data.set_index("unit_code")["road_network_density"]
    assert col.loc["a"].isna().all()  # the fill is blanked, not used as a statistic
    assert col.loc["b"].notna().all() and col.loc["c"].notna().all()
    np.testing.assert_allclose(col.loc["b"].to_numpy(), [8.0 + 0.1 * i for i in range(10)])
