"""The check-up of a MOHURD-method run (store kind ``mohurd``) as the dashboard's first screen.

``GET /api/v1/runs/{run_id}/checkup`` gathers what a reader of the check-up sees first,
every text in Chinese and English (``{"zh": …, "en": …}``) so that the dashboard switches
language without asking again: the aspect grades (优/良/中/差) with the graded indicators
of each aspect (很好/较好/一般/不足, the threshold and the standard it comes from), the
values without an applicable threshold and why, the indicators without data, and the
housing / compound / block counts over their denominators (no scores). Names, units and
standards come from the run's framework and the report catalogue; indicator codes are
given as ``code`` fields for links, never as reader text.

Register with ``checkup_routes(r)`` next to the other ``*_routes(r)`` of ``create_app``.
"""

# ruff: noqa: B023 -- every lambda below is called at once by ``_both``, inside its loop iteration

from collections.abc import Callable
from typing import Annotated, Any

import pandas as pd
from fastapi import Query

from citycheckup.api import _queries as Q
from citycheckup.api._params import UNIT, RunId, Year
from citycheckup.api._routing import API, Routes

__all__ = ["checkup_routes", "checkup_summary"]

LANGS = ("zh", "en")
LOWER_LEVELS = ("housing", "community", "block")


def _both(fn: Callable[[str], str]) -> dict[str, str]:
    return {lang: fn(lang) for lang in LANGS}


def _num(x: Any) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def _dedupe(basis: str) -> str:
    """The standard's basis without the tier said twice ("本项目建议值：本项目建议：…")."""
    for tier, again in (("本项目建议值：", "本项目建议："), ("proposal of this project: ",) * 2):
        if basis.startswith(tier + again):
            return again + basis[len(tier + again) :]
    return basis


def _table(st: Any, run: dict[str, Any], name: str) -> pd.DataFrame:
    return st.table(run["run_id"], name) if name in run["tables"] else pd.DataFrame()


def _framework(run: dict[str, Any]) -> Any:
    code = run.get("framework_code") or ((run.get("manifest") or {}).get("framework") or {}).get(
        "code"
    )
    fw = Q.frameworks().get(str(code)) if code else None
    if fw is None:
        raise Q.NotFound(
            f"run {run['run_id']}: its framework {code!r} is not a built-in framework, so its "
            "check-up cannot be named; open its tables instead (GET /runs/{id}/tables)"
        )
    return fw


def _select(df: pd.DataFrame, unit: str, year: int) -> pd.DataFrame:
    if df.empty:
        return df
    out = df[df["unit_code"].astype(str) == unit]
    return out[out["year"] == year] if "year" in out.columns else out


def checkup_summary(
    st: Any, run: dict[str, Any], unit: str | None = None, year: int | None = None
) -> dict[str, Any]:
    """The reader's check-up of ``unit`` in ``year`` (defaults: the run's first unit, latest year)."""
    from citycheckup.report.annual import _dim_name, _reason, _ref_text
    from citycheckup.report.labels import unit_label, unit_text
    from citycheckup.report.messages import t

    if run["kind"] != "mohurd":
        raise Q.NotFound(
            f"run {run['run_id']} is a {run['kind']!r} result, not a MOHURD-method check-up "
            "(kind 'mohurd'); its results are under /runs/{id}/scores and /runs/{id}/tables"
        )
    fw = _framework(run)
    inds = {i.code: i for i in fw.indicators}
    parent = fw.parent_of()
    vals = _table(st, run, "values")
    units = (
        vals.drop_duplicates("unit_code")[["unit_code", "unit_name"]]
        if not vals.empty
        else pd.DataFrame(columns=["unit_code", "unit_name"])
    )
    codes = [str(c) for c in units["unit_code"]]
    if not codes:
        raise Q.NotFound(f"run {run['run_id']} holds no unit")
    unit = unit or codes[0]
    if unit not in codes:
        raise Q.NotFound(
            f"unit {unit!r} is not in run {run['run_id']}; its units: {', '.join(codes)}"
        )
    years = sorted({int(y) for y in vals.loc[vals["unit_code"].astype(str) == unit, "year"]})
    year = year if year is not None else years[-1]
    if year not in years:
        raise Q.NotFound(
            f"run {run['run_id']} has no {year} for unit {unit}; its years: "
            f"{', '.join(map(str, years))}"
        )
    name = str(units.loc[units["unit_code"].astype(str) == unit, "unit_name"].iloc[0])

    def ind_name(code: str) -> dict[str, str]:
        i = inds.get(code)
        return _both(lambda lang: (i.name_zh if lang == "zh" else i.name_en) if i else code)

    def ind_unit(code: str) -> dict[str, str]:
        i = inds.get(code)
        return _both(lambda lang: unit_text(i.unit, lang, unit_en=i.unit_en) if i else "")

    def aspect_of(code: str) -> str:
        i = inds.get(code)
        return str((i.aspect if i is not None and i.aspect else None) or parent.get(code, ""))

    grades = _select(_table(st, run, "grades"), unit, year)
    graded: dict[str, list[dict[str, Any]]] = {}
    for rec in grades.to_dict("records"):
        code, k = str(rec["indicator"]), int(rec["threshold"])
        ind = inds.get(code)
        rule = _both(lambda lang: _ref_text(ind, k, lang)[0]) if ind else _both(lambda _: "")
        basis = (
            _both(lambda lang: _dedupe(_ref_text(ind, k, lang)[1])) if ind else _both(lambda _: "")
        )
        graded.setdefault(aspect_of(code), []).append(
            {
                "code": code,
                "name": ind_name(code),
                "value": _num(rec["value"]),
                "unit": ind_unit(code),
                "grade": rec["grade"],
                "grade_label": _both(lambda lang: t(f"grade.{rec['grade']}", lang)),
                "rule": rule,
                "basis": basis,
            }
        )
    ag = _select(_table(st, run, "aspect_grades"), unit, year)
    ag_by = {str(r["dimension"]): r for r in ag.to_dict("records")}
    city = next((d for d in fw.dimensions if d.code == "city"), None)
    aspect_codes = [d.code for d in (city.dimensions or [])] if city is not None else []
    aspect_codes += [a for a in list(ag_by) + list(graded) if a not in aspect_codes]
    aspects = []
    for a in aspect_codes:
        g = ag_by.get(a)
        aspects.append(
            {
                "code": a,
                "name": _both(lambda lang: _dim_name(fw, a, lang)),
                "grade": None if g is None else g["grade"],
                "grade_label": None
                if g is None
                else _both(lambda lang: t(f"aspect.{g['grade']}", lang)),
                "n_graded": 0 if g is None else int(g["n_graded"]),
                "n_poor": 0 if g is None else int(g["n_poor"]),
                "indicators": graded.get(a, []),
            }
        )
    tg = _select(_table(st, run, "task_grades"), unit, year)
    tasks = [
        {
            "code": str(r["dimension"]),
            "name": _both(lambda lang: _dim_name(fw, str(r["dimension"]), lang)),
            "grade": r["grade"],
            "grade_label": _both(lambda lang: t(f"aspect.{r['grade']}", lang)),
            "n_graded": int(r["n_graded"]),
        }
        for r in tg.to_dict("records")
    ]
    refs = _select(_table(st, run, "references"), unit, year)
    ungraded = []
    for rec in _select(_table(st, run, "ungraded"), unit, year).to_dict("records"):
        code = str(rec["indicator"])
        why = _both(
            lambda lang: (
                "国家和部委文件未给出逐城分级标准"
                if lang == "zh"
                else "no national or ministry threshold for a single city"
            )
        )
        if rec["reason"] == "not_applicable" and not refs.empty:
            rr = refs[refs["indicator"] == code]
            if len(rr):
                pairs = list(zip(rr["reason"], rr["reason_year"], strict=True))
                why = _both(
                    lambda lang: ("；" if lang == "zh" else "; ").join(
                        dict.fromkeys(_reason(x, y, lang) for x, y in pairs)
                    )
                )
        ungraded.append(
            {
                "code": code,
                "name": ind_name(code),
                "aspect": _both(lambda lang: _dim_name(fw, aspect_of(code), lang)),
                "value": _num(rec["value"]),
                "unit": ind_unit(code),
                "reason": rec["reason"],
                "why": why,
            }
        )
    cov = _table(st, run, "coverage")
    no_data = []
    if not cov.empty:
        for rec in cov[cov["status"] != "data"].to_dict("records"):
            code = str(rec["indicator"])
            no_data.append(
                {
                    "code": code,
                    "name": ind_name(code),
                    "level": str(rec.get("level") or ""),
                    "level_name": _both(lambda lang: t(f"level.{rec.get('level')}", lang)),
                }
            )
    inv = _select(_table(st, run, "inventories"), unit, year)
    levels = []
    for lev in LOWER_LEVELS:
        part = inv[inv["level"] == lev] if not inv.empty else inv
        items = []
        for rec in part.to_dict("records"):
            code = str(rec["indicator"])
            den = rec.get("denominator")
            var = fw.variable(str(den)) if isinstance(den, str) and den else None
            i = inds.get(code)
            items.append(
                {
                    "code": code,
                    "name": ind_name(code),
                    "aspect": _both(lambda lang: _dim_name(fw, str(rec.get("aspect") or ""), lang)),
                    "kind": "rate" if i is not None and i.unit.strip() == "%" else "count",
                    "count": _num(rec.get("count")),
                    "unit": ind_unit(code),
                    "denominator": None
                    if var is None
                    else _both(lambda lang: var.name_zh if lang == "zh" else var.name_en),
                    "denominator_value": _num(rec.get("denominator_value")),
                    "rate": _num(rec.get("rate")),
                }
            )
        levels.append(
            {"level": lev, "name": _both(lambda lang: t(f"level.{lev}", lang)), "items": items}
        )
    problems = _table(st, run, "problems")
    fu = _table(st, run, "followup_summary")
    if not fu.empty and {"unit_code", "level", "rate"} <= set(fu.columns):
        fu = fu[(fu["unit_code"].astype(str) == unit) & (fu["level"] == "all")]
        if "year" in fu.columns and (fu["year"] == year).any():
            fu = fu[fu["year"] == year]
        fu_all = pd.to_numeric(fu["rate"], errors="coerce").dropna()
    else:
        fu_all = pd.Series(dtype=float)
    files = [
        {
            "name": f["name"],
            "url": f"{API}/runs/{run['run_id']}/files/{f['name']}",
            "format": f["name"].rsplit(".", 1)[-1],
            "lang": "en" if "_en." in f["name"] else "zh",
        }
        for f in run.get("files", [])
        if f["name"].startswith(("reports/checkup_", "annex_"))
    ]
    source = (run.get("manifest") or {}).get("source")
    return {
        "run_id": run["run_id"],
        "unit": {"code": unit, "name": _both(lambda lang: unit_label(unit, name, lang))},
        "units": [
            {"code": str(c), "name": {lang: unit_label(c, n, lang) for lang in LANGS}}
            for c, n in zip(units["unit_code"], units["unit_name"], strict=True)
        ],
        "year": year,
        "years": years,
        "framework": {"zh": fw.name_zh, "en": fw.name_en},
        "source": source if isinstance(source, dict) else None,
        "aspects": aspects,
        "tasks": tasks,
        "ungraded": ungraded,
        "no_data": no_data,
        "levels": levels,
        "n_problems": None if problems.empty else len(problems),
        # 上年度问题整治完成率 (the run's follow-up table, level "all")
        "completion_rate": _num(fu_all.iloc[-1]) if len(fu_all) else None,
        "files": files,
    }


def checkup_routes(r: Routes) -> None:
    """``/runs/{run_id}/checkup``."""

    @r.json(
        "/runs/{run_id}/checkup",
        tags=["results"],
        summary="The check-up of a MOHURD-method run: grades by aspect, counts over denominators",
    )
    def checkup(
        run_id: RunId,
        unit: Annotated[str | None, Query(pattern=UNIT, description="Unit code.")] = None,
        year: Year = None,
    ) -> Any:
        return checkup_summary(r.st, r.run(run_id), unit, year)
