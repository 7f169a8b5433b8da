"""问题清单 → 整治建议清单 → 城市更新项目库: the chain from located problems to renewal projects."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from citycheckup.framework.models import Framework
from citycheckup.inventory._lifecycle import status_at
from citycheckup.inventory._model import PROJECT_COLUMNS, Inventory
from citycheckup.inventory._schema import LOWER_LEVELS

__all__ = [
    "PROBLEM_LIST_COLUMNS",
    "PROJECT_LIBRARY_COLUMNS",
    "SUGGESTION_COLUMNS",
    "draft_projects",
    "locate",
    "problem_list",
    "project_library",
    "suggestions",
]

PROBLEM_LIST_COLUMNS = [
    "problem_id",
    "unit_code",
    "level",
    "indicator",
    "mohurd_id",
    "name_zh",
    "name_en",
    "sub_item",
    "sub_item_zh",
    "sub_item_en",
    "register",
    "register_id",
    "place",
    "road",
    "district",
    "block_id",
    "block_name",
    "community_id",
    "community_name",
    "compound_id",
    "compound_name",
    "severity",
    "quantity",
    "unit",
    "date_found",
    "first_year",
    "year_seen",
    "status",
    "status_date",
    "project_id",
    "remediation",
    "deadline",
    "category_zh",
    "category_en",
    "measure_zh",
    "measure_en",
    "department_zh",
    "department_en",
    "lon",
    "lat",
    "photo",
    "description",
]
SUGGESTION_COLUMNS = [
    "suggestion_id",
    "unit_code",
    "level",
    "indicator",
    "mohurd_id",
    "name_zh",
    "name_en",
    "district",
    "n_problems",
    "result",
    "unit",
    "measure_zh",
    "measure_en",
    "areas",
    "areas_en",
    "remediation",
    "deadline",
    "department_zh",
    "department_en",
    "problem_ids",
]
PROJECT_LIBRARY_COLUMNS = [
    *PROJECT_COLUMNS,
    "levels",
    "indicators",
    "n_problems",
    "n_closed",
    "problem_ids",
]
_LEVEL_ORDER = {lv: i for i, lv in enumerate(LOWER_LEVELS)}


def _latest_register(inv: Inventory, kind: str, unit: str, year: int) -> pd.DataFrame:
    """Register ``kind`` of ``unit``: each ID's record of ``year``, else its latest earlier one."""
    reg = inv.register(kind, unit_code=unit)
    if reg.empty:
        return reg.set_index(f"{kind}_id")
    reg = reg.assign(_y=pd.to_numeric(reg["year"]))
    reg = reg[reg["_y"] <= year] if (reg["_y"] <= year).any() else reg
    return reg.sort_values("_y").groupby(f"{kind}_id").tail(1).set_index(f"{kind}_id")


def locate(inv: Inventory, df: pd.DataFrame, unit: str, year: int) -> pd.DataFrame:
    """Add ``place, district, block_id/name, community_id/name, compound_id/name`` from the registers."""
    regs = {
        k: _latest_register(inv, k, unit, year)
        for k in ("building", "compound", "community", "block")
    }
    out = df.copy()
    for c in ("place", "district", "block_id", "community_id", "compound_id"):
        out[c] = None
    for kind, reg in regs.items():
        m = out["register"] == kind
        if not m.any() or reg.empty:
            continue
        hit = reg.reindex(out.loc[m, "register_id"].astype(str))
        out.loc[m, "place"] = hit["address" if kind == "building" else "name"].to_numpy()
        out.loc[m, "district"] = hit["district"].to_numpy()
        if kind == "block":
            out.loc[m, "block_id"] = out.loc[m, "register_id"].to_numpy()
        else:
            out.loc[m, "block_id"] = hit["block_id"].to_numpy()
        if kind == "community":
            out.loc[m, "community_id"] = out.loc[m, "register_id"].to_numpy()
        elif kind in ("building", "compound"):
            out.loc[m, "community_id"] = hit["community_id"].to_numpy()
        if kind == "compound":
            out.loc[m, "compound_id"] = out.loc[m, "register_id"].to_numpy()
        elif kind == "building":
            out.loc[m, "compound_id"] = hit["compound_id"].to_numpy()
    for kind in ("block", "community", "compound"):
        names = regs[kind]["name"] if not regs[kind].empty else pd.Series(dtype=object)
        out[f"{kind}_name"] = out[f"{kind}_id"].map(names)
    return out


def problem_list(
    inv: Inventory,
    fw: Framework | None,
    *,
    unit_code: str,
    year: int,
    as_of: dt.date | str | None = None,
    scope: str = "observed",
) -> pd.DataFrame:
    """The 问题清单 of a city's check-up year.

    Parameters
    ----------
    scope
        ``"observed"`` (default): the problems seen in that year's field surveys;
        ``"open"``: every problem open at ``as_of``, seen this year or not.
    as_of
        Date of the statuses shown (default 31 December of ``year``).

    Returns
    -------
    pandas.DataFrame
        :data:`PROBLEM_LIST_COLUMNS`, by level (住房, 小区/社区, 街区), 限时解决 first
        within a level, then in framework order, by district and register ID. Severity, quantity, coordinates and photo are those of the
        latest observation up to ``year``.
    """
    unit = str(unit_code)
    when = pd.Timestamp(as_of if as_of is not None else dt.date(int(year), 12, 31))
    st = status_at(inv.events, when)
    p = inv.problems[inv.problems["unit_code"].astype(str) == unit]
    ob = inv.observations[inv.observations["unit_code"].astype(str) == unit]
    ob = ob.assign(_y=pd.to_numeric(ob["year"]))
    if scope == "observed":
        ids = set(ob.loc[ob["_y"] == int(year), "problem_id"])
    elif scope == "open":
        ids = {
            pid
            for pid in p["problem_id"]
            if st["status"].get(pid) in ("found", "in_progress", "to_project")
        }
    else:
        raise ValueError(f"scope must be 'observed' or 'open', got {scope!r}")
    p = p[p["problem_id"].isin(ids)].copy()
    if p.empty:
        return pd.DataFrame(columns=PROBLEM_LIST_COLUMNS)
    last = (
        ob[ob["_y"] <= int(year)]
        .sort_values("_y")
        .groupby("problem_id")
        .tail(1)
        .set_index("problem_id")
    )
    for c in ("severity", "quantity", "lon", "lat", "photo", "description"):
        p[c] = p["problem_id"].map(last[c])
    p["year_seen"] = p["problem_id"].map(last["_y"])
    p["status"] = p["problem_id"].map(st["status"])
    p["status_date"] = p["problem_id"].map(st["date"])
    p["project_id"] = p["problem_id"].map(st["project_id"])
    inds = {i.code: i for i in fw.indicators} if fw is not None else {}
    p["name_zh"] = [inds[c].name_zh if c in inds else c for c in p["indicator"]]
    p["name_en"] = [inds[c].name_en if c in inds else c for c in p["indicator"]]
    p["unit"] = [inds[c].unit if c in inds else "" for c in p["indicator"]]
    subs = {(i.code, s.code): s for i in inds.values() for s in i.sub_items}
    p["sub_item_zh"] = [
        subs[(c, s)].name_zh if (c, s) in subs else (s or "")
        for c, s in zip(p["indicator"], p["sub_item"], strict=True)
    ]
    p["sub_item_en"] = [
        subs[(c, s)].name_en if (c, s) in subs else (s or "")
        for c, s in zip(p["indicator"], p["sub_item"], strict=True)
    ]
    p = locate(inv, p, unit, int(year))
    p["_t"] = (p["remediation"] != "time_limited").astype(int)
    p["_l"] = p["level"].map(_LEVEL_ORDER)
    order = {c: i for i, c in enumerate(fw.indicator_codes)} if fw is not None else {}
    p["_i"] = [order.get(c, len(order)) for c in p["indicator"]]
    p = p.sort_values(
        ["_l", "_t", "_i", "indicator", "district", "register_id", "problem_id"], kind="stable"
    )
    return p[PROBLEM_LIST_COLUMNS].reset_index(drop=True)


def _result(g: pd.DataFrame) -> float:
    key = g["register_id"].astype(str) + "\x00" + g["road"].fillna("").astype(str)
    q = pd.to_numeric(g["quantity"], errors="coerce")
    per = (
        pd.DataFrame({"k": key, "q": q, "has": q.notna()})
        .groupby("k")
        .agg(q=("q", "sum"), has=("has", "any"))
    )
    return float(np.where(per["has"], per["q"], 1.0).sum())


def suggestions(plist: pd.DataFrame, *, by: Sequence[str] = ("level", "indicator")) -> pd.DataFrame:
    """The 整治建议清单: one suggestion per group of problems (default: per indicator).

    Parameters
    ----------
    plist
        A :func:`problem_list`.
    by
        Grouping columns; add ``"district"`` for one suggestion per indicator and district.

    Returns
    -------
    pandas.DataFrame
        :data:`SUGGESTION_COLUMNS`: the result (records, or Σ quantity, in the
        indicator's unit), the measure, the areas concerned (districts and blocks), the
        整治类型 (限时解决 when any problem of the group is), the departments, the
        earliest deadline and the problem IDs; by level, 限时解决 first within a level.
        ``suggestion_id`` is ``S001`` ….
    """
    if plist.empty:
        return pd.DataFrame(columns=SUGGESTION_COLUMNS)
    rows = []
    for _, g in plist.groupby(list(by), sort=False, dropna=False):
        tl = bool((g["remediation"] == "time_limited").any())
        pairs = list(
            dict.fromkeys(zip(g["district"].fillna(""), g["block_name"].fillna(""), strict=True))
        )
        # Chinese writes 区 and 街区 together and lists with 、; English separates both
        areas = [f"{d or ''}{b}" if b else str(d or "") for d, b in pairs]
        areas_en = [" ".join(str(x) for x in (d, b) if x) for d, b in pairs]
        dl = pd.to_datetime(g["deadline"]).dropna()
        rows.append(
            {
                "unit_code": g["unit_code"].iloc[0],
                "level": g["level"].iloc[0],
                "indicator": g["indicator"].iloc[0],
                "mohurd_id": g["mohurd_id"].iloc[0],
                "name_zh": g["name_zh"].iloc[0],
                "name_en": g["name_en"].iloc[0],
                "district": "、".join(dict.fromkeys(str(x) for x in g["district"].dropna())),
                "n_problems": len(g),
                "result": _result(g),
                "unit": g["unit"].iloc[0],
                "measure_zh": "；".join(dict.fromkeys(g["measure_zh"].dropna())),
                "measure_en": "; ".join(dict.fromkeys(g["measure_en"].dropna())),
                "areas": "、".join(a for a in areas if a),
                "areas_en": ", ".join(a for a in areas_en if a),
                "remediation": "time_limited" if tl else "best_effort",
                "deadline": dl.min() if not dl.empty else pd.NaT,
                "department_zh": "；".join(dict.fromkeys(g["department_zh"].dropna())),
                "department_en": "; ".join(dict.fromkeys(g["department_en"].dropna())),
                "problem_ids": ", ".join(g["problem_id"]),
            }
        )
    out = pd.DataFrame(rows)
    out["_t"] = (out["remediation"] != "time_limited").astype(int)
    out["_l"] = out["level"].map(_LEVEL_ORDER)
    out["_i"] = [
        list(plist["indicator"]).index(c) for c in out["indicator"]
    ]  # the problem list's order
    out = out.sort_values(["_l", "_t", "_i"], kind="stable").reset_index(drop=True)
    out["suggestion_id"] = [f"S{i + 1:03d}" for i in range(len(out))]
    return out[SUGGESTION_COLUMNS]


def draft_projects(sugg: pd.DataFrame, *, year: int) -> pd.DataFrame:
    """Draft projects from suggestions (one each): name, content and scale filled, investment left empty.

    The estimated investment, funding source and implementing body are for the city
    to fill in; a draft is only added to the library by
    :func:`~citycheckup.inventory.add_projects`.
    """
    rows = []
    for i, r in enumerate(sugg.to_dict("records"), start=1):
        scale = f"{r['result']:g} {r['unit']}".strip()
        rows.append(
            {
                "project_id": f"{r['unit_code']}-R{year}-{i:03d}",
                "unit_code": r["unit_code"],
                "name_zh": f"{r['areas'] or r['district']}{r['measure_zh']}"
                if r["areas"]
                else r["measure_zh"],
                "name_en": r["measure_en"],
                "content": r["measure_zh"],
                "scale": scale,
                "investment_10k_yuan": np.nan,
                "funding_source": None,
                "implementing_body": None,
                "department": r["department_zh"],
                "year": year,
                "renewal_unit": r["areas"] or None,
                "note": f"draft from suggestion {r['suggestion_id']}",
            }
        )
    return pd.DataFrame(rows, columns=PROJECT_COLUMNS)


def project_library(
    inv: Inventory, *, unit_code: str, as_of: dt.date | str | None = None
) -> pd.DataFrame:
    """The 城市更新项目库 of a city with the problems each project holds.

    A problem belongs to the project of its last 转入更新项目 event (up to ``as_of``), also
    after the project has closed it.

    Returns
    -------
    pandas.DataFrame
        :data:`PROJECT_LIBRARY_COLUMNS`, ordered by year and project ID.
    """
    unit = str(unit_code)
    pr = inv.projects[inv.projects["unit_code"].astype(str) == unit].copy()
    st = status_at(inv.events, as_of)
    p = inv.problems.set_index("problem_id")
    held = st[st["project_id"].notna()]
    held = held[held.index.isin(p.index[p["unit_code"].astype(str) == unit])]
    rows = []
    for r in pr.to_dict("records"):
        ids = sorted(held.index[held["project_id"] == r["project_id"]])
        rows.append(
            {
                **r,
                "levels": "、".join(dict.fromkeys(p.loc[ids, "level"])) if ids else "",
                "indicators": ", ".join(dict.fromkeys(p.loc[ids, "indicator"])) if ids else "",
                "n_problems": len(ids),
                "n_closed": int((held.loc[ids, "status"] == "closed").sum()),
                "problem_ids": ", ".join(ids),
            }
        )
    out = pd.DataFrame(rows, columns=PROJECT_LIBRARY_COLUMNS)
    return out.sort_values(["year", "project_id"], kind="stable").reset_index(drop=True)
