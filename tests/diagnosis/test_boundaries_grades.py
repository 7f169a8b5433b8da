"""Boundaries of the grade and class rules (issue 18): at, just below and just above each cut.

Aspect grade (MOHURD 城区 aspects, ``diagnosis.grades.aspect_grade``): mean grade points
(very_good 4, good 3, fair 2, poor 1) >= 3.5 -> 优 excellent, >= 2.5 -> 良 good, >= 1.5 -> 中
medium, else 差 poor. A cut value itself belongs to the better grade (">="). "Just below" is
cut - 0.01, "just above" cut + 0.01 (means of a few integers are never closer than that to a
cut without being on it: with n <= 100 indicators the mean moves in steps of 1/n >= 0.01).
Overrides: any poor indicator caps 优 at 良; more than half poor (n_poor * 2 > n_graded)
makes the aspect 差 - exactly half is not more than half.

City size class (国发〔2014〕51号, urban resident population in 万人, ``diagnosis.peers``):
>= 1000 超大 megacity, >= 500 特大, >= 300 I型大, >= 100 II型大, >= 50 中等, >= 20 I型小,
>= 0 II型小; a lower bound belongs to the larger class.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from citycheckup.diagnosis.grades import aspect_grade
from citycheckup.diagnosis.peers import city_size_class

ASPECT_CASES = [
    # (mean points, expected): at / just below / just above each cut
    (3.5, "excellent"), (3.49, "good"), (3.51, "excellent"),
    (2.5, "good"), (2.49, "medium"), (2.51, "good"),
    (1.5, "medium"), (1.49, "poor"), (1.51, "medium"),
    (4.0, "excellent"), (1.0, "poor"),
]  # fmt: skip


@pytest.mark.parametrize(("points", "expected"), ASPECT_CASES)
def test_aspect_grade_cuts(points: float, expected: str) -> None:
    assert aspect_grade(points) == expected


def test_aspect_grade_missing() -> None:
    assert aspect_grade(np.nan) is None


@pytest.mark.parametrize(
    ("n_poor", "n_graded", "expected"),
    [
        (0, 4, "excellent"),  # mean 3.75, no poor indicator: 优 stays
        (1, 4, "good"),  # one poor: 优 capped at 良 (1 * 2 = 2 is not > 4)
        (2, 4, "good"),  # exactly half poor: 2 * 2 = 4 is not > 4 -> only the cap -> 良
        (3, 4, "poor"),  # more than half: 3 * 2 = 6 > 4 -> 差
    ],
    ids=["none-poor", "one-poor", "half-poor", "majority-poor"],
)
def test_aspect_grade_poor_overrides(n_poor: int, n_graded: int, expected: str) -> None:
    assert aspect_grade(3.75, n_poor=n_poor, n_graded=n_graded) == expected


def test_majority_rule_at_half_for_a_medium_aspect() -> None:
    # mean 2.0 (中): 3 poor of 6 -> 6 > 6 is false -> stays 中; 4 of 7 -> 8 > 7 -> 差;
    # 3 of 7 -> 6 > 7 false -> 中
    assert aspect_grade(2.0, n_poor=3, n_graded=6) == "medium"
    assert aspect_grade(2.0, n_poor=4, n_graded=7) == "poor"
    assert aspect_grade(2.0, n_poor=3, n_graded=7) == "medium"


SIZE_CASES = [
    (1000.0, "megacity"), (999.99, "supercity"), (1000.01, "megacity"),
    (500.0, "supercity"), (499.99, "large_1"), (500.01, "supercity"),
    (300.0, "large_1"), (299.99, "large_2"), (300.01, "large_1"),
    (100.0, "large_2"), (99.99, "medium"), (100.01, "large_2"),
    (50.0, "medium"), (49.99, "small_1"), (50.01, "medium"),
    (20.0, "small_1"), (19.99, "small_2"), (20.01, "small_1"),
    (0.0, "small_2"), (-0.01, None), (0.01, "small_2"),
]  # fmt: skip


@pytest.mark.parametrize(("pop", "expected"), SIZE_CASES)
def test_size_class_cuts(pop: float, expected: str | None) -> None:
    assert city_size_class(pop) == expected


def test_size_class_series_matches_scalars() -> None:
    pops = [p for p, _ in SIZE_CASES] + [np.nan]
    out = city_size_class(pd.Series(pops))
    # missing classes come back as None or NaN (pandas' map); both mean "no class"
    got = [None if pd.isna(x) else x for x in out.tolist()]
    assert got == [e for _, e in SIZE_CASES] + [None]
