"""Annual report, part 3: 四 住房、小区（社区）、街区 (counts over denominators, located problems, their
map) and what the 12345 hotline adds (智慧高效 and candidate problems with ticket evidence)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from citycheckup.checkup import LOWER_LEVELS
from citycheckup.framework.models import Framework, Indicator
from citycheckup.report._annual_common import (
    UNIT,
    YEAR,
    AnnualInputs,
    _dim_name,
    _labelled,
    _name,
    _num,
    _pick,
    _unit,
    _variable_name,
)
from citycheckup.report.document import Figure, Para, Section, Table
from citycheckup.report.messages import t

_LOCATED_SHOWN = 12
_TICKETS_SHOWN = 8


def _lower_levels(
    inp: AnnualInputs, fw: Framework, code: str, y: int, inds: dict[str, Indicator], lang: str
) -> Section:
    r = inp.result
    s = Section(t("a.lower_levels", lang))
    inv = r.inventories
    inv = inv[(inv[UNIT].astype(str) == code) & (inv[YEAR] == y)] if not inv.empty else inv
    for lev in LOWER_LEVELS:
        level = t(f"level.{lev}", lang)
        sub = Section(level if lang == "zh" else level.capitalize())
        part = inv[inv["level"] == lev] if not inv.empty else inv
        if part.empty:
            sub.add(Para(t("a.no_level_survey", lang, level=level)))
        else:
            _level_tables(sub, part, fw, inds, lang)
        _located(sub, inp, lev, lang)
        _hotline_candidates(sub, inp, lev, lang)
        s.subsections.append(sub)
    fig = _problem_map(inp, lang)
    if fig is not None:
        s.add(fig)
    return s


def _level_tables(
    sub: Section, part: pd.DataFrame, fw: Framework, inds: dict[str, Indicator], lang: str
) -> None:
    """Problem counts over their denominators, and the level's coverage rates apart."""
    rows, cov = [], []
    for rec in part.to_dict("records"):
        ind = inds[rec["indicator"]]
        den = _variable_name(fw, rec["denominator"], lang) if rec["denominator"] else ""
        share = "–" if pd.isna(rec["rate"]) else f"{rec['rate']:.2f} %"
        if ind.unit.strip() == "%":  # a coverage rate of the level (e.g. B-01), not a problem count
            cov.append([_name(ind, lang), share, den or "–", _num(rec["denominator_value"])])
            continue
        rows.append(
            [
                _name(ind, lang),
                _num(rec["count"]),
                _unit(ind, lang),
                den or "–",
                _num(rec["denominator_value"]),
                share,
            ]
        )
    if rows:
        sub.add(
            Table(
                [
                    t(f"a.col.{k}", lang)
                    for k in ("problem", "count", "unit", "denominator", "of", "share")
                ],
                rows,
                numeric=[False, True, False, False, True, True],
            )
        )
    if cov:
        sub.add(
            Table(
                [t(f"a.col.{k}", lang) for k in ("coverage", "rate", "measured_over", "amount")],
                cov,
                numeric=[False, True, False, True],
            )
        )


def _located(sub: Section, inp: AnnualInputs, lev: str, lang: str) -> None:
    """The first located problems of a level (the full list is the annex), with where they are."""
    pl = inp.problems
    if pl is None or pl.empty or "level" not in pl.columns:
        return
    part = pl[pl["level"] == lev]
    if part.empty:
        return
    rows = []
    for rec in part.head(_LOCATED_SHOWN).to_dict("records"):
        where = next(
            (
                str(rec[c])
                for c in ("compound_name", "community_name", "block_name", "place", "district")
                if c in rec and isinstance(rec[c], str) and rec[c]
            ),
            "",
        )
        sub_item = rec.get(_pick("sub_item_zh", "sub_item_en", lang)) or ""
        status = str(rec.get("status"))
        rows.append(
            [
                str(rec["problem_id"]),
                str(rec.get(_pick("name_zh", "name_en", lang), "")),
                str(sub_item),
                where,
                t(f"a.located_status.{status}", lang) if status in _STATUSES else status,
                t(f"remediation.{rec.get('remediation', 'best_effort')}", lang),
            ]
        )
    more = len(part) - len(rows)
    sub.add(
        Table(
            [
                t(f"a.col.{k}", lang)
                for k in ("id", "problem", "sub_item", "where", "status", "type")
            ],
            rows,
            caption=t("a.located_caption", lang, n=len(part)),
        )
    )
    if more > 0:
        sub.add(Para(t("a.located_more", lang, n=more), "note"))


_STATUSES = ("found", "in_progress", "closed", "to_project")


def _problem_map(inp: AnnualInputs, lang: str) -> Figure | None:
    pl = inp.problems
    if pl is None or pl.empty or not {"lon", "lat", "level"} <= set(pl.columns):
        return None
    pts = pl.dropna(subset=["lon", "lat"])
    if pts.empty:
        return None
    from citycheckup.report import charts

    svg = charts.problem_points_svg(
        [
            (float(x), float(y), str(g))
            for x, y, g in zip(pts["lon"], pts["lat"], pts["level"], strict=True)
        ],
        labels={lev: t(f"level.{lev}", lang) for lev in LOWER_LEVELS},
        title=t("a.map_title", lang),
    )
    return Figure(caption=t("a.map_caption", lang), svg=svg)


def _hotline_smart(hot: Any, fw: Framework, lang: str) -> Section:
    """智慧高效: what the 12345 tickets of the period tell the check-up (rates, tickets into problems)."""
    from citycheckup.inventory.hotline_link import summary_rows

    aspect = (
        _dim_name(fw, "city_smart", lang)
        if any(d.code == "city_smart" for d in fw.all_dimensions())
        else ""
    )
    s = Section(t("a.hotline_aspect", lang, aspect=aspect) if aspect else t("a.hotline", lang))
    a, b = hot.period
    rates = [
        (t(f"a.rate.{k}", lang), hot.rates.get(f"{k}_rate"))
        for k in ("response", "resolution", "satisfaction")
    ]
    rows = [[k, "–" if v is None or not math.isfinite(v) else f"{v:.1f} %"] for k, v in rates]
    rows += [[k, v] for k, v in summary_rows(hot, lang)]
    rows.append([t("a.candidates", lang), f"{len(hot.candidates):,}"])
    period = t("a.period", lang, a=a, b=b)
    s.add(
        Table(
            [t("a.col.item", lang), t("a.col.value", lang)],
            rows,
            numeric=[False, True],
            caption=t("a.hotline_caption", lang, period=period),
        )
    )
    m = hot.mapping
    s.add(
        Para(
            t(
                "a.hotline_method",
                lang,
                community_m=f"{m.community_distance_m:,.0f}",
                block_m=f"{m.block_distance_m:,.0f}",
                min_tickets=m.min_tickets,
            ),
            "note",
        )
    )
    return s


def _hotline_candidates(sub: Section, inp: AnnualInputs, lev: str, lang: str) -> None:
    """Candidate problems of a level from repeated 12345 tickets, with the ticket IDs as evidence."""
    c = getattr(inp.hotline, "candidates", None)
    if c is None or c.empty:
        return
    part = c[c["level"] == lev]
    if part.empty:
        return
    rows = []
    for rec in part.head(_LOCATED_SHOWN).to_dict("records"):
        sub_item = rec.get(_pick("sub_item_zh", "sub_item_en", lang))
        name = str(rec.get(_pick("name_zh", "name_en", lang)) or "")
        what = _labelled(name, sub_item if isinstance(sub_item, str) else "", lang)
        ids = str(rec["ticket_ids"]).split(";")
        shown = t("sep.list", lang).join(ids[:_TICKETS_SHOWN])
        if len(ids) > _TICKETS_SHOWN:
            shown += t("a.tickets_more", lang, n=len(ids), more=len(ids) - _TICKETS_SHOWN)
        where = rec.get("place_name")
        if lang != "zh" and (not isinstance(where, str) or not where.isascii()):
            # register names are Chinese: the English report names the register entry
            where = t(
                f"a.register.{'community' if rec['register'] == 'community' else 'block'}",
                lang,
                id=rec["register_id"],
            )
        rows.append(
            [
                what,
                str(where) if isinstance(where, str) and where else "–",
                f"{int(rec['n_tickets']):,}",
                shown,
            ]
        )
    sub.add(
        Table(
            [t(f"a.col.{k}", lang) for k in ("problem", "where", "tickets", "ticket_numbers")],
            rows,
            numeric=[False, False, True, False],
            caption=t("a.candidates_caption", lang, n=len(part)),
        )
    )
    if len(part) > len(rows):
        sub.add(Para(t("a.candidates_more", lang, n=len(part) - len(rows)), "note"))
