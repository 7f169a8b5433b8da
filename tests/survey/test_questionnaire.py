"""The questionnaire: the standard one is complete and bilingual; the loader reports every problem with file:line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from citycheckup.framework import load_framework
from citycheckup.survey import QuestionnaireError, builtin_questionnaire, load_questionnaire
from citycheckup.survey.questionnaire import LEVELS, ROLES

CJK = re.compile(r"[\u3400-\u9fff]")
BUILTIN = (
    Path(__file__).resolve().parents[2] / "src" / "citycheckup" / "survey" / "questionnaire.yaml"
)


def test_builtin_covers_every_level_and_aspect_and_links_to_the_framework() -> None:
    q = load_questionnaire(framework=load_framework("people-city-2025"))
    assert [lev.code for lev in q.levels] == list(LEVELS)
    city = {a.label_zh for a in q.level("city").aspects}
    assert city == {"生态宜居", "历史文化保护利用", "产城融合、职住平衡", "安全韧性", "智慧高效"}
    for lev in q.levels:
        for a in lev.aspects:
            assert any(x.level == lev.code and x.aspect == a.code for x in q.questions), (
                lev.code,
                a.code,
            )
    assert q.question("C1").indicator == "share_communities_without_elderly_care"
    assert q.question("C1").mohurd_id == "C-01"
    assert [o.label_zh for o in q.scale] == [
        "非常满意",
        "满意",
        "一般",
        "不满意",
        "非常不满意",
        "不清楚",
        "不适用",
    ]
    assert q.scores == {"5": 100.0, "4": 75.0, "3": 50.0, "2": 25.0, "1": 0.0}
    assert q.unscored == ("dk", "na")
    assert sorted(d.role for d in q.demographics) == sorted(ROLES)


def test_builtin_texts_are_bilingual_without_leaks() -> None:
    q = builtin_questionnaire()
    texts = [(q.title_zh, q.title_en), (q.intro_zh, q.intro_en)]
    texts += [(x.label_zh, x.label_en) for x in q.questions] + [
        (x.text_zh, x.text_en) for x in q.questions
    ]
    texts += [(o.label_zh, o.label_en) for o in q.scale]
    texts += [(lev.label_zh, lev.label_en) for lev in q.levels]
    texts += [(a.label_zh, a.label_en) for lev in q.levels for a in lev.aspects]
    texts += [(d.text_zh, d.text_en) for d in q.demographics]
    for zh, en in texts:
        assert zh and en
        assert CJK.search(zh), zh
        assert not CJK.search(en), en


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "q.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_every_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    text = BUILTIN.read_text(encoding="utf-8")
    bad = (
        text.replace(
            "    aspect: safe_durable\n    label_zh: 房屋结构安全",
            "    aspect: nonexistent\n    label_zh: 房屋结构安全",
        )
        .replace("label_en: Gas safety", "label_en: 燃气安全")
        .replace("  - id: C2\n", "  - id: C1\n")
        .replace("    mohurd_id: H-07\n", "    mohurd_id: H7\n")
        .replace('{code: "4", score: 75,', '{code: "4", score: 175,')
    )
    bad += (
        "  - id: X1\n    level: city\n    aspect: eco_livable\n    label_zh: 联系方式\n    label_en: Contact\n"
        "    text_zh: 请留下您的手机号\n    text_en: Please leave your phone number\n    colour: red\n"
    )
    p = _write(tmp_path, bad)
    with pytest.raises(QuestionnaireError) as ei:
        load_questionnaire(p)
    msgs = [str(x) for x in ei.value.problems]
    want = {
        "aspect 'nonexistent' is not an aspect of level housing": _line_of(
            bad, "aspect: nonexistent"
        ),
        "label_en '燃气安全' contains Chinese characters": _line_of(bad, "label_en: 燃气安全"),
        "question id 'C1' is used twice": [
            i for i, ln in enumerate(bad.splitlines(), 1) if ln == "  - id: C1"
        ][1],
        "mohurd_id 'H7' must look like H-01": _line_of(bad, "mohurd_id: H7"),
        "score of option '4' must be a number from 0 to 100": _line_of(bad, "score: 175"),
        "asks for personal data": _line_of(bad, "text_zh: 请留下您的手机号"),
        "unknown key 'colour'": _line_of(bad, "colour: red"),
    }
    for needle, line in want.items():
        hits = [m for m in msgs if needle in m]
        assert hits, (needle, msgs)
        assert any(m.startswith(f"{p}:{line}:") for m in hits), (needle, line, hits)
    # the English personal-data question is reported too, on its own line
    assert any(
        m.startswith(f"{p}:{_line_of(bad, 'text_en: Please leave your phone number')}:")
        for m in msgs
    )


def test_demographics_beyond_weighting_are_refused(tmp_path: Path) -> None:
    text = BUILTIN.read_text(encoding="utf-8")
    bad = text.replace("  - id: sex\n    role: sex\n", "  - id: income\n    role: income\n")
    with pytest.raises(QuestionnaireError) as ei:
        load_questionnaire(_write(tmp_path, bad))
    msg = str(ei.value)
    assert "role 'income' is not allowed" in msg
    assert "the 'sex' question is missing" in msg


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    p = _write(tmp_path, "code: x\nversion: '1'\nscale: [\n")
    with pytest.raises(QuestionnaireError) as ei:
        load_questionnaire(p)
    assert any(str(x).startswith(f"{p}:") for x in ei.value.problems)


def test_framework_link_mismatch_is_reported(tmp_path: Path) -> None:
    text = (
        BUILTIN.read_text(encoding="utf-8")
        .replace(
            "    indicator: share_communities_without_elderly_care\n",
            "    indicator: no_such_indicator\n",
        )
        .replace(
            "    indicator: share_buildings_gas_hazard\n    mohurd_id: H-02\n",
            "    indicator: share_buildings_gas_hazard\n    mohurd_id: H-03\n",
        )
    )
    p = _write(tmp_path, text)
    load_questionnaire(p)  # without a framework the links are only checked for form
    with pytest.raises(QuestionnaireError) as ei:
        load_questionnaire(p, framework=load_framework("people-city-2025"))
    msg = str(ei.value)
    assert "indicator 'no_such_indicator' is not in framework" in msg
    assert "mohurd_id H-03 disagrees with indicator share_buildings_gas_hazard" in msg


def test_missing_file_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(QuestionnaireError, match="citycheckup survey questionnaire --out"):
        load_questionnaire(tmp_path / "none.yaml")
