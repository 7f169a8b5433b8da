"""Peer groups: same province, same city-size class, or a user-given list.

City-size classes follow the State Council's 2014 notice on adjusting the criteria
for city size (国发〔2014〕51号), by urban resident population (城区常住人口):
超大城市 ≥ 10 million; 特大城市 5–10 million; I型大城市 3–5 million; II型大城市 1–3
million; 中等城市 0.5–1 million; I型小城市 0.2–0.5 million; II型小城市 < 0.2 million
(lower bounds inclusive).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["SIZE_CLASSES", "city_size_class"]

#: (code, zh, en, lower bound in 万人) — largest first.
SIZE_CLASSES: list[tuple[str, str, str, float]] = [
    ("megacity", "超大城市", "megacity", 1000.0),
    ("supercity", "特大城市", "super-large city", 500.0),
    ("large_1", "I型大城市", "large city (type I)", 300.0),
    ("large_2", "II型大城市", "large city (type II)", 100.0),
    ("medium", "中等城市", "medium city", 50.0),
    ("small_1", "I型小城市", "small city (type I)", 20.0),
    ("small_2", "II型小城市", "small city (type II)", 0.0),
]


def city_size_class(population_10k: pd.Series | float) -> pd.Series | str | None:
    """Size class code for an urban resident population given in 万人 (10,000 persons).

    Examples
    --------
    >>> city_size_class(1200.0), city_size_class(300.0), city_size_class(99.9)
    ('megacity', 'large_1', 'medium')
    """
    def one(p: float) -> str | None:
        if p is None or (isinstance(p, float) and np.isnan(p)) or p < 0:
            return None
        for code, _, _, lo in SIZE_CLASSES:
            if p >= lo:
                return code
        return None

    if isinstance(population_10k, pd.Series):
        return population_10k.map(one)
    return one(float(population_10k))
