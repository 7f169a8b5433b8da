"""Goalpost look-up and the goalposts table (issue 18, mutation run of ``checkup``).

SYNTHETIC one-indicator frameworks; the expected goalposts are those the module docstring of
``citycheckup.checkup._scores`` documents (a share without goalposts: 0–100 %).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from citycheckup.checkup._scores import GoalpostInfo, goalposts_of, indicator_scores
from citycheckup.framework import Framework


def _fw(**ind: object) -> Framework:
    base = {"code": "v", "name_zh": "v", "name_en": "v", "unit": "%", "kind": "higher",
            "level": "city"}  # fmt: skip
    return Framework.model_validate({
        "code": "g", "name_zh": "g", "name_en": "g",
        "dimensions": [{"code": "d", "name_zh": "d", "name_en": "d",
                        "indicators": [{**base, **ind}]}],
    })  # fmt: skip


@pytest.mark.parametrize("unit", ["%", "％", "percent", " % "])
def test_a_share_without_goalposts_uses_0_to_100(unit: str) -> None:
    info = goalposts_of(_fw(unit=unit).indicator("v"))
    assert info == GoalpostInfo("v", "higher", 0.0, 100.0, "linear", "project",
                                "百分比指标的自然取值范围 0–100%",
                                "natural range of a share, 0–100 %")  # fmt: skip


def test_a_lower_is_better_share_is_reversed() -> None:
    info = goalposts_of(_fw(kind="lower").indicator("v"))
    assert info is not None and (info.kind, info.worst, info.best) == ("lower", 100.0, 0.0)


@pytest.mark.parametrize(("unit", "kind"), [("km", "higher"), ("%", "context"), ("‰", "lower")])
def test_no_goalposts(unit: str, kind: str) -> None:
    assert goalposts_of(_fw(unit=unit, kind=kind).indicator("v")) is None


def test_explicit_goalposts_and_their_row() -> None:
    """Explicit goalposts win over the share rule; reference_en falls back to the Chinese
    reference when missing; as_row formats numbers with %g and a band as "lo–hi"."""
    gp = {"worst": 5, "best": 95.5, "scale": "linear",
          "provenance": {"tier": "national_standard", "reference": "GB 0000"}}  # fmt: skip
    info = goalposts_of(_fw(goalposts=gp).indicator("v"))
    assert info is not None
    assert info.as_row() == {"indicator": "v", "kind": "higher", "worst": "5", "best": "95.5",
                             "scale": "linear", "tier": "national_standard",
                             "reference": "GB 0000", "reference_en": "GB 0000"}  # fmt: skip
    band = GoalpostInfo("b", "band", (0.3, 3.0), (0.87, 1.5), "linear", "project", "r", "e")
    assert band.as_row()["worst"] == "0.3–3" and band.as_row()["best"] == "0.87–1.5"


def test_indicator_scores_and_goalpost_table() -> None:
    """v (share): 40 → 40 points, 150 → 100 (capped), NaN stays NaN; the other columns are
    untouched. An indicator without goalposts is a KeyError naming it."""
    fw = _fw()
    values = pd.DataFrame({"unit_code": ["a", "b", "c"], "v": [40.0, 150.0, np.nan]})
    scores, table = indicator_scores(values, fw, ["v"])
    assert scores["unit_code"].tolist() == ["a", "b", "c"]
    assert scores["v"].tolist()[:2] == [40.0, 100.0] and np.isnan(scores["v"].iloc[2])
    assert values["v"].tolist()[:2] == [40.0, 150.0]  # the input is not modified
    assert list(table.columns) == ["indicator", "kind", "worst", "best", "scale", "tier",
                                   "reference", "reference_en"]  # fmt: skip
    assert table.iloc[0][["indicator", "worst", "best"]].tolist() == ["v", "0", "100"]
    with pytest.raises(KeyError, match="indicator v has no goalposts"):
        indicator_scores(values, _fw(unit="km"), ["v"])
    empty = indicator_scores(values, fw, [])[1]
    assert empty.empty and list(empty.columns)[0] == "indicator"
