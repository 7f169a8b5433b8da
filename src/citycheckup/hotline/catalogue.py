"""The dispatch catalogue (派单目录): services, categories, departments and deadlines.

The catalogue is an editable YAML file. The built-in one
(``citycheckup/hotline/data/dispatch_catalogue.yaml``) follows the seven level-1
categories of the 12345 messages used to train the classifier; a city replaces it
with its own through ``load_catalogue(path)``.
"""

from __future__ import annotations

import importlib.resources
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from citycheckup.errors import HotlineError, Problem

__all__ = [
    "Attribute",
    "Catalogue",
    "Category",
    "Deadline",
    "Service",
    "builtin_catalogue_path",
    "load_catalogue",
]

DeadlineUnit = Literal["minutes", "hours", "days", "workdays"]
Datatype = Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
_UNITS = ("minutes", "hours", "days", "workdays")
_DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
_CODE = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")


@dataclass(frozen=True)
class Deadline:
    """A time limit: ``amount`` of ``unit`` (minutes, hours, calendar days or working days)."""

    amount: int
    unit: DeadlineUnit

    def __str__(self) -> str:
        return f"{self.amount} {self.unit}"


@dataclass(frozen=True)
class Attribute:
    """One Open311 service-definition attribute."""

    code: str
    datatype: Datatype
    description: str
    order: int
    required: bool = False
    variable: bool = True
    datatype_description: str = ""
    values: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Category:
    """A level-1 category: who handles it and within what time."""

    name: str
    department: str
    group: str
    deadline: Deadline
    response_deadline: Deadline


@dataclass(frozen=True)
class Service:
    """One Open311 service type; ``category`` is ``None`` when the text is classified."""

    service_code: str
    service_name: str
    description: str
    keywords: str
    group: str
    type: Literal["realtime", "batch", "blackbox"]
    category: str | None
    department: str | None
    deadline: Deadline | None
    response_deadline: Deadline | None
    attributes: tuple[Attribute, ...] = ()

    @property
    def metadata(self) -> bool:
        """True when the service has attributes (the client must fetch the definition)."""
        return bool(self.attributes)


@dataclass(frozen=True)
class Catalogue:
    """A parsed dispatch catalogue; use :func:`load_catalogue` to build one."""

    version: str
    jurisdiction_id: str
    contact: str
    key_service: str
    timezone: str
    confidence_threshold: float
    response_deadline: Deadline
    default_deadline: Deadline
    human_queue_department: str
    categories: Mapping[str, Category]
    services: Mapping[str, Service]
    overrides: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def department_for(self, category: str | None, district: str | None = None) -> str | None:
        """The responsible department of ``category`` (in ``district`` when it has an override)."""
        if category is None:
            return None
        if district is not None and (category, district) in self.overrides:
            return self.overrides[(category, district)]
        cat = self.categories.get(category)
        return cat.department if cat else None

    def deadline_for(self, service: Service, category: str | None) -> Deadline:
        """Handling deadline: the service's own, else its category's, else the default."""
        if service.deadline is not None:
            return service.deadline
        if category is not None and category in self.categories:
            return self.categories[category].deadline
        return self.default_deadline

    def response_deadline_for(self, service: Service, category: str | None) -> Deadline:
        """Response (签收/first contact) deadline, resolved like :meth:`deadline_for`."""
        if service.response_deadline is not None:
            return service.response_deadline
        if category is not None and category in self.categories:
            return self.categories[category].response_deadline
        return self.response_deadline


def builtin_catalogue_path() -> Path:
    """Path of the built-in catalogue YAML shipped with the package."""
    ref = importlib.resources.files("citycheckup.hotline") / "data" / "dispatch_catalogue.yaml"
    return Path(str(ref))


def _deadline(raw: Any, where: str, problems: list[Problem]) -> Deadline | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or set(raw) != {"amount", "unit"}:
        problems.append(Problem(f"expected {{amount: N, unit: U}}, got {raw!r}", where))
        return None
    amount, unit = raw["amount"], raw["unit"]
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        problems.append(Problem(f"amount must be a positive integer, got {amount!r}", where))
        return None
    if unit not in _UNITS:
        problems.append(Problem(f"unit must be one of {', '.join(_UNITS)}, got {unit!r}", where))
        return None
    return Deadline(amount, unit)


def _attributes(raw: Any, where: str, problems: list[Problem]) -> tuple[Attribute, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(Problem("attributes must be a list", where))
        return ()
    out: list[Attribute] = []
    seen: set[str] = set()
    for i, item in enumerate(raw, start=1):
        w = f"{where}.attributes[{i}]"
        if not isinstance(item, Mapping):
            problems.append(Problem("an attribute must be a mapping", w))
            continue
        code = str(item.get("code", ""))
        if not _CODE.match(code) or code in seen:
            problems.append(
                Problem(f"attribute code must be a unique [A-Za-z0-9_-] id, got {code!r}", w)
            )
            continue
        seen.add(code)
        datatype = item.get("datatype", "string")
        if datatype not in _DATATYPES:
            problems.append(
                Problem(f"datatype must be one of {', '.join(_DATATYPES)}, got {datatype!r}", w)
            )
            continue
        values_raw = item.get("values") or {}
        if not isinstance(values_raw, Mapping):
            problems.append(Problem("values must be a mapping key → name", w))
            continue
        values = tuple((str(k), str(v)) for k, v in values_raw.items())
        if datatype.endswith("valuelist") and not values:
            problems.append(Problem(f"datatype {datatype} needs values", w))
        out.append(
            Attribute(
                code=code,
                datatype=datatype,
                description=str(item.get("description", code)),
                order=int(item.get("order", i)),
                required=bool(item.get("required", False)),
                variable=bool(item.get("variable", True)),
                datatype_description=str(item.get("datatype_description", "")),
                values=values,
            )
        )
    orders = [a.order for a in out]
    if len(set(orders)) != len(orders) or any(o <= 0 for o in orders):
        problems.append(Problem("attribute order must be positive and unique", where))
    return tuple(out)


def catalogue_from_mapping(data: Mapping[str, Any], source: str = "<catalogue>") -> Catalogue:
    """Validate a catalogue mapping (as read from YAML); report every problem at once.

    Raises
    ------
    HotlineError
        Listing every invalid entry with its location.
    """
    problems: list[Problem] = []
    if not isinstance(data, Mapping):
        raise HotlineError(f"catalogue {source} must be a YAML mapping")
    resp = _deadline(
        data.get("response_deadline", {"amount": 2, "unit": "hours"}),
        f"{source}: response_deadline",
        problems,
    )
    default = _deadline(
        data.get("default_deadline", {"amount": 7, "unit": "workdays"}),
        f"{source}: default_deadline",
        problems,
    )
    categories: dict[str, Category] = {}
    for name, raw in (data.get("categories") or {}).items():
        w = f"{source}: categories.{name}"
        if not isinstance(raw, Mapping) or not raw.get("department"):
            problems.append(Problem("a category needs a department", w))
            continue
        categories[str(name)] = Category(
            name=str(name),
            department=str(raw["department"]),
            group=str(raw.get("group", name)),
            deadline=_deadline(raw.get("deadline"), w + ".deadline", problems)
            or default
            or Deadline(7, "workdays"),
            response_deadline=_deadline(
                raw.get("response_deadline"), w + ".response_deadline", problems
            )
            or resp
            or Deadline(2, "hours"),
        )
    services: dict[str, Service] = {}
    for i, raw in enumerate(data.get("services") or [], start=1):
        w = f"{source}: services[{i}]"
        if not isinstance(raw, Mapping):
            problems.append(Problem("a service must be a mapping", w))
            continue
        code = str(raw.get("service_code", ""))
        if not _CODE.match(code):
            problems.append(
                Problem(f"service_code must match [A-Za-z0-9_-]{{1,64}}, got {code!r}", w)
            )
            continue
        if code in services:
            problems.append(Problem(f"service_code {code!r} is repeated", w))
            continue
        category = raw.get("category")
        if category is not None and str(category) not in categories and not raw.get("department"):
            problems.append(
                Problem(
                    f"category {category!r} is not in categories and the service has no department",
                    w,
                )
            )
        stype = raw.get("type", "realtime")
        if stype not in ("realtime", "batch", "blackbox"):
            problems.append(Problem(f"type must be realtime, batch or blackbox, got {stype!r}", w))
            continue
        services[code] = Service(
            service_code=code,
            service_name=str(raw.get("service_name", code)),
            description=str(raw.get("description", "")),
            keywords=str(raw.get("keywords", "")),
            group=str(
                raw.get("group")
                or (categories[category].group if category in categories else "general")
            ),
            type=stype,
            category=None if category is None else str(category),
            department=None if raw.get("department") is None else str(raw["department"]),
            deadline=_deadline(raw.get("deadline"), w + ".deadline", problems),
            response_deadline=_deadline(
                raw.get("response_deadline"), w + ".response_deadline", problems
            ),
            attributes=_attributes(raw.get("attributes"), w, problems),
        )
    if not services:
        problems.append(Problem("the catalogue defines no services", source))
    overrides: dict[tuple[str, str], str] = {}
    for i, raw in enumerate(data.get("overrides") or [], start=1):
        w = f"{source}: overrides[{i}]"
        if not isinstance(raw, Mapping) or not {"category", "district", "department"} <= set(raw):
            problems.append(Problem("an override needs category, district and department", w))
            continue
        overrides[(str(raw["category"]), str(raw["district"]))] = str(raw["department"])
    threshold = data.get("confidence_threshold", 0.55)
    if not isinstance(threshold, int | float) or not 0 <= threshold <= 1:
        problems.append(
            Problem(f"confidence_threshold must be in [0, 1], got {threshold!r}", source)
        )
        threshold = 0.55
    tz = str(data.get("timezone", "Asia/Shanghai"))
    try:
        import zoneinfo

        zoneinfo.ZoneInfo(tz)
    except Exception:
        problems.append(
            Problem(f"unknown timezone {tz!r} (use an IANA name such as Asia/Shanghai)", source)
        )
    if problems:
        raise HotlineError(f"dispatch catalogue {source} is invalid", problems=problems)
    return Catalogue(
        version=str(data.get("catalogue_version", "1")),
        jurisdiction_id=str(data.get("jurisdiction_id", "")),
        contact=str(data.get("contact", "")),
        key_service=str(data.get("key_service", "")),
        timezone=tz,
        confidence_threshold=float(threshold),
        response_deadline=resp or Deadline(2, "hours"),
        default_deadline=default or Deadline(7, "workdays"),
        human_queue_department=str(data.get("human_queue_department", "dispatch")),
        categories=categories,
        services=services,
        overrides=overrides,
    )


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """Load and validate a dispatch catalogue YAML (the built-in one when ``path`` is None).

    Raises
    ------
    HotlineError
        When the file cannot be read or is invalid (every problem listed).
    """
    p = Path(path) if path is not None else builtin_catalogue_path()
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise HotlineError(
            f"cannot read dispatch catalogue {p}: {exc.strerror}; check the path"
        ) from exc
    except yaml.YAMLError as exc:
        raise HotlineError(f"dispatch catalogue {p} is not valid YAML: {exc}") from exc
    return catalogue_from_mapping(data, str(p.name))
