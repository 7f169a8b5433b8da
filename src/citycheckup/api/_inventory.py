"""API router of the inventory: registers, located problems, follow-up and projects of a city.

Reading is open; writing (status changes, projects) needs the same bearer token as the
rest of the API. The router is wired into the app by::

    from citycheckup.api import _inventory
    app.include_router(_inventory.router)
    app.state.api_token = token            # the token create_app was given (or None)
    # or: app.dependency_overrides[_inventory.require_writer] = <the app's own writer check>

It reads the store from ``app.state.store``. Paths and bodies are documented in
``docs/inventory.md``.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import secrets
from functools import lru_cache
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

__all__ = ["PREFIX", "ProjectBody", "StatusBody", "require_writer", "router"]

PREFIX = "/api/v1/inventory"
ENV_TOKEN = "CITYCHECKUP_API_TOKEN"

router = APIRouter(prefix=PREFIX, tags=["inventory"])

Unit = Annotated[
    str, PathParam(pattern=r"^[^/\x00-\x1f]{1,64}$", description="City code (adcode).")
]
ProblemId = Annotated[str, PathParam(pattern=r"^[^/\x00-\x1f]{1,100}$", description="Problem ID.")]
Year = Annotated[int, Query(ge=1900, le=2200, description="Check-up year.")]
OptYear = Annotated[
    int | None, Query(ge=1900, le=2200, description="Check-up year (default: all).")
]
Framework = Annotated[
    str | None,
    Query(
        pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        description="Built-in framework for indicator names (default mohurd-2025 when installed).",
    ),
]
Limit = Annotated[int, Query(ge=1, le=10000, description="Page size.")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip.")]

_bearer = HTTPBearer(auto_error=False, description="Operator-configured token for writing.")


def require_writer(
    request: Request, cred: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> None:
    """Allow a write only with the operator's bearer token on a writable store.

    The token is ``app.state.api_token`` when the app sets it, else
    ``$CITYCHECKUP_API_TOKEN``; without any, writing is disabled (403).
    """
    st = request.app.state.store
    token = getattr(request.app.state, "api_token", None)
    if token is None:
        token = os.environ.get(ENV_TOKEN) or None
    if st.read_only:
        raise HTTPException(403, "the store is open read-only on this server; writing is disabled")
    if token is None:
        raise HTTPException(
            403, f"writing is disabled: the operator has configured no API token (set {ENV_TOKEN})"
        )
    if cred is None:
        raise HTTPException(
            401,
            "this request changes data and needs 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not secrets.compare_digest(cred.credentials.encode(), str(token).encode()):
        raise HTTPException(
            401, "the bearer token is not valid", headers={"WWW-Authenticate": "Bearer"}
        )


Writer = Depends(require_writer)


def _inv_store(request: Request) -> Any:
    from citycheckup.store._inventory import InventoryStore

    return InventoryStore(request.app.state.store)


@lru_cache(maxsize=8)
def _framework(name: str | None) -> Any:
    from citycheckup.framework import builtin_frameworks, load_framework

    names = set(builtin_frameworks())
    if name is None:
        return load_framework("mohurd-2025") if "mohurd-2025" in names else None
    if name not in names:
        raise HTTPException(
            400, f"unknown framework {name!r}; built-in ones: {', '.join(sorted(names))}"
        )
    return load_framework(name)


def _value(v: object) -> object:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, pd.Timestamp | dt.datetime):
        return v.date().isoformat() if (v.hour, v.minute, v.second) == (0, 0, 0) else v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if hasattr(v, "item"):
        return v.item()  # numpy scalars
    return v


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _value(v) for k, v in rec.items()} for rec in df.to_dict("records")]


def _page(df: pd.DataFrame, limit: int, offset: int) -> dict[str, Any]:
    return {
        "total": len(df),
        "limit": limit,
        "offset": offset,
        "items": _records(df.iloc[offset : offset + limit]),
    }


@router.get("/{unit}/registers/{kind}", summary="A register (楼栋/小区/社区/街区) of a city")
def get_register(
    request: Request,
    unit: Unit,
    kind: Literal["building", "compound", "community", "block"],
    year: OptYear = None,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Records of register ``kind`` (coordinates in WGS-84), newest year first."""
    inv = _inv_store(request).load(unit)
    reg = inv.register(kind, year=year).sort_values(["year", f"{kind}_id"], ascending=[False, True])
    return _page(reg, limit, offset)


@router.get("/{unit}/problems", summary="The problem list (问题清单) of a city and year")
def get_problems(
    request: Request,
    unit: Unit,
    year: Year,
    scope: Annotated[
        Literal["observed", "open"],
        Query(description="observed: seen in that year's surveys; open: open at year end."),
    ] = "observed",
    status: Annotated[
        Literal["found", "in_progress", "closed", "to_project"] | None, Query()
    ] = None,
    level: Annotated[Literal["housing", "community", "block"] | None, Query()] = None,
    framework: Framework = None,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Located problems with status, remediation type, deadline and department."""
    from citycheckup.inventory import problem_list

    inv = _inv_store(request).load(unit)
    pl = problem_list(inv, _framework(framework), unit_code=unit, year=year, scope=scope)
    if status:
        pl = pl[pl["status"] == status]
    if level:
        pl = pl[pl["level"] == level]
    return _page(pl, limit, offset)


@router.get(
    "/{unit}/problems/{problem_id}", summary="One problem with its observations and status history"
)
def get_problem(request: Request, unit: Unit, problem_id: ProblemId) -> dict[str, Any]:
    """The problem, every year it was seen, and every status change."""
    inv = _inv_store(request).load(unit)
    p = inv.problems[inv.problems["problem_id"] == problem_id]
    if p.empty:
        raise HTTPException(404, f"no problem {problem_id!r} in city {unit!r}")
    return {
        "problem": _records(p)[0],
        "observations": _records(inv.observations[inv.observations["problem_id"] == problem_id]),
        "history": _records(inv.events[inv.events["problem_id"] == problem_id].sort_values("seq")),
    }


@router.get(
    "/{unit}/suggestions", summary="The remediation suggestions (整治建议清单) of a city and year"
)
def get_suggestions(
    request: Request, unit: Unit, year: Year, framework: Framework = None
) -> dict[str, Any]:
    """One suggestion per indicator: result, measure, areas, 整治类型, departments, deadline, problem IDs."""
    from citycheckup.inventory import problem_list, suggestions

    inv = _inv_store(request).load(unit)
    sg = suggestions(problem_list(inv, _framework(framework), unit_code=unit, year=year))
    return {"total": len(sg), "items": _records(sg)}


@router.get(
    "/{unit}/projects", summary="The urban-renewal project library (城市更新项目库) of a city"
)
def get_projects(request: Request, unit: Unit) -> dict[str, Any]:
    """Projects with their attributes and the problems each holds."""
    from citycheckup.inventory import project_library

    inv = _inv_store(request).load(unit)
    pj = project_library(inv, unit_code=unit)
    return {"total": len(pj), "items": _records(pj)}


@router.get(
    "/{unit}/follow-up",
    summary="Follow-up of earlier problems (上年度问题整治成效) and completion rate",
)
def get_follow_up(
    request: Request,
    unit: Unit,
    year: Year,
    transferred: Annotated[
        Literal["open", "exclude", "done"],
        Query(description="How problems in renewal projects count (see docs/inventory.md)."),
    ] = "open",
) -> dict[str, Any]:
    """Problems open when ``year`` began, their status now, and the completion rate by level."""
    from citycheckup.inventory import follow_up

    inv = _inv_store(request).load(unit)
    fu = follow_up(inv, year, unit_code=unit, transferred=transferred)
    return {
        "start": fu.start.date().isoformat(),
        "end": fu.end.date().isoformat(),
        "transferred": transferred,
        "summary": _records(fu.summary),
        "problems": _records(fu.table),
    }


@router.get("/{unit}/rollup", summary="Lower-level indicators with their denominators")
def get_rollup(
    request: Request, unit: Unit, year: OptYear = None, framework: Framework = None
) -> dict[str, Any]:
    """Each located-problem indicator per year with the register total it is counted over."""
    from citycheckup.inventory import rollup

    fw = _framework(framework)
    if fw is None:
        raise HTTPException(400, "give framework=… (mohurd-2025 is not installed)")
    inv = _inv_store(request).load(unit)
    r = rollup(inv, fw, unit_code=unit, years=[year] if year is not None else None)
    return {"total": len(r), "items": _records(r)}


class StatusBody(BaseModel):
    """A status change: 整治中 (``in_progress``), 已销号 (``closed``, needs evidence) or 转入更新项目."""

    status: Literal["in_progress", "closed", "to_project"]
    date: dt.date
    evidence: str | None = Field(default=None, max_length=2000)
    note: str | None = Field(default=None, max_length=2000)
    project_id: str | None = Field(default=None, max_length=100)
    actor: str | None = Field(default=None, max_length=200)


class ProjectBody(BaseModel):
    """A renewal project (a new version when the ID exists)."""

    project_id: str = Field(min_length=1, max_length=100)
    name_zh: str = Field(min_length=1, max_length=500)
    year: int = Field(ge=1990, le=2100)
    name_en: str | None = Field(default=None, max_length=500)
    content: str | None = Field(default=None, max_length=5000)
    scale: str | None = Field(default=None, max_length=500)
    investment_10k_yuan: float | None = Field(default=None, ge=0)
    funding_source: str | None = Field(default=None, max_length=500)
    implementing_body: str | None = Field(default=None, max_length=500)
    department: str | None = Field(default=None, max_length=500)
    renewal_unit: str | None = Field(default=None, max_length=500)
    note: str | None = Field(default=None, max_length=2000)
    actor: str | None = Field(default=None, max_length=200)


@router.post(
    "/{unit}/problems/{problem_id}/status",
    summary="Change a problem's status (needs the token)",
    dependencies=[Writer],
    status_code=201,
)
def post_status(
    request: Request, unit: Unit, problem_id: ProblemId, body: StatusBody
) -> dict[str, Any]:
    """Add a status event (the history keeps every earlier one)."""
    from citycheckup.inventory import StatusChange

    s = _inv_store(request)
    inv = s.load(unit)
    if not (inv.problems["problem_id"] == problem_id).any():
        raise HTTPException(404, f"no problem {problem_id!r} in city {unit!r}")
    # a refused change raises a DataError: the app answers 400 with every problem listed
    s.change_status(
        [
            StatusChange(
                problem_id,
                body.status,
                body.date,
                body.evidence,
                body.note,
                body.project_id,
                body.actor,
            )
        ]
    )
    return {"problem_id": problem_id, "history": _records(s.history(problem_id))}


@router.post(
    "/{unit}/projects",
    summary="Add or edit a renewal project (needs the token)",
    dependencies=[Writer],
    status_code=201,
)
def post_project(request: Request, unit: Unit, body: ProjectBody) -> dict[str, Any]:
    """Store the project (an edit adds a version; earlier versions are kept)."""
    s = _inv_store(request)
    rec = body.model_dump()
    actor = rec.pop("actor")
    s.add_projects(pd.DataFrame([{**rec, "unit_code": unit}]), actor=actor)
    return {
        "project_id": body.project_id,
        "versions": _records(s.project_versions(unit, body.project_id)),
    }
