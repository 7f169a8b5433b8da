"""The data checks in the run report are in the reader's language, with names, not codes.

The technical messages (rule codes, column codes, values) stay in ``checks.csv``; the report
lists what was found, for which indicator, city and years — 三沙市's impossible values in the
embedded city-macro-data are the real case used here.
"""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from citycheckup.cli import app

CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    from citycheckup.data import load_city_macro

    d = load_city_macro().data
    base = tmp_path_factory.mktemp("checks")
    sub = d[
        d["unit_code"].isin(["460300", "460400", "460100", "420500"])
        & d["year"].between(2018, 2022)
    ]
    sub.to_csv(base / "data.csv", index=False)
    out = {}
    for lang in ("zh", "en"):
        r = CliRunner().invoke(
            app,
            [
                "run",
                "--data",
                str(base / "data.csv"),
                "--out",
                str(base / lang),
                "--invalid",
                "missing",
                "--uncertainty",
                "0",
                "--lang",
                lang,
            ],
        )
        assert r.exit_code == 0, r.output
        out[lang] = (base / lang / "report.html").read_text(encoding="utf-8")
    return out


def _checks(page: str, head: str) -> list[str]:
    part = page[page.index(f">{head}</h3>") :]
    part = part[: part.index("</ul>")]
    return [re.sub(r"<[^>]+>", "", li).strip() for li in part.split("<li>")[1:]]


def test_checks_read_in_chinese(reports: dict[str, str]) -> None:
    lines = _checks(reports["zh"], "数据检查")
    assert any(x.startswith("数值不可能（按缺失处理）：") and "三沙市" in x for x in lines)
    assert lines[-1] == "完整的检查记录见 checks.csv。"
    for x in lines[:-1]:
        assert not re.search(r"impossible|constant|warning|\[|[a-z]+_[a-z]+", x), (
            x
        )  # no rule or column codes


def test_checks_read_in_english(reports: dict[str, str]) -> None:
    lines = _checks(reports["en"], "Data checks")
    assert any(
        x.startswith("Impossible value (treated as missing): ") and "Sansha" in x for x in lines
    )
    assert not [x for x in lines if CJK.search(x)]
    assert "国发" not in reports["en"] and "Guofa [2014] No. 51" in reports["en"]
