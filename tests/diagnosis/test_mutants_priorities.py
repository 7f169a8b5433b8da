"""Improvement priorities: the exactness helpers and the option checks (issue 18, mutants).

The helpers decide which modifications may be scored in one stacked or packed run:

- ``_extremes(a)``: (min, count of min, second distinct min, max, count of max, second
  distinct max) of a NaN-free array;
- ``_exact_bounds(old, new, ext)``: the min and max of the reference set once each ``old``
  value is replaced by its ``new`` value (a unique extreme that is replaced gives way to the
  second one);
- ``_pack(mods)``: runs in which indicators and cities are pairwise distinct, filled greedily in
  the order of the indicators and of the modifications.

Arrays and tables are synthetic; the expected values are worked out next to each assertion.
The check-up used for the option checks is a synthetic two-indicator framework over four
made-up cities (the same layout as ``test_diagnosis_report._prio_result``).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
import pytest

from citycheckup.checkup import CheckupOptions, CheckupResult, run_checkup
from citycheckup.data.readers import Dataset
from citycheckup.diagnosis import improvement_priorities
from citycheckup.diagnosis.priorities import _exact_bounds, _extremes, _pack
from citycheckup.errors import DataError
from citycheckup.framework import Framework


def _same(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return len(a) == len(b) and all(
        (np.isnan(x) and np.isnan(y)) or x == y for x, y in zip(a, b, strict=True)
    )


def test_extremes() -> None:
    nan = np.nan
    assert _same(_extremes(np.array([])), (nan, 0, nan, nan, 0, nan))
    assert _same(_extremes(np.array([7.0])), (7.0, 1, nan, 7.0, 1, nan))
    # [5, 1, 3, 1, 5, 2]: min 1 twice, next 2; max 5 twice, next 3
    got = _extremes(np.array([5.0, 1.0, 3.0, 1.0, 5.0, 2.0]))
    assert _same(got, (1.0, 2, 2.0, 5.0, 2, 3.0))
    assert [type(v) for v in got] == [float, int, float, float, int, float]


def test_exact_bounds() -> None:
    # reference set [0, 10, 20, 30]: ext = (0, 1, 10, 30, 1, 20)
    ext = _extremes(np.array([0.0, 10.0, 20.0, 30.0]))
    old = np.array([0.0, 10.0, 30.0, 10.0])
    new = np.array([15.0, 15.0, 25.0, -5.0])
    lo, hi = _exact_bounds(old, new, ext)
    # 0 -> 15: the unique min goes, next min 10 -> bounds (10, 30)
    # 10 -> 15: bounds stay (0, 30)
    # 30 -> 25: the unique max goes, next max 20, the new 25 is above it -> (0, 25)
    # 10 -> -5: the new value is the new min -> (-5, 30)
    assert lo.tolist() == [10.0, 0.0, 0.0, -5.0]
    assert hi.tolist() == [30.0, 30.0, 25.0, 30.0]
    # a shared minimum [0, 0, 30]: replacing one 0 keeps the other -> min stays 0
    ext2 = _extremes(np.array([0.0, 0.0, 30.0]))
    lo2, hi2 = _exact_bounds(np.array([0.0, 30.0]), np.array([5.0, 5.0]), ext2)
    # 30 -> 5 removes the unique max: next max 0, new 5 -> max 5
    assert lo2.tolist() == [0.0, 0.0] and hi2.tolist() == [30.0, 5.0]


def test_pack_keeps_indicators_and_cities_distinct() -> None:
    # (x, a), (x, b), (y, a), (y, b), (z, a) -> run 1: x/a, then y's first free city b;
    # run 2: x/b, y/a; run 3: z/a
    mods = pd.DataFrame({"indicator": ["x", "x", "y", "y", "z"],
                         "unit_code": ["a", "b", "a", "b", "a"]}, index=[10, 11, 12, 13, 14])  # fmt: skip
    assert _pack(mods) == [[10, 13], [11, 12], [14]]
    one = pd.DataFrame({"indicator": ["x", "x"], "unit_code": ["a", "b"]})
    assert _pack(one) == [[0], [1]]  # one indicator: one modification a run
    assert _pack(one.iloc[:0]) == []


def _result(options: CheckupOptions | None = None, target: float | None = None) -> CheckupResult:
    ind = {"unit": "u", "direction": 1, "level": "city"}
    fw = Framework.model_validate({
        "code": "p", "name_zh": "p", "name_en": "p",
        "dimensions": [{"code": "d", "name_zh": "维", "name_en": "dim", "indicators": [
            {"code": "x", "name_zh": "x", "name_en": "x", "target": target, **ind},
            {"code": "y", "name_zh": "y", "name_en": "y", **ind},
        ]}],
    })  # fmt: skip
    data = pd.DataFrame({
        "unit_code": list("abce") * 2, "unit_name": list("abce") * 2,
        "year": [2023] * 4 + [2024] * 4, "province": "P",
        "x": [15.0] * 4 + [0.0, 10.0, 20.0, 30.0],
        "y": [15.0] * 4 + [30.0, 0.0, 10.0, 20.0],
    })  # fmt: skip
    ds = Dataset(data=data, source="synthetic", groups=["province"])
    return run_checkup(ds, fw, options or CheckupOptions(scoring="relative", treatment="none"))


def test_option_errors_name_the_bad_value() -> None:
    res = _result()
    with pytest.raises(DataError) as info:
        improvement_priorities(res, reference="mean")  # type: ignore[arg-type]
    assert str(info.value) == "reference must be peer_median or target, got 'mean'"
    with pytest.raises(DataError) as info:
        improvement_priorities(res, strategy="fast")  # type: ignore[arg-type]
    assert str(info.value) == "strategy must be auto or exact, got 'fast'"
    with pytest.raises(DataError) as info:
        improvement_priorities(res, year=2030)
    assert str(info.value) == "year 2030 was not scored (scored: 2023, 2024); choose one of those"


def test_units_top_and_the_target_reference() -> None:
    """2024, min-max over 2024 only (x and y both span 0..30), index = mean of x_n and y_n.

    Peer median of x is 15 and of y is 15 (values 0, 10, 20, 30). b: x 10 -> 15 is stacked
    (10 and 15 lie inside the bounds): x_n 33.3 -> 50, gain (50 - 33.3) / 2 = 8.33; b's y (0,
    the unique minimum) -> 15 moves the lower bound to 10 and is re-run: y_n of b = (15 - 10) /
    (30 - 10) * 100 = 25; b's x_n stays 33.3 -> index 29.17 (was 16.67), gain 12.5.
    """
    res = _result()
    p = improvement_priorities(res, units=["b"], top=None)
    assert set(p["unit_code"]) == {"b"}
    by = p.set_index("indicator")
    assert by.loc["x", "gain"] == pytest.approx(50 / 6)
    assert by.loc["y", "gain"] == pytest.approx(12.5)
    assert p["priority"].tolist() == [1, 2] and p["indicator"].tolist() == ["y", "x"]
    assert (p["reference_kind"] == "peer_median:province").all()
    assert (p["peer_group"] == "P").all() and (p["year"] == 2024).all()
    top1 = improvement_priorities(res, units=["b"], top=1)
    assert top1["indicator"].tolist() == ["y"]
    # target 25 for x (y has none): a (0), b (10) and c (20) are below it, e (30) is not
    t = improvement_priorities(_result(target=25.0), reference="target", top=None)
    assert sorted(t["unit_code"]) == ["a", "b", "c"] and set(t["indicator"]) == {"x"}
    assert (t["reference"] == 25.0).all() and (t["reference_kind"] == "target").all()


class _Tweaked:
    """A check-up result whose ``rescore`` changes the real cities' index in stacked runs.

    The stacking guard must notice when the extra pseudo-city rows (unit codes with ``#prio``)
    moved the real cities' scores. With min-max and no treatment that never happens, so the
    guard is exercised through this synthetic wrapper: ``shift`` is added to (or, when NaN,
    replaces) the index of every real city in each run that holds pseudo-cities.
    """

    def __init__(self, res: CheckupResult, shift: float) -> None:
        self._res, self._shift = res, shift
        for name in ("framework", "options", "coverage", "years", "panel", "indicators", "scores"):
            setattr(self, name, getattr(res, name))

    def rescore(self, panel: pd.DataFrame) -> pd.DataFrame:
        sc = self._res.rescore(panel)
        real = ~sc["unit_code"].astype(str).str.contains("#prio")
        if (~real).any():
            idx = self._res.framework.index_code
            new = np.nan if np.isnan(self._shift) else sc.loc[real, idx] + self._shift
            sc.loc[real, idx] = new
        return sc


def _debug_records(run: Any) -> tuple[Any, list[logging.LogRecord]]:
    records: list[logging.LogRecord] = []

    class _Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("citycheckup.diagnosis.priorities")
    handler, level = _Keep(logging.DEBUG), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        out = run()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    return out, records


def test_stacking_guard_reruns_everything_when_real_cities_moved() -> None:
    res = _result()
    exact = improvement_priorities(res, top=None, strategy="exact")
    # real cities moved by 1 point in the stacked run: warning, then every modification is
    # re-run without pseudo-cities, so the gains equal the exact ones and nothing is "stacked"
    tweaked = _Tweaked(res, 1.0)
    p, records = _debug_records(lambda: improvement_priorities(tweaked, top=None))  # type: ignore[arg-type]
    assert "stacked" not in set(p["method"])
    np.testing.assert_allclose(p["index_new"], exact["index_new"], rtol=0, atol=1e-9)
    warnings = [r.getMessage() for r in records if r.levelno == logging.WARNING]
    assert warnings == [
        "priorities: stacked rows moved the scores of real cities by 1; re-running every "
        "modification exactly"
    ]


def test_stacking_guard_with_nothing_comparable_keeps_the_stacked_run() -> None:
    # the stacked run gives no real city an index (NaN): nothing can be compared, the moved
    # amount is 0, no warning (and no numpy all-NaN warning: warnings are errors here)
    p, records = _debug_records(
        lambda: improvement_priorities(_Tweaked(_result(), np.nan), top=None)  # type: ignore[arg-type]
    )
    assert "stacked" in set(p["method"])
    assert not [r for r in records if r.levelno >= logging.WARNING]


def test_outlier_treatment_is_never_stacked_and_min_peers_is_passed_on() -> None:
    # with an outlier treatment the score of a column depends on all its values, so the
    # stacking shortcut is not provable: every modification is re-run (packed or one by one)
    res = _result(CheckupOptions(scoring="relative", treatment="winsorise_log"))
    p = improvement_priorities(res, top=None)
    assert not p.empty and "stacked" not in set(p["method"])
    # four cities in province P: min_peers 4 gives medians (15 for x and y), 5 gives none
    base = _result()
    assert not improvement_priorities(base, min_peers=4, top=None).empty
    assert improvement_priorities(base, min_peers=5, top=None).empty
