"""Rendering and writing the outputs of a check-up run.

``write_checkup_outputs`` writes, atomically into ``out``:

- ``scores.csv``      one row per unit and year: unit_code, unit_name, year, index, the
                      dimension codes, and ``rank_<code>`` for each
- ``indicators.csv``  raw indicator values per unit and year
- ``normalised.csv``, ``coverage.csv``, ``dimension_coverage.csv``, ``grades.csv``,
  ``attainment.csv``, ``strengths.csv``, ``changes.csv``, ``checks.csv``,
  ``rank_intervals.csv`` (when computed)
- ``results.xlsx``    the main tables as sheets
- ``report.html``     self-contained report (inline CSS/JS/SVG, no CDN)
- ``manifest.json``   framework and version, data hashes, parameters, package version, time
"""

from __future__ import annotations

import json
import math
import os
import platform
import sys
from datetime import UTC, datetime
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from citycheckup._io import atomic_dir, write_csv
from citycheckup.checkup import CheckupResult
from citycheckup.diagnosis.peers import SIZE_CLASSES
from citycheckup.report.labels import (
    local_now,
    province_label,
    romanise_doc_numbers,
    scoring_label,
    size_basis_note,
    unit_label,
    unit_text,
)
from citycheckup.report.messages import MESSAGES, t
from citycheckup.report.svg import bar_chart, radar_chart
from citycheckup.report.xlsx import write_xlsx

__all__ = ["render_checkup_html", "write_checkup_outputs"]


def _version() -> str:
    try:
        return metadata.version("citycheckup")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        from citycheckup import __version__

        return __version__


def _fmt(v: Any, nd: int = 1) -> str | None:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    if isinstance(v, float):
        return f"{v:,.{nd}f}"
    return str(v)


def _label(obj: Any, lang: str) -> str:
    return str(obj.name_zh if lang == "zh" else obj.name_en)


def _check_lines(
    result: CheckupResult, lang: str, names: dict[str, str], ind_names: dict[str, str]
) -> list[str]:
    """The data checks for the reader: what, which indicator, which city, which years — in ``lang``.

    One line per rule, column and unit (years collapsed); the technical messages with the
    values stay in ``checks.csv``.
    """
    groups: dict[tuple[str, str, str], list[Any]] = {}
    for f in result.checks.findings:
        if f.severity in ("error", "warning"):
            groups.setdefault((f.rule, f.column or "", f.unit or ""), []).append(f)
    sep = t("sep.colon", lang)
    out = []
    for (rule, col, unit), fs in groups.items():
        key = f"check.{rule}" if f"check.{rule}" in MESSAGES else "check.other"
        years = sorted(f.year for f in fs if f.year is not None)
        span = (
            t("check.years", lang, first=years[0], last=years[-1], n=len(fs))
            if len(years) > 1
            else t("check.year", lang, year=years[0])
            if years
            else ""
        )
        code, _, given = unit.partition(
            " "
        )  # a finding names its unit as "460300" or "460300 三沙市"
        place = (names.get(code) or unit_label(code, given or None, lang)) if unit else ""
        what = [ind_names.get(col, col) if col else "", place, span]
        out.append(
            t(key, lang)
            + (sep + t("sep.comma", lang).join(x for x in what if x) if any(what) else "")
        )
    if out:
        out.append(t("check.more", lang))
    return out


def render_checkup_html(result: CheckupResult, *, lang: str = "zh", year: int | None = None) -> str:
    """The self-contained HTML report of a check-up, in ``lang`` (``zh`` or ``en``)."""
    fw = result.framework
    T = {k: v[lang] for k, v in MESSAGES.items()}
    if not result.scores["unit_code"].astype(str).str.fullmatch(r"\d{6}").all():
        T["unit"] = T["unit_generic"]  # districts, countries …: not cities
    year = year if year is not None else result.years[-1]
    sc = result.scores[result.scores["year"] == year].copy()
    sc = sc.sort_values(["rank_index", "unit_code"], na_position="last")
    dims = [
        {"code": d.code, "label": MESSAGES.get(f"dim.{d.code}", {}).get(lang) or _label(d, lang)}
        for d in fw.dimensions
    ]
    dim_codes = [d["code"] for d in dims]
    ind = result.indicators[result.indicators["year"] == year].set_index("unit_code")
    province = ind["province"] if "province" in ind.columns else pd.Series(dtype=str)
    size = ind["size_class"] if "size_class" in ind.columns else pd.Series(dtype=str)
    proxy_mark = "*" if result.size_basis not in (None, result.options.size_variable) else ""
    size_label = {c: (zh if lang == "zh" else en) + proxy_mark for c, zh, en, _ in SIZE_CLASSES}
    n_units = int(sc["unit_code"].nunique())
    intervals = {}
    ri = result.rank_intervals
    if not ri.empty and "year" in ri.columns:
        for r in ri[ri["year"] == year].to_dict("records"):
            intervals[r["uCode"] if "uCode" in r else r["unit_code"]] = (
                f"{int(r['q5'])}–{int(r['q95'])}"
            )
    ranking = []
    for r in sc.to_dict("records"):
        ranking.append(
            {
                "code": r["unit_code"],
                "name": unit_label(r["unit_code"], r["unit_name"], lang),
                "province": province_label(
                    province.get(r["unit_code"], ""), lang, code=r["unit_code"]
                ),
                "rank": "" if pd.isna(r["rank_index"]) else int(r["rank_index"]),
                "index": _fmt(r[fw.index_code]) or "",
                "interval": intervals.get(r["unit_code"], ""),
                "dims": [_fmt(r[c]) for c in dim_codes],
            }
        )
    means = [sc[c].mean() if sc[c].notna().any() else None for c in dim_codes]
    absolute = result.options.scoring == "absolute"
    dim_bars = bar_chart(
        [d["label"] for d in dims],
        means,
        vmax=100.0 if absolute or result.options.normalisation == "minmax" else None,
        missing_label=T["no_data"],
    )
    # peer means for the radar: national mean and province mean
    nat = [None if m is None else float(m) for m in means]
    ind_names = {i.code: _label(i, lang) for i in fw.indicators}
    units_by_code = {i.code: unit_text(i.unit, lang, unit_en=i.unit_en) for i in fw.indicators}
    sw_by_unit: dict[str, list[dict[str, Any]]] = {}
    for x in result.strengths[result.strengths["year"] == year].to_dict("records"):
        sw_by_unit.setdefault(x["unit_code"], []).append(x)
    ch: dict[str, dict[str, Any]] = (
        {x["unit_code"]: x for x in result.changes.to_dict("records")}
        if not result.changes.empty
        else {}
    )
    cities = []
    sc_rows = {x["unit_code"]: x for x in sc.to_dict("records")}
    prov_means: dict[str, list[float | None]] = {}
    if len(province) and n_units > 1:
        pm = (
            sc.assign(
                province=sc["unit_code"].map(
                    lambda c: province_label(province.get(c, ""), lang, code=c)
                )
            )
            .groupby("province")[dim_codes]
            .mean()
        )
        prov_means = {
            p: [None if pd.isna(v) else float(v) for v in row]
            for p, row in zip(pm.index, pm.to_numpy(), strict=True)
        }
    scale = 100.0 if absolute or result.options.normalisation == "minmax" else None

    def change_text(c_row: dict[str, Any] | None, c: str) -> str:
        if not c_row or f"{c}_change" not in c_row:
            return ""
        chg = _fmt(c_row[f"{c}_change"])
        rc = c_row.get(f"rank_{c}_change")
        if chg is None:
            return ""
        if rc is None or pd.isna(rc):
            return chg
        return f"{chg} ({'+' if rc > 0 else ''}{int(rc)})"

    mean_word = t("cr.mean", lang)
    for r in ranking:
        code = r["code"]
        row = sc_rows[code]
        vals = [None if pd.isna(row[c]) else float(row[c]) for c in dim_codes]
        series: list[tuple[str, list[float | None]]] = [(r["name"], vals)]
        prov = r["province"]
        if prov and prov in prov_means:
            series.append((f"{prov} {mean_word}", prov_means[prov]))
        if n_units > 1:
            series.append((t("cr.mean_all", lang), nat))
        radar = radar_chart(
            [d["label"] for d in dims],
            series,
            vmax=scale or max([abs(v) for s_ in series for v in s_[1] if v is not None] or [1.0]),
            title=r["name"],
            missing_label=T["no_data"],
        )
        c_row = ch.get(code)
        dim_rows = [
            {
                "label": T["index"],
                "score": _fmt(row[fw.index_code]),
                "rank": "" if pd.isna(row["rank_index"]) else int(row["rank_index"]),
                "change": change_text(c_row, fw.index_code),
            }
        ]
        for c, d in zip(dim_codes, dims, strict=True):
            dim_rows.append(
                {
                    "label": d["label"],
                    "score": _fmt(row[c]),
                    "rank": "" if pd.isna(row[f"rank_{c}"]) else int(row[f"rank_{c}"]),
                    "change": change_text(c_row, c),
                }
            )
        blocks = []
        mine = sw_by_unit.get(code, [])
        for peer_type in ("province", "size_class"):
            for kind in ("strength", "weakness"):
                part = [x for x in mine if x["peer_type"] == peer_type and x["kind"] == kind]
                if not part:
                    continue
                blocks.append(
                    {
                        "title": f"{T['strengths' if kind == 'strength' else 'weaknesses']} · {T['peer_' + peer_type]}",
                        "rows": [
                            {
                                "name": ind_names.get(x["indicator"], x["indicator"]),
                                "value": f"{_fmt(float(x['value']), 2)} {units_by_code.get(x['indicator'], '')}",
                                "rank": f"{int(x['peer_rank'])}/{int(x['peer_n'])}",
                            }
                            for x in part
                        ],
                    }
                )
        cities.append(
            {
                "code": code,
                "name": r["name"],
                "province": prov,
                "rank": r["rank"],
                "size_class": size_label.get(size.get(code, ""), ""),
                "radar": radar,
                "dims": dim_rows,
                "sw": blocks,
            }
        )
    dim_cov = [
        {
            "label": f"{_label(d, lang)} ({d.code})",
            "n": int(row["n_indicators"]),
            "used": int(row["n_used"]),
            "avail": f"{100 * row['mean_availability']:.0f} %" if row["n_used"] else "–",
            "status": T["scored"] if row["status"] == "scored" else T["no_data"],
            "nodata": row["status"] != "scored",
        }
        for d, row in zip(fw.dimensions, result.dimension_coverage.to_dict("records"), strict=True)
    ]
    dim_label = {d["code"]: d["label"] for d in dims}
    ind_cov = [
        {
            "code": r["indicator"],
            "name": ind_names[r["indicator"]],
            "dim": dim_label[r["dimension"]],
            "avail": f"{100 * r['availability']:.0f} %" if r["status"] == "used" else "–",
            "reason": T["used"]
            if r["status"] == "used"
            else (r["reason"] if r["status"] == "constant" else f"{T['no_data']}: {r['reason']}"),
            "nodata": r["status"] != "used",
        }
        for r in result.coverage.sort_values(
            ["status", "dimension"], ascending=[False, True]
        ).to_dict("records")
    ]
    names = {
        c: unit_label(c, n, lang)
        for c, n in zip(result.scores["unit_code"], result.scores["unit_name"], strict=False)
    }
    checks = _check_lines(
        result, lang, names, {**{v.code: _label(v, lang) for v in fw.variables}, **ind_names}
    )
    fl = result.flags
    unscored = (
        [
            f"{names.get(x['unit_code'], x['unit_code'])} ({x['unit_code']}): {x['detail']}"
            for x in fl[(fl["year"] == year) & (fl["flag"] == "insufficient_data")].to_dict(
                "records"
            )
        ]
        if not fl.empty
        else []
    )
    extreme = (
        [
            f"{names.get(x['unit_code'], x['unit_code'])}: {x['detail']}"
            for x in fl[(fl["year"] == year) & (fl["flag"] == "extreme_values")].to_dict("records")
        ]
        if not fl.empty
        else []
    )
    informed = result.informed_dimensions
    opts = result.options
    if absolute:
        method_text = (
            scoring_label("absolute", lang, n_units=n_units)
            + " "
            + t("screen_text", lang, share=f"{100 * opts.min_unit_availability:.0f} %")
            + " "
            + t("method_abs_text", lang, avail=f"{100 * opts.min_availability:.0f} %")
        )
    else:
        method_text = (
            scoring_label("relative", lang, n_units=n_units)
            + " "
            + (
                t("treatment_text", lang, winmax=opts.winmax) + " "
                if opts.treatment != "none"
                else ""
            )
            + t("screen_text", lang, share=f"{100 * opts.min_unit_availability:.0f} %")
            + " "
            + t(
                "method_text",
                lang,
                norm=T[f"norm_{opts.normalisation}"],
                scope=T["scope_global" if opts.global_normalisation else "scope_year"],
                agg=T[f"agg_{opts.aggregation}"],
                avail=f"{100 * opts.min_availability:.0f} %",
            )
        )
    top3 = [r["name"] for r in ranking[:3] if r["rank"] != ""]
    nodata = [dim_label[d.code] for d in fw.dimensions if d.code not in informed]
    n_dims = len(fw.dimensions)
    join = t("sep.list", lang).join
    lead = (
        t("cr.top3", lang, year=year, names=join(top3))
        if len(top3) >= 3
        else t(
            "cr.single_score",
            lang,
            year=year,
            name=ranking[0]["name"],
            index=ranking[0]["index"] or "–",
        )
        if n_units == 1 and ranking
        else ""
    )
    summary = (
        lead
        + t("cr.informed", lang, n=len(informed), names=join(dim_label[c] for c in informed))
        + (t("cr.nodata", lang, names=join(nodata)) if nodata else t("cr.all_data", lang, n=n_dims))
    )
    if n_units == 1:
        summary += t("cr.no_rank", lang, text=T["r.no_rank_single"])
    graded = len(result.grades.dropna(subset=["grade"])) if not result.grades.empty else 0
    grades_text = T["grades_note"] if graded == 0 else f"{T['graded_count']}: {graded}"
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(
            lambda name: (resources.files("citycheckup.report") / "templates" / name).read_text(
                encoding="utf-8"
            )
        ),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
    )
    page = env.get_template("checkup.html.j2").render(
        lang=lang,
        T=T,
        fw_name=_label(fw, lang),
        fw_code=fw.code,
        fw_version=fw.version,
        data_source=result.dataset.source,
        n_units=int(sc["unit_code"].nunique()),
        years=result.years,
        year=year,
        generated=local_now(lang),
        n_used=int((result.coverage["status"] == "used").sum()),
        n_indicators=len(fw.indicators),
        informed=informed,
        summary_text=summary,
        ranking=ranking,
        has_intervals=bool(intervals),
        has_province=bool(len(province)),
        dims=dims,
        dim_bars=dim_bars,
        cities=cities,
        dim_cov=dim_cov,
        ind_cov=ind_cov,
        checks=checks,
        method_text=method_text,
        grades_text=grades_text,
        version=_version(),
        size_note=size_basis_note(result.size_basis, lang) if size.notna().any() else "",
        unscored=unscored,
        extreme=extreme,
    )
    # English readers get document numbers in pinyin (国发〔2014〕51号 → Guofa [2014] No. 51)
    return romanise_doc_numbers(page) if lang == "en" else page


def _manifest(result: CheckupResult, extra: dict[str, Any] | None) -> dict[str, Any]:
    fw = result.framework
    ds = result.dataset
    return {
        "tool": "citycheckup",
        "version": _version(),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "framework": {
            "code": fw.code,
            "version": fw.version,
            "name_zh": fw.name_zh,
            "name_en": fw.name_en,
            "n_indicators": len(fw.indicators),
        },
        "data": [
            {
                "source": ds.source,
                "sha256": ds.sha256,
                "rows": len(ds.data),
                "units": int(ds.data["unit_code"].nunique()),
                "years": [result.years[0], result.years[-1]],
            }
        ],
        "parameters": result.options.as_dict(),
        "scoring": result.options.scoring,
        "size_basis": result.size_basis,
        "pipeline": result.pipeline,
        "weights": result.options.weights,
        "dimensions": result.dimension_coverage[
            ["dimension", "status", "n_indicators", "n_used"]
        ].to_dict("records"),
        "excluded_columns": result.checks.excluded,
        "conversions": getattr(ds, "conversions", []),
        **(extra or {}),
    }


def _start_xlsx(path: Path, sheets: dict[str, pd.DataFrame]) -> Any:
    """Start writing ``results.xlsx``; returns a function that waits for it (and raises if it failed).

    On a machine with several cores the workbook (the slowest output: xlsxwriter is pure
    Python) is written by a forked process while the CSV files and the report are written.
    """
    import multiprocessing

    if (os.cpu_count() or 1) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        write_xlsx(path, sheets)
        return lambda: None
    proc = multiprocessing.get_context("fork").Process(
        target=write_xlsx, args=(path, sheets), daemon=True
    )
    proc.start()

    def wait() -> None:
        proc.join()
        if proc.exitcode != 0 or not path.is_file():
            write_xlsx(
                path, sheets
            )  # the child failed (e.g. no memory): write it here, raising on error

    return wait


def write_checkup_outputs(
    result: CheckupResult,
    out: str | Path,
    *,
    lang: str = "zh",
    extra_manifest: dict[str, Any] | None = None,
    xlsx: bool = True,
    extra_langs: tuple[str, ...] = (),
    keep: tuple[str, ...] = (),
) -> Path:
    """Write every output of ``result`` into ``out`` atomically; return the report's path.

    A failure while writing leaves an earlier ``out`` untouched.
    """
    out = Path(out)
    with atomic_dir(out, keep=keep) as tmp:
        r = result
        writer = None
        if xlsx:
            last = r.years[-1]
            sheets = {
                "scores": r.scores,
                "indicators": r.indicators,
                "dimension_coverage": r.dimension_coverage,
                "coverage": r.coverage,
                f"strengths_{last}": r.strengths[r.strengths["year"] == last],
            }
            if not r.changes.empty:
                sheets["changes"] = r.changes
            if not r.grades.empty:
                sheets["grades"] = r.grades
            if not r.rank_intervals.empty:
                sheets["rank_intervals"] = r.rank_intervals
            sheets["checks"] = r.checks.table()
            sheets["flags"] = r.flags
            writer = _start_xlsx(tmp / "results.xlsx", sheets)  # in parallel with the rest
        for name, df in (
            ("scores", r.scores),
            ("indicators", r.indicators),
            ("normalised", r.normalised),
            ("coverage", r.coverage),
            ("dimension_coverage", r.dimension_coverage),
            ("grades", r.grades),
            ("attainment", r.attainment),
            ("strengths", r.strengths),
            ("changes", r.changes),
            ("checks", r.checks.table()),
            ("flags", r.flags),
            ("goalposts", r.goalposts),
            ("references", r.references),
        ):
            write_csv(df, tmp / f"{name}.csv")
        if not r.rank_intervals.empty:
            write_csv(r.rank_intervals, tmp / "rank_intervals.csv")
        (tmp / "report.html").write_text(render_checkup_html(r, lang=lang), encoding="utf-8")
        for other in extra_langs:
            (tmp / f"report_{other}.html").write_text(
                render_checkup_html(r, lang=other), encoding="utf-8"
            )
        if writer is not None:
            writer()
        manifest = _manifest(r, extra_manifest)
        manifest["lang"] = lang
        manifest["outputs"] = sorted(p.name for p in tmp.iterdir())
        (tmp / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )
    return out / "report.html"
