"""Indicator frameworks: typed models, YAML and COINr-table loading, validation."""

from citycheckup.framework.loader import (
    builtin_frameworks,
    framework_from_coinr_table,
    framework_to_coinr_meta,
    load_framework,
    load_framework_yaml,
)
from citycheckup.framework.models import (
    GRADE_LABELS,
    GRADES,
    LEVELS,
    Dimension,
    Framework,
    GradeBand,
    Grading,
    Indicator,
    International,
    Variable,
)

__all__ = [
    "GRADES",
    "GRADE_LABELS",
    "LEVELS",
    "Dimension",
    "Framework",
    "GradeBand",
    "Grading",
    "Indicator",
    "International",
    "Variable",
    "builtin_frameworks",
    "framework_from_coinr_table",
    "framework_to_coinr_meta",
    "load_framework",
    "load_framework_yaml",
]
