"""Absolute indicator scores against fixed, cited goalposts (the check-up's default).

A city's score on an indicator depends on its own value and on the framework only —
never on which other cities are in the file — so one city alone gets the same result
as among three hundred, and a value that rises every year never lowers its score.

For an indicator with goalposts ``worst`` and ``best`` (the UNDP Human Development
Index's method: *dimension index = (actual − minimum) / (maximum − minimum)* with fixed
goalposts; UNDP, Human Development Report 2020, Technical notes, p. 2):

.. math:: s = 100 \\cdot \\min\\left(1, \\max\\left(0, \\frac{x - w}{b - w}\\right)\\right)

(``b < w`` for lower-is-better indicators reverses the scale by itself). ``scale: log``
applies the same formula to :math:`\\log x` (diminishing returns, as the HDI's income
index). A ``band`` indicator scores 100 inside its band ``[l, h]`` and falls linearly
to 0 at its worst values ``w_l < l`` and ``w_h > h``. ``context`` indicators are never
scored.

Where a framework gives no goalposts, a share (unit ``%``) uses its natural bounds
0 and 100 % (worst 0 for higher-is-better, worst 100 for lower-is-better); any other
indicator without goalposts cannot be scored absolutely and is reported as such.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from citycheckup.framework.models import Framework, Indicator

__all__ = ["GoalpostInfo", "band_distance", "goalposts_of", "indicator_scores", "score_values"]

_SHARE_UNITS = {"%", "％", "percent"}


@dataclass(frozen=True)
class GoalpostInfo:
    """The goalposts an indicator is scored against, and where they come from."""

    indicator: str
    kind: str
    worst: float | tuple[float, float]
    best: float | tuple[float, float]
    scale: str
    tier: str
    reference: str
    reference_en: str

    def as_row(self) -> dict[str, object]:
        def fmt(v: float | tuple[float, float]) -> str:
            return f"{v[0]:g}–{v[1]:g}" if isinstance(v, tuple) else f"{v:g}"

        return {
            "indicator": self.indicator,
            "kind": self.kind,
            "worst": fmt(self.worst),
            "best": fmt(self.best),
            "scale": self.scale,
            "tier": self.tier,
            "reference": self.reference,
            "reference_en": self.reference_en,
        }


def goalposts_of(ind: Indicator) -> GoalpostInfo | None:
    """The goalposts of ``ind`` (explicit, or the natural bounds of a share); ``None`` if it has none.

    Context indicators have none: they are never scored.
    """
    if ind.kind == "context":
        return None
    gp = ind.goalposts
    if gp is not None:
        p = gp.provenance
        if ind.kind == "band":
            assert isinstance(gp.worst, list) and ind.band is not None
            worst: float | tuple[float, float] = (float(gp.worst[0]), float(gp.worst[1]))
            best: float | tuple[float, float] = (float(ind.band[0]), float(ind.band[1]))
        else:
            assert not isinstance(gp.worst, list) and gp.best is not None
            worst, best = float(gp.worst), float(gp.best)
        return GoalpostInfo(
            ind.code,
            ind.kind,
            worst,
            best,
            gp.scale,
            p.tier,
            p.reference,
            p.reference_en or p.reference,
        )
    if ind.kind in ("higher", "lower") and ind.unit.strip() in _SHARE_UNITS:
        worst, best = (0.0, 100.0) if ind.kind == "higher" else (100.0, 0.0)
        return GoalpostInfo(
            ind.code,
            ind.kind,
            worst,
            best,
            "linear",
            "project",
            "百分比指标的自然取值范围 0–100%",
            "natural range of a share, 0–100 %",
        )
    return None


def score_values(x: np.ndarray, info: GoalpostInfo) -> np.ndarray:
    """Scores 0–100 of the values ``x`` against ``info`` (missing stays missing).

    Examples
    --------
    >>> gi = GoalpostInfo("x", "higher", 0.0, 50.0, "linear", "project", "-", "-")
    >>> score_values(np.array([-1.0, 0.0, 25.0, 50.0, 60.0, np.nan]), gi).tolist()[:5]
    [0.0, 0.0, 50.0, 100.0, 100.0]
    """
    x = np.asarray(x, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        if info.kind == "band":
            assert isinstance(info.worst, tuple) and isinstance(info.best, tuple)
            (wl, wh), (bl, bh) = info.worst, info.best
            below = (x - wl) / (bl - wl)
            above = (wh - x) / (wh - bh)
            s = np.where(x < bl, below, np.where(x > bh, above, 1.0))
        else:
            assert not isinstance(info.worst, tuple) and not isinstance(info.best, tuple)
            w, b = info.worst, info.best
            if info.scale == "log":
                # values at or below 0 lie below any positive goalpost: the worst score
                xl = np.where(x > 0, np.log(np.where(x > 0, x, 1.0)), -np.inf)
                s = (xl - np.log(w)) / (np.log(b) - np.log(w))
            else:
                s = (x - w) / (b - w)
    s = np.clip(s, 0.0, 1.0) * 100.0
    return np.where(np.isnan(x), np.nan, s)


def band_distance(x: np.ndarray, band: list[float] | tuple[float, float]) -> np.ndarray:
    """Minus the distance of ``x`` to the interval ``band`` (0 inside): higher is better.

    Used to turn a band indicator into a higher-is-better one for relative scoring.
    """
    x = np.asarray(x, dtype="float64")
    lo, hi = float(band[0]), float(band[1])
    return -np.where(x < lo, lo - x, np.where(x > hi, x - hi, 0.0))


def indicator_scores(
    values: pd.DataFrame, fw: Framework, codes: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Absolute scores of the indicators ``codes`` (columns of ``values``).

    Returns
    -------
    tuple of pandas.DataFrame
        ``values`` with each code's column replaced by its score 0–100, and the table
        of goalposts used (indicator, kind, worst, best, scale, tier, reference).

    Raises
    ------
    KeyError
        When a code has no goalposts (callers filter with :func:`goalposts_of` first).
    """
    out = values.copy()
    rows = []
    for code in codes:
        info = goalposts_of(fw.indicator(code))
        if info is None:
            raise KeyError(f"indicator {code} has no goalposts")
        out[code] = score_values(values[code].to_numpy(dtype="float64"), info)
        rows.append(info.as_row())
    return out, pd.DataFrame(
        rows,
        columns=[
            "indicator",
            "kind",
            "worst",
            "best",
            "scale",
            "tier",
            "reference",
            "reference_en",
        ],
    )
