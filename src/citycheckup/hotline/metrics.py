"""The three rates of 接诉即办 (响应率、解决率、满意率), timeliness and reopen rate.

Definitions (our proposal, following the Beijing regulation's 考评内容 and the
FixMyStreet questionnaire; documented in ``docs/hotline.md``)
---------------------------------------------------------------------------------
Valid requests exclude those merged as duplicates and those rejected as not
responsible; both counts stay visible (``n_duplicate``, ``n_rejected``).

- **response rate (响应率)** = requests whose first response (签收 ``accept``, or a
  ``resolve``/``return`` before any accept) came no later than the response deadline
  ÷ dispatched valid requests whose response is due by ``as_of`` or already given.
- **resolution rate (解决率)** = requests assessed as solved ÷ requests assessed.
  The assessment is the citizen's answer in the follow-up (回访) when there is one,
  else the department's outcome recorded at ``resolve``; ``share_citizen_assessed``
  tells which share came from citizens.
- **satisfaction rate (满意率)** = (满意 + 基本满意) ÷ rated requests.
- **on-time rate (按时办结率)** = resolved no later than ``expected_datetime`` ÷ resolved.
- **reopen rate** = requests reopened at least once ÷ resolved.

A rate whose denominator is 0 is missing (NaN), never 0 or 100; the denominators
are returned next to every rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from citycheckup.errors import HotlineError

__all__ = ["INDICATOR_CODES", "indicator_table", "rates", "write_indicator_table"]

INDICATOR_CODES = {
    "response_rate": "hotline_response_rate",
    "resolution_rate": "hotline_resolution_rate",
    "satisfaction_rate": "hotline_satisfaction_rate",
    "ontime_rate": "hotline_ontime_rate",
}
_NEEDED = (
    "requested_at",
    "state",
    "dispatched_at",
    "first_response_at",
    "response_due_at",
    "resolved_at",
    "expected_at",
    "solved",
    "solved_source",
    "satisfaction",
    "reopen_count",
)


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    return (num / den.where(den > 0)).astype(float)


def rates(
    requests: pd.DataFrame,
    *,
    by: Sequence[str] = ("month", "district", "department", "category"),
    as_of: pd.Timestamp | None = None,
    timezone: str = "Asia/Shanghai",
    percent: bool = False,
) -> pd.DataFrame:
    """The three rates, on-time and reopen rates per group, with their counts.

    Parameters
    ----------
    requests
        Requests as returned by ``HotlineStore.dataframe()`` (naive UTC times).
    by
        Grouping columns; ``"month"`` (``YYYY-MM`` of receipt in ``timezone``) and
        ``"year"`` are derived. Missing group values appear as ``"(none)"``.
    as_of
        Reference time (naive UTC) for responses not yet due; default: now.
    timezone
        Zone for months and years.
    percent
        Rates in percent (0–100) instead of shares (0–1).

    Returns
    -------
    pandas.DataFrame
        One row per group: ``n_requests``, ``n_duplicate``, ``n_rejected``, ``n_valid``,
        ``n_response_due``, ``n_responded_on_time``, ``response_rate``, ``n_assessed``,
        ``n_solved``, ``resolution_rate``, ``share_citizen_assessed``, ``n_rated``,
        ``n_satisfied``, ``satisfaction_rate``, ``n_resolved``, ``n_on_time``,
        ``ontime_rate``, ``n_reopened``, ``reopen_rate``.
    """
    missing = [c for c in _NEEDED if c not in requests.columns]
    if missing:
        raise HotlineError(f"rates() needs the columns {missing}; pass HotlineStore.dataframe()")
    df = requests.copy()
    for c in (
        "requested_at",
        "dispatched_at",
        "first_response_at",
        "response_due_at",
        "resolved_at",
        "expected_at",
    ):
        df[c] = pd.to_datetime(df[c])
    local = df["requested_at"].dt.tz_localize("UTC").dt.tz_convert(timezone)
    df["month"] = local.dt.strftime("%Y-%m")
    df["year"] = local.dt.year
    as_of_ts = (
        pd.Timestamp(as_of) if as_of is not None else pd.Timestamp.now(tz="UTC").tz_localize(None)
    )
    by = list(by)
    for c in by:
        if c not in df.columns:
            raise HotlineError(f"cannot group by {c!r}: no such column")
        if df[c].dtype == object or str(df[c].dtype).startswith("str"):
            df[c] = df[c].fillna("(none)")
    dup = df["state"] == "duplicate"
    rej = df["state"] == "rejected"
    valid = ~(dup | rej)
    responded = df["first_response_at"].notna()
    due = valid & df["dispatched_at"].notna() & (responded | (df["response_due_at"] <= as_of_ts))
    on_time_resp = due & responded & (df["first_response_at"] <= df["response_due_at"])
    solved = df["solved"].astype("boolean")
    assessed = valid & solved.notna()
    rated = valid & df["satisfaction"].notna()
    satisfied = rated & df["satisfaction"].isin(["satisfied", "basically_satisfied"])
    resolved = valid & df["resolved_at"].notna()
    on_time = resolved & (df["resolved_at"] <= df["expected_at"])
    flags = pd.DataFrame(
        {
            "n_requests": 1,
            "n_duplicate": dup,
            "n_rejected": rej,
            "n_valid": valid,
            "n_response_due": due,
            "n_responded_on_time": on_time_resp,
            "n_assessed": assessed,
            "n_solved": assessed & solved.fillna(False),
            "n_citizen_assessed": assessed & (df["solved_source"] == "citizen"),
            "n_rated": rated,
            "n_satisfied": satisfied,
            "n_resolved": resolved,
            "n_on_time": on_time,
            "n_reopened": resolved & (df["reopen_count"].fillna(0) > 0),
        }
    ).astype(int)
    g = (
        flags.groupby([df[c] for c in by], dropna=False, sort=True).sum()
        if by
        else flags.sum().to_frame().T
    )
    scale = 100.0 if percent else 1.0
    g["response_rate"] = _ratio(g["n_responded_on_time"], g["n_response_due"]) * scale
    g["resolution_rate"] = _ratio(g["n_solved"], g["n_assessed"]) * scale
    g["share_citizen_assessed"] = _ratio(g["n_citizen_assessed"], g["n_assessed"])
    g["satisfaction_rate"] = _ratio(g["n_satisfied"], g["n_rated"]) * scale
    g["ontime_rate"] = _ratio(g["n_on_time"], g["n_resolved"]) * scale
    g["reopen_rate"] = _ratio(g["n_reopened"], g["n_resolved"]) * scale
    order = [
        "n_requests",
        "n_duplicate",
        "n_rejected",
        "n_valid",
        "n_response_due",
        "n_responded_on_time",
        "response_rate",
        "n_assessed",
        "n_solved",
        "resolution_rate",
        "share_citizen_assessed",
        "n_rated",
        "n_satisfied",
        "satisfaction_rate",
        "n_resolved",
        "n_on_time",
        "ontime_rate",
        "n_reopened",
        "reopen_rate",
    ]
    return g[order].reset_index() if by else g[order].reset_index(drop=True)


def indicator_table(
    requests: pd.DataFrame,
    *,
    unit_column: str | None = None,
    unit_name: str | None = None,
    unit_code: str | None = None,
    as_of: pd.Timestamp | None = None,
    timezone: str = "Asia/Shanghai",
) -> pd.DataFrame:
    """A wide table of ``smart``-dimension indicators for ``citycheckup run``.

    Parameters
    ----------
    requests
        As for :func:`rates`.
    unit_column
        Column naming the unit (e.g. ``"district"``); ``None`` treats all requests as
        one unit named ``unit_name`` / coded ``unit_code``.
    unit_name, unit_code
        Name or code of the single unit (one of them is needed without ``unit_column``).
    as_of, timezone
        As for :func:`rates`.

    Returns
    -------
    pandas.DataFrame
        Columns ``unit_code`` or ``unit_name``, ``year``, ``hotline_response_rate``,
        ``hotline_resolution_rate``, ``hotline_satisfaction_rate``, ``hotline_ontime_rate``
        (percent, 0–100; NaN where the denominator is 0).
    """
    if unit_column is None:
        if unit_name is None and unit_code is None:
            raise HotlineError("indicator_table needs unit_column, unit_name or unit_code")
        id_col = "unit_code" if unit_code is not None else "unit_name"
        df = requests.assign(_unit=unit_code if unit_code is not None else unit_name)
    else:
        if unit_column not in requests.columns:
            raise HotlineError(f"unit column {unit_column!r} not in the requests")
        id_col = "unit_name"
        df = requests.assign(_unit=requests[unit_column])
    r = rates(df, by=("_unit", "year"), as_of=as_of, timezone=timezone, percent=True)
    out = r.rename(columns={"_unit": id_col, **INDICATOR_CODES})
    return out[[id_col, "year", *INDICATOR_CODES.values()]].reset_index(drop=True)


def write_indicator_table(table: pd.DataFrame, path: str | Path) -> Path:
    """Write the indicator table as CSV (UTF-8, atomically)."""
    from citycheckup._io import write_text_atomic

    p = Path(path)
    write_text_atomic(p, table.to_csv(index=False, float_format="%.4f"))
    return p


def _nan_to_none(v: float) -> float | None:
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else v
