"""Open311 GeoReport v2 protocol pieces without a web framework: parsing and
validating parameters, the error type, output records, JSON and XML rendering.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import zoneinfo
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.etree import ElementTree as ET

from citycheckup.errors import HotlineError, Problem
from citycheckup.hotline.catalogue import Catalogue, Service
from citycheckup.hotline.privacy import redact
from citycheckup.hotline.store import NewRequest
from citycheckup.hotline.workflow import open311_status

__all__ = [
    "MAX_BODY_BYTES",
    "Open311Error",
    "ascii_int",
    "check_text",
    "parse_datetime",
    "parse_form",
    "parse_post",
    "redact",
    "render",
    "request_record",
]

MAX_BODY_BYTES = 64 * 1024
MAX_DESCRIPTION = 4000
_HTML = re.compile(r"<\s*[a-zA-Z!/?][^>]*>")
_ATTR = re.compile(r"^attribute\[([^\[\]]{1,64})\](\[\])?$")
# C0 and C1 controls except tab, LF and CR; non-characters; lone surrogates
# the same characters as citycheckup._edge.CONTROL (not imported: the Open311 core runs without
# Starlette, e.g. in replays and load generators)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
_CHANNEL = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}$")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")
_INT = re.compile(r"[0-9]{1,12}")
_TAG = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}")
# characters XML 1.0 cannot carry (C0 controls other than tab, LF, CR; U+FFFE/U+FFFF;
# lone surrogates): replaced by U+FFFD in XML output, so the feed stays well-formed
# whatever is stored
_NOT_XML = re.compile(r"[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_LIST_ITEM = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
    "photos": "photo",
    "errors": "error",
    "service_requests": "request",
    "duplicates": "duplicate",
}
_KNOWN_FIELDS = {
    "api_key",
    "jurisdiction_id",
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "device_id",
    "account_id",
    "first_name",
    "last_name",
    "phone",
    "description",
    "media_url",
    "channel",
    "district",
    "requested_datetime",
    "expected_datetime",
    "department",
    "category",
    "zipcode",
}


class Open311Error(HotlineError):
    """An error answered with the Open311 error list and an HTTP status.

    Parameters
    ----------
    status
        404 (resource not found), 403 (bad or missing api_key), 429 (rate limit,
        an extension) or 400 (everything else).
    errors
        ``(code, description)`` pairs; the code may be more specific than the status.
    """

    #: Seconds in the ``Retry-After`` header of a 429.
    retry_after: int = 1

    def __init__(self, status: int, errors: Sequence[tuple[int, str]]) -> None:
        self.status = status
        self.errors = list(errors)
        super().__init__(f"HTTP {status}", problems=[Problem(d, str(c)) for c, d in errors])


def bad(description: str, code: int = 400) -> Open311Error:
    """A single-error 400 (or ``code``) answer."""
    return Open311Error(400 if code not in (403, 404, 429) else code, [(code, description)])


def check_text(name: str, value: str, limit: int) -> str:
    """``value`` unchanged when it is at most ``limit`` characters without control
    characters (tab, CR and LF allowed); otherwise a 400.

    Raises
    ------
    Open311Error
        Naming the parameter and the problem.
    """
    if _CONTROL.search(value):
        raise bad(f"parameter {name[:64]!r} contains control characters; remove them")
    if len(value) > limit:
        raise bad(f"{name[:64]} is {len(value)} characters; at most {limit}")
    return value


def ascii_int(value: str | None, name: str, lo: int, hi: int, default: int) -> int:
    """An integer parameter written in ASCII digits, from ``lo`` to ``hi``.

    ``int()`` would also read '²', '٣' or '５'; those are refused here (400) like any
    other non-number.

    Raises
    ------
    Open311Error
        400 naming the parameter and the allowed range.
    """
    if value is None or value == "":
        return default
    if not _INT.fullmatch(value) or not lo <= int(value) <= hi:
        raise bad(
            f"{name} must be an integer from {lo} to {hi} in ASCII digits, got {value[:20]!r}"
        )
    return int(value)


def parse_datetime(value: str, name: str) -> dt.datetime:
    """Parse a W3C/ISO-8601 datetime (a date alone means midnight UTC; no offset means UTC).

    Raises
    ------
    Open311Error
        400 when the value is not a datetime.
    """
    v = value.strip()
    if not v.isascii():
        raise bad(
            f"{name} must be a W3C datetime such as 2010-01-01T00:00:00Z in ASCII digits, "
            f"got {value[:40]!r}"
        )
    try:
        if len(v) == 10:
            d = dt.datetime.combine(dt.date.fromisoformat(v), dt.time())
        else:
            d = dt.datetime.fromisoformat(v.replace("z", "Z"))
    except ValueError:
        raise bad(
            f"{name} must be a W3C datetime such as 2010-01-01T00:00:00Z, got {value[:40]!r}"
        ) from None
    if d.tzinfo is None:
        d = d.replace(tzinfo=dt.UTC)
    if not dt.datetime(1970, 1, 1, tzinfo=dt.UTC) <= d <= dt.datetime(2200, 1, 1, tzinfo=dt.UTC):
        raise bad(f"{name} is out of range: {value[:40]!r}")
    return d


def parse_form(body: bytes) -> list[tuple[str, str]]:
    """Decode an ``application/x-www-form-urlencoded`` body (UTF-8).

    Raises
    ------
    Open311Error
        400 for a body that is too large, not UTF-8 or malformed.
    """
    if len(body) > MAX_BODY_BYTES:
        raise bad(f"request body is {len(body)} bytes; at most {MAX_BODY_BYTES}", 413)
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(
            text, keep_blank_values=True, strict_parsing=False, max_num_fields=200, errors="strict"
        )
    except UnicodeDecodeError:
        raise bad("the body must be UTF-8 application/x-www-form-urlencoded") from None
    except ValueError as exc:
        raise bad(f"malformed form body: {exc}") from None
    for k, v in pairs:
        if _CONTROL.search(k) or _CONTROL.search(v):
            raise bad(f"parameter {k[:64]!r} contains control characters; remove them")
    return pairs


def _float(
    value: str, name: str, lo: float, hi: float, errors: list[tuple[int, str]]
) -> float | None:
    if not _FLOAT.fullmatch(value):  # float() would also read '١.٥' and '1_0'
        errors.append((400, f"{name} must be a number in ASCII digits, got {value[:40]!r}"))
        return None
    f = float(value)
    if not math.isfinite(f) or not lo <= f <= hi:
        errors.append((400, f"{name} must be between {lo} and {hi}, got {value[:40]!r}"))
        return None
    return f


def _check_attributes(
    service: Service, raw: Mapping[str, list[str]], multi: set[str], errors: list[tuple[int, str]]
) -> dict[str, Any]:
    defs = {a.code: a for a in service.attributes}
    out: dict[str, Any] = {}
    for code, values in raw.items():
        a = defs.get(code)
        values = [v for v in values if v != ""]
        if not values:
            continue
        if a is None:
            errors.append(
                (400, f"attribute[{code}] is not an attribute of service {service.service_code!r}")
            )
            continue
        if not a.variable:
            errors.append((400, f"attribute[{code}] is informational and cannot be submitted"))
            continue
        keys = {k for k, _ in a.values}
        if a.datatype == "multivaluelist":
            bad_vals = [v for v in values if v not in keys]
            if bad_vals:
                errors.append(
                    (400, f"attribute[{code}] values {bad_vals[:5]} are not among {sorted(keys)}")
                )
            else:
                out[code] = values
            continue
        if len(values) > 1 or code in multi:
            errors.append((400, f"attribute[{code}] takes one value"))
            continue
        v = values[0]
        if a.datatype == "singlevaluelist" and v not in keys:
            errors.append((400, f"attribute[{code}] must be one of {sorted(keys)}, got {v[:40]!r}"))
        elif a.datatype == "number":
            f = _float(v, f"attribute[{code}]", -1e12, 1e12, errors)
            if f is not None:
                out[code] = f
            continue
        elif a.datatype == "datetime":
            try:
                out[code] = parse_datetime(v, f"attribute[{code}]").isoformat()
            except Open311Error as exc:
                errors.extend(exc.errors)
            continue
        elif len(v) > (4000 if a.datatype == "text" else 500):
            errors.append((400, f"attribute[{code}] is too long ({len(v)} characters)"))
            continue
        out[code] = v
    for a in service.attributes:
        if (
            a.required
            and a.variable
            and a.code not in out
            and not any(e[1].startswith(f"attribute[{a.code}]") for e in errors)
        ):
            errors.append(
                (400, f"attribute[{a.code}] is required for service {service.service_code!r}")
            )
    return out


def parse_post(
    pairs: Sequence[tuple[str, str]], catalogue: Catalogue
) -> tuple[str | None, NewRequest]:
    """Validate ``POST /requests`` parameters; return the api_key and the request.

    Every problem is collected before raising. Status: 404 for an unknown
    service_code or jurisdiction_id, 400 for everything else (the api_key itself is
    checked by the caller, which answers 403).

    Raises
    ------
    Open311Error
        With every problem found.
    """
    single: dict[str, str] = {}
    attrs: dict[str, list[str]] = {}
    multi: set[str] = set()
    errors: list[tuple[int, str]] = []
    for k, v in pairs:
        if _CONTROL.search(k) or _CONTROL.search(v):
            raise bad(f"parameter {k[:64]!r} contains control characters")
        m = _ATTR.match(k)
        if m:
            attrs.setdefault(m.group(1), []).append(v)
            if m.group(2):
                multi.add(m.group(1))
            continue
        if k not in _KNOWN_FIELDS:
            continue  # unknown parameters are ignored, as Open311 clients add their own
        if k in single and single[k] != v:
            errors.append((400, f"parameter {k} is given more than once"))
        single[k] = v
    p = {k: v for k, v in single.items() if v != ""}  # an empty value is an absent one
    api_key = p.get("api_key")
    jur = p.get("jurisdiction_id")
    if jur is not None and catalogue.jurisdiction_id and jur != catalogue.jurisdiction_id:
        raise Open311Error(404, [(404, f"jurisdiction_id {jur[:100]!r} not found")])
    code = p.get("service_code")
    if code is None:
        raise Open311Error(400, [(400, "service_code is required"), *errors])
    service = catalogue.services.get(code)
    if service is None:
        raise Open311Error(404, [(404, f"service_code {code[:64]!r} not found")])
    lat = lon = None
    if ("lat" in p) != ("long" in p):
        errors.append((400, "lat and long must be given together"))
    elif "lat" in p:
        lat = _float(p["lat"], "lat", -90, 90, errors)
        lon = _float(p["long"], "long", -180, 180, errors)
    if "lat" not in p and "address_string" not in p and "address_id" not in p:
        errors.append((400, "a location is required: lat and long, address_string or address_id"))
    limits = {
        "address_string": 500,
        "address_id": 100,
        "email": 254,
        "phone": 40,
        "first_name": 100,
        "last_name": 100,
        "device_id": 100,
        "account_id": 100,
        "district": 200,
        "department": 200,
        "zipcode": 20,
        "category": 64,
        "api_key": 200,
        "jurisdiction_id": 200,
    }
    for k, n in limits.items():
        if k in p and len(p[k]) > n:
            errors.append((400, f"{k} is {len(p[k])} characters; at most {n}"))
    desc = p.get("description")
    if desc is not None:
        if len(desc) > MAX_DESCRIPTION:
            errors.append(
                (400, f"description is {len(desc)} characters; at most {MAX_DESCRIPTION}")
            )
        if _HTML.search(desc):
            errors.append((400, "description must be plain text without HTML"))
    media = p.get("media_url")
    if media is not None:
        u = urlsplit(media) if len(media) <= 2048 else None
        if u is None or u.scheme not in ("http", "https") or not u.netloc:
            errors.append((400, "media_url must be an http(s) URL of at most 2048 characters"))
    if "email" in p and not _EMAIL.match(p["email"]):
        errors.append((400, "email is not an e-mail address"))
    channel = p.get("channel", "api")
    if not _CHANNEL.match(channel):
        errors.append((400, "channel must be a lower-case identifier such as phone, app, wechat"))
    when: dict[str, dt.datetime] = {}
    for k in ("requested_datetime", "expected_datetime"):
        if k in p:
            try:
                when[k] = parse_datetime(p[k], k)
            except Open311Error as exc:
                errors.extend(exc.errors)
    if "category" in p and p["category"] not in catalogue.categories:
        errors.append((400, f"category {p['category'][:64]!r} is not in the dispatch catalogue"))
    attributes = _check_attributes(service, attrs, multi, errors)
    if errors:
        raise Open311Error(400, errors)
    contact: dict[str, str] = {
        k: p[k]
        for k in ("email", "phone", "first_name", "last_name", "device_id", "account_id")
        if k in p
    }
    return api_key, NewRequest(
        service_code=code,
        lat=lat,
        long=lon,
        address_string=p.get("address_string"),
        address_id=p.get("address_id"),
        zipcode=p.get("zipcode"),
        description=desc,
        media_url=media,
        attributes=attributes,
        contact=contact,
        channel=channel,
        district=p.get("district"),
        requested_at=when.get("requested_datetime"),
        expected_at=when.get("expected_datetime"),
        department=p.get("department"),
        category=p.get("category"),
    )


# ----------------------------------------------------------------- output
def iso(value: dt.datetime | None, tz: zoneinfo.ZoneInfo) -> str | None:
    """Naive-UTC storage time → W3C datetime with the zone's offset."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC).astimezone(tz).isoformat(timespec="seconds")


def _public_value(v: Any) -> Any:
    if isinstance(v, str):
        return redact(v)
    if isinstance(v, list):
        return [_public_value(x) for x in v]
    return v


def request_record(
    row: Mapping[str, Any],
    catalogue: Catalogue,
    tz: zoneinfo.ZoneInfo,
    *,
    extensions: bool = False,
    notes: Sequence[Mapping[str, Any]] = (),
    internal: bool = False,
) -> dict[str, Any]:
    """The Open311 representation of a stored request (never the citizen's contact data).

    With ``extensions`` it adds ``attributes``, ``extended_attributes`` (channel,
    department, district, category, state, queue, deadlines, rating, duplicate_of)
    and ``notes`` (the update history).

    The public view (default) passes every free text — description, status notes,
    history notes, text attributes — through :func:`~citycheckup.hotline.privacy.redact`
    and leaves ``address`` and ``address_id`` empty. ``internal`` (operators) shows the
    text as written, the address and the actors of the notes.
    """
    text = (lambda v: v) if internal else redact
    svc = catalogue.services.get(row["service_code"])
    rec: dict[str, Any] = {
        "service_request_id": str(row["id"]),
        "status": open311_status(row["state"]),
        "status_notes": text(row["status_notes"]),
        "service_name": svc.service_name if svc else row["service_code"],
        "service_code": row["service_code"],
        "description": text(row["description"]),
        "agency_responsible": row["department"],
        "service_notice": row["service_notice"],
        "requested_datetime": iso(row["requested_at"], tz),
        "updated_datetime": iso(row["closed_at"] or row["updated_at"], tz),
        "expected_datetime": iso(row["expected_at"], tz),
        "address": row["address_string"] if internal else None,
        "address_id": row["address_id"] if internal else None,
        "zipcode": row["zipcode"],
        "lat": row["lat"],
        "long": row["long"],
        "media_url": row["media_url"],
    }
    if extensions:
        rec["attributes"] = [
            {"code": k, "value": v if internal else _public_value(v)}
            for k, v in (row.get("attributes") or {}).items()
        ]
        rec["extended_attributes"] = {
            "channel": row["channel"],
            "department": row["department"],
            "district": row["district"],
            "category": row["category"],
            "state": row["state"],
            "queue": row["queue"],
            "response_due_datetime": iso(row["response_due_at"], tz),
            "first_response_datetime": iso(row["first_response_at"], tz),
            "resolved_datetime": iso(row["resolved_at"], tz),
            "escalated": bool(row["escalated"]),
            "reopen_count": int(row["reopen_count"] or 0),
            "duplicate_of": None if row["duplicate_of"] is None else str(row["duplicate_of"]),
            "solved": row["solved"],
            "satisfaction": row["satisfaction"],
            "rated_datetime": iso(row["rated_at"], tz),
        }
        rec["notes"] = [note_record(n, tz, internal=internal) for n in notes]
    return rec


def note_record(
    ev: Mapping[str, Any], tz: zoneinfo.ZoneInfo, *, internal: bool = False
) -> dict[str, Any]:
    """One update-history note: datetime, type (the action), status, description.

    Public: the description redacted, no actor. ``internal``: as written, with the actor.
    """
    rec = {
        "datetime": iso(ev["at"], tz),
        "type": ev["action"],
        "status": open311_status(ev["to_state"]),
        "state": ev["to_state"],
        "department": ev["department"],
        "description": ev["note"] if internal else redact(ev["note"]),
    }
    if internal:
        rec["actor"] = ev["actor"]
    return rec


def _xml_value(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return _NOT_XML.sub("\ufffd", str(v))


def _to_xml(parent: ET.Element, name: str, value: Any) -> None:
    if not _TAG.fullmatch(name):
        name = "item"
    if isinstance(value, Mapping):
        el = ET.SubElement(parent, name)
        for k, v in value.items():
            _to_xml(el, k, v)
    elif isinstance(value, list | tuple):
        el = ET.SubElement(parent, name)
        item = _LIST_ITEM.get(name, "item")
        for v in value:
            _to_xml(el, item, v)
    else:
        ET.SubElement(parent, name).text = _xml_value(value)


def render(data: Any, fmt: str, root: str) -> tuple[bytes, str]:
    """Serialise ``data`` as Open311 JSON or XML; return body and content type.

    ``root`` names the XML root (``services``, ``service_requests``, ``errors`` …);
    a list becomes repeated children named after it (``service``, ``request`` …).
    """
    if fmt == "json":
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
        # a lone surrogate (only possible in data written around the API) cannot be UTF-8
        return text.encode("utf-8", "replace"), "application/json; charset=utf-8"
    top = ET.Element(root)
    if isinstance(data, Mapping):
        for k, v in data.items():
            _to_xml(top, k, v)
    else:
        item = _LIST_ITEM.get(root, "item")
        for v in data:
            _to_xml(top, item, v)
    body = ET.tostring(top, encoding="utf-8", xml_declaration=False)
    # a literal CR would reach the reader as LF (XML end-of-line handling); only text
    # content can hold one, so it is written as a character reference
    xml = b'<?xml version="1.0" encoding="utf-8"?>\n' + body.replace(b"\r", b"&#13;")
    return xml, "text/xml; charset=utf-8"


def errors_body(errors: Sequence[tuple[int, str]], fmt: str) -> tuple[bytes, str]:
    """The Open311 error list in ``fmt``."""
    return render([{"code": c, "description": d} for c, d in errors], fmt, "errors")
