"""YAML validation: every rule reports its message at ``file:line``, and all problems come together."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from citycheckup.errors import FrameworkError
from citycheckup.framework import load_framework, load_framework_yaml

DATA = Path(__file__).resolve().parents[1] / "data" / "framework"

HEAD = """\
code: t
name_zh: 测试
name_en: Test
variables:
  - {code: pop, name_zh: 人口, name_en: Population, unit: 万人}
dimensions:
  - code: d1
    name_zh: 维度
    name_en: Dimension
    indicators:
"""


def indicator(
    code: str = "a",
    *,
    direction: str = "1",
    weight: str = "1",
    level: str = "city",
    extra: str = "",
) -> str:
    """One indicator entry of HEAD's dimension; ``extra`` lines are added at the indicator's indent."""
    text = (
        f"      - code: {code}\n"
        "        name_zh: 指标\n"
        "        name_en: Indicator\n"
        '        unit: "%"\n'
        f"        direction: {direction}\n"
        f"        weight: {weight}\n"
        f"        level: {level}\n"
    )
    if extra:
        text += textwrap.indent(textwrap.dedent(extra), " " * 8)
    return text


def line_of(text: str, marker: str, nth: int = 1) -> int:
    """1-based line number of the ``nth`` line containing ``marker``."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if marker in line]
    assert len(hits) >= nth, f"{marker!r} not found {nth} time(s)"
    return hits[nth - 1]


def problems_of(tmp_path: Path, text: str) -> tuple[Path, FrameworkError]:
    path = tmp_path / "fw.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FrameworkError) as info:
        load_framework_yaml(path)
    return path, info.value


def single_problem(tmp_path: Path, text: str, marker: str, match: str, nth: int = 1) -> None:
    """The file has exactly one problem, at the line of ``marker``, whose message contains ``match``."""
    path, exc = problems_of(tmp_path, text)
    assert len(exc.problems) == 1, [str(p) for p in exc.problems]
    (p,) = exc.problems
    assert p.where == f"{path}:{line_of(text, marker, nth)}", str(p)
    assert match in p.message, p.message
    assert f"{path}:{line_of(text, marker, nth)}: " in str(exc)


# -- the happy path --------------------------------------------------------------------------------
def test_valid_minimal_file_loads() -> None:
    fw = load_framework_yaml(DATA / "minimal.yaml")
    assert fw.code == "mini" and fw.index_code == "idx"
    assert fw.indicator_codes == ["park_area_per_capita", "pm25", "gdp_per_capita"]
    assert fw.parent_of()["parks"] == "green"
    assert fw.indicator("pm25").weight == 0.5


def test_head_template_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(
        HEAD + indicator("a") + indicator("b", extra="formula: pop * 2\n"), encoding="utf-8"
    )
    fw = load_framework(path)
    assert fw.indicator_codes == ["a", "b"]


def test_missing_file() -> None:
    with pytest.raises(FrameworkError, match="does not exist"):
        load_framework_yaml("/nonexistent/framework.yaml")
    with pytest.raises(FrameworkError, match="neither a built-in name"):
        load_framework("no-such-framework")


# -- one rule per test -----------------------------------------------------------------------------
def test_duplicate_code(tmp_path: Path) -> None:
    text = HEAD + indicator("a") + indicator("a")
    path, exc = problems_of(tmp_path, text)
    assert len(exc.problems) == 1
    (p,) = exc.problems
    first, second = line_of(text, "- code: a"), line_of(text, "- code: a", 2)
    assert p.where == f"{path}:{second}"
    assert f"code 'a' is used twice (first at {path}:{first})" in p.message


def test_duplicate_code_between_dimension_and_indicator(tmp_path: Path) -> None:
    text = HEAD + indicator("d1")
    single_problem(tmp_path, text, "- code: d1", "code 'd1' is used twice", nth=2)


@pytest.mark.parametrize("code", ["指标a", "park-area", "1st", "a b"])
def test_bad_code(tmp_path: Path, code: str) -> None:
    text = HEAD + indicator(f'"{code}"')
    single_problem(tmp_path, text, f'- code: "{code}"', "must be an ASCII identifier")


@pytest.mark.parametrize("direction", ["2", "0", "up"])
def test_direction_not_plus_minus_one(tmp_path: Path, direction: str) -> None:
    text = HEAD + indicator(direction=direction)
    single_problem(tmp_path, text, f"direction: {direction}", "Input should be 1 or -1")


def test_negative_weight(tmp_path: Path) -> None:
    text = HEAD + indicator(weight="-0.5")
    single_problem(tmp_path, text, "weight: -0.5", "greater than or equal to 0")


def test_unknown_level(tmp_path: Path) -> None:
    text = HEAD + indicator(level="district")
    single_problem(tmp_path, text, "level: district", "'housing', 'community', 'block' or 'city'")


def test_grading_without_source(tmp_path: Path) -> None:
    text = HEAD + indicator(extra="grading:\n  cutoffs: [90, 80, 70]\n")
    single_problem(tmp_path, text, "grading:", "grading thresholds need a 'source' citation")


@pytest.mark.parametrize(
    ("direction", "cutoffs", "match"),
    [
        ("1", "[70, 80, 90]", "direction +1 (higher is better) needs cutoffs in decreasing order"),
        ("-1", "[90, 80, 70]", "direction -1 (lower is better) needs cutoffs in increasing order"),
    ],
)
def test_cutoffs_in_wrong_order_for_direction(
    tmp_path: Path, direction: str, cutoffs: str, match: str
) -> None:
    text = HEAD + indicator(
        direction=direction, extra=f"grading:\n  cutoffs: {cutoffs}\n  source: GB 1-2000\n"
    )
    single_problem(tmp_path, text, "cutoffs:", match)


def test_cutoffs_not_monotone(tmp_path: Path) -> None:
    text = HEAD + indicator(extra="grading:\n  cutoffs: [90, 70, 80]\n  source: GB 1-2000\n")
    single_problem(tmp_path, text, "grading:", "strictly monotone")


def test_overlapping_bands(tmp_path: Path) -> None:
    text = HEAD + indicator(
        extra=(
            "grading:\n"
            "  bands:\n"
            "    - {grade: good, lower: 0, upper: 10}\n"
            "    - {grade: poor, lower: 5}\n"
            "  source: GB 1-2000\n"
        )
    )
    single_problem(tmp_path, text, "grading:", "grading bands good and poor overlap on [5.0, 10.0)")


def test_formula_with_unknown_variable(tmp_path: Path) -> None:
    text = HEAD + indicator(extra="formula: gdp / pop\n")
    single_problem(
        tmp_path, text, "formula:", "uses unknown variable(s) gdp; declare them under 'variables:'"
    )


def test_formula_may_not_use_a_dimension_code(tmp_path: Path) -> None:
    text = HEAD + indicator(extra="formula: d1 / pop\n")
    single_problem(tmp_path, text, "formula:", "unknown variable(s) d1")


def test_formula_may_use_another_indicator(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(
        HEAD + indicator("a") + indicator("b", extra="formula: a / pop\n"), encoding="utf-8"
    )
    assert load_framework_yaml(path).indicator("b").formula == "a / pop"


def test_formula_referring_to_itself(tmp_path: Path) -> None:
    text = HEAD + indicator("a", extra="formula: a * pop\n")
    single_problem(tmp_path, text, "formula:", "refers to the indicator itself")


@pytest.mark.parametrize(
    ("formula", "match"),
    [
        ("\"__import__('os').system('true')\"", "is not allowed"),
        ("exp(pop)", "function 'exp' is not allowed"),
        ("pop.real", "Attribute is not allowed"),
    ],
)
def test_formula_with_forbidden_call(tmp_path: Path, formula: str, match: str) -> None:
    text = HEAD + indicator(extra=f"formula: {formula}\n")
    path, exc = problems_of(tmp_path, text)
    assert len(exc.problems) == 1, [str(p) for p in exc.problems]
    (p,) = exc.problems
    assert p.where == f"{path}:{line_of(text, 'formula:')}"
    assert match in p.message
    assert "\n" not in p.message


def test_formula_syntax_error(tmp_path: Path) -> None:
    text = HEAD + indicator(extra="formula: pop +\n")
    single_problem(tmp_path, text, "formula:", "is not a valid expression")


def test_dimension_without_indicators_or_subdimensions(tmp_path: Path) -> None:
    text = HEAD + indicator("a") + "  - code: d2\n    name_zh: 空维度\n    name_en: Empty\n"
    single_problem(
        tmp_path, text, "- code: d2", "dimension d2 has neither sub-dimensions nor indicators"
    )


def test_dimension_with_both_indicators_and_subdimensions(tmp_path: Path) -> None:
    text = (
        HEAD
        + indicator("a")
        + (
            "    dimensions:\n"
            "      - code: sub\n"
            "        name_zh: 子维度\n"
            "        name_en: Sub\n"
            "        indicators:\n"
        )
        + textwrap.indent(indicator("b"), "    ")
    )
    single_problem(tmp_path, text, "- code: d1", "has both sub-dimensions and indicators")


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    text = HEAD + indicator("a").replace(
        '        unit: "%"\n', '        unit: "%"\n        unit: km\n'
    )
    single_problem(tmp_path, text, "unit: km", "key 'unit' appears twice in the same mapping")


def test_invalid_yaml_syntax(tmp_path: Path) -> None:
    text = HEAD + indicator("a") + "      - code: [unclosed\n        name_zh: x\n"
    path = tmp_path / "fw.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FrameworkError, match="is not valid YAML") as info:
        load_framework_yaml(path)
    (p,) = info.value.problems
    where, _, line = p.where.rpartition(":")
    assert where == str(path)
    assert int(line) >= line_of(text, "[unclosed")
    assert str(path) in p.message and "<unicode string>" not in p.message


def test_invalid_yaml_tab_indentation(tmp_path: Path) -> None:
    text = HEAD + indicator("a").replace("        level: city", "\tlevel: city")
    path = tmp_path / "fw.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FrameworkError, match="is not valid YAML") as info:
        load_framework_yaml(path)
    assert info.value.problems[0].where == f"{path}:{line_of(text, chr(9) + 'level')}"


def test_top_level_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "fw.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(FrameworkError, match="must hold a mapping"):
        load_framework_yaml(path)


def test_target_must_be_a_number(tmp_path: Path) -> None:
    text = HEAD + indicator(extra="target: high\n")
    single_problem(tmp_path, text, "target:", "target must be a number, got 'high'")


# -- many problems at once ---------------------------------------------------------------------------
def test_all_problems_reported_together() -> None:
    path = DATA / "many_problems.yaml"
    text = path.read_text(encoding="utf-8")
    with pytest.raises(FrameworkError) as info:
        load_framework_yaml(path)
    exc = info.value
    expected = [
        (line_of(text, "direction: 2"), "direction: Input should be 1 or -1"),
        (line_of(text, "- code: a", 2), "code 'a' is used twice"),
        (line_of(text, "weight: -1"), "greater than or equal to 0"),
        (line_of(text, "level: district"), "'housing', 'community', 'block' or 'city'"),
        (line_of(text, "formula: gdp / pop"), "unknown variable(s) gdp"),
        (line_of(text, "grading:"), "need a 'source' citation"),
        (
            line_of(text, "cutoffs:"),
            "direction -1 (lower is better) needs cutoffs in increasing order",
        ),
    ]
    assert len(exc.problems) == len(expected) == 7, [str(p) for p in exc.problems]
    for problem, (line, match) in zip(exc.problems, expected, strict=True):
        assert problem.where == f"{path}:{line}", str(problem)
        assert match in problem.message, str(problem)
    assert "(7 problem(s))" in str(exc)
    assert [int(p.where.rpartition(":")[2]) for p in exc.problems] == [16, 19, 24, 25, 33, 34, 35]


def test_problems_in_two_dimensions_are_all_reported(tmp_path: Path) -> None:
    text = (
        HEAD
        + indicator("a", direction="3")
        + "  - code: d2\n    name_zh: 维度二\n    name_en: Two\n    indicators:\n"
        + indicator("b", level="town")
        + indicator("a")
    )
    path, exc = problems_of(tmp_path, text)
    lines = sorted(int(p.where.rpartition(":")[2]) for p in exc.problems)
    assert lines == [
        line_of(text, "direction: 3"),
        line_of(text, "level: town"),
        line_of(text, "- code: a", 2),
    ]
