"""The mapping table of 12345 tickets to check-up problem types (``hotline_mapping.yaml``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from citycheckup.errors import DataError, Problem
from citycheckup.framework.models import Framework
from citycheckup.inventory._schema import LOWER_LEVELS

__all__ = ["HotlineMapping", "HotlineRule", "load_hotline_mapping"]


@dataclass(frozen=True)
class HotlineRule:
    """One row of the mapping table."""

    problem_type: str
    level: str
    name_zh: str
    name_en: str
    service_code: str | None = None
    category: str | None = None
    indicator: str | None = None
    sub_item: str | None = None
    sub_item_zh: str = ""
    sub_item_en: str = ""


@dataclass(frozen=True)
class HotlineMapping:
    """The mapping table and its thresholds (see ``hotline_mapping.yaml``)."""

    rules: tuple[HotlineRule, ...]
    min_tickets: int
    community_distance_m: float
    block_distance_m: float
    version: str
    source: str

    def by_service(self) -> dict[str, HotlineRule]:
        """Service code → rule."""
        return {r.service_code: r for r in self.rules if r.service_code}

    def by_category(self) -> dict[str, HotlineRule]:
        """Category → rule."""
        return {r.category: r for r in self.rules if r.category}


def _builtin_path() -> Path:
    return Path(str(resources.files("citycheckup.inventory").joinpath("hotline_mapping.yaml")))


def load_hotline_mapping(
    path: str | Path | None = None,
    fw: Framework | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
) -> HotlineMapping:
    """Read and check a mapping table (default: the one shipped in the package).

    Parameters
    ----------
    path
        A YAML file in the layout of the built-in ``hotline_mapping.yaml``.
    fw
        The framework whose indicators and sub-items the rules name (default: the one
        the file names, normally ``mohurd-2025``).
    overrides
        Top-level values replacing those of the file (``min_tickets`` …).

    Raises
    ------
    citycheckup.errors.DataError
        Every problem of the file at once: unknown level, indicator or sub-item, a rule
        without names, a service code or category mapped twice, a bad threshold.
    """
    p = Path(path) if path is not None else _builtin_path()
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DataError(f"cannot read the hotline mapping {p}: {exc}") from exc
    if not isinstance(raw, dict):
        raise DataError(f"{p}: the hotline mapping must be a mapping with `rules`")
    raw = {**raw, **(overrides or {})}
    if fw is None:
        from citycheckup.framework import load_framework

        fw = load_framework(str(raw.get("framework") or "mohurd-2025"))
    problems: list[Problem] = []

    def number(key: str, integer: bool) -> float:
        v: Any = raw.get(key)
        ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v > 0
        if ok and integer and float(v) != int(v):
            ok = False
        if not ok:
            kind = "a whole number ≥ 1" if integer else "a positive number of metres"
            problems.append(Problem(f"{p}: `{key}` must be {kind}, got {v!r}"))
            return 1.0
        return float(v)

    min_tickets = int(number("min_tickets", True))
    dc = number("community_distance_m", False)
    db = number("block_distance_m", False)
    inds = {i.code: i for i in fw.indicators}
    rules: list[HotlineRule] = []
    seen: dict[tuple[str, str], int] = {}
    raw_rules = raw.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        problems.append(Problem(f"{p}: `rules` must be a non-empty list"))
        raw_rules = []
    for n, r in enumerate(raw_rules, start=1):
        where = f"{p}: rule {n}"
        if not isinstance(r, dict):
            problems.append(Problem(f"{where} must be a mapping"))
            continue
        sc, cat = r.get("service_code"), r.get("category")
        if bool(sc) == bool(cat):
            problems.append(Problem(f"{where}: give exactly one of `service_code` or `category`"))
            continue
        key = ("service_code", str(sc)) if sc else ("category", str(cat))
        if key in seen:
            problems.append(
                Problem(f"{where}: {key[0]} {key[1]!r} is already mapped by rule {seen[key]}")
            )
            continue
        seen[key] = n
        ptype, level = r.get("problem_type"), r.get("level")
        if not ptype or not str(ptype).replace("_", "").isalnum() or not str(ptype).isascii():
            problems.append(
                Problem(f"{where}: `problem_type` must be an ASCII code, got {ptype!r}")
            )
            continue
        if level not in LOWER_LEVELS:
            problems.append(
                Problem(f"{where}: `level` must be one of {', '.join(LOWER_LEVELS)}, got {level!r}")
            )
            continue
        ind_code, sub = r.get("indicator"), r.get("sub_item")
        name_zh, name_en = r.get("name_zh"), r.get("name_en")
        sub_zh = sub_en = ""
        if ind_code:
            ind = inds.get(str(ind_code))
            if ind is None:
                problems.append(Problem(f"{where}: indicator {ind_code!r} is not in {fw.code}"))
                continue
            if ind.level != level or not ind.located_in:
                problems.append(
                    Problem(
                        f"{where}: indicator {ind_code!r} is a located problem of level "
                        f"{ind.level!r}, not {level!r}"
                        if ind.located_in
                        else f"{where}: indicator {ind_code!r} is not a located problem"
                    )
                )
                continue
            if sub:
                s = {x.code: x for x in ind.sub_items}.get(str(sub))
                if s is None:
                    problems.append(
                        Problem(
                            f"{where}: sub-item {sub!r} is not one of {ind_code}'s: "
                            + ", ".join(x.code for x in ind.sub_items)
                        )
                    )
                    continue
                sub_zh, sub_en = s.name_zh, s.name_en
            name_zh, name_en = name_zh or ind.name_zh, name_en or ind.name_en
        elif sub:
            problems.append(Problem(f"{where}: a `sub_item` needs its `indicator`"))
            continue
        if not name_zh or not name_en:
            problems.append(
                Problem(f"{where}: a rule without an indicator needs `name_zh` and `name_en`")
            )
            continue
        rules.append(
            HotlineRule(
                problem_type=str(ptype),
                level=str(level),
                name_zh=str(name_zh),
                name_en=str(name_en),
                service_code=str(sc) if sc else None,
                category=str(cat) if cat else None,
                indicator=str(ind_code) if ind_code else None,
                sub_item=str(sub) if sub else None,
                sub_item_zh=sub_zh,
                sub_item_en=sub_en,
            )
        )
    if problems:
        raise DataError(f"{len(problems)} problem(s) in the hotline mapping", problems=problems)
    return HotlineMapping(tuple(rules), min_tickets, dc, db, str(raw.get("version", "")), str(p))
