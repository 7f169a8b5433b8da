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


def test_scores_every_city_and_year_it_existed(result) -> None:
    s = result.scores
    assert s["unit_code"].nunique() == 300
    assert sorted(s["year"].unique()) == list(range(2000, 2025))
    gone = result.flags[result.flags["flag"] == "not_existing"]
    assert len(s) == 300 * 25 - len(gone)
    dims = ["system", "innovation", "livable", "green", "resilient", "civilized", "smart"]
    assert list(s.columns) == [
        "unit_code",
        "unit_name",
        "year",
        "index",
        *dims,
        "rank_index",
        *[f"rank_{d}" for d in dims],
    ]
    # a unit-year has an index exactly when it has enough data; the others carry the reason
    flagged = result.flags[result.flags["flag"] == "insufficient_data"]
    missing = s.loc[s["index"].isna(), ["unit_code", "year"]]
    assert sorted(map(tuple, missing.to_numpy().tolist())) == sorted(
        map(tuple, flagged[["unit_code", "year"]].to_numpy().tolist())
    )
    assert s["index"].notna().mean() > 0.95


def test_no_unit_is_scored_after_it_ceased_or_before_it_existed(result) -> None:
    """巢湖 abolished 2011 (last year 2010), 莱芜 merged 2019 (last 2018), 三沙 set up 2012."""
    s = result.scores
    last = s.groupby("unit_code")["year"].max()
    first = s.groupby("unit_code")["year"].min()
    assert last["341400"] == 2010 and last["371200"] == 2018
    assert first["460300"] == 2012
    gone = result.flags[result.flags["flag"] == "not_existing"]
    chaohu = gone[gone["unit_code"] == "341400"]
    assert chaohu["year"].min() == 2011 and chaohu["year"].max() == 2024
    assert "2011" in chaohu["detail"].iloc[0]


def test_no_data_dimensions_are_not_invented(result) -> None:
    cov = result.dimension_coverage.set_index("dimension")
    # system: its only indicators with data are context (urban share of migrants, population growth)
    assert set(cov.index[cov["status"] == "no data"]) == {
        "system",
        "green",
        "resilient",
        "civilized",
    }
    for d in ("system", "green", "resilient", "civilized"):
        assert result.scores[d].isna().all()
        assert result.scores[f"rank_{d}"].isna().all()
    used = result.coverage[result.coverage["status"] == "used"]
    assert "broadband_per_100" not in used["indicator"].tolist()  # excluded: a national total


def test_context_indicators_are_shown_never_scored(result) -> None:
    cov = result.coverage.set_index("indicator")
    for code in ("hukou_resident_gap", "resident_population_growth", "gdp_growth"):
        assert cov.loc[code, "status"] == "context"
        assert code in result.indicators.columns  # shown …
        assert code not in result.normalised.columns  # … never scored


def test_beijing_livable_has_no_cliff(result) -> None:
    """Issue 10: Beijing's livable fell from 56.5 (2013) to 11.4 (2014) under per-year treatment."""
    s = result.scores[result.scores["unit_code"] == "110000"].set_index("year")["livable"]
    i = result.indicators[result.indicators["unit_code"] == "110000"].set_index("year")
    d_score = s.diff().dropna()
    assert d_score.min() > -8  # no cliff
    # and the score falls only in years in which one of its inputs fell
    inputs = i[["education_expenditure_per_capita", "education_expenditure_share"]].diff()
    for y, ds in d_score.items():
        if ds < -1e-9:
            assert (inputs.loc[y] < 0).any(), (y, ds)


def test_plausibility_bounds_of_derived_indicators(result) -> None:
    """三沙市: 16 万 students and 586 万 phone subscriptions for 0.22 万 residents are impossible."""
    found = [f for f in result.checks.findings if f.rule == "impossible-derived-value"]
    assert any(f.column == "students_per_10k" and "460300" in (f.unit or "") for f in found)
    assert result.indicators["students_per_10k"].max() <= 10000


def test_rank_intervals_bracket_the_nominal_rank(fw, embedded) -> None:
    r = run_checkup(
        embedded, fw, CheckupOptions(invalid="missing", uncertainty_n=50, years=[2023, 2024])
    )
    ri = r.rank_intervals
    assert set(ri["year"]) == {2024}
    assert len(ri) == r.scores.loc[r.scores["year"] == 2024, "index"].notna().sum()
    assert (ri["q5"] <= ri["q95"]).all() and (ri["q5"] >= 1).all()
    assert (
        ri["nominal"] >= ri["q5"] - 15
    ).mean() > 0.95  # intervals are centred near the nominal rank


def test_index_is_weighted_mean_of_informed_dimensions(result) -> None:
    s = result.scores.dropna(subset=["innovation", "livable", "smart"])
    mean = s[["innovation", "livable", "smart"]].mean(axis=1)
    np.testing.assert_allclose(s["index"].to_numpy(), mean.to_numpy(), rtol=1e-9)


def test_ranks_within_year_ties_min(result) -> None:
    s = result.scores[(result.scores["year"] == 2024) & result.scores["index"].notna()]
    assert s.loc[s["rank_index"] == 1, "index"].iloc[0] == s["index"].max()
    # independent of pandas' rank: rank = 1 + number of units with a strictly higher index
    idx = s["index"].to_numpy()
    expected = [1 + int((idx > v).sum()) for v in idx]
    assert s["rank_index"].astype(int).tolist() == expected


def test_ranks_with_ties_share_the_best_rank() -> None:
    """The real data has no tied scores, so the tie rule is checked on a hand-made table.

    2024: scores 80, 90, 80, 70 (in this row order) -> 90 is 1st; the two 80s share rank 2
    (not 2 and 3 by row order); 70 is 4th (rank 3 is skipped, R's ties="min"); a missing
    score has no rank. 2023 has one unit only -> no rank at all.
    """
    from citycheckup.checkup._run import _ranks

    t = pd.DataFrame({
        "unit_code": ["a", "b", "c", "d", "e", "a"],
        "unit_name": list("abcdea"),
        "year": [2024, 2024, 2024, 2024, 2024, 2023],
        "index": [80.0, 90.0, 80.0, 70.0, np.nan, 50.0],
    })  # fmt: skip
    r = _ranks(t, ["index"])["rank_index"]
    assert r.iloc[:4].tolist() == [2, 1, 2, 4]
    assert r.iloc[4:].isna().all()


def test_strengths_and_weaknesses_top5_per_peer_group(result) -> None:
    sw = result.strengths
    one = sw[(sw["unit_code"] == "130600") & (sw["year"] == 2024)]
    assert set(one["peer_type"]) == {"province", "size_class"}
    assert one.groupby(["peer_type", "kind"]).size().tolist() == [5, 5, 5, 5]
    # a strength has a better or equal peer percentile than any weak point of the same group
    prov = one[one["peer_type"] == "province"]
    best = (
        prov[prov["kind"] == "strength"]["peer_rank"] / prov[prov["kind"] == "strength"]["peer_n"]
    ).max()
    worst = (
        prov[prov["kind"] == "weakness"]["peer_rank"] / prov[prov["kind"] == "weakness"]["peer_n"]
    ).min()
    assert best <= worst


def test_changes_since_base_year(result) -> None:
    c = result.changes.set_index("unit_code")
    s = result.scores.set_index(["unit_code", "year"])
    for code in ("110000", "130600"):
        assert c.loc[code, "index_change"] == pytest.approx(
            s.loc[(code, 2024), "index"] - s.loc[(code, 2000), "index"]
        )


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
        run_checkup(
            embedded,
            fw,
            CheckupOptions(scoring="relative", aggregation="geometric", normalisation="zscore"),
        )
    sub = Dataset(
        data=embedded.data[embedded.data["year"] >= 2022],
        source="x",
        units=embedded.units,
        groups=embedded.groups,
    )
    r = run_checkup(
        sub, fw, CheckupOptions(scoring="relative", aggregation="geometric", invalid="missing")
    )
    assert (r.scores["index"].dropna() >= 1.0).all()


def test_no_usable_indicator_is_a_clear_error(fw) -> None:
    ds = Dataset(
        data=pd.DataFrame({"unit_code": ["a"], "unit_name": ["a"], "year": [2020], "foo": [1.0]}),
        source="foo.csv",
    )
    with pytest.raises(DataError, match="no indicator of framework people_city_2025 can be scored"):
        run_checkup(ds, fw)
