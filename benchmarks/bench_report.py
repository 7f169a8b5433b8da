"""Benchmark: check-up reports to PDF and Word (WeasyPrint, python-docx, matplotlib charts).

1. **Annual report in MOHURD's outline** of one city (宜昌's published 2025 check-up,
   ``citycheckup.data.published``, run through mohurd-2025) → Document, PDF and DOCX,
   zh and en: median of ``--repeat`` runs after one warm-up (fonts loaded). Target: PDF +
   DOCX of one city under 5 s. Baseline tool in the same run (``--baseline``): LibreOffice
   converting our DOCX to PDF (``soffice --headless --convert-to pdf``), median of 3.
2. The shared context of the embedded panel's run (300 cities: tables, trends, peer means;
   then the improvement priorities of all 300 cities by re-scoring).
3. One city report of the panel (杭州, zh) → PDF, → DOCX, and PDF + DOCX from one HTML
   (as ``citycheckup report --format pdf --format docx`` writes them), median of ``--repeat``.
   Target: PDF + DOCX of one city report under 5 s.
4. City reports of the panel in ``--jobs`` processes: all 300, or the first ``--cities N``
   with the time for 300 extrapolated linearly from the measured per-report time (said so
   in the output). Target: 300 in under 5 minutes.

Usage::

    .venv/bin/python benchmarks/bench_report.py [--run out/demo] [--repeat 5] [--jobs 2]
        [--cities 300] [--skip-all] [--skip-annual] [--baseline]

Without ``--run`` the embedded panel is run first (``people-city-2025``, no Monte Carlo).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _median(f: Callable[[], object], n: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def _r(xs: list[float]) -> list[float]:
    return [round(x, 2) for x in xs]


def annual_part(tmp: Path, repeat: int, baseline: bool) -> None:
    """Part 1: the MOHURD-outline annual report of 宜昌 to PDF and DOCX."""
    from citycheckup.checkup import CheckupOptions, run_mohurd
    from citycheckup.data.published import YICHANG_CODE, load_yichang_2025
    from citycheckup.framework import load_framework
    from citycheckup.report.annual import AnnualInputs, annual_report
    from citycheckup.report.document import to_docx, to_pdf

    fw = load_framework("mohurd-2025")
    t0 = time.perf_counter()
    res = run_mohurd(load_yichang_2025(), fw, CheckupOptions(localities=[YICHANG_CODE]))
    print(
        f"[1] mohurd-2025 check-up of 宜昌 (published 2025 figures): {time.perf_counter() - t0:.2f} s"
    )
    inp = AnnualInputs(result=res)
    for lang in ("zh", "en"):
        to_pdf(annual_report(inp, YICHANG_CODE, lang=lang), tmp / f"warm_{lang}.pdf")  # warm-up
        to_docx(annual_report(inp, YICHANG_CODE, lang=lang), tmp / f"warm_{lang}.docx")

        def doc(lang: str = lang) -> Any:
            return annual_report(inp, YICHANG_CODE, lang=lang)

        def both(lang: str = lang) -> None:
            d = doc(lang)
            to_pdf(d, tmp / "b.pdf")
            to_docx(d, tmp / "b.docx")

        doc_med, _ = _median(doc, repeat)
        pdf_med, pdf_t = _median(lambda: to_pdf(doc(), tmp / "a.pdf"), repeat)
        docx_med, docx_t = _median(lambda: to_docx(doc(), tmp / "a.docx"), repeat)
        c0 = time.process_time()
        both_med, both_t = _median(both, repeat)
        cpu = (time.process_time() - c0) / repeat
        pages = _pages(tmp / "a.pdf")
        print(
            f"[1] annual report 宜昌 ({lang}, {pages} PDF pages): Document {doc_med:.2f} s; "
            f"→ PDF median {pdf_med:.2f} s {_r(pdf_t)}; → DOCX median {docx_med:.2f} s {_r(docx_t)}; "
            f"PDF + DOCX median {both_med:.2f} s {_r(both_t)} (CPU {cpu:.2f} s; load "
            f"{os.getloadavg()[0]:.1f})  target < 5 s"
        )
        if baseline and lang == "zh":
            _libreoffice_baseline(tmp, pdf_med)


def _libreoffice_baseline(tmp: Path, ours: float) -> None:
    """LibreOffice converting our DOCX to PDF: the baseline tool, median of 3 after a warm-up."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        print("[1] baseline: LibreOffice not installed, skipped")
        return
    cmd = [soffice, f"-env:UserInstallation=file://{tmp / 'lo-profile'}", "--headless",
           "--convert-to", "pdf", "--outdir", str(tmp / "lo"), str(tmp / "a.docx")]  # fmt: skip

    def convert() -> None:
        subprocess.run(cmd, check=True, capture_output=True, timeout=300)

    convert()  # warm-up (profile creation)
    lo_med, lo_t = _median(convert, 3)
    print(
        f"[1] baseline LibreOffice DOCX → PDF of the same report: median {lo_med:.2f} s "
        f"{_r(lo_t)}; ratio ours (Document → PDF) / LibreOffice = {ours / lo_med:.2f}"
    )


def _pages(pdf: Path) -> str:
    exe = shutil.which("pdfinfo")
    if exe is None:
        return "?"
    out = subprocess.run([exe, str(pdf)], capture_output=True, text=True).stdout
    return next((ln.split()[-1] for ln in out.splitlines() if ln.startswith("Pages")), "?")


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument(
        "--run", type=Path, default=None, help="run directory (default: run the panel first)"
    )
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--cities", type=int, default=300)
    ap.add_argument(
        "--skip-all", action="store_true", help="skip part 4 (the panel's city reports)"
    )
    ap.add_argument("--skip-panel", action="store_true", help="only part 1 (the annual report)")
    ap.add_argument("--baseline", action="store_true", help="time LibreOffice DOCX → PDF too")
    ap.add_argument(
        "--all-formats", default="pdf", help="formats of part 4's city reports, e.g. pdf,docx"
    )
    ap.add_argument(
        "--skip-annual", action="store_true", help="skip part 1 (the MOHURD-outline report)"
    )
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_report."))
    print(f"machine: {os.cpu_count()} CPUs; load average at start {os.getloadavg()}")
    if not args.skip_annual:
        annual_part(tmp, args.repeat, args.baseline)
    if args.skip_panel:
        return

    from citycheckup.report.city_report import (
        build_context,
        render_city_html,
        render_reports,
        write_pdf,
    )

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
    print(f"run: {run}")

    med, times = _median(lambda: build_context(run, priorities=False), args.repeat)
    print(f"[2] context without priorities (tables, trends, peers): median {med:.2f} s {_r(times)}")
    t0 = time.perf_counter()
    ctx = build_context(run, jobs=args.jobs)
    t_prio = time.perf_counter() - t0
    print(
        f"[2] context with the improvement priorities of all {ctx.scores_y.shape[0]} cities "
        f"(re-scoring, {args.jobs} processes): {t_prio:.1f} s"
    )
    codes = sorted(ctx.scores_y.index.astype(str))
    city = "330100" if "330100" in codes else codes[0]

    def pdf(path: Path) -> None:
        write_pdf(render_city_html(ctx, city, lang="zh"), path)

    pdf(tmp / "warm.pdf")
    html_med, _ = _median(lambda: render_city_html(ctx, city, lang="zh"), args.repeat)
    c0 = time.process_time()
    med, times = _median(lambda: pdf(tmp / "one.pdf"), args.repeat)
    cpu = (time.process_time() - c0) / args.repeat
    print(
        f"[3] one city report ({city}, zh) → PDF: median {med:.2f} s (HTML+charts {html_med:.2f} s) "
        f"{_r(times)}; CPU {cpu:.2f} s per report; load {os.getloadavg()[0]:.1f}  target < 5 s"
    )
    from citycheckup.report import charts
    from citycheckup.report._html_docx import html_to_docx

    def docx(path: Path) -> None:
        # as render_reports writes it: the charts' PNGs drawn from their figures (charts.rasters)
        with charts.rasters():
            html_to_docx(render_city_html(ctx, city, lang="zh"), path)

    docx(tmp / "warm.docx")
    docx_med, docx_t = _median(lambda: docx(tmp / "one.docx"), args.repeat)

    def both() -> None:
        # as `citycheckup report --format pdf --format docx` writes them: the page rendered
        # once, its charts' PNGs for Word kept from the figures (charts.rasters)
        render_reports(run, tmp / "both", units=[city], overview=False, langs=("zh",),
                       formats=("pdf", "docx"), jobs=1, context=ctx)  # fmt: skip

    c0 = time.process_time()
    both_med, both_t = _median(both, args.repeat)
    cpu = (time.process_time() - c0) / args.repeat
    print(
        f"[3] one city report ({city}, zh) → DOCX: median {docx_med:.2f} s {_r(docx_t)}; "
        f"PDF + DOCX: median {both_med:.2f} s {_r(both_t)}; CPU {cpu:.2f} s per report; "
        f"load {os.getloadavg()[0]:.1f}  target < 5 s"
    )
    if args.skip_all:
        return
    sel = codes[: args.cities]
    fmts = tuple(f.strip() for f in args.all_formats.split(",") if f.strip())
    ch0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    files = render_reports(
        run, tmp / "all", units=sel, overview=False, langs=("zh",), formats=fmts,
        jobs=args.jobs, context=ctx,
    )  # fmt: skip
    dt = time.perf_counter() - t0
    ch1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_all = (ch1.ru_utime + ch1.ru_stime) - (ch0.ru_utime + ch0.ru_stime)
    n = max(1, len(sel))  # cities (each with one file per format)
    print(
        f"[4] {len(sel)} cities' reports (zh, {'+'.join(fmts).upper()}; {len(files)} files) in {args.jobs} processes: {dt:.1f} s "
        f"({dt / n:.2f} s per report); worker CPU {cpu_all:.0f} s ({cpu_all / n:.2f} s per report); "
        f"load before/after {load0:.1f}/{os.getloadavg()[0]:.1f}"
    )
    print(
        f"[4] from CPU time (independent of the load): {len(codes)} reports on {args.jobs} idle "
        f"cores ≈ {cpu_all / n * len(codes) / args.jobs:.0f} s + {t_prio:.0f} s of priorities"
    )
    if len(sel) < len(codes):
        est = dt / n * len(codes)
        print(
            f"[4] EXTRAPOLATED (not measured): {len(codes)} reports ≈ {est:.0f} s at this load "
            f"(linear in the measured {dt / n:.2f} s per report), + {t_prio:.0f} s of priorities "
            f"≈ {est + t_prio:.0f} s  target: 300 in < 300 s"
        )
    else:
        print(
            f"[4] all {len(files)}: {dt:.1f} s + {t_prio:.0f} s of priorities  target: 300 in < 300 s"
        )


if __name__ == "__main__":
    main()
