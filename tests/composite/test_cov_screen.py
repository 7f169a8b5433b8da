"""``composite/screen.py`` (COINr ``Screen``) on synthetic data, expected units by hand.

Definitions from COINr 1.1.14 (bluefoxr/COINr at commit b968203, ``R/screen_units.R``):
``Dat_Avail = 1 - n_missing / n``, ``Non_Zero = 1 - n_zero / (n - n_missing)``;
``LowData = Dat_Avail < dat_thresh``, ``LowNonZero = Non_Zero < nonzero_thresh``;
``byNA`` keeps ``!LowData``, ``byzeros`` keeps ``!LowNonZero``, ``byNAandzeros`` keeps
``!(LowData | LowNonZero)``; ``Force`` rows with ``Include = TRUE`` are kept and
``Include = FALSE`` removed, whatever the rule; both thresholds must lie in [0, 1].

Four indicators, so every share is an exact binary fraction (n = 4). Synthetic units
(a, b, c, d) and their shares, derived by hand:

====  ===================  =========  ===================
unit  values               Dat_Avail  Non_Zero
====  ===================  =========  ===================
U1    1, 2, 3, 4           1          1
U2    0, 0, 0, 1           1          1 - 3/4 = 0.25
U3    NaN, NaN, 1, 2       0.5        1
U4    0, NaN, NaN, NaN     0.25       1 - 1/1 = 0
U5    NaN, 0, 2, 3         0.75       1 - 1/3 = 2/3
====  ===================  =========  ===================
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import pytest

from citycheckup.composite import Coin, run_pipeline
from citycheckup.composite._state import State
from citycheckup.composite.screen import SCREEN_RULES, screen, unit_availability
from citycheckup.errors import PipelineError

NAN = float("nan")
UNITS = ["U1", "U2", "U3", "U4", "U5"]


def _coin(panel: bool = False) -> Coin:
    meta = pd.DataFrame(
        {
            "Level": [1, 1, 1, 1, 2],
            "iCode": ["a", "b", "c", "d", "Index"],
            "Direction": [1] * 5,
            "Weight": [1] * 5,
            "Parent": ["Index"] * 4 + [None],
            "Type": ["Indicator"] * 4 + ["Aggregate"],
        }
    )
    data = pd.DataFrame(
        {
            "uCode": UNITS,
            "a": [1.0, 0.0, NAN, 0.0, NAN],
            "b": [2.0, 0.0, NAN, NAN, 0.0],
            "c": [3.0, 0.0, 1.0, NAN, 2.0],
            "d": [4.0, 1.0, 2.0, NAN, 3.0],
        }
    )
    if panel:
        data = pd.concat([data.assign(Time=2020), data.assign(Time=2021)], ignore_index=True)
    return Coin(data=data, meta=meta)


def _kept(**kwargs: Any) -> list[str]:
    st = screen(State.initial(_coin()), **kwargs)
    return st.frame("Screened")["uCode"].tolist()


def test_unit_availability_shares_by_hand() -> None:
    avail, nonzero = unit_availability(_coin().data[["a", "b", "c", "d"]].to_numpy())
    assert avail.tolist() == [1.0, 1.0, 0.5, 0.25, 0.75]
    assert nonzero.tolist() == pytest.approx([1.0, 0.25, 1.0, 0.0, 2 / 3], rel=1e-15)


@pytest.mark.parametrize(
    ("threshold", "kept"),
    [
        (0.75, ["U1", "U2", "U5"]),  # at U5's 0.75: kept (LowData is strictly below)
        (0.75 - 1e-9, ["U1", "U2", "U5"]),
        (0.75 + 1e-9, ["U1", "U2"]),
        (0.0, UNITS),  # 0 and 1 are allowed
        (1.0, ["U1", "U2"]),
    ],
)
def test_by_na_boundary(threshold: float, kept: list[str]) -> None:
    assert _kept(by="na", min_availability=threshold) == kept
    assert _kept(by="byNA", min_availability=threshold) == kept  # COINr's name


@pytest.mark.parametrize(
    ("threshold", "kept"),
    [
        (0.25, ["U1", "U2", "U3", "U5"]),  # at U2's 0.25: kept
        (0.25 - 1e-9, ["U1", "U2", "U3", "U5"]),
        (0.25 + 1e-9, ["U1", "U3", "U5"]),
    ],
)
def test_by_zeros_boundary(threshold: float, kept: list[str]) -> None:
    """Only the share of zeros counts: U3 (half missing) is kept, U4 (all zero) is not."""
    assert _kept(by="zeros", min_nonzero=threshold) == kept
    assert _kept(by="byzeros", min_nonzero=threshold) == kept


def test_na_and_zeros_drops_a_unit_low_on_either() -> None:
    """Thresholds 0.5 / 0.5: U2 low on zeros (0.25), U4 low on both; U3 at 0.5 is kept."""
    assert _kept(by="na_and_zeros", min_availability=0.5, min_nonzero=0.5) == ["U1", "U3", "U5"]
    assert _kept(by="byNAandzeros", min_availability=0.5, min_nonzero=0.5) == ["U1", "U3", "U5"]
    assert set(SCREEN_RULES.values()) == {"na", "zeros", "na_and_zeros"}


def test_summary_and_removed_units() -> None:
    st = screen(State.initial(_coin()), by="na", min_availability=0.75)
    s = st.details["screening"]
    assert list(s.columns) == [
        "uCode",
        "Dat_Avail",
        "Non_Zero",
        "LowData",
        "LowNonZero",
        "Included",
    ]
    assert s["LowData"].tolist() == [False, False, True, True, False]
    # default min_nonzero 0.05: only U4 (0 non-zero) is below
    assert s["LowNonZero"].tolist() == [False, False, False, True, False]
    assert s["Included"].tolist() == [True, True, False, False, True]
    assert st.details["removed_units"] == ["U3", "U4"]
    # the values themselves are carried over unchanged
    assert st.frame("Screened")["d"].tolist() == [4.0, 1.0, 3.0]


def test_force_as_a_mapping_and_as_coinr_rows() -> None:
    """By NA at 0.75 the rule keeps U1, U2, U5. Forcing U4 in and U1 out overrides it."""
    mapping = {"include": ["U4"], "exclude": ["U1"]}
    assert _kept(by="na", min_availability=0.75, force=mapping) == ["U2", "U4", "U5"]
    rows = [{"uCode": "U4", "Include": True}, {"uCode": "U1", "Include": False}]
    assert _kept(by="na", min_availability=0.75, force=rows) == ["U2", "U4", "U5"]
    # a row without Include means include (COINr's Force lists units to force in)
    assert _kept(by="na", min_availability=0.75, force=[{"uCode": "U3"}]) == [
        "U1",
        "U2",
        "U3",
        "U5",
    ]


def test_every_invalid_argument_is_reported_at_once() -> None:
    with pytest.raises(PipelineError) as info:
        screen(
            State.initial(_coin()),
            by="bynothing",  # type: ignore[arg-type]
            min_availability=1.5,
            min_nonzero=-0.1,
            force={"include": ["U9"], "exclude": ["U8"]},
        )
    where = [p.where for p in info.value.problems]
    assert where == [
        "screen.by",
        "screen.min_availability",
        "screen.min_nonzero",
        "screen.force",
        "screen.force",
    ]
    msgs = [p.message for p in info.value.problems]
    assert "choose one of na, zeros, na_and_zeros" in msgs[0] and "'bynothing'" in msgs[0]
    assert msgs[1] == "must be between 0 and 1, got 1.5"
    assert msgs[2] == "must be between 0 and 1, got -0.1"
    assert msgs[3] == "unit 'U9' is not in the data" and msgs[4] == "unit 'U8' is not in the data"


@pytest.mark.parametrize("value", [1.0 + 1e-9, -1e-9])
def test_threshold_just_outside_0_1_is_rejected(value: float) -> None:
    with pytest.raises(
        PipelineError,
        match=rf"^invalid screen step:\n  - screen\.min_availability: must be between 0 and 1, got {re.escape(str(value))}$",
    ):
        screen(State.initial(_coin()), min_availability=value)
    with pytest.raises(
        PipelineError,
        match=rf"^invalid screen step:\n  - screen\.min_nonzero: must be between 0 and 1, got {re.escape(str(value))}$",
    ):
        screen(State.initial(_coin()), min_nonzero=value)


def test_panel_summary_has_the_year_and_screens_each_row() -> None:
    """Same synthetic values in 2020 and 2021: each (unit, year) row is screened on its own."""
    r = run_pipeline(_coin(panel=True), [{"screen": {"by": "na", "min_availability": 0.75}}])
    s = r.screening
    assert list(s.columns[:2]) == ["uCode", "Time"]
    assert s["Time"].tolist() == [2020] * 5 + [2021] * 5
    kept = r.datasets["Screened"]
    assert list(zip(kept["uCode"], kept["Time"], strict=True)) == [
        ("U1", 2020),
        ("U2", 2020),
        ("U5", 2020),
        ("U1", 2021),
        ("U2", 2021),
        ("U5", 2021),
    ]
