"""Tests that kill mutants named in issue 18 for the check-up and the output folders.

- ``--weights equal`` must replace the framework's weights (the built-in frameworks weight
  everything 1, so only a framework with unequal weights can tell the two apart);
- a failed or killed run must leave an earlier output folder byte-identical (README promise:
  the old folder is replaced only once the new one is complete).
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from citycheckup._io import atomic_dir
from citycheckup.checkup import CheckupOptions, run_checkup
from citycheckup.data import load_city_macro
from citycheckup.framework import load_framework

DIMS = ["system", "innovation", "livable", "green", "resilient", "civilized", "smart"]


@pytest.fixture(scope="module")
def two_years():  # type: ignore[no-untyped-def]
    ds = load_city_macro()
    d = ds.data[ds.data["year"].isin([2023, 2024])].reset_index(drop=True)
    return dataclasses.replace(ds, data=d)


def _index(ds, fw, weights: str) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    opts = CheckupOptions(invalid="missing", weights=weights)  # type: ignore[arg-type]
    return run_checkup(ds, fw, opts).scores.set_index(["unit_code", "year"]).sort_index()


def test_weights_equal_replaces_the_framework_weights(two_years) -> None:  # type: ignore[no-untyped-def]
    fw1 = load_framework("people-city-2025")  # every weight is 1
    assert {d.weight for d in fw1.dimensions} == {1.0}
    fw5 = load_framework("people-city-2025")
    assert fw5.dimensions[1].code == "innovation"
    fw5.dimensions[1].weight = 5.0  # "innovation" counts five times
    framework_w = _index(two_years, fw5, "framework")
    equal_w = _index(two_years, fw5, "equal")
    ones = _index(two_years, fw1, "framework")
    # equal weights on fw5 == fw1, whose weights are all 1 already
    np.testing.assert_allclose(equal_w["index"], ones["index"], rtol=1e-12)
    # and the weight of 5 does change the index: it is the weighted arithmetic mean of the
    # dimensions present (COINr's default, missing dimensions left out of the weights):
    # (5 * innovation + sum of the other present ones) / (5 + number of other present ones);
    # in 2023-24 the data cover innovation, livable and smart: (5 i + l + s) / 7
    dims = framework_w[DIMS]
    full = framework_w[dims["innovation"].notna() & (dims.notna().sum(axis=1) >= 2)]
    assert len(full) > 100
    w = np.array([1.0, 5.0] + [1.0] * (len(DIMS) - 2))
    x = full[DIMS].to_numpy(dtype=float)
    expected = np.nansum(x * w, axis=1) / (~np.isnan(x) * w).sum(axis=1)
    np.testing.assert_allclose(full["index"].to_numpy(dtype=float), expected, rtol=1e-9)
    assert not np.allclose(full["index"], equal_w.loc[full.index, "index"])


# -- a failed run leaves the earlier output untouched -------------------------------------
def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _good_output(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    with atomic_dir(out) as tmp:
        (tmp / "scores.csv").write_text("unit_code,index\n110000,71.5\n", encoding="utf-8")
        (tmp / "sub").mkdir()
        (tmp / "sub" / "a.txt").write_bytes(b"\x00\x01good")
    return out


def test_exception_inside_the_run_keeps_the_old_output(tmp_path: Path) -> None:
    out = _good_output(tmp_path)
    before = _snapshot(out)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), atomic_dir(out) as tmp:
        (tmp / "scores.csv").write_text("half", encoding="utf-8")
        # the old output is still there, whole, while the new one is being written
        assert _snapshot(out) == before
        raise Boom
    assert _snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # the partial folder is gone


def test_sigkill_mid_write_keeps_the_old_output(tmp_path: Path) -> None:
    out = _good_output(tmp_path)
    before = _snapshot(out)
    script = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from citycheckup._io import atomic_dir
        with atomic_dir(Path({str(out)!r})) as tmp:
            (tmp / "scores.csv").write_text("partial", encoding="utf-8")
            print("writing", flush=True)
            time.sleep(120)
    """)
    with subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True
    ) as proc:
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "writing"
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert _snapshot(out) == before
    # what the killed run left is a hidden *.partial folder next to it, never inside out/
    left = sorted(p.name for p in tmp_path.iterdir() if p.name != "out")
    assert all(n.startswith(".out.") and n.endswith(".partial") for n in left), left
