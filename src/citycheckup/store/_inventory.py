"""Registers, located problems, their status history and renewal projects in the results store.

Tables (created by schema migration 2, see :mod:`citycheckup.store._schema`):

``inv_imports``
    one row per import (registers, field surveys, projects): what, from which file
    (name and SHA-256), when, by whom.
``inv_buildings``, ``inv_compounds``, ``inv_communities``, ``inv_blocks``
    register snapshots, one row per record, check-up year and import. A new import of a
    city, year and register does not overwrite the old rows: the latest import is the
    current register, earlier ones stay as history. Columns a framework adds to a
    register for its denominators (``parking_spaces_required`` …) are kept as JSON in
    ``attributes``.
``inv_problems``
    one row per problem (what, where, its remediation plan); never updated.
``inv_observations``
    one row per problem and field survey in which it was seen.
``inv_events``
    the status history: every change (发现, 整治中, 已销号 with date and evidence,
    转入更新项目) is a new row; nothing is updated.
``inv_surveys``
    one row per field survey of a level (also when it found nothing).
``inv_projects``
    urban-renewal projects; an edit adds a new version.

Re-recording a survey of the same city, year and level (``replace=True``) removes that
survey's observations and the problems only it created that have no later history; it
is logged in ``inv_imports``.

Every write runs in one transaction of the store: a failed import leaves nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from citycheckup.framework.models import Framework
from citycheckup.inventory import (
    EVENT_COLUMNS,
    OBSERVATION_COLUMNS,
    PROBLEM_TABLE_COLUMNS,
    PROJECT_COLUMNS,
    REGISTER_COLUMNS,
    REGISTER_KINDS,
    SURVEY_COLUMNS,
    Inventory,
    StatusChange,
    SurveyOutcome,
    add_projects,
    change_status,
    record_empty_survey,
    record_survey,
    rollup,
)
from citycheckup.store._errors import StoreError
from citycheckup.store._schema import HOTLINE_DDL
from citycheckup.store._store import Store

__all__ = ["InventoryStore", "REGISTER_TABLES"]

#: Register kind → table.
REGISTER_TABLES = {
    "building": "inv_buildings",
    "compound": "inv_compounds",
    "community": "inv_communities",
    "block": "inv_blocks",
}
_DATES = ("date_found", "deadline", "date")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _clean(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """A frame with exactly ``cols``: strings as objects, missing values as None, dates as dates."""
    out = pd.DataFrame(index=df.index)
    for c in cols:
        s = df[c] if c in df.columns else pd.Series(None, index=df.index, dtype=object)
        if c in _DATES:
            s = (
                pd.to_datetime(s, errors="coerce")
                .dt.date.astype(object)
                .where(lambda x: x.notna(), None)
            )
        elif pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            s = pd.to_numeric(s, errors="coerce").astype("float64")
        else:
            s = s.astype(object).where(pd.notna(s), None)
            s = s.map(lambda v: v if v is None or isinstance(v, str) else str(v))
        out[c] = s
    return out


class InventoryStore:
    """The inventory part of a :class:`~citycheckup.store.Store`.

    Parameters
    ----------
    store
        An open store (writing needs it opened for writing).

    Examples
    --------
    >>> with Store("citycheckup.duckdb") as st:                          # doctest: +SKIP
    ...     inv = InventoryStore(st)
    ...     inv.import_registers({"building": buildings}, source="buildings.csv")
    ...     outcome = inv.record_survey(survey, levels=["housing"])
    ...     inv.load("420500").problems
    """

    def __init__(self, store: Store):
        self.store = store

    # -- reading -----------------------------------------------------------------------------
    def load(self, unit_code: str | None = None, *, cur: Any = None) -> Inventory:
        """The current inventory of ``unit_code`` (default: every city)."""
        c = cur or self.store.cursor()
        where, params = (
            ("WHERE unit_code = ?", [str(unit_code)]) if unit_code is not None else ("", [])
        )
        regs = {}
        for kind, table in REGISTER_TABLES.items():
            cols = ["unit_code", "year", *(x.name for x in REGISTER_COLUMNS[kind])]
            df = c.execute(
                f"""SELECT r.* FROM {table} r JOIN (
                      SELECT unit_code, year, import_id FROM (
                        SELECT unit_code, year, import_id, row_number() OVER (
                          PARTITION BY unit_code, year ORDER BY imported_utc DESC, import_id DESC) AS n
                        FROM inv_imports WHERE kind = ?) WHERE n = 1) cur
                    USING (unit_code, year, import_id) {where.replace("unit_code", "r.unit_code")}""",
                [kind, *params],
            ).df()
            regs[kind] = self._expand(self._frame(df, [*cols, "attributes"]), cols)
        problems = self._frame(
            c.execute(f"SELECT * FROM inv_problems {where} ORDER BY problem_id", params).df(),
            PROBLEM_TABLE_COLUMNS,
        )
        obs = self._frame(
            c.execute(
                f"SELECT * FROM inv_observations {where} ORDER BY problem_id, year", params
            ).df(),
            OBSERVATION_COLUMNS,
        )
        events = self._frame(
            c.execute(f"SELECT * FROM inv_events {where} ORDER BY problem_id, seq", params).df(),
            EVENT_COLUMNS,
        )
        surveys = self._frame(
            c.execute(
                f"""SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY unit_code, year, level
                ORDER BY recorded_utc DESC) AS n FROM inv_surveys {where}) WHERE n = 1
                ORDER BY unit_code, year, level""",
                params,
            ).df(),
            SURVEY_COLUMNS,
        )
        projects = self._frame(
            c.execute(
                f"""SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY unit_code, project_id
                ORDER BY version DESC) AS n FROM inv_projects {where}) WHERE n = 1
                ORDER BY unit_code, project_id""",
                params,
            ).df(),
            PROJECT_COLUMNS,
        )
        return Inventory(
            registers=regs,
            problems=problems,
            observations=obs,
            events=events,
            surveys=surveys,
            projects=projects,
        )

    @staticmethod
    def _expand(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
        """Register columns, plus one numeric column per key of the ``attributes`` JSON."""
        attrs = [json.loads(a) if isinstance(a, str) and a else {} for a in df["attributes"]]
        keys = sorted({k for a in attrs for k in a})
        out = df[cols].copy()
        for k in keys:
            out[k] = pd.to_numeric(
                pd.Series([a.get(k) for a in attrs], index=out.index, dtype=object), errors="coerce"
            ).astype("float64")
        return out

    @staticmethod
    def _frame(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
        out = pd.DataFrame({c: df[c] if c in df.columns else pd.Series(dtype=object) for c in cols})
        for c in cols:
            if c in _DATES and c in out.columns:
                out[c] = pd.to_datetime(out[c])
            elif out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
                out[c] = out[c].astype(object).where(out[c].notna(), None)
        return out.reset_index(drop=True)

    def rollup(
        self,
        fw: Framework,
        *,
        unit_code: str | None = None,
        years: Iterable[int] | None = None,
        basis: Literal["observed", "open"] = "observed",
    ) -> pd.DataFrame:
        """The current registers and problems rolled up for a check-up run (see :func:`citycheckup.inventory.rollup`).

        ``unit_code, year, <indicator> …, <denominator> …``: merge it into the run's data.
        """
        return rollup(self.load(unit_code), fw, unit_code=unit_code, years=years, basis=basis)

    def imports(self, unit_code: str | None = None) -> pd.DataFrame:
        """The import log (newest first)."""
        where, params = (
            ("WHERE unit_code = ?", [str(unit_code)]) if unit_code is not None else ("", [])
        )
        return self.store.query(
            f"SELECT * FROM inv_imports {where} ORDER BY imported_utc DESC", params
        )

    def history(self, problem_id: str) -> pd.DataFrame:
        """Every status event of ``problem_id``, oldest first."""
        return self.store.query(
            "SELECT * FROM inv_events WHERE problem_id = ? ORDER BY seq", [problem_id]
        )

    def project_versions(self, unit_code: str, project_id: str) -> pd.DataFrame:
        """Every version of a project, oldest first."""
        return self.store.query(
            "SELECT * FROM inv_projects WHERE unit_code = ? AND project_id = ? ORDER BY version",
            [str(unit_code), project_id],
        )

    # -- writing -----------------------------------------------------------------------------
    def _log(
        self,
        cur: Any,
        kind: str,
        unit: str,
        year: int | None,
        *,
        level: str | None = None,
        source: str | Path | None = None,
        n_rows: int = 0,
        note: str | None = None,
        actor: str | None = None,
    ) -> str:
        import_id = f"{_now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        sha = None
        name = None
        if source is not None:
            p = Path(source)
            name = p.name
            if p.is_file():
                sha = hashlib.sha256(p.read_bytes()).hexdigest()
        cur.execute(
            "INSERT INTO inv_imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [import_id, kind, unit, year, level, name, sha, n_rows, note, actor, _now()],
        )
        return import_id

    @staticmethod
    def _insert(
        cur: Any, table: str, df: pd.DataFrame, cols: list[str], extra: Mapping[str, Any]
    ) -> None:
        if df.empty:
            return
        frame = _clean(df, cols)
        for k, v in extra.items():
            frame[k] = v
        cur.register("_inv_incoming", frame)
        try:
            names = ", ".join([*cols, *extra])
            cur.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM _inv_incoming")
        finally:
            cur.unregister("_inv_incoming")

    def import_registers(
        self,
        tables: Mapping[str, pd.DataFrame],
        *,
        source: str | Path | None = None,
        actor: str | None = None,
    ) -> list[str]:
        """Store register snapshots (each becomes the current register of its city and year).

        Returns
        -------
        list of str
            The import ids, one per register kind, city and year.
        """
        ids = []
        with self.store._transaction() as cur:
            for kind, df in tables.items():
                if kind not in REGISTER_KINDS:
                    raise StoreError(
                        f"unknown register {kind!r}; use one of {', '.join(REGISTER_KINDS)}"
                    )
                cols = ["unit_code", "year", *(c.name for c in REGISTER_COLUMNS[kind])]
                extra = [c for c in df.columns if c not in cols]
                for (unit, year), g in df.groupby(["unit_code", "year"], sort=True):
                    iid = self._log(
                        cur, kind, str(unit), int(year), source=source, n_rows=len(g), actor=actor
                    )
                    g = g.assign(
                        attributes=[
                            json.dumps(
                                {
                                    k: float(v)
                                    for k, v in zip(extra, vals, strict=True)
                                    if pd.notna(v)
                                }
                            )
                            if extra
                            else None
                            for vals in g[extra].itertuples(index=False, name=None)
                        ]
                    )
                    self._insert(
                        cur, REGISTER_TABLES[kind], g, [*cols, "attributes"], {"import_id": iid}
                    )
                    ids.append(iid)
        return ids

    def _apply(
        self,
        cur: Any,
        before: Inventory,
        after: Inventory,
        iid: str | None,
        rewrite: set[tuple[str, int]] | None = None,
    ) -> None:
        """Write what ``after`` adds to ``before``; delete what it dropped (a replaced survey).

        A problem ID that a replaced survey gave to another problem is rewritten with
        its observations and events; observations in ``rewrite`` (problem_id, year) are
        rewritten from ``after``.
        """
        rewrite = rewrite or set()
        now = _now()
        bp = set(before.problems["problem_id"])
        ap = set(after.problems["problem_id"])
        keycols = [
            "unit_code",
            "indicator",
            "register_id",
            "sub_item",
            "road",
            "first_year",
            "date_found",
        ]

        def ident(df: pd.DataFrame) -> pd.Series:
            d = df[df["problem_id"].isin(bp & ap)]
            text = pd.Series("", index=d.index, dtype=object)
            for c in keycols:
                col = pd.to_datetime(d[c]).dt.date if c == "date_found" else d[c]
                text = text + "\x1f" + col.astype(object).where(col.notna(), "").astype(str)
            return pd.Series(text.to_numpy(), index=d["problem_id"].to_numpy())

        ib, ia = ident(before.problems), ident(after.problems)
        changed = set(ib.index[ib.ne(ia.reindex(ib.index))]) if len(ib) else set()
        gone = sorted((bp - ap) | changed)
        if gone:
            for table in ("inv_problems", "inv_events", "inv_observations"):
                cur.execute(f"DELETE FROM {table} WHERE list_contains(?, problem_id)", [gone])

        def keys(df: pd.DataFrame, col: str) -> list[tuple[str, int]]:
            return list(zip(df["problem_id"], pd.to_numeric(df[col]).astype(int), strict=True))

        akeys = set(keys(after.observations, "year"))
        for pid, y in (set(keys(before.observations, "year")) - akeys) | rewrite:
            if pid not in changed:
                cur.execute(
                    "DELETE FROM inv_observations WHERE problem_id = ? AND year = ?", [pid, y]
                )
        newp = after.problems[~after.problems["problem_id"].isin(bp - changed)]
        self._insert(
            cur, "inv_problems", newp, PROBLEM_TABLE_COLUMNS, {"import_id": iid, "created_utc": now}
        )
        bkey = {
            k for k in keys(before.observations, "year") if k[0] not in changed and k not in rewrite
        }
        ao = after.observations
        self._insert(
            cur,
            "inv_observations",
            ao[[k not in bkey for k in keys(ao, "year")]],
            OBSERVATION_COLUMNS,
            {"import_id": iid},
        )
        bev = {k for k in keys(before.events, "seq") if k[0] not in changed}
        ae = after.events
        self._insert(
            cur,
            "inv_events",
            ae[[k not in bev for k in keys(ae, "seq")]],
            EVENT_COLUMNS,
            {"recorded_utc": now},
        )

    def record_survey(
        self,
        survey: pd.DataFrame,
        *,
        levels: Iterable[str] | None = None,
        catalogue: Mapping[str, Any] | None = None,
        replace: bool = False,
        source: str | Path | None = None,
        actor: str | None = None,
    ) -> SurveyOutcome:
        """Record a field survey (see :func:`citycheckup.inventory.record_survey`) in one transaction."""
        if survey.empty:
            raise StoreError(
                "the survey has no problems; use record_empty_survey for a survey that found nothing"
            )
        unit = str(survey["unit_code"].iloc[0])
        year = int(pd.to_numeric(survey["year"]).iloc[0])
        with self.store._transaction() as cur:
            before = self.load(unit, cur=cur)
            after, outcome = record_survey(
                before, survey, levels=levels, catalogue=catalogue, replace=replace
            )
            lv = sorted(set(levels) if levels is not None else set(survey["level"]))
            iid = self._log(
                cur,
                "survey",
                unit,
                year,
                level=",".join(lv),
                source=source,
                n_rows=len(survey),
                note="replaced an earlier survey" if replace else None,
                actor=actor,
            )
            rewrite: set[tuple[str, int]] = set()
            if replace:
                lev = before.problems.set_index("problem_id")["level"]
                o = before.observations
                mine = o[
                    (o["unit_code"].astype(str) == unit)
                    & (pd.to_numeric(o["year"]) == year)
                    & o["problem_id"].map(lev).isin(lv)
                ]
                rewrite = set(zip(mine["problem_id"], [year] * len(mine), strict=True))
            self._apply(cur, before, after, iid, rewrite)
            self._insert(
                cur,
                "inv_surveys",
                after.surveys[
                    (after.surveys["unit_code"].astype(str) == unit)
                    & (pd.to_numeric(after.surveys["year"]) == year)
                    & after.surveys["level"].isin(lv)
                ],
                SURVEY_COLUMNS,
                {"import_id": iid, "recorded_utc": _now()},
            )
        return outcome

    def record_empty_survey(
        self, unit_code: str, year: int, levels: Iterable[str], *, actor: str | None = None
    ) -> None:
        """Record that ``levels`` were surveyed and nothing was found (their counts are then 0)."""
        lv = sorted(set(levels))
        with self.store._transaction() as cur:
            before = self.load(str(unit_code), cur=cur)
            after = record_empty_survey(before, str(unit_code), int(year), lv)
            iid = self._log(
                cur,
                "survey",
                str(unit_code),
                int(year),
                level=",".join(lv),
                note="nothing found",
                actor=actor,
            )
            s = after.surveys
            self._insert(
                cur,
                "inv_surveys",
                s[
                    (s["unit_code"].astype(str) == str(unit_code))
                    & (pd.to_numeric(s["year"]) == int(year))
                    & s["level"].isin(lv)
                ],
                SURVEY_COLUMNS,
                {"import_id": iid, "recorded_utc": _now()},
            )

    def change_status(
        self, changes: Iterable[StatusChange], *, today: dt.date | None = None
    ) -> int:
        """Apply status changes (all or none); return how many events were added."""
        changes = list(changes)
        units = self._units_of([c.problem_id for c in changes])
        n = 0
        with self.store._transaction() as cur:
            for unit in units:
                before = self.load(unit, cur=cur)
                mine = [c for c in changes if c.problem_id in set(before.problems["problem_id"])]
                after = change_status(before, mine, today=today)
                self._apply(cur, before, after, None)
                n += len(after.events) - len(before.events)
            if not units:
                change_status(Inventory(), changes, today=today)  # raises: no such problem
        return n

    def _units_of(self, ids: list[str]) -> list[str]:
        if not ids:
            return []
        rows = self.store.rows(
            "SELECT DISTINCT unit_code FROM inv_problems WHERE list_contains(?, problem_id)", [ids]
        )
        found = self.store.rows(
            "SELECT problem_id FROM inv_problems WHERE list_contains(?, problem_id)", [ids]
        )
        missing = sorted(set(ids) - {r[0] for r in found})
        if missing:
            change_status(
                Inventory(), [StatusChange(i, "closed", dt.date.today()) for i in missing]
            )
        return sorted(r[0] for r in rows)

    def add_projects(
        self, projects: pd.DataFrame | Iterable[Mapping[str, Any]], *, actor: str | None = None
    ) -> list[str]:
        """Add projects or new versions of existing ones; return their ids."""
        df = projects.copy() if isinstance(projects, pd.DataFrame) else pd.DataFrame(list(projects))
        checked = add_projects(Inventory(), df).projects
        with self.store._transaction() as cur:
            for rec in checked.to_dict("records"):
                v = cur.execute(
                    "SELECT coalesce(max(version), 0) FROM inv_projects WHERE unit_code = ? AND "
                    "project_id = ?",
                    [rec["unit_code"], rec["project_id"]],
                ).fetchall()[0][0]
                self._insert(
                    cur,
                    "inv_projects",
                    pd.DataFrame([rec]),
                    PROJECT_COLUMNS,
                    {"version": int(v) + 1, "actor": actor, "recorded_utc": _now()},
                )
        return checked["project_id"].tolist()

    # -- 12345 hotline: candidate problems and ticket links ------------------------------------
    #: Tables of the hotline link, created on first write (``CREATE TABLE IF NOT EXISTS``)
    #: so that stores of schema version 2 need no migration; reads of a store without
    #: them return empty tables.
    _HOTLINE_DDL = HOTLINE_DDL  # also migration 3 of the store schema

    def _has_table(self, name: str) -> bool:
        return bool(
            self.store.rows(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
            )[0][0]
        )

    def record_hotline_candidates(
        self,
        findings: Any,
        *,
        source: str | Path | None = None,
        actor: str | None = None,
    ) -> str:
        """Store the candidate problems of :func:`citycheckup.inventory.hotline_link.hotline_findings`.

        The candidates of the same city and year are replaced (a re-run with more tickets
        or another threshold gives the current list); the run is logged in
        ``inv_imports`` (kind ``hotline``) with its ticket counts by outcome.
        """
        from citycheckup.inventory.hotline_link import CANDIDATE_COLUMNS

        unit, year = str(findings.unit_code), int(findings.year)
        counts = findings.counts()
        start, end = findings.period
        note = json.dumps(
            {
                "period": [str(start), str(end)],
                "min_tickets": findings.mapping.min_tickets,
                "community_distance_m": findings.mapping.community_distance_m,
                "block_distance_m": findings.mapping.block_distance_m,
                "mapping_version": findings.mapping.version,
                **counts,
            },
            ensure_ascii=False,
        )
        with self.store._transaction() as cur:
            for ddl in self._HOTLINE_DDL:
                cur.execute(ddl)
            iid = self._log(
                cur, "hotline", unit, year, source=source, n_rows=counts["tickets"], note=note,
                actor=actor,
            )  # fmt: skip
            cur.execute(
                "DELETE FROM inv_hotline_candidates WHERE unit_code = ? AND year = ?", [unit, year]
            )
            self._insert(
                cur, "inv_hotline_candidates", findings.candidates, CANDIDATE_COLUMNS,
                {"import_id": iid},
            )  # fmt: skip
        return iid

    def hotline_candidates(
        self, unit_code: str | None = None, year: int | None = None
    ) -> pd.DataFrame:
        """The stored candidate problems (:data:`~citycheckup.inventory.hotline_link.CANDIDATE_COLUMNS`)."""
        from citycheckup.inventory.hotline_link import CANDIDATE_COLUMNS

        if not self._has_table("inv_hotline_candidates"):
            return pd.DataFrame(columns=CANDIDATE_COLUMNS)
        conds: list[str] = []
        params: list[Any] = []
        if unit_code is not None:
            conds.append("unit_code = ?")
            params.append(str(unit_code))
        if year is not None:
            conds.append("year = ?")
            params.append(int(year))
        where = ("WHERE " + " AND ".join(conds)) if conds else ""
        df = self.store.query(
            f"SELECT * FROM inv_hotline_candidates {where} ORDER BY unit_code, year, candidate_id",
            params,
        )
        return df[CANDIDATE_COLUMNS].reset_index(drop=True)

    def link_tickets(
        self,
        problem_id: str,
        ticket_ids: Iterable[int | str],
        *,
        note: str | None = None,
        actor: str | None = None,
    ) -> int:
        """Link a closed problem to the hotline tickets it resolved; return how many links were added.

        A link already stored is not added twice. See
        :func:`citycheckup.inventory.hotline_link.ticket_links` for the checks.
        """
        from citycheckup.inventory.hotline_link import TICKET_LINK_COLUMNS, ticket_links

        unit = self._units_of([problem_id])[0]
        with self.store._transaction() as cur:
            links = ticket_links(self.load(unit, cur=cur), problem_id, ticket_ids, note=note)
            for ddl in self._HOTLINE_DDL:
                cur.execute(ddl)
            have = {
                int(r[0])
                for r in cur.execute(
                    "SELECT ticket_id FROM inv_ticket_links WHERE problem_id = ?", [problem_id]
                ).fetchall()
            }
            new = links[~links["ticket_id"].isin(have)]
            self._insert(
                cur, "inv_ticket_links", new, TICKET_LINK_COLUMNS,
                {"actor": actor, "linked_utc": _now()},
            )  # fmt: skip
        return len(new)

    def ticket_links(self, problem_id: str | None = None) -> pd.DataFrame:
        """Stored links of closed problems to hotline tickets (``problem_id`` … ``linked_utc``)."""
        cols = ["problem_id", "unit_code", "ticket_id", "note", "actor", "linked_utc"]
        if not self._has_table("inv_ticket_links"):
            return pd.DataFrame(columns=cols)
        where, params = ("WHERE problem_id = ?", [problem_id]) if problem_id else ("", [])
        return self.store.query(
            f"SELECT * FROM inv_ticket_links {where} ORDER BY problem_id, ticket_id", params
        )[cols]
