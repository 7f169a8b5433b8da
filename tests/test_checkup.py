"""The check-up end to end on the embedded real data, and its missing-data policy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from citycheckup.checkup import CheckupOptions, run_checkup
from citycheckup.data import Dataset, load_city_macro
from citycheckup.errors import DataError
from citycheckup.framework import load_framework


@pytest.fixture(scope="module")
def fw():
    return load_framework("people-city-2025")


@pytest.fixture(scope="module")
def embedded():
    return load_city_macro()


@pytest.fixture(scope="module")
def result(fw, embedded):
    return run_checkup(embedded, fw, CheckupOptions(invalid="missing"))


def test_scores_every_city_and_year(result) -> None:
    s = result.scores
    assert s["unit_code"].nunique() == 300
    assert sorted(s["year"].unique()) == list(range(2000, 2025))
    assert len(s) == 300 * 25
    dims = ["system", "innovation", "livable", "green", "resilient", "civilized", "smart"]
    assert list(s.columns) == ["unit_code", "unit_name", "year", "index", *dims, "rank_index",
                               *[f"rank_{d}" for d in dims]]
    # a unit-year has an index exactly when it has enough data; the others carry the reason
    flagged = result.flags[result.flags["flag"] == "insufficient_data"]
    missing = s.loc[s["index"].isna(), ["unit_code", "year"]]
    assert sorted(map(tuple, missing.to_numpy().tolist())) == sorted(
        map(tuple, flagged[["unit_code", "year"]].to_numpy().tolist()))
    assert s["index"].notna().mean() > 0.95
    # 巢湖 (abolished 2011) and 莱芜 (merged 2019) have 2 of 12 indicators in the embedded data
    assert set(flagged["unit_code"]) >= {"341400", "371200"}


def test_no_data_dimensions_are_not_invented(result) -> None:
    cov = result.dimension_coverage.set_index("dimension")
    assert set(cov.index[cov["status"] == "no data"]) == {"green", "resilient", "civilized"}
    for d in ("green", "resilient", "civilized"):
        assert result.scores[d].isna().all()
        assert result.scores[f"rank_{d}"].isna().all()
    used = result.coverage[result.coverage["status"] == "used"]
    assert "broadband_per_100" not in used["indicator"].tolist()  # excluded: a national total


def test_plausibility_bounds_of_derived_indicators(result) -> None:
    """三沙市: 16 万 students and 586 万 phone subscriptions for 0.22 万 residents are impossible."""
    found = [f for f in result.checks.findings if f.rule == "impossible-derived-value"]
    assert any(f.column == "students_per_10k" and "460300" in (f.unit or "") for f in found)
    assert result.indicators["students_per_10k"].max() <= 10000


def test_rank_intervals_bracket_the_nominal_rank(fw, embedded) -> None:
    r = run_checkup(embedded, fw, CheckupOptions(invalid="missing", uncertainty_n=50, years=[2023, 2024]))
    ri = r.rank_intervals
    assert set(ri["year"]) == {2024}
    assert len(ri) == r.scores.loc[r.scores["year"] == 2024, "index"].notna().sum()
    assert (ri["q5"] <= ri["q95"]).all() and (ri["q5"] >= 1).all()
    assert (ri["nominal"] >= ri["q5"] - 15).mean() > 0.95  # intervals are centred near the nominal rank


def test_index_is_weighted_mean_of_informed_dimensions(result) -> None:
    s = result.scores.dropna(subset=["system", "innovation", "livable", "smart"])
    mean = s[["system", "innovation", "livable", "smart"]].mean(axis=1)
    np.testing.assert_allclose(s["index"].to_numpy(), mean.to_numpy(), rtol=1e-9)


def test_ranks_within_year_ties_min(result) -> None:
    s = result.scores[(result.scores["year"] == 2024) & result.scores["index"].notna()]
    expected = s["index"].rank(ascending=False, method="min")
    assert (s["rank_index"].astype(float) == expected).all()
    assert s.loc[s["rank_index"] == 1, "index"].iloc[0] == s["index"].max()


def test_strengths_and_weaknesses_top5_per_peer_group(result) -> None:
    sw = result.strengths
    one = sw[(sw["unit_code"] == "130600") & (sw["year"] == 2024)]
    assert set(one["peer_type"]) == {"province", "size_class"}
    assert one.groupby(["peer_type", "kind"]).size().tolist() == [5, 5, 5, 5]
    # a strength has a better or equal peer percentile than any weak point of the same group
    prov = one[one["peer_type"] == "province"]
    best = (prov[prov["kind"] == "strength"]["peer_rank"] / prov[prov["kind"] == "strength"]["peer_n"]).max()
    worst = (prov[prov["kind"] == "weakness"]["peer_rank"] / prov[prov["kind"] == "weakness"]["peer_n"]).min()
    assert best <= worst


def test_changes_since_base_year(result) -> None:
    c = result.changes.set_index("unit_code")
    s = result.scores.set_index(["unit_code", "year"])
    for code in ("110000", "130600"):
        assert c.loc[code, "index_change"] == pytest.approx(s.loc[(code, 2024), "index"] - s.loc[(code, 2000), "index"])


def test_invalid_values_stop_the_run_by_default(fw, embedded) -> None:
    with pytest.raises(DataError, match=r"exp_education = -707 is below the minimum 0"):
        run_checkup(embedded, fw, CheckupOptions())


def test_year_selection_and_bad_year(fw, embedded) -> None:
    r = run_checkup(embedded, fw, CheckupOptions(years=[2023, 2024], invalid="missing"))
    assert sorted(r.scores["year"].unique()) == [2023, 2024]
    with pytest.raises(DataError, match=r"year\(s\) 1999 are not in the data"):
        run_checkup(embedded, fw, CheckupOptions(years=[1999], invalid="missing"))


def test_geometric_needs_positive_scale_and_options_checked(fw, embedded) -> None:
    with pytest.raises(DataError, match="geometric aggregation needs positive values"):
        run_checkup(embedded, fw, CheckupOptions(aggregation="geometric", normalisation="zscore"))
    sub = Dataset(data=embedded.data[embedded.data["year"] >= 2022], source="x", units=embedded.units,
                  groups=embedded.groups)
    r = run_checkup(sub, fw, CheckupOptions(aggregation="geometric", invalid="missing"))
    assert (r.scores["index"].dropna() >= 1.0).all()


def test_no_usable_indicator_is_a_clear_error(fw) -> None:
    ds = Dataset(data=pd.DataFrame({"unit_code": ["a"], "unit_name": ["a"], "year": [2020], "foo": [1.0]}),
                 source="foo.csv")
    with pytest.raises(DataError, match="no indicator of framework people_city_2025 can be computed"):
        run_checkup(ds, fw)
