"""Wall time of `citycheckup run` over the whole embedded panel (300 cities × 25 years).

Prints the median of several runs of
  1. the command line, end to end (`citycheckup run --data city-macro-data --out …`: start-up,
     reading, checks, derived indicators, composite, diagnosis, CSV/XLSX/HTML outputs), and
  2. the library call `run_checkup` alone (scores + diagnosis, no outputs),
with the issue's target (10 s on the 2-core machine) for comparison.

Usage: .venv/bin/python benchmarks/bench_run.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 10.0


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    exe = Path(sys.executable).with_name("citycheckup")
    cli_times = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            t0 = time.perf_counter()
            subprocess.run(
                [
                    str(exe),
                    "-q",
                    "run",
                    "--data",
                    "city-macro-data",
                    "--invalid",
                    "missing",
                    "--out",
                    os.path.join(tmp, f"run{i}"),
                ],
                check=True,
                capture_output=True,
            )
            cli_times.append(time.perf_counter() - t0)
    from citycheckup.checkup import CheckupOptions, run_checkup
    from citycheckup.data import load_city_macro
    from citycheckup.framework import load_framework

    fw = load_framework("people-city-2025")
    ds = load_city_macro()
    lib_times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        res = run_checkup(ds, fw, CheckupOptions(invalid="missing"))
        lib_times.append(time.perf_counter() - t0)
    n = len(res.scores)
    cli = statistics.median(cli_times)
    lib = statistics.median(lib_times)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(
        f"panel: {res.scores['unit_code'].nunique()} units × {len(res.years)} years = {n} unit-years"
    )
    print(
        f"citycheckup run (CLI, end to end): median {cli:.2f} s over {args.repeat} runs "
        f"(min {min(cli_times):.2f}, max {max(cli_times):.2f}); target {TARGET_S:.0f} s → {TARGET_S / cli:.1f}× under"
    )
    print(
        f"run_checkup (library, no outputs): median {lib:.2f} s (min {min(lib_times):.2f}, max {max(lib_times):.2f})"
    )


if __name__ == "__main__":
    main()
