"""The inventory of one or more cities: registers, problems, observations, status events, projects.

:class:`Inventory` is a plain container of DataFrames; every function of
:mod:`citycheckup.inventory` takes one and returns a new one (nothing is changed in
place). :mod:`citycheckup.store` persists it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from citycheckup.inventory._schema import REGISTER_COLUMNS, REGISTER_KINDS

__all__ = [
    "EVENT_COLUMNS",
    "OBSERVATION_COLUMNS",
    "PROBLEM_TABLE_COLUMNS",
    "PROJECT_COLUMNS",
    "SURVEY_COLUMNS",
    "Inventory",
    "empty_register",
]

#: One row per problem: what and where it is, and its remediation plan.
PROBLEM_TABLE_COLUMNS = [
    "problem_id",
    "unit_code",
    "level",
    "indicator",
    "mohurd_id",
    "located_in",
    "register",
    "register_id",
    "road",
    "sub_item",
    "first_year",
    "date_found",
    "remediation",
    "deadline",
    "category_zh",
    "category_en",
    "measure_zh",
    "measure_en",
    "department_zh",
    "department_en",
    "recurs",
]
#: One row per problem and field survey in which it was seen.
OBSERVATION_COLUMNS = [
    "problem_id",
    "unit_code",
    "year",
    "severity",
    "quantity",
    "date_found",
    "lon",
    "lat",
    "photo",
    "description",
    "surveyor",
]
#: One row per status change (the history; never overwritten).
EVENT_COLUMNS = [
    "problem_id",
    "unit_code",
    "seq",
    "status",
    "date",
    "evidence",
    "note",
    "project_id",
    "actor",
]
#: One row per field survey of a level (also when it found nothing: zero is then a value).
SURVEY_COLUMNS = ["unit_code", "year", "level", "n_records", "n_new", "n_matched"]
#: Urban-renewal projects (城市更新项目库).
PROJECT_COLUMNS = [
    "project_id",
    "unit_code",
    "name_zh",
    "name_en",
    "content",
    "scale",
    "investment_10k_yuan",
    "funding_source",
    "implementing_body",
    "department",
    "year",
    "renewal_unit",
    "note",
]


def empty_register(kind: str) -> pd.DataFrame:
    """An empty register table of ``kind``."""
    return pd.DataFrame(columns=["unit_code", "year", *(c.name for c in REGISTER_COLUMNS[kind])])


def _empty(cols: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=cols)


@dataclass
class Inventory:
    """Registers, located problems and their history for one or more cities.

    Attributes
    ----------
    registers
        ``building``, ``compound``, ``community``, ``block`` → register table (one row
        per record and check-up year; coordinates in WGS-84).
    problems
        :data:`PROBLEM_TABLE_COLUMNS`.
    observations
        :data:`OBSERVATION_COLUMNS`.
    events
        :data:`EVENT_COLUMNS`: status history; the current status is the last event.
    surveys
        :data:`SURVEY_COLUMNS`.
    projects
        :data:`PROJECT_COLUMNS`.
    """

    registers: dict[str, pd.DataFrame] = field(
        default_factory=lambda: {k: empty_register(k) for k in REGISTER_KINDS}
    )
    problems: pd.DataFrame = field(default_factory=lambda: _empty(PROBLEM_TABLE_COLUMNS))
    observations: pd.DataFrame = field(default_factory=lambda: _empty(OBSERVATION_COLUMNS))
    events: pd.DataFrame = field(default_factory=lambda: _empty(EVENT_COLUMNS))
    surveys: pd.DataFrame = field(default_factory=lambda: _empty(SURVEY_COLUMNS))
    projects: pd.DataFrame = field(default_factory=lambda: _empty(PROJECT_COLUMNS))

    def copy(self, **changes: object) -> Inventory:
        """A shallow copy with some tables replaced."""
        regs = changes.pop("registers", None)
        out = replace(self, **changes)  # type: ignore[arg-type]
        out.registers = dict(regs if regs is not None else self.registers)  # type: ignore[call-overload]
        return out

    def register(
        self, kind: str, *, unit_code: str | None = None, year: int | None = None
    ) -> pd.DataFrame:
        """Register ``kind``, optionally of one city and year."""
        df = self.registers.get(kind, empty_register(kind))
        if unit_code is not None:
            df = df[df["unit_code"].astype(str) == str(unit_code)]
        if year is not None:
            df = df[pd.to_numeric(df["year"]) == int(year)]
        return df

    def with_registers(self, tables: dict[str, pd.DataFrame]) -> Inventory:
        """A copy where each given register replaces the rows of the same city and year."""
        regs = dict(self.registers)
        for kind, new in tables.items():
            if kind not in REGISTER_KINDS:
                raise KeyError(f"unknown register {kind!r}")
            old = regs.get(kind, empty_register(kind))
            keys = set(
                zip(
                    new["unit_code"].astype(str),
                    pd.to_numeric(new["year"]).astype(int),
                    strict=True,
                )
            )
            keep = [
                (u, y) not in keys
                for u, y in zip(
                    old["unit_code"].astype(str),
                    pd.to_numeric(old["year"]).astype(int),
                    strict=True,
                )
            ]
            frames = [f for f in (old[keep], new) if not f.empty]
            regs[kind] = pd.concat(frames, ignore_index=True) if frames else empty_register(kind)
        return self.copy(registers=regs)
