"""The store's promise under SIGKILL (docs: "a run is written in one transaction").

A process killed while it writes a run leaves the store as it was, byte for byte in every
table; a run whose commit returned survives a kill before the store is closed. The writer is
a separate Python process killed with SIGKILL (no ``finally``, no ``atexit``), not an
exception raised in this one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from citycheckup.store import Store

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")

ROOT = Path(__file__).parents[2]


def _dump(db: Path) -> dict[str, pd.DataFrame]:
    """Every table of the store, rows sorted, as data frames."""
    with Store(db, read_only=True) as st:
        names = [r[0] for r in st.rows("SELECT table_name FROM information_schema.tables "
                                       "WHERE table_schema = 'main' ORDER BY 1")]  # fmt: skip
        return {n: st.query(f'SELECT * FROM "{n}" ORDER BY ALL') for n in names}


def _writer(db: Path, run_dir: Path, mode: str) -> subprocess.Popen[str]:
    # mode "before-commit": killed inside the transaction, after every row is inserted;
    # "after-commit": killed once save returned, without closing the store;
    # "plain": just saves (the parent kills it at a chosen moment)
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        from citycheckup.store import Store
        st = Store({str(db)!r})
        if {mode!r} == "before-commit":
            st._before_commit = lambda: os.kill(os.getpid(), signal.SIGKILL)
        print("open", flush=True)
        run_id = st.save_run_dir({str(run_dir)!r})
        print("saved", run_id, flush=True)
        if {mode!r} == "after-commit":
            os.kill(os.getpid(), signal.SIGKILL)
        st.close()
        """
    )
    return subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT)  # fmt: skip


def _base_store(result_dirs: dict[str, Path], tmp_path: Path) -> tuple[Path, str]:
    db = tmp_path / "s.duckdb"
    with Store(db) as st:
        keep = st.save_run_dir(result_dirs["index"], label="kept")
    return db, keep


def test_killed_inside_the_transaction_leaves_every_table_as_it_was(
    result_dirs: dict[str, Path], tmp_path: Path
) -> None:
    db, keep = _base_store(result_dirs, tmp_path)
    before = _dump(db)
    p = _writer(db, result_dirs["run"], "before-commit")
    out, err = p.communicate(timeout=300)
    assert p.returncode == -signal.SIGKILL, (out, err)
    assert "open" in out and "saved" not in out
    after = _dump(db)
    assert sorted(after) == sorted(before)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(after[name], frame, obj=name)
    with Store(db) as st:  # and it is writable again
        assert [r["run_id"] for r in st.list_runs()] == [keep]
        st.save_run_dir(result_dirs["run"])
        assert len(st.list_runs()) == 2


def test_a_committed_run_survives_a_kill_before_close(
    result_dirs: dict[str, Path], tmp_path: Path
) -> None:
    db, keep = _base_store(result_dirs, tmp_path)
    p = _writer(db, result_dirs["run"], "after-commit")
    out, err = p.communicate(timeout=300)
    assert p.returncode == -signal.SIGKILL, (out, err)
    saved = out.split("saved", 1)[1].split()[0]
    # the same run saved by a process that closes normally: the reference content
    ref_db = tmp_path / "ref.duckdb"
    with Store(ref_db) as st:
        ref = st.save_run_dir(result_dirs["run"])
    with Store(db, read_only=True) as st:
        assert {r["run_id"] for r in st.list_runs()} == {keep, saved}
    got, want = _dump(db), _dump(ref_db)
    compared = 0
    for name, frame in want.items():
        if name == "runs" or "run_id" not in frame:  # runs: the id and the time differ
            continue
        mine = got[name][got[name]["run_id"] == saved].drop(columns="run_id")
        theirs = frame[frame["run_id"] == ref].drop(columns="run_id")
        # dtypes may differ (a column holding NULLs of the other run reads as nullable)
        pd.testing.assert_frame_equal(mine.reset_index(drop=True), theirs.reset_index(drop=True),
                                      obj=name, check_dtype=False)  # fmt: skip
        compared += len(theirs) > 0
    assert compared >= 4  # units, scores, values, tables, files … all hold rows of the run


@pytest.mark.parametrize("delay", [0.05, 0.3, 1.0])
def test_killed_at_any_moment_the_store_holds_the_old_runs_or_the_whole_new_one(
    result_dirs: dict[str, Path], tmp_path: Path, delay: float
) -> None:
    db, keep = _base_store(result_dirs, tmp_path)
    before = _dump(db)
    p = _writer(db, result_dirs["run"], "plain")
    assert p.stdout is not None
    assert p.stdout.readline().strip() == "open"  # the store is open; the save starts now
    time.sleep(delay)
    p.send_signal(signal.SIGKILL)
    out, _ = p.communicate(timeout=300)
    after = _dump(db)
    with Store(db, read_only=True) as st:
        runs = {r["run_id"] for r in st.list_runs()}
    if runs == {keep}:  # killed before the commit: nothing of the new run
        for name, frame in before.items():
            pd.testing.assert_frame_equal(after[name], frame, obj=name)
    else:  # killed after it: the whole run, as a clean save writes it
        assert len(runs) == 2 and keep in runs
        new = (runs - {keep}).pop()
        for name in ("units", "scores", "run_files"):
            assert (after[name]["run_id"] == new).sum() > 0, name
