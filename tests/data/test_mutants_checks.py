"""The ``constant-over-time`` rule (issue 18): one unit with the same value of a flow variable
in every one of at least 10 years is a fill; its cells are treated as missing.

Three units; ``a`` has road_network_density = 9.5 every year, ``b`` and ``c`` vary. The rule
needs >= 10 years: 10 years (at) -> a is flagged, 9 years (just below) -> not, 11 (just
above) -> flagged. Flagged cells are a's rows, in row order (units are stacked a, b, c).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from citycheckup.data import Dataset, check_all, check_dataset
from citycheckup.data.checks import CheckReport, Finding
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


def _many(n_fill: int, n_vary: int) -> Dataset:
    """``n_fill`` units at 9.5 in all 10 years, ``n_vary`` units that change every year."""
    rows = []
    for j in range(n_fill + n_vary):
        u = f"u{j:04d}"
        for i, y in enumerate(range(2011, 2021)):
            v = 9.5 if j < n_fill else 6.0 + 0.01 * j + 0.1 * i
            rows.append({"unit_code": u, "unit_name": u, "year": y, "road_network_density": v})
    return Dataset(data=pd.DataFrame(rows), source="test.csv",
                   units={"road_network_density": "km/km2"})  # fmt: skip


@pytest.mark.parametrize(("n_fill", "more"), [(200, None), (201, 1)], ids=["at", "just-above"])
def test_fill_findings_end_with_and_n_more(fw, n_fill: int, more: int | None) -> None:  # type: ignore[no-untyped-def]
    """At most 200 findings per rule (``MAX_PER_RULE``), then one "… and N more" finding.

    n_fill units are fills and n_fill + 1 units vary, so the fills are just under half of the
    units (the rule's other condition). Exactly 200 fills: 200 findings, no tail; 201: 200 +
    "… and 1 more units with a fill". The tail has the rule's name,
    severity and column and no unit. Every fill cell (10 per fill unit) is listed.
    """
    rep = check_dataset(_many(n_fill, n_fill + 1), fw)
    found = [f for f in rep.findings if f.rule == "constant-over-time"]
    assert len(found) == 200 + (more is not None)
    assert [f.unit for f in found[:200]] == [f"u{j:04d}" for j in range(200)]
    if more is not None:
        assert found[-1] == Finding(
            "warning", "constant-over-time", f"… and {more} more units with a fill",
            column="road_network_density",
        )  # fmt: skip
    assert rep.fills == {"road_network_density": list(range(10 * n_fill))}


def test_all_missing_column_is_a_warning(fw) -> None:  # type: ignore[no-untyped-def]
    """A framework column without any value: one warning (not an error), the column excluded."""
    df = pd.DataFrame({"unit_code": ["a", "b"], "unit_name": ["a", "b"], "year": [2020, 2020],
                       "road_network_density": [np.nan, np.nan]})  # fmt: skip
    rep = check_dataset(Dataset(data=df, source="t.csv"), fw)
    found = [f for f in rep.findings if f.rule == "all-missing"]
    assert found == [
        Finding(
            "warning",
            "all-missing",
            "road_network_density has no value; it is excluded",
            column="road_network_density",
        )  # fmt: skip
    ]
    assert rep.ok and rep.excluded == {"road_network_density": "no value in the data"}


@pytest.mark.parametrize(("n_vary", "flagged"), [(2, False), (3, True), (1, False)],
                         ids=["at-half", "just-below-half", "above-half"])  # fmt: skip
def test_fills_must_be_under_half_of_the_units(fw, n_vary: int, flagged: bool) -> None:  # type: ignore[no-untyped-def]
    """Fills are flagged only while they are fewer than half of the units (``< 0.5 * n``).

    2 fill units: with 2 varying units they are exactly half (2 < 2 is false: no finding);
    with 3 varying, 2 < 2.5 (flagged); with 1 varying, 2 of 3 (not flagged: the column
    as a whole is constant, which is not a per-unit fill).
    """
    rep = check_dataset(_many(2, n_vary), fw)
    found = [(f.unit, f.severity) for f in rep.findings if f.rule == "constant-over-time"]
    if flagged:
        assert found == [("u0000", "warning"), ("u0001", "warning")]
        assert rep.fills == {"road_network_density": list(range(20))}
    else:
        assert found == [] and rep.fills == {}


def test_fill_message_in_full(fw) -> None:  # type: ignore[no-untyped-def]
    """The finding of a fill, word for word (value 9.5 in all 10 years)."""
    found = [f for f in check_dataset(_ds(10), fw).findings if f.rule == "constant-over-time"]
    assert [f.message for f in found] == [
        "road_network_density = 9.5 (±1e-6) in all 10 years: a fill, not a statistic; "
        "treated as missing for this unit"
    ]


def test_finding_text_names_column_unit_and_year() -> None:
    """``str(Finding)``: "[severity] rule: message (column c, unit u, year y)", parts left out
    when empty; year 0 is still a year (``is not None``)."""
    assert str(Finding("error", "r", "m", column="c", unit="u", year=2020)) == (
        "[error] r: m (column c, unit u, year 2020)"
    )
    assert str(Finding("info", "r", "m", column="c")) == "[info] r: m (column c)"
    assert str(Finding("info", "r", "m", unit="u", year=0)) == "[info] r: m (unit u, year 0)"
    assert str(Finding("info", "r", "m")) == "[info] r: m"


def test_report_table(fw) -> None:  # type: ignore[no-untyped-def]
    """``CheckReport.table()``: one row per finding, the six fields as columns, in order."""
    rep = check_dataset(_ds(10), fw)
    t = rep.table()
    assert list(t.columns) == ["severity", "rule", "message", "column", "unit", "year"]
    assert len(t) == len(rep.findings)
    row = t[t["rule"] == "constant-over-time"].iloc[0]
    assert (row["severity"], row["column"], row["unit"]) == ("warning", "road_network_density", "a")
    assert CheckReport().table().columns.tolist() == list(t.columns)


@pytest.fixture(scope="module")
def ufw():  # type: ignore[no-untyped-def]
    return load_framework(Path(__file__).parent / "files" / "units_framework.yaml")


def _wide(col: str, values: list[float]) -> Dataset:
    n = len(values)
    df = pd.DataFrame({"unit_code": [f"u{i}" for i in range(n)], "unit_name": [f"u{i}" for i in range(n)],
                       "year": [2022] * n, col: values})  # fmt: skip
    return Dataset(data=df, source="t.csv")


def test_scale_without_a_unit_name_under_policy_missing(ufw) -> None:  # type: ignore[no-untyped-def]
    """share_tertiary (fraction, plausible 0.1–0.9) given as 40,000–60,000: only 10⁻⁵ brings
    the values inside (×10⁻⁴ gives 4–6, ×10⁻⁶ gives 0.04–0.06), and no unit is 10⁻⁵ of a
    fraction, so the reason and the message name no unit."""
    rep = check_dataset(_wide("share_tertiary", [5e4, 6e4, 4e4]), ufw, invalid="missing")
    assert rep.ok
    assert rep.excluded == {"share_tertiary": "values look like another unit, not fraction (0–1)"}
    assert (
        rep.scale_errors["share_tertiary"].k == -5
        and rep.scale_errors["share_tertiary"].unit is None
    )
    assert [f.message for f in rep.findings if f.rule == "unit-scale"] == [
        "share_tertiary looks 10⁵ times too large for fraction (0–1) (values ×10⁵ too large: median "
        "50,000); check its unit and convert it to fraction (0–1); the column is excluded"
    ]


def test_scale_prefers_a_common_unit_over_the_order(ufw) -> None:  # type: ignore[no-untyped-def]
    """land_area (km², plausible 50–500,000) given as 4e10–6e10: ×10⁻⁶ (5e4) and ×10⁻⁸ (500)
    both bring every value inside, ×10⁻⁴ (5e6) does not. 10⁻⁸ comes first in the order, but
    no unit is 10⁻⁸ km², while 10⁻⁶ km² is m² (1 km² = 10⁶ m²), a common unit: m² wins."""
    rep = check_dataset(_wide("land_area", [5e10, 6e10, 4e10]), ufw, invalid="missing")
    g = rep.scale_errors["land_area"]
    assert (g.k, g.unit, g.median, g.outside, g.inside) == (-6, "m²", 5e10, 1.0, 1.0)
    assert rep.excluded == {"land_area": "values look like m², not km²"}


def test_impossible_value_finding_in_full(fw) -> None:  # type: ignore[no-untyped-def]
    """pop_resident (万人, min 0) = -5 for unit b in 2021: one error naming column, unit (code and
    name) and year; under policy "missing" the same finding is a warning and the cell is listed."""
    df = pd.DataFrame({"unit_code": ["a", "b", "a", "b"], "unit_name": ["甲", "乙", "甲", "乙"],
                       "year": [2020, 2020, 2021, 2021], "pop_resident": [10.0, 12.0, 11.0, -5.0]})  # fmt: skip
    ds = Dataset(data=df, source="t.csv")
    found = [f for f in check_dataset(ds, fw).findings if f.rule == "impossible-value"]
    assert found == [
        Finding("error", "impossible-value", "pop_resident = -5 is below the minimum 0 万人",
                column="pop_resident", unit="b 乙", year=2021)
    ]  # fmt: skip
    rep = check_dataset(ds, fw, invalid="missing")
    assert [f for f in rep.findings if f.rule == "impossible-value"] == [
        Finding("warning", "impossible-value",
                "pop_resident = -5 is below the minimum 0 万人; treated as missing",
                column="pop_resident", unit="b 乙", year=2021)
    ]  # fmt: skip
    assert rep.invalid == {"pop_resident": [3]}


def test_bound_without_minimum_still_checks_the_maximum(fw) -> None:  # type: ignore[no-untyped-def]
    """gdp_per_capita has no minimum and a maximum of 1,500,000 元/人: 2,000,000 is above it.
    An infinite population is one non-finite error naming the unit (code) and year. Findings
    come column by column, in the data's column order."""
    df = pd.DataFrame({"unit_code": ["a", "b", "c"], "unit_name": ["a", "b", "c"], "year": [2020] * 3,
                       "gdp_per_capita": [50000.0, 60000.0, 2e6], "pop_resident": [1.0, np.inf, 3.0]})  # fmt: skip
    rep = check_dataset(Dataset(data=df, source="t.csv"), fw)
    assert [f for f in rep.findings if f.rule in ("impossible-value", "non-finite")] == [
        Finding("error", "impossible-value",
                "gdp_per_capita = 2e+06 is above the maximum 1.5e+06 元/人",
                column="gdp_per_capita", unit="c c", year=2020),
        Finding("error", "non-finite", "pop_resident is infinite", column="pop_resident",
                unit="b", year=2020),
    ]  # fmt: skip


@pytest.mark.parametrize(("n_const", "flagged"), [(1, False), (2, True)], ids=["below", "at"])
def test_constant_across_units_needs_half_the_years(fw, n_const: int, flagged: bool) -> None:  # type: ignore[no-untyped-def]
    """3 years of exactly 10 units (the least a year needs to be judged): the column is a
    national total when at least ceil(0.5 × 3) = 2 of them are constant across units."""
    rows = []
    for y, year in enumerate((2020, 2021, 2022)):
        for i in range(10):
            v = 7478.1 if y < n_const else 7000.0 + i
            rows.append(
                {"unit_code": f"u{i}", "unit_name": f"u{i}", "year": year, "mobile_users": v}
            )
    rep = check_dataset(Dataset(data=pd.DataFrame(rows), source="t.csv"), fw)
    found = [f.message for f in rep.findings if f.rule == "constant-across-units"]
    assert all(f.severity == "warning" for f in rep.findings if f.rule == "constant-across-units")
    if flagged:
        assert found == [
            "mobile_users has the same value for every unit in 2 of 3 years (e.g. 7478.1 in 2021): it "
            "looks like a national total or a fill, not a city statistic; it is excluded"
        ]
        assert rep.excluded == {
            "mobile_users": "same value for every unit in a year (a national total or a fill)"
        }
    else:
        assert found == [] and "mobile_users" not in rep.excluded


@pytest.mark.parametrize("invalid", ["raise", "missing"])
def test_check_all_derived_value_out_of_range(ufw, invalid: str) -> None:  # type: ignore[no-untyped-def]
    """gdp 3,000,000 万元 over 0.5 万人 = 6,000,000 元/人 (×10⁴ 元 per 万元 / 万人 = 1), above the
    maximum 1,500,000 of gdp_per_capita: an error that points at the inputs, or (policy
    "missing") a warning and a blank cell. a: 2e6 / 40 = 50,000; c: 4e6 / 50 = 80,000."""
    df = pd.DataFrame({"unit_code": ["a", "b", "c"], "unit_name": ["a", "b", "c"], "year": [2020] * 3,
                       "gdp": [2e6, 3e6, 4e6], "pop_resident": [40.0, 0.5, 50.0]})  # fmt: skip
    chk = check_all(Dataset(data=df, source="t.csv"), ufw, invalid=invalid)  # type: ignore[arg-type]
    tail = "; treated as missing" if invalid == "missing" else "; check the input variables"
    assert [f for f in chk.report.findings if f.severity != "info"] == [
        Finding("error" if invalid == "raise" else "warning", "impossible-derived-value",
                "gdp_per_capita = gdp / pop_resident = 6e+06 元/人 lies outside its plausible range "
                "[, 1.5e+06]" + tail, column="gdp_per_capita", unit="b b", year=2020)
    ]  # fmt: skip
    got = chk.indicators.set_index("unit_code")["gdp_per_capita"].to_dict()
    assert got["a"] == 50000.0 and got["c"] == 80000.0
    assert (got["b"] == 6e6) if invalid == "raise" else np.isnan(got["b"])


def test_check_all_leaves_impossible_inputs_out_of_derivation(ufw) -> None:  # type: ignore[no-untyped-def]
    """A negative population (policy "raise": an error) is not divided into gdp: b's
    gdp_per_capita is missing instead of -600,000, and only the input is reported."""
    df = pd.DataFrame({"unit_code": ["a", "b", "c"], "unit_name": ["a", "b", "c"], "year": [2020] * 3,
                       "gdp": [2e6, 3e6, 4e6], "pop_resident": [40.0, -5.0, 50.0]})  # fmt: skip
    chk = check_all(Dataset(data=df, source="t.csv"), ufw)
    got = chk.indicators.set_index("unit_code")["gdp_per_capita"]
    assert got["a"] == 50000.0 and np.isnan(got["b"]) and got["c"] == 80000.0
    assert [(f.rule, f.column, f.unit) for f in chk.report.findings if f.severity != "info"] == [
        ("impossible-value", "pop_resident", "b b")
    ]
    assert chk.dataset.data["pop_resident"].tolist() == [40.0, -5.0, 50.0]  # reported, not blanked


@pytest.mark.parametrize(
    ("x", "text"),
    [(3760.0, "3,760"), (37_600_000.0, "37,600,000"), (3.76, "3.76"), (0.0042, "0.0042"),
     (999.5, "1e+03"), (1000.0, "1,000"), (float("inf"), "inf"), (float("nan"), "nan")],
)  # fmt: skip
def test_fmt(x: float, text: str) -> None:
    """Numbers in messages: thousands separators from 1,000 up (at the boundary), three
    significant digits below it (999.5 rounds to 1e+03), non-finite values as Python writes them."""
    from citycheckup.data.checks import _fmt

    assert _fmt(x) == text


def test_summary_lines_collapse_years(fw) -> None:  # type: ignore[no-untyped-def]
    """Two impossible values of unit b (2020: -2, 2021: -5): one line with the first message and
    the years as a range."""
    df = pd.DataFrame({"unit_code": ["a", "b", "a", "b"], "unit_name": ["甲", "乙", "甲", "乙"],
                       "year": [2020, 2020, 2021, 2021], "pop_resident": [10.0, -2.0, 11.0, -5.0]})  # fmt: skip
    assert check_dataset(Dataset(data=df, source="t.csv"), fw).summary_lines() == [
        "[error] impossible-value: pop_resident = -2 is below the minimum 0 万人 "
        "(pop_resident, b 乙; 2× in 2020–2021)"
    ]


# ---------------------------------------------------------------------------------------------
# Third round (issue 18): unknown-column messages, check_derived on its own, indicator_table.
# ---------------------------------------------------------------------------------------------


def test_unknown_column_messages(ufw) -> None:  # type: ignore[no-untyped-def]
    """One suggestion, two, three (the most), none, and a header that means exactly one code.
    Suggestions as HeaderIndex.suggest ranks them (tests/data/test_mutants_headers.py):
    density -> population_density (contained); 第三产业 -> share_tertiary (alias 第三产业比重,
    8/10 = 0.8), tertiary_share (contained, 0.6); 人口 -> the three best of four."""
    cols = ["density", "第三产业", "人口", "xyz", "常住人口"]
    df = pd.DataFrame(
        {"unit_code": ["u1"], "unit_name": ["a"], "year": [2020], **{c: [1.0] for c in cols}}
    )
    rep = check_dataset(Dataset(data=df, source="t.csv"), ufw)
    got = {f.column: f.message for f in rep.findings if f.rule == "unknown-column"}
    tail = "? (it is ignored until renamed)"
    assert got == {
        "density": "column 'density' is not a variable of units_test; did you mean population_density (人口密度)"
        + tail,
        "第三产业": "column '第三产业' is not a variable of units_test; did you mean share_tertiary "
        "(第三产业增加值占GDP比重) or tertiary_share (第三产业增加值占GDP比重)" + tail,
        "人口": "column '人口' is not a variable of units_test; did you mean pop_resident (常住人口), "
        "pop_hukou (户籍人口) or population_density (人口密度)" + tail,
        "xyz": "column 'xyz' is not a variable of units_test; it is ignored (rename it to a framework code to use it)",
        "常住人口": "column '常住人口' is not a code of framework units_test, but it means pop_resident "
        "(常住人口): rename it to pop_resident, or read the file with the framework (which recognises it)",
    }
    assert all(f.severity == "warning" for f in rep.findings if f.rule == "unknown-column")


def _derived(values: list[float], code: str = "population_density") -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame({"unit_code": [f"u{i}" for i in range(n)], "unit_name": [f"n{i}" for i in range(n)],
                         "year": [2020 + i % 3 for i in range(n)], code: values})  # fmt: skip


def test_check_derived_below_the_minimum(ufw) -> None:  # type: ignore[no-untyped-def]
    """population_density (万人/km², min 0, no max, no plausible range): -0.5 is below the
    minimum, 0 (at the minimum) and 0.1 are not."""
    from citycheckup.data.checks import check_derived

    rep = CheckReport()
    out = check_derived(_derived([0.1, -0.5, 0.0]), ufw, rep)
    assert rep.findings == [
        Finding("error", "impossible-derived-value",
                "population_density = pop_resident / land_area = -0.5 万人/km² lies outside its "
                "plausible range [0, ]; check the input variables",
                column="population_density", unit="u1 n1", year=2021)
    ]  # fmt: skip
    assert out["population_density"].tolist() == [0.1, -0.5, 0.0]  # "raise": not blanked


def test_check_derived_more_than_200_values(ufw) -> None:  # type: ignore[no-untyped-def]
    """203 values below the minimum: 200 findings, then one "… and 3 more" of the same rule and
    column (no unit or year); under "missing" all 203 cells are blanked, not only the 200."""
    from citycheckup.data.checks import check_derived

    table = _derived([-1.0] * 203 + [1.0])
    for invalid, severity in (("raise", "error"), ("missing", "warning")):
        rep = CheckReport()
        out = check_derived(table, ufw, rep, invalid=invalid)  # type: ignore[arg-type]
        assert len(rep.findings) == 201
        assert rep.findings[199].unit == "u199 n199"
        assert rep.findings[-1] == Finding(
            severity,  # type: ignore[arg-type]
            "impossible-derived-value",
            "… and 3 more values outside the range",
            column="population_density",
        )  # fmt: skip
        if invalid == "missing":
            assert out["population_density"].isna().sum() == 203
            assert out["population_density"].iloc[-1] == 1.0
            assert table["population_density"].iloc[0] == -1.0  # the input is not changed


def test_check_derived_unit_scale_excluded(ufw) -> None:  # type: ignore[no-untyped-def]
    """gdp_per_capita (元/人, plausible 3,000-600,000) of 3.76, 5, 8 (GDP in 亿元): ×10⁴ and
    ×10³ bring all three inside, ×10⁵ two of three; 10⁴ comes first and 万元/人 is common, so
    k = 4, median 5.  The inputs that explain ×10⁴ (scale.input_suspects): gdp in 亿元 or
    pop_resident in 人.  Under "missing" the column is blanked and excluded."""
    from citycheckup.data.checks import check_derived

    rep = CheckReport()
    out = check_derived(_derived([3.76, 5.0, 8.0], "gdp_per_capita"), ufw, rep, invalid="missing")
    assert [f.message for f in rep.findings] == [
        "gdp_per_capita = gdp / pop_resident has median 5 元/人, ×10⁴ too small for its plausible "
        "range 3,000–600,000; probably gdp is in 亿元, not 万元 (header 地区生产总值(亿元)) or "
        "pop_resident is in 人, not 万人 (header 常住人口(人)): fix that column's header or "
        "convert it; the indicator is excluded"
    ]
    assert (rep.findings[0].severity, rep.findings[0].rule) == ("warning", "unit-scale-derived")
    assert rep.excluded == {"gdp_per_capita": "values ×10⁴ too small"}
    assert rep.scale_errors["gdp_per_capita"].unit == "万元/人"
    assert out["gdp_per_capita"].isna().all()
    rep = CheckReport()
    out = check_derived(_derived([3.76, 5.0, 8.0], "gdp_per_capita"), ufw, rep)
    assert rep.findings[0].message.endswith(": fix that column's header or convert it")
    assert rep.findings[0].severity == "error" and rep.excluded == {}
    assert out["gdp_per_capita"].tolist() == [3.76, 5.0, 8.0]


def test_indicator_table_keeps_the_province(ufw) -> None:  # type: ignore[no-untyped-def]
    """A province column is kept beside the indicators (for peer groups) although the dataset
    declares no groups; indicator values are floats: 1e6 / 10 = 100,000 元/人."""
    from citycheckup.data.checks import indicator_table

    df = pd.DataFrame({"unit_code": ["a", "b"], "unit_name": ["a", "b"], "year": [2020] * 2,
                       "province": ["P1", "P2"], "gdp": [1e6, 2e6], "pop_resident": [10.0, 20.0]})  # fmt: skip
    out = indicator_table(Dataset(data=df, source="t.csv"), ufw, CheckReport())
    assert out.columns.tolist()[:4] == ["unit_code", "unit_name", "year", "province"]
    assert out["province"].tolist() == ["P1", "P2"]
    assert out["gdp_per_capita"].tolist() == [100000.0, 100000.0]
    assert out["gdp_per_capita"].dtype == "float64"


def test_summary_lines_one_year_no_year_and_severities() -> None:
    """A group with one year shows that year; a group without years shows none; info findings
    are left out unless asked for; groups keep the order of their first finding."""
    rep = CheckReport(
        findings=[
            Finding("warning", "r1", "m1", column="c", unit="u", year=2020),
            Finding("error", "r2", "m2", column="c"),
            Finding("info", "r3", "m3"),
            Finding("warning", "r1", "m1 again", column="c", unit="u", year=2019),
            Finding("warning", "r1", "m4", column="c", unit="v", year=2021),
        ]
    )
    assert rep.summary_lines() == [
        "[warning] r1: m1 (c, u; 2× in 2019–2020)",
        "[error] r2: m2 (c)",
        "[warning] r1: m4 (c, v; 2021)",
    ]
    assert rep.summary_lines(("info",)) == ["[info] r3: m3 ()"]


def test_check_all_checks_suspects_against_the_raw_values(ufw) -> None:  # type: ignore[no-untyped-def]
    """gdp 200,000 万元 and pop_resident 4,000 万人 (each inside its plausible range) give
    50 元/人, ×10⁴ too small for gdp_per_capita (k = 4, 万元/人 common).  gdp ×10⁴ = 2e9 would
    leave gdp's range [1e5, 1e9], pop_resident ×10⁻⁴ = 0.4 would leave [1, 4000]: check_all
    passes the raw data, so neither input is blamed."""
    df = pd.DataFrame({"unit_code": ["a", "b", "c"], "unit_name": ["a", "b", "c"], "year": [2020] * 3,
                       "gdp": [2e5] * 3, "pop_resident": [4000.0] * 3})  # fmt: skip
    chk = check_all(Dataset(data=df, source="t.csv"), ufw)
    assert [f.message for f in chk.report.findings if f.rule == "unit-scale-derived"] == [
        "gdp_per_capita = gdp / pop_resident has median 50 元/人, ×10⁴ too small for its plausible "
        "range 3,000–600,000; check the units of its inputs"
    ]


def test_more_than_200_infinite_values(ufw) -> None:  # type: ignore[no-untyped-def]
    """202 infinite gdp values: 200 findings, then "… and 2 more infinite values"."""
    n = 202
    df = pd.DataFrame({"unit_code": [f"u{i}" for i in range(n)], "unit_name": [f"u{i}" for i in range(n)],
                       "year": [2020] * n, "gdp": [np.inf] * n})  # fmt: skip
    found = [
        f
        for f in check_dataset(Dataset(data=df, source="t.csv"), ufw).findings
        if f.rule == "non-finite"
    ]
    assert len(found) == 201
    assert found[0] == Finding(
        "error", "non-finite", "gdp is infinite", column="gdp", unit="u0", year=2020
    )
    assert found[-1] == Finding("error", "non-finite", "… and 2 more infinite values", column="gdp")


def test_indicator_not_in_the_data_is_noted(ufw) -> None:  # type: ignore[no-untyped-def]
    """green_coverage has no formula and no column: an info finding says so."""
    df = pd.DataFrame({"unit_code": ["a"], "unit_name": ["a"], "year": [2020], "gdp": [2e6]})
    rep = check_dataset(Dataset(data=df, source="t.csv"), ufw)
    assert (
        Finding("info", "no-data", "green_coverage is not in the data", column="green_coverage")
        in rep.findings
    )


def test_check_derived_below_the_minimum_and_above_the_maximum(ufw) -> None:  # type: ignore[no-untyped-def]
    """tertiary_share (%, min 0, max 100): -5 (below) and 120 (above) are both out; 0, 50 and
    100 (the bounds included) are in."""
    from citycheckup.data.checks import check_derived

    rep = CheckReport()
    check_derived(_derived([-5.0, 0.0, 50.0, 100.0, 120.0], "tertiary_share"), ufw, rep)
    assert [(f.unit, f.message.split(" lies")[0]) for f in rep.findings] == [
        ("u0 n0", "tertiary_share = share_tertiary * 100 = -5 %"),
        ("u4 n4", "tertiary_share = share_tertiary * 100 = 120 %"),
    ]


def test_summary_lines_span_first_to_last_of_three_years() -> None:
    """Years 2021, 2019, 2020 of one group: sorted, the span is 2019–2021 (first to last)."""
    rep = CheckReport(
        findings=[Finding("error", "r", "m", column="c", year=y) for y in (2021, 2019, 2020)]
    )
    assert rep.summary_lines() == ["[error] r: m (c; 3× in 2019–2021)"]


def test_indicator_table_leaves_excluded_columns_out(ufw) -> None:  # type: ignore[no-untyped-def]
    """gdp excluded by the report: gdp_per_capita cannot be derived and is not in the table;
    gdp_growth neither (both need gdp)."""
    from citycheckup.data.checks import indicator_table

    df = pd.DataFrame(
        {
            "unit_code": ["a"],
            "unit_name": ["a"],
            "year": [2020],
            "gdp": [1e6],
            "pop_resident": [10.0],
        }
    )
    rep = CheckReport(excluded={"gdp": "values look like 亿元, not 万元"})
    out = indicator_table(Dataset(data=df, source="t.csv"), ufw, rep)
    assert "gdp_per_capita" not in out.columns and "gdp_growth" not in out.columns
    assert "resident_population_growth" in out.columns  # from pop_resident alone
