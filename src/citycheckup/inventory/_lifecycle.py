"""The problem lifecycle across years: persistent IDs, statuses and their history, projects.

A field survey's located problems are matched against the city's open problems: a
problem keeps its ID from year to year when the same register record (and road)
shows the same indicator and sub-item again. Statuses move 发现 (``found``) →
整治中 (``in_progress``) → 已销号 (``closed``, with date and evidence), or into a renewal
project (``to_project``, 转入更新项目) which later closes them. Every change is a new
event row; nothing is overwritten.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from citycheckup.errors import DataError, Problem
from citycheckup.inventory._catalogue import catalogue_entry, deadline_for, load_catalogue
from citycheckup.inventory._model import (
    EVENT_COLUMNS,
    OBSERVATION_COLUMNS,
    PROBLEM_TABLE_COLUMNS,
    PROJECT_COLUMNS,
    SURVEY_COLUMNS,
    Inventory,
)
from citycheckup.inventory._schema import OPEN_STATUSES, STATUS_LABELS, STATUSES, TRANSITIONS

__all__ = [
    "StatusChange",
    "SurveyOutcome",
    "add_projects",
    "change_status",
    "close_problems",
    "current_status",
    "link_project",
    "match_key",
    "record_empty_survey",
    "record_survey",
    "start_remediation",
    "status_at",
]


@dataclass(frozen=True)
class StatusChange:
    """One status change of a problem.

    ``closed`` needs ``evidence`` (acceptance record, photo, document number);
    ``to_project`` needs ``project_id``.
    """

    problem_id: str
    status: str
    date: dt.date | str
    evidence: str | None = None
    note: str | None = None
    project_id: str | None = None
    actor: str | None = None


@dataclass(frozen=True)
class SurveyOutcome:
    """What :func:`record_survey` did."""

    new: list[str]
    """IDs of problems seen for the first time."""
    matched: list[str]
    """IDs of earlier problems seen again (they keep their IDs)."""
    not_seen: list[str]
    """IDs of problems open before this survey, on registers of the surveyed levels, not seen again.
    They are *not* closed: closing needs a date and evidence (:func:`close_problems`)."""


def _s(v: object) -> str:
    """A key part: empty for missing values."""
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return ""
    return str(v)


def match_key(row: Mapping[str, Any]) -> tuple[str, str, str, str, str]:
    """How a problem is recognised from one year to the next.

    ``(unit_code, indicator, register_id, sub_item, road)``; the road counts only for
    problems located on a road.
    """
    road = _s(row.get("road")) if row.get("located_in") == "road" else ""
    return (
        _s(row.get("unit_code")),
        _s(row.get("indicator")),
        _s(row.get("register_id")),
        _s(row.get("sub_item")),
        road,
    )


def current_status(events: pd.DataFrame) -> pd.DataFrame:
    """The latest event of each problem: ``problem_id, status, date, evidence, project_id``."""
    return status_at(events, None)


def status_at(events: pd.DataFrame, when: dt.date | str | pd.Timestamp | None) -> pd.DataFrame:
    """Each problem's status at the end of day ``when`` (``None``: the latest).

    The status is the one of the last event dated on or before ``when`` (events of
    one day in the order they were recorded). Problems with no event by then are absent.
    The ``project_id`` is the project of the last ``to_project`` event by then.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``problem_id``: ``status, date, evidence, project_id``.
    """
    ev = events
    if when is not None:
        ev = ev[pd.to_datetime(ev["date"]) <= pd.Timestamp(when)]
    cols = ["status", "date", "evidence", "project_id"]
    if ev.empty:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="problem_id"))
    ev = ev.assign(_d=pd.to_datetime(ev["date"]), _q=pd.to_numeric(ev["seq"])).sort_values(
        ["problem_id", "_d", "_q"]
    )
    last = ev.groupby("problem_id").tail(1).set_index("problem_id")
    proj = ev[ev["status"] == "to_project"].groupby("problem_id")["project_id"].last()
    out = last[["status", "date", "evidence"]].copy()
    out["date"] = pd.to_datetime(out["date"])
    out["project_id"] = proj.reindex(out.index)
    return out


def _id_prefix(unit: str, ind_key: str, year: int) -> str:
    return f"{unit}-{ind_key.replace('-', '')}-{year}-"


def record_survey(
    inv: Inventory,
    survey: pd.DataFrame,
    *,
    levels: Iterable[str] | None = None,
    catalogue: Mapping[str, Any] | None = None,
    replace: bool = False,
) -> tuple[Inventory, SurveyOutcome]:
    """Add a field survey's located problems, keeping the IDs of problems seen before.

    Parameters
    ----------
    inv
        The inventory (registers of the survey's city and year must be in it).
    survey
        Validated located problems (:func:`~citycheckup.inventory.read_problems`) of one
        city and year.
    levels
        Levels the survey covered (default: those in ``survey``). A level surveyed with
        no problem is recorded, so that its counts are 0 rather than missing.
    catalogue
        Remediation catalogue (:func:`~citycheckup.inventory.load_catalogue`) giving each
        new problem its 整治类型, department and deadline (date found + deadline_days).
    replace
        When this city, year and level were already surveyed: drop that survey's
        observations (and the problems it created that have no later history) first.
        Without it, a second survey of the same city, year and level is refused.

    Returns
    -------
    tuple
        The new inventory and a :class:`SurveyOutcome`.

    Notes
    -----
    Matching key: :func:`match_key`. A survey problem matches the oldest problem with
    the same key that was found on or before the survey row's date and was open on that
    day (发现, 整治中, 转入更新项目); it then gets an observation for this year and keeps
    its ID and history. A problem found again after it was closed is a new problem
    (``recurs`` names the closed one). New IDs are
    ``<unit>-<MOHURD id or code>-<first year>-<nnnn>``, numbered in the order of
    indicator, register ID, sub-item and road, so they do not depend on row order.
    """
    cat = dict(catalogue) if catalogue is not None else load_catalogue()
    if survey.empty:
        raise DataError(
            "the survey has no problems; record a survey that found nothing with "
            "record_empty_survey(inv, unit_code, year, levels)"
        )
    units = survey["unit_code"].astype(str).unique().tolist()
    years = pd.to_numeric(survey["year"]).astype(int).unique().tolist()
    if len(units) > 1 or len(years) > 1:
        raise DataError(
            f"a survey covers one city and year; this one has cities {units} and years {years}"
        )
    lv = sorted(set(levels) if levels is not None else set(survey["level"].astype(str)))
    missing = sorted(set(survey["level"].astype(str)) - set(lv))
    if missing:
        raise DataError(f"the survey has problems of levels {missing} that are not in levels={lv}")
    unit, year = units[0], years[0]
    return _record(inv, survey, unit, year, lv, cat, replace)


def record_empty_survey(
    inv: Inventory, unit_code: str, year: int, levels: Iterable[str]
) -> Inventory:
    """Record that ``levels`` of ``unit_code`` were surveyed in ``year`` and nothing was found."""
    out, _ = _record(
        inv,
        pd.DataFrame(columns=["unit_code", "year", "level"]),
        str(unit_code),
        int(year),
        sorted(set(levels)),
        load_catalogue(),
        False,
    )
    return out


def _record(
    inv: Inventory,
    survey: pd.DataFrame,
    unit: str,
    year: int,
    lv: list[str],
    cat: Mapping[str, Any],
    replace: bool,
) -> tuple[Inventory, SurveyOutcome]:
    done = inv.surveys[
        (inv.surveys["unit_code"].astype(str) == unit)
        & (pd.to_numeric(inv.surveys["year"]) == year)
        & inv.surveys["level"].isin(lv)
    ]
    problems, obs, events = inv.problems, inv.observations, inv.events
    if not done.empty:
        if not replace:
            raise DataError(
                f"city {unit} already has a {', '.join(sorted(done['level']))} survey for {year}; "
                "pass replace=True (--replace) to record it again"
            )
        problems, obs, events = _drop_survey(inv, unit, year, lv)
    existing = problems[problems["unit_code"].astype(str) == unit]
    by_key: dict[tuple[str, ...], list[tuple[pd.Timestamp, str]]] = {}
    for r in existing.sort_values(["date_found", "problem_id"], kind="stable").to_dict("records"):
        by_key.setdefault(match_key(r), []).append((pd.Timestamp(r["date_found"]), r["problem_id"]))
    dates = (
        sorted({pd.Timestamp(d).normalize() for d in survey["date_found"]})
        if not survey.empty
        else []
    )
    status_on = {d: status_at(events, d)["status"].to_dict() for d in dates}
    now = status_at(events, None)["status"].to_dict()

    def find(k: tuple[str, ...], when: pd.Timestamp) -> tuple[str | None, str | None]:
        """(open problem to match, last closed problem of the key) on day ``when``."""
        opened, closed = None, None
        for found, pid in by_key.get(k, []):
            if found > when:
                continue
            st = status_on[when].get(pid)
            if st in OPEN_STATUSES and opened is None:
                opened = pid
            elif st == "closed":
                closed = pid
        return opened, closed

    rows = survey.to_dict("records")
    order = sorted(
        range(len(rows)),
        key=lambda i: (
            str(rows[i]["indicator"]),
            str(rows[i]["register_id"]),
            _s(rows[i].get("sub_item")),
            _s(rows[i].get("road")),
        ),
    )
    seq: dict[str, int] = {}
    for pid in existing["problem_id"].astype(str):
        head, _, num = pid.rpartition("-")
        if num.isdigit():
            seq[head + "-"] = max(seq.get(head + "-", 0), int(num))
    new_p, new_o, new_e, new_ids, matched = [], [], [], [], []
    for i in order:
        r = rows[i]
        k = match_key(r)
        pid, was_closed = find(k, pd.Timestamp(r["date_found"]).normalize())
        if pid is not None and pid in matched:
            pid = None  # validated surveys have unique keys; keep going safely if not
        if pid is None:
            prefix = _id_prefix(unit, str(r.get("mohurd_id") or r["indicator"]), year)
            seq[prefix] = seq.get(prefix, 0) + 1
            pid = f"{prefix}{seq[prefix]:04d}"
            e = catalogue_entry(
                dict(cat),
                str(r["indicator"]),
                mohurd_id=r.get("mohurd_id") or None,
                sub_item=_s(r.get("sub_item")) or None,
            )
            found = pd.Timestamp(r["date_found"]).normalize()
            new_p.append(
                {
                    "problem_id": pid,
                    "unit_code": unit,
                    "level": r["level"],
                    "indicator": r["indicator"],
                    "mohurd_id": r.get("mohurd_id"),
                    "located_in": r.get("located_in"),
                    "register": r["register"],
                    "register_id": r["register_id"],
                    "road": r.get("road") if r.get("located_in") == "road" else None,
                    "sub_item": r.get("sub_item"),
                    "first_year": year,
                    "date_found": found,
                    "remediation": e["remediation"],
                    "deadline": deadline_for(found, e["deadline_days"]),
                    **{
                        f: e[f]
                        for f in (
                            "category_zh",
                            "category_en",
                            "measure_zh",
                            "measure_en",
                            "department_zh",
                            "department_en",
                        )
                    },
                    "recurs": was_closed,
                }
            )
            new_e.append(
                {
                    "problem_id": pid,
                    "unit_code": unit,
                    "seq": 1,
                    "status": "found",
                    "date": found,
                    "evidence": None,
                    "note": f"field survey {year}",
                    "project_id": None,
                    "actor": None,
                }
            )
            new_ids.append(pid)
        else:
            matched.append(pid)
        new_o.append(
            {
                "problem_id": pid,
                "unit_code": unit,
                "year": year,
                **{
                    c: r.get(c)
                    for c in OBSERVATION_COLUMNS
                    if c not in ("problem_id", "unit_code", "year")
                },
            }
        )
    seen = set(matched)
    lev = existing.set_index("problem_id")["level"].astype(str).to_dict()
    not_seen = [
        pid
        for pid in existing["problem_id"]
        if pid not in seen and now.get(pid) in OPEN_STATUSES and lev.get(pid) in lv
    ]
    surveys = inv.surveys
    if not done.empty:
        surveys = surveys.drop(done.index)
    srows = [
        {
            "unit_code": unit,
            "year": year,
            "level": level,
            "n_records": int((survey["level"] == level).sum()) if not survey.empty else 0,
            "n_new": sum(1 for p in new_p if p["level"] == level),
            "n_matched": sum(1 for pid in matched if lev.get(pid) == level),
        }
        for level in lv
    ]
    out = inv.copy(
        problems=_append(problems, new_p, PROBLEM_TABLE_COLUMNS),
        observations=_append(obs, new_o, OBSERVATION_COLUMNS),
        events=_append(events, new_e, EVENT_COLUMNS),
        surveys=_append(surveys, srows, SURVEY_COLUMNS),
    )
    return out, SurveyOutcome(
        new=sorted(new_ids), matched=sorted(matched), not_seen=sorted(not_seen)
    )


def _drop_survey(
    inv: Inventory, unit: str, year: int, levels: list[str]
) -> tuple[pd.DataFrame, ...]:
    """Tables without the observations of an earlier survey (and the problems only it created)."""
    lev = inv.problems.set_index("problem_id")["level"]
    o = inv.observations
    drop_o = (
        (o["unit_code"].astype(str) == unit)
        & (pd.to_numeric(o["year"]) == year)
        & o["problem_id"].map(lev).isin(levels)
    )
    obs = o[~drop_o]
    n_events = inv.events.groupby("problem_id").size()
    p = inv.problems
    created = (
        (p["unit_code"].astype(str) == unit)
        & (pd.to_numeric(p["first_year"]) == year)
        & p["level"].isin(levels)
    )
    orphan = (
        created
        & ~p["problem_id"].isin(obs["problem_id"])
        & (p["problem_id"].map(n_events).fillna(0) <= 1)
    )
    gone = set(p.loc[orphan, "problem_id"])
    return p[~orphan], obs, inv.events[~inv.events["problem_id"].isin(gone)]


def _append(df: pd.DataFrame, rows: list[dict[str, Any]], cols: list[str]) -> pd.DataFrame:
    if not rows:
        return df.reset_index(drop=True) if not df.empty else pd.DataFrame(columns=cols)
    new = pd.DataFrame(rows, columns=cols)
    if df.empty:
        return new
    return pd.concat([df[cols], new], ignore_index=True)


def _date(v: object, where: str, problems: list[Problem]) -> pd.Timestamp | None:
    try:
        return pd.Timestamp(v).normalize()  # type: ignore[arg-type]
    except (ValueError, TypeError):
        problems.append(Problem(f"{v!r} is not a date; write YYYY-MM-DD", where))
        return None


def change_status(
    inv: Inventory, changes: Iterable[StatusChange], *, today: dt.date | None = None
) -> Inventory:
    """Apply status changes (all checked first; one bad change stops all of them).

    Raises
    ------
    DataError
        Listing every change that names an unknown problem or project, an unknown
        status, a move the lifecycle does not allow (:data:`TRANSITIONS`), a date before
        the problem's previous event or after ``today``, or a closure without evidence.
    """
    today = today or dt.date.today()
    cur = status_at(inv.events, None)
    state = {pid: (r["status"], r["date"]) for pid, r in cur.iterrows()}
    nseq = inv.events.groupby("problem_id")["seq"].max().to_dict() if not inv.events.empty else {}
    units = inv.problems.set_index("problem_id")["unit_code"].astype(str).to_dict()
    projects = set(
        zip(
            inv.projects["unit_code"].astype(str),
            inv.projects["project_id"].astype(str),
            strict=True,
        )
    )
    problems: list[Problem] = []
    rows = []
    for n, ch in enumerate(changes, start=1):
        where = f"change {n} ({ch.problem_id})"
        if ch.problem_id not in state:
            problems.append(
                Problem(
                    f"no problem {ch.problem_id!r}; list them with 'citycheckup problems list'",
                    where,
                )
            )
            continue
        if ch.status not in STATUSES:
            problems.append(
                Problem(f"unknown status {ch.status!r}; use one of {', '.join(STATUSES)}", where)
            )
            continue
        old, last = state[ch.problem_id]
        if ch.status not in TRANSITIONS[old]:
            allowed = ", ".join(sorted(TRANSITIONS[old])) or "none (a closed problem stays closed)"
            problems.append(
                Problem(
                    f"cannot go from {old} ({STATUS_LABELS[old]['zh']}) to {ch.status}; allowed: {allowed}",
                    where,
                )
            )
            continue
        d = _date(ch.date, where, problems)
        if d is None:
            continue
        if d < pd.Timestamp(last):
            problems.append(
                Problem(
                    f"date {d.date()} is before the problem's last change ({pd.Timestamp(last).date()}"
                    f", {old}); dates never go back",
                    where,
                )
            )
            continue
        if d.date() > today:
            problems.append(Problem(f"date {d.date()} is after today ({today})", where))
            continue
        if ch.status == "closed" and not (ch.evidence or "").strip():
            problems.append(
                Problem(
                    "closing (销号) needs evidence: an acceptance record, photo or document number",
                    where,
                )
            )
            continue
        if ch.status == "to_project" and (units[ch.problem_id], str(ch.project_id)) not in projects:
            problems.append(
                Problem(
                    f"project {ch.project_id!r} is not in the project library of city "
                    f"{units[ch.problem_id]}; add it first",
                    where,
                )
            )
            continue
        seq = int(nseq.get(ch.problem_id, 0)) + 1
        nseq[ch.problem_id] = seq
        state[ch.problem_id] = (ch.status, d)
        rows.append(
            {
                "problem_id": ch.problem_id,
                "unit_code": units[ch.problem_id],
                "seq": seq,
                "status": ch.status,
                "date": d,
                "evidence": (ch.evidence or None),
                "note": ch.note,
                "project_id": ch.project_id if ch.status == "to_project" else None,
                "actor": ch.actor,
            }
        )
    if problems:
        raise DataError(
            f"{len(problems)} status change(s) refused; nothing was changed", problems=problems
        )
    return inv.copy(events=_append(inv.events, rows, EVENT_COLUMNS))


def close_problems(
    inv: Inventory,
    ids: Iterable[str],
    *,
    date: dt.date | str,
    evidence: str,
    note: str | None = None,
    actor: str | None = None,
    today: dt.date | None = None,
) -> Inventory:
    """Close (销号) problems on ``date`` with ``evidence``."""
    return change_status(
        inv,
        [StatusChange(i, "closed", date, evidence, note, None, actor) for i in ids],
        today=today,
    )


def start_remediation(
    inv: Inventory,
    ids: Iterable[str],
    *,
    date: dt.date | str,
    note: str | None = None,
    actor: str | None = None,
    today: dt.date | None = None,
) -> Inventory:
    """Mark problems as being fixed (整治中) from ``date``."""
    return change_status(
        inv,
        [StatusChange(i, "in_progress", date, None, note, None, actor) for i in ids],
        today=today,
    )


def link_project(
    inv: Inventory,
    project_id: str,
    ids: Iterable[str],
    *,
    date: dt.date | str,
    note: str | None = None,
    actor: str | None = None,
    today: dt.date | None = None,
) -> Inventory:
    """Move problems into renewal project ``project_id`` (转入更新项目) on ``date``."""
    return change_status(
        inv,
        [StatusChange(i, "to_project", date, None, note, project_id, actor) for i in ids],
        today=today,
    )


def add_projects(inv: Inventory, projects: pd.DataFrame | Iterable[Mapping[str, Any]]) -> Inventory:
    """Add renewal projects (or new versions of existing ones) to the project library.

    Required: ``project_id``, ``unit_code``, ``name_zh``, ``year``; ``investment_10k_yuan``
    (estimated investment, 万元) is a number ≥ 0 when given. A project with the ID of an
    existing one of the same city replaces its attributes (the store keeps the old version).

    Raises
    ------
    DataError
        Listing every invalid project.
    """
    df = projects.copy() if isinstance(projects, pd.DataFrame) else pd.DataFrame(list(projects))
    for c in PROJECT_COLUMNS:
        if c not in df.columns:
            df[c] = None
    problems: list[Problem] = []
    for i, r in enumerate(df.to_dict("records"), start=1):
        where = f"project {r.get('project_id') or f'#{i}'}"
        for c in ("project_id", "unit_code", "name_zh", "year"):
            if (
                r.get(c) is None
                or (isinstance(r.get(c), float) and np.isnan(r[c]))
                or str(r.get(c)).strip() == ""
            ):
                problems.append(Problem(f"{c} is required", where))
        inv_ = r.get("investment_10k_yuan")
        if inv_ is not None and not (isinstance(inv_, float) and np.isnan(inv_)):
            try:
                ok = float(inv_) >= 0
            except (TypeError, ValueError):
                ok = False
            if not ok:
                problems.append(
                    Problem(f"investment_10k_yuan {inv_!r} must be a number ≥ 0 (万元)", where)
                )
        y = r.get("year")
        if y is not None and not (isinstance(y, float) and np.isnan(y)):
            try:
                if not 1990 <= int(y) <= 2100:
                    raise ValueError
            except (TypeError, ValueError):
                problems.append(Problem(f"year {y!r} must be a year such as 2025", where))
    dup = df[df.duplicated(["unit_code", "project_id"], keep=False)]
    for pid in dict.fromkeys(dup["project_id"].astype(str)):
        problems.append(Problem("the same project_id is given twice; keep one", f"project {pid}"))
    if problems:
        raise DataError(f"{len(problems)} problem(s) in the projects", problems=problems)
    df["investment_10k_yuan"] = pd.to_numeric(df["investment_10k_yuan"], errors="coerce").astype(
        "float64"
    )
    df["year"] = pd.to_numeric(df["year"]).astype(int)
    df["unit_code"] = df["unit_code"].astype(str)
    df["project_id"] = df["project_id"].astype(str)
    old = inv.projects
    keys = set(zip(df["unit_code"], df["project_id"], strict=True))
    keep = [
        (str(u), str(p)) not in keys
        for u, p in zip(old["unit_code"], old["project_id"], strict=True)
    ]
    frames = [f for f in (old[keep], df[PROJECT_COLUMNS]) if not f.empty]
    return inv.copy(
        projects=pd.concat(frames, ignore_index=True) if frames else df[PROJECT_COLUMNS]
    )
