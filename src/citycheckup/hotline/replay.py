"""Replay historical 311 data (Baltimore, NYC) through the Open311 API.

Each source row becomes one ``POST /requests`` made with an admin key (which may
set the historical ``requested_datetime``, ``expected_datetime``, department,
district and channel) followed by the workflow transitions its status implies,
posted with their historical times. A catalogue of the source's service types is
built from the data, so that the server can be started with it.

Mapping
-------
Baltimore (Open Baltimore 311 sample): SRType → service, Agency → department,
CouncilDistrict → district, MethodReceived → channel (``internal`` = proactive,
the real-world analogue of 未诉先办), DueDate → expected_datetime.
``Closed`` → ``resolve`` at CloseDate (solved by the department);
``… (Duplicate)`` → ``merge``; ``Closed (Transferred)`` → ``reject`` (not
responsible); ``Pending``/``In Progress`` → ``accept`` at StatusDate.

NYC (311 Service Requests schema): Complaint Type → service, Agency →
department, Borough → district, Open Data Channel Type → channel; Resolution
Action Updated Date → ``accept``; ``Closed`` → ``resolve`` at Closed Date, with
solved from the resolution text (action taken / summons → solved; no evidence,
gone, no access, not necessary → not solved); "does not fall under … jurisdiction"
→ ``reject``. The sample has no Due Date, so its services get a 1-day deadline.

Neither source has citizen ratings, so satisfaction cannot be computed from a replay.
"""

from __future__ import annotations

import logging
import re
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from citycheckup.errors import DataError, HotlineError, Problem
from citycheckup.hotline.catalogue import Catalogue, catalogue_from_mapping

__all__ = [
    "ReplayItem",
    "ReplayResult",
    "load_baltimore",
    "load_nyc",
    "replay",
    "replay_catalogue",
    "replay_catalogue_mapping",
]

logger = logging.getLogger(__name__)
US_TZ = "America/New_York"
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass
class ReplayItem:
    """One historical request: its form fields and later transitions."""

    source: str
    source_id: str
    service_code: str
    service_name: str
    department: str
    form: dict[str, str]
    transitions: list[dict[str, str]] = field(default_factory=list)
    due_hours: float | None = None


@dataclass
class ReplayResult:
    """What a replay did."""

    posted: int = 0
    transitions: int = 0
    errors: list[str] = field(default_factory=list)
    ids: dict[str, int] = field(default_factory=dict)


class _Client(Protocol):
    def post(self, url: str, *, data: Any = ..., headers: Any = ...) -> Any: ...


def _slug(text: str) -> str:
    return _SLUG.sub("_", text.lower()).strip("_")[:64] or "other"


def _w3c(ts: pd.Timestamp, tz: zoneinfo.ZoneInfo) -> str:
    return ts.to_pydatetime().replace(tzinfo=tz).isoformat(timespec="seconds")


def _read(path: str | Path, needed: Sequence[str]) -> pd.DataFrame:
    p = Path(path)
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError) as exc:
        raise DataError(f"cannot read {p}: {exc}") from exc
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise DataError(
            f"{p.name} is not in the expected layout",
            problems=[Problem(f"missing column {c!r}", p.name) for c in missing],
        )
    return df


def _time(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series.replace("", None), format="%m/%d/%Y %I:%M:%S %p", errors="coerce")


def _location(lat: str, lon: str, address: str, ident: str) -> dict[str, str]:
    try:
        la, lo = float(lat), float(lon)
    except ValueError:
        la = lo = float("nan")
    # Baltimore marks unknown points as exactly (39, -77)
    if np.isfinite(la) and np.isfinite(lo) and not (la == 39.0 and lo == -77.0):
        return {"lat": f"{la:.6f}", "long": f"{lo:.6f}", "address_string": address[:500]}
    if address:
        return {"address_string": address[:500]}
    return {"address_id": ident[:100]}


def load_baltimore(path: str | Path, *, limit: int | None = None) -> list[ReplayItem]:
    """Read the Open Baltimore 311 sample into replay items (see the module notes)."""
    df = _read(
        path,
        [
            "ServiceRequestNum",
            "SRType",
            "MethodReceived",
            "CreatedDate",
            "SRStatus",
            "StatusDate",
            "DueDate",
            "CloseDate",
            "Agency",
            "CouncilDistrict",
            "Latitude",
            "Longitude",
            "Address",
            "ZipCode",
        ],
    )
    if limit is not None:
        df = df.head(limit)
    tz = zoneinfo.ZoneInfo(US_TZ)
    created, due = _time(df["CreatedDate"]), _time(df["DueDate"])
    closed, status_at = _time(df["CloseDate"]), _time(df["StatusDate"])
    items = []
    for i, row in enumerate(df.itertuples(index=False)):
        c = created.iloc[i]
        if pd.isna(c):
            continue
        code = _slug(row.SRType)
        dept = row.Agency or "Unknown agency"
        form = {
            "service_code": code,
            "requested_datetime": _w3c(c, tz),
            "department": dept,
            "channel": _slug(row.MethodReceived or "other")[:32] or "other",
            "description": row.SRType,
            **_location(row.Latitude, row.Longitude, row.Address, row.ServiceRequestNum),
        }
        if row.CouncilDistrict:
            form["district"] = f"Council District {row.CouncilDistrict.split('.')[0]}"
        if row.ZipCode:
            form["zipcode"] = row.ZipCode[:20]
        d = due.iloc[i]
        due_hours = None
        if pd.notna(d) and d >= c:
            form["expected_datetime"] = _w3c(d, tz)
            due_hours = (d - c).total_seconds() / 3600
        trs: list[dict[str, str]] = []
        status = row.SRStatus
        t_close = closed.iloc[i] if pd.notna(closed.iloc[i]) else status_at.iloc[i]
        t_close = max(t_close, c) if pd.notna(t_close) else c
        if "Duplicate" in status:
            trs.append(
                {
                    "action": "merge",
                    "datetime": _w3c(t_close, tz),
                    "note": "duplicate (source status)",
                }
            )
        elif status == "Closed (Transferred)":
            trs.append(
                {
                    "action": "reject",
                    "datetime": _w3c(t_close, tz),
                    "note": "transferred to another body",
                }
            )
        elif status == "Closed":
            trs.append({"action": "resolve", "datetime": _w3c(t_close, tz), "solved": "true"})
        elif status in ("Pending", "In Progress"):
            t = status_at.iloc[i]
            trs.append({"action": "accept", "datetime": _w3c(max(t, c) if pd.notna(t) else c, tz)})
        items.append(
            ReplayItem(
                "baltimore", row.ServiceRequestNum, code, row.SRType, dept, form, trs, due_hours
            )
        )
    return items


_NYC_SOLVED = (
    "took action to fix",
    "issued a summons",
    "made an arrest",
    "repaired",
    "corrected",
    "completed",
)
_NYC_NOT = (
    "observed no evidence",
    "were gone",
    "unable to gain entry",
    "not necessary",
    "could not",
    "was not found",
)


def load_nyc(path: str | Path, *, limit: int | None = None) -> list[ReplayItem]:
    """Read an NYC 311 Service Requests extract into replay items (see the module notes)."""
    df = _read(
        path,
        [
            "Unique Key",
            "Created Date",
            "Closed Date",
            "Agency",
            "Complaint Type",
            "Descriptor",
            "Status",
            "Resolution Description",
            "Resolution Action Updated Date",
            "Borough",
            "Latitude",
            "Longitude",
            "Incident Address",
            "Incident Zip",
            "Open Data Channel Type",
        ],
    )
    if limit is not None:
        df = df.head(limit)
    tz = zoneinfo.ZoneInfo(US_TZ)
    created, closed = _time(df["Created Date"]), _time(df["Closed Date"])
    action_at = _time(df["Resolution Action Updated Date"])
    items = []
    for i in range(len(df)):
        c = created.iloc[i]
        if pd.isna(c):
            continue
        ctype = df["Complaint Type"].iloc[i] or "Other"
        code = _slug(ctype)
        dept = df["Agency"].iloc[i] or "Unknown agency"
        descriptor = df["Descriptor"].iloc[i]
        desc = f"{ctype}: {descriptor}" if descriptor else ctype
        form = {
            "service_code": code,
            "requested_datetime": _w3c(c, tz),
            "department": dept,
            "channel": _slug(df["Open Data Channel Type"].iloc[i] or "other")[:32] or "other",
            "description": desc[:4000],
            **_location(
                df["Latitude"].iloc[i],
                df["Longitude"].iloc[i],
                df["Incident Address"].iloc[i],
                df["Unique Key"].iloc[i],
            ),
        }
        if df["Borough"].iloc[i]:
            form["district"] = df["Borough"].iloc[i].title()
        if df["Incident Zip"].iloc[i]:
            form["zipcode"] = df["Incident Zip"].iloc[i][:20]
        trs: list[dict[str, str]] = []
        res = df["Resolution Description"].iloc[i].lower()
        a = action_at.iloc[i]
        if "does not fall under" in res:
            t = closed.iloc[i] if pd.notna(closed.iloc[i]) else a
            trs.append(
                {
                    "action": "reject",
                    "datetime": _w3c(max(t, c) if pd.notna(t) else c, tz),
                    "note": "not this agency's jurisdiction",
                }
            )
        else:
            t = closed.iloc[i] if pd.notna(closed.iloc[i]) else c
            is_closed = df["Status"].iloc[i] == "Closed"
            # the action update is often stamped seconds after closing; keep only earlier ones
            if pd.notna(a) and not (is_closed and a >= t):
                trs.append({"action": "accept", "datetime": _w3c(max(a, c), tz)})
            if is_closed:
                tr = {"action": "resolve", "datetime": _w3c(max(t, c), tz)}
                if any(s in res for s in _NYC_SOLVED):
                    tr["solved"] = "true"
                elif any(s in res for s in _NYC_NOT):
                    tr["solved"] = "false"
                trs.append(tr)
        items.append(
            ReplayItem("nyc", df["Unique Key"].iloc[i], code, ctype, dept, form, trs, None)
        )
    return items


def replay_catalogue_mapping(
    items: Iterable[ReplayItem], *, default_deadline_days: int = 1, response_days: int = 1
) -> dict[str, Any]:
    """A catalogue mapping (YAML-ready) with one service per source service type.

    A service's deadline is the median due time of its rows (in hours, at least 1),
    else ``default_deadline_days`` calendar days; the response deadline is
    ``response_days`` calendar days. Departments come with each request (import field).
    """
    by_code: dict[str, list[ReplayItem]] = {}
    for it in items:
        by_code.setdefault(it.service_code, []).append(it)
    services = []
    for code, its in sorted(by_code.items()):
        hours = [it.due_hours for it in its if it.due_hours is not None]
        deadline = (
            {"amount": max(1, round(float(np.median(hours)))), "unit": "hours"}
            if hours
            else {"amount": default_deadline_days, "unit": "days"}
        )
        services.append(
            {
                "service_code": code,
                "service_name": its[0].service_name[:200],
                "description": f"{its[0].source} 311: {its[0].service_name}"[:500],
                "group": _slug(its[0].department),
                "type": "realtime",
                "department": its[0].department,
                "deadline": deadline,
                "response_deadline": {"amount": response_days, "unit": "days"},
            }
        )
    return {
        "catalogue_version": "replay-1",
        "jurisdiction_id": "",
        "contact": "replay of public 311 samples",
        "key_service": "local replay",
        "timezone": US_TZ,
        "confidence_threshold": 0.55,
        "response_deadline": {"amount": response_days, "unit": "days"},
        "default_deadline": {"amount": default_deadline_days, "unit": "days"},
        "human_queue_department": "311 dispatch",
        "categories": {},
        "services": services,
    }


def replay_catalogue(items: Iterable[ReplayItem], **kwargs: Any) -> Catalogue:
    """:func:`replay_catalogue_mapping`, validated into a :class:`Catalogue`."""
    return catalogue_from_mapping(replay_catalogue_mapping(items, **kwargs), "<replay>")


def replay(
    items: Sequence[ReplayItem],
    client: _Client,
    api_key: str,
    *,
    base: str = "/open311/v2",
    progress: Callable[[int], None] | None = None,
) -> ReplayResult:
    """POST every item and its transitions through the API with an admin ``api_key``.

    ``client`` is anything with ``post(url, data=..., headers=...)`` returning a
    response with ``status_code`` and ``json()`` — an ``httpx.Client`` on a running
    server or a Starlette ``TestClient``.

    Raises
    ------
    HotlineError
        When more than 1 % of the calls fail (the first errors are listed).
    """
    res = ReplayResult()
    calls = 0
    for n, it in enumerate(items, start=1):
        calls += 1
        r = client.post(
            f"{base}/requests.json",
            data={**it.form, "api_key": api_key},
            headers={"Idempotency-Key": f"{it.source}:{it.source_id}"[:100]},
        )
        if r.status_code != 200:
            res.errors.append(f"{it.source} {it.source_id}: POST {r.status_code} {r.text[:200]}")
            continue
        rid = int(r.json()[0]["service_request_id"])
        res.posted += 1
        res.ids[f"{it.source}:{it.source_id}"] = rid
        for tr in it.transitions:
            calls += 1
            t = client.post(
                f"{base}/requests/{rid}/transitions.json", data={**tr, "api_key": api_key}
            )
            if t.status_code != 200:
                res.errors.append(
                    f"{it.source} {it.source_id}: {tr['action']} {t.status_code} {t.text[:200]}"
                )
            else:
                res.transitions += 1
        if progress is not None and n % 500 == 0:
            progress(n)
    if len(res.errors) > 0.01 * max(calls, 1):
        raise HotlineError(
            f"{len(res.errors)} of {calls} replay calls failed",
            problems=[Problem(e) for e in res.errors[:10]],
        )
    for e in res.errors[:5]:
        logger.warning("replay: %s", e)
    return res
