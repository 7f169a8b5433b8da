"""Derived-indicator formulas: a small, safe expression language over raw variables.

A formula is a Python-like arithmetic expression over variable codes, e.g.
``students / pop_resident * 10000`` (per 10k persons) or ``growth(gdp)``.
Only these constructs are allowed: numbers, variable names, ``+ - * / **``,
unary minus, parentheses and the functions below. Nothing is ``eval``-ed.

Functions
---------
``growth(x)``        year-on-year growth in percent, ``(x_t / x_{t-1} - 1) * 100``
``lag(x, k=1)``      value ``k`` years earlier for the same unit
``diff(x)``          ``x_t - x_{t-1}``
``cagr(x, k)``       compound annual growth over ``k`` years, percent
``log(x)``, ``sqrt(x)``, ``abs(x)``, ``min(a, b)``, ``max(a, b)``

Division by zero gives a missing value (never ``inf``); the reason is logged.
Time functions need the years to be consecutive per unit: a gap gives a missing value.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from citycheckup.errors import FormulaError, Problem

__all__ = ["Formula", "evaluate_formula", "parse_formula"]

_ELEMENTWISE: dict[str, Callable[..., pd.Series]] = {
    "log": lambda x: np.log(x.where(x > 0)),
    "sqrt": lambda x: np.sqrt(x.where(x >= 0)),
    "abs": lambda x: x.abs(),
    "min": lambda a, b: np.fmin(a, b),
    "max": lambda a, b: np.fmax(a, b),
}
_TIME = {"growth", "lag", "diff", "cagr"}
_FUNCS = set(_ELEMENTWISE) | _TIME
_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)


@dataclass(frozen=True)
class Formula:
    """A parsed formula: its text, syntax tree and the variable names it uses."""

    text: str
    tree: ast.Expression
    names: frozenset[str]
    uses_time: bool


@lru_cache(maxsize=1024)
def parse_formula(text: str) -> Formula:
    """Parse and check ``text``; raise :class:`FormulaError` naming the offending part."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise FormulaError(
            f"formula {text!r} is not a valid expression",
            problems=[Problem(f"{exc.msg} at column {exc.offset}", "formula")],
        ) from exc
    names: set[str] = set()
    uses_time = False
    problems: list[Problem] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCS:
                fname = getattr(node.func, "id", ast.unparse(node.func))
                problems.append(
                    Problem(
                        f"function {fname!r} is not allowed; use one of {', '.join(sorted(_FUNCS))}",
                        text,
                    )
                )
                continue
            uses_time = uses_time or node.func.id in _TIME
            if node.keywords:
                problems.append(Problem("keyword arguments are not allowed; write lag(x, 2)", text))
        elif isinstance(node, ast.Name):
            if node.id not in _FUNCS:
                names.add(node.id)
        elif isinstance(node, ast.BinOp):
            if not isinstance(node.op, _BINOPS):
                problems.append(Problem(f"operator {type(node.op).__name__} is not allowed", text))
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub | ast.UAdd):
                problems.append(Problem(f"operator {type(node.op).__name__} is not allowed", text))
        elif isinstance(node, ast.Constant):
            if not isinstance(node.value, int | float) or isinstance(node.value, bool):
                problems.append(Problem(f"constant {node.value!r} is not a number", text))
        elif not isinstance(node, ast.Expression | ast.Load | ast.operator | ast.unaryop):
            problems.append(Problem(f"{type(node).__name__} is not allowed in a formula", text))
    if problems:
        raise FormulaError(f"formula {text!r} is invalid", problems=problems)
    return Formula(text=text, tree=tree, names=frozenset(names), uses_time=uses_time)


def evaluate_formula(
    formula: str | Formula,
    data: pd.DataFrame,
    *,
    unit: str = "unit_code",
    year: str = "year",
) -> pd.Series:
    """Evaluate a formula on a wide table (one row per unit and year).

    Parameters
    ----------
    formula
        Formula text or a parsed :class:`Formula`.
    data
        Columns ``unit``, ``year`` and every variable the formula uses.
    unit, year
        Names of the unit and year columns (needed by time functions).

    Returns
    -------
    pandas.Series
        Aligned to ``data.index``; missing where an input is missing, a division
        is by zero, or a time function has no previous year.

    Examples
    --------
    >>> df = pd.DataFrame({"unit_code": ["a", "a"], "year": [2020, 2021],
    ...                    "pop": [100.0, 110.0], "students": [5.0, 6.0]})
    >>> evaluate_formula("students / pop * 10000", df).round(1).tolist()
    [500.0, 545.5]
    >>> evaluate_formula("growth(pop)", df).round(6).tolist()
    [nan, 10.0]
    """
    f = parse_formula(formula) if isinstance(formula, str) else formula
    missing = sorted(n for n in f.names if n not in data.columns)
    if missing:
        raise FormulaError(
            f"formula {f.text!r} needs variable(s) not in the data",
            problems=[
                Problem(f"missing column {m!r}; add it to the data or fix the formula", "data")
                for m in missing
            ],
        )
    if f.uses_time and (unit not in data.columns or year not in data.columns):
        raise FormulaError(
            f"formula {f.text!r} uses a time function and needs columns {unit!r} and {year!r}"
        )
    ctx = _Context(data, unit, year)
    out = ctx.eval(f.tree.body)
    if not isinstance(out, pd.Series):
        out = pd.Series(float(out), index=data.index)
    out = out.astype("float64")
    return out.where(np.isfinite(out))


class _Context:
    def __init__(self, data: pd.DataFrame, unit: str, year: str):
        self.data = data
        self.unit = unit
        self.year = year

    def eval(self, node: ast.AST) -> pd.Series | float:
        if isinstance(node, ast.Constant):
            if not isinstance(node.value, int | float):  # parse_formula rejects these already
                raise FormulaError(f"constant {node.value!r} is not a number")
            # a numpy scalar, not a Python float: 0 ** -1, 10 ** 400 or (-8) ** 0.5 of constants
            # give inf / nan (made missing below) instead of raising or giving a complex number
            return np.float64(node.value)
        if isinstance(node, ast.Name):
            return pd.to_numeric(self.data[node.id], errors="coerce").astype("float64")
        if isinstance(node, ast.UnaryOp):
            v = self.eval(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp):
            a, b = self.eval(node.left), self.eval(node.right)
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                if isinstance(node.op, ast.Add):
                    return a + b
                if isinstance(node.op, ast.Sub):
                    return a - b
                if isinstance(node.op, ast.Mult):
                    return a * b
                if isinstance(node.op, ast.Div):
                    if isinstance(b, pd.Series):
                        return a / b.where(b != 0)
                    return a / b if b != 0 else a * np.nan
                return a**b
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            name = node.func.id
            args = [self.eval(a) for a in node.args]
            if name in _TIME:
                return self._time(name, node, args)
            series = [
                a if isinstance(a, pd.Series) else pd.Series(a, index=self.data.index) for a in args
            ]
            with np.errstate(divide="ignore", invalid="ignore"):
                return _ELEMENTWISE[name](*series)
        raise FormulaError(f"cannot evaluate {ast.unparse(node)!r}")

    def _shift(self, x: pd.Series, k: int) -> pd.Series:
        """Value ``k`` years earlier for the same unit (missing across a gap in years)."""
        frame = pd.DataFrame(
            {
                "u": self.data[self.unit].to_numpy(),
                "y": pd.to_numeric(self.data[self.year]).to_numpy(),
                "x": x.to_numpy(),
            },
            index=self.data.index,
        )
        prev = frame.assign(y=frame["y"] + k).drop_duplicates(["u", "y"])
        merged = frame[["u", "y"]].merge(prev, on=["u", "y"], how="left")
        return pd.Series(merged["x"].to_numpy(), index=self.data.index)

    def _time(self, name: str, node: ast.Call, args: list[pd.Series | float]) -> pd.Series:
        if not args or not isinstance(args[0], pd.Series):
            raise FormulaError(
                f"{name}() needs a variable as its first argument: {ast.unparse(node)!r}"
            )
        x = args[0]
        k = 1
        if len(args) > 1:
            n = args[1]
            if isinstance(n, pd.Series) or not np.isfinite(n) or n != int(n) or int(n) < 1:
                raise FormulaError(
                    f"{name}(): the number of years must be a positive integer: {ast.unparse(node)!r}"
                )
            k = int(n)
        prev = self._shift(x, k)
        with np.errstate(divide="ignore", invalid="ignore"):
            if name == "lag":
                return prev
            if name == "diff":
                return x - prev
            if name == "growth":
                return (x / prev.where(prev != 0) - 1.0) * 100.0
            # cagr
            if len(args) < 2:
                raise FormulaError(f"cagr(x, k) needs the number of years k: {ast.unparse(node)!r}")
            ratio = x / prev.where(prev > 0)
            return (ratio.where(ratio > 0) ** (1.0 / k) - 1.0) * 100.0
