"""``citycheckup registers import|validate|list`` and ``citycheckup problems list|start|close|link-project|…``.

Registers (楼栋、小区、社区、街区), field surveys and the problem lifecycle, kept in the
results store (``--store`` or ``$CITYCHECKUP_STORE``, default ``./citycheckup.duckdb``).
"""

from __future__ import annotations

from typing import Any

import typer

from citycheckup.cli._inventory_common import (
    KINDS,
    field_survey_workbook,
    problems_app,
    registers_app,
)
from citycheckup.cli._inventory_hotline import add_hotline
from citycheckup.cli._inventory_problems import add_problems
from citycheckup.cli._inventory_registers import add_registers

__all__ = ["field_survey_workbook", "register"]


def register(app: typer.Typer) -> None:
    """Add ``registers`` and ``problems`` to ``app``."""

    def context_from(st_inv: Any) -> Any:
        def ctx(unit: str | None, year: int | None) -> dict[str, Any]:
            if unit is None or st_inv is None:
                return {}
            inv = st_inv.load(unit)
            regs = {k: inv.register(k, year=year) for k in KINDS}
            return {k: df for k, df in regs.items() if not df.empty}

        return ctx

    add_registers(context_from)
    add_problems()
    add_hotline()
    app.add_typer(registers_app, name="registers")
    app.add_typer(problems_app, name="problems")
