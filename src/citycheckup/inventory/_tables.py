"""The problem chain of one city and year as the tables a report and a run directory hold."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from citycheckup.framework.models import Framework
from citycheckup.inventory._chain import problem_list, project_library, suggestions
from citycheckup.inventory._followup import follow_up
from citycheckup.inventory._model import Inventory

__all__ = ["ChainTables", "chain_tables"]


@dataclass(frozen=True)
class ChainTables:
    """问题清单 → 整治建议清单 → 城市更新项目库, and the follow-up of last year's problems."""

    problems: pd.DataFrame
    suggestions: pd.DataFrame
    projects: pd.DataFrame
    followup: pd.DataFrame
    followup_summary: pd.DataFrame
    completion_rate: float | None

    @property
    def empty(self) -> bool:
        return self.problems.empty and self.followup.empty and self.projects.empty


def chain_tables(inv: Inventory, fw: Framework | None, *, unit_code: str, year: int) -> ChainTables:
    """The problem chain of ``unit_code`` in ``year`` (problems seen that year; last year's followed up)."""
    plist = problem_list(inv, fw, unit_code=unit_code, year=year)
    sugg = suggestions(plist) if not plist.empty else pd.DataFrame()
    import datetime as dt

    end = dt.date(int(year), 12, 31)
    projects = (
        project_library(inv, unit_code=unit_code, as_of=end)
        if not inv.projects.empty
        else pd.DataFrame()
    )
    fu = follow_up(inv, year, unit_code=unit_code)
    return ChainTables(
        problems=plist,
        suggestions=sugg,
        projects=projects,
        followup=fu.table,
        followup_summary=fu.summary,
        completion_rate=fu.rate(unit_code),
    )
