"""The whole demo: the published city, the OSM district and the 300-city panel.

:func:`run_demo` writes three result folders under ``out`` and returns what they hold; the
``citycheckup demo`` command then stores them in ``out/store.duckdb`` and prints where
everything is.

* ``yichang_checkup/`` — the check-up: 宜昌's published 2025 figures through ``mohurd-2025``
  (:func:`~citycheckup.demo.yichang_demo`), reports in the MOHURD outline (zh/en, PDF, DOCX, HTML);
* ``district/`` — a real district from OpenStreetMap, block by block
  (:func:`~citycheckup.demo.district_demo`);
* ``panel/`` — statistical yearbook indicators of 300 cities compared
  (:func:`~citycheckup.demo.panel_demo`), labelled as such, not as a check-up.

The district runs in a second process while the published city is written (the two take
about as long, and the machine the demo is made for has two cores).
"""

from __future__ import annotations

import logging
import multiprocessing
import time
import warnings
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from citycheckup.demo._panel import PanelDemo, panel_demo
from citycheckup.demo._yichang import YichangDemo, yichang_demo
from citycheckup.errors import DataError

__all__ = ["DemoRun", "DistrictSummary", "run_demo"]

logger = logging.getLogger(__name__)

#: Loggers kept at ERROR in a quiet run (their warnings are in the outputs).
QUIET_LOGGERS = ("citycheckup", "matplotlib", "fontTools", "weasyprint", "py.warnings", "pyogrio",
                 "shapely")  # fmt: skip


@dataclass(frozen=True)
class DistrictSummary:
    """What the district check-up wrote (:func:`~citycheckup.demo.district_demo` in full is
    in its folder: ``problems.csv``, ``suggestions.csv``, ``projects.csv``, maps, annexes)."""

    out: Path
    n_problems: int
    n_blocks_with_problems: int
    n_blocks: int
    n_suggestions: int
    n_projects: int
    seconds: float


@dataclass
class DemoRun:
    """What :func:`run_demo` wrote: the three parts and the seconds each took."""

    out: Path
    yichang: YichangDemo
    district: DistrictSummary
    panel: PanelDemo
    seconds: dict[str, float] = field(default_factory=dict)


def _district_job(out: str, quiet: bool) -> DistrictSummary | tuple[str, str]:
    """The district check-up in a worker process; an error comes back as (type, message)."""
    if quiet:
        logging.captureWarnings(True)
        warnings.simplefilter("default")
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.ERROR)
    else:
        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")
    t = time.perf_counter()
    try:
        from citycheckup.demo._district import district_demo

        d = district_demo(out, lang="en")
    except Exception as exc:  # reported in the parent, which raises it
        return type(exc).__name__, str(exc)
    p = d.problems
    return DistrictSummary(out=d.out, n_problems=len(p),
                           n_blocks_with_problems=int(p["block_id"].nunique()) if len(p) else 0,
                           n_blocks=len(d.blocks), n_suggestions=len(d.suggestions), n_projects=len(d.projects),
                           seconds=time.perf_counter() - t)  # fmt: skip


def _district_result(fut: Future[DistrictSummary | tuple[str, str]]) -> DistrictSummary:
    got = fut.result()
    if isinstance(got, tuple):
        raise DataError(f"the district check-up failed: {got[0]}: {got[1]}")
    return got


def run_demo(
    out: str | Path,
    *,
    lang: str = "zh",
    uncertainty: int = 200,
    say: Callable[[str], None] | None = None,
    quiet: bool = True,
) -> DemoRun:
    """Run the three parts of the demo into ``out`` (each sub-folder replaced atomically).

    Parameters
    ----------
    out
        Output folder; ``yichang_checkup/``, ``district/`` and ``panel/`` are replaced, anything
        else in it is left alone.
    lang
        First language of the reports (``zh`` or ``en``); both are written.
    uncertainty
        Monte Carlo runs for the panel's rank intervals (0: none).
    say
        Receives one short progress line per step (default: the module's logger at INFO).
    quiet
        Keep the library's warnings out of the worker process's terminal output (they are in
        the outputs); ``False`` logs everything there.
    """
    if lang not in ("zh", "en"):
        raise DataError(f"lang must be 'zh' or 'en', got {lang!r}")
    tell = say or logger.info
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    langs = (lang, "en" if lang == "zh" else "zh")
    secs: dict[str, float] = {}
    ctx = multiprocessing.get_context("spawn")  # no fork of a process holding threads
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        t = time.perf_counter()
        job = pool.submit(_district_job, str(root / "district"), quiet)
        tell("[1/3] check-up of 宜昌 Yichang 2025 from its published figures (mohurd-2025) …")
        tell("[2/3] district check-up from OpenStreetMap (海淀区 Haidian, Beijing; GB 50180 life "
             "circles), alongside …")  # fmt: skip
        y = yichang_demo(root, langs=langs)
        secs["yichang"] = time.perf_counter() - t
        tell(f"      [1/3] {y.graded} city-level values graded, {y.no_threshold} without an applicable "
             f"threshold, {len(y.no_data)} indicators not published (no data) — {secs['yichang']:.0f} s")  # fmt: skip
        d = _district_result(job)
        secs["district"] = time.perf_counter() - t
    tell(f"      [2/3] {d.n_problems} located problems in {d.n_blocks_with_problems} of {d.n_blocks} blocks "
         f"→ {d.n_suggestions} suggestions → {d.n_projects} draft renewal projects — {secs['district']:.0f} s")  # fmt: skip

    t = time.perf_counter()
    tell("[3/3] statistical yearbook indicators compared across 300 cities (city-macro-data; not a "
         "check-up) …")  # fmt: skip
    p = panel_demo(root / "panel", lang=lang, uncertainty=uncertainty)
    secs["panel"] = time.perf_counter() - t
    tell(f"      [3/3] {p.n_units} cities × {p.years[0]}–{p.years[1]}, {len(p.used)} indicators "
         f"({len(p.proxies)} proxies); {p.n_warnings} groups of data warnings in panel/checks.csv "
         f"— {secs['panel']:.0f} s")  # fmt: skip
    return DemoRun(out=root, yichang=y, district=d, panel=p, seconds=secs)
