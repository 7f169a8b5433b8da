"""Derived indicators computed from raw variables by the framework's formulas."""

from citycheckup.indicators.derive import derive_indicators
from citycheckup.indicators.formula import Formula, evaluate_formula, parse_formula

__all__ = ["Formula", "derive_indicators", "evaluate_formula", "parse_formula"]
