"""Checks of a data set against a framework, each rule with its message."""

from __future__ import annotations

import pandas as pd
import pytest

from citycheckup.data import Dataset, check_dataset, load_city_macro
from citycheckup.errors import DataError
from citycheckup.framework import load_framework


@pytest.fixture(scope="module")
def fw():
    return load_framework("people-city-2025")


def _ds(df: pd.DataFrame, units: dict[str, str] | None = None) -> Dataset:
    df = df.copy()
    df.insert(1, "unit_name", df["unit_code"])
    return Dataset(data=df, source="test.csv", units=units or {})


def test_rules(fw) -> None:
    df = pd.DataFrame(
        {
            "unit_code": [f"u{i}" for i in range(12)],
            "year": [2020] * 12,
            "pop_resident": [100.0] * 11 + [-5.0],
            "park_square_coverage_500m": [50.0] * 11 + [120.0],
            "mystery_column": [1.0] * 12,
            "mobile_users": [7478.1] * 12,
            "road_network_density": [8.0 + i for i in range(12)],
        }
    )
    rep = check_dataset(_ds(df, {"road_network_density": "km/km2", "pop_resident": "人"}), fw)
    by_rule = {}
    for f in rep.findings:
        by_rule.setdefault(f.rule, []).append(f)
    assert "impossible-value" in by_rule
    msgs = " | ".join(str(f) for f in by_rule["impossible-value"])
    assert "pop_resident = -5 is below the minimum 0" in msgs and "unit u11" in msgs
    assert (
        "park_square_coverage_500m = 120 is above the maximum 100 %; a share must lie in 0–100 %"
        in msgs
    )
    assert [f.column for f in by_rule["unknown-column"]] == ["mystery_column"]
    # km/km2 is the same unit as km/km²; 人 is not 万人
    assert [f.column for f in by_rule["unit-mismatch"]] == ["pop_resident"]
    assert [f.column for f in by_rule["constant-across-units"]] == ["mobile_users"]
    assert rep.excluded["mobile_users"].startswith("same value for every unit")
    nodata = {f.column: f.message for f in by_rule["no-data"]}
    assert (
        "mobile_subscriptions_per_100" in nodata
        and "mobile_users (same value" in nodata["mobile_subscriptions_per_100"]
    )
    with pytest.raises(DataError) as info:
        rep.raise_for_errors("test.csv")
    assert len(info.value.problems) == len(rep.errors) >= 3


def test_invalid_policy_missing_lists_cells(fw) -> None:
    df = pd.DataFrame({"unit_code": ["a", "b"], "year": [2020, 2020], "pop_resident": [10.0, -1.0]})
    rep = check_dataset(_ds(df), fw, invalid="missing")
    assert rep.ok
    assert rep.invalid == {"pop_resident": [1]}
    assert any("treated as missing" in str(f) for f in rep.findings)


def test_embedded_data_findings(fw) -> None:
    """The embedded data has a broadband column that is a national total and negative spending for 三沙市."""
    rep = check_dataset(load_city_macro(), fw)
    assert "broadband_users" in rep.excluded
    bad = [f for f in rep.errors if f.rule == "impossible-value"]
    assert bad and all("460300" in (f.unit or "") or f.unit is None for f in bad)
    nodata = {f.column for f in rep.findings if f.rule == "no-data"}
    assert "broadband_per_100" in nodata
    assert "gdp_per_capita" not in nodata


# -- units off by a power of ten, did-you-mean, "and N more" (issue 10 item 5) -------------------

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from citycheckup.data import check_all, read_dataset, tidy_dataset  # noqa: E402
from citycheckup.data.checks import CheckReport, check_derived  # noqa: E402

FILES = Path(__file__).parent / "files"


@pytest.fixture(scope="module")
def ufw():
    return load_framework(FILES / "units_framework.yaml")


def _frame(**cols) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    return pd.DataFrame({"unit_code": [f"u{i}" for i in range(n)], "year": [2022] * n, **cols})


def _rule(rep, rule: str) -> list[str]:
    return [f.message for f in rep.findings if f.rule == rule]


def test_gdp_in_yiyuan_is_caught_with_the_probable_unit(ufw) -> None:
    ds = read_dataset(FILES / "gdp_in_yiyuan.csv", framework=ufw)
    res = check_all(ds, ufw)
    assert _rule(res.report, "unit-scale") == [
        "gdp looks like it is in 亿元, not 万元 (values ×10⁴ too small: median 5,503); write the header as "
        "地区生产总值(亿元) or convert"
    ]
    assert [f.severity for f in res.report.findings if f.rule == "unit-scale"] == ["error"]
    # the wrong column is not reported again through every indicator derived from it
    assert _rule(res.report, "unit-scale-derived") == []
    with pytest.raises(DataError, match=r"unit-scale: gdp looks like it is in 亿元"):
        res.report.raise_for_errors(ds.source)


def test_the_issue_example_median_3760(ufw) -> None:
    rep = check_dataset(_ds(_frame(gdp=[3760.0, 3500.0, 4000.0])), ufw)
    assert _rule(rep, "unit-scale") == [
        "gdp looks like it is in 亿元, not 万元 (values ×10⁴ too small: median 3,760); write the header as "
        "地区生产总值(亿元) or convert"
    ]


def test_persons_instead_of_10k_persons(ufw) -> None:
    rep = check_dataset(_ds(_frame(pop_resident=[11_545_000.0, 12_376_000.0, 3_912_000.0])), ufw)
    assert _rule(rep, "unit-scale") == [
        "pop_resident looks like it is in 人, not 万人 (values ×10⁴ too large: median 11,545,000); write the header "
        "as 常住人口(人) or convert"
    ]
    # the unit error replaces one impossible-value finding per cell
    assert _rule(rep, "impossible-value") == []


def test_percent_for_a_fraction_and_a_fraction_for_percent(ufw) -> None:
    rep = check_dataset(
        _ds(_frame(share_tertiary=[51.2, 67.9, 39.8], green_coverage=[0.41, 0.38, 0.45])), ufw
    )
    assert _rule(rep, "unit-scale") == [
        "share_tertiary looks like it is in %, not fraction (0–1) (values ×10² too large: median 51.2); write the "
        "header as 第三产业增加值占GDP比重(%) or convert",
        "green_coverage looks like it is in fraction (0–1), not % (values ×10² too small: median 0.41); write the "
        "header as 建成区绿化覆盖率(fraction (0–1)) or convert",
    ]


def test_stated_unit_is_named(ufw) -> None:
    raw = _frame(**{"地区生产总值(万元)": [3760.0]})
    rep = check_dataset(tidy_dataset(raw, framework=ufw), ufw)
    assert _rule(rep, "unit-scale") == [
        "gdp looks like it is in 亿元, not 万元 (values ×10⁴ too small: median 3,760; the file states 万元); write "
        "the header as 地区生产总值(亿元) or convert"
    ]
    # stated in 元, converted ×10⁻⁴, and then 10⁴ too small: the header's 元 is wrong (the values are 万元)
    rep = check_dataset(tidy_dataset(_frame(**{"地区生产总值(元)": [3.76e7]}), framework=ufw), ufw)
    assert _rule(rep, "unit-scale") == [
        "gdp looks like it is in 万元, not 元 as its header says (values ×10⁴ too small: median 3,760 万元 after "
        "converting from 元); write the header as 地区生产总值(万元) or convert"
    ]


@pytest.mark.parametrize(
    ("value", "k"),
    [
        (1.0e5, None),  # at the lower bound: plausible
        (1.0e5 * (1 - 1e-9), 4),  # just below: 10⁴ brings it inside (亿元 first)
        (1.0e5 * (1 + 1e-9), None),  # just above the lower bound
        (1.0e9, None),  # at the upper bound
        (1.0e9 * (1 + 1e-9), -4),  # just above: too large, 元 for 万元
        (1.0e9 * (1 - 1e-9), None),
    ],
)
def test_plausible_bounds(ufw, value: float, k: int | None) -> None:
    rep = check_dataset(_ds(_frame(gdp=[value])), ufw)
    assert (rep.scale_errors["gdp"].k if "gdp" in rep.scale_errors else None) == k


def test_most_values_means_more_than_half(ufw) -> None:
    half = check_dataset(_ds(_frame(gdp=[3760.0, 3500.0, 4.0e7, 5.0e7])), ufw)
    assert "gdp" not in half.scale_errors
    most = check_dataset(_ds(_frame(gdp=[3760.0, 3500.0, 3000.0, 5.0e7])), ufw)
    assert most.scale_errors["gdp"].k == 4


def test_no_power_of_ten_fits_no_unit_error(ufw) -> None:
    # negative populations: no factor brings them inside; they are impossible values, not a unit error
    rep = check_dataset(_ds(_frame(pop_resident=[-1.0, -2.0, -3.0])), ufw)
    assert "pop_resident" not in rep.scale_errors
    assert len(_rule(rep, "impossible-value")) == 3


def test_policy_missing_excludes_the_column(ufw) -> None:
    rep = check_dataset(_ds(_frame(gdp=[3760.0, 3500.0])), ufw, invalid="missing")
    assert rep.ok
    assert rep.excluded["gdp"] == "values look like 亿元, not 万元"
    assert [f.severity for f in rep.findings if f.rule == "unit-scale"] == ["warning"]


def test_derived_value_caught_when_inputs_look_fine(ufw) -> None:
    """pop_resident in 千人 (3000 = 300 万人) looks fine on its own; GDP per head 1,000 元 does not."""
    res = check_all(
        _ds(_frame(gdp=[3.0e6, 6.0e6, 4.5e6], pop_resident=[3000.0, 3900.0, 3500.0])), ufw
    )
    assert _rule(res.report, "unit-scale") == []
    assert _rule(res.report, "unit-scale-derived") == [
        "gdp_per_capita = gdp / pop_resident has median 1,286 元/人, ×10¹ too small for its plausible range "
        "3,000–600,000; probably pop_resident is in 千人, not 万人 (header 常住人口(千人)) or gdp is in 十万元, not 万元 "
        "(header 地区生产总值(十万元)): fix that column's header or convert it"
    ]
    assert not res.report.ok


def test_derived_names_only_inputs_that_stay_plausible(ufw) -> None:
    """GDP per head 3.76 元: gdp in 亿元 fits; pop ×10⁻⁴ would fall below 1 万人, so it is not named."""
    table = _ds(_frame(gdp_per_capita=[3.76])).data
    raw = _frame(gdp=[3760.0], pop_resident=[1000.0])
    rep = CheckReport()
    check_derived(table, ufw, rep, variables=raw)
    assert _rule(rep, "unit-scale-derived") == [
        "gdp_per_capita = gdp / pop_resident has median 3.76 元/人, ×10⁴ too small for its plausible range "
        "3,000–600,000; probably gdp is in 亿元, not 万元 (header 地区生产总值(亿元)): fix that column's header or "
        "convert it"
    ]
    # without the raw data both inputs are suspects
    rep2 = CheckReport()
    check_derived(table, ufw, rep2)
    assert "gdp is in 亿元, not 万元" in _rule(rep2, "unit-scale-derived")[0]
    assert "pop_resident is in 人, not 万人" in _rule(rep2, "unit-scale-derived")[0]


@pytest.mark.parametrize(
    ("value", "flagged"),
    [
        (3000.0, False),
        (3000.0 * (1 - 1e-9), True),
        (600_000.0, False),
        (600_000.0 * (1 + 1e-9), True),
    ],
)
def test_derived_plausible_bounds(ufw, value: float, flagged: bool) -> None:
    rep = CheckReport()
    out = check_derived(_ds(_frame(gdp_per_capita=[value])).data, ufw, rep, invalid="missing")
    assert ("gdp_per_capita" in rep.scale_errors) is flagged
    assert bool(np.isnan(out["gdp_per_capita"].iloc[0])) is flagged


def test_did_you_mean(ufw) -> None:
    rep = check_dataset(_ds(_frame(人口=[1.0], mystery_column=[1.0])), ufw)
    assert _rule(rep, "unknown-column") == [
        "column '人口' is not a variable of units_test; did you mean pop_resident (常住人口), pop_hukou (户籍人口) or "
        "population_density (人口密度)? "
        "(it is ignored until renamed)",
        "column 'mystery_column' is not a variable of units_test; it is ignored (rename it to a framework code to "
        "use it)",
    ]


def test_name_zh_column_in_a_dataset_read_without_framework(ufw) -> None:
    rep = check_dataset(_ds(_frame(常住人口=[1.0])), ufw)
    assert _rule(rep, "unknown-column") == [
        "column '常住人口' is not a code of framework units_test, but it means pop_resident (常住人口): rename it to "
        "pop_resident, or read the file with the framework (which recognises it)"
    ]


def test_did_you_mean_on_the_builtin_framework(fw) -> None:
    rep = check_dataset(_ds(_frame(人口=[1.0])), fw)
    (msg,) = _rule(rep, "unknown-column")
    assert msg.startswith(
        f"column '人口' is not a variable of {fw.code}; did you mean pop_resident (常住人口)"
    )


def test_unit_mismatch_names_the_factor(ufw) -> None:
    rep = check_dataset(_ds(_frame(pop_resident=[1_154_500.0]), {"pop_resident": "人"}), ufw)
    assert _rule(rep, "unit-mismatch") == [
        "the data gives pop_resident in '人' but the framework expects '万人' (×0.0001); read the file with the "
        "framework, which converts it, or convert the values"
    ]


def test_impossible_values_end_with_and_n_more(ufw) -> None:
    rep = check_dataset(_ds(_frame(pop_resident=[-1.0] * 203 + [100.0] * 300)), ufw)
    msgs = _rule(rep, "impossible-value")
    assert len(msgs) == 201 and msgs[-1] == "… and 3 more values below the minimum"


def test_fraction_above_one_hints_at_percent(ufw) -> None:
    rep = check_dataset(_ds(_frame(share_tertiary=[0.5, 0.4, 0.45, 45.0])), ufw)
    assert _rule(rep, "impossible-value") == [
        "share_tertiary = 45 is above the maximum 1 fraction (0–1); if share_tertiary is given in %, write the header "
        "as 第三产业增加值占GDP比重(%) or divide by 100"
    ]


def test_negative_growth_and_rent_fall_are_not_errors(ufw) -> None:
    ds = _ds(_frame(rent_increase=[-3.0, 2.0], gdp_growth=[-1.5, 4.0]))
    res = check_all(ds, ufw)
    assert res.report.ok, [str(f) for f in res.report.errors]


def test_check_all_equals_the_parts(ufw) -> None:
    """check_all reports what check_dataset and check_derived report, in that order."""
    ds = _ds(_frame(gdp=[3.0e6, 6.0e6], pop_resident=[3000.0, 3900.0], mystery=[1.0, 2.0]))
    res = check_all(ds, ufw)
    rep = check_dataset(ds, ufw)
    n = len(rep.findings)
    assert [str(f) for f in res.report.findings[:n]] == [str(f) for f in rep.findings]
    assert [f.rule for f in res.report.findings[n:]] == ["unit-scale-derived"]
    assert list(res.indicators.columns[:3]) == ["unit_code", "unit_name", "year"]
