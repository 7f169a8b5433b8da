"""The annual report uses the 12345 candidates: 智慧高效 (city level) and the problem section.

Runs on the SYNTHETIC city of tests/checkup/synthetic_mohurd.py (宜昌, 420500, 2024),
with community registers and tickets laid around it here.
"""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest

from citycheckup.checkup import CheckupOptions, run_mohurd
from citycheckup.data import Dataset
from citycheckup.framework import load_framework
from citycheckup.inventory import Inventory
from citycheckup.inventory.hotline_link import (
    HotlineFindings,
    hotline_findings,
    load_hotline_mapping,
)
from citycheckup.report.annual import AnnualInputs, annual_report
from citycheckup.report.document import to_docx, to_html

from ..checkup.synthetic_mohurd import synthetic_city

UNIT, YEAR = "420500", 2024
LAT, LON = 30.70, 111.29


@pytest.fixture(scope="module")
def findings() -> HotlineFindings:
    com = pd.DataFrame(
        [{"unit_code": UNIT, "year": YEAR, "community_id": f"C{i}", "name": f"夷陵{i}社区",
          "block_id": "B1", "district": "西陵区", "population": 5000, "lon": LON + 0.02 * i,
          "lat": LAT} for i in range(3)]
    )  # fmt: skip
    inv = Inventory().with_registers({"community": com})
    rows = [("road_damage", 0)] * 6 + [("noise", 1)] * 5 + [("water_outage", 2)] * 5
    rows += [("noise", 2)] * 2 + [("school", 0)]
    t = pd.DataFrame(
        [{"id": k + 1, "service_code": code, "category": None, "predicted_category": None,
          "lat": LAT + 0.001, "long": LON + 0.02 * i, "requested_at": pd.Timestamp("2024-05-01"),
          "state": "received", "duplicate_of": None} for k, (code, i) in enumerate(rows)]
    )  # fmt: skip
    fw = load_framework("mohurd-2025")
    return hotline_findings(t, inv, UNIT, YEAR, mapping=load_hotline_mapping(fw=fw))


@pytest.fixture(scope="module")
def inputs(findings: HotlineFindings) -> AnnualInputs:
    fw = load_framework("mohurd-2025")
    res = run_mohurd(
        Dataset(data=synthetic_city(fw), source="synthetic city"), fw, CheckupOptions()
    )
    return AnnualInputs(result=res, hotline=findings)


def _text(doc) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(re.sub(r"<[^>]+>", " ", to_html(doc)))


def test_candidates_reach_the_smart_and_problem_sections(
    inputs: AnnualInputs, findings: HotlineFindings
) -> None:
    assert len(findings.candidates) == 3  # road damage C0, noise C1, water outage C2; not noise ×2
    doc = annual_report(inputs, UNIT, lang="zh")
    city = next(s for s in doc.sections if s.title == "城区评价")
    smart = next(s for s in city.subsections if s.title.startswith("智慧高效"))
    rows = {r[0]: r[1] for r in smart.blocks[0].rows}
    assert rows["期内工单"] == "19" and rows["候选问题"] == "3" and rows["不属体检问题类型"] == "1"
    assert rows["已定位、未达集中阈值"] == "2"
    probs = next(s for s in doc.sections if s.title.startswith("住房、小区"))
    tables = {lev.title: [b for b in lev.blocks if getattr(b, "caption", "") and "候选" in b.caption]
              for lev in probs.subsections}  # fmt: skip
    assert len(tables["住房"][0].rows) == 1 and "入户水压不足" in tables["住房"][0].rows[0][0]
    com = tables["小区（社区）"][0].rows
    assert {r[1] for r in com} == {"夷陵0社区", "夷陵1社区"}
    assert any(r[3] == "1、2、3、4、5、6" for r in com)  # road damage: tickets 1–6 as evidence
    assert tables["街区"] == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_codes_and_no_leaks(inputs: AnnualInputs, lang: str) -> None:
    doc = annual_report(inputs, UNIT, lang=lang)
    text = _text(doc)
    annex = text.split("附件1" if lang == "zh" else "Annex 1")[0]
    mp = load_hotline_mapping()
    codes = {r.problem_type for r in mp.rules} | {r.indicator for r in mp.rules if r.indicator}
    codes |= {r.sub_item for r in mp.rules if r.sub_item} | {
        "below_threshold",
        "unlocated",
        "too_far",
    }
    assert not {c for c in codes if re.search(rf"\b{re.escape(c)}\b", annex)}
    smart = "智慧高效：12345热线" if lang == "zh" else "Smart and efficient: the 12345 hotline"
    assert smart in text
    if lang == "en":
        start = text.index(smart)
        part = text[start : start + 3000]
        assert not re.search(r"[\u4e00-\u9fff]", part), part[:400]
        assert "community C0" in text and "Candidate problems from repeated 12345 tickets" in text
    else:
        assert "12345热线集中反映的候选问题" in text and "待实地核实" in text


def test_docx_holds_the_hotline_tables(inputs: AnnualInputs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import docx

    p = to_docx(annual_report(inputs, UNIT, lang="zh"), tmp_path / "r.docx")
    d = docx.Document(str(p))
    heads = [x.text for x in d.paragraphs if x.style.name.startswith("Heading")]
    assert any(h.endswith("智慧高效：12345热线") for h in heads), heads
    cells = {c.text for t in d.tables for r in t.rows for c in r.cells}
    assert "1、2、3、4、5、6" in cells


def test_findings_written_to_a_run_come_back_for_the_report(
    inputs: AnnualInputs, findings: HotlineFindings, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    from citycheckup.errors import DataError
    from citycheckup.inventory.hotline_link import read_findings, write_findings

    assert read_findings(tmp_path) is None  # nothing written: nothing to report
    write_findings(findings, tmp_path)
    back = read_findings(tmp_path)
    assert back is not None and back.counts() == findings.counts()
    assert back.candidates["ticket_ids"].tolist() == findings.candidates["ticket_ids"].tolist()
    assert back.mapping.min_tickets == 5 and back.period == findings.period
    a = _text(annual_report(inputs, UNIT, lang="zh"))
    b = _text(annual_report(dataclasses.replace(inputs, hotline=back), UNIT, lang="zh"))
    strip = lambda s: re.sub(r"生成时间：[^ ]+ [^ ]+", "", s)  # noqa: E731
    assert strip(a) == strip(b)
    (tmp_path / "hotline_tickets.csv").unlink()
    with pytest.raises(DataError, match="hotline_tickets.csv missing"):
        read_findings(tmp_path)


def test_report_command_reads_the_findings_of_the_run(findings: HotlineFindings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`problems hotline --out RUN` leaves the findings in the run; `report --run RUN` uses them."""
    from typer.testing import CliRunner

    from citycheckup.cli import app
    from citycheckup.inventory.hotline_link import write_findings

    fw = load_framework("mohurd-2025")
    synthetic_city(fw).to_csv(tmp_path / "city.csv", index=False)
    run = tmp_path / "run"
    r = CliRunner().invoke(app, ["run", "--framework", "mohurd-2025", "--data", str(tmp_path / "city.csv"),
                                 "--out", str(run)])  # fmt: skip
    assert r.exit_code == 0, r.output

    def report(out: str) -> str:
        r = CliRunner().invoke(app, ["report", "--run", str(run), "--format", "html", "--lang", "zh",
                                     "--out", str(tmp_path / out)])  # fmt: skip
        assert r.exit_code == 0, r.output
        return (tmp_path / out / f"checkup_{UNIT}_zh.html").read_text(encoding="utf-8")

    assert "12345热线工单" not in report("before")  # no findings in the run: no hotline section
    write_findings(findings, run)
    after = report("after")
    assert "12345热线工单" in after and "热线集中反映的候选问题" in after
