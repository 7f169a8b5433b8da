"""Tests written for the survivors of the mutation run of ``citycheckup.checkup`` (issue 18).

Functions that the check-up's own tests did not reach (``check_data``, ``rescore``,
``_truthy``) and exact values of the pipeline/option tables. All data are SYNTHETIC: the
three-city worked example of ``tests/checkup/test_oracle.py`` and small hand-made frames.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from citycheckup.checkup import CheckupOptions, run_checkup
from citycheckup.checkup._run import _truthy, build_pipeline, check_data, rescore
from citycheckup.checkup._uncertainty import _replicate_steps, uncertainty_spec
from citycheckup.data import Dataset
from citycheckup.errors import DataError
from citycheckup.framework import Framework
from tests.checkup.test_oracle import DATA, FW


def _fw(indicators: list[dict[str, object]]) -> Framework:
    """A one-dimension SYNTHETIC framework holding ``indicators``."""
    return Framework.model_validate(
        {
            "code": "tiny",
            "name_zh": "小",
            "name_en": "tiny",
            "dimensions": [
                {"code": "d", "name_zh": "维", "name_en": "D", "indicators": indicators}
            ],
        }
    )


def _ind(code: str, unit: str, kind: str = "higher") -> dict[str, object]:
    return {"code": code, "name_zh": code, "name_en": code, "unit": unit, "kind": kind,
            "level": "city"}  # fmt: skip


def _ds(**cols: list[float]) -> Dataset:
    data = pd.DataFrame(
        {"unit_code": ["c1", "c2", "c1", "c2"], "unit_name": ["c1", "c2", "c1", "c2"],
         "year": [2023, 2023, 2024, 2024], **cols}
    )  # fmt: skip
    return Dataset(data=data, source="tiny (synthetic)")


# -- _truthy: the water_scarce flag ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None), (float("nan"), None), (pd.NA, None), ("maybe", None), ("", None),
        ("1", True), (1, True), (1.0, True), ("true", True), (" Yes ", True), ("y", True),
        ("是", True), ("缺水", True), ("TRUE", True),
        ("0", False), (0, False), (0.0, False), ("false", False), ("No", False), ("n", False),
        ("否", False), ("不缺水", False), (" 0.0 ", False),
    ],
)  # fmt: skip
def test_truthy_reads_every_spelling(value: object, expected: bool | None) -> None:
    """Spaces are stripped and case ignored; anything unknown is unknown (None), not False."""
    assert _truthy(value) is expected


# -- check_data: the checks of a run, never raising ------------------------------------------------
def test_check_data_clean_data_has_no_error() -> None:
    rep = check_data(Dataset(data=DATA, source="oracle (synthetic)"), FW)
    assert rep.errors == []


def test_check_data_reports_missing_years_and_base_year() -> None:
    """The oracle data has 2023 and 2024: years 2030, 2031 and base year 2020 are absent."""
    ds = Dataset(data=DATA, source="oracle (synthetic)")
    rep = check_data(ds, FW, CheckupOptions(years=[2031, 2030, 2024], base_year=2020))
    msgs = [(f.rule, f.message) for f in rep.errors]
    assert msgs == [
        (
            "missing-year",
            "year(s) 2030, 2031 are not in the data (it has 2023–2024); choose others with --year",
        ),
        ("missing-year", "base year 2020 is not in the data (2023–2024)"),
    ]
    # and no "nothing-to-score" on top: scoring is not attempted once a check failed
    assert all(f.rule != "nothing-to-score" for f in rep.findings)


def test_check_data_base_year_present_is_fine() -> None:
    rep = check_data(Dataset(data=DATA, source="oracle (synthetic)"), FW,
                     CheckupOptions(years=[2024], base_year=2023))  # fmt: skip
    assert rep.errors == []


def test_check_data_nothing_to_score_without_goalposts_hints_relative() -> None:
    """One indicator in km without goalposts: absolute scoring cannot use it (error with the
    hint to use relative scoring); relative scoring can (no error)."""
    fw = _fw([_ind("v", "km")])
    ds = _ds(v=[1.0, 2.0, 3.0, 4.0])
    rep = check_data(ds, fw)
    assert [(f.rule, f.message) for f in rep.errors] == [
        (
            "nothing-to-score",
            "no indicator of framework tiny can be scored from this data; with relative "
            "scoring indicators without goalposts can be used",
        )
    ]
    assert check_data(ds, fw, CheckupOptions(scoring="relative")).errors == []


def test_check_data_nothing_to_score_for_a_count_has_no_hint() -> None:
    """A count (unit 个) is "not scored" either way: the error has no relative-scoring hint."""
    fw = _fw([_ind("v", "个")])
    rep = check_data(_ds(v=[1.0, 2.0, 3.0, 4.0]), fw)
    assert [f.message for f in rep.errors] == [
        "no indicator of framework tiny can be scored from this data"
    ]


def test_check_data_with_a_share_is_scorable() -> None:
    """A share (%) has natural goalposts 0–100: it is used, so no error."""
    rep = check_data(_ds(v=[10.0, 20.0, 30.0, 40.0]), _fw([_ind("v", "%")]))
    assert rep.errors == []


def test_check_data_only_scored_years_count() -> None:
    """``v`` has values only in 2023; scoring 2024 alone leaves nothing to score."""
    fw = _fw([_ind("v", "%")])
    ds = _ds(v=[10.0, 20.0, np.nan, np.nan])
    assert check_data(ds, fw, CheckupOptions(years=[2023])).errors == []
    assert [f.rule for f in check_data(ds, fw, CheckupOptions(years=[2024])).errors] == [
        "nothing-to-score"
    ]


def test_check_data_validates_the_options() -> None:
    with pytest.raises(DataError, match="invalid check-up options"):
        check_data(Dataset(data=DATA, source="s"), FW, CheckupOptions(scoring="bogus"))  # type: ignore[arg-type]


def test_run_checkup_error_messages_for_nothing_to_score() -> None:
    fw = _fw([_ind("v", "km")])
    with pytest.raises(DataError) as err:
        run_checkup(_ds(v=[1.0, 2.0, 3.0, 4.0]), fw)
    assert str(err.value).splitlines()[0] == (
        "tiny (synthetic): no indicator of framework tiny can be scored from this data "
        "(indicators without goalposts can be compared across cities with relative scoring)"
    )


# -- rescore: the same scoring on modified values --------------------------------------------------
def test_rescore_reproduces_the_run_and_follows_a_change() -> None:
    """Rescoring the unchanged panel gives the run's scores. Then, by hand (see
    test_oracle.HAND): c2 2024 with y = 5 instead of 25 scores y 100 instead of 0, so
    a = (80 + 3·100)/4 = 95, b = (100 + 90)/2 = 95, index = 95 — above c3's 87.49975, so c2
    becomes 1st, c3 2nd, c1 (68.75) 3rd. 2023 is unchanged."""
    res = run_checkup(Dataset(data=DATA, source="oracle (synthetic)"), FW, CheckupOptions())
    same = rescore(res, res.panel)
    cols = ["unit_code", "year", "index", "a", "b", "rank_index"]
    pd.testing.assert_frame_equal(
        same[cols].sort_values(["year", "unit_code"]).reset_index(drop=True),
        res.scores[cols].sort_values(["year", "unit_code"]).reset_index(drop=True),
        check_dtype=False,
    )
    changed = res.panel.copy()
    changed.loc[(changed["unit_code"] == "c2") & (changed["year"] == 2024), "y"] = 5.0
    raw = res.rescore(changed)
    assert list(raw.columns) == list(res.scores.columns)
    got = raw.set_index(["unit_code", "year"])
    assert got.loc[("c2", 2024), "index"] == pytest.approx(95.0, abs=1e-9)
    assert got.loc[("c2", 2024), "a"] == pytest.approx(95.0, abs=1e-9)
    assert [int(got.loc[(u, 2024), "rank_index"]) for u in ("c1", "c2", "c3")] == [3, 1, 2]
    # c1 2023: a = (50 + 3·200/3)/4 = 62.5, b = (100 + 40)/2 = 70 → 66.25
    assert got.loc[("c1", 2023), "index"] == pytest.approx(66.25, abs=1e-9)


# -- the pipeline as data --------------------------------------------------------------------------
def test_build_pipeline_absolute_default() -> None:
    assert build_pipeline(CheckupOptions()) == [
        {"screen": {"by": "na", "min_availability": 0.5}},
        {"normalise": {"method": "none"}},
        {"aggregate": {"method": "arithmetic", "min_availability": 0.5}},
    ]


def test_build_pipeline_absolute_geometric_omits_nonpositive() -> None:
    steps = build_pipeline(CheckupOptions(aggregation="geometric", min_availability=0.6,
                                          min_unit_availability=0.7))  # fmt: skip
    assert steps == [
        {"screen": {"by": "na", "min_availability": 0.7}},
        {"normalise": {"method": "none"}},
        {"aggregate": {"method": "geometric", "min_availability": 0.6, "nonpositive": "omit"}},
    ]


def test_build_pipeline_relative_default() -> None:
    assert build_pipeline(CheckupOptions(scoring="relative")) == [
        {"screen": {"by": "na", "min_availability": 0.5}},
        {"treat": {"method": "winsorise_log", "winmax": 5, "skew": 2, "kurtosis": 3.5,
                   "log": "log_ct", "global": True}},
        {"normalise": {"method": "minmax", "lower": 0.0, "upper": 100.0, "global": True,
                       "constant": "nan"}},
        {"aggregate": {"method": "arithmetic", "min_availability": 0.5}},
    ]  # fmt: skip


def test_build_pipeline_relative_variants() -> None:
    """No treatment, per-year normalisation, geometric (min-max onto 1–100, no "nonpositive" for
    relative scoring), and z-scores."""
    geo = build_pipeline(CheckupOptions(scoring="relative", treatment="none", aggregation="geometric",
                                        global_normalisation=False))  # fmt: skip
    assert geo == [
        {"screen": {"by": "na", "min_availability": 0.5}},
        {"normalise": {"method": "minmax", "lower": 1.0, "upper": 100.0, "global": False,
                       "constant": "nan"}},
        {"aggregate": {"method": "geometric", "min_availability": 0.5}},
    ]  # fmt: skip
    z = build_pipeline(CheckupOptions(scoring="relative", normalisation="zscore", winmax=3,
                                      treatment_scope="year"))  # fmt: skip
    assert z[1] == {"treat": {"method": "winsorise_log", "winmax": 3, "skew": 2, "kurtosis": 3.5,
                              "log": "log_ct", "global": False}}  # fmt: skip
    assert z[2] == {"normalise": {"method": "zscore", "mean": 0.0, "sd": 1.0, "global": True,
                                  "constant": "nan"}}  # fmt: skip


# -- uncertainty: the spec and the replicates' pipeline --------------------------------------------
def test_uncertainty_spec_absolute_and_relative() -> None:
    """Weights noise ±25 % at levels 1 … levels−1; aggregation arithmetic/geometric; winmax 3–7
    only for relative scoring with treatment."""
    spec = uncertainty_spec(CheckupOptions(uncertainty_n=20, seed=7), year=2024, levels=3)
    assert spec == {
        "target": None, "n": 20, "seed": 7, "sensitivity": False, "time": 2024,
        "factors": [
            {"name": "weights", "step": "aggregate", "noise": {1: 0.25, 2: 0.25}},
            {"name": "aggregation", "step": "aggregate", "parameter": "method",
             "values": ["arithmetic", "geometric"]},
        ],
    }  # fmt: skip
    rel = uncertainty_spec(CheckupOptions(scoring="relative"), year=2023, levels=2)
    assert rel["factors"][0]["noise"] == {1: 0.25}
    assert rel["factors"][2] == {"name": "winmax", "step": "treat", "parameter": "winmax",
                                 "values": [3, 4, 5, 6, 7]}  # fmt: skip
    none = uncertainty_spec(CheckupOptions(scoring="relative", treatment="none"), year=1, levels=2)
    assert [f["name"] for f in none["factors"]] == ["weights", "aggregation"]


def test_replicate_steps_map_scores_onto_1_100() -> None:
    """A geometric mean needs positive values. Absolute scores (0–100) are mapped with the
    documented "scaled" step (lower −100/99, upper 100, scale factor 100; _replicate_steps'
    docstring: 0 → 1, 100 → 100); relative min-max goes onto [1, 100]; z-scores stay; every
    aggregation omits non-positive values."""
    steps = _replicate_steps(CheckupOptions())
    assert steps[1] == {"normalise": {"method": "scaled", "lower": -100.0 / 99.0, "upper": 100.0,
                                      "scale_factor": 100.0}}  # fmt: skip
    assert steps[2] == {"aggregate": {"method": "arithmetic", "min_availability": 0.5,
                                      "nonpositive": "omit"}}  # fmt: skip
    rel = _replicate_steps(CheckupOptions(scoring="relative"))
    assert rel[2]["normalise"]["lower"] == 1.0 and rel[2]["normalise"]["upper"] == 100.0
    assert rel[3]["aggregate"]["nonpositive"] == "omit"
    z = _replicate_steps(CheckupOptions(scoring="relative", normalisation="zscore"))
    assert z[2]["normalise"]["method"] == "zscore"  # z-scores are left as they are


# -- options ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("v", [0.0, 1.0, 0.5])
def test_options_availability_bounds_accepted(v: float) -> None:
    CheckupOptions(min_availability=v, min_unit_availability=v).validate()


@pytest.mark.parametrize("v", [-0.01, 1.01])
def test_options_availability_bounds_refused(v: float) -> None:
    with pytest.raises(DataError) as err:
        CheckupOptions(min_availability=v, min_unit_availability=v).validate()
    text = str(err.value)
    assert f"min_availability must lie in [0, 1], got {v}" in text
    assert f"min_unit_availability must lie in [0, 1], got {v}" in text


@pytest.mark.parametrize(("n", "ok"), [(0, True), (10, True), (9, False), (1, False), (-1, False)])
def test_options_uncertainty_n(n: int, ok: bool) -> None:
    opts = CheckupOptions(uncertainty_n=n)
    if ok:
        opts.validate()
    else:
        with pytest.raises(
            DataError, match=rf"uncertainty_n must be 0 \(off\) or at least 10, got {n}"
        ):
            opts.validate()


@pytest.mark.parametrize(("w", "ok"), [(0, True), (-1, False)])
def test_options_winmax(w: int, ok: bool) -> None:
    opts = CheckupOptions(winmax=w)
    if ok:
        opts.validate()
    else:
        with pytest.raises(DataError, match="winmax must be 0 or more, got -1"):
            opts.validate()


def test_options_every_choice_is_named() -> None:
    opts = CheckupOptions(scoring="x", normalisation="x", aggregation="x", weights="x",  # type: ignore[arg-type]
                          treatment="x", treatment_scope="x")  # type: ignore[arg-type]  # fmt: skip
    with pytest.raises(DataError) as err:
        opts.validate()
    text = str(err.value)
    for line in (
        "scoring must be absolute or relative, got 'x'",
        "normalisation must be minmax or zscore, got 'x'",
        "aggregation must be arithmetic or geometric, got 'x'",
        "weights must be framework or equal, got 'x'",
        "treatment must be winsorise_log or none, got 'x'",
        "treatment_scope must be panel or year, got 'x'",
    ):
        assert line in text


def test_options_geometric_zscore_only_refused_for_relative() -> None:
    CheckupOptions(aggregation="geometric", normalisation="zscore").validate()  # absolute: fine
    with pytest.raises(DataError) as err:
        CheckupOptions(scoring="relative", aggregation="geometric",
                       normalisation="zscore").validate()  # fmt: skip
    assert "geometric aggregation needs positive values: use --normalisation minmax " \
        "(scaled to 1–100) with it" in str(err.value)  # fmt: skip


def test_options_as_dict_round_trips() -> None:
    opts = CheckupOptions(years=[2024], scoring="relative", seed=3)
    d = opts.as_dict()
    assert d["years"] == [2024] and d["scoring"] == "relative" and d["seed"] == 3
    assert len(d) == 18
    assert CheckupOptions(**d) == opts


# -- rank intervals --------------------------------------------------------------------------------
def test_rank_intervals_years_columns_and_nominal_ranks() -> None:
    """Nominal ranks come from the run's scores; by hand (test_oracle.HAND): 2023 index c1 66.25,
    c2 47.5, c3 75 → ranks 2, 3, 1; 2024 c1 68.75, c2 57.5, c3 87.49975 → 2, 3, 1. Every
    interval lies within 1…3 (three cities) and q5 ≤ median ≤ q95. ``uncertainty_years="all"``
    gives both years, the default the last scored year only."""
    ds = Dataset(data=DATA, source="oracle (synthetic)")
    cols = ["unit_code", "year", "nominal", "mean", "median", "q5", "q95"]
    every = run_checkup(ds, FW, CheckupOptions(uncertainty_n=10, uncertainty_years="all"))
    ri = every.rank_intervals
    assert list(ri.columns) == cols
    assert list(zip(ri["unit_code"], ri["year"], ri["nominal"].astype(int), strict=True)) == [
        ("c1", 2023, 2), ("c2", 2023, 3), ("c3", 2023, 1),
        ("c1", 2024, 2), ("c2", 2024, 3), ("c3", 2024, 1),
    ]  # fmt: skip
    assert ((ri["q5"] >= 1) & (ri["q95"] <= 3)).all()
    assert ((ri["q5"] <= ri["median"]) & (ri["median"] <= ri["q95"])).all()
    assert ((ri["q5"] <= ri["nominal"]) & (ri["nominal"] <= ri["q95"])).all()
    last = run_checkup(ds, FW, CheckupOptions(uncertainty_n=10)).rank_intervals
    assert list(last.columns) == cols and set(last["year"]) == {2024} and len(last) == 3
    # one city alone: no ranks, so no intervals
    alone = run_checkup(Dataset(data=DATA[DATA["unit_code"] == "c1"], source="c1 (synthetic)"),
                        FW, CheckupOptions(uncertainty_n=10))  # fmt: skip
    assert alone.rank_intervals.empty


# -- coverage tables -------------------------------------------------------------------------------
def test_coverage_status_and_reason_of_every_kind() -> None:
    """Indicators: v share (%, natural goalposts) → used; k count (个) → not scored; g km without
    goalposts → no goalposts; c context → context; m absent → no data, with the no-data
    finding's text when there is one. Availability is over the scored years only: v has values
    in 2023 for c1 and c2 and in 2024 for c1 → in 2024 alone 1 of 2 = 0.5."""
    from citycheckup.checkup._run import _coverage
    from citycheckup.data.checks import CheckReport, Finding

    fw = _fw([_ind("v", "%"), _ind("k", "个"), _ind("g", "km"), _ind("c", "km", "context"),
              _ind("m", "%")])  # fmt: skip
    ind = _ds(v=[1.0, 2.0, 3.0, np.nan], k=[1.0] * 4, g=[1.0] * 4, c=[1.0] * 4).data
    rep = CheckReport(findings=[Finding("warning", "no-data", "m: not in the file", column="m")])
    cov = _coverage(ind, fw, rep, [2024], CheckupOptions()).set_index("indicator")
    assert list(cov.reset_index().columns) == ["indicator", "dimension", "status",
                                               "availability", "reason"]  # fmt: skip
    assert cov["status"].to_dict() == {"v": "used", "k": "not scored", "g": "no goalposts",
                                       "c": "context", "m": "no data"}  # fmt: skip
    assert cov.loc["v", "availability"] == 0.5 and cov.loc["m", "availability"] == 0.0
    assert cov.loc["v", "reason"] == "" and cov.loc["v", "dimension"] == "d"
    assert cov.loc["k", "reason"] == ("a count depends on the size of the city: graded against "
                                      "its target where one applies, never scored")  # fmt: skip
    assert cov.loc["g", "reason"] == "no goalposts to score it against (the framework gives none)"
    assert cov.loc["c", "reason"] == "shown for context, never scored"
    assert cov.loc["m", "reason"] == "m: not in the file"
    both = _coverage(ind, fw, CheckReport(), [2023, 2024], CheckupOptions(scoring="relative"))
    both = both.set_index("indicator")
    assert both.loc["v", "availability"] == 0.75  # 3 of 4
    assert both.loc["k", "status"] == "used" and both.loc["g", "status"] == "used"
    assert both.loc["m", "reason"] == "no value in the scored years"


def test_dimension_coverage_counts() -> None:
    """Oracle framework, dimensions a (x, y) and b (z, w). Coverage rows by hand: x used (avail
    1.0), y no data; z used (0.5), w context. a: 2 scorable, 1 used → 0.5, mean availability
    1.0; b: w is context, so 1 scorable, 1 used → 1.0, mean 0.5. With nothing used, a is
    "no data" with 0 coverage and 0 availability."""
    from citycheckup.checkup._run import _dimension_coverage

    cov = pd.DataFrame({
        "indicator": ["x", "y", "z", "w"], "dimension": ["a", "a", "b", "b"],
        "status": ["used", "no data", "used", "context"], "availability": [1.0, 0.0, 0.5, 1.0],
    })  # fmt: skip
    dc = _dimension_coverage(cov, FW)
    assert dc.to_dict("records") == [
        {"dimension": "a", "name_zh": "甲", "name_en": "A", "n_indicators": 2, "n_used": 1,
         "coverage": 0.5, "mean_availability": 1.0, "status": "scored"},
        {"dimension": "b", "name_zh": "乙", "name_en": "B", "n_indicators": 1, "n_used": 1,
         "coverage": 1.0, "mean_availability": 0.5, "status": "scored"},
    ]  # fmt: skip
    none = _dimension_coverage(cov.assign(status=["no data", "no data", "context", "context"]), FW)
    assert none.iloc[0][["n_used", "coverage", "mean_availability", "status"]].tolist() == [
        0, 0.0, 0.0, "no data"]  # fmt: skip
    assert none.iloc[1][["n_indicators", "coverage"]].tolist() == [0, 0.0]  # only context in b


# -- flags and constant indicators -----------------------------------------------------------------
def test_flags_insufficient_data_at_the_availability_boundary() -> None:
    """min_unit_availability 0.5 of 3 used indicators → 1.5 needed: 1 value is flagged, 2 are
    not. Of 2 indicators → exactly 1 needed: 1 value is enough (at the boundary)."""
    from types import SimpleNamespace

    from citycheckup.checkup._run import _flags

    ind = pd.DataFrame({"unit_code": ["c1", "c2"], "year": [2024, 2024],
                        "a": [1.0, 1.0], "b": [np.nan, 1.0], "c": [np.nan, np.nan]})  # fmt: skip
    comp = SimpleNamespace(treated_points=None)
    f = _flags(ind, ["a", "b", "c"], CheckupOptions(), comp)
    assert f.to_dict("records") == [
        {"unit_code": "c1", "year": 2024, "flag": "insufficient_data",
         "detail": "1 of 3 indicators have a value; at least 50 % are needed to be scored"},
    ]  # fmt: skip
    assert _flags(ind, ["a", "b"], CheckupOptions(), comp).empty
    strict = _flags(ind, ["a", "b"], CheckupOptions(min_unit_availability=0.75), comp)
    assert strict["detail"].tolist() == [
        "1 of 2 indicators have a value; at least 75 % are needed to be scored"
    ]


def test_flags_extreme_values_are_the_winsorised_points_only() -> None:
    """Treated points: c1 2024 a and b winsorised, c2 2024 b log-transformed only (not an
    extreme value of its own), c1 2023 winsorised but 2023 is not scored."""
    from types import SimpleNamespace

    from citycheckup.checkup._run import _flags

    ind = pd.DataFrame({"unit_code": ["c2", "c1"], "year": [2024, 2024], "a": [1.0, 1.0]})
    pts = pd.DataFrame({"uCode": ["c1", "c1", "c2", "c1"], "Time": [2024, 2024, 2024, 2023],
                        "iCode": ["b", "a", "b", "a"],
                        "Treatment": ["winsorised (high)", "winsorised (low)", "log_ct",
                                      "winsorised"]})  # fmt: skip
    f = _flags(ind, ["a"], CheckupOptions(), SimpleNamespace(treated_points=pts))
    assert f.to_dict("records") == [
        {"unit_code": "c1", "year": 2024, "flag": "extreme_values", "detail": "winsorised: b, a"}
    ]
    # single-year data: the engine drops Time; the year is the data's
    one = _flags(ind, ["a"], CheckupOptions(),
                 SimpleNamespace(treated_points=pts.drop(columns="Time").iloc[:1]))  # fmt: skip
    assert one[["unit_code", "year", "detail"]].values.tolist() == [["c1", 2024, "winsorised: b"]]


def test_mark_constant_relative_scoring() -> None:
    """v is 5 for every unit-year → constant ("the same value (5) …"); u varies → used. With
    one unit only nothing is marked (a single unit cannot show variation)."""
    from citycheckup.checkup._run import _mark_constant
    from citycheckup.data.checks import CheckReport

    ind = _ds(v=[5.0] * 4, u=[1.0, 2.0, 3.0, 4.0]).data
    cov = pd.DataFrame({"indicator": ["v", "u"], "status": ["used", "used"], "reason": ["", ""]})
    rep = CheckReport()
    _mark_constant(ind, cov, rep, CheckupOptions(scoring="relative"))
    assert cov.values.tolist() == [
        ["v", "constant", "the same value (5) for every unit and year: it cannot discriminate"],
        ["u", "used", ""],
    ]
    assert [(f.severity, f.rule, f.message, f.column) for f in rep.findings] == [
        ("warning", "constant-indicator",
         "v: the same value (5) for every unit and year: it cannot discriminate; not scored", "v")
    ]  # fmt: skip
    alone = pd.DataFrame({"indicator": ["v"], "status": ["used"], "reason": [""]})
    _mark_constant(ind[ind["unit_code"] == "c1"], alone, CheckReport(), CheckupOptions())
    assert alone["status"].tolist() == ["used"]


def test_mark_constant_counts_only_unit_years_with_enough_data() -> None:
    """min_unit_availability 0.5 of 3 candidates → a unit-year needs 1.5 values. The 2023 rows
    hold only v (1 of 3): dropped. The 2024 rows hold a and b (2 of 3): kept, and v is missing
    in both → v is "constant" with the reason "no value in the unit-years …"."""
    from citycheckup.checkup._run import _mark_constant
    from citycheckup.data.checks import CheckReport

    ind = _ds(v=[1.0, 2.0, np.nan, np.nan], a=[np.nan, np.nan, 1.0, 2.0],
              b=[np.nan, np.nan, 3.0, 5.0]).data  # fmt: skip
    cov = pd.DataFrame({"indicator": ["v", "a", "b"], "status": ["used"] * 3, "reason": [""] * 3})
    _mark_constant(ind, cov, CheckReport(), CheckupOptions())
    assert cov.set_index("indicator").loc["v"].tolist() == [
        "constant", "no value in the unit-years that have enough data"]  # fmt: skip
    assert cov.set_index("indicator").loc["a", "status"] == "used"


# -- city size and threshold context ---------------------------------------------------------------
def test_size_classes_from_the_data_and_from_the_nearer_census() -> None:
    """With pop_urban in the data (万人): 40 → small_1 (20–50), 600 → supercity (500–1000);
    basis pop_urban. Without it, 130400 (邯郸) from the census: 2010 urban 398.6 → large_1
    (300–500) for years up to 2014, 2020 urban 548.5 → supercity from 2015 (the nearer census);
    a code not in the census has no class; basis census."""
    from citycheckup.checkup._run import _size_classes

    data = pd.DataFrame({"unit_code": ["130400", "130400", "x9"], "year": [2014, 2015, 2015]})
    ind = data.copy()
    s, basis = _size_classes(Dataset(data=data.assign(pop_urban=[40.0, 600.0, np.nan]), source="s"),
                             ind, CheckupOptions())  # fmt: skip
    assert basis == "pop_urban" and s.tolist()[:2] == ["small_1", "supercity"] and pd.isna(s[2])
    s, basis = _size_classes(Dataset(data=data, source="s"), ind, CheckupOptions())
    assert basis == "census" and s.tolist()[:2] == ["large_1", "supercity"] and pd.isna(s[2])
    # a pop_urban column with no value at all falls back to the census too
    s, basis = _size_classes(Dataset(data=data.assign(pop_urban=np.nan), source="s"), ind,
                             CheckupOptions())  # fmt: skip
    assert basis == "census"
    # no unit in the census: unknown
    s, basis = _size_classes(Dataset(data=data.iloc[2:], source="s"), ind.iloc[2:],
                             CheckupOptions())  # fmt: skip
    assert basis is None and s.isna().all()


def test_context_carries_province_size_and_water_scarcity() -> None:
    from citycheckup.checkup._run import _context

    ind = pd.DataFrame({"unit_code": ["c1", "c2", "c3"], "year": [2024] * 3,
                        "province_code": [11, 12, 13], "size_class": ["medium", None, "small_1"]})  # fmt: skip
    data = ind[["unit_code", "year"]].assign(water_scarce=["是", "0", "unknown"])
    ctx = _context(ind, Dataset(data=data, source="s"))
    assert list(ctx.columns) == ["unit_code", "year", "province_code", "size_class", "water_scarce"]
    assert ctx["province_code"].tolist() == ["11", "12", "13"]
    assert ctx["water_scarce"].tolist() == [True, False, None]
    bare = _context(ind[["unit_code", "year"]], Dataset(data=data.drop(columns="water_scarce"),
                                                        source="s"))  # fmt: skip
    assert list(bare.columns) == ["unit_code", "year"]


def test_single_year_run_keeps_the_year_and_has_no_changes() -> None:
    """Oracle data, 2024 only (the engine drops Time for one year; the run puts it back). By hand
    (test_oracle.HAND): c1 68.75, c2 57.5, c3 87.49975 → ranks 2, 3, 1. One scored year and
    base year = that year: no change table. Absolute scoring: one goalposts row per indicator."""
    one = DATA[DATA["year"] == 2024].reset_index(drop=True)
    res = run_checkup(Dataset(data=one, source="oracle 2024 (synthetic)"), FW, CheckupOptions())
    s = res.scores.set_index("unit_code")
    assert s["year"].tolist() == [2024, 2024, 2024]
    np.testing.assert_allclose(s.loc[["c1", "c2", "c3"], "index"], [68.75, 57.5, 87.49975],
                               rtol=0, atol=1e-9)  # fmt: skip
    assert s.loc[["c1", "c2", "c3"], "rank_index"].tolist() == [2, 3, 1]
    assert set(res.normalised["year"]) == {2024}
    assert res.normalised.set_index("unit_code").loc["c1", "x"] == pytest.approx(60.0)
    assert res.changes.empty and res.years == [2024]
    assert res.goalposts["indicator"].tolist() == ["x", "y", "z", "w"]
    assert res.goalposts.set_index("indicator").loc["z", "worst"] == "0–40"
    assert res.flags.empty and list(res.flags.columns) == ["unit_code", "year", "flag", "detail"]
    assert res.pipeline == build_pipeline(CheckupOptions())
    assert res.used_indicators == ["x", "y", "z", "w"] and res.informed_dimensions == ["a", "b"]
    assert res.n_units == 3


def test_changes_use_the_base_year_even_outside_the_scored_years() -> None:
    """Scoring 2024 only with base year 2023: the change is index 2024 − index 2023, by hand
    c1 68.75 − 66.25 = 2.5, c2 57.5 − 47.5 = 10, c3 87.49975 − 75 = 12.49975."""
    res = run_checkup(Dataset(data=DATA, source="oracle (synthetic)"), FW,
                      CheckupOptions(years=[2024], base_year=2023))  # fmt: skip
    assert set(res.scores["year"]) == {2024}
    ch = res.changes.set_index("unit_code")
    assert set(ch["base_year"]) == {2023} and set(ch["year"]) == {2024}
    np.testing.assert_allclose(ch.loc[["c1", "c2", "c3"], "index_change"], [2.5, 10.0, 12.49975],
                               atol=1e-9)  # fmt: skip


def test_indicator_table_columns_of_a_run() -> None:
    """The run's indicator table: identity columns, the indicators, then the size class -- no
    stray index column from a reset index."""
    res = run_checkup(Dataset(data=DATA, source="oracle (synthetic)"), FW, CheckupOptions())
    assert list(res.indicators.columns) == ["unit_code", "unit_name", "year", "x", "y", "z", "w",
                                            "size_class"]  # fmt: skip
    assert list(res.indicators.index) == list(range(6))
    assert list(res.panel.columns) == list(res.indicators.columns)


def test_existence_drops_and_flags_years_after_a_unit_was_abolished() -> None:
    """巢湖 (341400) was abolished in 2011 (gazetteer: last full year 2010). Rows: 巢湖 2010, 2011,
    2012; a code the gazetteer does not know (c1, kept: nothing is known against it); 北京
    (110000) 2011. Kept: 巢湖 2010, c1, 北京, renumbered 0…2 with the same columns; flagged:
    巢湖 2011 and 2012 as not_existing, the gazetteer's history as the detail."""
    from citycheckup.checkup._run import _existence
    from citycheckup.data.identity import default_gazetteer

    ind = pd.DataFrame({"unit_code": ["341400", "341400", "c1", "341400", "110000"],
                        "year": [2010, 2011, 2011, 2012, 2011],
                        "x": [1.0, 2.0, 3.0, 4.0, 5.0]})  # fmt: skip
    kept, gone = _existence(ind)
    assert list(kept.columns) == ["unit_code", "year", "x"]
    assert kept.values.tolist() == [["341400", 2010, 1.0], ["c1", 2011, 3.0],
                                    ["110000", 2011, 5.0]]  # fmt: skip
    assert list(kept.index) == [0, 1, 2]
    history = str(default_gazetteer().history("341400", lang="en"))
    assert "2011" in history
    assert gone.values.tolist() == [["341400", 2011, "not_existing", history],
                                    ["341400", 2012, "not_existing", history]]  # fmt: skip
    same, none = _existence(ind.iloc[[0, 2, 4]])
    assert same.equals(ind.iloc[[0, 2, 4]]) and none.empty
    assert list(none.columns) == ["unit_code", "year", "flag", "detail"]


def test_two_units_get_rank_intervals() -> None:
    """Two cities are enough for ranks (c1, c2 of the oracle, 2024: 68.75 vs 57.5 → 1, 2), so
    rank intervals are computed for both."""
    two = DATA[DATA["unit_code"].isin(["c1", "c2"])].reset_index(drop=True)
    res = run_checkup(Dataset(data=two, source="two (synthetic)"), FW,
                      CheckupOptions(uncertainty_n=10))  # fmt: skip
    ri = res.rank_intervals
    assert ri["unit_code"].tolist() == ["c1", "c2"] and ri["nominal"].tolist() == [1, 2]


def test_a_data_error_names_the_source_and_option_problems_say_where() -> None:
    bad = DATA.assign(w=[40.0, 190.0, np.nan, 50.0, 90.0, 70.0])  # a share of 190 % is impossible
    with pytest.raises(DataError) as err:
        run_checkup(Dataset(data=bad, source="bad.csv (synthetic)"), FW, CheckupOptions())
    assert "bad.csv (synthetic)" in str(err.value)
    with pytest.raises(DataError) as err2:
        CheckupOptions(uncertainty_n=5, winmax=-1).validate()
    assert [p.where for p in err2.value.problems] == ["options", "options"]
