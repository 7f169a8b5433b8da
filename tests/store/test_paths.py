"""Paths from data: a run folder with links is refused by ``runs add``; unit codes that
would write reports outside ``--out`` are refused by ``report`` (issue 13)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from citycheckup.cli import app
from citycheckup.store import StoreError, read_run_dir


def _copy(result_dirs: dict[str, Path], tmp_path: Path) -> Path:
    run = tmp_path / "run"
    shutil.copytree(result_dirs["run"], run)
    return run


def test_runs_add_refuses_symbolic_links(result_dirs: dict[str, Path], tmp_path: Path) -> None:
    run = _copy(result_dirs, tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0")
    (run / "passwd.html").symlink_to(secret)
    (run / "elsewhere").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(StoreError, match="passwd.html -> .*secret.txt") as err:
        read_run_dir(run)
    assert "elsewhere" in str(err.value) and "2 entries" in str(err.value)
    r = CliRunner().invoke(app, ["runs", "add", str(run), "--store", str(tmp_path / "s.duckdb")])
    assert r.exit_code != 0 and "symbolic link" in r.output
    assert not (tmp_path / "s.duckdb").exists() or "root:x" not in (
        tmp_path / "s.duckdb"
    ).read_bytes().decode("latin-1")


def test_runs_add_refuses_special_files(result_dirs: dict[str, Path], tmp_path: Path) -> None:
    run = _copy(result_dirs, tmp_path)
    os.mkfifo(run / "pipe.html")  # reading it would block the command for ever
    with pytest.raises(StoreError, match="pipe.html .not a regular file"):
        read_run_dir(run)


def test_a_run_folder_reached_through_a_link_is_fine(
    result_dirs: dict[str, Path], tmp_path: Path
) -> None:
    link = tmp_path / "latest"
    link.symlink_to(result_dirs["run"], target_is_directory=True)
    assert read_run_dir(link).kind == "run"


# charts may lack a CJK glyph on a bare machine; that is not what this test is about
@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")
def test_report_refuses_unit_codes_that_escape_out(
    result_dirs: dict[str, Path], tmp_path: Path
) -> None:
    run = _copy(result_dirs, tmp_path)
    import pandas as pd

    evil = "x/../../../PWNED"
    changed = 0
    for csv in run.glob("*.csv"):  # a run folder written by hand, or by an older version
        df = pd.read_csv(csv, dtype={"unit_code": str})
        if "unit_code" in df.columns:
            df["unit_code"] = df["unit_code"].replace("110000", evil)
            df.to_csv(csv, index=False)
            changed += 1
    assert changed >= 2
    out = tmp_path / "a" / "b" / "reports"
    r = CliRunner().invoke(
        app,
        ["report", "--run", str(run), "--all", "--out", str(out), "--format", "html", "-j", "1"],
    )
    assert r.exit_code != 0, r.output
    assert not list(tmp_path.rglob("*PWNED*"))  # nothing written anywhere
    assert "x/../../../PWNED" in " ".join(r.output.split())
