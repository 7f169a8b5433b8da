"""``composite/transforms.py``: log transforms, Box-Cox, degenerate winsorising and the
parsing of written treatment steps, against values derived by hand (synthetic vectors).

Formulas as in COINr 1.1.14 (bluefoxr/COINr at commit b968203, ``R/treat.R``,
``log_CT``, ``log_CT_plus``, ``log_GII``, ``boxcox``) and the module's own docstrings.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from citycheckup.composite.transforms import TRANSFORMS, Fitted, minmax_params
from citycheckup.errors import Problem

NAN = float("nan")


def test_repr_names_the_transform() -> None:
    assert repr(TRANSFORMS["winsorise"]) == "Transform('winsorise')"


def test_log_ct_plus_positive_skew_is_the_plain_shifted_log() -> None:
    """x = 1, 2, 3, 10 (skew > 0): a = 0.01 (10 - 1) = 0.09; log(x - 1 + 0.09)."""
    y, labels, info = TRANSFORMS["log_ct_plus"](np.array([1.0, 2.0, 3.0, 10.0]))
    assert y.tolist() == pytest.approx(np.log([0.09, 1.09, 2.09, 9.09]).tolist(), rel=1e-12)
    assert info["mirror"] == 0.0 and set(labels) == {"log_ct_plus"}
    assert TRANSFORMS["log_ct_plus"].formula("x", info) == "log(x - 0.91)"


def test_log_ct_plus_negative_skew_is_mirrored() -> None:
    """x = 1, 8, 9, 10 (skew < 0): -log(max + a - x) = -log(10.09 - x)."""
    y, _, info = TRANSFORMS["log_ct_plus"](np.array([1.0, 8.0, 9.0, 10.0]))
    assert info["mirror"] == 1.0
    assert y.tolist() == pytest.approx((-np.log([9.09, 2.09, 1.09, 0.09])).tolist(), rel=1e-12)
    assert TRANSFORMS["log_ct_plus"].formula("x", info) == "-log(10.09 - x)"


def test_log_gii_with_minimum_one_is_the_natural_log() -> None:
    """min 1, max 5: log((5 - 1)(x - 1)/(5 - 1) + 1) = log(x)."""
    y, labels, _ = TRANSFORMS["log_gii"](np.array([1.0, 2.0, 5.0]))
    assert y.tolist() == pytest.approx([0.0, math.log(2), math.log(5)], abs=1e-15)
    assert set(labels) == {"log_gii"}


@pytest.mark.parametrize(
    ("kwargs", "expected", "formula"),
    [
        # shift = 1 - min = 1: ((x + 1)^0.5 - 1)/0.5 = 0, 2(sqrt 2 - 1), 2
        ({"lambda_": 0.5}, [0.0, 2 * (math.sqrt(2) - 1), 2.0], "((x + 1)^0.5 - 1) / 0.5"),
        # lambda 0: log(x + 1)
        ({"lambda_": 0.0}, [0.0, math.log(2), math.log(4)], "log(x + 1)"),
    ],
)
def test_boxcox_by_hand(kwargs: dict, expected: list[float], formula: str) -> None:
    y, _, info = TRANSFORMS["boxcox"](np.array([0.0, 1.0, 3.0]), **kwargs)
    assert y.tolist() == pytest.approx(expected, abs=1e-15)
    assert TRANSFORMS["boxcox"].formula("x", info) == formula


def test_boxcox_without_makepos_has_no_shift() -> None:
    """makepos False: log(x) of 1, e -> 0, 1; the formula has no shift."""
    y, _, info = TRANSFORMS["boxcox"](np.array([1.0, math.e]), makepos=False)
    assert info["shift"] == 0.0 and y.tolist() == pytest.approx([0.0, 1.0], abs=1e-15)
    assert TRANSFORMS["boxcox"].formula("x", info) == "log(x)"


def test_forced_winsorising_labels_only_the_points_it_moved() -> None:
    """x = 1, 2, 2, NaN with force_win. The skew of (1, 2, 2) is negative (1 is the odd
    one), so the bottom block {1} is raised to the next value, 2. Now every value is 2,
    the skew is undefined, so the top side is tried: its block is every value and there
    is nothing to cap at, so it stops. Only point 0 was moved: labelled winlo, lower cap
    2, no upper cap, nwin 1 (before the fix the unmoved points were labelled winhi and
    an upper cap was reported)."""
    y, labels, info = TRANSFORMS["winsorise"](np.array([1.0, 2.0, 2.0, NAN]), force_win=True)
    np.testing.assert_array_equal(y, np.array([2.0, 2.0, 2.0, NAN]))
    assert list(labels) == ["winlo", "", "", ""]
    assert info["nwin"] == 1 and info["lower"] == 2.0 and math.isnan(info["upper"])


def test_minmax_params_of_no_value() -> None:
    p = minmax_params(np.array([NAN, NAN]))
    assert math.isnan(p["min"]) and math.isnan(p["max"])


@pytest.mark.parametrize(
    "x",
    [
        [5.0, NAN, NAN],  # one value: nothing to winsorise
        [3.0, 3.0, NAN],  # every value in the top block: no next value to cap at
    ],
)
def test_forced_winsorising_stops_when_nothing_is_left(x: list[float]) -> None:
    """force_win on degenerate vectors: values unchanged, no point labelled, no caps."""
    y, labels, info = TRANSFORMS["winsorise"](np.array(x), force_win=True)
    np.testing.assert_array_equal(y, np.array(x))
    assert info["nwin"] == 0 and list(labels) == ["", "", ""]
    assert math.isnan(info["lower"]) and math.isnan(info["upper"])


def test_fitted_from_steps_round_trip_and_errors() -> None:
    problems: list[Problem] = []
    f = Fitted.from_steps(
        '[["winsorise", {"lower": null, "upper": 30}], ["log", {}]]', "t", problems
    )
    assert problems == []
    assert f.formula() == "log(min(x, 30))"
    assert math.isnan(f.caps[0]) and f.caps[1] == 30.0
    assert Fitted.from_steps(f.steps_json(), "t", problems).formula() == "log(min(x, 30))"
    assert Fitted.from_steps("  ", "t", problems).steps == () and problems == []

    bad: list[Problem] = []
    assert Fitted.from_steps("[oops", "row 3", bad).steps == ()
    assert Fitted.from_steps(5, "row 4", bad).steps == ()
    kept = Fitted.from_steps([["log"], ["nope", {}], ["none", {}]], "row 5", bad)
    assert kept.steps == (("none", {}),)
    assert [p.where for p in bad] == ["row 3", "row 4", "row 5", "row 5"]
    assert bad[0].message.startswith("steps are not valid JSON:")
    assert bad[1].message == "give a list of [transform, {parameters}] steps"
    assert bad[2].message == "each step is [transform name, {parameters}]"
    assert bad[3].message.startswith("step 1: unknown transform 'nope'; choose one of ")
    assert "winsorise" in bad[3].message and "boxcox" in bad[3].message
