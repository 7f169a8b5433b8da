"""``Factor.level`` of ``composite/sa_spec.py``: how a uniform draw ``u`` in [0, 1) becomes a
choice or a value (issue 18, mutation testing). Expected values by hand from the docstring:
a range factor gives ``lo + u (hi - lo)`` (rounded only when ``integer``); a discrete
factor with k choices gives ``min(int(u k), k - 1)``.
"""

from __future__ import annotations

import pytest

from citycheckup.composite.sa_spec import Factor


def test_a_continuous_range_is_not_rounded() -> None:
    """range (0, 1), u = 0.3 -> 0 + 0.3 * 1 = 0.3 (rounded it would be 0)."""
    f = Factor(name="w", step="aggregate", parameter="p", range=(0.0, 1.0))
    assert f.level(0.3) == pytest.approx(0.3, abs=1e-15)
    assert isinstance(f.level(0.3), float)


def test_an_integer_range_is_rounded() -> None:
    """range (2, 6), u = 0.7 -> 2 + 0.7 * 4 = 4.8 -> 5; u = 0.2 -> 2.8 -> 3."""
    f = Factor(name="k", step="treat", parameter="winmax", range=(2.0, 6.0), integer=True)
    assert f.level(0.7) == 5
    assert f.level(0.2) == 3
    assert isinstance(f.level(0.7), int)


@pytest.mark.parametrize(
    ("u", "expected"),
    [(0.0, 0), (1 / 3 - 1e-9, 0), (1 / 3, 1), (2 / 3 + 1e-9, 2), (0.999999, 2)],
)
def test_three_values_split_the_unit_interval_in_thirds(u: float, expected: int) -> None:
    """k = 3: u in [0, 1/3) -> 0, [1/3, 2/3) -> 1, [2/3, 1) -> 2 (boundaries at and around)."""
    f = Factor(name="m", step="normalise", parameter="method", values=("a", "b", "c"))
    assert f.level(u) == expected


def test_noise_chooses_among_its_sets() -> None:
    """n_sets = 4: u = 0.5 -> int(2.0) = 2; u = 1.0 (outside [0, 1)) is held at k - 1 = 3."""
    f = Factor(name="n", step="aggregate", noise={2: 0.25}, n_sets=4)
    assert f.level(0.5) == 2
    assert f.level(1.0) == 3
