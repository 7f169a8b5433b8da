"""Benchmark: rendering check-up reports to PDF (WeasyPrint + matplotlib charts).

1. One city report (Hangzhou, zh) to PDF: HTML rendering (charts included) + PDF, median of
   ``--repeat`` runs, after one warm-up run (fonts loaded). Target: under 5 s.
2. The shared report context of a run (tables, trends, improvement priorities of all
   300 cities by re-scoring): median of ``--repeat`` builds.
3. The overview report (map of China, distributions, 300-row ranking) to PDF, once.
4. All city reports of the run (300 cities, zh, PDF) in ``--jobs`` processes (default: the
   CPU count), once; ``--cities N`` renders the first N only. Target: 300 in under 5 minutes.

Usage::

    .venv/bin/python benchmarks/bench_report.py [--run out/demo] [--repeat 5] [--jobs 2] [--cities 300]

Without ``--run`` the embedded demo is run first (``citycheckup demo`` without Monte Carlo).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path


def _median(f, n: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--run", type=Path, default=None, help="run directory (default: run the demo first)"
    )
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--cities", type=int, default=300)
    ap.add_argument("--skip-all", action="store_true", help="skip part 4 (all city reports)")
    args = ap.parse_args()

    from citycheckup.report.city_report import (
        build_context,
        render_city_html,
        render_reports,
        write_pdf,
    )

    tmp = Path(tempfile.mkdtemp(prefix="bench_report."))
    run = args.run
    if run is None:
        from citycheckup.checkup import CheckupOptions, run_checkup
        from citycheckup.data import load_city_macro
        from citycheckup.framework import load_framework
        from citycheckup.report.checkup_report import write_checkup_outputs

        run = tmp / "run"
        res = run_checkup(
            load_city_macro(), load_framework("people-city-2025"), CheckupOptions(invalid="missing")
        )
        write_checkup_outputs(res, run, xlsx=False)
    print(f"run: {run}  (machine: {os.cpu_count()} CPUs)")

    med, times = _median(lambda: build_context(run, priorities=False), args.repeat)
    print(
        f"context without priorities (tables, trends, peers): median {med:.2f} s  {[round(x, 2) for x in times]}"
    )
    t0 = time.perf_counter()
    ctx = build_context(run, jobs=args.jobs)
    print(
        f"context with the improvement priorities of all {ctx.scores_y.shape[0]} cities "
        f"(re-scoring, {args.jobs} processes): {time.perf_counter() - t0:.1f} s"
    )
    codes = sorted(ctx.scores_y.index.astype(str))
    city = "330100" if "330100" in codes else codes[0]
    write_pdf(render_city_html(ctx, city, lang="zh"), tmp / "warm.pdf")

    html_med, _ = _median(lambda: render_city_html(ctx, city, lang="zh"), args.repeat)
    load1 = os.getloadavg()[0]
    c0 = time.process_time()
    med, times = _median(
        lambda: write_pdf(render_city_html(ctx, city, lang="zh"), tmp / "one.pdf"), args.repeat
    )
    cpu = (time.process_time() - c0) / args.repeat
    print(
        f"one city report ({city}, zh) → PDF: median {med:.2f} s (HTML+charts {html_med:.2f} s) "
        f"{[round(x, 2) for x in times]}; CPU time {cpu:.2f} s per report; load average {load1:.1f}  "
        "target < 5 s"
    )

    t0 = time.perf_counter()
    render_reports(
        run, tmp / "ov", units=[], overview=True, langs=("zh",), formats=("pdf",), context=ctx
    )
    print(f"overview report (zh) → PDF: {time.perf_counter() - t0:.2f} s")

    if not args.skip_all:
        sel = codes[: args.cities]
        ch0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        load0 = os.getloadavg()[0]
        t0 = time.perf_counter()
        files = render_reports(
            run,
            tmp / "all",
            units=sel,
            overview=False,
            langs=("zh",),
            formats=("pdf",),
            jobs=args.jobs,
            context=ctx,
        )
        dt = time.perf_counter() - t0
        ch1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_all = (ch1.ru_utime + ch1.ru_stime) - (ch0.ru_utime + ch0.ru_stime)
        print(
            f"load average before/after part 4: {load0:.1f}/{os.getloadavg()[0]:.1f}; CPU time of the workers "
            f"{cpu_all:.0f} s → {cpu_all / max(1, len(files)):.2f} s per report; on {args.jobs} idle cores "
            f"≈ {cpu_all / args.jobs:.0f} s for these {len(files)}"
        )
        print(
            f"{len(files)} city reports (zh, PDF) in {args.jobs} processes: {dt:.1f} s "
            f"({dt / max(1, len(files)):.2f} s per report)  target: 300 in < 300 s"
        )


if __name__ == "__main__":
    main()
