"""Grading intervals: cutoffs read with the direction, boundary values in the better grade; bands."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from citycheckup.framework import GRADE_LABELS, GRADES, GradeBand, Grading


def grade_of(g: Grading, direction: int, x: float) -> str | None:
    hits = [b.grade for b in g.resolved_bands(direction) if b.contains(x)]
    assert len(hits) <= 1, f"{x} lies in several bands: {hits}"
    return hits[0] if hits else None


def test_grade_order_and_labels() -> None:
    assert GRADES == ("very_good", "good", "fair", "poor")
    assert [GRADE_LABELS[g]["zh"] for g in GRADES] == ["很好", "较好", "一般", "不足"]


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (1e9, "very_good"),
        (90.0, "very_good"),
        (89.999, "good"),
        (80.0, "good"),
        (79.999, "fair"),
        (70.0, "fair"),
        (69.999, "poor"),
        (-1e9, "poor"),
    ],
)
def test_cutoffs_higher_is_better(x: float, expected: str) -> None:
    g = Grading(cutoffs=[90, 80, 70], source="test")
    assert grade_of(g, 1, x) == expected


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (-1e9, "very_good"),
        (5.0, "very_good"),
        (5.001, "good"),
        (10.0, "good"),
        (10.001, "fair"),
        (20.0, "fair"),
        (20.001, "poor"),
        (1e9, "poor"),
    ],
)
def test_cutoffs_lower_is_better(x: float, expected: str) -> None:
    g = Grading(cutoffs=[5, 10, 20], source="test")
    assert grade_of(g, -1, x) == expected


def test_resolved_bands_shape() -> None:
    up = Grading(cutoffs=[14.8, 8, 5.5], source="test").resolved_bands(1)
    assert [b.grade for b in up] == list(GRADES)
    assert (up[0].lower, up[0].upper) == (14.8, None)
    assert (up[1].lower, up[1].upper) == (8, 14.8)
    assert (up[3].lower, up[3].upper) == (None, 5.5)
    down = Grading(cutoffs=[5, 10, 20], source="test").resolved_bands(-1)
    assert [b.grade for b in down] == list(GRADES)
    assert down[0].lower is None and down[-1].upper is None
    # consecutive bands touch: no gap, no overlap
    for a, b in zip(down, down[1:], strict=False):
        assert a.upper == b.lower


@settings(max_examples=200, deadline=None, database=None)
@given(
    st.lists(
        st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
        min_size=3,
        max_size=3,
        unique=True,
    ),
    st.sampled_from([1, -1]),
    st.floats(-2e6, 2e6, allow_nan=False, allow_infinity=False),
)
def test_cutoffs_partition_the_line(values: list[float], direction: int, x: float) -> None:
    cut = sorted(values, reverse=direction == 1)
    if len(set(cut)) < 3:
        return
    g = Grading(cutoffs=cut, source="test")
    got = grade_of(g, direction, x)
    assert got is not None
    # the grade agrees with a direct reading of the cutoffs (boundaries in the better grade)
    better = (lambda v, c: v >= c) if direction == 1 else (lambda v, c: v <= c)
    want = next((gr for gr, c in zip(GRADES, cut, strict=False) if better(x, c)), "poor")
    assert got == want


def test_bands_are_used_as_given() -> None:
    bands = [
        GradeBand(grade="poor", upper=0.6),
        GradeBand(grade="good", lower=0.6, upper=0.7),
        GradeBand(grade="very_good", lower=0.7, upper=1.0),
        GradeBand(grade="good", lower=1.0, upper=1.5),
        GradeBand(grade="poor", lower=1.5),
    ]
    g = Grading(bands=bands, source="test")
    assert g.resolved_bands(1) == bands
    assert g.resolved_bands(-1) == bands  # direction does not change explicit bands
    assert grade_of(g, 1, 0.7) == "very_good"  # lower bound is inclusive
    assert grade_of(g, 1, 1.0) == "good"  # upper bound is exclusive
    assert grade_of(g, 1, 0.59) == "poor"
    assert grade_of(g, 1, 1.5) == "poor"


def test_bands_may_leave_gaps() -> None:
    g = Grading(
        bands=[GradeBand(grade="good", lower=50), GradeBand(grade="poor", upper=20)], source="test"
    )
    assert grade_of(g, 1, 50) == "good"
    assert grade_of(g, 1, 30) is None
    assert grade_of(g, 1, 19.9) == "poor"


def test_band_contains() -> None:
    b = GradeBand(grade="fair", lower=1, upper=2)
    assert b.contains(1) and b.contains(1.999) and not b.contains(2) and not b.contains(0.999)
    assert GradeBand(grade="good").contains(-math.inf)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cutoffs": [90, 80]}, "3 finite numbers"),
        ({"cutoffs": [90, 80, math.nan]}, "3 finite numbers"),
        ({"cutoffs": [90, 70, 80]}, "strictly monotone"),
        ({"cutoffs": [90, 90, 80]}, "strictly monotone"),
        ({}, "exactly one of 'cutoffs'"),
        (
            {"cutoffs": [3, 2, 1], "bands": [{"grade": "good", "lower": 0}]},
            "exactly one of 'cutoffs'",
        ),
        ({"bands": []}, "must not be empty"),
        (
            {"bands": [{"grade": "good", "lower": 0, "upper": 10}, {"grade": "poor", "lower": 5}]},
            "overlap",
        ),
        ({"bands": [{"grade": "good", "lower": 10, "upper": 10}]}, "must be below upper"),
        ({"bands": [{"grade": "excellent", "lower": 0}]}, "very_good"),
    ],
)
def test_invalid_gradings(kwargs: dict, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        Grading(source="test", **kwargs)


def test_grading_needs_a_source() -> None:
    with pytest.raises(ValidationError, match="source"):
        Grading(cutoffs=[3, 2, 1])  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="at least 3 characters"):
        Grading(cutoffs=[3, 2, 1], source="")
