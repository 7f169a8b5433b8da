"""Census population 2010 and 2020 by prefecture-level unit (total and urban, 万人).

A small table derived from Lei Dong's compilation of the 6th (2010) and 7th (2020) national
population census bulletins (GitHub ``leiii/census``, MIT licence, © 2022 Lei Dong), with
boundaries harmonised to 2020 (济南 2010 includes 莱芜; 合肥, 芜湖 and 马鞍山 2010 include the parts
of the former 巢湖). ``census_urban_2010_2020.md`` next to the table gives the attribution, the
licence and how ``tools/build_census_table.py`` derived it.

What it is not: the census urban population (城镇人口) of a whole prefecture counts every town
and county seat in it. The city-size classes of the State Council (国发〔2014〕51号) are defined on
the urban resident population of the city proper (城区常住人口), which is smaller — often much
smaller for prefectures with many counties. Classes computed from this table therefore
*overstate* city size; every page that shows such a class must name this basis
(:data:`CENSUS_BASIS`).
"""

from __future__ import annotations

import io
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import pandas as pd

from citycheckup.errors import DataError, Problem

__all__ = ["CENSUS_BASIS", "CENSUS_SOURCE", "CENSUS_YEARS", "census_population"]

#: The census years in the table.
CENSUS_YEARS: tuple[int, ...] = (2010, 2020)

#: Attribution and licence of the table, to print wherever its numbers are shown.
CENSUS_SOURCE: dict[str, str] = {
    "zh": "第六次（2010）、第七次（2020）全国人口普查常住人口与城镇人口，据 Lei Dong 等整理"
    "（GitHub leiii/census，MIT 许可，© 2022 Lei Dong），按2020年行政区划统一口径。",
    "en": "Resident and urban population of the 6th (2010) and 7th (2020) national population "
    "censuses, compiled by Lei Dong et al. (GitHub leiii/census, MIT licence, © 2022 Lei "
    "Dong), on 2020 boundaries.",
}

#: The basis of a city-size class computed from this table, with its caveat.
CENSUS_BASIS: dict[str, str] = {
    "zh": "规模等级依据：2020年人口普查全市域城镇人口（国发〔2014〕51号规定按城区常住人口划分；"
    "全市域城镇人口包括所辖县城和建制镇，高于城区常住人口，因此等级偏高）。",
    "en": "Size class basis: urban population of the whole prefecture in the 2020 census. The "
    "State Council's criteria (Guofa [2014] No. 51) use the urban resident population of the "
    "city proper; the prefecture-wide urban population also counts county seats and towns, "
    "so it is larger and the class is overstated.",
}

MissingPolicy = Literal["keep", "drop", "raise"]


@lru_cache(maxsize=1)
def _table() -> pd.DataFrame:
    text = (
        resources.files("citycheckup.data")
        .joinpath("census_urban_2010_2020.csv")
        .read_text(encoding="utf-8")
    )
    dtypes: dict[str, Any] = {
        "unit_code": str,
        "year": "int64",
        "pop_total": "float64",
        "pop_urban": "float64",
    }
    return pd.read_csv(io.StringIO(text), dtype=dtypes)


def census_population(year: int = 2020, *, missing: MissingPolicy = "keep") -> pd.DataFrame:
    """Resident and urban population of each unit in a census year, in 万人 (10,000 persons).

    Parameters
    ----------
    year
        2010 or 2020.
    missing
        What to do with units for which the source has no value: ``"keep"`` them with NaN
        (the default; 34 units lack the 2020 urban population, among them all of Xinjiang, 通化,
        周口, Hong Kong and Macao), ``"drop"`` them, or ``"raise"`` a :class:`DataError` that lists them.

    Returns
    -------
    pandas.DataFrame
        Columns ``unit_code`` (gazetteer code, e.g. ``110000`` for Beijing), ``year``,
        ``pop_total`` and ``pop_urban`` (万人), one row per unit, sorted by code.

    Notes
    -----
    ``pop_urban`` is the census 城镇人口 of the whole prefecture, not the 城区常住人口 on which the
    State Council's size classes are defined; see :data:`CENSUS_BASIS`.

    Examples
    --------
    >>> df = census_population(2020)
    >>> df.loc[df.unit_code == "110000", ["pop_total", "pop_urban"]].to_numpy().tolist()
    [[2189.3095, 1916.6433]]
    """
    if year not in CENSUS_YEARS:
        raise DataError(
            f"census year {year!r} is not available; the table has the census years "
            f"{', '.join(map(str, CENSUS_YEARS))}"
        )
    if missing not in ("keep", "drop", "raise"):
        raise DataError(f"missing={missing!r} is not a policy; use 'keep', 'drop' or 'raise'")
    df = _table()
    out = df[df["year"] == year].reset_index(drop=True).copy()
    gaps = out[out[["pop_total", "pop_urban"]].isna().any(axis=1)]
    if missing == "drop":
        out = out.drop(index=gaps.index).reset_index(drop=True)
    elif missing == "raise" and len(gaps):
        no_total = gaps["pop_total"].isna().tolist()
        problems = [
            Problem(
                f"no {'total and urban' if nt else 'urban'} population in the {year} census table",
                f"unit {code}",
            )
            for code, nt in zip(gaps["unit_code"].tolist(), no_total, strict=True)
        ]
        raise DataError(
            f"{len(gaps)} unit(s) have no census value for {year}; pass missing='drop' to leave "
            "them out or supply the values from the census bulletin",
            problems=problems,
        )
    return out
