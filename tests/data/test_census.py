"""The embedded census table (2010, 2020) against the shared source file, and city-size classes.

Source file: ../shared/data/cities/china/census_city_2010-2020_v1.csv (leiii/census, MIT,
© 2022 Lei Dong; SOURCES.md entry A2). Official size classes on the 城区 basis: National Bureau
of Statistics, 《第七次全国人口普查超大、特大城市人口基本情况》, 《求是》2021年第18期.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from citycheckup.data.census import CENSUS_BASIS, CENSUS_SOURCE, CENSUS_YEARS, census_population
from citycheckup.data.identity import default_gazetteer
from citycheckup.diagnosis.peers import city_size_class
from citycheckup.errors import DataError

SOURCE = "cities/china/census_city_2010-2020_v1.csv"


@pytest.fixture(scope="module")
def source(shared_data: Path) -> pd.DataFrame:
    df = pd.read_csv(shared_data / SOURCE, dtype={"city_code": str}, usecols=lambda c: c != "coord")
    return df


@pytest.mark.parametrize("year", CENSUS_YEARS)
def test_table_equals_the_source_for_every_unit(source: pd.DataFrame, year: int) -> None:
    ours = census_population(year).set_index("unit_code")
    g = default_gazetteer()
    src = source.assign(unit_code=source["city_code"].map(g.canonical_code)).set_index("unit_code")
    assert sorted(ours.index) == sorted(src.index)
    for col, src_col in (("pop_total", f"popu_{year}"), ("pop_urban", f"popu_urban_{year}")):
        expected = src[src_col] / 1e4
        got = ours[col].reindex(expected.index)
        assert (got.isna() == expected.isna()).all(), col
        np.testing.assert_allclose(got.dropna(), expected.dropna(), rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    ("city", "code", "year", "total_persons", "urban_persons"),
    [
        ("北京市", "110000", 2020, 21893095, 19166433),
        ("重庆市", "500000", 2020, 32054159, 22264028),
        ("深圳市", "440300", 2020, 17560061, 17560061),
        ("济南市", "370100", 2010, 8112513, 5061727),  # includes 莱芜: boundaries of 2020
        ("三沙市", "460300", 2020, 2333, 2333),
    ],
)
def test_sample_of_cities(
    source: pd.DataFrame, city: str, code: str, year: int, total_persons: int, urban_persons: int
) -> None:
    row = source[source["city"] == city].iloc[0]
    assert (row[f"popu_{year}"], row[f"popu_urban_{year}"]) == (total_persons, urban_persons)
    ours = census_population(year).set_index("unit_code").loc[code]
    assert (ours["pop_total"], ours["pop_urban"]) == (total_persons / 1e4, urban_persons / 1e4)


def test_codes_are_gazetteer_codes() -> None:
    g = default_gazetteer()
    df = census_population(2020)
    assert all(c in g.cities for c in df["unit_code"])  # canonical codes, 110000 not 110100
    assert "110100" not in set(df["unit_code"]) and "341400" not in set(df["unit_code"])
    assert df["unit_code"].is_unique and list(df.columns) == [
        "unit_code",
        "year",
        "pop_total",
        "pop_urban",
    ]


def test_urban_never_exceeds_total() -> None:
    for year in CENSUS_YEARS:
        df = census_population(year, missing="drop")
        assert (df["pop_urban"] <= df["pop_total"]).all()


def test_missing_policies() -> None:
    keep = census_population(2020)
    drop = census_population(2020, missing="drop")
    assert len(keep) == 369 and len(drop) == 369 - 34
    assert keep["pop_urban"].isna().sum() == 34
    with pytest.raises(DataError, match=r"34 unit\(s\) have no census value for 2020") as info:
        census_population(2020, missing="raise")
    wheres = {p.where for p in info.value.problems}
    assert {"unit 650100", "unit 810000", "unit 220500"} <= wheres


def test_bad_arguments_are_errors() -> None:
    with pytest.raises(DataError, match=r"census year 2015 is not available.*2010, 2020"):
        census_population(2015)
    with pytest.raises(DataError, match=r"missing='ignore' is not a policy"):
        census_population(2020, missing="ignore")  # type: ignore[arg-type]


def test_source_and_basis_texts_are_bilingual() -> None:
    cjk = re.compile(r"[\u3400-\u9fff]")
    for text in (CENSUS_SOURCE, CENSUS_BASIS):
        assert set(text) == {"zh", "en"}
        assert cjk.search(text["zh"]) and not cjk.search(text["en"])
    assert "MIT" in CENSUS_SOURCE["zh"] and "MIT" in CENSUS_SOURCE["en"]
    assert "城区常住人口" in CENSUS_BASIS["zh"] and "overstated" in CENSUS_BASIS["en"]


# --- city-size classes with the 2020 urban population ---------------------------------------------
# 国发〔2014〕51号 lower bounds in 万人, written out here independently of diagnosis.peers.
BOUNDS = [
    ("megacity", 1000),
    ("supercity", 500),
    ("large_1", 300),
    ("large_2", 100),
    ("medium", 50),
    ("small_1", 20),
    ("small_2", 0),
]


def _classes(pop: pd.Series) -> pd.Series:
    out = city_size_class(pop)
    assert isinstance(out, pd.Series)
    return out


def _class(p: float) -> str | None:
    if p != p:
        return None
    return next(code for code, lo in BOUNDS if p >= lo)


def test_size_class_counts_2020() -> None:
    df = census_population(2020)
    ours = _classes(df["pop_urban"])
    independent = df["pop_urban"].map(_class)
    assert ours.equals(independent)
    counts = ours.fillna("missing").value_counts().to_dict()
    # measured on the embedded table (369 units incl. 30 province-administered county-level units)
    assert counts == {
        "megacity": 10,
        "supercity": 28,
        "large_1": 43,
        "large_2": 163,
        "medium": 52,
        "small_1": 19,
        "small_2": 20,
        "missing": 34,
    }


def test_size_classes_bound_the_official_ones() -> None:
    """The prefecture-wide urban population is at least the city-proper population, so every
    official 超大/特大 city (城区 basis) is at least as large here — and this basis adds more."""
    g = default_gazetteer()
    df = census_population(2020).set_index("unit_code")
    cls = _classes(df["pop_urban"])
    official_mega = ["上海", "北京", "深圳", "重庆", "广州", "成都", "天津"]
    official_super = [
        "武汉",
        "东莞",
        "西安",
        "杭州",
        "佛山",
        "南京",
        "沈阳",
        "青岛",
        "济南",
        "长沙",
        "哈尔滨",
        "郑州",
        "昆明",
        "大连",
    ]
    assert all(cls[g.match(c)] == "megacity" for c in official_mega)
    assert all(cls[g.match(c)] in {"megacity", "supercity"} for c in official_super)
    # the overstatement CENSUS_BASIS warns of: three more 超大 on this basis
    extra = {g.name_of(c) for c in cls[cls == "megacity"].index} - {
        g.name_of(g.match(c)) for c in official_mega
    }
    assert extra == {"苏州市", "武汉市", "西安市"}
