"""The previous-year follow-up (上年度问题整治成效) and the completion rate (问题整治完成率)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from citycheckup.errors import DataError
from citycheckup.inventory._lifecycle import status_at
from citycheckup.inventory._model import Inventory
from citycheckup.inventory._schema import LOWER_LEVELS, OPEN_STATUSES

__all__ = ["FOLLOW_UP_COLUMNS", "FollowUp", "follow_up"]

Transferred = Literal["open", "exclude", "done"]

FOLLOW_UP_COLUMNS = [
    "problem_id",
    "unit_code",
    "level",
    "indicator",
    "mohurd_id",
    "sub_item",
    "register",
    "register_id",
    "road",
    "date_found",
    "first_year",
    "remediation",
    "deadline",
    "department_zh",
    "department_en",
    "status_start",
    "status_end",
    "status_date",
    "closed_date",
    "evidence",
    "project_id",
    "closed_in_period",
    "on_time",
    "overdue",
    "seen_in_survey",
]
SUMMARY_COLUMNS = [
    "unit_code",
    "level",
    "open_at_start",
    "closed",
    "closed_on_time",
    "in_progress",
    "to_project",
    "still_found",
    "denominator",
    "completed",
    "rate",
]


@dataclass(frozen=True)
class FollowUp:
    """The follow-up of the problems open when a check-up year began.

    Attributes
    ----------
    table
        One row per problem open at ``start`` (:data:`FOLLOW_UP_COLUMNS`).
    summary
        Per city and level, plus ``level == "all"``: the counts and the completion rate
        (``rate`` in per cent; missing — and ``denominator`` 0 — when no problem was open).
    start, end
        The period followed up (both days included).
    transferred
        How problems moved into renewal projects were counted (see :func:`follow_up`).
    """

    table: pd.DataFrame
    summary: pd.DataFrame
    start: pd.Timestamp
    end: pd.Timestamp
    transferred: str

    def rate(self, unit_code: str, level: str = "all") -> float | None:
        """The completion rate (%) of ``unit_code`` for ``level`` (``None`` without open problems)."""
        row = self.summary[
            (self.summary["unit_code"] == str(unit_code)) & (self.summary["level"] == level)
        ]
        if row.empty or pd.isna(row["rate"].iloc[0]):
            return None
        return float(row["rate"].iloc[0])


def follow_up(
    inv: Inventory,
    year: int,
    *,
    unit_code: str | None = None,
    start: dt.date | str | None = None,
    end: dt.date | str | None = None,
    transferred: Transferred = "open",
) -> FollowUp:
    """Follow up the problems open at the start of ``year``: 上年度问题整治成效 and 问题整治完成率.

    Parameters
    ----------
    inv
        The inventory with the status history.
    year
        The check-up year doing the follow-up (e.g. 2025 follows up the problems of 2024
        and earlier that were still open on 1 January 2025).
    unit_code
        One city (default: every city in the inventory).
    start, end
        The period (default 1 January and 31 December of ``year``; both included). Use
        the check-up's reference dates when they differ from the calendar year.
    transferred
        How a problem that is 转入更新项目 (in a renewal project, not yet fixed) at ``end``
        counts: ``"open"`` (default) — still open: in the denominator, not completed;
        ``"exclude"`` — removed from the denominator (handed over to the renewal
        programme, no longer the check-up's to fix); ``"done"`` — counted as completed
        (the practice of cities that report a transfer as 整治到位).

    Returns
    -------
    FollowUp

    Notes
    -----
    With :math:`S` = ``start`` and :math:`E` = ``end``:

    * a problem is **open at the start** when it was found before :math:`S` (``date_found
      < S``) and its status at the end of the day before :math:`S` is open (发现, 整治中 or
      转入更新项目). A problem found on :math:`S` belongs to the new year; one closed on
      :math:`S` was open at the start and is closed in the period;
    * it is **closed in the period** when its status at the end of :math:`E` is 已销号 and
      the closing date lies in :math:`[S, E]`;
    * **on time** when it was closed on or before its deadline (deadline day included);
      **overdue** when it is open at the end of :math:`E` and :math:`E` is after its
      deadline (no deadline: never overdue);

    and the completion rate is

    .. math:: \\text{rate} = 100 \\cdot \\frac{\\text{completed}}{\\text{denominator}}

    with completed = closed in the period (+ transferred at :math:`E` when
    ``transferred="done"``) and denominator = open at the start (− transferred at
    :math:`E` when ``transferred="exclude"``). A denominator of 0 gives no rate (``None``
    / missing), never 0 % or 100 %.
    """
    if transferred not in ("open", "exclude", "done"):
        raise DataError(f"transferred must be 'open', 'exclude' or 'done', got {transferred!r}")
    s = pd.Timestamp(start if start is not None else dt.date(year, 1, 1)).normalize()
    e = pd.Timestamp(end if end is not None else dt.date(year, 12, 31)).normalize()
    if e < s:
        raise DataError(f"the follow-up period ends ({e.date()}) before it starts ({s.date()})")
    p = inv.problems
    if unit_code is not None:
        p = p[p["unit_code"].astype(str) == str(unit_code)]
    before = status_at(inv.events, s - pd.Timedelta(days=1))
    at_end = status_at(inv.events, e)
    found = pd.to_datetime(p["date_found"])
    st0 = p["problem_id"].map(before["status"])
    is_open = (found < s) & st0.isin(list(OPEN_STATUSES))
    t = p[is_open.to_numpy()].copy()
    t["status_start"] = t["problem_id"].map(before["status"])
    t["status_end"] = t["problem_id"].map(at_end["status"])
    t["status_date"] = t["problem_id"].map(at_end["date"])
    closed_end = t["status_end"] == "closed"
    t["closed_date"] = t["status_date"].where(closed_end)
    t["evidence"] = t["problem_id"].map(at_end["evidence"]).where(closed_end)
    t["project_id"] = t["problem_id"].map(at_end["project_id"])
    cd = pd.to_datetime(t["closed_date"])
    t["closed_in_period"] = closed_end & (cd >= s) & (cd <= e)
    dl = pd.to_datetime(t["deadline"])
    t["on_time"] = pd.Series(pd.NA, index=t.index, dtype="boolean")
    has = t["closed_in_period"] & dl.notna()
    t.loc[has, "on_time"] = (cd[has] <= dl[has]).to_numpy()
    t["overdue"] = (t["status_end"].isin(list(OPEN_STATUSES)) & dl.notna() & (e > dl)).astype(bool)
    ob = inv.observations
    seen = (
        set(ob.loc[pd.to_numeric(ob["year"]) == int(year), "problem_id"].astype(str))
        if not ob.empty
        else set()
    )
    t["seen_in_survey"] = t["problem_id"].astype(str).isin(seen)
    t["date_found"] = pd.to_datetime(t["date_found"])
    t["deadline"] = dl
    t["_l"] = t["level"].map({lv: i for i, lv in enumerate(LOWER_LEVELS)})
    t["_m"] = t["mohurd_id"].fillna(t["indicator"]).astype(str)
    t = t.sort_values(
        ["unit_code", "_l", "_m", "indicator", "problem_id"], kind="stable"
    ).reset_index(drop=True)
    return FollowUp(
        t[FOLLOW_UP_COLUMNS], _summary(t, transferred, unit_code, inv), s, e, transferred
    )


def _summary(
    t: pd.DataFrame, transferred: str, unit_code: str | None, inv: Inventory
) -> pd.DataFrame:
    units = (
        [str(unit_code)]
        if unit_code is not None
        else sorted(inv.problems["unit_code"].astype(str).unique())
    )
    rows = []
    for u in units:
        tu = t[t["unit_code"].astype(str) == u]
        for level in (*LOWER_LEVELS, "all"):
            g = tu if level == "all" else tu[tu["level"] == level]
            n = len(g)
            closed = int(g["closed_in_period"].sum())
            tp = int((g["status_end"] == "to_project").sum())
            den = n - tp if transferred == "exclude" else n
            done = closed + tp if transferred == "done" else closed
            rows.append(
                {
                    "unit_code": u,
                    "level": level,
                    "open_at_start": n,
                    "closed": closed,
                    "closed_on_time": int(g["on_time"].fillna(False).astype(bool).sum()),
                    "in_progress": int((g["status_end"] == "in_progress").sum()),
                    "to_project": tp,
                    "still_found": int((g["status_end"] == "found").sum()),
                    "denominator": den,
                    "completed": done,
                    "rate": 100.0 * done / den if den > 0 else np.nan,
                }
            )
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
