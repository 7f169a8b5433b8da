"""Functions named by import path in pipeline tests (custom steps)."""

from __future__ import annotations

import pandas as pd


def keep_first(data: pd.DataFrame, *, n: int) -> pd.DataFrame:
    """The first ``n`` rows (a custom step that drops units)."""
    return data.head(n)
