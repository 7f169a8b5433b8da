"""The embedded real data set: ``city-macro-data`` (300 prefecture-level cities, 2000–2024, MIT).

Its Chinese column names are mapped onto the raw variables of ``people-city-2025``.
Industry shares are stored as fractions (0–1) although their headers say (%).
"""

from __future__ import annotations

import hashlib
from importlib import metadata

import pandas as pd

from citycheckup.data.readers import NAME, UNIT, YEAR, Dataset

__all__ = ["EMBEDDED_SOURCE", "VARIABLE_MAP", "load_city_macro"]

#: Source column (after removing line breaks) → framework variable code.
VARIABLE_MAP: dict[str, str] = {
    "地区生产总值(万元)": "gdp",
    "常住人口(万人)": "pop_resident",
    "户籍人口数(万人)": "pop_hukou",
    "行政区域土地面积(平方公里)": "land_area",
    "进出口总额（百万人民币）": "trade_total",
    "第三产业增加值占GDP比重(%)": "share_tertiary",
    "普通高等学校在校学生数(万人)": "students_higher",
    "一般公共预算支出(万元)": "exp_total",
    "一般公共预算支出_教育(万元)": "exp_education",
    "一般公共预算支出_科学技术(万元)": "exp_science",
    "一般公共预算收入(万元)": "revenue",
    "移动电话年末用户数(万户)": "mobile_users",
    "互联网宽带接入用户(万人）)": "broadband_users",
}

EMBEDDED_SOURCE = "city-macro-data (PyPI, MIT): 300 prefecture-level cities, 2000–2024"


def load_city_macro() -> Dataset:
    """The embedded panel as a :class:`Dataset` with framework variable codes.

    Returns
    -------
    Dataset
        7,500 rows (300 cities × 25 years); group column ``province``.
    """
    import city_macro_data

    raw = city_macro_data.load_data()
    raw.columns = [str(c).replace("\r", "").replace("\n", "") for c in raw.columns]
    data = pd.DataFrame(
        {
            UNIT: raw["城市代码"].astype("int64").astype(str),
            NAME: raw["城市"].astype(str),
            YEAR: raw["年份"].astype("int64"),
            "province": raw["省份"].astype(str),
            "province_code": raw["省份代码"].astype("int64").astype(str),
        }
    )
    for src, code in VARIABLE_MAP.items():
        data[code] = pd.to_numeric(raw[src], errors="coerce").astype("float64")
    version = metadata.version("city-macro-data")
    digest = hashlib.sha256(
        pd.util.hash_pandas_object(raw, index=False).to_numpy().tobytes()
    ).hexdigest()
    units = {
        "gdp": "万元",
        "pop_resident": "万人",
        "pop_hukou": "万人",
        "land_area": "km²",
        "trade_total": "百万元",
        "share_tertiary": "fraction (0–1)",
        "students_higher": "万人",
        "exp_total": "万元",
        "exp_education": "万元",
        "exp_science": "万元",
        "revenue": "万元",
        "mobile_users": "万户",
        "broadband_users": "万户",
    }
    return Dataset(
        data=data.sort_values([YEAR, UNIT]).reset_index(drop=True),
        source=f"{EMBEDDED_SOURCE}; version {version}",
        units=units,
        groups=["province", "province_code"],
        sha256=digest,
    )
