"""Values off by a power of ten: which unit a column is probably in.

A GDP column in 亿元 where the framework expects 万元 is 10⁴ times too small; a population
in 人 instead of 万人 is 10⁴ times too large; a share in % instead of a fraction 10² times
too large. When most of a column's values lie outside the variable's ``plausible``
range and a factor 10^k (k = ±1 … ±8) brings them inside, the column is most likely in
another unit, and the unit whose size is 10^k times the framework's is named.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from citycheckup.data.units import format_factor, parse_unit, same_unit, unit_for_ratio
from citycheckup.framework.models import Framework
from citycheckup.indicators.formula import parse_formula

__all__ = ["ScaleGuess", "describe_scale", "guess_scale", "input_suspects"]

# Factors tried, most likely first: 10⁴ and 10⁸ (万, 亿) dominate Chinese yearbooks; for
# shares, 10² (% for a fraction) and 10³ (‰).
_ORDER = (4, -4, 8, -8, 3, -3, 1, -1, 2, -2, 5, -5, 6, -6, 7, -7)
_ORDER_RATIO = (2, -2, 3, -3, 1, -1, 4, -4, 5, -5, 6, -6, 7, -7, 8, -8)
#: A factor within this share of the best one counts as equally good (then the order decides).
_TOLERANCE = 0.1


@dataclass(frozen=True)
class ScaleGuess:
    """A column probably off by ``10**k``: the true values are ``values × 10**k``.

    Attributes
    ----------
    k
        Power of ten (positive: values too small; negative: too large).
    unit
        The unit the column is probably in (``None`` when no known unit has that size).
    median
        Median of the values as given.
    outside
        Share of the values outside the plausible range as given.
    inside
        Share inside after scaling by ``10**k``.
    """

    k: int
    unit: str | None
    median: float
    outside: float
    inside: float


def _share_inside(x: np.ndarray, lo: float, hi: float) -> float:
    return float(np.mean((x >= lo) & (x <= hi)))


def guess_scale(
    values: np.ndarray | pd.Series, plausible: list[float] | tuple[float, float] | None, unit: str
) -> ScaleGuess | None:
    """The power of ten a column is probably off by, or ``None`` when it looks right.

    A guess is made only when more than half of the finite values lie outside
    ``plausible`` (bounds included in the range) and some 10^k brings more than half
    inside. Among the factors that bring (within 10 % of) the most values inside,
    one that turns ``unit`` into a common unit (亿元, 人, %) wins, then the order
    10⁴, 10⁻⁴, 10⁸, 10⁻⁸, 10³ … (for shares 10², 10⁻², 10³ …).
    """
    if plausible is None:
        return None
    lo, hi = float(plausible[0]), float(plausible[1])
    v = np.asarray(values, dtype="float64")
    v = v[np.isfinite(v)]
    if not len(v):
        return None
    inside0 = _share_inside(v, lo, hi)
    if inside0 >= 0.5:
        return None
    parsed = parse_unit(unit)
    order = _ORDER_RATIO if parsed is not None and parsed.dimension == "ratio" else _ORDER
    cands = [
        (k, s) for k in order if (s := _share_inside(v * 10.0**k, lo, hi)) > 0.5 and s > inside0
    ]
    if not cands:
        return None
    best = max(s for _, s in cands)
    eligible = [(k, s) for k, s in cands if s >= best - _TOLERANCE]
    named = [(k, s, u) for k, s in eligible if (u := _common_unit(unit, k)) is not None]
    k, s, u = (
        named[0] if named else (*eligible[0], unit_for_ratio(unit, Fraction(10) ** eligible[0][0]))
    )
    return ScaleGuess(k=k, unit=u, median=float(np.median(v)), outside=1.0 - inside0, inside=s)


def _common_unit(unit: str, k: int) -> str | None:
    u = unit_for_ratio(unit, Fraction(10) ** k)
    if u is None:
        return None
    parsed = parse_unit(u)
    return u if parsed is not None and parsed.common else None


def _fmt(x: float) -> str:
    if not math.isfinite(x):
        return str(x)
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def describe_scale(
    code: str, name_zh: str, unit: str, guess: ScaleGuess, *, stated: str | None = None
) -> str:
    """The message of a column off by a power of ten.

    >>> g = ScaleGuess(k=4, unit="亿元", median=3760.0, outside=1.0, inside=1.0)
    >>> describe_scale("gdp", "地区生产总值", "万元", g)
    'gdp looks like it is in 亿元, not 万元 (values ×10⁴ too small: median 3,760); write the header as 地区生产总值(亿元) or convert'
    """
    direction = "small" if guess.k > 0 else "large"
    detail = f"values ×{format_factor(abs(guess.k))} too {direction}: median {_fmt(guess.median)}"
    if stated is not None and not same_unit(stated, unit):
        # the header's unit was converted, and the result is still off: the header's unit is wrong
        actual = unit_for_ratio(stated, Fraction(10) ** guess.k)
        detail += f" {unit} after converting from {stated}"
        if actual is not None:
            return (
                f"{code} looks like it is in {actual}, not {stated} as its header says ({detail}); write the "
                f"header as {name_zh}({actual}) or convert"
            )
        return (
            f"{code}: its header says {stated}, but the values look {format_factor(abs(guess.k))} "
            f"times too {direction} ({detail}); check the unit"
        )
    if stated is not None:
        detail += f"; the file states {stated}"
    if guess.unit is None:
        return (
            f"{code} looks {format_factor(abs(guess.k))} times too {direction} for {unit} ({detail}); "
            f"check its unit and convert it to {unit}"
        )
    return (
        f"{code} looks like it is in {guess.unit}, not {unit} ({detail}); write the header as "
        f"{name_zh}({guess.unit}) or convert"
    )


def _exponents(node: ast.AST) -> dict[str, float] | None:
    """How a formula scales with each variable (``gdp / pop`` → gdp: 1, pop: −1); ``None`` if not a power law."""
    if isinstance(node, ast.Expression):
        return _exponents(node.body)
    if isinstance(node, ast.Constant):
        return {}
    if isinstance(node, ast.Name):
        return {node.id: 1.0}
    if isinstance(node, ast.UnaryOp):
        return _exponents(node.operand)
    if isinstance(node, ast.BinOp):
        a, b = _exponents(node.left), _exponents(node.right)
        if isinstance(node.op, ast.Pow):
            if (
                a is not None
                and isinstance(node.right, ast.Constant)
                and isinstance(node.right.value, int | float)
            ):
                return {n: e * float(node.right.value) for n, e in a.items()}
            return None
        if a is None or b is None:
            return None
        if isinstance(node.op, ast.Mult | ast.Div):
            sign = 1.0 if isinstance(node.op, ast.Mult) else -1.0
            out = dict(a)
            for n, e in b.items():
                out[n] = out.get(n, 0.0) + sign * e
            return {n: e for n, e in out.items() if e != 0}
        # a sum scales as a power law only when its terms scale alike
        return a if a == b else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name = node.func.id
        if name in ("growth", "cagr"):
            return {}  # a growth rate does not depend on the unit
        args = [_exponents(a) for a in node.args]
        if name in ("lag", "diff", "abs") and args:
            return args[0]
        if name in ("min", "max") and len(args) == 2 and args[0] == args[1]:
            return args[0]
        if name == "sqrt" and args and args[0] is not None:
            return {n: e / 2 for n, e in args[0].items()}
    return None


def input_suspects(
    formula: str, k: int, fw: Framework, variables: pd.DataFrame | None = None
) -> list[str]:
    """Inputs of ``formula`` whose unit, off by a power of ten, would explain a result off by ``10**k``.

    Each suspect reads "gdp is in 亿元, not 万元". With ``variables`` (the raw data), an
    input is left out when the needed factor would push its own values out of its
    plausible range.
    """
    exps = _exponents(parse_formula(formula).tree)
    if not exps:
        return []
    out: list[tuple[bool, str]] = []
    for name, e in exps.items():
        j = k / e
        if j != round(j) or j == 0:
            continue
        j = round(j)
        var = fw.variable(name)
        if var is None:
            continue
        if variables is not None and var.plausible is not None and name in variables.columns:
            v = variables[name].to_numpy(dtype="float64")
            v = v[np.isfinite(v)]
            if len(v) and _share_inside(v * 10.0**j, *var.plausible) <= 0.5:
                continue
        u = unit_for_ratio(var.unit, Fraction(10) ** j)
        parsed = parse_unit(u) if u is not None else None
        if u is None:
            text = f"{name} is ×{format_factor(abs(j))} too {'small' if j > 0 else 'large'} for {var.unit}"
        else:
            text = f"{name} is in {u}, not {var.unit} (header {var.name_zh}({u}))"
        out.append((not (parsed is not None and parsed.common), text))
    return [t for _, t in sorted(out, key=lambda x: x[0])]
