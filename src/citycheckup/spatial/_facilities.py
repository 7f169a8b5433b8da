"""The facility mapping (YAML): categories, GB 50180 life-circle items, park rules, roads, quality.

See the comments at the top of the built-in ``facilities.yaml`` for the format.
"""

from __future__ import annotations

import importlib.resources
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from citycheckup.errors import Problem, SpatialError

__all__ = [
    "Category",
    "CircleItem",
    "FacilityConfig",
    "LifeCircle",
    "NamedCoverage",
    "ParkRule",
    "load_facility_config",
]

#: A tag rule: key → accepted values, ``True`` (any value) or a compiled regex (``key~``).
Rule = Mapping[str, "list[str] | bool | re.Pattern[str]"]


@dataclass(frozen=True)
class Category:
    """A kind of facility, told from OSM tags and POI category text."""

    name: str
    name_zh: str
    name_en: str
    osm: tuple[Rule, ...]
    exclude: tuple[Rule, ...] = ()
    poi: tuple[str, ...] = ()
    polygon: bool = False

    @property
    def osm_expressible(self) -> bool:
        """Whether OSM has tags (or characteristic names) for this category."""
        return bool(self.osm)

    @property
    def osm_basis(self) -> str:
        """How OSM expresses the category: ``tags``, ``names only`` (no tag, Chinese name patterns) or ``none``."""
        if not self.osm:
            return "none"
        if all(set(r) == {"name~"} for r in self.osm):
            return "names only"
        return "tags"

    def matches(self, tags: Sequence[Mapping[str, str]]) -> np.ndarray:
        """Boolean mask: which OSM tag dictionaries are of this category."""
        return np.fromiter(
            (
                any(_rule_matches(r, t) for r in self.osm)
                and not any(_rule_matches(r, t) for r in self.exclude)
                for t in tags
            ),
            bool,
            len(tags),
        )

    def matches_poi(self, categories: Sequence[str]) -> np.ndarray:
        """Boolean mask: which POI category strings contain one of the ``poi`` keywords."""
        if not self.poi:
            return np.zeros(len(categories), bool)
        pat = re.compile("|".join(re.escape(k) for k in self.poi))
        return np.fromiter((bool(pat.search(c)) for c in categories), bool, len(categories))


@dataclass(frozen=True)
class CircleItem:
    """One GB 50180 item of a life circle, satisfied by any of its categories."""

    item: str
    name_zh: str
    name_en: str
    categories: tuple[str, ...]


@dataclass(frozen=True)
class LifeCircle:
    """A GB 50180-2018 life circle (or the 居住街坊 with ``scope == "compound"``)."""

    name: str
    name_zh: str
    name_en: str
    distance_m: float | None
    items: tuple[CircleItem, ...]
    population: tuple[float, float] | None = None
    scope: str = "network"
    edge_m: float = 30.0

    @property
    def code(self) -> str:
        """Indicator code, e.g. ``life_circle_15min_coverage`` (``residential_block_coverage``)."""
        if self.scope == "compound":
            return "residential_block_coverage"
        return f"life_circle_{self.name}_coverage"

    @property
    def categories(self) -> tuple[str, ...]:
        """Every category any item of the circle uses."""
        return tuple(dict.fromkeys(c for it in self.items for c in it.categories))


@dataclass(frozen=True)
class NamedCoverage:
    """A single-category coverage indicator with its own code (e.g. ``secondary_school_coverage``)."""

    code: str
    category: str
    distance_m: float
    name_zh: str
    name_en: str
    mohurd_id: str | None = None


@dataclass(frozen=True)
class ParkRule:
    """A park-coverage rule: a home is covered when within ``distance_m`` of a park of ``min_area_m2``."""

    code: str
    name_zh: str
    name_en: str
    categories: tuple[str, ...]
    radii: tuple[tuple[float, float], ...]  # (min_area_m2, distance_m)
    mohurd_id: str | None = None


@dataclass(frozen=True)
class FacilityConfig:
    """A parsed facility mapping (see ``facilities.yaml``)."""

    categories: dict[str, Category]
    life_circles: tuple[LifeCircle, ...]
    named: tuple[NamedCoverage, ...]
    park_rules: tuple[ParkRule, ...]
    park_access_buffer_m: float
    residential_buildings: frozenset[str]
    generic_building_landuse: frozenset[str]
    default_levels: float
    road_classes: dict[str, tuple[str, ...]]
    compound_road_classes: frozenset[str]
    builtup: dict[str, Any]
    quality: dict[str, Any]
    source: str = "builtin"
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def polygon_categories(self) -> frozenset[str]:
        """Categories whose facilities are areas (parks, squares)."""
        return frozenset(n for n, c in self.categories.items() if c.polygon)

    def category_thresholds(self) -> dict[str, list[int]]:
        """Distances (m) at which each point category's coverage is reported.

        A category gets the distance of every network life circle it belongs to.
        """
        out: dict[str, set[int]] = {}
        for lc in self.life_circles:
            if lc.distance_m is None:
                continue
            for c in lc.categories:
                if c not in self.polygon_categories:
                    out.setdefault(c, set()).add(int(lc.distance_m))
        return {c: sorted(v) for c, v in out.items()}

    def matches(self, category: str, tags: Sequence[Mapping[str, str]]) -> np.ndarray:
        """Boolean mask: which tag dictionaries match ``category``."""
        return self.categories[category].matches(tags)

    @property
    def max_distance(self) -> float:
        """The largest coverage distance of any indicator (m)."""
        d = [lc.distance_m for lc in self.life_circles if lc.distance_m]
        d += [n.distance_m for n in self.named]
        d += [r for p in self.park_rules for _, r in p.radii]
        return float(max(d)) if d else 0.0


def _rule_matches(rule: Rule, tags: Mapping[str, str]) -> bool:
    for key, accepted in rule.items():
        if isinstance(accepted, re.Pattern):
            val = tags.get(key[:-1])
            if val is None or not accepted.search(val):
                return False
            continue
        val = tags.get(key)
        if val is None:
            return False
        if accepted is True:  # the key is present: any value but "no"
            if val == "no":
                return False
            continue
        if val not in accepted:  # type: ignore[operator]
            return False
    return True


_BOOL_TEXT = {True: "yes", False: "no"}


def load_facility_config(path: str | Path | None = None) -> FacilityConfig:
    """Load a facility mapping.

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


def _rules(raw: Any, loc: str, problems: list[Problem]) -> tuple[Rule, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(Problem("must be a list of {key: [values] | true | 'regex'}", loc))
        return ()
    out: list[Rule] = []
    for i, rule in enumerate(raw):
        where = f"{loc}[{i}]"
        if not isinstance(rule, dict) or not rule:
            problems.append(Problem("a rule maps tag keys to values", where))
            continue
        parsed: dict[str, list[str] | bool | re.Pattern[str]] = {}
        for k, v in rule.items():
            k = str(k)
            if k.endswith("~"):
                if not isinstance(v, str):
                    problems.append(Problem(f"{k!r} needs a regular expression string", where))
                    continue
                try:
                    parsed[k] = re.compile(v)
                except re.error as exc:
                    problems.append(Problem(f"bad regular expression {v!r}: {exc}", where))
            elif v is True:
                parsed[k] = True
            elif isinstance(v, list) and all(isinstance(x, (str, int, bool)) for x in v):
                # YAML 1.1 reads a bare yes/no as a boolean; OSM values are the strings
                parsed[k] = [
                    _BOOL_TEXT.get(x, str(x)) if isinstance(x, bool) else str(x) for x in v
                ]
            else:
                problems.append(Problem(f"{k!r} needs a list of strings or true", where))
        out.append(parsed)
    return tuple(out)


def _ident(name: object) -> bool:
    return isinstance(name, str) and name.isascii() and name.replace("_", "a").isalnum()


def _parse(raw: Any, where: str) -> FacilityConfig:
    problems: list[Problem] = []
    if not isinstance(raw, dict):
        raise SpatialError(
            "facility mapping must be a YAML mapping", problems=[Problem("top level", where)]
        )
    if raw.get("version") != 2:
        problems.append(
            Problem(
                f"version must be 2 (got {raw.get('version')!r}); start from the built-in facilities.yaml",
                where,
            )
        )
    cats: dict[str, Category] = {}
    cats_raw = raw.get("categories")
    if not isinstance(cats_raw, dict) or not cats_raw:
        problems.append(
            Problem("'categories' must map names to {osm: [...]}", f"{where}: categories")
        )
        cats_raw = {}
    for name, spec in cats_raw.items():
        loc = f"{where}: categories.{name}"
        if not _ident(name) or not str(name)[0].isalpha():
            problems.append(Problem("category names must be ASCII identifiers", loc))
            continue
        if not isinstance(spec, dict) or "osm" not in spec:
            problems.append(Problem("needs an 'osm' list (empty when OSM has no tag for it)", loc))
            continue
        poi = spec.get("poi") or []
        if not isinstance(poi, list) or not all(isinstance(k, str) and k for k in poi):
            problems.append(Problem("'poi' must be a list of non-empty keywords", loc))
            poi = []
        cats[name] = Category(
            name=name,
            name_zh=str(spec.get("name_zh", name)),
            name_en=str(spec.get("name_en", name)),
            osm=_rules(spec.get("osm"), f"{loc}.osm", problems),
            exclude=_rules(spec.get("exclude"), f"{loc}.exclude", problems),
            poi=tuple(poi),
            polygon=spec.get("geometry") == "polygon",
        )
    circles: list[LifeCircle] = []
    for name, spec in (raw.get("life_circles") or {}).items():
        loc = f"{where}: life_circles.{name}"
        if not _ident(str(name)):
            problems.append(
                Problem("life circle names must be ASCII letters/digits such as 15min", loc)
            )
            continue
        if not isinstance(spec, dict):
            problems.append(Problem("needs distance_m (or scope: compound) and items", loc))
            continue
        scope = str(spec.get("scope", "network"))
        d = spec.get("distance_m")
        if scope not in {"network", "compound"}:
            problems.append(Problem(f"scope must be network or compound, got {scope!r}", loc))
            continue
        if scope == "network" and (not isinstance(d, (int, float)) or d <= 0):
            problems.append(Problem(f"distance_m must be a positive number, got {d!r}", loc))
            continue
        items: list[CircleItem] = []
        for i, it in enumerate(spec.get("items") or []):
            iloc = f"{loc}.items[{i}]"
            if not isinstance(it, dict) or not _ident(it.get("item")):
                problems.append(
                    Problem("an item needs an ASCII 'item' name and 'categories'", iloc)
                )
                continue
            ic = it.get("categories")
            if not isinstance(ic, list) or not ic:
                problems.append(Problem("'categories' must be a non-empty list", iloc))
                continue
            unknown = [c for c in ic if c not in cats]
            if unknown:
                problems.append(
                    Problem(f"unknown categories {unknown}; define them under 'categories'", iloc)
                )
                continue
            items.append(CircleItem(str(it["item"]), str(it.get("name_zh", it["item"])),
                                    str(it.get("name_en", it["item"])), tuple(ic)))  # fmt: skip
        if not items:
            problems.append(Problem("needs a non-empty list of items", loc))
            continue
        pop = spec.get("population")
        circles.append(
            LifeCircle(
                name=str(name),
                name_zh=str(spec.get("name_zh", name)),
                name_en=str(spec.get("name_en", name)),
                distance_m=float(d) if scope == "network" and d is not None else None,
                items=tuple(items),
                population=(float(pop[0]), float(pop[1]))
                if isinstance(pop, list) and len(pop) == 2
                else None,
                scope=scope,
                edge_m=float(spec.get("edge_m", 30)),
            )  # fmt: skip
        )
    named: list[NamedCoverage] = []
    for code, spec in (raw.get("indicators") or {}).items():
        loc = f"{where}: indicators.{code}"
        if not _ident(code) or not isinstance(spec, dict):
            problems.append(Problem("needs an ASCII code and {category, distance_m}", loc))
            continue
        if spec.get("category") not in cats:
            problems.append(Problem(f"unknown category {spec.get('category')!r}", loc))
            continue
        d = spec.get("distance_m")
        if not isinstance(d, (int, float)) or d <= 0:
            problems.append(Problem(f"distance_m must be a positive number, got {d!r}", loc))
            continue
        named.append(NamedCoverage(code, spec["category"], float(d), str(spec.get("name_zh", code)),
                                   str(spec.get("name_en", code)), spec.get("mohurd_id")))  # fmt: skip
    parks = raw.get("parks") or {}
    rules: list[ParkRule] = []
    for code, spec in (parks.get("rules") or {}).items():
        loc = f"{where}: parks.rules.{code}"
        if not _ident(code) or not isinstance(spec, dict):
            problems.append(Problem("needs an ASCII code and {categories, radii}", loc))
            continue
        pc = spec.get("categories") or []
        bad = [c for c in pc if c not in cats or not cats[c].polygon]
        if not pc or bad:
            problems.append(Problem(f"categories must be polygon categories, got {pc!r}", loc))
            continue
        radii = []
        for r in spec.get("radii") or []:
            try:
                radii.append((float(r["min_area_m2"]), float(r["distance_m"])))
            except (KeyError, TypeError, ValueError):
                problems.append(Problem("each radius needs min_area_m2 and distance_m", loc))
        if not radii:
            problems.append(Problem("needs at least one radius", loc))
            continue
        rules.append(ParkRule(code, str(spec.get("name_zh", code)), str(spec.get("name_en", code)),
                              tuple(pc), tuple(sorted(radii)), spec.get("mohurd_id")))  # fmt: skip
    res = raw.get("residential") or {}
    roads = raw.get("roads") or {}
    classes = {str(k): tuple(map(str, v)) for k, v in (roads.get("classes") or {}).items()}
    if not classes:
        problems.append(Problem("roads.classes must map road classes to OSM highway values", where))
    if problems:
        raise SpatialError("invalid facility mapping", problems=problems)
    return FacilityConfig(
        categories=cats,
        life_circles=tuple(
            sorted(circles, key=lambda c: (c.distance_m is None, c.distance_m or 0))
        ),
        named=tuple(named),
        park_rules=tuple(rules),
        park_access_buffer_m=float(parks.get("access_buffer_m", 30)),
        residential_buildings=frozenset(
            res.get("building", ["residential", "apartments", "house"])
        ),
        generic_building_landuse=frozenset(res.get("generic_building_in", ["residential"])),
        default_levels=float(res.get("default_levels", 1)),
        road_classes=classes,
        compound_road_classes=frozenset(roads.get("compound_classes") or ()),
        builtup=dict(roads.get("builtup") or {}),
        quality=dict(raw.get("quality") or {}),
        source=where,
        labels={n: f"{c.name_zh} {c.name_en}" for n, c in cats.items()},
    )
