"""Published check-up results embedded as package data: 宜昌 2025 (data date 2024-12-31).

宜昌 (Yichang, 420500) was one of MOHURD's sample cities of 2025. Its comprehensive check-up
report (2025年宜昌市城市综合体检报告, issued by 宜昌市住房和城市更新局) gives, at the data date
2024-12-31, the problem counts of the housing, community and block levels over the registers
of its survey area (8,302 residential buildings, 1,075 compounds, 120 communities, 16
sub-districts), a value and a grade (很好/较好/一般/不足) for each city-level indicator, aspect
grades (优/良/中/差) and the completion rate of the previous year's problems (61 %).

The figures were read through unofficial notes in a public GitHub repository (the report
itself was not seen); ``yichang_2025.md`` next to the table names every note, how each column
is defined and what the notes disagree on. Figures the publication does not give are absent,
never filled in.

Entry points
------------
:func:`load_yichang_2025`
    The figures as a :class:`~citycheckup.data.Dataset` (one row: unit 420500, year 2024),
    ready for :func:`citycheckup.checkup.run_mohurd` with the built-in ``mohurd-2025``.
:func:`yichang_2025_published`
    What the report itself concluded: the follow-up rate, the indicator grades and the
    aspect grades, to compare with the grades citycheckup computes.
:func:`yichang_2025_table`
    The whole table, one row per published figure, with where each was found.
"""

from __future__ import annotations

import hashlib
import io
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import pandas as pd

from citycheckup.data.identity import default_gazetteer
from citycheckup.data.readers import NAME, UNIT, YEAR, Dataset
from citycheckup.errors import DataError, Problem

__all__ = [
    "YICHANG_2025_COLUMNS",
    "YICHANG_2025_SOURCE",
    "YICHANG_CODE",
    "YICHANG_DATA_YEAR",
    "PublishedResults",
    "load_yichang_2025",
    "yichang_2025_published",
    "yichang_2025_table",
]


#: Administrative code of 宜昌市.
YICHANG_CODE = "420500"
#: Data year of the 2025 check-up (data date 2024-12-31).
YICHANG_DATA_YEAR = 2024
_FILE = "yichang_2025.csv"

#: The report the figures come from and the notes they were read through (print it wherever
#: the figures are shown).
YICHANG_2025_SOURCE: dict[str, str] = {
    "zh": "宜昌市住房和城市更新局《2025年宜昌市城市综合体检报告》（数据时点2024年12月31日；编制单位："
    "宜昌市城市规划设计研究院有限公司）及其附件1《指标汇总表》、附件2《上年度整治成效及指标监测情况》；"
    "数值转引自GitHub公开仓库tinsei0321/emotion_map中的非官方阅读笔记和附件表格副本（报告原件未见，"
    "笔记未声明许可协议）。",
    "en": "Yichang Housing and Urban Renewal Bureau (宜昌市住房和城市更新局), 2025 Yichang comprehensive "
    "city check-up report (2025年宜昌市城市综合体检报告; data date 31 December 2024; prepared by the "
    "Yichang Urban Planning and Design Institute), with its annex 1 (indicator summary table) and annex 2 "
    "(follow-up of the previous year and indicator monitoring); figures quoted from unofficial reading "
    "notes and a copy of the annex tables in the public GitHub repository tinsei0321/emotion_map (the "
    "report itself was not seen; the notes state no licence).",
}

#: Columns of ``yichang_2025.csv`` (defined in ``yichang_2025.md``).
YICHANG_2025_COLUMNS: tuple[str, ...] = (
    "kind",
    "level",
    "aspect_zh",
    "item",
    "mohurd_id",
    "code",
    "name_zh",
    "value",
    "unit",
    "denominator",
    "denominator_value",
    "year",
    "published_grade",
    "published_aspect_grade",
    "found_in",
    "note",
)
_KINDS = ("indicator", "denominator", "followup", "unmapped")
_LEVELS = {
    "indicator": ("housing", "community", "block", "city"),
    "denominator": ("housing", "community", "block"),
    "unmapped": ("city",),
    "followup": ("all", "housing", "community", "block", "city"),
}
#: 很好/较好/一般/不足 → the framework's indicator grade codes.
_GRADES = {"很好": "very_good", "较好": "good", "一般": "fair", "不足": "poor"}
#: 优/良/中/差 → the aspect grade codes of :func:`citycheckup.diagnosis.dimension_grades`.
_ASPECT_GRADES = {"优": "excellent", "良": "good", "中": "medium", "差": "poor"}


@dataclass(frozen=True)
class PublishedResults:
    """What a published check-up report concluded itself.

    Attributes
    ----------
    follow_up
        问题整治完成率 of the previous year's problems: ``unit_code``, ``year``, ``level``
        (``all``, ``housing``, ``community``, ``block``, ``city``), ``denominator`` (problems
        to fix; missing where unpublished), ``completed`` (missing where unpublished),
        ``rate`` (per cent), ``found_in``.
    grades
        One row per indicator the report graded: ``unit_code``, ``year``, ``item`` (its number
        in annex 1), ``mohurd_id``, ``indicator`` (the ``mohurd-2025`` code; empty when no
        indicator of the framework carries the figure), ``name_zh``, ``value`` (missing when the
        report graded without a single value), ``unit``, ``grade`` (``very_good`` … ``poor``),
        ``grade_zh`` (很好 … 不足).
    aspect_grades
        One row per city-level aspect the report graded (annex 1 repeats the grade on every row
        of the aspect): ``unit_code``, ``year``, ``aspect_zh`` (the report's category, e.g.
        生态宜居), ``items`` (the annex-1 numbers of its rows, comma-separated), ``grade``
        (``excellent`` … ``poor``, the codes of :func:`citycheckup.diagnosis.dimension_grades`)
        and ``grade_zh`` (优 … 差).
    """

    follow_up: pd.DataFrame
    grades: pd.DataFrame
    aspect_grades: pd.DataFrame


def _num(x: str) -> float:
    return float(x) if x.strip() else math.nan


@lru_cache(maxsize=1)
def _raw() -> tuple[str, str]:
    text = resources.files("citycheckup.data").joinpath(_FILE).read_text(encoding="utf-8")
    return text, hashlib.sha256(text.encode("utf-8")).hexdigest()


def _validated(text: str) -> pd.DataFrame:
    """Parse the table and check it; every problem is listed in one :class:`DataError`."""
    raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    where = f"citycheckup/data/{_FILE}"
    if tuple(raw.columns) != YICHANG_2025_COLUMNS:
        raise DataError(
            f"{where}: columns {list(raw.columns)} differ from {list(YICHANG_2025_COLUMNS)}; "
            "the package data is damaged: reinstall citycheckup"
        )
    problems: list[Problem] = []
    values, dens = [], []
    for n, r in enumerate(raw.itertuples(index=False), start=2):
        at = f"{where}, line {n}"
        if r.kind not in _KINDS:
            problems.append(Problem(f"kind {r.kind!r} is not one of {', '.join(_KINDS)}", at))
            values.append(math.nan)
            dens.append(math.nan)
            continue
        if r.level not in _LEVELS[r.kind]:
            problems.append(
                Problem(
                    f"level {r.level!r} is not one of {', '.join(_LEVELS[r.kind])} "
                    f"for a {r.kind} row",
                    at,
                )
            )
        try:
            v, d = _num(r.value), _num(r.denominator_value)
        except ValueError:
            problems.append(
                Problem(
                    f"value {r.value!r} or denominator_value {r.denominator_value!r} "
                    "is not a number",
                    at,
                )
            )
            v = d = math.nan
        values.append(v)
        dens.append(d)
        if r.kind in ("indicator", "denominator") and not r.code:
            problems.append(Problem(f"a {r.kind} row needs a code", at))
        if math.isnan(v) and not r.published_grade:
            problems.append(
                Problem("a row without a value must carry the grade the report gave", at)
            )
        if r.published_grade and r.published_grade not in _GRADES:
            problems.append(
                Problem(
                    f"published_grade {r.published_grade!r} is not one of {', '.join(_GRADES)}", at
                )
            )
        if r.published_aspect_grade and r.published_aspect_grade not in _ASPECT_GRADES:
            problems.append(
                Problem(
                    f"published_aspect_grade {r.published_aspect_grade!r} is not one of "
                    f"{', '.join(_ASPECT_GRADES)}",
                    at,
                )
            )
        if r.year != str(YICHANG_DATA_YEAR):
            problems.append(
                Problem(
                    f"year {r.year!r}: every figure is of the data year {YICHANG_DATA_YEAR}", at
                )
            )
        if not r.found_in:
            problems.append(Problem("found_in is empty: every figure names where it was read", at))
    table = raw.assign(value=values, denominator_value=dens, year=YICHANG_DATA_YEAR)
    loaded = table[table["kind"].isin(("indicator", "denominator")) & table["value"].notna()]
    for code in loaded.loc[loaded["code"].duplicated(), "code"].unique():
        problems.append(Problem(f"code {code} has more than one value", where))
    known = dict(zip(loaded["code"], loaded["value"], strict=True))
    for r in table[table["denominator_value"].notna()].itertuples(index=False):
        if (
            r.kind == "indicator"
            and r.denominator in known
            and known[r.denominator] != r.denominator_value
        ):
            problems.append(
                Problem(
                    f"{r.code}: denominator {r.denominator} = {r.denominator_value:g} differs "
                    f"from its own row ({known[r.denominator]:g})",
                    where,
                )
            )
    graded = table[table["published_aspect_grade"] != ""]
    for aspect, grades in graded.groupby("aspect_zh")["published_aspect_grade"]:
        if grades.nunique() > 1:
            problems.append(
                Problem(
                    f"aspect {aspect or '(none)'} has several aspect grades "
                    f"({', '.join(sorted(grades.unique()))}); annex 1 gives one per aspect",
                    where,
                )
            )
    if problems:
        raise DataError(
            f"{where}: the package table of 宜昌 2025 has {len(problems)} problem(s); "
            "the package data is damaged: reinstall citycheckup",
            problems=problems,
        )
    return table


@lru_cache(maxsize=1)
def _table() -> pd.DataFrame:
    return _validated(_raw()[0])


def yichang_2025_table() -> pd.DataFrame:
    """Every published figure of 宜昌's 2025 check-up embedded in the package, one per row.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`YICHANG_2025_COLUMNS` (defined in ``yichang_2025.md``);
        ``value`` and ``denominator_value`` as floats (missing where unpublished),
        ``year`` 2024. A copy: changing it changes nothing else.

    Examples
    --------
    >>> t = yichang_2025_table()
    >>> row = t.set_index("code").loc["builtup_population_density"]
    >>> float(row["value"]), row["published_grade"]
    (0.67, '不足')
    """
    return _table().copy()


def load_yichang_2025() -> Dataset:
    """宜昌's published 2025 check-up figures as a data set for the ``mohurd-2025`` framework.

    One row: ``unit_code`` 420500, ``unit_name`` 宜昌市, ``year`` 2024 (data date 2024-12-31),
    groups ``province`` and ``province_code``; one column per ``mohurd-2025`` indicator the
    report gives a value for, and one per denominator variable it publishes (the registers
    ``residential_buildings``, ``compounds``, ``communities``, ``blocks`` and the residential
    land ``block_residential_land_area`` of the block survey). Indicators the report does not
    give are absent (the check-up lists them as "no data"); figures that no indicator of the
    framework carries (宜昌's own special indicators, two values in another unit) and the
    follow-up rate are not columns: see :func:`yichang_2025_table` and
    :func:`yichang_2025_published`.

    Returns
    -------
    Dataset
        ``units`` gives each column's unit; ``source`` names the report
        (:data:`YICHANG_2025_SOURCE`); ``sha256`` is the hash of the package table.

    Examples
    --------
    >>> ds = load_yichang_2025()
    >>> ds.data[["unit_code", "year", "residential_buildings", "buildings_structural_hazard"]].to_dict("records")
    [{'unit_code': '420500', 'year': 2024, 'residential_buildings': 8302.0, 'buildings_structural_hazard': 42.0}]
    """
    t = _table()
    rows = t[t["kind"].isin(("indicator", "denominator")) & t["value"].notna()]
    city = default_gazetteer().cities[YICHANG_CODE]
    record: dict[str, object] = {
        UNIT: YICHANG_CODE,
        NAME: city.name,
        YEAR: YICHANG_DATA_YEAR,
        "province": city.province,
        "province_code": city.province_code,
    }
    record.update({c: float(v) for c, v in zip(rows["code"], rows["value"], strict=True)})
    # the register each count was taken over, as the report counted it (e.g. C-02 by community)
    ind = rows[
        (rows["kind"] == "indicator") & rows["denominator"].fillna("").astype(str).str.len().gt(0)
    ]
    return Dataset(
        data=pd.DataFrame([record]),
        source=f"{YICHANG_2025_SOURCE['en']} Package table citycheckup/data/{_FILE}.",
        units=dict(zip(rows["code"], rows["unit"], strict=True)),
        groups=["province", "province_code"],
        sha256=_raw()[1],
        denominators=dict(zip(ind["code"], ind["denominator"].astype(str), strict=True)),
    )


def yichang_2025_published() -> PublishedResults:
    """What 宜昌's 2025 report concluded: follow-up rate, indicator grades, aspect grades.

    Returns
    -------
    PublishedResults
        The report's own results, to show beside (and compare with) what citycheckup
        computes from the same figures. Grade-only rows (an indicator graded without one
        value, e.g. four peak-hour speeds graded 很好 together) keep ``value`` missing.

    Examples
    --------
    >>> p = yichang_2025_published()
    >>> p.follow_up.loc[p.follow_up["level"] == "all", ["denominator", "completed", "rate"]].to_dict("records")
    [{'denominator': 46.0, 'completed': 28.0, 'rate': 61.0}]
    """
    t = _table()
    fu = t[t["kind"] == "followup"]
    rate = fu[fu["code"] == "problem_completion_rate"]
    fixed = fu[fu["code"] == "problems_fixed"].set_index("level")["value"]
    follow_up = pd.DataFrame(
        {
            UNIT: YICHANG_CODE,
            YEAR: YICHANG_DATA_YEAR,
            "level": rate["level"].to_numpy(),
            "denominator": rate["denominator_value"].to_numpy(dtype="float64"),
            "completed": rate["level"].map(fixed).to_numpy(dtype="float64"),
            "rate": rate["value"].to_numpy(dtype="float64"),
            "found_in": rate["found_in"].to_numpy(),
        }
    )
    g = t[t["published_grade"] != ""]
    grades = pd.DataFrame(
        {
            UNIT: YICHANG_CODE,
            YEAR: YICHANG_DATA_YEAR,
            "item": g["item"].to_numpy(),
            "mohurd_id": g["mohurd_id"].to_numpy(),
            "indicator": g["code"].to_numpy(),
            "name_zh": g["name_zh"].to_numpy(),
            "value": g["value"].to_numpy(dtype="float64"),
            "unit": g["unit"].to_numpy(),
            "grade": g["published_grade"].map(_GRADES).to_numpy(),
            "grade_zh": g["published_grade"].to_numpy(),
        }
    )
    a = t[t["published_aspect_grade"] != ""]
    arows = []
    for aspect, grp in a.groupby("aspect_zh", sort=False):
        grade_zh = grp["published_aspect_grade"].unique()  # one per aspect (checked on loading)
        arows.append(
            {
                UNIT: YICHANG_CODE,
                YEAR: YICHANG_DATA_YEAR,
                "aspect_zh": aspect,
                "items": ",".join(grp["item"]),
                "grade": _ASPECT_GRADES[grade_zh[0]],
                "grade_zh": grade_zh[0],
            }
        )
    aspect_grades = pd.DataFrame(
        arows, columns=[UNIT, YEAR, "aspect_zh", "items", "grade", "grade_zh"]
    )
    return PublishedResults(
        follow_up=follow_up.reset_index(drop=True),
        grades=grades.reset_index(drop=True),
        aspect_grades=aspect_grades,
    )
