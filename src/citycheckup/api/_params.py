"""Typed parameters shared by the endpoints (FastAPI ``Annotated`` types)."""

from typing import Annotated

from fastapi import Path as PathParam
from fastapi import Query

__all__ = [
    "CODE",
    "MAX_UNITS",
    "RUN_ID",
    "TABLE",
    "UNIT",
    "Limit",
    "Offset",
    "RunId",
    "Search",
    "UnitCode",
    "Year",
]

RUN_ID = r"^[0-9A-Za-z][0-9A-Za-z_.-]{0,63}$"
UNIT = r"^[^/\x00-\x1f]{1,64}$"
CODE = r"^[A-Za-z][A-Za-z0-9_]{0,63}$"
TABLE = r"^[A-Za-z0-9_][A-Za-z0-9_./-]{0,127}$"
#: Most unit codes one call may name (``units=a,b,…``).
MAX_UNITS = 20

RunId = Annotated[str, PathParam(pattern=RUN_ID, description="Run id (see GET /api/v1/runs).")]
UnitCode = Annotated[
    str, PathParam(pattern=UNIT, description="Unit code (adcode for Chinese cities).")
]
Year = Annotated[
    int | None, Query(ge=1900, le=2200, description="Year (default: the run's latest).")
]
Limit = Annotated[int, Query(ge=1, le=1000, description="Page size.")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Items to skip.")]
Search = Annotated[
    str | None, Query(max_length=100, description="Case-insensitive text in name or code.")
]
