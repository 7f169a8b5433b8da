"""End-to-end runs of ``citycheckup index`` and ``citycheckup sensitivity`` on the ASEM data."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from citycheckup.cli import app

runner = CliRunner()

PIPE = """steps:
  - denominate: {}
  - impute: {method: mean_group, group: EurAsia_group}
  - screen: {by: na, min_availability: 0.9}
  - treat: {method: winsorise_log, winmax: 5, skew: 2, kurtosis: 3.5, log: log_ct}
  - normalise: {method: minmax, lower: 0, upper: 100}
  - aggregate: {method: arithmetic}
"""

SPEC = """target: Index
n: 20
seed: 1
factors:
  - {name: winmax, step: treat, parameter: winmax, values: [1, 2, 3, 4, 5]}
  - {name: normalisation, step: normalise, alternatives: [{method: minmax, lower: 1, upper: 100}, {method: zscore, mean: 10, sd: 2}]}
  - {name: weights, step: aggregate, noise: {2: 0.25, 3: 0.25}}
  - {name: aggregation, step: aggregate, parameter: method, values: [arithmetic, geometric]}
"""


@pytest.fixture
def files(shared_data: Path, tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "pipe.yaml").write_text(PIPE)
    (tmp_path / "sa.yaml").write_text(SPEC)
    d = shared_data / "coinr_asem"
    return {
        "meta": d / "ASEM_iMeta.csv",
        "data": d / "ASEM_iData.csv",
        "pipe": tmp_path / "pipe.yaml",
        "spec": tmp_path / "sa.yaml",
        "tmp": tmp_path,
    }


def test_index_command(files: dict[str, Path]) -> None:
    out = files["tmp"] / "out"
    r = runner.invoke(
        app,
        [
            "index",
            "--framework",
            str(files["meta"]),
            "--data",
            str(files["data"]),
            "--pipeline",
            str(files["pipe"]),
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    names = {p.stem for p in (out / "datasets").glob("*.csv")}
    assert names == {
        "Raw",
        "Denominated",
        "Imputed",
        "Screened",
        "Treated",
        "Normalised",
        "Aggregated",
    }
    agg = pd.read_csv(out / "datasets" / "Aggregated.csv")
    assert agg.columns[0] == "uCode" and "Index" in agg.columns and len(agg.columns) == 1 + 49 + 11
    ranks = pd.read_csv(out / "ranks.csv")
    assert sorted(ranks["Index"]) == list(range(1, 52))
    for f in ("treatment.csv", "stats.csv", "manifest.json"):
        assert (out / f).is_file()
    assert json.loads((out / "manifest.json").read_text())["datasets"][0] == "Raw"


def test_sensitivity_command(files: dict[str, Path]) -> None:
    out = files["tmp"] / "sa"
    r = runner.invoke(
        app,
        [
            "sensitivity",
            "--framework",
            str(files["meta"]),
            "--data",
            str(files["data"]),
            "--pipeline",
            str(files["pipe"]),
            "--spec",
            str(files["spec"]),
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    ind = pd.read_csv(out / "sensitivity_indices.csv")
    assert list(ind.columns) == ["factor", "Si", "Si_q5", "Si_q95", "STi", "STi_q5", "STi_q95"]
    rs = pd.read_csv(out / "rank_stats.csv")
    assert list(rs.columns) == ["uCode", "nominal", "mean", "median", "q5", "q95"] and len(rs) == 51


def test_bad_pipeline_exits_2_and_names_problems(files: dict[str, Path]) -> None:
    bad = files["tmp"] / "bad.yaml"
    bad.write_text("steps:\n  - normalise: {method: minmaxx}\n  - aggregat: {}\n")
    out = files["tmp"] / "never"
    r = runner.invoke(
        app,
        [
            "index",
            "--framework",
            str(files["meta"]),
            "--data",
            str(files["data"]),
            "--pipeline",
            str(bad),
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 2
    assert not out.exists()
