"""The demo's 300-city panel: statistical yearbook indicators compared across cities.

The embedded ``city-macro-data`` panel (300 prefecture-level cities, 2000–2024, yearbook
variables) is run through the ordinary check-up (``people-city-2025``, absolute scoring against
the framework's goalposts, one outlier decision per indicator for all years and one
normalisation across all years, so a city's trend is real; size classes from the census urban
population). It is **not** a city check-up: a handful of yearbook variables stand in for a few
of the framework's indicators, most of them as proxies. The demo therefore relabels the run's
reports as "统计年鉴指标横向比较" / "Statistical yearbook indicators compared across cities"
and puts a note above them that names every indicator used and every proxy.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from citycheckup.errors import OutputError

__all__ = ["PANEL_TITLE", "PanelDemo", "panel_demo", "panel_label", "relabel_report"]

#: Title of the panel in the demo's outputs, the store and the reports.
PANEL_TITLE = {
    "zh": "统计年鉴指标横向比较",
    "en": "Statistical yearbook indicators compared across cities",
}
#: The heading the check-up report gives a run (``report.messages``), replaced by :data:`PANEL_TITLE`.
_CHECKUP_TITLE = {"zh": "城市体检报告", "en": "City health check-up report"}


@dataclass
class PanelDemo:
    """What :func:`panel_demo` wrote.

    Attributes
    ----------
    run_dir
        The run folder (``out/panel``), an ordinary ``citycheckup run`` result.
    reports
        The relabelled HTML reports (``report.html`` in the first language, ``report_<lang>.html``).
    n_units, n_scored, years
        Cities in the panel, those with an overall score in its last year, and its years.
    used, proxies
        Indicators with data, and those of them that are proxies (code → (zh, en) of what they
        stand in for).
    n_warnings
        Groups of data-check warnings (rule, column, unit; every finding is in ``checks.csv``),
        counted, not printed, by the demo.
    seconds
        Wall time.
    """

    run_dir: Path
    reports: list[Path] = field(default_factory=list)
    n_units: int = 0
    n_scored: int = 0
    years: tuple[int, int] = (0, 0)
    used: list[str] = field(default_factory=list)
    proxies: dict[str, tuple[str, str]] = field(default_factory=dict)
    n_warnings: int = 0
    seconds: float = 0.0


def _proxy_text(text: str) -> tuple[str, str]:
    """``'中文 / English'`` → ``(zh, en)`` (the framework writes both in one field)."""
    zh, sep, en = text.partition(" / ")
    zh, en = (zh, en) if sep else (text, text)
    return zh.strip().removesuffix("（代理指标）"), en.strip().removesuffix(" (proxy)")


def _note(
    lang: str,
    *,
    n_units: int,
    n_scored: int,
    years: tuple[int, int],
    names: dict[str, tuple[str, str]],
    proxies: dict[str, tuple[str, str]],
) -> str:
    """The note above the relabelled report (HTML)."""
    zh = lang == "zh"
    items = []
    for code, (name_zh, name_en) in names.items():
        label = html.escape(name_zh if zh else name_en)
        if code in proxies:
            p = html.escape(proxies[code][0] if zh else proxies[code][1])
            label += f"——代理指标，代表：{p}" if zh else f" — a proxy for {p}"
        items.append(f"<li>{label} <code>{html.escape(code)}</code></li>")
    if zh:
        head = (
            f"<p><b>这不是城市体检。</b>这是 {n_units} 个地级及以上城市（{years[1]} 年有综合得分的 {n_scored} 个）"
            f"{years[0]}–{years[1]} 年统计年鉴指标的横向比较（数据：city-macro-data），按“现代化人民城市”指标体系的维度归类、以指标体系的固定基准值"
            "计分（同一城市各年可比，趋势真实）；城市规模等级按人口普查城镇人口（2010 年或 2020 年中较近的一次）"
            f"近似。所用 {len(names)} 项指标中 {len(proxies)} 项是代理指标，只代表所对应的体检指标的一部分。"
            "城市体检（住房城乡建设部方法，分级评价与问题清单）见示例的“宜昌”体检报告。</p>"
        )
    else:
        head = (
            f"<p><b>This is not a city check-up.</b> It compares statistical yearbook indicators of {n_units} "
            f"prefecture-level and larger cities ({n_scored} with an overall score in {years[1]}), "
            f"{years[0]}–{years[1]} (data: city-macro-data), grouped by the "
            "dimensions of the People's City framework and scored against the framework's fixed goalposts (one "
            "city's years are comparable: trends are real); city size classes approximate the urban "
            "population by the census (the nearer of 2010 and 2020). Of the "
            f"{len(names)} indicators used, {len(proxies)} are proxies that stand for only part of the check-up "
            "indicator they are named after. The city check-up (MOHURD's method: grades and problem lists) is "
            "the demo's Yichang report.</p>"
        )
    title = "所用指标" if zh else "Indicators used"
    return (
        f'<section id="comparison-note" style="border-left:4px solid #c77700">{head}'
        f"<h3>{title}</h3><ul>{''.join(items)}</ul></section>"
    )


def relabel_report(path: Path, lang: str, note: str) -> None:
    """Give a check-up report the comparison's title and put ``note`` above its first section.

    Raises
    ------
    OutputError
        When the report does not carry the check-up title exactly once in ``<title>`` and
        ``<h1>`` (the report template changed: the relabelling must be updated with it).
    """
    text = path.read_text(encoding="utf-8")
    old, new = _CHECKUP_TITLE[lang], PANEL_TITLE[lang]
    marks = {
        f"<title>{old} · ": f"<title>{new} · ",
        f"<h1>{old} — ": f"<h1>{new} — ",
        "<main>": f"<main>\n{note}",
    }
    for a, b in marks.items():
        if text.count(a) != 1:
            raise OutputError(
                f"{path}: expected {a!r} once in the report to relabel it as {new!r}, found it "
                f"{text.count(a)} times; update citycheckup.demo._panel with the report template"
            )
        text = text.replace(a, b)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def panel_demo(out: Path, *, lang: str = "zh", uncertainty: int = 200, seed: int = 1) -> PanelDemo:
    """Run the 300-city yearbook panel and write it, relabelled, into ``out`` (an ordinary run folder).

    Parameters
    ----------
    out
        The run folder (replaced atomically).
    lang
        Language of ``report.html``; the other language is ``report_<lang>.html``.
    uncertainty
        Monte Carlo runs for the rank intervals (0: none); ``seed`` seeds them.
    """
    from citycheckup.checkup import CheckupOptions, run_checkup
    from citycheckup.data import load_city_macro
    from citycheckup.framework import load_framework
    from citycheckup.report.checkup_report import write_checkup_outputs

    t0 = time.perf_counter()
    other = tuple(x for x in ("zh", "en") if x != lang)
    fw = load_framework("people-city-2025")
    ds = load_city_macro()
    opts = CheckupOptions(scoring="absolute", normalisation="minmax", aggregation="arithmetic",
                          weights="framework", uncertainty_n=uncertainty, seed=seed, min_availability=0.5,
                          global_normalisation=True, invalid="missing", treatment="winsorise_log",
                          treatment_scope="panel")  # fmt: skip
    opts.validate()
    result = run_checkup(ds, fw, opts)
    used = (
        result.coverage.loc[result.coverage["status"] == "used", "indicator"].astype(str).tolist()
    )
    by_code = {i.code: i for i in fw.indicators}
    names = {c: (by_code[c].name_zh, by_code[c].name_en) for c in used}
    proxies = {c: _proxy_text(str(by_code[c].proxy_for)) for c in used if by_code[c].proxy_for}
    years = (int(result.years[0]), int(result.years[-1]))
    n_units = int(result.scores["unit_code"].nunique())
    last = result.scores[result.scores["year"] == years[1]]
    n_scored = int(last[fw.index_code].notna().sum())
    manifest: dict[str, Any] = {
        "command": "citycheckup demo (300-city yearbook panel)",
        "title_zh": PANEL_TITLE["zh"], "title_en": PANEL_TITLE["en"],
        "not_a_checkup": "statistical yearbook indicators compared across cities; proxies named as such",
        "proxies": {c: {"zh": z, "en": e} for c, (z, e) in proxies.items()},
    }  # fmt: skip
    write_checkup_outputs(result, out, lang=lang, extra_langs=other, extra_manifest=manifest)
    reports = []
    for x in (lang, *other):
        path = out / ("report.html" if x == lang else f"report_{x}.html")
        relabel_report(
            path,
            x,
            _note(x, n_units=n_units, n_scored=n_scored, years=years, names=names, proxies=proxies),
        )
        reports.append(path)
    n_warn = len(result.checks.summary_lines(("warning",)))
    return PanelDemo(run_dir=out, reports=reports, n_units=n_units, n_scored=n_scored, years=years, used=used, proxies=proxies,
                     n_warnings=n_warn, seconds=time.perf_counter() - t0)  # fmt: skip


def panel_label(lang: str, demo: PanelDemo) -> str:
    """Label of the panel run in the results store."""
    y = demo.years
    return (
        f"{PANEL_TITLE['zh']}（{demo.n_units} 个城市，{y[0]}–{y[1]}）"
        if lang == "zh"
        else f"{PANEL_TITLE['en']} ({demo.n_units} cities, {y[0]}–{y[1]})"
    )
