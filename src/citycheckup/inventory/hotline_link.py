"""12345 hotline tickets into the check-up: classified, located, hotspots as candidate problems.

What residents report to the hotline points at problems the field survey may not have
seen. This module turns a period's tickets into **candidate problems** (候选问题) of
the inventory:

1. **Classify** each ticket with the editable mapping table ``hotline_mapping.yaml``
   (service code, else the ticket's category → a check-up problem type, with its level
   and, where one fits, the mohurd-2025 indicator and sub-item).
2. **Locate** it to a community (社区) and a block (街区): inside a boundary polygon when
   boundaries are given, else the nearest register point within the documented distance
   (``community_distance_m``, ``block_distance_m``). A ticket located to a community and
   to no block takes the block its community belongs to in the register.
3. **Hotspots**: a problem type with at least ``min_tickets`` distinct tickets in one
   community (housing and community problems) or one block (block problems) within the
   period becomes a candidate problem with the ticket IDs as evidence.

Nothing is dropped: every ticket of the period ends with one ``outcome`` —
``candidate`` (evidence of a candidate problem), ``below_threshold``, ``unmapped``,
``unlocated`` (with ``why``: no coordinates, too far, no register) or ``duplicate``
(merged by the hotline into another ticket, not counted twice) — and the counts add up
to the tickets of the period.

A candidate is not a confirmed problem: it enters the problem list with the status
候选 (candidate) and becomes a problem of the inventory only when the field survey
records it. A problem the check-up closed can be linked to the tickets it resolved
(:func:`ticket_links`).
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from citycheckup.errors import DataError
from citycheckup.inventory._chain import PROBLEM_LIST_COLUMNS
from citycheckup.inventory._hotline_locate import locate_tickets, read_boundaries
from citycheckup.inventory._hotline_mapping import HotlineMapping, HotlineRule, load_hotline_mapping
from citycheckup.inventory._lifecycle import current_status
from citycheckup.inventory._model import Inventory
from citycheckup.inventory._schema import LOWER_LEVELS

__all__ = [
    "CANDIDATE_COLUMNS",
    "CANDIDATE_STATUS_LABELS",
    "FINDINGS_FILES",
    "OUTCOMES",
    "TICKET_LINK_COLUMNS",
    "HotlineFindings",
    "HotlineMapping",
    "HotlineRule",
    "candidate_problem_list",
    "classify_tickets",
    "hotline_findings",
    "load_hotline_mapping",
    "locate_tickets",
    "read_boundaries",
    "read_findings",
    "summary_rows",
    "ticket_links",
    "write_findings",
]

#: Outcomes of a ticket of the period.
OUTCOMES: tuple[str, ...] = ("candidate", "below_threshold", "unmapped", "unlocated", "duplicate")
CANDIDATE_STATUS_LABELS: dict[str, str] = {
    "zh": "候选（12345热线集中反映，待实地核实）",
    "en": "candidate (repeated 12345 reports, to be verified on site)",
}
#: One row per candidate problem.
CANDIDATE_COLUMNS = [
    "candidate_id",
    "unit_code",
    "year",
    "level",
    "problem_type",
    "indicator",
    "sub_item",
    "name_zh",
    "name_en",
    "sub_item_zh",
    "sub_item_en",
    "register",
    "register_id",
    "place_name",
    "community_id",
    "block_id",
    "n_tickets",
    "threshold",
    "ticket_ids",
    "first_ticket_date",
    "last_ticket_date",
    "lon",
    "lat",
    "status",
]
#: One row per (closed problem, hotline ticket it resolved).
TICKET_LINK_COLUMNS = ["problem_id", "unit_code", "ticket_id", "note"]
_NEEDED = ("id", "service_code", "lat", "long", "requested_at")


def _check_tickets(tickets: pd.DataFrame) -> None:
    missing = [c for c in _NEEDED if c not in tickets.columns]
    if missing:
        raise DataError(
            f"the hotline tickets lack the columns {missing}; pass HotlineStore.dataframe()"
        )
    dup = tickets["id"][tickets["id"].duplicated()]
    if len(dup):
        raise DataError(f"ticket IDs occur more than once: {sorted(set(dup.astype(str)))[:10]}")


def classify_tickets(tickets: pd.DataFrame, mapping: HotlineMapping) -> pd.DataFrame:
    """Add the rule each ticket matches: ``problem_type, level, indicator, sub_item, name_zh,
    name_en, sub_item_zh, sub_item_en, matched_by`` (``service_code``, ``category`` or empty).

    The service code wins; else the ticket's ``category``, else its ``predicted_category``.
    """
    _check_tickets(tickets)
    svc, cat = mapping.by_service(), mapping.by_category()
    cats = (
        tickets["category"]
        if "category" in tickets.columns
        else pd.Series(None, index=tickets.index)
    )
    pred = (
        tickets["predicted_category"]
        if "predicted_category" in tickets.columns
        else pd.Series(None, index=tickets.index)
    )
    rules: list[HotlineRule | None] = []
    how: list[str] = []
    for code, c, pc in zip(tickets["service_code"], cats, pred, strict=True):
        r = svc.get(str(code))
        if r is not None:
            rules.append(r)
            how.append("service_code")
            continue
        c = c if isinstance(c, str) and c else pc if isinstance(pc, str) and pc else None
        r = cat.get(c) if c else None
        rules.append(r)
        how.append("category" if r is not None else "")
    out = tickets.copy()
    for col in ("problem_type", "level", "indicator", "sub_item", "name_zh", "name_en",
                "sub_item_zh", "sub_item_en"):  # fmt: skip
        out[col] = [getattr(r, col) if r is not None else None for r in rules]
    out["matched_by"] = how
    return out


@dataclass
class HotlineFindings:
    """What the hotline tells the check-up of one city and period."""

    unit_code: str
    year: int
    period: tuple[dt.date, dt.date]
    tickets: pd.DataFrame
    """Every ticket of the period with its rule, place and ``outcome`` (and ``why`` when unlocated)."""
    candidates: pd.DataFrame
    """:data:`CANDIDATE_COLUMNS`."""
    mapping: HotlineMapping
    rates: dict[str, float] = field(default_factory=dict)
    """``response_rate``, ``resolution_rate``, ``satisfaction_rate`` (percent; NaN when not computable)."""

    @property
    def satisfaction_rate(self) -> float | None:
        """The 12345 satisfaction rate of the period in percent (``None`` without ratings)."""
        v = self.rates.get("satisfaction_rate")
        return None if v is None or not math.isfinite(v) else float(v)

    def counts(self) -> dict[str, int]:
        """Tickets of the period by outcome, and ``tickets`` (their total)."""
        c = self.tickets["outcome"].value_counts()
        return {"tickets": len(self.tickets), **{o: int(c.get(o, 0)) for o in OUTCOMES}}

    def listed(self, outcome: str) -> pd.DataFrame:
        """The tickets of one outcome (e.g. ``unlocated``), for the lists that go with the report."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, got {outcome!r}")
        return self.tickets[self.tickets["outcome"] == outcome].reset_index(drop=True)


def _local_dates(ts: pd.Series, timezone: str) -> pd.Series:
    t = pd.to_datetime(ts, errors="coerce")
    if t.dt.tz is None:
        t = t.dt.tz_localize("UTC")
    return t.dt.tz_convert(zoneinfo.ZoneInfo(timezone)).dt.date


def hotline_findings(
    tickets: pd.DataFrame,
    registers: Inventory,
    unit_code: str,
    year: int,
    *,
    mapping: HotlineMapping | None = None,
    period: tuple[dt.date, dt.date] | None = None,
    timezone: str = "Asia/Shanghai",
    boundaries: Mapping[str, Mapping[str, Any]] | None = None,
) -> HotlineFindings:
    """Classify, locate and count the tickets of a period; hotspots become candidate problems.

    Parameters
    ----------
    tickets
        ``HotlineStore.dataframe()`` (naive UTC times); tickets of other periods are ignored.
    registers
        The inventory holding the community and block registers of ``unit_code`` and ``year``.
    period
        First and last day (inclusive, in ``timezone``); default: the calendar year ``year``.
    timezone
        The city's time zone, which decides the day a ticket was filed.
    """
    mapping = mapping if mapping is not None else load_hotline_mapping()
    _check_tickets(tickets)
    start, end = period if period is not None else (dt.date(year, 1, 1), dt.date(year, 12, 31))
    if start > end:
        raise DataError(f"the period starts ({start}) after it ends ({end})")
    day = _local_dates(tickets["requested_at"], timezone)
    bad = day.isna()
    if bad.any():
        raise DataError(
            f"{int(bad.sum())} ticket(s) have no valid requested_at: IDs "
            f"{tickets.loc[bad, 'id'].astype(str).tolist()[:10]}"
        )
    t = tickets[(day >= start) & (day <= end)].copy()
    t["date"] = day[t.index]
    t = classify_tickets(t.reset_index(drop=True), mapping)
    t = locate_tickets(t, registers, str(unit_code), int(year), mapping, boundaries=boundaries)
    t["place_kind"] = np.where(t["level"] == "block", "block", "community")
    t["place_id"] = np.where(t["place_kind"] == "block", t["block_id"], t["community_id"])
    dup = (t["state"] == "duplicate") if "state" in t.columns else pd.Series(False, index=t.index)
    if "duplicate_of" in t.columns:
        dup = dup | t["duplicate_of"].notna()
    outcome = np.full(len(t), "", dtype=object)
    why = np.full(len(t), None, dtype=object)
    outcome[dup.to_numpy()] = "duplicate"
    unmapped = (~dup & t["problem_type"].isna()).to_numpy()
    outcome[unmapped] = "unmapped"
    unloc = ~dup.to_numpy() & ~unmapped & t["place_id"].isna().to_numpy()
    outcome[unloc] = "unlocated"
    nreg = {
        k: len(
            registers.register(k, unit_code=str(unit_code), year=int(year)).dropna(
                subset=["lon", "lat"]
            )
        )
        for k in ("community", "block")
    }
    for i in np.flatnonzero(unloc):
        if not t["has_coordinates"].iat[int(i)]:
            why[i] = "no_coordinates"
        elif nreg["community"] == 0 and nreg["block"] == 0:
            why[i] = "no_register"
        else:
            why[i] = "too_far"
    counted = t[outcome == ""]
    key = ["place_kind", "place_id", "problem_type"]
    n = counted.groupby(key)["id"].transform("size") if len(counted) else pd.Series(dtype=int)
    hot = n >= mapping.min_tickets
    outcome[counted.index[hot.to_numpy()]] = "candidate"
    outcome[counted.index[~hot.to_numpy()]] = "below_threshold"
    t["outcome"] = outcome
    t["why"] = why
    cands = _candidates(
        t[t["outcome"] == "candidate"], registers, str(unit_code), int(year), mapping
    )
    return HotlineFindings(
        str(unit_code), int(year), (start, end), t, cands, mapping, _rates(t, timezone)
    )


def _rates(t: pd.DataFrame, timezone: str) -> dict[str, float]:
    from citycheckup.errors import HotlineError
    from citycheckup.hotline.metrics import rates

    if t.empty:
        return {}
    try:
        r = rates(t.assign(_all="all"), by=["_all"], timezone=timezone, percent=True)
    except HotlineError:  # tickets from a file without the workflow columns: no rates
        return {}
    return {
        k: float(r[k].iloc[0])
        for k in ("response_rate", "resolution_rate", "satisfaction_rate")
        if k in r.columns
    }


def _candidates(
    hot: pd.DataFrame, registers: Inventory, unit: str, year: int, mapping: HotlineMapping
) -> pd.DataFrame:
    if hot.empty:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    regs = {
        k: registers.register(k, unit_code=unit, year=year)
        .assign(_id=lambda d, k=k: d[f"{k}_id"].astype(str))  # type: ignore[misc]
        .drop_duplicates("_id")
        .set_index("_id")
        for k in ("community", "block")
    }
    rows = []
    for (kind, pid, ptype), g in hot.groupby(["place_kind", "place_id", "problem_type"], sort=True):
        first = g.iloc[0]
        reg = regs[str(kind)]
        rec = reg.loc[str(pid)] if str(pid) in reg.index else None
        ids = sorted(int(x) if str(x).isdigit() else x for x in g["id"])
        rows.append(
            {
                "candidate_id": f"HL{year}-{kind}-{pid}-{ptype}",
                "unit_code": unit,
                "year": year,
                "level": first["level"],
                "problem_type": ptype,
                "indicator": first["indicator"],
                "sub_item": first["sub_item"],
                "name_zh": first["name_zh"],
                "name_en": first["name_en"],
                "sub_item_zh": first["sub_item_zh"],
                "sub_item_en": first["sub_item_en"],
                "register": kind,
                "register_id": str(pid),
                "place_name": None if rec is None else rec.get("name"),
                "community_id": str(pid) if kind == "community" else None,
                "block_id": str(pid)
                if kind == "block"
                else (None if rec is None else rec.get("block_id")),
                "n_tickets": len(g),
                "threshold": mapping.min_tickets,
                "ticket_ids": ";".join(str(i) for i in ids),
                "first_ticket_date": min(g["date"]),
                "last_ticket_date": max(g["date"]),
                "lon": None if rec is None else rec.get("lon"),
                "lat": None if rec is None else rec.get("lat"),
                "status": "candidate",
            }
        )
    df = pd.DataFrame(rows, columns=CANDIDATE_COLUMNS)
    order = {lv: i for i, lv in enumerate(LOWER_LEVELS)}
    df["_l"] = df["level"].map(order)
    df = df.sort_values(["_l", "n_tickets", "candidate_id"], ascending=[True, False, True])
    return df.drop(columns="_l").reset_index(drop=True)


def candidate_problem_list(candidates: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Candidates as rows of the problem list (:data:`PROBLEM_LIST_COLUMNS` + ``source, ticket_ids``).

    ``status`` is ``candidate``; ``problem_id`` the candidate's ID; ``date_found`` the
    day of its latest ticket; ``quantity`` the number of tickets (the evidence count);
    ``measure_*`` says it is to be verified on site. Append it to
    :func:`citycheckup.inventory.problem_list` to see both in one table.
    """
    if candidates.empty:
        return pd.DataFrame(columns=[*PROBLEM_LIST_COLUMNS, "source", "ticket_ids"])
    c = candidates
    out = pd.DataFrame(index=c.index)
    for col in PROBLEM_LIST_COLUMNS:
        out[col] = c[col] if col in c.columns else None
    out["problem_id"] = c["candidate_id"]
    out["place"] = c["place_name"]
    out["community_name"] = c["place_name"].where(c["register"] == "community", None)
    out["block_name"] = c["place_name"].where(c["register"] == "block", None)
    out["quantity"] = c["n_tickets"]
    out["unit"] = "件" if lang == "zh" else "tickets"
    out["date_found"] = pd.to_datetime(c["last_ticket_date"])
    out["first_year"] = c["year"]
    out["year_seen"] = c["year"]
    out["status"] = "candidate"
    out["status_date"] = pd.to_datetime(c["last_ticket_date"])
    out["measure_zh"] = "实地核实后录入问题清单或销号"
    out["measure_en"] = "Verify on site, then record it as a problem or dismiss it"
    out["source"] = "12345"
    out["ticket_ids"] = c["ticket_ids"]
    return out.reset_index(drop=True)


def ticket_links(
    inv: Inventory, problem_id: str, ticket_ids: Iterable[int | str], *, note: str | None = None
) -> pd.DataFrame:
    """Rows linking a closed problem to the hotline tickets it resolved (:data:`TICKET_LINK_COLUMNS`).

    Raises
    ------
    citycheckup.errors.DataError
        The problem is unknown or not closed (销号 first, with date and evidence), or a
        ticket ID is not a positive whole number.
    """
    p = inv.problems[inv.problems["problem_id"] == problem_id]
    if p.empty:
        raise DataError(
            f"no problem {problem_id!r} in the inventory; list them with `problems list`"
        )
    st = current_status(inv.events)
    status = st["status"].get(problem_id)
    if status != "closed":
        raise DataError(
            f"problem {problem_id} is {status or 'without status'}, not closed: close it "
            "(`problems close`, with date and evidence) before linking the tickets it resolved"
        )
    ids: list[int] = []
    bad: list[str] = []
    for x in ticket_ids:
        s = str(x).strip()
        if s.isdigit() and int(s) > 0:
            ids.append(int(s))
        else:
            bad.append(s)
    if bad or not ids:
        raise DataError(
            f"ticket IDs must be positive whole numbers (the 12345 service_request_id); got {bad or 'none'}"
        )
    unit = str(p["unit_code"].iloc[0])
    return pd.DataFrame(
        [
            {"problem_id": problem_id, "unit_code": unit, "ticket_id": i, "note": note}
            for i in sorted(set(ids))
        ],
        columns=TICKET_LINK_COLUMNS,
    )


def summary_rows(findings: HotlineFindings, lang: str) -> list[tuple[str, str]]:
    """Reader-facing (label, value) pairs of what happened to the period's tickets."""
    c = findings.counts()
    zh = lang == "zh"
    labels: Sequence[tuple[str, str, str]] = (
        ("tickets", "期内工单", "Tickets of the period"),
        ("candidate", "构成候选问题的工单", "Tickets behind candidate problems"),
        ("below_threshold", "已定位、未达集中阈值", "Located, below the threshold"),
        ("unmapped", "不属体检问题类型", "Not a check-up problem type"),
        ("unlocated", "无法定位到社区或街区", "Could not be placed in a community or block"),
        ("duplicate", "重复工单（已合并，不重复计数）", "Duplicates (merged, not counted twice)"),
    )
    return [(zh_l if zh else en_l, f"{c[k]:,}") for k, zh_l, en_l in labels]


#: Files of :func:`write_findings` in a folder (a check-up run, or ``problems hotline --out``).
FINDINGS_FILES = ("hotline_candidates.csv", "hotline_tickets.csv", "hotline_findings.json")


def write_findings(findings: HotlineFindings, out: str | Path) -> list[Path]:
    """Write the candidates, every ticket with its outcome, and the period's figures to ``out``.

    :func:`read_findings` reads them back for the annual report.
    """
    import json

    from citycheckup._io import safe_child

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cand, tick, meta = (safe_child(out, n) for n in FINDINGS_FILES)
    findings.candidates.to_csv(cand, index=False)
    findings.tickets.to_csv(tick, index=False)
    m = findings.mapping
    meta.write_text(
        json.dumps(
            {
                "unit_code": findings.unit_code,
                "year": findings.year,
                "period": [str(findings.period[0]), str(findings.period[1])],
                "rates": {k: (v if math.isfinite(v) else None) for k, v in findings.rates.items()},
                "counts": findings.counts(),
                "mapping": {
                    "source": m.source,
                    "version": m.version,
                    "min_tickets": m.min_tickets,
                    "community_distance_m": m.community_distance_m,
                    "block_distance_m": m.block_distance_m,
                },
            },
            ensure_ascii=False,
            indent=1,
        ),
        encoding="utf-8",
    )
    return [cand, tick, meta]


def read_findings(folder: str | Path) -> HotlineFindings | None:
    """The findings :func:`write_findings` left in ``folder`` (``None`` when there are none).

    The mapping comes back with its thresholds and source only (its rules are not needed
    to report); the ticket list is read as written.
    """
    import json

    folder = Path(folder)
    cand, tick, meta = (folder / n for n in FINDINGS_FILES)
    if not meta.is_file():
        return None
    missing = [p.name for p in (cand, tick) if not p.is_file()]
    if missing:
        raise DataError(
            f"{folder}: {', '.join(missing)} missing next to {meta.name}; write them again"
        )
    try:
        info = json.loads(meta.read_text(encoding="utf-8"))
        m = info["mapping"]
        mapping = HotlineMapping(
            (), int(m["min_tickets"]), float(m["community_distance_m"]),
            float(m["block_distance_m"]), str(m.get("version", "")), str(m.get("source", "")),
        )  # fmt: skip
        period = (
            dt.date.fromisoformat(info["period"][0]),
            dt.date.fromisoformat(info["period"][1]),
        )
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise DataError(f"{meta}: not a hotline findings file ({exc})") from exc
    ids = {
        "candidate_id": str,
        "register_id": str,
        "community_id": str,
        "block_id": str,
        "ticket_ids": str,
    }
    cands = pd.read_csv(cand, dtype=ids)
    tickets = pd.read_csv(tick, dtype={"community_id": str, "block_id": str, "place_id": str})
    rates = {k: float("nan") if v is None else float(v) for k, v in info.get("rates", {}).items()}
    return HotlineFindings(
        str(info["unit_code"]), int(info["year"]), period, tickets,
        cands.reindex(columns=CANDIDATE_COLUMNS), mapping, rates,
    )  # fmt: skip
