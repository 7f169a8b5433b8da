"""The end-to-end check-up: framework + data → indicators → scores → grades and diagnosis.

Core: computes results as DataFrames; rendering and storage live in :mod:`citycheckup.report`,
:mod:`citycheckup.store` and the CLI.
"""

from citycheckup.checkup._mohurd import LOWER_LEVELS, MohurdResult, mohurd_composite, run_mohurd
from citycheckup.checkup._options import CheckupOptions
from citycheckup.checkup._run import CheckupResult, build_pipeline, check_data, rescore, run_checkup
from citycheckup.checkup._scores import GoalpostInfo, goalposts_of, indicator_scores, score_values
from citycheckup.checkup._uncertainty import uncertainty_spec

__all__ = [
    "LOWER_LEVELS",
    "CheckupOptions",
    "CheckupResult",
    "GoalpostInfo",
    "MohurdResult",
    "build_pipeline",
    "check_data",
    "goalposts_of",
    "indicator_scores",
    "mohurd_composite",
    "rescore",
    "run_checkup",
    "run_mohurd",
    "score_values",
    "uncertainty_spec",
]
