"""Problem inventories: 问题清单 → 整治建议 → 城市更新项目库.

Levels ``housing``, ``community`` and ``block`` of the MOHURD check-up give located
problem counts (target zero). This module turns them into a problem list with a
suggested 整治类型 (限时解决 ``time_limited`` / 尽力解决 ``best_effort``) and a
responsible department, from the editable remediation catalogue (``remediation.yaml``,
package data of :mod:`citycheckup.inventory`, the single source of truth shared with the
problem lifecycle), and groups the list into an urban-renewal project list.

Sources of problems:

- spatial results (:mod:`citycheckup.spatial` writes ``indicators.csv`` per district and
  ``homes.gpkg``): districts whose coverage is below the mapping's ``standard``, with the
  homes (population weight) beyond the walking distance as the located count;
- user problem tables (CSV/XLSX): one row per located problem with an indicator code.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from citycheckup.errors import DataError, Problem
from citycheckup.framework.models import Framework
from citycheckup.inventory._catalogue import REMEDIATION_TYPES, load_catalogue

__all__ = [
    "PROBLEM_COLUMNS",
    "PROJECT_COLUMNS",
    "REMEDIATION_TYPES",
    "load_remediation_mapping",
    "problem_list",
    "problems_from_spatial",
    "problems_from_table",
    "renewal_projects",
]

log = logging.getLogger(__name__)

_FIELDS = (
    "category_zh",
    "category_en",
    "measure_zh",
    "measure_en",
    "remediation",
    "department_zh",
    "department_en",
)

PROBLEM_COLUMNS = [
    "problem_id",
    "source",
    "level",
    "indicator",
    "name_zh",
    "name_en",
    "district",
    "location",
    "count",
    "count_unit",
    "value",
    "standard",
    "description",
    "category_zh",
    "category_en",
    "remediation",
    "remediation_zh",
    "measure_zh",
    "measure_en",
    "department_zh",
    "department_en",
]
PROJECT_COLUMNS = [
    "project_id",
    "district",
    "name_zh",
    "name_en",
    "category_zh",
    "category_en",
    "remediation",
    "remediation_zh",
    "department_zh",
    "department_en",
    "indicators",
    "n_problems",
    "problem_ids",
    "locations",
]

_TABLE_ALIASES: dict[str, tuple[str, ...]] = {
    "indicator": ("indicator", "indicator_code", "code", "指标代码", "指标"),
    "district": ("district", "street", "街道", "街区", "所在街道", "片区", "区县"),
    "location": ("location", "address", "位置", "地点", "小区", "楼栋", "点位"),
    "count": ("count", "n", "数量", "问题数量"),
    "description": ("description", "note", "问题描述", "描述", "备注"),
}


def load_remediation_mapping(path: str | Path | None = None) -> dict[str, Any]:
    """The problem → remediation mapping: the package default, updated with ``path``.

    The mapping is the remediation catalogue of :mod:`citycheckup.inventory`
    (:func:`citycheckup.inventory.load_catalogue`): one file serves both the problem
    lists of reports and the problem lifecycle.

    Parameters
    ----------
    path
        A YAML file with ``indicators: {code: {field: value}}`` (and optionally
        ``default:`` and ``deadline_days:``). Its entries replace the defaults' fields of
        the same code.

    Raises
    ------
    DataError
        When the file is unreadable or an entry has an unknown ``remediation`` type.
    """
    return load_catalogue(path)


def _entry(mapping: dict[str, Any], code: str) -> dict[str, Any]:
    e = dict(mapping["default"])
    e.update(mapping["indicators"].get(code, {}))
    return e


def problems_from_spatial(
    indicators: pd.DataFrame | str | Path,
    *,
    homes: pd.DataFrame | str | Path | None = None,
    mapping: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Located problems from spatial results: districts below the coverage standard.

    Parameters
    ----------
    indicators
        ``indicators.csv`` of a spatial run (one row per district; the whole-area row
        ``ALL`` is skipped), or the table itself.
    homes
        ``homes.gpkg`` (or a table with ``district``, ``weight`` and distance columns):
        homes beyond the mapping's ``homes.distance_m`` are counted per district. ``homes``
        may list several ``{column, distance_m}``: a home is served when any of them holds
        (a park rule with radii by park size); columns missing from the table are skipped.
    mapping
        From :func:`load_remediation_mapping` (default: the package mapping).

    Returns
    -------
    pandas.DataFrame
        ``source, level, indicator, district, location, count, count_unit, value, standard,
        description`` — one row per district and coverage indicator below its standard.
    """
    mapping = mapping or load_remediation_mapping()
    ind = pd.read_csv(indicators) if isinstance(indicators, (str, Path)) else indicators
    if "district" not in ind.columns:
        raise DataError(
            "spatial indicators need a 'district' column (the indicators.csv of a spatial run)"
        )
    ind = ind[ind["district"].astype(str) != "ALL"]
    hm: pd.DataFrame | None = None
    if homes is not None:
        if isinstance(homes, (str, Path)):
            import geopandas as gpd  # optional: only to read a GeoPackage

            hm = pd.DataFrame(gpd.read_file(homes).drop(columns="geometry"))
        else:
            hm = homes
    rows = []
    for code, e in mapping["indicators"].items():
        std = e.get("standard")
        if std is None or code not in ind.columns:
            continue
        for d, v in zip(ind["district"].astype(str), ind[code].astype("float64"), strict=True):
            if np.isnan(v) or v >= float(std):
                continue
            count: float = np.nan
            unit = "%"
            # one {column, distance_m} or a list of them: a home is served when any applies
            alts = e.get("homes") or []
            alts = [a for a in ([alts] if isinstance(alts, dict) else alts)
                    if hm is not None and a["column"] in hm.columns]  # fmt: skip
            if hm is not None and alts:
                sel = hm[hm["district"].astype(str) == d]
                served = np.zeros(len(sel), dtype=bool)
                for a in alts:
                    served |= (
                        sel[a["column"]].astype("float64") <= float(a["distance_m"])
                    ).to_numpy()
                far = ~served
                w = (
                    sel["weight"].astype("float64")
                    if "weight" in sel.columns
                    else pd.Series(1.0, index=sel.index)
                )
                count = float(np.round(w[far].sum()))
                unit = "persons"
            rows.append(
                {
                    "source": "spatial",
                    "indicator": code,
                    "district": d,
                    "location": d,
                    "count": count if not np.isnan(count) else round(float(std) - float(v), 1),
                    "count_unit": unit if not np.isnan(count) else "pp below standard",
                    "value": float(v),
                    "standard": float(std),
                    "description": f"{code} {v:.1f} % < {float(std):g} %",
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "source",
            "indicator",
            "district",
            "location",
            "count",
            "count_unit",
            "value",
            "standard",
            "description",
        ],
    )


def problems_from_table(
    table: pd.DataFrame | str | Path, *, known: set[str] | None = None
) -> pd.DataFrame:
    """Located problems from a user table (one row per problem).

    Columns (Chinese aliases accepted): ``indicator`` (code, required), ``district``,
    ``location`` (required), ``count`` (default 1), ``description``; a ``unit_code``
    column (several cities in one table) is kept.

    Raises
    ------
    DataError
        Listing every row with a missing location, an unknown indicator code (when
        ``known`` is given) or a count that is not a non-negative number.
    """
    if isinstance(table, (str, Path)):
        from citycheckup.data.readers import read_table

        df = read_table(table)
        src = str(table)
    else:
        df = table.copy()
        src = "problem table"
    lower = {str(c).strip().lower(): c for c in df.columns}
    cols: dict[str, Any] = {}
    for key, aliases in _TABLE_ALIASES.items():
        cols[key] = next((lower[a] for a in aliases if a in lower), None)
    if cols["indicator"] is None or cols["location"] is None:
        raise DataError(
            f"{src}: a problem table needs columns 'indicator' (code) and 'location'; it has "
            f"{', '.join(map(str, df.columns))}"
        )
    out = pd.DataFrame(
        {
            "source": "table",
            "indicator": df[cols["indicator"]].astype(str).str.strip(),
            "district": df[cols["district"]].astype(str) if cols["district"] else "",
            "location": df[cols["location"]],
            "description": df[cols["description"]].astype(str) if cols["description"] else "",
        }
    )
    raw = df[cols["count"]] if cols["count"] else pd.Series(1, index=df.index)
    out["count"] = pd.to_numeric(raw, errors="coerce")
    problems = []
    for i in range(len(out)):
        row_no = i + 2  # header is row 1
        if pd.isna(out["location"].iloc[i]) or str(out["location"].iloc[i]).strip() == "":
            problems.append(
                Problem(
                    "location is empty; give the building, compound or street",
                    f"{src} row {row_no}",
                )
            )
        if known is not None and out["indicator"].iloc[i] not in known:
            problems.append(
                Problem(
                    f"unknown indicator code {out['indicator'].iloc[i]!r}; use a code of the "
                    "framework or of the remediation mapping",
                    f"{src} row {row_no}",
                )
            )
        c = out["count"].iloc[i]
        if pd.isna(c) or c < 0:
            problems.append(
                Problem(
                    f"count {raw.iloc[i]!r} is not a non-negative number", f"{src} row {row_no}"
                )
            )
    if problems:
        raise DataError(f"{src}: {len(problems)} invalid problem row(s)", problems=problems)
    out["location"] = out["location"].astype(str)
    unit_col = lower.get("unit_code")
    if unit_col is not None:
        out["unit_code"] = df[unit_col].astype(str).to_numpy()
    out["count_unit"] = ""
    out["value"] = np.nan
    out["standard"] = np.nan
    return out


def problem_list(
    problems: pd.DataFrame | list[pd.DataFrame],
    fw: Framework | None = None,
    *,
    mapping: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """The 问题清单: located problems with level, names and the suggested remediation.

    Parameters
    ----------
    problems
        Output(s) of :func:`problems_from_spatial` / :func:`problems_from_table`.
    fw
        Framework for the indicators' level and names (indicators not in it are ``block``).
    mapping
        From :func:`load_remediation_mapping`.

    Returns
    -------
    pandas.DataFrame
        :data:`PROBLEM_COLUMNS` (plus ``unit_code`` when the input has it), ordered 限时解决
        first, then by level, district, indicator; ``problem_id`` is ``P0001`` ….
    """
    mapping = mapping or load_remediation_mapping()
    frames = problems if isinstance(problems, list) else [problems]
    frames = [f for f in frames if f is not None and not f.empty]
    if not frames:
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    p = pd.concat(frames, ignore_index=True)
    inds = {i.code: i for i in fw.indicators} if fw is not None else {}
    # a problem type may be the numerator variable of a share (hazardous buildings of
    # "share of buildings with hazards"): it takes that indicator's level and its own names
    owner: dict[str, Any] = {}
    if fw is not None:
        from citycheckup.indicators.formula import parse_formula

        for i in fw.indicators:
            if i.formula and i.denominator:
                for name in parse_formula(i.formula).names - {i.denominator}:
                    owner.setdefault(name, i)
    levels = {"housing": 0, "community": 1, "block": 2, "city": 3}
    recs = []
    for r in p.to_dict("records"):
        code = r["indicator"]
        e = _entry(mapping, code)
        ind = inds.get(code)
        var = fw.variable(code) if fw is not None and ind is None else None
        named = ind if ind is not None else var
        lev_src = ind if ind is not None else owner.get(code)
        recs.append(
            {
                **r,
                "level": lev_src.level if lev_src is not None else "block",
                "name_zh": named.name_zh if named is not None else code,
                "name_en": named.name_en if named is not None else code,
                "count_unit": r.get("count_unit") or (named.unit if named is not None else ""),
                **{k: e.get(k, "") for k in _FIELDS},
                "remediation_zh": REMEDIATION_TYPES[e.get("remediation", "best_effort")]["zh"],
            }
        )
    out = pd.DataFrame(recs)
    out["_t"] = (out["remediation"] != "time_limited").astype(int)
    out["_l"] = out["level"].map(levels)
    out = out.sort_values(
        ["_t", "_l", "district", "indicator", "location"], kind="stable"
    ).reset_index(drop=True)
    out["problem_id"] = [f"P{i + 1:04d}" for i in range(len(out))]
    extra = ["unit_code"] if "unit_code" in out.columns else []  # tables covering several cities
    return out[PROBLEM_COLUMNS + extra]


def renewal_projects(problems: pd.DataFrame) -> pd.DataFrame:
    """Group a problem list into an urban-renewal project list (城市更新项目库).

    One project per district and remediation measure: it bundles the located problems
    that the same measure fixes; it is 限时解决 when any of them is.

    Returns
    -------
    pandas.DataFrame
        :data:`PROJECT_COLUMNS`; ``project_id`` is ``R001`` ….
    """
    if problems.empty:
        return pd.DataFrame(columns=PROJECT_COLUMNS)
    rows = []
    for (district, measure), g in problems.groupby(["district", "measure_zh"], sort=False):
        tl = (g["remediation"] == "time_limited").any()
        locs = list(dict.fromkeys(g["location"].astype(str)))
        rows.append(
            {
                "district": district,
                "name_zh": f"{district}{measure}" if district else str(measure),
                "name_en": f"{g['measure_en'].iloc[0]} — {district}"
                if district
                else g["measure_en"].iloc[0],
                "category_zh": g["category_zh"].iloc[0],
                "category_en": g["category_en"].iloc[0],
                "remediation": "time_limited" if tl else "best_effort",
                "remediation_zh": REMEDIATION_TYPES["time_limited" if tl else "best_effort"]["zh"],
                "department_zh": "；".join(dict.fromkeys(g["department_zh"])),
                "department_en": "; ".join(dict.fromkeys(g["department_en"])),
                "indicators": ", ".join(dict.fromkeys(g["indicator"])),
                "n_problems": len(g),
                "problem_ids": ", ".join(g["problem_id"]),
                "locations": "、".join(locs[:10])
                + (f" …（+{len(locs) - 10}）" if len(locs) > 10 else ""),
            }
        )
    out = pd.DataFrame(rows)
    out["_t"] = (out["remediation"] != "time_limited").astype(int)
    out = out.sort_values(["_t", "district", "name_zh"], kind="stable").reset_index(drop=True)
    out["project_id"] = [f"R{i + 1:03d}" for i in range(len(out))]
    return out[PROJECT_COLUMNS]
