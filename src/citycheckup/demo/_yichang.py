"""The published city of the demo: 宜昌's 2025 check-up, run through mohurd-2025.

The figures are those 宜昌 published (``citycheckup.data.published``); indicators the
publication does not give are "no data", listed, never invented. The city level is graded
only against thresholds that apply to 宜昌 — national ones and, selected here, 宜昌's own
local standards; the lower levels are counts over their registers; the follow-up figure
(61 % of the 2024 problems fixed) is the published one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

__all__ = ["YichangDemo", "yichang_demo"]


@dataclass
class YichangDemo:
    """What the published-city demo wrote and computed."""

    run_dir: Path
    reports: list[Path] = field(default_factory=list)
    graded: int = 0
    no_threshold: int = 0
    no_data: list[str] = field(default_factory=list)
    comparison: pd.DataFrame = field(default_factory=pd.DataFrame)


def _followup_summary(pub: object) -> pd.DataFrame:
    fu = pub.follow_up  # type: ignore[attr-defined]
    return fu[["unit_code", "year", "level", "denominator", "completed", "rate"]].copy()


def yichang_demo(
    out: Path,
    *,
    langs: tuple[str, ...] = ("zh", "en"),
    formats: tuple[str, ...] = ("pdf", "docx", "html"),
) -> YichangDemo:
    """Run 宜昌's published 2025 check-up and write its outputs and reports under ``out``."""
    from citycheckup.checkup import CheckupOptions, run_mohurd
    from citycheckup.data.published import (
        YICHANG_2025_SOURCE,
        YICHANG_CODE,
        load_yichang_2025,
        yichang_2025_published,
    )
    from citycheckup.framework import load_framework
    from citycheckup.report.annual import AnnualInputs, annual_report
    from citycheckup.report.document import to_docx, to_html, to_pdf
    from citycheckup.report.mohurd_outputs import write_mohurd_outputs

    fw = load_framework("mohurd-2025")
    ds = load_yichang_2025()
    result = run_mohurd(ds, fw, CheckupOptions(localities=[YICHANG_CODE]))
    pub = yichang_2025_published()
    summary = _followup_summary(pub)
    rate = summary.loc[summary["level"] == "all", "rate"]
    organisation = {
        "zh": {
            "organiser": "宜昌市住房和城市更新局",
            "technical": "宜昌市城市规划设计研究院有限公司",
        },
        "en": {
            "organiser": "Yichang Housing and Urban Renewal Bureau",
            "technical": "Yichang Urban Planning and Design Institute",
        },
    }
    run_dir = out / "yichang_checkup"
    write_mohurd_outputs(
        result,
        run_dir,
        lang=langs[0],
        extra_langs=tuple(langs[1:]),
        extra_manifest={
            "command": "citycheckup demo (宜昌 2025, published figures)",
            "source": YICHANG_2025_SOURCE,
        },
    )
    # the published follow-up (61 % of last year's problems fixed) belongs to the run: stores and
    # `report --run` read it from here
    summary.to_csv(run_dir / "followup_summary.csv", index=False)
    reports: list[Path] = []
    rdir = run_dir / "reports"
    rdir.mkdir(parents=True, exist_ok=True)
    for lang in langs:
        inp = AnnualInputs(
            result=result,
            organisation=organisation[lang],
            followup_summary=summary,
            completion_rate=float(rate.iloc[0]) if len(rate) else None,
            source=YICHANG_2025_SOURCE,
        )
        doc = annual_report(inp, YICHANG_CODE, lang=lang)
        for fmt in formats:
            target = rdir / f"checkup_{YICHANG_CODE}_{lang}.{fmt}"
            if fmt == "pdf":
                reports.append(to_pdf(doc, target))
            elif fmt == "docx":
                reports.append(to_docx(doc, target))
            else:
                target.write_text(to_html(doc), encoding="utf-8")
                reports.append(target)
    # our grades next to the grades the report gave (where both exist)
    ours = result.grades.set_index("indicator")["grade"]
    g = pub.grades[pub.grades["indicator"].fillna("").astype(str).str.len() > 0]
    theirs = g.drop_duplicates("indicator").set_index("indicator")["grade"]
    comp = pd.DataFrame({"published": theirs, "citycheckup": ours}).dropna(how="all")
    comp.index.name = "indicator"
    comp.reset_index().to_csv(run_dir / "grades_vs_published.csv", index=False)
    city = {i.code for i in fw.indicators if i.level == "city"}
    no_data = [
        i.code
        for i in fw.indicators
        if i.code not in result.values.columns or result.values[i.code].isna().all()
    ]
    return YichangDemo(
        run_dir=run_dir,
        reports=reports,
        graded=len(result.grades),
        no_threshold=int(result.ungraded["indicator"].isin(city).sum()),
        no_data=no_data,
        comparison=comp,
    )
