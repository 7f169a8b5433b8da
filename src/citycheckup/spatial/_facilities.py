"""The facility tag mapping (YAML): categories, life circles, park and transit rules."""

from __future__ import annotations

import importlib.resources
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from citycheckup.errors import Problem, SpatialError

__all__ = ["FacilityConfig", "LifeCircle", "load_facility_config"]

Rule = Mapping[str, "list[str] | bool"]


@dataclass(frozen=True)
class LifeCircle:
    """A life circle: every category in ``categories`` within ``distance_m``."""

    name: str
    distance_m: float
    categories: tuple[str, ...]

    @property
    def code(self) -> str:
        """Indicator code, e.g. ``life_circle_15min_coverage``."""
        return f"life_circle_{self.name}_coverage"


@dataclass(frozen=True)
class FacilityConfig:
    """A parsed facility tag mapping.

    Attributes
    ----------
    categories
        Category name → list of match rules.
    polygon_categories
        Categories whose features are areas (parks).
    life_circles
        The life circles, smallest first.
    park_service
        Park service radius (m) → minimum park area (m²).
    park_access_buffer_m
        Network nodes within this distance of a park act as its entrances.
    bus_stop_m, rail_station_m
        Transit coverage radii.
    residential_buildings
        ``building=*`` values counted as homes.
    generic_building_landuse
        Landuse values in which ``building=yes`` counts as a home.
    default_levels
        Storeys assumed when ``building:levels`` is absent.
    source
        Where the mapping was read from.
    """

    categories: dict[str, list[Rule]]
    polygon_categories: frozenset[str]
    life_circles: tuple[LifeCircle, ...]
    park_service: dict[int, float]
    park_access_buffer_m: float
    bus_stop_m: float
    rail_station_m: float
    residential_buildings: frozenset[str]
    generic_building_landuse: frozenset[str]
    default_levels: float
    labels: dict[str, str] = field(default_factory=dict)
    source: str = "builtin"

    def category_thresholds(self) -> dict[str, list[int]]:
        """Distances (m) at which each point category's coverage is reported.

        A category gets the distance of every life circle it belongs to; park and
        transit categories get their own radii.
        """
        out: dict[str, set[int]] = {c: set() for c in self.categories}
        for lc in self.life_circles:
            for c in lc.categories:
                out[c].add(int(lc.distance_m))
        return {c: sorted(v) for c, v in out.items() if v}

    def matches(self, category: str, tags: Sequence[Mapping[str, str]]) -> np.ndarray:
        """Boolean mask: which tag dictionaries match ``category``."""
        rules = self.categories[category]
        return np.fromiter((any(_rule_matches(r, t) for r in rules) for t in tags), bool, len(tags))


def _rule_matches(rule: Rule, tags: Mapping[str, str]) -> bool:
    for key, accepted in rule.items():
        val = tags.get(key)
        if val is None or val == "no":
            return False
        if accepted is True:
            continue
        if val not in accepted:  # type: ignore[operator]
            return False
    return True


def load_facility_config(path: str | Path | None = None) -> FacilityConfig:
    """Load a facility tag mapping.

    Parameters
    ----------
    path
        A YAML file; the built-in ``facilities.yaml`` (GB 50180-2018 life circles)
        when omitted.

    Returns
    -------
    FacilityConfig
        The parsed mapping.

    Raises
    ------
    SpatialError
        Listing every problem in the file.
    """
    if path is None:
        text = (
            importlib.resources.files("citycheckup.spatial")
            .joinpath("facilities.yaml")
            .read_text("utf-8")
        )
        where = "facilities.yaml (builtin)"
    else:
        p = Path(path)
        if not p.is_file():
            raise SpatialError(
                "facility mapping not found", problems=[Problem("no such file", str(p))]
            )
        text = p.read_text("utf-8")
        where = str(p)
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpatialError(
            "facility mapping is not valid YAML", problems=[Problem(str(exc), where)]
        ) from exc
    return _parse(raw, where)


def _parse(raw: Any, where: str) -> FacilityConfig:
    problems: list[Problem] = []
    if not isinstance(raw, dict):
        raise SpatialError(
            "facility mapping must be a YAML mapping", problems=[Problem("top level", where)]
        )
    cats_raw = raw.get("categories")
    categories: dict[str, list[Rule]] = {}
    polygon: set[str] = set()
    labels: dict[str, str] = {}
    if not isinstance(cats_raw, dict) or not cats_raw:
        problems.append(
            Problem("'categories' must map names to {match: [...]}", f"{where}: categories")
        )
        cats_raw = {}
    for name, spec in cats_raw.items():
        loc = f"{where}: categories.{name}"
        if not isinstance(name, str) or not name.isidentifier() or not name.isascii():
            problems.append(Problem("category names must be ASCII identifiers", loc))
            continue
        if (
            not isinstance(spec, dict)
            or not isinstance(spec.get("match"), list)
            or not spec["match"]
        ):
            problems.append(
                Problem("needs a non-empty 'match' list of {key: [values] | true}", loc)
            )
            continue
        rules: list[Rule] = []
        for i, rule in enumerate(spec["match"]):
            if (
                not isinstance(rule, dict)
                or not rule
                or not all(
                    v is True or (isinstance(v, list) and all(isinstance(x, str) for x in v))
                    for v in rule.values()
                )
            ):
                problems.append(
                    Problem(
                        "a rule maps tag keys to a list of strings or true", f"{loc}.match[{i}]"
                    )
                )
                continue
            rules.append({str(k): (v if v is True else list(v)) for k, v in rule.items()})
        categories[name] = rules
        labels[name] = str(spec.get("label", name))
        if spec.get("geometry") == "polygon":
            polygon.add(name)
    circles: list[LifeCircle] = []
    for name, spec in (raw.get("life_circles") or {}).items():
        loc = f"{where}: life_circles.{name}"
        if not isinstance(spec, dict):
            problems.append(Problem("needs distance_m and categories", loc))
            continue
        d = spec.get("distance_m")
        cats = spec.get("categories")
        if not isinstance(d, (int, float)) or d <= 0:
            problems.append(Problem(f"distance_m must be a positive number, got {d!r}", loc))
            continue
        if not isinstance(cats, list) or not cats:
            problems.append(Problem("categories must be a non-empty list", loc))
            continue
        unknown = [c for c in cats if c not in categories]
        if unknown:
            problems.append(
                Problem(f"unknown categories {unknown}; define them under 'categories'", loc)
            )
            continue
        if not (str(name).isascii() and str(name).replace("_", "").isalnum()):
            problems.append(
                Problem("life circle names must be ASCII letters/digits such as 15min", loc)
            )
        circles.append(LifeCircle(str(name), float(d), tuple(cats)))
    parks = raw.get("parks") or {}
    service = {
        int(k): float((v or {}).get("min_area_m2", 0))
        for k, v in (parks.get("service") or {}).items()
    }
    transit = raw.get("transit") or {}
    res = raw.get("residential") or {}
    if problems:
        raise SpatialError("invalid facility mapping", problems=problems)
    return FacilityConfig(
        categories=categories,
        polygon_categories=frozenset(polygon),
        life_circles=tuple(sorted(circles, key=lambda c: c.distance_m)),
        park_service=service or {300: 400.0, 500: 10000.0},
        park_access_buffer_m=float(parks.get("access_buffer_m", 30)),
        bus_stop_m=float(transit.get("bus_stop_m", 500)),
        rail_station_m=float(transit.get("rail_station_m", 1000)),
        residential_buildings=frozenset(
            res.get("building", ["residential", "apartments", "house"])
        ),
        generic_building_landuse=frozenset(res.get("generic_building_in", ["residential"])),
        default_levels=float(res.get("default_levels", 1)),
        labels=labels,
        source=where,
    )
