"""Writing the outputs of a MOHURD-method check-up (``citycheckup run`` with ``mohurd-2025``).

Written atomically into ``out``:

- ``values.csv``         every indicator value per unit and year (all levels)
- ``inventories.csv``    lower levels: count, denominator and share of each problem type
- ``grades.csv``         city level: grade, threshold set, tier and reference of each value
- ``references.csv``     threshold sets that did not grade a value, with the reason
- ``ungraded.csv``       city-level values without an applicable threshold
- ``aspect_grades.csv``, ``task_grades.csv``, ``attainment.csv``, ``changes.csv``,
  ``coverage.csv``, ``checks.csv``, ``flags.csv``
- ``results.xlsx``       the same tables as sheets
- ``report.html`` (+ ``report_<lang>.html``)  the annual report of the city (one unit), or a
  one-page overview of the grades of several units
- ``manifest.json``
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from citycheckup._io import atomic_dir, atomic_file
from citycheckup.checkup import MohurdResult
from citycheckup.report.annual import annual_report, inputs_from_chain
from citycheckup.report.document import to_html
from citycheckup.report.labels import local_now, unit_label, unit_text
from citycheckup.report.messages import t
from citycheckup.report.xlsx import write_xlsx

__all__ = ["TABLES", "write_mohurd_outputs"]

TABLES = (
    "values",
    "inventories",
    "grades",
    "references",
    "ungraded",
    "aspect_grades",
    "task_grades",
    "attainment",
    "changes",
    "coverage",
    "flags",
)


def _overview_html(result: MohurdResult, lang: str) -> str:
    """A one-page overview of the aspect grades of several units (each has its own annual report)."""
    fw = result.framework
    y = result.years[-1]
    ag = result.aspect_grades
    ag = ag[ag["year"] == y] if not ag.empty else ag
    aspects = list(dict.fromkeys(ag["dimension"])) if not ag.empty else []
    names = {d.code: (d.name_zh if lang == "zh" else d.name_en) for d in fw.all_dimensions()}
    units = result.values[result.values["year"] == y][["unit_code", "unit_name"]].drop_duplicates(
        "unit_code"
    )
    e = html.escape
    head = "".join(f"<th>{e(names.get(a, a))}</th>" for a in aspects)
    rows = []
    for u, n in units.itertuples(index=False):
        cells = []
        for a in aspects:
            g = ag[(ag["unit_code"].astype(str) == str(u)) & (ag["dimension"] == a)]
            grade = g["grade"].iloc[0] if len(g) else None
            cells.append(
                f'<td class="a-{grade}">{e(t(f"aspect.{grade}", lang)) if grade else "–"}</td>'
            )
        rows.append(f"<tr><td>{e(unit_label(u, n, lang))}</td>{''.join(cells)}</tr>")
    title = t("mo.overview_title", lang, year=y)
    note = t("mo.overview_note", lang)
    return (
        f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
        f"<title>{e(title)}</title><style>body{{font-family:'Noto Sans CJK SC',sans-serif;margin:16px}}"
        "table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:3px 8px}"
        ".a-excellent{color:#1a7f3c;font-weight:bold}.a-good{color:#2c9f5a}.a-medium{color:#b07d12}"
        f".a-poor{{color:#b8323b;font-weight:bold}}</style></head><body><h1>{e(title)}</h1>"
        f"<p>{e(note)}</p><table><thead><tr><th>{e(t('unit', lang))}</th>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table><p style='color:#777'>{e(local_now(lang))}</p></body></html>"
    )


def _report_html(result: MohurdResult, lang: str, chain: Mapping[str, Any] | None = None) -> str:
    units = result.values["unit_code"].astype(str).unique()
    if len(units) == 1:
        return to_html(
            annual_report(
                inputs_from_chain(result, (chain or {}).get(units[0])), units[0], lang=lang
            )
        )
    return _overview_html(result, lang)


_ANNEX_COLUMNS = (
    "id",
    "code",
    "indicator",
    "level",
    "value",
    "unit",
    "grade",
    "basis",
    "scope",
    "owner",
)

#: Annex workbooks are written per city for runs of at most this many cities (a team's check-up).
MAX_ANNEX_UNITS = 5
CHAIN_TABLES = ("problems", "suggestions", "projects", "followup", "followup_summary")


def _chain_frames(chain: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    out = {}
    for name in CHAIN_TABLES:
        parts = [getattr(ct, name) for ct in chain.values() if not getattr(ct, name).empty]
        if parts:
            out[name] = pd.concat(parts, ignore_index=True)
    return out


def write_annex_workbook(
    result: MohurdResult, inventory: Any, out: Path, *, unit_code: str, lang: str
) -> Path:
    """The annexes as one XLSX: 指标汇总表 first, then the problem chain in the layout of MOHURD's annexes."""
    from openpyxl import load_workbook
    from openpyxl.styles import Font, PatternFill

    from citycheckup.inventory import Inventory, write_annexes

    fw = result.framework
    y = result.years[-1]
    name = unit_label(unit_code, None, lang)
    inv = inventory if inventory is not None else Inventory()
    write_annexes(inv, fw, out, unit_code=unit_code, year=y, unit_name=name, lang=lang)  # type: ignore[arg-type]
    wb = load_workbook(out)
    ws = wb.create_sheet(t("mo.annex1", lang), 0)
    zh = lang == "zh"
    head = [t(f"mo.col.{c}", lang) for c in _ANNEX_COLUMNS]
    ws.append(head)
    for c in ws[1]:
        c.font = Font(bold=True)
        c.fill = PatternFill("solid", fgColor="EEF2F7")
    vals = result.values[
        (result.values["unit_code"].astype(str) == unit_code) & (result.values["year"] == y)
    ]
    v = vals.iloc[0] if len(vals) else pd.Series(dtype=object)
    g = result.grades
    g = (
        g[(g["unit_code"].astype(str) == unit_code) & (g["year"] == y)].set_index("indicator")
        if not g.empty
        else g
    )
    for ind in fw.indicators:
        x = v.get(ind.code) if ind.code in v.index else None
        grade = g.at[ind.code, "grade"] if not g.empty and ind.code in g.index else None
        basis = str(g.at[ind.code, "reference"]) if isinstance(grade, str) else ""
        ws.append(
            [
                ind.mohurd_id or "",
                ind.code,
                ind.name_zh if zh else ind.name_en,
                t(f"level.{ind.level}", lang),
                None if x is None or pd.isna(x) else float(x),
                unit_text(ind.unit, lang, unit_en=ind.unit_en),
                t(f"grade.{grade}", lang) if isinstance(grade, str) else "",
                basis,
                (ind.scope if zh else (ind.scope_en or ind.scope)) or "",
                (ind.owner if zh else (ind.owner_en or ind.owner)) or "",
            ]
        )
    for col, w in zip("ABCDEFGHIJ", (7, 30, 36, 10, 12, 12, 8, 50, 14, 24), strict=True):
        ws.column_dimensions[col].width = w
    ws.freeze_panes = "A2"
    with atomic_file(out, "wb") as fh:
        wb.save(fh)
    return out


def write_mohurd_outputs(
    result: MohurdResult,
    out: str | Path,
    *,
    lang: str = "zh",
    extra_langs: tuple[str, ...] = (),
    extra_manifest: dict[str, Any] | None = None,
    keep: tuple[str, ...] = (),
    chain: Mapping[str, Any] | None = None,
    inventory: Any = None,
) -> Path:
    """Write every output of ``result`` into ``out`` atomically; return the report's path.

    ``chain`` (unit code → :class:`citycheckup.inventory.ChainTables`) adds the problem list,
    suggestions, projects and follow-up (``problems.csv`` …, and ``annex_<unit>_<lang>.xlsx``
    with the inventory ``inventory``).
    """
    from citycheckup.report.checkup_report import _version

    out = Path(out)
    with atomic_dir(out, keep=keep) as tmp:
        frames: dict[str, pd.DataFrame] = {name: getattr(result, name) for name in TABLES}
        for name, df in frames.items():
            df.to_csv(tmp / f"{name}.csv", index=False)
        checks = result.checks.table()
        checks.to_csv(tmp / "checks.csv", index=False)
        cf = _chain_frames(chain) if chain else {}
        for name, df in cf.items():
            df.to_csv(tmp / f"{name}.csv", index=False)
        write_xlsx(
            tmp / "results.xlsx",
            {k: v for k, v in {**frames, **cf, "checks": checks}.items() if not v.empty},
        )
        units = result.values["unit_code"].astype(str).unique()
        for unit in units if len(units) <= MAX_ANNEX_UNITS or chain else []:
            for lg in (lang, *extra_langs):
                write_annex_workbook(
                    result, inventory, tmp / f"annex_{unit}_{lg}.xlsx", unit_code=unit, lang=lg
                )
        (tmp / "report.html").write_text(_report_html(result, lang, chain), encoding="utf-8")
        for other in extra_langs:
            (tmp / f"report_{other}.html").write_text(
                _report_html(result, other, chain), encoding="utf-8"
            )
        fw = result.framework
        manifest = {
            "tool": "citycheckup",
            "version": _version(),
            "kind": "mohurd",
            "created": local_now("en"),
            "framework": {
                "code": fw.code,
                "version": fw.version,
                "name_zh": fw.name_zh,
                "name_en": fw.name_en,
                "method": fw.method,
                "n_indicators": len(fw.indicators),
            },
            "data": [
                {
                    "source": result.dataset.source,
                    "sha256": result.dataset.sha256,
                    "rows": len(result.dataset.data),
                    "units": result.n_units,
                    "years": [result.years[0], result.years[-1]],
                }
            ],
            "parameters": result.options.as_dict(),
            "size_basis": result.size_basis,
            "lang": lang,
            "conversions": getattr(result.dataset, "conversions", []),
            **(extra_manifest or {}),
        }
        manifest["outputs"] = sorted(p.name for p in tmp.iterdir())
        (tmp / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )
    return out / "report.html"
