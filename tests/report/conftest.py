"""Fixtures of the report tests: a small real run (30 cities × 3 years of the embedded data)."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
#: Beijing, Hangzhou, Baoding (the demo cities) plus 27 others, among them whole provinces.
CITIES = [
    "110000",
    "330100",
    "130600",
    "130100",
    "130200",
    "130300",
    "130400",
    "130500",
    "130700",
    "130800",
    "330200",
    "330300",
    "330400",
    "330500",
    "330600",
    "330700",
    "330800",
    "320100",
    "320200",
    "320500",
    "440100",
    "440300",
    "420100",
    "420500",
    "510100",
    "610100",
    "370100",
    "370200",
    "310000",
    "120000",
]


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run directory of a check-up of 30 cities, 2022–2024 (written like `citycheckup run`)."""
    from citycheckup.checkup import CheckupOptions, run_checkup
    from citycheckup.data import load_city_macro
    from citycheckup.data.readers import Dataset
    from citycheckup.framework import load_framework
    from citycheckup.report.checkup_report import write_checkup_outputs

    ds = load_city_macro()
    d = ds.data[
        ds.data["unit_code"].isin(CITIES) & ds.data["year"].between(2022, 2024)
    ].reset_index(drop=True)
    sub = Dataset(
        data=d,
        source=ds.source + " (30 cities, 2022–2024)",
        units=ds.units,
        groups=ds.groups,
        sha256=ds.sha256,
    )
    res = run_checkup(
        sub, load_framework("people-city-2025"), CheckupOptions(invalid="missing", uncertainty_n=20)
    )
    out = tmp_path_factory.mktemp("run") / "run"
    write_checkup_outputs(res, out, xlsx=False)
    return out
