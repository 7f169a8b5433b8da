"""The annual check-up report in MOHURD's outline, and thematic reports (issue 15).

Runs on the SYNTHETIC city of tests/checkup/synthetic_mohurd.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from citycheckup.checkup import CheckupOptions, run_mohurd
from citycheckup.data import Dataset
from citycheckup.framework import load_framework
from citycheckup.report.annual import AnnualInputs, annual_report
from citycheckup.report.document import to_docx, to_html, to_pdf
from citycheckup.report.thematic import load_themes, thematic_report

from ..checkup.synthetic_mohurd import synthetic_city

POPPLER = shutil.which("pdftotext")
needs_poppler = pytest.mark.skipif(
    not POPPLER and not os.environ.get("CI"), reason="poppler-utils not installed"
)
OUTLINE_ZH = [
    "工作概况",
    "指标体系",
    "城区评价",
    "住房、小区（社区）、街区体检结果",
    "成因分析",
    "对策建议",
    "社会满意度",
    "上年度问题整治成效",
]
OUTLINE_EN = [
    "Overview of the check-up",
    "Indicator system",
    "City-level assessment",
    "Housing, compounds and communities, blocks",
    "Analysis of causes",
    "Recommendations",
    "Residents' satisfaction",
    "Follow-up of last year's problems",
]


@pytest.fixture(scope="module")
def inputs() -> AnnualInputs:
    fw = load_framework("mohurd-2025")
    res = run_mohurd(
        Dataset(data=synthetic_city(fw), source="synthetic city"), fw, CheckupOptions()
    )
    return AnnualInputs(result=res)


@pytest.mark.parametrize(("lang", "outline"), [("zh", OUTLINE_ZH), ("en", OUTLINE_EN)])
def test_outline_is_complete_and_every_section_filled(
    inputs: AnnualInputs, lang: str, outline: list[str]
) -> None:
    doc = annual_report(inputs, "420500", lang=lang)
    assert [s.title for s in doc.sections] == outline
    for s in doc.sections:
        assert s.blocks or s.subsections, (
            s.title
        )  # no empty section: data, or words saying what data would fill it
    assert doc.annexes and doc.annexes[0].blocks


def _codes(fw) -> set[str]:  # type: ignore[no-untyped-def]
    return {i.code for i in fw.indicators} | {v.code for v in fw.variables}


@needs_poppler
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pdf_has_no_code_or_flag_outside_the_annex(
    inputs: AnnualInputs, lang: str, tmp_path: Path
) -> None:
    doc = annual_report(inputs, "420500", lang=lang)
    pdf = to_pdf(doc, tmp_path / "r.pdf")
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    annex = "附件1" if lang == "zh" else "Annex 1"
    body = text.split(annex)[0]
    assert len(body) > 2000
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]+", body))
    leaked = words & _codes(inputs.result.framework)
    assert not {w for w in leaked if "_" in w}, leaked  # indicator codes appear only in the annex
    assert "--" not in body  # no command-line flag in a mayor's report
    assert "http" not in text
    if lang == "en":
        assert not re.search(r"[\u4e00-\u9fff]", body.replace("国发〔2014〕51号", "")), (
            "Chinese left in English text"
        )
    else:
        assert "Overview" not in body and "Indicator" not in body


def test_docx_holds_the_same_headings(inputs: AnnualInputs, tmp_path: Path) -> None:
    import docx

    doc = annual_report(inputs, "420500", lang="zh")
    path = to_docx(doc, tmp_path / "r.docx")
    d = docx.Document(str(path))
    heads = [p.text for p in d.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert heads == doc.headings()
    assert len(d.tables) >= 5


def test_html_is_self_contained(inputs: AnnualInputs) -> None:
    html = to_html(annual_report(inputs, "420500", lang="zh"))
    assert "<script src=" not in html and "http" not in html
    assert "宜昌市2025年城市体检报告" in html  # the check-up of 2025 uses the data of 2024-12-31


@pytest.mark.parametrize("theme", sorted(load_themes()))
def test_thematic_reports(inputs: AnnualInputs, theme: str) -> None:
    fw = inputs.result.framework
    ids = set(load_themes()[theme]["indicators"])
    assert ids <= {i.mohurd_id for i in fw.indicators}  # every theme indicator exists
    for lang in ("zh", "en"):
        doc = thematic_report(inputs, "420500", theme, lang=lang)
        assert len(doc.sections) == 4
        html = to_html(doc)
        shown = [i for i in fw.indicators if i.mohurd_id in ids]
        assert any((i.name_zh if lang == "zh" else i.name_en) in html for i in shown)
