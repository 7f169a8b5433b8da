"""The memoisation key of a pipeline step (``composite/pipeline.py``, ``Step.key``; issue 18).

The key is the JSON text of ``[name, params]`` with sorted keys; numpy values (as a
sensitivity analysis draws them) are written as plain numbers and lists, anything else
JSON cannot write as its ``str``, so equal settings give equal keys.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from citycheckup.composite.pipeline import Step


def test_numpy_values_are_written_as_plain_json() -> None:
    step = Step(
        "aggregate",
        {"w": np.float64(1.5), "arr": np.array([1, 2]), "n": np.int64(3), "p": Path("x/y")},
    )
    assert step.key() == '["aggregate", {"arr": [1, 2], "n": 3, "p": "x/y", "w": 1.5}]'


def test_numpy_and_python_settings_give_the_same_key() -> None:
    a = Step("treat", {"winmax": np.int64(5), "skew": np.float64(2.0)})
    b = Step("treat", {"skew": 2.0, "winmax": 5})
    assert a.key() == b.key() == '["treat", {"skew": 2.0, "winmax": 5}]'
