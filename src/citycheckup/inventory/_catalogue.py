"""The remediation catalogue (整治目录): problem → measure, 整治类型, department, deadline.

One editable YAML file, ``remediation.yaml`` (package data of :mod:`citycheckup.inventory`),
is the single source of truth; :func:`citycheckup.diagnosis.load_remediation_mapping`
reads the same file through :func:`load_catalogue`.
"""

from __future__ import annotations

import copy
import functools
import math
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from citycheckup.errors import DataError, Problem

__all__ = [
    "REMEDIATION_TYPES",
    "catalogue_entry",
    "deadline_for",
    "load_catalogue",
]

#: 整治类型 codes and labels.
REMEDIATION_TYPES: dict[str, dict[str, str]] = {
    "time_limited": {"zh": "限时解决", "en": "fix within deadline"},
    "best_effort": {"zh": "尽力解决", "en": "best effort"},
}
_FIELDS = (
    "category_zh",
    "category_en",
    "measure_zh",
    "measure_en",
    "remediation",
    "department_zh",
    "department_en",
    "deadline_days",
)


def _check_days(value: object, where: str, problems: list[Problem]) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        problems.append(
            Problem(
                f"deadline_days must be a whole number of days ≥ 1 (or null for no deadline), "
                f"got {value!r}",
                where,
            )
        )


@functools.lru_cache(maxsize=1)
def _default_catalogue() -> dict[str, Any]:
    text = (resources.files("citycheckup.inventory") / "remediation.yaml").read_text(
        encoding="utf-8"
    )
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    out: dict[str, Any] = yaml.load(text, Loader=loader)  # a safe loader (C or Python)
    return out


def load_catalogue(path: str | Path | None = None) -> dict[str, Any]:
    """The remediation catalogue: the package default, updated with ``path``.

    Parameters
    ----------
    path
        A YAML file with any of ``default:``, ``deadline_days: {type: days}`` and
        ``indicators: {code or MOHURD id: {field: value, sub_items: {code: {…}}}}``.
        Its entries replace the defaults' fields of the same key.

    Returns
    -------
    dict
        ``{"version", "deadline_days", "default", "indicators"}``. An entry's
        ``deadline_days`` that is absent or null means the default of its type.

    Raises
    ------
    DataError
        When the file is unreadable, or (all listed) an entry has an unknown
        ``remediation`` type, a ``deadline_days`` that is not a whole number ≥ 1, or a
        time-limited entry resolves to no deadline.
    """
    cat = copy.deepcopy(_default_catalogue())
    if path is not None:
        p = Path(path)
        try:
            user = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise DataError(
                f"remediation catalogue {p} could not be read ({exc}); give a YAML file"
            ) from exc
        if not isinstance(user, dict):
            raise DataError(
                f"remediation catalogue {p}: expected a mapping with 'indicators:', got "
                f"{type(user).__name__}"
            )
        cat["default"].update(user.get("default") or {})
        cat["deadline_days"].update(user.get("deadline_days") or {})
        for code, entry in (user.get("indicators") or {}).items():
            mine = cat["indicators"].setdefault(str(code), {})
            entry = dict(entry or {})
            subs = entry.pop("sub_items", None) or {}
            mine.update(entry)
            for sc, se in subs.items():
                mine.setdefault("sub_items", {}).setdefault(str(sc), {}).update(se or {})
    problems: list[Problem] = []
    for rtype, days in cat["deadline_days"].items():
        if rtype not in REMEDIATION_TYPES:
            problems.append(
                Problem(
                    f"unknown remediation type {rtype!r}; use {', '.join(REMEDIATION_TYPES)}",
                    "deadline_days",
                )
            )
        _check_days(days, f"deadline_days.{rtype}", problems)

    def check(entry: dict[str, Any], where: str) -> None:
        rem = entry.get("remediation", cat["default"].get("remediation", "best_effort"))
        if rem not in REMEDIATION_TYPES:
            problems.append(
                Problem(
                    f"remediation must be one of {', '.join(REMEDIATION_TYPES)}, got {rem!r}", where
                )
            )
            return
        _check_days(entry.get("deadline_days"), where, problems)
        days = entry.get("deadline_days") or cat["deadline_days"].get(rem)
        if rem == "time_limited" and days is None:
            problems.append(
                Problem(
                    "a time-limited (限时解决) entry needs a deadline: set its deadline_days "
                    "or deadline_days.time_limited",
                    where,
                )
            )

    check(cat["default"], "default")
    for code, e in cat["indicators"].items():
        check(e, f"indicator {code}")
        for sc, se in (e.get("sub_items") or {}).items():
            check(
                {**{k: v for k, v in e.items() if k != "sub_items"}, **(se or {})},
                f"indicator {code} sub-item {sc}",
            )
    if problems:
        raise DataError("invalid remediation catalogue", problems=problems)
    return cat


def catalogue_entry(
    catalogue: dict[str, Any],
    code: str,
    *,
    mohurd_id: str | None = None,
    sub_item: str | None = None,
) -> dict[str, Any]:
    """The catalogue fields of a problem: default ← MOHURD-id entry ← code entry ← sub-item.

    Returns
    -------
    dict
        ``category_zh/en, measure_zh/en, remediation, department_zh/en, deadline_days``
        (``None`` = no deadline).
    """
    e: dict[str, Any] = {k: v for k, v in catalogue["default"].items() if k != "sub_items"}
    chosen: list[dict[str, Any]] = []
    if mohurd_id and mohurd_id in catalogue["indicators"]:
        chosen.append(catalogue["indicators"][mohurd_id])
    if code in catalogue["indicators"]:
        chosen.append(catalogue["indicators"][code])
    for c in chosen:
        e.update({k: v for k, v in c.items() if k != "sub_items"})
    if sub_item:
        for c in chosen:
            e.update((c.get("sub_items") or {}).get(sub_item) or {})
    rem = e.get("remediation", "best_effort")
    e["remediation"] = rem
    if e.get("deadline_days") is None:  # absent or null: the default of the remediation type
        e["deadline_days"] = catalogue["deadline_days"].get(rem)
    return {k: e.get(k) for k in _FIELDS}


def deadline_for(date_found: object, days: int | None) -> pd.Timestamp | None:
    """The deadline: ``date_found`` + ``days`` (``None`` without a deadline).

    A problem closed on its deadline day is on time; it is overdue from the day after.

    >>> deadline_for("2024-03-01", 365)
    Timestamp('2025-03-01 00:00:00')
    """
    if days is None or (isinstance(days, float) and math.isnan(days)):
        return None
    d = pd.Timestamp(date_found).normalize()
    return d + pd.Timedelta(days=int(days))
