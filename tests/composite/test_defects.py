"""The defects of issue 16: each test fails on the engine before the fix.

Silent failures become errors or reported outcomes; sensitivity rank statistics use
the independent runs only (COINr ``get_sensitivity``: ``SA_ranks_[, 1:(2*N)]``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from citycheckup.composite import Coin, read_data, run_pipeline
from citycheckup.composite.adjust import remove_elements
from citycheckup.composite.io import read_weights, write_excel
from citycheckup.composite.sensitivity import run_sensitivity
from citycheckup.errors import ComputationError, DataError, FrameworkError

NAN = np.nan


def small(panel: bool = False) -> Coin:
    meta = pd.DataFrame(
        {
            "Level": [1, 1, 1, 1, 2, 2, 3],
            "iCode": ["a", "b", "c", "d", "P1", "P2", "Index"],
            "Direction": [1] * 7,
            "Weight": [1.0] * 7,
            "Parent": ["P1", "P1", "P2", "P2", "Index", "Index", None],
            "Type": ["Indicator"] * 4 + ["Aggregate"] * 3,
        }
    )
    n = 6
    rng = np.random.default_rng(4)
    years = [2020, 2021] if panel else [2020]
    data = pd.DataFrame(
        {
            "uCode": [f"U{i}" for _ in years for i in range(n)],
            **({"Time": np.repeat(years, n)} if panel else {}),
            **{c: rng.uniform(1, 10, n * len(years)) for c in "abcd"},
        }
    )
    return Coin(data=data, meta=meta)


def test_an_indicator_without_values_is_reported_not_silently_dropped() -> None:
    coin = small(panel=True)
    data = coin.data.copy()
    data.loc[data["Time"] == 2021, "b"] = NAN  # b has no value in 2021
    data["c"] = NAN
    data["d"] = NAN  # the whole pillar P2 is empty
    res = run_pipeline(Coin(data=data, meta=coin.meta), [{"normalise": {}}, {"aggregate": {}}])
    d = res.dropped
    got = {(r.iCode, r.Time) for r in d.itertuples()}
    assert got == {
        ("b", 2021),
        ("c", 2020),
        ("c", 2021),
        ("d", 2020),
        ("d", 2021),
        ("P2", 2020),
        ("P2", 2021),
    }
    row = d[(d["iCode"] == "c") & (d["Time"] == 2020)].iloc[0]
    assert (
        row["Reason"] == "no data for any unit; left out of P2" and "未计入P2" in row["Reason_zh"]
    )
    assert (
        d.set_index(["iCode", "Time"])
        .loc[("P2", 2020), "Reason"]
        .startswith("all its children have no value")
    )
    # the index is P1 alone, as the report says
    agg = res.datasets["Aggregated"]
    np.testing.assert_allclose(agg["Index"], agg["P1"])
    with pytest.raises(
        ComputationError,
        match=r"^7 indicator\(s\)/aggregate\(s\) have no value:\n  - c \(2020\): no data for any unit; left out of P2\n  - d \(2020\): no data for any unit; left out of P2\n  - P2 \(2020\): all its children have no value; left out of Index\n  - b \(2021\): no data for any unit; left out of P1\n  - c \(2021\): no data for any unit; left out of P2\n  - d \(2021\): no data for any unit; left out of P2\n  - P2 \(2021\): all its children have no value; left out of Index\nFix the data or set empty: report to leave them out of their parents\.$",
    ):
        run_pipeline(
            Coin(data=data, meta=coin.meta), [{"normalise": {}}, {"aggregate": {"empty": "raise"}}]
        )


def test_a_constant_indicator_normalised_to_nan_is_reported_with_its_cause() -> None:
    coin = small()
    data = coin.data.assign(a=5.0)
    res = run_pipeline(
        Coin(data=data, meta=coin.meta), [{"normalise": {"constant": "nan"}}, {"aggregate": {}}]
    )
    assert res.dropped["iCode"].tolist() == ["a"]
    assert "constant indicator with constant: nan" in res.dropped["Reason"].iloc[0]


def test_weights_summing_to_zero_are_an_error_naming_the_aggregate() -> None:
    coin = small()
    with pytest.raises(
        ComputationError,
        match=r"^the weights of the children of P2 \(c, d\) sum to 0, so P2 would be missing for every unit\. Give at least one of them a non-zero weight, or leave the aggregate out of the framework\.$",
    ):
        run_pipeline(coin, [{"normalise": {}}, {"aggregate": {"weights": {"c": 0, "d": 0}}}])
    ok = run_pipeline(coin, [{"normalise": {}}, {"aggregate": {"weights": {"c": 0}}}])
    np.testing.assert_allclose(ok.datasets["Aggregated"]["P2"], ok.datasets["Normalised"]["d"])
    # removing elements one at a time may empty a parent: that aggregate is then skipped
    single = Coin(
        data=coin.data,
        meta=coin.meta.assign(Parent=["P1", "P1", "P1", "P2", "Index", "Index", None]),
    )
    r = remove_elements(single, [{"normalise": {}}, {"aggregate": {}}], 1)
    assert r.scores["d"].notna().all()  # the index without P2 is P1


def test_text_in_a_numeric_column_is_an_error_unless_declared_missing(tmp_path: Path) -> None:
    coin = small()
    f = tmp_path / "data.csv"
    df = coin.data.copy().astype({"a": object})
    df.loc[2, "a"] = "n/a"
    df.loc[4, "a"] = "NA"
    df.to_csv(f, index=False)
    with pytest.raises(DataError) as exc:
        Coin(data=read_data(f), meta=coin.meta)
    msg = str(exc.value)
    assert "indicator a" in msg and "'n/a' (unit U2)" in msg and "'NA' (unit U4)" in msg
    assert "--na-values" in msg
    ok = Coin(data=read_data(f, na_values=["n/a", "NA"]), meta=coin.meta)
    assert ok.data["a"].isna().sum() == 2


def test_weight_sets_are_checked(tmp_path: Path) -> None:
    coin = small()
    with pytest.raises(FrameworkError) as exc:
        Coin(data=coin.data, meta=coin.meta, weight_sets={"w": {"a": 2.0, "zz": 1.0, "b": "x"}})
    assert "weight set w: zz" in str(exc.value) and "weight set w: b" in str(exc.value)
    f = tmp_path / "w.csv"
    pd.DataFrame({"iCode": ["a", "a", "b"], "Weight": [1, 2, "heavy"]}).to_csv(f, index=False)
    with pytest.raises(FrameworkError) as exc2:
        read_weights(f)
    assert "code appears twice" in str(exc2.value) and "'heavy' is not a number" in str(exc2.value)


def test_rank_statistics_use_only_the_independent_runs() -> None:
    rng = np.random.default_rng(0)
    meta = small().meta
    data = pd.DataFrame(rng.lognormal(size=(20, 4)), columns=list("abcd"))
    data.insert(0, "uCode", [f"U{k}" for k in range(20)])
    coin = Coin(data=data, meta=meta)
    spec = {
        "n": 30,
        "seed": 3,
        "factors": [
            {"name": "w", "step": "aggregate", "noise": {1: 0.5, 2: 0.5}},
            {
                "name": "agg",
                "step": "aggregate",
                "parameter": "method",
                "values": ["arithmetic", "geometric"],
            },
        ],
    }
    pipe = [{"normalise": {"lower": 1, "upper": 100}}, {"aggregate": {}}]
    res = run_sensitivity(coin, pipe, spec)
    ab = res.ranks.iloc[:60]
    np.testing.assert_allclose(res.rank_stats["mean"], ab.mean(axis=0).to_numpy())
    np.testing.assert_allclose(res.rank_stats["q95"], ab.quantile(0.95).to_numpy())
    assert not np.allclose(res.rank_stats["mean"], res.ranks.mean(axis=0).to_numpy())


def test_excel_export_holds_every_data_set_and_table(tmp_path: Path) -> None:
    coin = small(panel=True)
    res = run_pipeline(coin, [{"treat": {"global": True}}, {"normalise": {}}, {"aggregate": {}}])
    path = write_excel(res, tmp_path / "index.xlsx")
    book = pd.read_excel(path, sheet_name=None)
    assert list(book) == [
        "Raw",
        "Treated",
        "Normalised",
        "Aggregated",
        "ranks",
        "treatment",
        "treated_points",
        "stats",
        "screening",
        "dropped",
        "iMeta",
    ]
    pd.testing.assert_frame_equal(book["Aggregated"], res.datasets["Aggregated"], check_dtype=False)
    assert book["treatment"]["Scope"].eq("panel").all()


def test_denominator_table_path_is_relative_to_the_pipeline_file(tmp_path: Path) -> None:
    from citycheckup.composite import Pipeline

    coin = small()
    (tmp_path / "sub").mkdir()
    pd.DataFrame({"code": coin.data["uCode"], "pop": np.arange(1.0, 7.0)}).to_csv(
        tmp_path / "sub" / "denoms.csv", index=False
    )
    f = tmp_path / "sub" / "pipe.yaml"
    f.write_text("steps:\n  - denominate: {table: denoms.csv, id: code, by: {a: pop}}\n")
    res = run_pipeline(coin, Pipeline.from_yaml(f))
    np.testing.assert_allclose(
        res.datasets["Denominated"]["a"], coin.data["a"] / np.arange(1.0, 7.0)
    )
