"""End-to-end runs of ``citycheckup index`` and ``citycheckup sensitivity`` on the ASEM data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
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


def test_index_options_excel_plots_groups_weights(files: dict[str, Path]) -> None:
    out = files["tmp"] / "full"
    wfile = files["tmp"] / "w.csv"
    pd.DataFrame({"iCode": ["Conn", "Sust"], "Weight": [0.3, 0.7]}).to_csv(wfile, index=False)
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
            "--excel",
            "--plots",
            "--group",
            "GDPpc_group",
            "--weights",
            f"fav={wfile}",
            "--use-weights",
            "fav",
            "--drop",
            "LPI",
        ],
    )
    assert r.exit_code == 0, r.output
    book = pd.read_excel(out / "index.xlsx", sheet_name=None)
    assert {"Raw", "Aggregated", "ranks", "treatment", "dropped", "results", "iMeta"} <= set(book)
    for lang in ("zh", "en"):
        for kind in ("framework", "distributions", "correlations", "bar", "dot"):
            for fmt in ("png", "svg"):
                assert (out / "plots" / lang / f"{kind}.{fmt}").stat().st_size > 5000
    agg = pd.read_csv(out / "datasets" / "Aggregated.csv")
    assert "LPI" not in agg.columns
    # the named weight set was used: Index = 0.3 Conn + 0.7 Sust
    np.testing.assert_allclose(agg["Index"], 0.3 * agg["Conn"] + 0.7 * agg["Sust"], rtol=1e-12)
    grp = pd.read_csv(out / "results_group_ranks.csv")
    assert grp.groupby("GDPpc_group")["Index"].min().eq(1).all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["weight_sets"] == ["fav"] and manifest["excluded"] == ["LPI"]


def test_index_reports_dropped_indicators_on_exit(files: dict[str, Path]) -> None:
    data = pd.read_csv(files["data"])
    data["Forest"] = np.nan
    f = files["tmp"] / "nodata.csv"
    data.to_csv(f, index=False)
    pipe = files["tmp"] / "p.yaml"
    pipe.write_text("steps:\n  - normalise: {}\n  - aggregate: {}\n")
    out = files["tmp"] / "dropped"
    r = runner.invoke(
        app,
        [
            "index",
            "--framework",
            str(files["meta"]),
            "--data",
            str(f),
            "--pipeline",
            str(pipe),
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "1 indicator(s)/aggregate(s) had no value" in r.output
    assert pd.read_csv(out / "dropped.csv")["iCode"].tolist() == ["Forest"]


def test_index_compare_and_remove(files: dict[str, Path]) -> None:
    base = ["--framework", str(files["meta"]), "--data", str(files["data"])]
    a, b = files["tmp"] / "a", files["tmp"] / "b"
    prank = files["tmp"] / "prank.yaml"
    prank.write_text(PIPE.replace("{method: minmax, lower: 0, upper: 100}", "{method: prank}"))
    for out, pipe in ((a, files["pipe"]), (b, prank)):
        r = runner.invoke(app, ["index", *base, "--pipeline", str(pipe), "--out", str(out)])
        assert r.exit_code == 0, r.output
    cmp_file = files["tmp"] / "cmp.csv"
    r = runner.invoke(
        app,
        [
            "index",
            "compare",
            f"Nominal={a}",
            f"Prank={b}",
            "--out",
            str(cmp_file),
            "--table",
            "absdiffs",
        ],
    )
    assert r.exit_code == 0, r.output
    cmp = pd.read_csv(cmp_file).set_index("uCode")
    # adjustments vignette: Portugal moves 10 places (27 -> 17) with percentile ranks
    assert cmp.loc["PRT", "Prank"] == 10 and cmp["Nominal"].eq(0).all()
    rm = files["tmp"] / "rm"
    r = runner.invoke(
        app,
        [
            "index",
            "remove",
            *base,
            "--pipeline",
            str(files["pipe"]),
            "--level",
            "2",
            "--out",
            str(rm),
        ],
    )
    assert r.exit_code == 0, r.output
    mad = pd.read_csv(rm / "mean_abs_diff.csv").set_index("iCode")["MeanAbsDiff"]
    assert mad["Social"] == pytest.approx(3.960784, abs=5e-7)  # sensitivity vignette
    r = runner.invoke(app, ["index", "--framework", str(files["meta"])])
    assert r.exit_code == 2 and "--data" in r.output


def test_sensitivity_plots(files: dict[str, Path]) -> None:
    out = files["tmp"] / "sa_plots"
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
            "--plots",
        ],
    )
    assert r.exit_code == 0, r.output
    for lang in ("zh", "en"):
        for kind in ("sensitivity", "uncertainty"):
            assert (out / "plots" / lang / f"{kind}.png").is_file()
            assert (out / "plots" / lang / f"{kind}.svg").is_file()


def test_index_unit_and_trends(files: dict[str, Path], shared_data: Path) -> None:
    base = ["--framework", str(files["meta"]), "--data", str(files["data"])]
    res = files["tmp"] / "res"
    r = runner.invoke(app, ["index", *base, "--pipeline", str(files["pipe"]), "--out", str(res)])
    assert r.exit_code == 0, r.output
    u = files["tmp"] / "ind"
    r = runner.invoke(
        app, ["index", "unit", *base, "--result", str(res), "--unit", "IND", "--out", str(u)]
    )
    assert r.exit_code == 0, r.output
    summary = pd.read_csv(u / "summary.csv").set_index("Code")
    assert (
        summary.loc["Index", "Rank"] == 45 and summary.loc["Environ", "Rank"] == 6
    )  # results vignette
    assert summary.loc["Index", "Score"] == pytest.approx(39.79, abs=0.005)
    assert len(pd.read_csv(u / "strengths.csv")) == 5
    # trends of a panel result (the example purse, ASEM_iData_p)
    panel = files["tmp"] / "panel"
    pipe = files["tmp"] / "panel.yaml"
    pipe.write_text(
        "steps:\n  - impute: {method: latest}\n  - normalise: {global: true}\n  - aggregate: {}\n"
    )
    r = runner.invoke(
        app,
        [
            "index",
            "--framework",
            str(files["meta"]),
            "--data",
            str(shared_data / "coinr_asem" / "ASEM_iData_p.csv"),
            "--pipeline",
            str(pipe),
            "--out",
            str(panel),
        ],
    )
    assert r.exit_code == 0, r.output
    tr_file = files["tmp"] / "trends.csv"
    r = runner.invoke(
        app, ["index", "trends", "--result", str(panel), "--out", str(tr_file), "--use-latest", "3"]
    )
    assert r.exit_code == 0, r.output
    tr = pd.read_csv(tr_file).set_index("uCode")["CAGR"]
    agg = pd.read_csv(panel / "datasets" / "Aggregated.csv")
    aut = agg[agg["uCode"] == "AUT"].set_index("Time")["Index"]
    assert tr["AUT"] == pytest.approx((aut[2022] / aut[2020]) ** 0.5 - 1, rel=1e-12)


def test_sensitivity_excel(files: dict[str, Path]) -> None:
    out = files["tmp"] / "sa_x"
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
            "--excel",
        ],
    )
    assert r.exit_code == 0, r.output
    book = pd.read_excel(out / "sensitivity.xlsx", sheet_name=None)
    assert set(book) == {"rank_stats", "sensitivity_indices", "runs", "ranks", "scores"}
    pd.testing.assert_frame_equal(book["rank_stats"], pd.read_csv(out / "rank_stats.csv"))
