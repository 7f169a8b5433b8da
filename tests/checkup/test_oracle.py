"""An independent oracle for the check-up (issue 18): a worked example computed by hand.

Three SYNTHETIC cities, two years, four indicators in two dimensions. The expected scores,
grades and ranks below are derived by hand (the arithmetic is in the comments) and by a
separate plain-numpy re-implementation; the check-up must reproduce them exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from citycheckup.checkup import CheckupOptions, run_checkup
from citycheckup.data import Dataset
from citycheckup.framework import Framework

FW = Framework.model_validate(
    {
        "code": "oracle",
        "name_zh": "校验",
        "name_en": "oracle",
        "dimensions": [
            {
                "code": "a",
                "name_zh": "甲",
                "name_en": "A",
                "weight": 1,
                "indicators": [
                    # higher is better, goalposts 0 → 0 points, 50 → 100 points; pass line 30 (project proposal)
                    {
                        "code": "x",
                        "name_zh": "x",
                        "name_en": "x",
                        "unit": "km",
                        "kind": "higher",
                        "level": "city",
                        "weight": 1,
                        "goalposts": {
                            "worst": 0,
                            "best": 50,
                            "provenance": {"tier": "project", "reference": "oracle goalposts"},
                        },
                        "grading": {
                            "pass_line": 30,
                            "provenance": {"tier": "project", "reference": "oracle pass line"},
                            "applies": {"role": "grade"},
                        },
                    },
                    # lower is better, goalposts 20 → 0, 5 → 100; weight 3
                    {
                        "code": "y",
                        "name_zh": "y",
                        "name_en": "y",
                        "unit": "km",
                        "kind": "lower",
                        "level": "city",
                        "weight": 3,
                        "goalposts": {
                            "worst": 20,
                            "best": 5,
                            "provenance": {"tier": "project", "reference": "oracle goalposts"},
                        },
                    },
                ],
            },
            {
                "code": "b",
                "name_zh": "乙",
                "name_en": "B",
                "weight": 1,
                "indicators": [
                    # band [10, 20], 0 points at 0 and at 40
                    {
                        "code": "z",
                        "name_zh": "z",
                        "name_en": "z",
                        "unit": "km",
                        "kind": "band",
                        "band": [10, 20],
                        "level": "city",
                        "goalposts": {
                            "worst": [0, 40],
                            "provenance": {"tier": "project", "reference": "oracle goalposts"},
                        },
                    },
                    # a share: natural goalposts 0–100 %
                    {
                        "code": "w",
                        "name_zh": "w",
                        "name_en": "w",
                        "unit": "%",
                        "kind": "higher",
                        "level": "city",
                    },
                ],
            },
        ],
    }
)

DATA = pd.DataFrame(
    {
        "unit_code": ["c1", "c2", "c3"] * 2,
        "unit_name": ["c1", "c2", "c3"] * 2,
        "year": [2023] * 3 + [2024] * 3,
        "x": [25.0, 50.0, 60.0, 30.0, 40.0, 29.999],
        "y": [10.0, 20.0, 5.0, 8.0, 25.0, 5.0],
        "z": [15.0, 5.0, 30.0, 25.0, 10.0, 20.0],
        "w": [40.0, 90.0, np.nan, 50.0, 90.0, 70.0],
    }
)

# Absolute scores, by hand:
#   x: (x − 0)/(50 − 0)·100, capped: 25 → 50; 50 → 100; 60 → 100; 30 → 60; 40 → 80; 29.999 → 59.998
#   y: (20 − y)/(20 − 5)·100:        10 → 66.667; 20 → 0; 5 → 100; 8 → 80; 25 → 0 (capped); 5 → 100
#   z: inside [10, 20] → 100; below: (z − 0)/(10 − 0); above: (40 − z)/(40 − 20)
#        15 → 100; 5 → 50; 30 → 50; 25 → 75; 10 → 100; 20 → 100
#   w: w itself (0–100 %)
#   a = (1·x + 3·y)/4;  b = (z + w)/2 (c3 2023: w missing → z alone, 1 of 2 ≥ 50 % availability)
#   index = (a + b)/2
HAND = {
    ("c1", 2023): (50.0, 200 / 3, 100.0, 40.0),
    ("c2", 2023): (100.0, 0.0, 50.0, 90.0),
    ("c3", 2023): (100.0, 100.0, 50.0, np.nan),
    ("c1", 2024): (60.0, 80.0, 75.0, 50.0),
    ("c2", 2024): (80.0, 0.0, 100.0, 90.0),
    ("c3", 2024): (59.998, 100.0, 100.0, 70.0),
}


def _expected() -> pd.DataFrame:
    rows = []
    for (u, y), (sx, sy, sz, sw) in HAND.items():
        a = (sx + 3 * sy) / 4
        b = np.nanmean([sz, sw])
        rows.append({"unit_code": u, "year": y, "a": a, "b": b, "index": (a + b) / 2})
    e = pd.DataFrame(rows)
    e["rank_index"] = e.groupby("year")["index"].rank(ascending=False, method="min").astype(int)
    return e.set_index(["unit_code", "year"])


def test_absolute_scores_equal_the_hand_computation() -> None:
    res = run_checkup(Dataset(data=DATA, source="oracle (synthetic)"), FW, CheckupOptions())
    got = res.scores.set_index(["unit_code", "year"])
    exp = _expected()
    for col in ("a", "b", "index"):
        np.testing.assert_allclose(
            got.loc[exp.index, col].to_numpy(dtype=float),
            exp[col].to_numpy(),
            rtol=0,
            atol=1e-9,
            err_msg=col,
        )
    assert got.loc[exp.index, "rank_index"].astype(int).tolist() == exp["rank_index"].tolist()
    # by hand, 2024: c1 a=(60+3·80)/4=75, b=(75+50)/2=62.5 → 68.75; c2 a=(80+0)/4=20, b=95 → 57.5;
    # c3 a=(59.998+300)/4=89.9995, b=85 → 87.49975: ranks c3 1, c1 2, c2 3
    assert got.loc[("c3", 2024), "rank_index"] == 1 and got.loc[("c2", 2024), "rank_index"] == 3


@pytest.mark.parametrize(
    ("unit", "year", "grade"),
    [
        ("c1", 2024, "good"),  # x = 30 at the pass line → meets it
        ("c3", 2024, "poor"),  # x = 29.999 just below
        ("c2", 2024, "good"),  # 40 above
        ("c1", 2023, "poor"),  # 25
    ],
)
def test_grades_at_the_pass_line(unit: str, year: int, grade: str) -> None:
    res = run_checkup(Dataset(data=DATA, source="oracle (synthetic)"), FW, CheckupOptions())
    g = res.grades.set_index(["unit_code", "year", "indicator"])["grade"]
    assert g[(unit, year, "x")] == grade


def test_relative_scores_equal_a_plain_numpy_reimplementation() -> None:
    """Relative, no treatment: min-max 0–100 over both years, band → minus the distance to the band."""
    res = run_checkup(
        Dataset(data=DATA, source="oracle (synthetic)"),
        FW,
        CheckupOptions(scoring="relative", treatment="none"),
    )
    d = DATA.copy()
    d["z"] = -np.where(d["z"] < 10, 10 - d["z"], np.where(d["z"] > 20, d["z"] - 20, 0.0))
    d["y"] = -d["y"]  # lower is better

    def mm(s: pd.Series) -> pd.Series:
        return (s - s.min()) / (s.max() - s.min()) * 100

    n = {c: mm(d[c]) for c in ("x", "y", "z", "w")}
    a = (n["x"] + 3 * n["y"]) / 4
    b = pd.concat([n["z"], n["w"]], axis=1).mean(axis=1)  # skips the missing w of c3 2023
    idx = (a + b) / 2
    got = res.scores.set_index(["unit_code", "year"]).loc[
        list(zip(d["unit_code"], d["year"], strict=True))
    ]
    np.testing.assert_allclose(
        got["index"].to_numpy(dtype=float), idx.to_numpy(), rtol=0, atol=1e-9
    )
