"""Composite-index engine following COINr and the OECD/JRC Handbook.

Build a :class:`Coin` from data and a COINr-style indicator table, run a
:class:`Pipeline` of steps (denominate, screen, impute, treat, normalise,
aggregate) with :func:`run_pipeline`, and analyse uncertainty and sensitivity with
:func:`citycheckup.composite.sensitivity.run_sensitivity`. Results for people are in
:mod:`~citycheckup.composite.results`, adjustments in :mod:`~citycheckup.composite.adjust`,
plots (matplotlib, imported on use) in :mod:`~citycheckup.composite.plots`; see
``docs/composite.md``.

Examples
--------
>>> import pandas as pd
>>> meta = pd.DataFrame({"Level": [1, 1, 2], "iCode": ["a", "b", "Index"],
...                      "Direction": [1, 1, 1], "Weight": [1, 1, 1],
...                      "Parent": ["Index", "Index", None],
...                      "Type": ["Indicator", "Indicator", "Aggregate"]})
>>> data = pd.DataFrame({"uCode": ["X", "Y", "Z"], "a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0]})
>>> res = run_pipeline(Coin(data=data, meta=meta),
...                    [{"normalise": {"method": "minmax"}}, {"aggregate": {}}])
>>> res.datasets["Aggregated"]["Index"].tolist()
[50.0, 25.0, 75.0]
>>> res.ranks["Index"].tolist()
[2, 3, 1]
"""

from __future__ import annotations

from citycheckup.composite._coin import Coin
from citycheckup.composite.adjust import change_ind, remove_elements
from citycheckup.composite.aggregate import AGGREGATORS, outrank_matrix
from citycheckup.composite.impute import IMPUTERS
from citycheckup.composite.io import read_data, read_framework, write_excel, write_result
from citycheckup.composite.normalise import NORMALISERS
from citycheckup.composite.pipeline import STEPS, Pipeline, PipelineResult, Step, run_pipeline
from citycheckup.composite.results import compare_multi, results_table, unit_summary
from citycheckup.composite.sensitivity import (
    Factor,
    SensitivityResult,
    SensitivitySpec,
    run_sensitivity,
)
from citycheckup.composite.sobol import sample_design
from citycheckup.composite.treat import TRANSFORMS, transforms_from_table

__all__ = [
    "AGGREGATORS",
    "Coin",
    "Factor",
    "IMPUTERS",
    "NORMALISERS",
    "Pipeline",
    "PipelineResult",
    "STEPS",
    "SensitivityResult",
    "SensitivitySpec",
    "Step",
    "TRANSFORMS",
    "change_ind",
    "compare_multi",
    "outrank_matrix",
    "read_data",
    "read_framework",
    "remove_elements",
    "results_table",
    "run_pipeline",
    "run_sensitivity",
    "sample_design",
    "transforms_from_table",
    "unit_summary",
    "write_excel",
    "write_result",
]
