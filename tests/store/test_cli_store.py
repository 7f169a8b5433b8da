"""``citycheckup runs …``, ``export`` and the demo hook, end to end through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from citycheckup.cli import app
from citycheckup.cli.store import demo_hook
from citycheckup.store import Store

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    r = runner.invoke(app, list(args))
    return r.exit_code, r.output


def test_runs_commands(result_dirs: dict[str, Path], tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    code, out = invoke(
        "runs", "add", str(result_dirs["run"]), "--label", "framework weights", "--store", db
    )
    assert code == 0, out
    a = out.strip().splitlines()[-1]
    code, out = invoke(
        "runs", "add", str(result_dirs["run_equal"]), "--label", "equal weights", "--store", db
    )
    b = out.strip().splitlines()[-1]
    code, out = invoke("runs", "list", "--store", db, "--json")
    assert code == 0
    listed = json.loads(out)
    assert [r["run_id"] for r in listed] == [b, a]
    code, out = invoke("runs", "list", "--store", db)
    assert code == 0 and "equal" in out  # the table wraps at the runner's 80 columns
    code, out = invoke("runs", "show", a, "--store", db)
    assert code == 0 and json.loads(out)["framework_code"] == "people_city_2025"
    code, out = invoke("runs", "diff", a, b, "--store", db, "--top", "5")
    assert code == 0 and "30 units in both runs" in out
    code, out = invoke("runs", "label", a, "2022 baseline", "--store", db)
    assert code == 0
    code, out = invoke("runs", "delete", b, "--store", db, "--yes")
    assert code == 0
    with Store(db, read_only=True) as st:
        assert [r["label"] for r in st.list_runs()] == ["2022 baseline"]


def test_runs_errors(tmp_path: Path, result_dirs: dict[str, Path]) -> None:
    db = str(tmp_path / "s.duckdb")
    code, out = invoke("runs", "list", "--store", db)
    assert code == 2 and "does not exist" in out
    invoke("runs", "add", str(result_dirs["index"]), "--store", db)
    code, out = invoke("runs", "show", "nope", "--store", db)
    assert code == 2 and "no run 'nope'" in out
    code, out = invoke("runs", "add", str(tmp_path), "--store", db)
    assert code == 2 and "not a citycheckup result" in " ".join(out.split())


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_command(result_dirs: dict[str, Path], tmp_path: Path, fmt: str) -> None:
    db = str(tmp_path / "s.duckdb")
    _, out = invoke("runs", "add", str(result_dirs["run"]), "--store", db)
    rid = out.strip().splitlines()[-1]
    target = tmp_path / ("out.xlsx" if fmt == "xlsx" else "out")
    code, out = invoke(
        "export", rid, "--format", fmt, "--out", str(target), "--table", "scores", "--store", db
    )
    assert code == 0, out
    if fmt == "csv":
        assert len(pd.read_csv(target / "scores.csv")) == 90
    else:
        assert len(pd.read_excel(target, sheet_name="scores")) == 90


def test_store_option_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, result_dirs: dict[str, Path]
) -> None:
    monkeypatch.setenv("CITYCHECKUP_STORE", str(tmp_path / "env.duckdb"))
    code, _ = invoke("runs", "add", str(result_dirs["sensitivity"]))
    assert code == 0
    assert (tmp_path / "env.duckdb").is_file()


def test_demo_hook_fills_the_store(
    run_copy: Path, result_dirs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    shutil.copytree(result_dirs["spatial"], run_copy / "spatial")
    (run_copy / "notes").mkdir()  # not a result: skipped
    demo_hook(run_copy)
    out = capsys.readouterr().out
    db = run_copy / "store.duckdb"
    assert f"citycheckup serve --store {db}" in out.replace("\n", "")
    with Store(db, read_only=True) as st:
        kinds = sorted(r["kind"] for r in st.list_runs())
        assert kinds == ["run", "spatial"]
        files = st.run(next(r["run_id"] for r in st.list_runs(kind="run")))["files"]
        assert not any(f["name"].endswith(".duckdb") for f in files)
    demo_hook(run_copy)  # a second demo replaces the store: still one copy of each run
    with Store(db, read_only=True) as st:
        assert st.count_runs() == 2


def test_nested_results_are_stored_separately(
    run_copy: Path, result_dirs: dict[str, Path], tmp_path: Path
) -> None:
    import shutil

    from citycheckup.store import read_run_dir

    shutil.copytree(result_dirs["spatial"], run_copy / "spatial")
    content = read_run_dir(run_copy)
    assert content.kind == "run"
    assert not any(name.startswith("spatial/") for name in [*content.tables, *content.files])
