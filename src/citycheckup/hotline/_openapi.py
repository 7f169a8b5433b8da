"""OpenAPI descriptions of the Open311 endpoints: parameters and form bodies.

The handlers read the raw request (Open311 has its own error format and both JSON and
XML), so FastAPI cannot infer their parameters; these dictionaries document them in
``/openapi.json`` (and drive the schemathesis fuzz test).
"""

from __future__ import annotations

from typing import Any

from citycheckup.hotline.store import SATISFACTION
from citycheckup.hotline.workflow import ACTIONS

__all__ = [
    "ERR_DOC",
    "EXT",
    "FMT",
    "FORM",
    "JUR",
    "KEYQ",
    "RID",
    "doc",
    "param",
    "post_request_body",
    "rating_body",
    "transition_body",
]

FORM = "application/x-www-form-urlencoded"


def param(
    name: str,
    where: str = "query",
    description: str = "",
    *,
    enum: list[str] | None = None,
    pattern: str | None = None,
) -> dict[str, Any]:
    """One OpenAPI parameter of type string."""
    schema: dict[str, Any] = {"type": "string"}
    if enum:
        schema["enum"] = enum
    if pattern:
        schema["pattern"] = pattern
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": schema,
        "description": description,
    }


def doc(*params: dict[str, Any], body: dict[str, Any] | None = None) -> dict[str, Any]:
    """``openapi_extra`` of a route: its parameters and form body."""
    out: dict[str, Any] = {"parameters": list(params)}
    if body is not None:
        out.update(body)
    return out


def _form(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                FORM: {"schema": {"type": "object", "properties": properties, "required": required}}
            },
        }
    }


FMT = param("fmt", "path", "response format", enum=["json", "xml"])
JUR = param(
    "jurisdiction_id",
    description="ignored by this single-jurisdiction server unless it differs from the catalogue's",
)
RID = param("service_request_id", "path", "numeric id", pattern="^[0-9]{1,12}$")
EXT = param("extensions", description="extension: true adds notes, attributes, extended_attributes")
KEYQ = param(
    "api_key",
    description="operate key (or the X-API-Key header); on public reads it unlocks the "
    "operators' view (address, unredacted notes, actors)",
)
ERR_DOC: dict[int | str, dict[str, Any]] = {
    400: {"description": "Open311 error list"},
    403: {"description": "bad or missing api_key"},
    404: {"description": "not found"},
    429: {"description": "rate limit (Retry-After says when to retry)"},
}


def post_request_body(services: list[str]) -> dict[str, Any]:
    """Form body of ``POST /requests``."""
    s = {"type": "string"}
    return _form(
        {
            "api_key": s,
            "jurisdiction_id": s,
            "service_code": {"type": "string", "enum": services},
            **dict.fromkeys(
                (
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
                ),
                s,
            ),
        },
        ["service_code"],
    )


def transition_body() -> dict[str, Any]:
    """Form body of ``POST /requests/{id}/transitions``."""
    s = {"type": "string"}
    return _form(
        {
            "api_key": s,
            "action": {"type": "string", "enum": list(ACTIONS)},
            "department": s,
            "note": s,
            "datetime": s,
            "solved": s,
            "duplicate_of": s,
        },
        ["action"],
    )


def rating_body() -> dict[str, Any]:
    """Form body of ``POST /requests/{id}/rating``."""
    s = {"type": "string"}
    return _form(
        {
            "api_key": s,
            "satisfaction": {"type": "string", "enum": list(SATISFACTION)},
            "solved": {"type": "string", "enum": ["true", "false"]},
            "comment": s,
            "rating_token": s,
        },
        ["satisfaction", "solved"],
    )
