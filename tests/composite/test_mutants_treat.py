"""Errors of the ``treat`` step's per-indicator overrides name the override at fault
(issue 18, mutation testing; ``composite/treat.py``)."""

from __future__ import annotations

import pandas as pd
import pytest

from citycheckup.composite import Coin, run_pipeline
from citycheckup.composite.treat import transforms_from_table
from citycheckup.errors import PipelineError

META = pd.DataFrame(
    {
        "Level": [1, 1, 2],
        "iCode": ["a", "b", "Index"],
        "Direction": [1, 1, 1],
        "Weight": [1, 1, 1],
        "Parent": ["Index", "Index", None],
        "Type": ["Indicator", "Indicator", "Aggregate"],
    }
)
DATA = pd.DataFrame({"uCode": ["U1", "U2", "U3"], "a": [1.0, 2, 3], "b": [4.0, 5, 9]})


def test_every_bad_override_is_named_at_once() -> None:
    """Unknown code "zz" and a text other than "none" for "b": two problems, in order."""
    coin = Coin(data=DATA, meta=META)
    with pytest.raises(PipelineError, match="invalid treat step") as info:
        run_pipeline(coin, [{"treat": {"individual": {"zz": {"winmax": 2}, "b": "off"}}}])
    assert [(p.where, p.message) for p in info.value.problems] == [
        ("treat.individual.zz", "not an indicator code"),
        ("treat.individual.b", "give a mapping of parameters or 'none'"),
    ]


def _four() -> Coin:
    """a, b -> P; c, d -> Q; c has no value for any unit."""
    meta = pd.DataFrame(
        {
            "Level": [1, 1, 1, 1, 2, 2, 3],
            "iCode": ["a", "b", "c", "d", "P", "Q", "Index"],
            "Direction": [1] * 7,
            "Weight": [1.0] * 7,
            "Parent": ["P", "P", "Q", "Q", "Index", "Index", None],
            "Type": ["Indicator"] * 4 + ["Aggregate"] * 3,
        }
    )
    data = pd.DataFrame(
        {
            "uCode": ["U1", "U2", "U3"],
            "a": [1.0, 2, 3],
            "b": [3.0, 1, 2],
            "c": [float("nan")] * 3,
            "d": [1.0, 2, 4],
        }
    )
    return Coin(data=data, meta=meta)


def test_treatment_table_layout_and_a_skipped_indicator() -> None:
    """One row per indicator: identification first, the checks of each pass, then what was
    done (Treatment ... DataMax) last; an indicator set to "none" says it was skipped."""
    res = run_pipeline(_four(), [{"treat": {"individual": {"a": "none"}}}])
    tab = res.treatment
    assert tab.columns.tolist() == [
        "iCode",
        "Scope",
        "Pass_0",
        "Skew_0",
        "Kurt_0",
        "Treatment",
        "LowerCap",
        "UpperCap",
        "Formula",
        "Steps",
        "DataMin",
        "DataMax",
    ]
    assert tab["Treatment"].tolist() == ["none (skipped)", "none", "none", "none"]


def test_method_none_still_writes_the_treated_data_set() -> None:
    """method none, no overrides: the data pass unchanged as "Treated", no details."""
    res = run_pipeline(_four(), [{"treat": {"method": "none"}}])
    assert list(res.datasets) == ["Raw", "Treated"]
    pd.testing.assert_frame_equal(res.datasets["Treated"], res.datasets["Raw"])
    assert res.treatment.empty


def test_a_code_without_data_is_listed_with_its_parent() -> None:
    """c has no value for any unit: one row of the dropped table, parent Q."""
    res = run_pipeline(_four(), [{"normalise": {}}, {"aggregate": {}}])
    assert res.dropped.to_dict("records") == [
        {
            "iCode": "c",
            "Level": 1,
            "Parent": "Q",
            "Reason": "no data for any unit; left out of Q",
            "Reason_zh": "所有单位均无数据；未计入Q",
        }
    ]


def test_a_replayed_decision_reports_its_treated_points() -> None:
    """COINr's example a = 1..10, 30, 100: winsorising caps 100 (U11) at 30; replaying the
    decision on the same data caps the same point and says so."""
    meta = META.copy()
    data = pd.DataFrame(
        {
            "uCode": [f"U{i:02d}" for i in range(12)],
            "a": [float(v) for v in [*range(1, 11), 30, 100]],
            "b": [float(v) for v in range(12)],
        }
    )
    coin = Coin(data=data, meta=meta)
    decided = run_pipeline(coin, [{"treat": {"method": "winsorise"}}])
    steps = transforms_from_table(decided.treatment)
    replayed = run_pipeline(coin, [{"treat": {"transforms": steps}}])
    assert decided.treated_points[["uCode", "iCode"]].to_dict("records") == [
        {"uCode": "U11", "iCode": "a"}
    ]
    assert replayed.treated_points[["uCode", "iCode"]].to_dict("records") == [
        {"uCode": "U11", "iCode": "a"}
    ]
    assert replayed.datasets["Treated"]["a"].max() == 30.0
