"""Report blocks of section 社会满意度 and the results workbook: complete, bilingual, no codes for the reader."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest

from citycheckup.survey import SurveyResults, survey_results
from tests.survey.synthetic import AREAS, Draw, Population

CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def results(population: Population, draw: Draw) -> SurveyResults:
    return survey_results(
        draw.responses,
        margins=population.margins(),
        base_weights=draw.base_weights,
        invited=draw.invited,
        hotline_rate=0.86,
        hotline_scale="share",
        hotline_period="2025-06",
    )


def _texts(blocks: list[object]) -> list[str]:
    from citycheckup.report.document import Figure, Para, Table

    out: list[str] = []
    for b in blocks:
        if isinstance(b, Para):
            out.append(b.text)
        elif isinstance(b, Table):
            out += [*b.columns, *(c for r in b.rows for c in r), b.caption or ""]
        elif isinstance(b, Figure):
            out += [b.caption, re.sub(r"<[^>]+>", " ", b.svg or "")]
    return out


def test_blocks_cover_method_indices_low_items_and_hotline(results: SurveyResults) -> None:
    pytest.importorskip("citycheckup.report.document")
    from citycheckup.report.document import Figure, Para, Table

    blocks = results.report_blocks("zh")
    kinds = [type(b) for b in blocks]
    assert kinds.count(Figure) == 1 and kinds.count(Table) == 3 and Para in kinds
    text = "\n".join(_texts(blocks))
    assert f"共发放问卷{results.n_invited:,}份，回收有效答卷{results.n_responses:,}份" in text
    assert "迭代比例拟合" in text and "泰勒线性化" in text
    assert f"满意度指数低于60的事项共{len(results.low)}项" in text
    assert "2025年6月12345热线满意率为86.0%" in text
    low_table = [b for b in blocks if isinstance(b, Table)][1]
    assert len(low_table.rows) == len(results.low) > 0
    assert low_table.rows[0][2] == results.low["label_zh"].iloc[0]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_codes_and_no_language_leaks(results: SurveyResults, lang: str) -> None:
    text = "\n".join(_texts(results.report_blocks(lang)))  # type: ignore[arg-type]
    ids = set(results.questionnaire.question_ids)
    codes = {a.code for lev in results.questionnaire.levels for a in lev.aspects} | {
        "housing",
        "community",
        "city",
    }
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_\-]*", text))
    assert not (words & ids), words & ids
    assert not {w for w in words if "_" in w}
    if lang == "zh":  # in English, "housing" or "facilities" are words of the labels, not codes
        assert not words & codes, words & codes
    assert not re.search(r"\b[A-Z]-\d\d\b", text)  # no MOHURD ids
    assert not set(AREAS["area"]) & words
    if lang == "en":
        assert not CJK.search(text), CJK.findall(text)[:10]
    else:
        assert not re.search(r"\b(the|and|of|satisfied)\b", text)


def test_without_weights_or_hotline_the_report_says_so(draw: Draw) -> None:
    pytest.importorskip("citycheckup.report.document")
    res = survey_results(draw.responses)
    zh = "\n".join(_texts(res.report_blocks("zh")))
    assert "指数为样本的简单平均" in zh and "未提供同期12345热线的满意率" in zh
    assert "无法计算应答率" in zh
    en = "\n".join(_texts(res.report_blocks("en")))
    assert "plain sample means" in en and "was not supplied" in en


def test_no_item_below_the_mark_lists_the_five_lowest(population: Population, draw: Draw) -> None:
    res = survey_results(
        draw.responses, margins=population.margins(), base_weights=draw.base_weights, threshold=10
    )
    assert res.low.empty
    text = "\n".join(_texts(res.report_blocks("en")))
    assert (
        "No item has a satisfaction index below 10" in text
        and "The five items with the lowest" in text
    )


def test_annual_report_renders_the_section(results: SurveyResults, tmp_path: Path) -> None:
    doc_mod = pytest.importorskip("citycheckup.report.document")
    doc = doc_mod.Document(
        "测试", "zh", sections=[doc_mod.Section("社会满意度", blocks=results.report_blocks("zh"))]
    )
    html = doc_mod.to_html(doc)
    assert "各方面满意度指数及95%置信区间" in html and "data:image/svg+xml;base64," in html
    pytest.importorskip("docx")
    out = doc_mod.to_docx(doc, tmp_path / "s.docx")
    import docx

    assert any("社会满意度" in p.text for p in docx.Document(str(out)).paragraphs)


def test_results_workbook_and_problem_rows(results: SurveyResults, tmp_path: Path) -> None:
    out = results.to_xlsx(tmp_path / "r.xlsx", "en")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [
        "Items",
        "Aspects",
        "Levels",
        "Low-satisfaction items",
        "Weighting margins",
    ]
    assert wb["Items"].max_row == 45
    p = results.problems("zh")
    assert len(p) == len(results.low) and set(p["level"]) <= {
        "housing",
        "community",
        "block",
        "city",
    }
    assert results.indicator_values()["checkup_satisfaction"] == pytest.approx(
        float(results.overall["index"])
    )
