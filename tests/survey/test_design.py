"""Sample size and quotas.

Reference values: the textbook sample size for a proportion at ±5 points and 95 %
(z = 1.96, p = 0.5) is 1.96² · 0.25 / 0.05² = 384.16 → 385; with the finite-population
correction for N = 1000 it is 384.16 / (1 + 383.16/1000) = 277.7 → 278 (Cochran 1977, §4.4).
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from citycheckup.survey import SurveyDesignError, quotas, read_areas, sample_design, sample_size

AREAS = pd.DataFrame(
    {
        "area": ["A", "B", "C", "D"],
        "name_zh": ["甲街道", "乙街道", "丙街道", "丁社区"],
        "name_en": ["Jia", "Yi", "Bing", "Ding"],
        "population": [60000, 30000, 9000, 1000],
    }
)


def test_sample_size_matches_the_textbook() -> None:
    assert sample_size(0.05, deff=1.0) == 385
    assert sample_size(0.05, deff=1.0, population=1000) == 278
    assert sample_size(0.05, deff=2.0) == 769  # 2 × 384.16 = 768.3
    assert sample_size(0.03, deff=1.0) == 1068  # 1.96² · 0.25 / 0.0009 = 1067.1


@pytest.mark.parametrize(
    ("kw", "needle"),
    [
        ({"margin": 0}, "margin"),
        ({"margin": 1.0}, "margin"),
        ({"deff": 0}, "deff"),
        ({"p": 1.0}, "p must"),
        ({"confidence": 1.0}, "confidence"),
        ({"population": 0}, "population"),
    ],
)
def test_sample_size_rejects_bad_parameters(kw: dict[str, float], needle: str) -> None:
    args = {"margin": 0.05, **kw}
    with pytest.raises(SurveyDesignError, match=needle):
        sample_size(args.pop("margin"), **args)


def test_quotas_are_proportional_with_a_floor_and_sum_to_n() -> None:
    t = quotas(AREAS, 400, minimum=30)
    assert t["quota"].sum() == 400
    # by hand: D (1 % of 400 = 4) is held at its floor 30; the other 370 are shared 60:30:9 →
    # 224.24, 112.12, 33.64 → floors 224 + 112 + 33 = 369, the last one to the largest remainder (C)
    assert t.set_index("area")["quota"].to_dict() == {"A": 224, "B": 112, "C": 34, "D": 30}
    assert t["quota"].min() == 30


def test_floor_boundaries() -> None:
    # exactly enough for the floors: every area gets its minimum
    t = quotas(AREAS, 120, minimum=30)
    assert t["quota"].tolist() == [30, 30, 30, 30]
    with pytest.raises(SurveyDesignError, match="raise n to at least 120"):
        quotas(AREAS, 119, minimum=30)
    # just above: the one extra respondent goes to the largest area
    assert quotas(AREAS, 121, minimum=30)["quota"].tolist() == [31, 30, 30, 30]


def test_small_area_is_taken_whole_and_invitations_are_capped() -> None:
    areas = pd.DataFrame({"area": ["big", "tiny"], "population": [100000, 12]})
    t = quotas(areas, 200, minimum=30, response_rate=0.5)
    assert t.set_index("area")["quota"].to_dict() == {"big": 188, "tiny": 12}
    assert t.set_index("area")["invitations"].to_dict() == {"big": 376, "tiny": 12}


def test_population_summing_to_zero_and_bad_rows_are_errors() -> None:
    with pytest.raises(SurveyDesignError, match="add up to 0"):
        quotas(pd.DataFrame({"area": ["a", "b"], "population": [0, 0]}), 10)
    bad = pd.DataFrame({"area": ["a", "a", ""], "population": [10, -1, "x"]})
    with pytest.raises(SurveyDesignError) as ei:
        quotas(bad, 5)
    msg = str(ei.value)
    assert "row 3, column area: area 'a' appears twice" in msg
    assert "row 3, column population: population -1 is not a number ≥ 0" in msg
    assert "row 4, column area: the area code is empty" in msg
    assert "row 4, column population: population 'x'" in msg


def test_design_reads_chinese_headers_and_writes_xlsx(tmp_path: Path) -> None:
    src = tmp_path / "areas.csv"
    src.write_text(
        "编号,名称,英文名称,常住人口\nA,甲街道,Jia,60000\nB,乙街道,Yi,30000\nC,丙街道,Bing,9000\n"
        "D,丁社区,Ding,1000\n",
        encoding="utf-8",
    )
    areas = read_areas(src)
    d = sample_design(areas, margin=0.05, deff=1.5, minimum=30, response_rate=0.5)
    assert d.n == sample_size(0.05, deff=1.5, population=100000)
    assert d.table["quota"].sum() == d.n
    out = d.to_xlsx(tmp_path / "design.xlsx", "zh")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["样本配额", "抽样参数"]
    head = [c.value for c in wb["样本配额"][1]]
    assert head[:3] == ["街道（社区）编号", "名称", "常住人口"]
    assert wb["样本配额"].cell(row=6, column=1).value == "合计"
    en = d.labelled("en")
    assert "Name" in en.columns and "名称" not in en.columns


def test_design_raises_n_to_the_floors_and_says_so() -> None:
    areas = pd.DataFrame({"area": [f"a{k}" for k in range(30)], "population": [5000] * 30})
    d = sample_design(areas, margin=0.1, deff=1.0, minimum=30)
    assert d.n == 900 and d.notes and "raised" in d.notes[0]
